using System.Buffers.Text;
using System.Text;
using CoordBot.Teams.Auth;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Teams;

/// <summary>
/// The edges of the Bot Framework token check that a mutation run found unpinned: the lifetime
/// fences at exactly five minutes of skew, the identity's authentication type, and how an unaccepted algorithm is named in the reason.
/// </summary>
public sealed class BotFrameworkAuthBoundaryTests : IAsyncLifetime
{
    private const string AppId = "5f1c4a7e-2b7d-4c1e-9a51-0c6e2d9b8a11";
    private const string Tenant = "7d2e9c41-8f3a-4b6d-a2c5-1e9f0b3d6c72";
    private const string ServiceUrl = "https://smba.trafficmanager.net/amer/" + Tenant + "/";

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

    private Task<TeamsAuthResult> Check(string token) =>
        new BotFrameworkAuthenticator(_fake.Options(AppId, Tenant), _http, _clock, _log)
            .AuthenticateAsync("Bearer " + token, ServiceUrl, "msteams", CancellationToken.None);

    [Fact]
    public async Task A_token_not_before_exactly_five_minutes_from_now_passes_and_one_second_later_does_not()
    {
        var atSkew = await Check(_fake.Token(AppId, ServiceUrl, notBefore: _clock.GetUtcNow().AddMinutes(5)));
        Assert.True(atSkew.Succeeded, atSkew.Reason);
        var beyond = await Check(_fake.Token(AppId, ServiceUrl, notBefore: _clock.GetUtcNow().AddMinutes(5).AddSeconds(1)));
        Assert.Equal("token not yet valid", beyond.Reason);
    }

    [Fact]
    public async Task A_token_that_expired_exactly_five_minutes_ago_passes_and_one_second_more_does_not()
    {
        var token = _fake.Token(AppId, ServiceUrl, lifetime: TimeSpan.FromMinutes(10));
        _clock.Advance(TimeSpan.FromMinutes(15));
        var atSkew = await Check(token);
        Assert.True(atSkew.Succeeded, atSkew.Reason);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("token expired", (await Check(token)).Reason);
    }

    [Fact]
    public async Task A_bot_framework_token_gives_a_bot_framework_identity()
    {
        var result = await Check(_fake.Token(AppId, ServiceUrl));
        Assert.True(result.Succeeded, result.Reason);
        Assert.Equal(BotFrameworkAuthenticator.BotFrameworkAuthentication, result.Identity!.AuthenticationType);
    }

    [Theory]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWX", "signing algorithm 'ABCDEFGHIJKLMNOPQRSTUVWX' is not accepted")]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXY", "signing algorithm 'ABCDEFGHIJKLMNOPQRSTUVWX…' is not accepted")]
    public async Task An_unaccepted_algorithm_is_named_cut_to_24_characters(string alg, string reason)
    {
        static string Part(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));
        var token = Part($$"""{"alg":"{{alg}}","typ":"JWT","kid":"k"}""") + "." +
                    Part($$"""{"iss":"https://api.botframework.com","aud":"{{AppId}}"}""") + ".c2ln";
        var result = await Check(token);
        Assert.Equal(401, result.Status);
        Assert.Equal(reason, result.Reason);
    }
    /// <summary>Claims of a Bot Framework token for this bot, with the given lifetime claims (Unix seconds), as raw JSON.</summary>
    private string Payload(string lifetime) =>
        $$"""{"iss":"https://api.botframework.com","aud":"{{AppId}}","serviceurl":"{{ServiceUrl}}"{{lifetime}}}""";

    private long Unix(TimeSpan from) => _clock.GetUtcNow().Add(from).ToUnixTimeSeconds();

    [Fact]
    public async Task A_token_without_an_expiry_is_refused_as_such_and_the_refusal_is_logged()
    {
        var result = await Check(_fake.RawToken(Payload($",\"nbf\":{Unix(TimeSpan.Zero)}")));
        Assert.Equal((401, "token has no expiry"), (result.Status, result.Reason));
        Assert.Contains("Information: Refused a Bot Framework request (401): token has no expiry", _log.Lines);
    }

    [Fact]
    public async Task A_token_that_ends_before_it_begins_is_refused_and_one_that_begins_as_it_ends_is_judged_by_the_clock()
    {
        var backwards = await Check(_fake.RawToken(Payload($",\"nbf\":{Unix(TimeSpan.FromMinutes(1))},\"exp\":{Unix(TimeSpan.Zero)}")));
        Assert.Equal("token lifetime is invalid", backwards.Reason);
        // Not-before equal to expiry is an instant, not an inverted lifetime: within the five minutes of skew it passes.
        var instant = await Check(_fake.RawToken(Payload($",\"nbf\":{Unix(TimeSpan.FromMinutes(1))},\"exp\":{Unix(TimeSpan.FromMinutes(1))}")));
        Assert.True(instant.Succeeded, instant.Reason);
    }

    [Fact]
    public async Task A_token_without_a_key_id_is_refused_before_any_key_is_fetched()
    {
        var result = await Check(_fake.RawToken(Payload($",\"exp\":{Unix(TimeSpan.FromHours(1))}"), kid: ""));
        Assert.Equal("token has no key id", result.Reason);
        Assert.Equal(0, _fake.MetadataRequests);
    }

    [Fact]
    public async Task A_cancelled_request_is_refused_as_cancelled()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var result = await new BotFrameworkAuthenticator(_fake.Options(AppId, Tenant), _http, _clock, _log)
            .AuthenticateAsync("Bearer " + _fake.Token(AppId, ServiceUrl), ServiceUrl, "msteams", cancelled.Token);
        Assert.Equal((401, "request cancelled"), (result.Status, result.Reason));
    }

    [Fact]
    public async Task Signing_keys_that_cannot_be_loaded_refuse_the_request_and_say_where_they_were_looked_for()
    {
        const string Nowhere = "http://127.0.0.1:9/v1/.well-known/openidconfiguration";   // the discard port: nothing listens
        var options = new CoordBot.Teams.TeamsOptions
        {
            AppId = AppId, TenantId = Tenant, AppType = "SingleTenant", OpenIdMetadataUrl = Nowhere, EntraMetadataUrlTemplate = _fake.EntraMetadataUrlTemplate,
        };
        var result = await new BotFrameworkAuthenticator(options, _http, _clock, _log)
            .AuthenticateAsync("Bearer " + _fake.Token(AppId, ServiceUrl), ServiceUrl, "msteams", CancellationToken.None);
        Assert.Equal("could not load the signing keys", result.Reason);
        Assert.Contains(_log.Lines, l => l.StartsWith($"Warning: Could not load Bot Framework signing keys from {Nowhere}", StringComparison.Ordinal));
    }
    [Fact]
    public async Task An_activity_without_a_channel_is_refused_when_the_key_is_endorsed_for_channels_and_the_reason_shows_an_empty_name()
    {
        _fake.SetEndorsements("msteams");
        var result = await new BotFrameworkAuthenticator(_fake.Options(AppId, Tenant), _http, _clock, _log)
            .AuthenticateAsync("Bearer " + _fake.Token(AppId, ServiceUrl), ServiceUrl, null, CancellationToken.None);
        Assert.Equal((403, "signing key is not endorsed for channel ''"), (result.Status, result.Reason));
    }
}
