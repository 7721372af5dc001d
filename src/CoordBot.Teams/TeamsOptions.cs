namespace CoordBot.Teams;

/// <summary>Microsoft Teams (Bot Framework) settings, section <c>Teams</c> (docs/configuration.md).</summary>
public sealed record TeamsOptions
{
    /// <summary>The bot's Microsoft App ID (Entra application id). Without it <c>POST /api/messages</c> is off.</summary>
    public string? AppId { get; init; }

    /// <summary>The app's client secret, for outbound tokens.</summary>
    public string? AppPassword { get; init; }

    /// <summary>The bot's Entra tenant (required for <c>SingleTenant</c>).</summary>
    public string? TenantId { get; init; }

    /// <summary><c>SingleTenant</c> (default: Azure no longer accepts new multi-tenant bots) or <c>MultiTenant</c>.</summary>
    public string AppType { get; init; } = "SingleTenant";

    /// <summary>OpenID metadata for inbound Bot Framework tokens; may be plain http on loopback for tests.</summary>
    public string OpenIdMetadataUrl { get; init; } = "https://login.botframework.com/v1/.well-known/openidconfiguration";

    /// <summary>
    /// Full URL of the OAuth token endpoint for outbound tokens; default derived from <see cref="TenantId"/>
    /// (or <c>botframework.com</c> for multi-tenant). May be plain http on loopback for tests.
    /// </summary>
    public string? TokenEndpoint { get; init; }

    /// <summary>
    /// Where single-tenant Entra-issued inbound tokens get their keys; <c>{tenant}</c> is replaced. May be
    /// plain http on loopback for tests.
    /// </summary>
    public string EntraMetadataUrlTemplate { get; init; } = "https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration";

    /// <summary>
    /// The activity <c>channelId</c>s that reach the router (default <c>msteams</c> only). Other channels of
    /// an Azure Bot (Web Chat, Direct Line, the Emulator) let their clients choose the tenant and the user,
    /// so their activities are refused with 403 even when the signing key is endorsed for them.
    /// (Empty means the default: configuration binding appends to an array, so the default is not written here.)
    /// </summary>
    public string[] AllowedChannelIds { get; init; } = [];

    /// <summary><see cref="AllowedChannelIds"/>, or <c>msteams</c> alone when none are configured.</summary>
    public IReadOnlyList<string> EffectiveChannelIds =>
        AllowedChannelIds.Where(c => !string.IsNullOrWhiteSpace(c)).Select(c => c.Trim()).ToArray() is { Length: > 0 } listed ? listed : ["msteams"];

    /// <summary>
    /// Entra-issued inbound tokens (issuer <c>login.microsoftonline.com/{tenant}/v2.0</c> or
    /// <c>sts.windows.net/{tenant}/</c>) are accepted only when their caller, <c>azp</c> (v2.0) or
    /// <c>appid</c> (v1.0), is listed here. Empty by default: any member of a tenant can get such a token
    /// for the bot's app id from an app they register, and Microsoft documents no fixed caller id for the
    /// Bot Connector service, so only Bot Framework-issued tokens are accepted unless an operator lists callers.
    /// </summary>
    public string[] AllowedCallerAppIds { get; init; } = [];

    public bool IsSingleTenant => !string.Equals(AppType, "MultiTenant", StringComparison.OrdinalIgnoreCase);

    /// <summary>The token endpoint in effect.</summary>
    public string EffectiveTokenEndpoint => TokenEndpoint is { Length: > 0 } configured ? configured
        : $"https://login.microsoftonline.com/{(IsSingleTenant ? TenantId : "botframework.com")}/oauth2/v2.0/token";

    /// <summary>True for an http(s) URL on a loopback host: the only place plain http is allowed.</summary>
    public static bool IsLoopback(Uri url) => url.IsLoopback;
}
