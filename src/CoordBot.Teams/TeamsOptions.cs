namespace CoordBot.Teams;

/// <summary>Microsoft Teams (Bot Framework) settings, section <c>Teams</c> (see docs/configuration.md).</summary>
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
    /// The channels whose activities reach the bot (default <c>["msteams"]</c>). Others, such as
    /// <c>webchat</c> or <c>directline</c> whose clients state tenant and user themselves, get 403 even
    /// when the Bot Framework signed them.
    /// </summary>
    public string[]? AllowedChannelIds { get; init; }

    /// <summary>
    /// Opt-in: the Entra application ids (the token's <c>azp</c>, or <c>appid</c> in v1.0 tokens) whose
    /// Entra-issued tokens for the configured tenant a single-tenant bot accepts besides Bot Framework
    /// tokens. Empty by default: only tokens issued by <c>https://api.botframework.com</c> are accepted.
    /// </summary>
    public string[]? AllowedCallerAppIds { get; init; }

    /// <summary>The channel ids in effect.</summary>
    public IReadOnlyList<string> ChannelIds => AllowedChannelIds is { Length: > 0 } ids ? ids : ["msteams"];

    /// <summary>True when Entra-issued tokens are accepted at all: a single-tenant bot with a tenant and an allow-list of callers.</summary>
    public bool AcceptsEntraTokens => IsSingleTenant && TenantId is { Length: > 0 } && AllowedCallerAppIds is { Length: > 0 };

    public bool IsSingleTenant => !string.Equals(AppType, "MultiTenant", StringComparison.OrdinalIgnoreCase);

    /// <summary>The token endpoint in effect.</summary>
    public string EffectiveTokenEndpoint => TokenEndpoint is { Length: > 0 } configured ? configured
        : $"https://login.microsoftonline.com/{(IsSingleTenant ? TenantId : "botframework.com")}/oauth2/v2.0/token";

    /// <summary>True for an http(s) URL on a loopback host: the only place plain http is allowed.</summary>
    public static bool IsLoopback(Uri url) => url.IsLoopback;
}
