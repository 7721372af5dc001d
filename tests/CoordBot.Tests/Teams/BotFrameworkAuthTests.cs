using CoordBot.Teams;
using CoordBot.Teams.Auth;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Teams;

/// <summary>Inbound Bot Framework tokens (docs/security.md), checked over real HTTP against a fake issuer.</summary>
public sealed class BotFrameworkAuthTests : IAsyncLifetime
{
    private const string AppId = "5f1c4a7e-2b7d-4c1e-9a51-0c6e2d9b8a11";
    private const string Tenant = "7d2e9c41-8f3a-4b6d-a2c5-1e9f0b3d6c72";
    private const string OtherTenant = "0b4f7a29-6c1d-4e8b-93a7-5d2c8e1f4a06";
    private const string AppPassword = "an-app-password-that-is-long-enough-for-hs256";
    private const string ServiceUrl = "https://smba.trafficmanager.net/amer/" + Tenant + "/";
    private const string AllowedCaller = "3e6b1f0a-9c2d-4f7e-8b15-6a4d0c9e2f37";

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

    private TeamsOptions WithEntraCaller(string appType = "SingleTenant") =>
        _fake.Options(AppId, Tenant, appType) with { AllowedCallerAppIds = [AllowedCaller] };

    private static Task<TeamsAuthResult> Check(BotFrameworkAuthenticator auth, string? token, string? serviceUrl = ServiceUrl, string? channelId = "msteams",
        string? tenant = Tenant, bool tenantConflict = false) =>
        auth.AuthenticateAsync(token is null ? null : "Bearer " + token, new InboundActivity(serviceUrl, channelId, tenant, tenantConflict), CancellationToken.None);

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
        Refused(await Authenticator().AuthenticateAsync(header, new InboundActivity(ServiceUrl, "msteams", Tenant), CancellationToken.None), reason);

    [Fact]
    public async Task The_scheme_is_case_insensitive() =>
        Accepted(await Authenticator().AuthenticateAsync("bearer " + _fake.Token(AppId, ServiceUrl), new InboundActivity(ServiceUrl, "msteams", Tenant), CancellationToken.None));

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
    public async Task An_activity_without_a_serviceUrl_is_refused_whatever_the_token(string? serviceUrl)
    {
        var auth = Authenticator(WithEntraCaller());
        Refused(await Check(auth, _fake.Token(AppId, null), serviceUrl: serviceUrl), "the activity has no serviceUrl");
        Refused(await Check(auth, _fake.Token(AppId, ServiceUrl), serviceUrl: serviceUrl), "the activity has no serviceUrl");
        Refused(await Check(auth, _fake.EntraToken(Tenant, AppId, caller: AllowedCaller), serviceUrl: serviceUrl), "the activity has no serviceUrl");
    }

    [Fact]
    public async Task Unsigned_and_symmetric_tokens_are_refused()
    {
        var auth = Authenticator(_fake.Options(AppId, Tenant) with { AppPassword = AppPassword });
        Refused(await Check(auth, _fake.UnsignedToken(AppId, ServiceUrl)), "signing algorithm 'none' is not accepted");
        Refused(await Check(auth, _fake.HmacToken(AppId, ServiceUrl, AppPassword)), "signing algorithm 'HS256' is not accepted");
    }

    [Fact]
    public async Task Only_msteams_is_served_even_when_the_key_is_endorsed_for_another_channel()
    {
        _fake.SetEndorsements("msteams", "webchat", "directline", "emulator");
        var auth = Authenticator();
        Accepted(await Check(auth, _fake.Token(AppId, ServiceUrl)));
        foreach (var channel in new[] { "webchat", "directline", "emulator", "MSTEAMS", "" })
            Refused(await Check(auth, _fake.Token(AppId, ServiceUrl), channelId: channel), $"channel '{channel}' is not served", 403);
        Refused(await Check(auth, _fake.Token(AppId, ServiceUrl), channelId: null), "is not served", 403);

        _fake.SetEndorsements(null);   // a key without endorsements does not widen the list either
        auth.RefreshInterval = TimeSpan.Zero;
        _fake.RotateKey();
        Refused(await Check(auth, _fake.Token(AppId, ServiceUrl), channelId: "webchat"), "channel 'webchat' is not served", 403);
    }

    [Fact]
    public async Task A_listed_channel_still_needs_the_keys_endorsement()
    {
        var auth = Authenticator(_fake.Options(AppId, Tenant) with { AllowedChannelIds = ["msteams", "webchat"] });
        Refused(await Check(auth, _fake.Token(AppId, ServiceUrl), channelId: "webchat"), "not endorsed for channel 'webchat'", 403);

        _fake.SetEndorsements("webchat", "directline");
        auth.RefreshInterval = TimeSpan.Zero;
        _fake.RotateKey();   // so the new endorsements are fetched
        Refused(await Check(auth, _fake.Token(AppId, ServiceUrl)), "not endorsed for channel 'msteams'", 403);
        Accepted(await Check(auth, _fake.Token(AppId, ServiceUrl), channelId: "webchat"));
    }

    [Fact]
    public async Task A_single_tenant_bot_serves_only_its_own_tenant()
    {
        var auth = Authenticator();
        Accepted(await Check(auth, _fake.Token(AppId, ServiceUrl), tenant: Tenant.ToUpperInvariant()));
        Refused(await Check(auth, _fake.Token(AppId, ServiceUrl), tenant: OtherTenant), "not this bot's tenant", 403);
        Refused(await Check(auth, _fake.Token(AppId, ServiceUrl), tenant: null), "not this bot's tenant", 403);
        Refused(await Check(auth, _fake.Token(AppId, ServiceUrl), tenantConflict: true), "two different tenants", 403);
        Refused(await Check(Authenticator(_fake.Options(AppId)), _fake.Token(AppId, ServiceUrl)), "SingleTenant needs Teams:TenantId", 403);
    }

    [Fact]
    public async Task A_multi_tenant_bot_serves_any_tenant_but_not_a_conflicting_one()
    {
        var auth = Authenticator(_fake.Options(AppId, Tenant, "MultiTenant"));
        Accepted(await Check(auth, _fake.Token(AppId, ServiceUrl), tenant: OtherTenant));
        Refused(await Check(auth, _fake.Token(AppId, ServiceUrl), tenantConflict: true), "two different tenants", 403);
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

    [Theory]
    [InlineData(false, "")]
    [InlineData(false, "api://")]
    [InlineData(false, "api://botid-")]
    [InlineData(true, "")]
    [InlineData(true, "api://")]
    [InlineData(true, "api://botid-")]
    public async Task Entra_tokens_from_a_listed_caller_for_the_bots_tenant_are_accepted(bool v1Issuer, string audiencePrefix)
    {
        var token = _fake.EntraToken(Tenant, AppId, ServiceUrl, v1Issuer, audience: audiencePrefix + AppId, caller: AllowedCaller);
        var result = await Check(Authenticator(WithEntraCaller()), token);
        Accepted(result);
        Assert.Equal(Tenant, result.Identity!.FindFirst("tid")?.Value);
        Assert.Equal((0, 0), (_fake.MetadataRequests, _fake.KeysRequests));   // Entra keys, not the Bot Framework's
        Accepted(await Check(Authenticator(WithEntraCaller()), _fake.EntraToken(Tenant, AppId, v1Issuer: v1Issuer, caller: AllowedCaller)));   // no serviceurl claim
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Entra_tokens_are_refused_unless_an_operator_lists_their_caller(bool v1Issuer)
    {
        // The attack: a tenant member registers an app and asks Entra for a token to the bot's app id.
        var attacker = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
        Refused(await Check(Authenticator(), _fake.EntraToken(Tenant, AppId, v1Issuer: v1Issuer, caller: attacker)), "issuer not accepted");
        Refused(await Check(Authenticator(), _fake.EntraToken(Tenant, AppId, ServiceUrl, v1Issuer, caller: AllowedCaller)), "issuer not accepted");

        var listing = Authenticator(WithEntraCaller());
        Refused(await Check(listing, _fake.EntraToken(Tenant, AppId, v1Issuer: v1Issuer, caller: attacker)), "not an allowed caller");
        Refused(await Check(listing, _fake.EntraToken(Tenant, AppId, v1Issuer: v1Issuer)), "not an allowed caller");
        Refused(await Check(listing, _fake.EntraToken(Tenant, AppId, v1Issuer: v1Issuer, caller: AllowedCaller, tid: OtherTenant)), "not this bot's tenant");
    }

    [Fact]
    public async Task Entra_tokens_from_another_tenant_or_audience_are_refused()
    {
        var auth = Authenticator(WithEntraCaller());
        Refused(await Check(auth, _fake.EntraToken(OtherTenant, AppId, ServiceUrl, caller: AllowedCaller)), "issuer not accepted");
        Refused(await Check(auth, _fake.EntraToken(OtherTenant, AppId, ServiceUrl, v1Issuer: true, caller: AllowedCaller)), "issuer not accepted");
        Refused(await Check(auth, _fake.EntraToken(Tenant, AppId, ServiceUrl, audience: "api://someone-else", caller: AllowedCaller)), "audience mismatch");
        Refused(await Check(auth, _fake.EntraToken(Tenant, AppId, "https://elsewhere.example/", caller: AllowedCaller)), "serviceUrl claim does not match the activity");
    }

    [Fact]
    public async Task Multi_tenant_bots_accept_only_bot_framework_tokens()
    {
        var auth = Authenticator(WithEntraCaller("MultiTenant"));
        Refused(await Check(auth, _fake.EntraToken(Tenant, AppId, ServiceUrl, caller: AllowedCaller)), "issuer not accepted");
        Refused(await Check(auth, _fake.EntraToken(Tenant, AppId, ServiceUrl, v1Issuer: true, caller: AllowedCaller)), "issuer not accepted");
        Accepted(await Check(auth, _fake.Token(AppId, ServiceUrl)));
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
