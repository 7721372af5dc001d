using System.Collections.Concurrent;

namespace CoordBot.Teams.Connector;

/// <summary>
/// The serviceUrls that arrived in validated inbound activities. The Connector client only sends
/// the bot's token to these, so a forged or stored URL cannot make it leak the token elsewhere.
/// URLs are compared by scheme, host (case-insensitive), port and path (trailing slash ignored).
/// </summary>
public sealed class TrustedServiceUrls
{
    private readonly ConcurrentDictionary<string, byte> _trusted = new(StringComparer.Ordinal);

    /// <summary>
    /// Trusts <paramref name="serviceUrl"/> from now on. Anything but an absolute https URL (or http on
    /// loopback) without user info, query or fragment is ignored, and so never trusted.
    /// </summary>
    /// <returns>False when the URL is one that is never trusted.</returns>
    public bool Trust(string serviceUrl)
    {
        if (Normalize(serviceUrl) is not { } key) return false;
        _trusted.TryAdd(key, 0);
        return true;
    }

    public bool IsTrusted(string serviceUrl) => Normalize(serviceUrl) is { } key && _trusted.ContainsKey(key);

    /// <summary><c>scheme://host:port/path</c> with the host lower-cased and no trailing slash; null for a URL we never trust.</summary>
    internal static string? Normalize(string? serviceUrl)
    {
        if (string.IsNullOrWhiteSpace(serviceUrl) || !Uri.TryCreate(serviceUrl.Trim(), UriKind.Absolute, out var url)) return null;
        var allowedScheme = url.Scheme == Uri.UriSchemeHttps || (url.Scheme == Uri.UriSchemeHttp && TeamsOptions.IsLoopback(url));
        if (!allowedScheme || url.UserInfo.Length > 0 || url.Query.Length > 0 || url.Fragment.Length > 0) return null;
        return $"{url.Scheme}://{url.IdnHost.ToLowerInvariant()}:{url.Port}{url.AbsolutePath.TrimEnd('/')}";
    }
}
