using System.Net;
using System.Text;
using CoordBot.Allies;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Slack;

/// <summary>Every Slack endpoint refuses a request that Slack did not sign, with 401, and changes nothing.</summary>
public sealed class SlackVerificationTests : SlackHostTest
{
    private static readonly string[] Paths = ["/slack/commands", "/slack/interactivity", "/slack/events"];

    private static byte[] AddCommand => SlackTestClient.Form(new()
    {
        ["command"] = "/ally", ["text"] = "add \"Forged Person\"", ["team_id"] = Team, ["user_id"] = "U1", ["channel_id"] = "C1",
    });

    public static TheoryData<string> Forgeries => ["missing both", "missing signature", "missing timestamp", "wrong secret", "truncated",
        "wrong version", "6 minutes old", "6 minutes ahead", "non-numeric timestamp", "body altered by one byte", "uppercase hex", "empty signature"];

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task Forged_requests_are_refused_with_401_and_change_nothing(string forgery)
    {
        foreach (var path in Paths)
        {
            var body = AddCommand;
            var answer = await Client.PostAsync(path, body, "application/x-www-form-urlencoded", sign: b => Forge(forgery, b));
            Assert.True(answer.Status == HttpStatusCode.Unauthorized, $"{forgery} on {path}: {(int)answer.Status} {answer.Body}");
            Assert.Contains("signature", answer.Body);
        }
        var (allies, _, _) = await Host.Get<AllyStore>().ListAsync(Team, new AllyFilter(), 1, 10);
        Assert.Empty(allies);
        Assert.Empty(Slack.Calls);
    }

    private (string?, string?) Forge(string forgery, byte[] body)
    {
        var now = DateTimeOffset.UtcNow;
        var (timestamp, signature) = Client.Sign(body, now);
        return forgery switch
        {
            "missing both" => (null, null),
            "missing signature" => (timestamp, null),
            "missing timestamp" => (null, signature),
            "wrong secret" => (timestamp, Encoding.ASCII.GetString(CoordBot.Slack.SlackSignature.Compute("another-secret", timestamp, body))),
            "truncated" => (timestamp, signature[..^1]),
            "wrong version" => (timestamp, "v1=" + signature[3..]),
            "6 minutes old" => Client.Sign(body, now.AddMinutes(-6)),
            "6 minutes ahead" => Client.Sign(body, now.AddMinutes(6)),
            "non-numeric timestamp" => ("12345abc", signature),
            // The signature of the body with one byte changed, sent with the original body.
            "body altered by one byte" => (timestamp, Client.Sign([.. body[..^1], (byte)(body[^1] ^ 1)], now).Signature),
            "uppercase hex" => (timestamp, "v0=" + signature[3..].ToUpperInvariant()),
            "empty signature" => (timestamp, ""),
            _ => throw new ArgumentOutOfRangeException(nameof(forgery)),
        };
    }

    [Fact]
    public async Task A_genuine_request_with_the_same_body_passes()
    {
        var answer = await Client.PostAsync("/slack/commands", AddCommand, "application/x-www-form-urlencoded");
        answer.Message().Shows("Added Forged Person (A1)");
    }

    [Fact]
    public async Task A_signed_body_over_one_megabyte_is_413()
    {
        var body = SlackTestClient.Form(new() { ["command"] = "/ally", ["text"] = new string('x', 1_100_000), ["team_id"] = Team, ["user_id"] = "U1", ["channel_id"] = "C1" });
        var answer = await Client.PostAsync("/slack/commands", body, "application/x-www-form-urlencoded");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, answer.Status);
    }

    [Theory]
    [InlineData("/slack/interactivity", "payload=%7Bnot-json")]
    [InlineData("/slack/interactivity", "nothing=here")]
    [InlineData("/slack/events", "{\"type\":")]
    [InlineData("/slack/events", "[1,2,3]")]
    [InlineData("/slack/events", "{\"type\":\"event_callback\"}")]
    [InlineData("/slack/commands", "%%%")]
    public async Task Signed_garbage_is_400_with_a_reason(string path, string body)
    {
        var answer = await Client.PostAsync(path, Encoding.UTF8.GetBytes(body), path.EndsWith("events") ? "application/json" : "application/x-www-form-urlencoded");
        Assert.True(answer.Status == HttpStatusCode.BadRequest, $"{path} {body}: {(int)answer.Status} {answer.Body}");
        Assert.Contains("error", answer.Body);
    }
}
