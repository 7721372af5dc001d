namespace CoordBot.Outbox;

/// <summary>What a channel's sender reports for one message.</summary>
public abstract record SendResult
{
    public static readonly SendResult Sent = new SentResult();
    public sealed record SentResult : SendResult;
    /// <summary>Worth another try (5xx, timeouts); <paramref name="RetryAfter"/> is the platform's own wait, when it gave one. Counts as an attempt.</summary>
    public sealed record Transient(string Error, TimeSpan? RetryAfter = null) : SendResult;
    /// <summary>
    /// The platform answered 429, or our own pacing of it would have waited too long: the message goes
    /// again after <paramref name="RetryAfter"/>. Never counts as an attempt, so pacing alone cannot fail a message.
    /// </summary>
    /// <remarks><paramref name="NothingPosted"/>: this try certainly delivered nothing and no earlier one may have, so the next try need not look.</remarks>
    public sealed record RateLimited(TimeSpan RetryAfter, string Error = "ratelimited", bool NothingPosted = false) : SendResult;
    /// <summary>Will never work (channel gone, token revoked); the message is marked failed.</summary>
    public sealed record Permanent(string Error) : SendResult;
}
