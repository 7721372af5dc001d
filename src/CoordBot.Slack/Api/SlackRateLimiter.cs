using System.Security.Cryptography;
using System.Text;
using CoordBot.Outbox;

namespace CoordBot.Slack.Api;

/// <summary>Slack's rate-limit tiers (T1 1+/min, T2 20+/min, T3 50+/min, T4 100+/min) and chat.postMessage's own.</summary>
public enum SlackTier
{
    Tier1 = 1,
    Tier2 = 2,
    Tier3 = 3,
    Tier4 = 4,
    /// <summary>chat.postMessage: about one message a second per channel, several hundred a minute per workspace.</summary>
    PostMessage = 5,
}

/// <summary>A steady rate with a burst allowance: <paramref name="Burst"/> calls may go at once, then one every 60/<paramref name="PerMinute"/> s.</summary>
public sealed record SlackRate(double PerMinute, int Burst);

/// <summary>
/// How hard CoordBot holds itself back before Slack has to (section <c>Slack:RateLimits</c>). The
/// methods a fan-out uses (chat.postMessage, Tier 3's conversations.open) keep one call of their burst
/// in reserve below what we take Slack to tolerate (3 per channel, 30 per workspace, 10 for Tier 3):
/// Slack counts calls as they arrive, and after an idle spell a call that arrives late (a new
/// connection, start-up) makes the on-time calls after it look early. The reserve absorbs up to one
/// interval of such lateness and costs one interval per burst.
/// </summary>
public sealed record SlackRateLimitOptions
{
    public SlackRate Tier1 { get; init; } = new(1, 5);
    public SlackRate Tier2 { get; init; } = new(20, 5);
    public SlackRate Tier3 { get; init; } = new(50, 9);
    public SlackRate Tier4 { get; init; } = new(100, 20);

    /// <summary>
    /// chat.postMessage per workspace. Slack documents only "a workspace-wide limit" of "several hundred
    /// per minute" (https://docs.slack.dev/apis/web-api/rate-limits); we pace to 300 a minute (5 a second), the low end of that wording,
    /// with a burst of 29. At this pace a workspace's 100-member check-in prompt takes about 14 s.
    /// </summary>
    public SlackRate PostMessage { get; init; } = new(300, 29);

    /// <summary>chat.postMessage per channel: about one a second, with a small burst.</summary>
    public SlackRate PostMessagePerChannel { get; init; } = new(60, 2);

    /// <summary>The longest a call waits, for our limiter or for Slack's <c>Retry-After</c>; beyond it the call fails with <see cref="SlackRateLimitedException"/>.</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a call that got HTTP 429 is tried again (each after its <c>Retry-After</c>).</summary>
    public int MaxRateLimitRetries { get; init; } = 3;

    /// <summary>How often a call that met a 5xx, a timeout or a network error is tried again.</summary>
    public int MaxTransientRetries { get; init; } = 2;

    /// <summary>The wait before the first transient retry; it doubles for the next.</summary>
    public TimeSpan TransientBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Multiplies every real wait (limiter spacing, Retry-After, backoff) so tests can run Slack's
    /// timing faster; decisions (MaxWait, reported RetryAfter) use the unscaled, Slack-facing times.
    /// </summary>
    public double TimeScale { get; init; } = 1.0;
}

/// <summary>
/// Paces Web API calls per workspace token and method at the method's tier rate (Slack limits
/// "per method per workspace per app"), and chat.postMessage also per channel. A generic cell rate
/// algorithm (a token bucket kept as one timestamp per key) driven by the injected
/// <see cref="TimeProvider"/>: a caller reserves its slot, then waits for it; a wait longer than
/// <see cref="SlackRateLimitOptions.MaxWait"/> is refused with a local
/// <see cref="SlackRateLimitedException"/> instead. Share one instance across clients.
/// </summary>
public sealed class SlackRateLimiter(TimeProvider time, SlackRateLimitOptions? options = null)
{
    private static readonly TimeSpan PruneEvery = TimeSpan.FromMinutes(1);
    private const int PruneAbove = 4096;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _nextDue = new(StringComparer.Ordinal);
    private long _lastPrune;

    public SlackRateLimitOptions Options { get; } = options ?? new SlackRateLimitOptions();

    public TimeProvider Time => time;

    /// <summary>The documented tier of a method (java-slack-sdk's table); unknown methods count as Tier 3.</summary>
    public static SlackTier TierOf(string method) => method switch
    {
        "chat.postMessage" => SlackTier.PostMessage,
        "apps.connections.open" => SlackTier.Tier1,
        "chat.update" or "conversations.open" => SlackTier.Tier3,
        "chat.postEphemeral" or "views.open" or "views.update" or "views.push" or "views.publish" or "users.info"
            or "files.getUploadURLExternal" or "files.completeUploadExternal" or "oauth.v2.access"
            or "auth.test" => SlackTier.Tier4, // auth.test is "special"; Tier 4 is close enough
        _ => SlackTier.Tier3,
    };

    /// <summary>
    /// Waits (through the TimeProvider) until a call of <paramref name="method"/> with this token may
    /// go; <paramref name="channel"/> matters for chat.postMessage only.
    /// </summary>
    /// <exception cref="SlackRateLimitedException">The wait would exceed MaxWait (Local is true).</exception>
    public Task AcquireAsync(string method, string? token, string? channel = null, CancellationToken ct = default)
    {
        var wait = Reserve(method, token, channel);
        if (wait > TimeSpan.Zero) Telemetry.CoordBotTelemetry.RateLimitWait("slack");
        // Through OutboxPacing: an outbox send gives its dispatcher slot up while it waits for its turn.
        return wait > TimeSpan.Zero ? OutboxPacing.DelayAsync(wait, time, ct) : Task.CompletedTask;
    }

    /// <summary>Slack answered 429: nothing more of this kind goes before <paramref name="retryAfter"/> has passed.</summary>
    public void Penalize(string method, string? token, string? channel, TimeSpan retryAfter)
    {
        var (key, rate) = Limits(method, token, channel)[^1]; // the narrowest: the channel for chat.postMessage
        var (_, tolerance) = Spacing(rate);
        lock (_gate)
        {
            var blockedUntil = time.GetUtcNow().UtcTicks + Scale(retryAfter).Ticks + tolerance;
            _nextDue[key] = Math.Max(_nextDue.GetValueOrDefault(key), blockedUntil);
        }
    }

    /// <summary>Waits a Slack-facing duration, scaled by <see cref="SlackRateLimitOptions.TimeScale"/>.</summary>
    public Task DelayAsync(TimeSpan duration, CancellationToken ct = default)
    {
        var scaled = Scale(duration);
        return scaled > TimeSpan.Zero ? OutboxPacing.DelayAsync(scaled, time, ct) : Task.CompletedTask;
    }

    /// <summary>Takes a slot now and returns how long the caller has to wait for it.</summary>
    internal TimeSpan Reserve(string method, string? token, string? channel)
    {
        var limits = Limits(method, token, channel);
        lock (_gate)
        {
            var now = time.GetUtcNow().UtcTicks;
            var grant = now;
            foreach (var (key, rate) in limits)
            {
                var (_, tolerance) = Spacing(rate);
                grant = Math.Max(grant, _nextDue.GetValueOrDefault(key, now) - tolerance);
            }
            var wait = TimeSpan.FromTicks(grant - now);
            if (wait > Scale(Options.MaxWait)) throw new SlackRateLimitedException(method, Unscale(wait), local: true);
            foreach (var (key, rate) in limits)
            {
                var (interval, _) = Spacing(rate);
                _nextDue[key] = Math.Max(_nextDue.GetValueOrDefault(key, now), grant) + interval;
            }
            Prune(now);
            return wait;
        }
    }

    /// <summary>A short, one-way stand-in for a token, so tokens are never kept as keys or shown in dumps.</summary>
    internal static string KeyOf(string? token) =>
        token is null ? "-" : Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)), 0, 12);

    private List<(string Key, SlackRate Rate)> Limits(string method, string? token, string? channel)
    {
        var workspace = KeyOf(token);
        var tier = TierOf(method);
        List<(string, SlackRate)> limits = [($"{workspace}|{method}", RateOf(tier))];
        if (tier == SlackTier.PostMessage && !string.IsNullOrEmpty(channel))
            limits.Add(($"{workspace}|{method}|{channel}", Options.PostMessagePerChannel));
        return limits;
    }

    private SlackRate RateOf(SlackTier tier) => tier switch
    {
        SlackTier.Tier1 => Options.Tier1,
        SlackTier.Tier2 => Options.Tier2,
        SlackTier.Tier4 => Options.Tier4,
        SlackTier.PostMessage => Options.PostMessage,
        _ => Options.Tier3,
    };

    /// <summary>The emission interval and burst tolerance of a rate, in (scaled) ticks.</summary>
    private (long Interval, long Tolerance) Spacing(SlackRate rate)
    {
        if (rate.PerMinute <= 0) return (0, 0);
        var interval = Scale(TimeSpan.FromMinutes(1) / rate.PerMinute).Ticks;
        return (interval, interval * Math.Max(0, rate.Burst - 1));
    }

    private TimeSpan Scale(TimeSpan t) => Options.TimeScale <= 0 ? TimeSpan.Zero : t * Options.TimeScale;

    private TimeSpan Unscale(TimeSpan t) => Options.TimeScale <= 0 ? TimeSpan.Zero : t / Options.TimeScale;

    private void Prune(long now)
    {
        if (_nextDue.Count <= PruneAbove || now - _lastPrune < PruneEvery.Ticks) return;
        _lastPrune = now;
        foreach (var (key, due) in _nextDue.ToList())
            if (due < now) _nextDue.Remove(key);
    }
}
