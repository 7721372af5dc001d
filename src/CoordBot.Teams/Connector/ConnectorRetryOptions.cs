namespace CoordBot.Teams.Connector;

/// <summary>How <see cref="ConnectorClient"/> retries throttled (429) and transient (5xx, 408, 412, network) failures.</summary>
public sealed record ConnectorRetryOptions
{
    /// <summary>Attempts in all, the first included (a 401 answered by a fresh token does not count).</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>The first back-off; each later one doubles, with random jitter (×0.5 to ×1.0).</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The most one call waits in all; a Retry-After that would pass it ends the call instead.</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromSeconds(30);
}
