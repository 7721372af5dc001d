using System.Threading.RateLimiting;
using CoordBot.Outbox;

namespace CoordBot.Teams.Connector;

/// <summary>One of Teams' throttling windows: at most <paramref name="Limit"/> calls in any <paramref name="Window"/>.</summary>
public sealed record TeamsRateWindow(int Limit, TimeSpan Window);

/// <summary>How hard CoordBot holds itself back before Teams has to (learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit).</summary>
public sealed record TeamsRateLimitOptions
{
    /// <summary>Per bot per conversation (a 1:1 chat, group chat or channel), for sends and conversation creation: 7 per second, 8 per 2 s, 60 per 30 s, 1,800 per hour.</summary>
    public IReadOnlyList<TeamsRateWindow> PerConversation { get; init; } =
    [
        new(7, TimeSpan.FromSeconds(1)), new(8, TimeSpan.FromSeconds(2)), new(60, TimeSpan.FromSeconds(30)), new(1800, TimeSpan.FromHours(1)),
    ];

    /// <summary>Per app per tenant, all conversations together: 50 a second (the current Learn page; an older copy said 30).</summary>
    public IReadOnlyList<TeamsRateWindow> PerTenant { get; init; } = [new(50, TimeSpan.FromSeconds(1))];

    /// <summary>Kept on top of every window, for clock and scheduling jitter between us and Teams.</summary>
    public TimeSpan Margin { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Multiplies every window (not the margin): tests and the benchmark run Teams' limits slower or faster.</summary>
    public double TimeScale { get; init; } = 1.0;
}

/// <summary>
/// Paces Connector calls to Teams' throttling windows with System.Threading.RateLimiting: per
/// tenant (50 a second per app) and per conversation (7 a second, 8 per 2 s, 60 per 30 s, 1,800 an
/// hour). Teams counts calls as they arrive, so a window "N in any T" must hold even when a call
/// reaches Teams late (a new connection, a busy thread pool). Each window of up to a minute is
/// therefore a <see cref="ConcurrencyLimiter"/> of N permits, and a permit is given back only T
/// (plus a margin) after its call has ended: any two calls N apart then reach Teams at least T
/// apart, whatever the latency, and N calls can go at once. The hour window would keep a permit (and
/// a timer) per call for an hour, so it is a <see cref="SlidingWindowRateLimiter"/> stretched by 2%
/// instead, where a late call is lost in the slack. Conversation windows are taken first and the
/// tenant's last, just before the call. A wait gives the outbox's send slot up
/// (<see cref="OutboxPacing"/>). The limiters use the system's monotonic clock, not the
/// <see cref="TimeProvider"/>: tests run with short windows (<see cref="TeamsRateLimitOptions.TimeScale"/>).
/// </summary>
public sealed class TeamsRateLimiter : IAsyncDisposable
{
    private static readonly TimeSpan LongWindow = TimeSpan.FromMinutes(1);
    // Per-conversation sliding windows share the partitioned limiter's 100 ms heartbeat (no timer each).
    private static readonly TimeSpan Heartbeat = TimeSpan.FromMilliseconds(100);

    private readonly Lazy<List<Window>> _conversation;
    private readonly Lazy<List<Window>> _tenant;

    public TeamsRateLimiter(TeamsRateLimitOptions? options = null)
    {
        Options = options ?? new TeamsRateLimitOptions();
        // Longest window first: the last permit taken is the one nearest to the call.
        _conversation = new(() => Options.PerConversation.OrderByDescending(w => w.Window).Select(Create).ToList());
        _tenant = new(() => Options.PerTenant.OrderByDescending(w => w.Window).Select(Create).ToList());
    }

    public TeamsRateLimitOptions Options { get; }

    /// <summary>
    /// Waits until a call to <paramref name="conversationId"/> in <paramref name="tenantId"/> may go (either may be null:
    /// not paced on that key). Dispose the permit when the call has ended, answered or not.
    /// </summary>
    public async Task<IDisposable> AcquireAsync(string? tenantId, string? conversationId, CancellationToken ct)
    {
        var permit = new Permit();
        try
        {
            if (!string.IsNullOrEmpty(conversationId))
                foreach (var window in _conversation.Value) permit.Add(await window.AcquireAsync(conversationId, ct), window.Hold);
            if (!string.IsNullOrEmpty(tenantId))
                foreach (var window in _tenant.Value) permit.Add(await window.AcquireAsync(tenantId, ct), window.Hold);
            return permit;
        }
        catch
        {
            permit.Abandon();
            throw;
        }
    }

    private Window Create(TeamsRateWindow window)
    {
        var scaled = window.Window * Options.TimeScale;
        if (scaled <= LongWindow)
        {
            var concurrency = new ConcurrencyLimiterOptions { PermitLimit = window.Limit, QueueLimit = int.MaxValue, QueueProcessingOrder = QueueProcessingOrder.OldestFirst };
            return new Window(PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetConcurrencyLimiter(key, _ => concurrency), StringComparer.Ordinal),
                scaled + Options.Margin);
        }
        // A permit comes back when its segment leaves the window, up to one segment early: stretch by
        // S/(S−1), then 2% for late calls.
        var segments = (int)Math.Clamp(scaled / Heartbeat, 2, 20);
        var sliding = new SlidingWindowRateLimiterOptions
        {
            PermitLimit = window.Limit, Window = scaled * 1.02 * segments / (segments - 1), SegmentsPerWindow = segments,
            QueueLimit = int.MaxValue, QueueProcessingOrder = QueueProcessingOrder.OldestFirst, AutoReplenishment = false,
        };
        return new Window(PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetSlidingWindowLimiter(key, _ => sliding), StringComparer.Ordinal),
            TimeSpan.Zero);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var set in new[] { _conversation, _tenant })
            if (set.IsValueCreated)
                foreach (var window in set.Value) await window.Limiter.DisposeAsync();
    }

    /// <summary>One window's limiter, and how long a permit is kept after its call ends (zero: given back at once).</summary>
    private sealed record Window(PartitionedRateLimiter<string> Limiter, TimeSpan Hold)
    {
        public async Task<RateLimitLease> AcquireAsync(string key, CancellationToken ct)
        {
            var now = Limiter.AttemptAcquire(key);
            if (now.IsAcquired) return now;
            now.Dispose();
            CoordBot.Telemetry.CoordBotTelemetry.RateLimitWait("teams");
            var lease = await OutboxPacing.WaitAsync(stop => Limiter.AcquireAsync(key, 1, stop).AsTask(), ct);
            if (!lease.IsAcquired) throw new InvalidOperationException("The Teams rate limiter refused a wait.");
            return lease;
        }
    }

    /// <summary>The leases one call holds; disposing it gives each back after its window's hold.</summary>
    private sealed class Permit : IDisposable
    {
        private readonly List<(RateLimitLease Lease, TimeSpan Hold)> _leases = [];
        private bool _done;

        public void Add(RateLimitLease lease, TimeSpan hold) => _leases.Add((lease, hold));

        /// <summary>No call was made: every lease goes back now.</summary>
        public void Abandon()
        {
            _done = true;
            foreach (var (lease, _) in _leases) lease.Dispose();
        }

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            foreach (var (lease, hold) in _leases)
            {
                if (hold <= TimeSpan.Zero) lease.Dispose();
                else _ = Task.Delay(hold).ContinueWith(_ => lease.Dispose(), TaskScheduler.Default);
            }
        }
    }
}
