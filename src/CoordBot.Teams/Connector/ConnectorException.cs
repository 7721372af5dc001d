namespace CoordBot.Teams.Connector;

/// <summary>
/// A Bot Connector (or token endpoint) call that failed. <see cref="Status"/> is the HTTP status, or 0
/// when no answer came (<c>network_error</c>, <c>timeout</c>) or nothing was sent (<c>untrusted_service_url</c>).
/// <see cref="Code"/> is the service's <c>error.code</c> (e.g. <c>MessageSizeTooBig</c>) or our own.
/// </summary>
public class ConnectorException(int status, string code, string message, TimeSpan? retryAfter = null) : Exception(message)
{
    /// <summary>Our codes for calls that got no answer; worth trying again later.</summary>
    private static readonly HashSet<string> TransientLocalCodes = new(StringComparer.Ordinal) { "network_error", "timeout" };

    public int Status { get; } = status;

    public string Code { get; } = code;

    /// <summary>How long the service asked us to wait (429), or the back-off we would have waited next; null when retrying will not help.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>
    /// True when sending the same thing again cannot succeed: 4xx other than 408, 412 and 429, and our own refusals.
    /// 5xx, 408, 412, 429, network errors and timeouts are transient.
    /// </summary>
    public bool IsPermanent => Status switch
    {
        0 => !TransientLocalCodes.Contains(Code),
        408 or 412 or 429 => false,
        >= 400 and < 500 => true,
        _ => false,
    };
}
