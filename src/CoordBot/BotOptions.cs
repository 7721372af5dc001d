namespace CoordBot;

/// <summary>
/// The <c>Bot</c> configuration section: where the host is reachable from outside
/// (<c>Bot:PublicBaseUrl</c>, e.g. <c>https://coordbot.example.org</c>), for links in messages,
/// manifests and the Slack OAuth redirect. Bound once by the host; every reader takes this record.
/// </summary>
public sealed record BotOptions
{
    public string? PublicBaseUrl { get; init; }

    /// <summary>The public base URL without a trailing slash, or null when it is not set or not an absolute http(s) URL.</summary>
    public string? PublicBase =>
        PublicBaseUrl is { Length: > 0 } configured
        && Uri.TryCreate(configured.Trim().TrimEnd('/') + "/", UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? uri.GetLeftPart(UriPartial.Path).TrimEnd('/')
            : null;

    /// <summary>True when the public address is https (cookies are then marked Secure).</summary>
    public bool IsHttps => PublicBase?.StartsWith("https://", StringComparison.OrdinalIgnoreCase) == true;
}
