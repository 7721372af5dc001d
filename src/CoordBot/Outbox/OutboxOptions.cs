namespace CoordBot.Outbox;

/// <summary>Outbox timing and concurrency: how often to look, how long a claim lasts, how retries back off, how much goes at once.</summary>
public sealed record OutboxOptions
{
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan Lease { get; init; } = TimeSpan.FromMinutes(2);
    public TimeSpan FirstRetry { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan MaxRetry { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Failed tries (errors, not rate limiting) before a message is given up.</summary>
    public int MaxAttempts { get; init; } = 12;

    /// <summary>
    /// Messages claimed from the database at a time. Large, because every claim sorts all due rows: a
    /// weekly prompt to 10,000 members is claimed in 20 rounds rather than 100.
    /// </summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>
    /// Platform calls in progress at once, across all workspaces. A send that waits for its
    /// platform's pacing gives its slot up meanwhile (<see cref="OutboxPacing"/>).
    /// </summary>
    public int MaxConcurrentSends { get; init; } = 32;

    /// <summary>
    /// Destinations of one workspace sent to at once (each destination gets one message at a time,
    /// in order). More would only queue at the workspace's own rate limit.
    /// </summary>
    public int MaxConcurrentSendsPerWorkspace { get; init; } = 8;

    /// <summary>Claimed messages held in memory for their turn, in all (their claims are renewed while they wait).</summary>
    public int MaxHeld { get; init; } = 10_000;

    /// <summary>
    /// Claimed messages held for one workspace; more of that workspace's backlog is put back for later
    /// (not as an attempt), so a huge or slow workspace cannot crowd the others out of the claims.
    /// </summary>
    public int MaxHeldPerWorkspace { get; init; } = 1_000;

    /// <summary>
    /// On shutdown, how long a platform call already under way may still take to answer. Waits for
    /// pacing end at once (nothing was posted yet); a call cut off mid-answer may have posted and would
    /// go again after its lease, so it gets this long to finish and be recorded.
    /// </summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// When the oldest due message has waited longer than this, <c>/readyz</c> answers "degraded" (still 200):
    /// the outbox runs but falls behind (rate limits, a platform outage, too few instances).
    /// </summary>
    public TimeSpan DegradedAfter { get; init; } = TimeSpan.FromMinutes(10);
}
