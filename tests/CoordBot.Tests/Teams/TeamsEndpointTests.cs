using System.Net;
using System.Text;
using CoordBot.Allies;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Teams;

/// <summary>POST /api/messages refuses what the Bot Framework did not sign for this activity, and changes nothing.</summary>
public sealed class TeamsEndpointTests : TeamsHostTest
{
    public static TheoryData<string> Forgeries => ["no token", "garbage", "wrong audience", "wrong issuer", "expired", "not yet valid",
        "serviceUrl claim of another host", "unknown key", "alg none"];

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task Unauthenticated_activities_are_401_and_change_nothing(string forgery)
    {
        var activity = Teams.Message("ally add \"Forged\"");
        var token = forgery switch
        {
            "no token" => "",
            "garbage" => "not.a.jwt",
            "wrong audience" => Identity.Token("another-app", Teams.ServiceUrl),
            "wrong issuer" => Identity.Token(AppId, Teams.ServiceUrl, issuer: "https://evil.example"),
            "expired" => Identity.Token(AppId, Teams.ServiceUrl, lifetime: TimeSpan.FromMinutes(10), notBefore: DateTimeOffset.UtcNow.AddMinutes(-20)),
            "not yet valid" => Identity.Token(AppId, Teams.ServiceUrl, notBefore: DateTimeOffset.UtcNow.AddMinutes(10)),
            "serviceUrl claim of another host" => Identity.Token(AppId, "https://smba.evil.example/amer/"),
            "unknown key" => Identity.Token(AppId, Teams.ServiceUrl, unknownKey: true),
            "alg none" => Identity.UnsignedToken(AppId, Teams.ServiceUrl),
            _ => throw new ArgumentOutOfRangeException(nameof(forgery)),
        };
        var (status, body) = await Teams.PostAsync(activity, token);
        Assert.True(status == HttpStatusCode.Unauthorized, $"{forgery}: {(int)status} {body}");
        Assert.Contains("token", body);
        // A refusal is answered before the handler runs, so nothing can have been queued to send later.
        Assert.Empty(Connector.Calls);
        var (allies, _, _) = await Host.Get<AllyStore>().ListAsync(Tenant, new AllyFilter(), 1, 10);
        Assert.Empty(allies);
    }

    [Fact]
    public async Task A_token_for_another_service_url_cannot_make_the_bot_call_it()
    {
        // Signed for the real serviceUrl, but the activity names another: refused before anything is called.
        var activity = Teams.Message("coord help");
        activity["serviceUrl"] = "http://127.0.0.1:9/evil/";
        var (status, _) = await Teams.PostAsync(activity, Identity.Token(AppId, Teams.ServiceUrl));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Empty(Connector.Calls);
    }

    [Fact]
    public async Task Malformed_bodies_are_400_only_for_authenticated_callers()
    {
        using var anonymous = new StringContent("{not json", Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.Unauthorized, (await Host.Http.PostAsync("/api/messages", anonymous)).StatusCode);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages") { Content = new StringContent("{not json", Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + Identity.Token(AppId, Teams.ServiceUrl));
        var response = await Host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);

        var incomplete = Teams.Message("coord help");
        incomplete.Remove("conversation");
        var (status, body) = await Teams.PostAsync(incomplete);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("conversation", body);
    }

    [Fact]
    public async Task A_rotated_signing_key_is_picked_up_without_a_restart()
    {
        await Teams.SendAsync(Teams.Message("coord help"));
        Identity.RotateKey();
        // SendAsync asserts 200: a token signed with the new key id is accepted by the running host.
        await Teams.SendAsync(Teams.Message("ally list"));
        await Connector.WaitForCallAsync(c => c.Body.ToJsonString().Contains("No allies yet"));
    }
}
