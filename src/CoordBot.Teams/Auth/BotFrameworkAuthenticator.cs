using System.Security.Claims;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CoordBot.Teams.Auth;

/// <summary>
/// Checks the <c>Authorization: Bearer</c> token on an inbound Bot Framework request the way the
/// Connector documents it (learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication):
/// an RS256/RS384/RS512 JWT signed by a key from the metadata's <c>jwks_uri</c>, issuer
/// <c>https://api.botframework.com</c>, audience the bot's app id, within its lifetime give or take five
/// minutes on the injected clock, a <c>serviceurl</c> claim equal to the activity's <c>serviceUrl</c>
/// (which must be present), and a signing key endorsed for the activity's channel (else 403).
/// Entra-issued tokens are refused unless the operator opts in with <c>Teams:AllowedCallerAppIds</c>
/// (single-tenant bots only): then a token from the configured tenant (keys from the tenant's metadata;
/// audience the app id, <c>api://{appId}</c> or <c>api://botid-{appId}</c>) is accepted when its
/// <c>tid</c> is that tenant and its caller (<c>azp</c>, or <c>appid</c> in v1.0 tokens) is on the list.
/// Never throws and never logs the token: every failure is a result with a reason.
/// </summary>
public sealed class BotFrameworkAuthenticator
{
    public const string BotFrameworkIssuer = "https://api.botframework.com";
    public const string ServiceUrlClaim = "serviceurl";
    public const string TenantIdClaim = "tid";

    /// <summary>The identity's authentication type for a token the Bot Framework issued.</summary>
    public const string BotFrameworkAuthentication = "BotFramework";

    /// <summary>The identity's authentication type for an Entra-issued token (accepted only from allowed callers).</summary>
    public const string EntraAuthentication = "Entra";
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    private static readonly string[] AllowedAlgorithms =
        [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512];

    private readonly TeamsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<BotFrameworkAuthenticator> _logger;
    private readonly JsonWebTokenHandler _handler = new();
    private readonly SigningKeySource _botFramework;
    private readonly SigningKeySource? _entra;
    private readonly string[] _entraIssuers = [];
    private readonly string[] _entraCallers = [];

    public BotFrameworkAuthenticator(TeamsOptions options, HttpClient http, TimeProvider time, ILogger<BotFrameworkAuthenticator> logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
        _botFramework = new SigningKeySource(options.OpenIdMetadataUrl, http, time, () => RefreshInterval);
        if (options.AcceptsEntraTokens)
        {
            var tenant = options.TenantId!;
            var metadataUrl = options.EntraMetadataUrlTemplate.Replace("{tenant}", Uri.EscapeDataString(tenant), StringComparison.Ordinal);
            _entra = new SigningKeySource(metadataUrl, http, time, () => RefreshInterval);
            _entraIssuers = [$"https://login.microsoftonline.com/{tenant}/v2.0", $"https://sts.windows.net/{tenant}/"];
            _entraCallers = [.. options.AllowedCallerAppIds!.Where(id => !string.IsNullOrWhiteSpace(id)).Select(id => id.Trim())];
        }
    }

    /// <summary>
    /// The least time between two key refetches forced by an unknown <c>kid</c> (default one minute,
    /// on the injected clock). Tests set it to zero.
    /// </summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Checks a request's <c>Authorization</c> header against the activity it carries. A missing or
    /// empty <paramref name="serviceUrl"/> is refused; a signing key with endorsements must list
    /// <paramref name="channelId"/> exactly (so a missing channel id fails there).
    /// </summary>
    public Task<TeamsAuthResult> AuthenticateAsync(string? authorizationHeader, string? serviceUrl, string? channelId, CancellationToken ct) =>
        GuardAsync(() => CheckAsync(authorizationHeader, new ActivityFacts(serviceUrl, channelId), ct), ct);

    /// <summary>
    /// Checks the token alone, for a body that could not be read as an activity: only so that an
    /// authenticated caller is told the body is bad (400) while anyone else learns nothing (401).
    /// </summary>
    public Task<TeamsAuthResult> AuthenticateTokenAsync(string? authorizationHeader, CancellationToken ct) =>
        GuardAsync(() => CheckAsync(authorizationHeader, null, ct), ct);

    private async Task<TeamsAuthResult> GuardAsync(Func<Task<TeamsAuthResult>> check, CancellationToken ct)
    {
        TeamsAuthResult result;
        try
        {
            result = await check();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            result = TeamsAuthResult.Unauthenticated("request cancelled");
        }
        catch (SecurityTokenException ex)
        {
            result = TeamsAuthResult.Unauthenticated(Describe(ex));
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Bot Framework token check failed unexpectedly");
            result = TeamsAuthResult.Unauthenticated("token could not be validated");
        }

        if (!result.Succeeded) _logger.LogInformation("Refused a Bot Framework request ({Status}): {Reason}", result.Status, result.Reason);
        return result;
    }

    /// <summary>What the token is checked against; null when the body could not be read.</summary>
    private sealed record ActivityFacts(string? ServiceUrl, string? ChannelId);

    private async Task<TeamsAuthResult> CheckAsync(string? header, ActivityFacts? activity, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(_options.AppId)) return TeamsAuthResult.Unauthenticated("the bot's app id is not configured");
        if (string.IsNullOrWhiteSpace(header)) return TeamsAuthResult.Unauthenticated("missing Authorization header");

        var trimmed = header.Trim();
        var space = trimmed.IndexOf(' ');
        var scheme = space < 0 ? trimmed : trimmed[..space];
        if (!scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase)) return TeamsAuthResult.Unauthenticated("Authorization scheme is not Bearer");
        var token = space < 0 ? "" : trimmed[(space + 1)..].Trim();
        if (token.Length == 0) return TeamsAuthResult.Unauthenticated("missing bearer token");

        JsonWebToken jwt;
        try
        {
            jwt = _handler.ReadJsonWebToken(token);
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenException)
        {
            return TeamsAuthResult.Unauthenticated("malformed token");
        }

        if (jwt.IsEncrypted || !AllowedAlgorithms.Contains(jwt.Alg, StringComparer.Ordinal))
            return TeamsAuthResult.Unauthenticated($"signing algorithm '{Shorten(jwt.Alg)}' is not accepted");

        if (RouteFor(jwt.Issuer) is not { } route) return TeamsAuthResult.Unauthenticated("issuer not accepted");
        if (string.IsNullOrEmpty(jwt.Kid)) return TeamsAuthResult.Unauthenticated("token has no key id");

        SigningKeySource.KeySet keys;
        try
        {
            keys = await route.Keys.GetForKeyIdAsync(jwt.Kid, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogWarning(ex, "Could not load Bot Framework signing keys from {MetadataUrl}", route.Keys.MetadataUrl);
            return TeamsAuthResult.Unauthenticated("could not load the signing keys");
        }

        if (keys.Find(jwt.Kid) is not { } key) return TeamsAuthResult.Unauthenticated("signing key not found");

        var parameters = new TokenValidationParameters
        {
            ValidIssuer = route.Issuer,
            ValidAudiences = route.Audiences,
            IssuerSigningKey = key,
            TryAllIssuerSigningKeys = false,
            ValidAlgorithms = AllowedAlgorithms,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = ClockSkew,
            LifetimeValidator = CheckLifetime,
            AuthenticationType = route.IsEntra ? EntraAuthentication : BotFrameworkAuthentication,
        };
        var validation = await _handler.ValidateTokenAsync(jwt, parameters);
        if (!validation.IsValid) return TeamsAuthResult.Unauthenticated(Describe(validation.Exception));
        var identity = validation.ClaimsIdentity;

        if (route.IsEntra && CheckEntraCaller(identity) is { } refusal) return refusal;
        if (activity is null) return TeamsAuthResult.Ok(identity);

        // The serviceUrl is where replies (and the bot's own token) go: it is never left unchecked.
        if (string.IsNullOrWhiteSpace(activity.ServiceUrl)) return TeamsAuthResult.Unauthenticated("the activity has no serviceUrl");
        var claimed = identity.FindFirst(ServiceUrlClaim)?.Value;
        if (string.IsNullOrEmpty(claimed))
        {
            // Entra tokens carry no serviceurl claim; only a Bot Framework token must vouch for it.
            if (!route.IsEntra) return TeamsAuthResult.Unauthenticated("token has no serviceurl claim");
        }
        else if (!SameServiceUrl(claimed, activity.ServiceUrl))
        {
            return TeamsAuthResult.Unauthenticated("serviceUrl claim does not match the activity");
        }

        var channelId = activity.ChannelId;
        if (keys.EndorsementsOf(jwt.Kid) is { } channels && (channelId is null || !channels.Contains(channelId, StringComparer.Ordinal)))
            return TeamsAuthResult.Forbidden($"signing key is not endorsed for channel '{Shorten(channelId)}'");

        return TeamsAuthResult.Ok(identity);
    }

    /// <summary>
    /// Where a token's keys come from, by its (not yet validated) issuer. The issuer matched here,
    /// case-insensitively for the tenant, is the one the handler then requires.
    /// </summary>
    private Route? RouteFor(string? issuer)
    {
        var appId = _options.AppId!;
        if (string.Equals(issuer, BotFrameworkIssuer, StringComparison.Ordinal))
            return new Route(_botFramework, BotFrameworkIssuer, [appId], IsEntra: false);
        if (_entra is not null && _entraIssuers.Contains(issuer, StringComparer.OrdinalIgnoreCase))
            return new Route(_entra, issuer!, [appId, $"api://{appId}", $"api://botid-{appId}"], IsEntra: true);
        return null;
    }

    /// <summary>
    /// An Entra token is only as good as the app that asked for it: any app in the tenant can get one for
    /// the bot's app id. So the caller (<c>azp</c> in v2.0 tokens, <c>appid</c> in v1.0) must be on
    /// <c>Teams:AllowedCallerAppIds</c>, and <c>tid</c> must be the configured tenant.
    /// </summary>
    private TeamsAuthResult? CheckEntraCaller(ClaimsIdentity identity)
    {
        var caller = identity.FindFirst("azp")?.Value is { Length: > 0 } azp ? azp : identity.FindFirst("appid")?.Value;
        if (string.IsNullOrEmpty(caller) || !_entraCallers.Contains(caller, StringComparer.OrdinalIgnoreCase))
            return TeamsAuthResult.Unauthenticated("the Entra token's caller app is not on Teams:AllowedCallerAppIds");
        if (!string.Equals(identity.FindFirst(TenantIdClaim)?.Value, _options.TenantId, StringComparison.OrdinalIgnoreCase))
            return TeamsAuthResult.Unauthenticated("the Entra token's tid is not this bot's tenant");
        return null;
    }

    /// <summary>Lifetime on the injected clock (the handler's own check reads the system clock).</summary>
    private bool CheckLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        if (expires is not { } exp) throw new SecurityTokenNoExpirationException("token has no expiry");
        if (notBefore is { } nbf && nbf > exp) throw new SecurityTokenInvalidLifetimeException("token lifetime is invalid");
        if (notBefore is { } start && start > now + ClockSkew) throw new SecurityTokenNotYetValidException("token not yet valid");
        if (exp < now - ClockSkew) throw new SecurityTokenExpiredException("token expired");
        return true;
    }

    internal static bool SameServiceUrl(string claimed, string activity) =>
        string.Equals(TrimOneSlash(claimed), TrimOneSlash(activity), StringComparison.OrdinalIgnoreCase);

    private static string TrimOneSlash(string url) => url.EndsWith('/') ? url[..^1] : url;

    private static string Describe(Exception? ex) => ex switch
    {
        SecurityTokenExpiredException => "token expired",
        SecurityTokenNotYetValidException => "token not yet valid",
        SecurityTokenNoExpirationException => "token has no expiry",
        SecurityTokenInvalidLifetimeException => "token lifetime is invalid",
        SecurityTokenInvalidAudienceException => "audience mismatch",
        SecurityTokenInvalidIssuerException => "issuer not accepted",
        SecurityTokenInvalidAlgorithmException => "signing algorithm is not accepted",
        SecurityTokenSignatureKeyNotFoundException => "signing key not found",
        SecurityTokenInvalidSignatureException => "invalid signature",
        SecurityTokenMalformedException => "malformed token",
        _ => "token validation failed",
    };

    private static string Shorten(string? value) => value is null ? "" : value.Length <= 24 ? value : value[..24] + "…";

    private sealed record Route(SigningKeySource Keys, string Issuer, string[] Audiences, bool IsEntra);
}
