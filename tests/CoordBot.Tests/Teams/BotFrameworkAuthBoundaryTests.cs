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
}
