using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CoordBot.Teams;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CoordBot.Tests.Support;

/// <summary>
/// The Bot Framework's token issuer on Kestrel (127.0.0.1, a free port): OpenID metadata at
/// <c>/v1/.well-known/openidconfiguration</c> and its JWKS at <c>/v1/.well-known/keys</c> (each key
/// with an <c>endorsements</c> array, <c>["msteams"]</c> unless set otherwise), plus an Entra-style pair
/// at <c>/{tenant}/v2.0/.well-known/openid-configuration</c> and <c>/{tenant}/discovery/v2.0/keys</c>
/// (one key for every tenant, no endorsements). Mints RS256 tokens with the current key on the clock
/// given to <see cref="StartAsync"/>, and bad ones on request.
/// </summary>
public sealed class FakeBotFrameworkIdentity : IAsyncDisposable
{
    public const string BotFrameworkIssuer = "https://api.botframework.com";

    // RSA key generation is slow; fakes share a pool (each fake gives the keys its own ids).
    private static readonly Lock PoolGate = new();
    private static readonly List<RSA> Pool = [];

    private readonly WebApplication _app;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly SigningKey _entra;
    private readonly SigningKey _unknown;
    private SigningKey _current;
    private string[]? _endorsements = ["msteams"];
    private int _nextPoolKey;
    private int _metadataRequests;
    private int _keysRequests;
    private string _root = "";

    private FakeBotFrameworkIdentity(WebApplication app, TimeProvider time)
    {
        _app = app;
        _time = time;
        _current = NextKey();
        _entra = NextKey();
        _unknown = NextKey();
    }

    /// <summary>Starts the fake on a free loopback port; tokens are stamped with <paramref name="time"/> (default the system clock).</summary>
    public static async Task<FakeBotFrameworkIdentity> StartAsync(TimeProvider? time = null)
    {
        var app = Loopback.CreateApp();
        var fake = new FakeBotFrameworkIdentity(app, time ?? TimeProvider.System);
        app.MapGet("/v1/.well-known/openidconfiguration", fake.ServeMetadataAsync);
        app.MapGet("/v1/.well-known/keys", fake.ServeKeysAsync);
        app.MapGet("/{tenant}/v2.0/.well-known/openid-configuration", fake.ServeEntraMetadataAsync);
        app.MapGet("/{tenant}/discovery/v2.0/keys", fake.ServeEntraKeysAsync);
        fake._root = (await Loopback.StartAsync(app)).ToString();
        return fake;
    }

    /// <summary>Use as <c>Teams:OpenIdMetadataUrl</c>.</summary>
    public string MetadataUrl => _root + "v1/.well-known/openidconfiguration";

    /// <summary>Use as <c>Teams:EntraMetadataUrlTemplate</c> (contains <c>{tenant}</c>).</summary>
    public string EntraMetadataUrlTemplate => _root + "{tenant}/v2.0/.well-known/openid-configuration";

    /// <summary>Teams options pointing both metadata URLs at this fake.</summary>
    public TeamsOptions Options(string appId, string? tenantId = null, string appType = "SingleTenant") => new()
    {
        AppId = appId,
        TenantId = tenantId,
        AppType = appType,
        OpenIdMetadataUrl = MetadataUrl,
        EntraMetadataUrlTemplate = EntraMetadataUrlTemplate,
    };

    /// <summary>The <c>kid</c> of the key <see cref="Token"/> signs with.</summary>
    public string CurrentKeyId { get { lock (_gate) return _current.Kid; } }

    /// <summary>Requests for the Bot Framework metadata document.</summary>
    public int MetadataRequests => Volatile.Read(ref _metadataRequests);

    /// <summary>Requests for the Bot Framework JWKS.</summary>
    public int KeysRequests => Volatile.Read(ref _keysRequests);

    /// <summary>
    /// A Bot Framework token (RS256, current key): issuer <see cref="BotFrameworkIssuer"/>, audience
    /// <paramref name="appId"/>, <c>serviceurl</c> claim (left out when null), valid from
    /// <paramref name="notBefore"/> (default now) for <paramref name="lifetime"/> (default an hour).
    /// <paramref name="unknownKey"/> signs with a key the JWKS never lists; <paramref name="kid"/>
    /// overrides the header's key id (the signature stays the signing key's).
    /// </summary>
    public string Token(string appId, string? serviceUrl, TimeSpan? lifetime = null, DateTimeOffset? notBefore = null,
        string? issuer = null, string? audience = null, bool unknownKey = false, string? kid = null)
    {
        SigningKey key;
        lock (_gate) key = unknownKey ? _unknown : _current;
        var claims = new Dictionary<string, object>();
        if (serviceUrl is not null) claims["serviceurl"] = serviceUrl;
        return Mint(Credentials(key, kid), issuer ?? BotFrameworkIssuer, audience ?? appId, claims, lifetime, notBefore);
    }

    /// <summary>
    /// An Entra-issued token for <paramref name="tenant"/>: issuer <c>https://login.microsoftonline.com/{tenant}/v2.0</c>
    /// (or <c>https://sts.windows.net/{tenant}/</c> with <paramref name="v1Issuer"/>), signed with the Entra key.
    /// <paramref name="callerAppId"/> is the app that asked for it, in <c>azp</c> (v2.0) or <c>appid</c> (v1.0),
    /// as Entra writes it; <paramref name="tid"/> overrides the <c>tid</c> claim.
    /// </summary>
    public string EntraToken(string tenant, string appId, string? serviceUrl = null, bool v1Issuer = false, string? audience = null,
        TimeSpan? lifetime = null, DateTimeOffset? notBefore = null, string? callerAppId = null, string? tid = null)
    {
        var issuer = v1Issuer ? $"https://sts.windows.net/{tenant}/" : $"https://login.microsoftonline.com/{tenant}/v2.0";
        var claims = new Dictionary<string, object> { ["tid"] = tid ?? tenant, ["ver"] = v1Issuer ? "1.0" : "2.0" };
        if (callerAppId is not null) claims[v1Issuer ? "appid" : "azp"] = callerAppId;
        if (serviceUrl is not null) claims["serviceurl"] = serviceUrl;
        return Mint(Credentials(_entra, null), issuer, audience ?? appId, claims, lifetime, notBefore);
    }

    /// <summary>
    /// A token with exactly <paramref name="payload"/> (JSON) as its claims, signed RS256 with the current key under
    /// <paramref name="kid"/> (default its own; "" leaves the key id out): for lifetimes IdentityModel will not mint.
    /// </summary>
    public string RawToken(string payload, string? kid = null)
    {
        SigningKey key;
        lock (_gate) key = _current;
        var credentials = new SigningCredentials(new RsaSecurityKey(key.Rsa) { KeyId = kid == "" ? null : kid ?? key.Kid }, SecurityAlgorithms.RsaSha256);
        return _handler.CreateToken(payload, credentials);
    }

    /// <summary>A well-formed Bot Framework token with <c>alg: none</c> and no signature.</summary>
    public string UnsignedToken(string appId, string? serviceUrl) =>
        Mint(null, BotFrameworkIssuer, appId, serviceUrl is null ? [] : new() { ["serviceurl"] = serviceUrl }, null, null);

    /// <summary>A Bot Framework token signed HS256 with <paramref name="secret"/> (e.g. the app password) under the current key id.</summary>
    public string HmacToken(string appId, string? serviceUrl, string secret)
    {
        var key = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)) { KeyId = CurrentKeyId };
        return Mint(new SigningCredentials(key, SecurityAlgorithms.HmacSha256), BotFrameworkIssuer, appId,
            serviceUrl is null ? [] : new() { ["serviceurl"] = serviceUrl }, null, null);
    }

    /// <summary>Replaces the signing key: a new kid, the old key gone from the JWKS, later tokens signed with the new one.</summary>
    public void RotateKey()
    {
        lock (_gate) _current = NextKey();
    }

    /// <summary>The <c>endorsements</c> every Bot Framework key lists; <c>null</c> leaves the member out.</summary>
    public void SetEndorsements(params string[]? channels)
    {
        lock (_gate) _endorsements = channels;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private string Mint(SigningCredentials? credentials, string issuer, string audience, Dictionary<string, object> claims,
        TimeSpan? lifetime, DateTimeOffset? notBefore)
    {
        var now = _time.GetUtcNow();
        var start = notBefore ?? now;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = start.UtcDateTime,
            Expires = (start + (lifetime ?? TimeSpan.FromHours(1))).UtcDateTime,
            Claims = claims,
            SigningCredentials = credentials,
        });
    }

    private static SigningCredentials Credentials(SigningKey key, string? kid) =>
        new(new RsaSecurityKey(key.Rsa) { KeyId = kid ?? key.Kid }, SecurityAlgorithms.RsaSha256);

    private SigningKey NextKey()
    {
        var index = _nextPoolKey++;
        RSA rsa;
        lock (PoolGate)
        {
            while (Pool.Count <= index) Pool.Add(RSA.Create(2048));
            rsa = Pool[index];
        }
        return new SigningKey(Guid.NewGuid().ToString("N")[..16], rsa);
    }

    private Task ServeMetadataAsync(HttpContext context)
    {
        Interlocked.Increment(ref _metadataRequests);
        return WriteJsonAsync(context, new JsonObject
        {
            ["issuer"] = BotFrameworkIssuer,
            ["authorization_endpoint"] = "https://invalid.botframework.com",
            ["jwks_uri"] = _root + "v1/.well-known/keys",
            ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
            ["token_endpoint_auth_methods_supported"] = new JsonArray("private_key_jwt"),
        });
    }

    private Task ServeKeysAsync(HttpContext context)
    {
        Interlocked.Increment(ref _keysRequests);
        SigningKey key;
        string[]? endorsements;
        lock (_gate) (key, endorsements) = (_current, _endorsements);
        return WriteJsonAsync(context, new JsonObject { ["keys"] = new JsonArray(Jwk(key, endorsements)) });
    }

    private Task ServeEntraMetadataAsync(HttpContext context)
    {
        var tenant = (string)context.Request.RouteValues["tenant"]!;
        return WriteJsonAsync(context, new JsonObject
        {
            ["issuer"] = $"https://login.microsoftonline.com/{tenant}/v2.0",
            ["authorization_endpoint"] = $"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
            ["jwks_uri"] = $"{_root}{tenant}/discovery/v2.0/keys",
            ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
        });
    }

    private Task ServeEntraKeysAsync(HttpContext context) =>
        WriteJsonAsync(context, new JsonObject { ["keys"] = new JsonArray(Jwk(_entra, null)) });

    private static JsonObject Jwk(SigningKey key, string[]? endorsements)
    {
        var parameters = key.Rsa.ExportParameters(includePrivateParameters: false);
        var jwk = new JsonObject
        {
            ["kty"] = "RSA",
            ["use"] = "sig",
            ["kid"] = key.Kid,
            ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
            ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
        };
        if (endorsements is not null) jwk["endorsements"] = new JsonArray([.. endorsements.Select(e => (JsonNode?)JsonValue.Create(e))]);
        return jwk;
    }

    private static Task WriteJsonAsync(HttpContext context, JsonObject body)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString());
    }

    private sealed record SigningKey(string Kid, RSA Rsa);
}
