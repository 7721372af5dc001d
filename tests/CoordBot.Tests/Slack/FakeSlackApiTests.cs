using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Slack;

/// <summary>The fake behaves like Slack where the client does not go: JSON bodies, token fields, expiry.</summary>
public sealed class FakeSlackApiTests
{
    private static async Task<JsonElement> Post(HttpClient http, Uri url, HttpContent content, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await http.SendAsync(request);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Json_bodies_with_a_bearer_and_forms_with_a_token_field_both_work()
    {
        await using var slack = await FakeSlackApi.StartAsync();
        slack.AddTeam("T1", "xoxb-1");
        using var http = new HttpClient();

        var json = await Post(http, new Uri(slack.BaseUrl, "chat.postMessage"),
            Json("""{"channel":"C1","text":"hi","blocks":[{"type":"divider"}]}"""), bearer: "xoxb-1");
        Assert.True(json.GetProperty("ok").GetBoolean());
        Assert.Equal("C1", json.GetProperty("channel").GetString());

        var form = await Post(http, new Uri(slack.BaseUrl, "chat.postMessage"),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = "xoxb-1", ["channel"] = "C2", ["text"] = "yo" }));
        Assert.True(form.GetProperty("ok").GetBoolean());
        var call = slack.CallsTo("chat.postMessage")[1];
        Assert.Equal("xoxb-1", call.Token);
        Assert.Null(call.Args["token"]);

        var unknown = await Post(http, new Uri(slack.BaseUrl, "chat.nope"), Json("{}"));
        Assert.Equal("unknown_method", unknown.GetProperty("error").GetString());
        var missing = await Post(http, new Uri(slack.BaseUrl, "auth.test"), Json("{}"));
        Assert.Equal("not_authed", missing.GetProperty("error").GetString());
        var badJson = await Post(http, new Uri(slack.BaseUrl, "auth.test"), Json("[1,2"), bearer: "xoxb-1");
        Assert.Equal("invalid_json", badJson.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Triggers_last_three_seconds_and_response_urls_thirty_minutes()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var slack = await FakeSlackApi.StartAsync(clock);
        slack.AddTeam("T1", "xoxb-1");
        using var http = new HttpClient();

        var trigger = slack.IssueTriggerId();
        var url = slack.ResponseUrl("r1");
        clock.Advance(TimeSpan.FromSeconds(3.5));
        var view = $$$"""{"trigger_id":"{{{trigger}}}","view":{"type":"modal","title":{"type":"plain_text","text":"Hi"},"blocks":[]}}""";
        var late = await Post(http, new Uri(slack.BaseUrl, "views.open"), Json(view), bearer: "xoxb-1");
        Assert.Equal("expired_trigger_id", late.GetProperty("error").GetString());

        clock.Advance(TimeSpan.FromMinutes(30));
        using var response = await http.PostAsync(url, Json("""{"text":"too late"}"""));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(slack.ResponsesPosted);
    }

    [Fact]
    public async Task Waiting_for_a_call_that_never_comes_lists_the_calls_seen()
    {
        await using var slack = await FakeSlackApi.StartAsync();
        slack.AddTeam("T1", "xoxb-1");
        using var http = new HttpClient();
        await Post(http, new Uri(slack.BaseUrl, "auth.test"), Json("{}"), bearer: "xoxb-1");

        var pending = slack.WaitForCallAsync("chat.postMessage", timeout: TimeSpan.FromMilliseconds(200));
        var e = await Assert.ThrowsAsync<TimeoutException>(() => pending);
        Assert.Contains("auth.test", e.Message);

        var later = slack.WaitForCallAsync("chat.postMessage", c => c.Arg("channel") == "C7");
        await Post(http, new Uri(slack.BaseUrl, "chat.postMessage"), Json("""{"channel":"C7","text":"x"}"""), bearer: "xoxb-1");
        Assert.Equal("x", (await later).Arg("text"));
    }

    [Fact]
    public async Task Ephemeral_messages_cannot_be_updated()
    {
        await using var slack = await FakeSlackApi.StartAsync();
        slack.AddTeam("T1", "xoxb-1");
        using var http = new HttpClient();
        var posted = await Post(http, new Uri(slack.BaseUrl, "chat.postEphemeral"), Json("""{"channel":"C1","user":"U1","text":"psst"}"""), bearer: "xoxb-1");
        var ts = posted.GetProperty("message_ts").GetString();
        var update = await Post(http, new Uri(slack.BaseUrl, "chat.update"), Json($$"""{"channel":"C1","ts":"{{ts}}","text":"x"}"""), bearer: "xoxb-1");
        Assert.Equal("cant_update_message", update.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_channel_belongs_to_one_team_and_a_bot_posts_only_where_it_was_added()
    {
        await using var slack = await FakeSlackApi.StartAsync();
        slack.AddTeam("T1", "xoxb-1");
        slack.AddTeam("T2", "xoxb-2");
        slack.AddUser("T1", "U1", "ann");
        slack.AddChannel("T1", "C1");
        slack.AddChannel("T1", "CQUIET", botIsMember: false);
        using var http = new HttpClient();
        async Task<string> Error(string method, string json, string token)
        {
            var answer = await Post(http, new Uri(slack.BaseUrl, method), Json(json), bearer: token);
            return answer.GetProperty("ok").GetBoolean() ? "ok" : answer.GetProperty("error").GetString()!;
        }

        Assert.Equal("ok", await Error("chat.postMessage", """{"channel":"C1","text":"one"}""", "xoxb-1"));
        Assert.Equal("channel_not_found", await Error("chat.postMessage", """{"channel":"C1","text":"two"}""", "xoxb-2"));
        Assert.Equal("channel_not_found", await Error("conversations.history", """{"channel":"C1"}""", "xoxb-2"));
        Assert.Equal("not_in_channel", await Error("chat.postMessage", """{"channel":"CQUIET","text":"x"}""", "xoxb-1"));

        // A DM opened by one team's bot is that team's; a user id is a DM only in the user's own team.
        var dm = (await Post(http, new Uri(slack.BaseUrl, "conversations.open"), Json("""{"users":"U1"}"""), bearer: "xoxb-1"))
            .GetProperty("channel").GetProperty("id").GetString();
        Assert.Equal("channel_not_found", await Error("chat.postMessage", $$"""{"channel":"{{dm}}","text":"x"}""", "xoxb-2"));
        Assert.Equal("ok", await Error("chat.postMessage", $$"""{"channel":"{{dm}}","text":"x"}""", "xoxb-1"));
        Assert.Equal("channel_not_found", await Error("chat.postMessage", """{"channel":"U1","text":"x"}""", "xoxb-2"));

        // A channel nobody named before becomes the first team's; history is per channel, so per team.
        Assert.Equal("ok", await Error("chat.postMessage", """{"channel":"C2","text":"two's"}""", "xoxb-2"));
        Assert.Equal("channel_not_found", await Error("chat.postEphemeral", """{"channel":"C2","user":"U1","text":"x"}""", "xoxb-1"));
        var history = await Post(http, new Uri(slack.BaseUrl, "conversations.history"), Json("""{"channel":"C2"}"""), bearer: "xoxb-2");
        Assert.Equal("two's", Assert.Single(history.GetProperty("messages").EnumerateArray()).GetProperty("text").GetString());
        Assert.Equal(new Dictionary<string, int> { ["channel_not_found"] = 5, ["not_in_channel"] = 1 }, slack.RefusedChannels);
    }
}
