namespace CoordBot.Tests.Support;

/// <summary>
/// Slack's documented rate limits as <see cref="FakeSlackApi"/> enforces them when
/// <see cref="FakeSlackApi.Limits"/> is set (https://docs.slack.dev/apis/web-api/rate-limits): chat.postMessage about one a second per
/// channel and 300 a minute per workspace (our reading of "several hundred"), Tier 3 methods
/// (conversations.open, chat.update) 50 a minute per workspace. Each is a rate with a burst
/// allowance (Slack: "bursts tolerated"; ours: 3 per channel, 30 per workspace, 10 for Tier 3), checked
/// as a generic cell rate on arrival times. <see cref="Tolerance"/> lets a call through that arrives
/// that much early, for network and scheduling jitter between a client's clock and ours.
/// </summary>
public sealed record FakeSlackLimits
{
    public FakeRate PostMessagePerChannel { get; init; } = new(60, 3);
    public FakeRate PostMessagePerWorkspace { get; init; } = new(300, 30);
    public FakeRate Tier3 { get; init; } = new(50, 10);
    public TimeSpan Tolerance { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Multiplies every interval (tests run Slack's timing faster with a scale below 1).</summary>
    public double TimeScale { get; init; } = 1.0;

    public static readonly HashSet<string> Tier3Methods = ["conversations.open", "conversations.history", "chat.update"];
}

/// <summary><paramref name="PerMinute"/> calls a minute, of which <paramref name="Burst"/> may come at once.</summary>
public sealed record FakeRate(double PerMinute, int Burst);

/// <summary>
/// Teams' throttling as <see cref="FakeBotConnector"/> enforces it when <see cref="FakeBotConnector.Limits"/>
/// is set (https://learn.microsoft.com/en-us/microsoftteams/platform/bots/how-to/rate-limit): per conversation 7 per 1 s, 8 per 2 s, 60 per 30 s, 1,800 per hour; per tenant
/// 50 per second. "N per T" is read strictly: no T-long span of arrivals holds more than N calls.
/// </summary>
public sealed record FakeTeamsLimits
{
    public IReadOnlyList<(int Limit, TimeSpan Window)> PerConversation { get; init; } =
        [(7, TimeSpan.FromSeconds(1)), (8, TimeSpan.FromSeconds(2)), (60, TimeSpan.FromSeconds(30)), (1800, TimeSpan.FromHours(1))];
    public IReadOnlyList<(int Limit, TimeSpan Window)> PerTenant { get; init; } = [(50, TimeSpan.FromSeconds(1))];

    /// <summary>Multiplies every window.</summary>
    public double TimeScale { get; init; } = 1.0;

    /// <summary>Whether a 429 carries Retry-After (Teams documents only "back off"; off tests the client's own back-off).</summary>
    public bool SendRetryAfter { get; init; } = true;
}

/// <summary>
/// Generic cell rate checks, one theoretical arrival time per key: a call at <c>t</c> passes when
/// <c>t ≥ TAT − (burst − 1)·interval − tolerance</c>, and then moves TAT to <c>max(TAT, t) + interval</c>.
/// Several keys are checked together and charged only when all pass. Not thread-safe (the fakes lock).
/// </summary>
public sealed class CellRateLimits(TimeSpan tolerance)
{
    private readonly Dictionary<string, long> _tat = new(StringComparer.Ordinal);

    /// <summary>Null when the call passes (and is charged), else how long until it would.</summary>
    public TimeSpan? Check(DateTimeOffset at, params (string Key, TimeSpan Interval, int Burst)[] limits)
    {
        var now = at.UtcTicks;
        var wait = 0L;
        foreach (var (key, interval, burst) in limits)
        {
            var allowedFrom = _tat.GetValueOrDefault(key, now) - interval.Ticks * Math.Max(0, burst - 1) - tolerance.Ticks;
            wait = Math.Max(wait, allowedFrom - now);
        }
        if (wait > 0) return TimeSpan.FromTicks(wait);
        foreach (var (key, interval, _) in limits)
            _tat[key] = Math.Max(_tat.GetValueOrDefault(key, now), now) + interval.Ticks;
        return null;
    }
}

/// <summary>
/// Exact sliding windows per key: the last N arrival times of each (key, window); a call passes when
/// fewer than N arrived in the window before it. Several keys are checked together and charged only
/// when all pass. Not thread-safe (the fakes lock).
/// </summary>
public sealed class SlidingLogLimits
{
    private readonly Dictionary<string, Queue<long>> _log = new(StringComparer.Ordinal);

    /// <summary>Null when the call passes (and is recorded), else how long until it would.</summary>
    public TimeSpan? Check(DateTimeOffset at, params (string Key, int Limit, TimeSpan Window)[] limits)
    {
        var now = at.UtcTicks;
        var wait = 0L;
        foreach (var (key, limit, window) in limits)
        {
            if (!_log.TryGetValue(Id(key, window), out var arrivals)) continue;
            while (arrivals.Count > 0 && arrivals.Peek() <= now - window.Ticks) arrivals.Dequeue();
            if (arrivals.Count >= limit) wait = Math.Max(wait, arrivals.ElementAt(arrivals.Count - limit) + window.Ticks - now);
        }
        if (wait > 0) return TimeSpan.FromTicks(wait);
        foreach (var (key, limit, window) in limits)
        {
            var id = Id(key, window);
            if (!_log.TryGetValue(id, out var arrivals)) _log[id] = arrivals = new Queue<long>();
            arrivals.Enqueue(now);
            while (arrivals.Count > limit) arrivals.Dequeue();
        }
        return null;
    }

    private static string Id(string key, TimeSpan window) => $"{key}|{window.Ticks}";
}
