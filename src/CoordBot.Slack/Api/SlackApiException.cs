using System.Globalization;

namespace CoordBot.Slack.Api;

/// <summary>
/// A Slack Web API call that did not succeed: Slack's own <c>ok:false</c> error name, or one we
/// give to transport failures (<c>http_503</c>, <c>invalid_response</c>, <c>timeout</c>,
/// <c>network_error</c>). The message names the method and the error only, never a token.
/// </summary>
public class SlackApiException : Exception
{
    /// <summary>Errors worth another try later; every other error is permanent (Slack's errors mostly are).</summary>
    private static readonly HashSet<string> TransientErrors = new(StringComparer.Ordinal)
    {
        "internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited", "rate_limited",
        "timeout", "network_error", "invalid_response", "team_added_to_org", "http_408", "http_429",
    };

    public SlackApiException(string method, string error) : this(method, error, null) { }

    public SlackApiException(string method, string error, Exception? inner)
        : this(method, error, $"Slack {method} failed: {error}", inner) { }

    private protected SlackApiException(string method, string error, string message, Exception? inner) : base(message, inner)
    {
        Method = method;
        Error = error;
    }

    /// <summary>The Web API method (<c>chat.postMessage</c>), or <c>response_url</c> / <c>files.upload</c> for the non-method posts.</summary>
    public string Method { get; }

    /// <summary>Slack's error name (<c>channel_not_found</c>) or ours (<c>http_503</c>).</summary>
    public string Error { get; }

    /// <summary>True when retrying cannot help (bad token, missing scope, bad arguments, channel gone).</summary>
    public virtual bool IsPermanent => IsPermanentError(Error);

    /// <summary>Whether an error name means retrying cannot help: anything not known to be transient, and HTTP 4xx other than 408/429.</summary>
    public static bool IsPermanentError(string error) =>
        !TransientErrors.Contains(error) && !error.StartsWith("http_5", StringComparison.Ordinal);
}

/// <summary>
/// Slack answered 429 with a <c>Retry-After</c> longer than we wait (or kept answering 429), or our
/// own limiter refused the call before it reached Slack (<see cref="Local"/>) because it would have
/// had to wait longer than <see cref="SlackRateLimitOptions.MaxWait"/>.
/// </summary>
public sealed class SlackRateLimitedException(string method, TimeSpan retryAfter, bool local)
    : SlackApiException(method, "ratelimited", string.Create(CultureInfo.InvariantCulture,
        $"Slack {method} is rate limited{(local ? " (refused locally)" : "")}; retry after {retryAfter.TotalSeconds:0.###} s"), null)
{
    /// <summary>How long to wait before the call can go through.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;

    /// <summary>True when our limiter refused before calling Slack; false when Slack answered 429.</summary>
    public bool Local { get; } = local;

    public override bool IsPermanent => false;
}
