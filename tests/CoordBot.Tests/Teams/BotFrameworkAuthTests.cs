using CoordBot.Teams;
using CoordBot.Teams.Auth;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Teams;

/// <summary>Inbound Bot Framework tokens (learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication), checked over real HTTP against a fake issuer.</summary>
public sealed class BotFrameworkAuthTests : IAsyncLifetime
{
    private const string AppId = "5f1c4a7e-2b7d-4c1e-9a51-0c6e2d9b8a11";
    private const string Tenant = "7d2e9c41-8f3a-4b6d-a2c5-1e9f0b3d6c72";
    private const string OtherTenant = "0b4f7a29-6c1d-4e8b-93a7-5d2c8e1f4a06";
    private const string AppPassword = "an-app-password-that-is-long-enough-for-hs256";
    private const string ServiceUrl = "https://smba.trafficmanager.net/amer/" + Tenant + "/";
    private const string AllowedCaller = "3f9a1c62-5d4e-4b7a-8c21-6e0d9b2f4a18";
    private const string OtherApp = "c4d2e8a1-7b3f-4e6c-9a05-1f8b6d3e2c90";

    // Far from the real date: lifetime checks that read the system clock would fail every test.
    private readonly ManualClock _clock = new(new DateTimeOffset(2031, 3, 4, 5, 6, 7, TimeSpan.Zero));
    private readonly ListLogger<BotFrameworkAuthenticator> _log = new();
    private readonly HttpClient _http = new();
    private FakeBotFrameworkIdentity _fake = null!;

    public async ValueTask InitializeAsync() => _fake = await FakeBotFrameworkIdentity.StartAsync(_clock);

    public async ValueTask DisposeAsync()
    {
        await _fake.DisposeAsync();
        _http.Dispose();
    }

    private BotFrameworkAuthenticator Authenticator(TeamsOptions? options = null) =>
        new(options ?? _fake.Options(AppId, Tenant), _http, _clock, _log);

    private static Task<TeamsAuthResult> Check(BotFrameworkAuthenticator auth, string? token, string? serviceUrl = ServiceUrl, string? channelId = "msteams") =>
        auth.AuthenticateAsync(token is null ? null : "Bearer " + token, serviceUrl, channelId, CancellationToken.None);

    private static void Refused(TeamsAuthResult result, string reason, int status = 401)
    {
        Assert.Equal(status, result.Status);
        Assert.Null(result.Identity);
        Assert.Contains(reason, result.Reason);
    }

    private static void Accepted(TeamsAuthResult result)
    {
        Assert.True(result.Status == 200, $"refused: {result.Reason}");
        Assert.NotNull(result.Identity);
        Assert.Null(result.Reason);
    }

    [Fact]
    public async Task A_good_token_passes_with_its_claims()
    {
        var result = await Check(Authenticator(), _fake.Token(AppId, ServiceUrl));

        Accepted(result);
        Assert.Equal(ServiceUrl, result.Identity!.FindFirst("serviceurl")?.Value);
        Assert.Equal(AppId, result.Identity.FindFirst("aud")?.Value);
        Assert.Equal((1, 1), (_fake.MetadataRequests, _fake.KeysRequests));
    }

    [Fact]
    public async Task Keys_are_cached_between_requests()
    {
        var auth = Authenticator();
        for (var i = 0; i < 3; i++) Accepted(await Check(auth, _fake.Token(AppId, ServiceUrl)));
        Assert.Equal((1, 1), (_fake.MetadataRequests, _fake.KeysRequests));
    }

    [Theory]
    [InlineData(null, "missing Authorization header")]
    [InlineData("", "missing Authorization header")]
    [InlineData("Basic dXNlcjpwYXNz", "not Bearer")]
    [InlineData("Bearer", "missing bearer token")]
    [InlineData("Bearer  ", "missing bearer token")]
    [InlineData("BearerX abc", "not Bearer")]
    [InlineData("Bearer not-a-jwt", "malformed token")]
    [InlineData("Bearer a.b.c", "malformed token")]
    public async Task Bad_headers_are_refused(string? header, string reason) =>
        Refused(await Authenticator().AuthenticateAsync(header, ServiceUrl, "msteams", CancellationToken.None), reason);

    [Fact]
    public async Task The_scheme_is_case_insensitive() =>
        Accepted(await Authenticator().AuthenticateAsync("bearer " + _fake.Token(AppId, ServiceUrl), ServiceUrl, "msteams", CancellationToken.None));

    [Fact]
    public async Task A_token_signed_by_an_unknown_key_is_refused()
    {
        var auth = Authenticator();
        Refused(await Check(auth, _fake.Token(AppId, ServiceUrl, unknownKey: true)), "signing key not found");
        Refused(await Check(auth, _fake.Token(AppId, ServiceUrl, unknownKey: true, kid: _fake.CurrentKeyId)), "invalid signature");
    }

    [Fact]
    public async Task Wrong_issuer_or_audience_is_refused()
    {
        var auth = Authenticator();
        Refused(await Check(auth, _fake.Token(AppId, ServiceUrl, issuer: "https://api.botframework.com.evil.example")), "issuer not accepted");
        Refused(await Check(auth, _fake.Token(AppId, ServiceUrl, audience: "someone-else")), "audience mismatch");
        // The api:// forms are for Entra-issued tokens only.
        Refused(await Check(auth, _fake.Token(AppId, ServiceUrl, audience: "api://" + AppId)), "audience mismatch");
    }

    [Fact]
    public async Task Lifetime_is_judged_by_the_injected_clock_with_five_minutes_of_skew()
    {
        var auth = Authenticator();
        var token = _fake.Token(AppId, ServiceUrl, lifetime: TimeSpan.FromHours(1));
        var early = _fake.Token(AppId, ServiceUrl, notBefore: _clock.GetUtcNow().AddMinutes(6));
        var slightlyEarly = _fake.Token(AppId, ServiceUrl, notBefore: _clock.GetUtcNow().AddMinutes(4));

        Refused(await Check(auth, early), "token not yet valid");
        Accepted(await Check(auth, slightlyEarly));

        _clock.Advance(TimeSpan.FromMinutes(64));
        Accepted(await Check(auth, token));

        _clock.Advance(TimeSpan.FromMinutes(2));
        Refused(await Check(auth, token), "token expired");
    }

    [Fact]
    public async Task The_serviceurl_claim_must_match_the_activity()
    {
        var auth = Authenticator();
        Refused(await Check(auth, _fake.Token(AppId, "https://smba.trafficmanager.net/emea/other/")), "serviceUrl claim does not match the activity");
        Refused(await Check(auth, _fake.Token(AppId, null)), "no serviceurl claim");

        // Case and one trailing slash do not matter.
        Accepted(await Check(auth, _fake.Token(AppId, ServiceUrl.TrimEnd('/')), serviceUrl: ServiceUrl.ToUpperInvariant()));
        Accepted(await Check(auth, _fake.Token(AppId, ServiceUrl), serviceUrl: ServiceUrl.TrimEnd('/')));
        Refused(await Check(auth, _fake.Token(AppId, ServiceUrl + "/")), "serviceUrl claim does not match the activity");

    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public async Task An_activity_without_a_serviceUrl_is_refused_even_with_a_good_token(string? serviceUrl)
    {
        var auth = Authenticator();
        Refused(await Check(auth, _fake.Token(AppId, ServiceUrl), serviceUrl: serviceUrl), "the activity has no serviceUrl");
        Refused(await Check(auth, _fake.Token(AppId, null), serviceUrl: serviceUrl), "the activity has no serviceUrl");
    }

    [Fact]
    public async Task Unsigned_and_symmetric_tokens_are_refused()
    {
        var auth = Authenticator(_fake.Options(AppId, Tenant) with { AppPassword = AppPassword });
        Refused(await Check(auth, _fake.UnsignedToken(AppId, ServiceUrl)), "signing algorithm 'none' is not accepted");
        Refused(await Check(auth, _fake.HmacToken(AppId, ServiceUrl, AppPassword)), "signing algorithm 'HS256' is not accepted");
    }

    [Fact]
    public async Task A_key_not_endorsed_for_the_channel_is_forbidden()
    {
        var auth = Authenticator();
        Refused(await Check(auth, _fake.Token(AppId, ServiceUrl), channelId: "webchat"), "not endorsed for channel 'webchat'", 403);
        Refused(await Check(auth, _fake.Token(AppId, ServiceUrl), channelId: null), "not endorsed", 403);

        _fake.SetEndorsements("webchat", "directline");
        auth.RefreshInterval = TimeSpan.Zero;
        _fake.RotateKey();   // so the new endorsements are fetched
        Refused(await Check(auth, _fake.Token(AppId, ServiceUrl)), "not endorsed for channel 'msteams'", 403);
        Accepted(await Check(auth, _fake.Token(AppId, ServiceUrl), channelId: "webchat"));
    }

    [Fact]
    public async Task A_key_without_endorsements_serves_any_channel()
    {
        _fake.SetEndorsements(null);
        Accepted(await Check(Authenticator(), _fake.Token(AppId, ServiceUrl), channelId: "webchat"));
    }

    [Fact]
    public async Task An_unknown_kid_refreshes_the_keys_without_a_new_authenticator()
    {
        var auth = Authenticator();
        auth.RefreshInterval = TimeSpan.Zero;
        var old = _fake.Token(AppId, ServiceUrl);
        Accepted(await Check(auth, old));

        _fake.RotateKey();
        Accepted(await Check(auth, _fake.Token(AppId, ServiceUrl)));
        Assert.Equal(2, _fake.KeysRequests);

        Refused(await Check(auth, old), "signing key not found");
    }

    [Fact]
    public async Task Refreshes_forced_by_unknown_kids_happen_at_most_once_a_minute()
    {
        var auth = Authenticator();
        Assert.Equal(TimeSpan.FromMinutes(1), auth.RefreshInterval);
        Accepted(await Check(auth, _fake.Token(AppId, ServiceUrl)));

        _fake.RotateKey();
        Accepted(await Check(auth, _fake.Token(AppId, ServiceUrl)));   // the first forced refresh is allowed
        Assert.Equal(2, _fake.KeysRequests);

        _fake.RotateKey();
        var newest = _fake.Token(AppId, ServiceUrl);
        Refused(await Check(auth, newest), "signing key not found");
        Refused(await Check(auth, _fake.Token(AppId, ServiceUrl, unknownKey: true)), "signing key not found");
        Assert.Equal(2, _fake.KeysRequests);

        _clock.Advance(TimeSpan.FromSeconds(61));
        Accepted(await Check(auth, newest));
        Assert.Equal(3, _fake.KeysRequests);
    }

    private TeamsOptions WithCallers(params string[] callers) => _fake.Options(AppId, Tenant) with { AllowedCallerAppIds = callers };

    [Fact]
    public async Task Entra_tokens_are_refused_by_default_even_from_the_bots_own_tenant()
    {
        var auth = Authenticator();
        // Any app registered in the tenant can get this token for the bot's app id.
        Refused(await Check(auth, _fake.EntraToken(Tenant, AppId, callerAppId: OtherApp)), "issuer not accepted");
        Refused(await Check(auth, _fake.EntraToken(Tenant, AppId, ServiceUrl, callerAppId: AllowedCaller)), "issuer not accepted");
        Refused(await Check(auth, _fake.EntraToken(Tenant, AppId, ServiceUrl, v1Issuer: true, callerAppId: AllowedCaller)), "issuer not accepted");
        Assert.False(_fake.Options(AppId, Tenant).AcceptsEntraTokens);
    }

    [Theory]
    [InlineData(false, "")]
    [InlineData(false, "api://")]
    [InlineData(false, "api://botid-")]
    [InlineData(true, "")]
    [InlineData(true, "api://")]
    [InlineData(true, "api://botid-")]
    public async Task Entra_tokens_from_an_allowed_caller_in_the_tenant_pass(bool v1Issuer, string audiencePrefix)
    {
        var auth = Authenticator(WithCallers(AllowedCaller));
        // No serviceurl claim: Entra does not write one.
        var token = _fake.EntraToken(Tenant, AppId, null, v1Issuer, audience: audiencePrefix + AppId, callerAppId: AllowedCaller);
        var result = await Check(auth, token);
        Accepted(result);
        Assert.Equal(Tenant, result.Identity!.FindFirst("tid")?.Value);
        Assert.Equal(BotFrameworkAuthenticator.EntraAuthentication, result.Identity.AuthenticationType);
        Assert.Equal((0, 0), (_fake.MetadataRequests, _fake.KeysRequests));   // Entra keys, not the Bot Framework's
    }

    [Fact]
    public async Task Entra_tokens_need_an_allowed_caller_the_tenants_tid_and_a_serviceUrl()
    {
        var auth = Authenticator(WithCallers(AllowedCaller));
        // The caller is the app that asked: azp in v2.0 tokens, appid in v1.0; missing is refused.
        Refused(await Check(auth, _fake.EntraToken(Tenant, AppId, callerAppId: OtherApp)), "caller app is not on Teams:AllowedCallerAppIds");
        Refused(await Check(auth, _fake.EntraToken(Tenant, AppId, v1Issuer: true, callerAppId: OtherApp)), "caller app is not on Teams:AllowedCallerAppIds");
        Refused(await Check(auth, _fake.EntraToken(Tenant, AppId)), "caller app is not on Teams:AllowedCallerAppIds");
        // The bot itself is not a caller unless listed.
        Refused(await Check(auth, _fake.EntraToken(Tenant, AppId, callerAppId: AppId)), "caller app is not on Teams:AllowedCallerAppIds");
        Refused(await Check(auth, _fake.EntraToken(Tenant, AppId, callerAppId: AllowedCaller, tid: OtherTenant)), "tid is not this bot's tenant");
        Refused(await Check(auth, _fake.EntraToken(Tenant, AppId, callerAppId: AllowedCaller, tid: "")), "tid is not this bot's tenant");
        Refused(await Check(auth, _fake.EntraToken(Tenant, AppId, callerAppId: AllowedCaller), serviceUrl: ""), "the activity has no serviceUrl");
        Refused(await Check(auth, _fake.EntraToken(Tenant, AppId, callerAppId: AllowedCaller), serviceUrl: null), "the activity has no serviceUrl");
    }

    [Fact]
    public async Task Entra_tokens_from_another_tenant_or_audience_are_refused()
    {
        var auth = Authenticator(WithCallers(AllowedCaller));
        Refused(await Check(auth, _fake.EntraToken(OtherTenant, AppId, ServiceUrl, callerAppId: AllowedCaller)), "issuer not accepted");
        Refused(await Check(auth, _fake.EntraToken(OtherTenant, AppId, ServiceUrl, v1Issuer: true, callerAppId: AllowedCaller)), "issuer not accepted");
        Refused(await Check(auth, _fake.EntraToken(Tenant, AppId, ServiceUrl, audience: "api://someone-else", callerAppId: AllowedCaller)), "audience mismatch");
        Refused(await Check(auth, _fake.EntraToken(Tenant, AppId, "https://elsewhere.example/", callerAppId: AllowedCaller)), "serviceUrl claim does not match the activity");
    }

    [Fact]
    public async Task Multi_tenant_bots_accept_only_bot_framework_tokens()
    {
        var auth = Authenticator(WithCallers(AllowedCaller) with { AppType = "MultiTenant" });
        Refused(await Check(auth, _fake.EntraToken(Tenant, AppId, ServiceUrl, callerAppId: AllowedCaller)), "issuer not accepted");
        Refused(await Check(auth, _fake.EntraToken(Tenant, AppId, ServiceUrl, v1Issuer: true, callerAppId: AllowedCaller)), "issuer not accepted");
        Accepted(await Check(auth, _fake.Token(AppId, ServiceUrl)));
    }

    [Fact]
    public async Task A_body_that_is_no_activity_is_judged_by_its_token_alone()
    {
        var auth = Authenticator();
        Accepted(await auth.AuthenticateTokenAsync("Bearer " + _fake.Token(AppId, ServiceUrl), CancellationToken.None));
        Refused(await auth.AuthenticateTokenAsync("Bearer " + _fake.Token("another-app", ServiceUrl), CancellationToken.None), "audience mismatch");
        Refused(await auth.AuthenticateTokenAsync("Bearer " + _fake.EntraToken(Tenant, AppId, callerAppId: OtherApp), CancellationToken.None), "issuer not accepted");
    }

    [Fact]
    public async Task Unreachable_or_plain_http_metadata_refuses_without_throwing()
    {
        var down = Authenticator(_fake.Options(AppId) with { OpenIdMetadataUrl = "http://127.0.0.1:1/v1/.well-known/openidconfiguration" });
        Refused(await Check(down, _fake.Token(AppId, ServiceUrl)), "could not load the signing keys");

        var plainHttp = Authenticator(_fake.Options(AppId) with { OpenIdMetadataUrl = "http://login.botframework.invalid/v1/.well-known/openidconfiguration" });
        Refused(await Check(plainHttp, _fake.Token(AppId, ServiceUrl)), "could not load the signing keys");

        Refused(await Check(Authenticator(_fake.Options(AppId) with { AppId = null }), _fake.Token(AppId, ServiceUrl)), "app id is not configured");
    }

    [Fact]
    public async Task Tokens_never_reach_the_log()
    {
        var auth = Authenticator();
        string[] tokens =
        [
            _fake.Token(AppId, ServiceUrl, audience: "someone-else"),
            _fake.Token(AppId, "https://elsewhere.example/"),
            _fake.UnsignedToken(AppId, ServiceUrl),
            _fake.Token(AppId, ServiceUrl, unknownKey: true),
        ];
        foreach (var token in tokens) Assert.NotEqual(200, (await Check(auth, token)).Status);

        Assert.NotEmpty(_log.Lines);
        foreach (var token in tokens)
            Assert.DoesNotContain(_log.Lines, line => line.Contains(token.Split('.')[1], StringComparison.Ordinal));
    }
}
