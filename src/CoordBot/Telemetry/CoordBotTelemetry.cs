using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace CoordBot.Telemetry;

/// <summary>
/// CoordBot's traces and metrics (docs/observability.md): one <see cref="ActivitySource"/> and one
/// <see cref="Meter"/>, both named "CoordBot". With nothing listening (telemetry off) a span is never
/// created and a measurement is dropped at once, so the helpers here cost a null check or two.
/// Tags name commands, platforms and outcomes only: never command text, names or contact details.
/// </summary>
public static class CoordBotTelemetry
{
    /// <summary>The name of the activity source and of the meter.</summary>
    public const string Name = "CoordBot";

    // Tag keys.
    public const string CommandTag = "coordbot.command";
    public const string ChannelTag = "coordbot.channel";
    public const string PlatformTag = "coordbot.platform";
    public const string OutcomeTag = "coordbot.outcome";
    public const string OperationTag = "db.operation.name";
    public const string PhaseTag = "coordbot.phase";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    /// <summary>Commands handled, by command and channel (platform) and outcome (ok, refused, error).</summary>
    internal static readonly Counter<long> Commands = Meter.CreateCounter<long>("coordbot.commands", "{command}",
        "Chat commands handled, by command, channel and outcome.");

    /// <summary>Time from a command's arrival at the router to its reply, by command and channel.</summary>
    internal static readonly Histogram<double> CommandDuration = Meter.CreateHistogram("coordbot.command.duration", "s",
        "How long a chat command took from the router to its reply.", tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    /// <summary>Outbox sends, by platform and outcome (sent, rate_limited, retry, failed).</summary>
    internal static readonly Counter<long> OutboxSends = Meter.CreateCounter<long>("coordbot.outbox.sends", "{send}",
        "Outbox messages handed to a platform, by platform and outcome.");

    /// <summary>Times a platform call waited for CoordBot's own pacing of that platform's rate limits.</summary>
    internal static readonly Counter<long> RateLimitWaits = Meter.CreateCounter<long>("coordbot.ratelimit.waits", "{wait}",
        "Platform calls that waited for their turn under the platform's rate limits, by platform.");

    /// <summary>HTTP 429 answers from a platform.</summary>
    internal static readonly Counter<long> RateLimited = Meter.CreateCounter<long>("coordbot.ratelimit.429s", "{response}",
        "HTTP 429 (Too Many Requests) answers from a platform, by platform.");

    /// <summary>Scheduled sends (Quartz triggers) that missed their time by more than the misfire threshold.</summary>
    internal static readonly Counter<long> SchedulerMisfires = Meter.CreateCounter<long>("coordbot.scheduler.misfires", "{misfire}",
        "Scheduled triggers that fired late by more than Quartz's misfire threshold (the host was down or overloaded), by schedule kind.");

    /// <summary>Writes committed together by one group-commit transaction.</summary>
    internal static readonly Histogram<int> GroupCommitWrites = Meter.CreateHistogram("coordbot.store.group_commit.writes", "{write}",
        "Writes that shared one group-commit transaction (on SQLite, one fsync).", tags: null,
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128] });

    /// <summary>The single writer's time on one group, by phase: running its writes, and committing them.</summary>
    internal static readonly Histogram<double> GroupCommitDuration = Meter.CreateHistogram("coordbot.store.group_commit.duration", "s",
        "Time the single writer spent on one group-commit transaction, by phase: work (running its writes) and commit (on SQLite, writing the WAL pages and their fsync).",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] });

    /// <summary>A group of <paramref name="writes"/> writes was committed after <paramref name="work"/> running them and <paramref name="commit"/> committing.</summary>
    public static void GroupCommitted(int writes, TimeSpan work, TimeSpan commit)
    {
        if (GroupCommitWrites.Enabled) GroupCommitWrites.Record(writes);
        if (!GroupCommitDuration.Enabled) return;
        GroupCommitDuration.Record(work.TotalSeconds, new KeyValuePair<string, object?>(PhaseTag, "work"));
        GroupCommitDuration.Record(commit.TotalSeconds, new KeyValuePair<string, object?>(PhaseTag, "commit"));
    }

    /// <summary>A platform call is about to wait for its turn under that platform's rate limits.</summary>
    public static void RateLimitWait(string platform)
    {
        if (RateLimitWaits.Enabled) RateLimitWaits.Add(1, new KeyValuePair<string, object?>(PlatformTag, platform));
    }

    /// <summary>A platform answered HTTP 429.</summary>
    public static void TooManyRequests(string platform)
    {
        if (RateLimited.Enabled) RateLimited.Add(1, new KeyValuePair<string, object?>(PlatformTag, platform));
    }

    /// <summary>A Quartz trigger misfired; <paramref name="kind"/> is the schedule's kind ("once" or "weekly").</summary>
    public static void Misfire(string kind)
    {
        if (SchedulerMisfires.Enabled) SchedulerMisfires.Add(1, new KeyValuePair<string, object?>("coordbot.schedule", kind));
    }

    /// <summary>
    /// A span around one store operation on a command's path, e.g. <c>store ally.list</c>; null when nothing
    /// listens. <paramref name="operation"/> must be a constant: it becomes the span's name.
    /// </summary>
    public static Activity? StartStore(string operation)
    {
        if (!Source.HasListeners()) return null;
        var activity = Source.StartActivity("store " + operation, ActivityKind.Client);
        activity?.SetTag(OperationTag, operation);
        return activity;
    }

    /// <summary>A span around rendering and writing a reply for <paramref name="platform"/>; null when nothing listens.</summary>
    public static Activity? StartReply(string platform)
    {
        if (!Source.HasListeners()) return null;
        var activity = Source.StartActivity("reply " + platform);
        activity?.SetTag(ChannelTag, platform);
        return activity;
    }
}
