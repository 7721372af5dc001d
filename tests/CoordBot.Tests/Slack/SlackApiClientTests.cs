using System.Globalization;
using System.Diagnostics;
using System.Text.Json.Nodes;
using CoordBot.Slack.Api;
using Xunit;

namespace CoordBot.Tests.Slack;

/// <summary>Every SlackApiClient method against the fake Slack over real HTTP.</summary>
public sealed class SlackApiClientTests : SlackApiTest
{
    private static JsonObject Message(string text, int blocks = 1)
    {
        var array = new JsonArray();
        for (var i = 0; i < blocks; i++)
            array.Add(new JsonObject { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = $"{text} {i}" } });
        return new JsonObject { ["text"] = text, ["blocks"] = array };
    }

    private static JsonObject Modal(string title, int blocks = 1)
    {
        var view = Message("field", blocks);
        return new JsonObject
        {
            ["type"] = "modal",
            ["callback_id"] = "ally_add",
            ["title"] = new JsonObject { ["type"] = "plain_text", ["text"] = title },
            ["blocks"] = view["blocks"]!.DeepClone(),
        };
    }

    [Fact]
    public async Task Auth_test_names_the_workspace_org_and_bot()
    {
        var auth = await Client().AuthTestAsync(Token);
        Assert.Equal(new SlackAuth("T1", "UBOT", "BBOT", "E1", "https://t1.slack.com/"), auth);
        Assert.Equal(Token, Slack.Calls.Single().Token);
    }

    [Fact]
    public async Task A_message_is_posted_form_encoded_with_blocks_and_response_only_keys_dropped()
    {
        var message = Message("Hello <@U1>", blocks: 2);
        message["thread_ts"] = "1700000000.000001";
        message["response_type"] = "in_channel";
        message["replace_original"] = false;

        var ts = await Client().PostMessageAsync(Token, "C1", message);

        var call = await Slack.WaitForCallAsync("chat.postMessage");
        Assert.Equal("C1", call.Arg("channel"));
        Assert.Equal("1700000000.000001", call.Arg("thread_ts"));
        Assert.Equal(2, call.Args["blocks"]!.AsArray().Count);   // sent as a JSON string field, parsed back by the fake
        Assert.Null(call.Args["response_type"]);
        Assert.Null(call.Args["replace_original"]);
        var (channel, posted) = Assert.Single(Slack.Messages);
        Assert.Equal(("C1", ts), (channel, posted["ts"]!.GetValue<string>()));
        Assert.Equal("Hello <@U1>", posted["text"]!.GetValue<string>());
        Assert.Equal("in_channel", message["response_type"]!.GetValue<string>());   // the caller's object is untouched
    }

    [Fact]
    public async Task Ephemeral_messages_and_updates_round_trip()
    {
        var client = Client();
        var ts = await client.PostMessageAsync(Token, "C1", Message("v1"));
        await client.UpdateMessageAsync(Token, "C1", ts, Message("v2"));
        await client.PostEphemeralAsync(Token, "C1", "U2", Message("only Bob"));

        var messages = Slack.Messages;
        Assert.Equal(2, messages.Count);
        Assert.Equal("v2", messages[0].Message["text"]!.GetValue<string>());
        Assert.Equal(ts, messages[0].Message["ts"]!.GetValue<string>());
        Assert.True(messages[1].Message["ephemeral"]!.GetValue<bool>());
        Assert.Equal("U2", messages[1].Message["user"]!.GetValue<string>());

        var missing = await Assert.ThrowsAsync<SlackApiException>(() => client.UpdateMessageAsync(Token, "C1", "1.2", Message("x")));
        Assert.Equal(("chat.update", "message_not_found"), (missing.Method, missing.Error));
    }

    [Fact]
    public async Task Modals_open_with_a_fresh_trigger_once_and_update_by_id()
    {
        var client = Client();
        var trigger = Slack.IssueTriggerId();
        var viewId = await client.OpenViewAsync(Token, trigger, Modal("Add ally"));
        Assert.StartsWith("V", viewId);
        await client.UpdateViewAsync(Token, viewId, Modal("Add ally (2/2)"));
        var update = await Slack.WaitForCallAsync("views.update");
        Assert.Equal(viewId, update.Arg("view_id"));
        Assert.Equal("Add ally (2/2)", update.Args["view"]!["title"]!["text"]!.GetValue<string>());

        var reused = await Assert.ThrowsAsync<SlackApiException>(() => client.OpenViewAsync(Token, trigger, Modal("Again")));
        Assert.Equal("expired_trigger_id", reused.Error);
        Assert.True(reused.IsPermanent);
        var unknown = await Assert.ThrowsAsync<SlackApiException>(() => client.OpenViewAsync(Token, "123.456.abc", Modal("Again")));
        Assert.Equal("invalid_trigger_id", unknown.Error);
        var longTitle = await Assert.ThrowsAsync<SlackApiException>(() => client.OpenViewAsync(Token, Slack.IssueTriggerId(), Modal("A title that is too long!")));
        Assert.Equal("invalid_arguments", longTitle.Error);
        var tooManyBlocks = await Assert.ThrowsAsync<SlackApiException>(() => client.OpenViewAsync(Token, Slack.IssueTriggerId(), Modal("Big", blocks: 101)));
        Assert.Equal("invalid_arguments", tooManyBlocks.Error);
    }

    [Fact]
    public async Task Home_is_published_per_user()
    {
        var home = new JsonObject { ["type"] = "home", ["blocks"] = Message("Your allies", 100)["blocks"]!.DeepClone() };
        await Client().PublishHomeAsync(Token, "U1", home);
        Assert.Equal(100, Slack.Home("U1")!["blocks"]!.AsArray().Count);
        Assert.Null(Slack.Home("U2"));
    }

    [Fact]
    public async Task A_dm_channel_is_opened_once_and_remembered()
    {
        var client = Client();
        var dm = await client.OpenDmAsync(Token, "U1");
        Assert.StartsWith("D", dm);
        Assert.Equal(dm, await client.OpenDmAsync(Token, "U1"));
        Assert.Equal("U1", Assert.Single(Slack.CallsTo("conversations.open")).Arg("users"));
        Assert.NotEqual(dm, await client.OpenDmAsync(Token, "U2"));
    }

    [Fact]
    public async Task User_info_gives_name_zone_and_admin_flag()
    {
        var client = Client();
        Assert.Equal(new SlackUser("U1", "Alice Doe", "Europe/Berlin", IsAdmin: true, IsBot: false), await client.UserInfoAsync(Token, "U1"));
        Assert.Equal(new SlackUser("U2", "Bob Roe", "America/Chicago", IsAdmin: false, IsBot: false), await client.UserInfoAsync(Token, "U2"));
        Assert.True((await client.UserInfoAsync(Token, "UBOT")).IsBot);
        var missing = await Assert.ThrowsAsync<SlackApiException>(() => client.UserInfoAsync(Token, "U404"));
        Assert.Equal(("users.info", "user_not_found", true), (missing.Method, missing.Error, missing.IsPermanent));
    }

    [Fact]
    public async Task A_file_upload_lands_with_the_exact_content()
    {
        const string csv = "name,zone\r\nJosé Núñez,Europe/Madrid\r\n\"Doe, Jane\",🌍\r\n";
        await Client().UploadFileAsync(Token, "D1", "allies.csv", csv, "Allies");

        Assert.Equal(("D1", "allies.csv", csv), Assert.Single(Slack.Files));
        var ticket = Slack.CallsTo("files.getUploadURLExternal").Single();
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(csv).ToString(CultureInfo.InvariantCulture), ticket.Arg("length"));
        var complete = await Slack.WaitForCallAsync("files.completeUploadExternal");
        Assert.Equal("D1", complete.Arg("channel_id"));
        Assert.Equal("Allies", complete.Args["files"]![0]!["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task Response_urls_take_json_posts_five_times()
    {
        var client = Client();
        var url = Slack.ResponseUrl("r1").ToString();
        var reply = new JsonObject { ["text"] = "Done", ["response_type"] = "ephemeral", ["replace_original"] = true };
        await client.RespondAsync(url, reply);

        var posted = await Slack.WaitForResponseAsync(r => r["url_id"]!.GetValue<string>() == "r1");
        Assert.Equal("Done", posted["text"]!.GetValue<string>());
        Assert.True(posted["replace_original"]!.GetValue<bool>());   // kept: a response_url understands it

        for (var i = 0; i < 4; i++) await client.RespondAsync(url, reply);
        var sixth = await Assert.ThrowsAsync<SlackApiException>(() => client.RespondAsync(url, reply));
        Assert.Equal(("response_url", "used_url"), (sixth.Method, sixth.Error));
        Assert.Equal(5, Slack.ResponsesPosted.Count);
    }

    [Theory]
    [InlineData("https://evil.example.com/commands/T1/1/abc")]
    [InlineData("http://hooks.slack.com/commands/T1/1/abc")]
    [InlineData("https://hooks.slack.com:8443/commands/T1/1/abc")]
    [InlineData("https://hooks.slack.com.evil.example.com/commands/T1/1/abc")]
    [InlineData("https://hooks.slack.com@evil.example.com/commands/T1/1/abc")]
    [InlineData("/commands/T1/1/abc")]
    [InlineData("not a url")]
    public async Task An_untrusted_response_url_is_refused_without_a_request(string url)
    {
        using var counting = new CountingHandler();
        using var http = new HttpClient(counting);
        var refused = await Assert.ThrowsAsync<SlackApiException>(() => Client(http: http).RespondAsync(url, new JsonObject { ["text"] = "hi" }));
        Assert.Equal(("response_url", "untrusted_response_url", true), (refused.Method, refused.Error, refused.IsPermanent));
        Assert.Equal(0, counting.Requests);
    }

    [Fact]
    public async Task A_response_url_on_another_port_of_the_api_host_is_refused()
    {
        var other = new UriBuilder(Slack.ResponseUrl("r2")) { Port = Slack.BaseUrl.Port == 1 ? 2 : 1 }.Uri.ToString();
        using var counting = new CountingHandler();
        using var http = new HttpClient(counting);
        var refused = await Assert.ThrowsAsync<SlackApiException>(() => Client(http: http).RespondAsync(other, new JsonObject { ["text"] = "hi" }));
        Assert.Equal("untrusted_response_url", refused.Error);
        Assert.Equal(0, counting.Requests);
    }

    [Fact]
    public async Task OAuth_exchanges_a_code_once_for_a_working_bot_token()
    {
        var client = Client();
        var code = Slack.IssueOAuthCode("T9", "Nine Corp", "xoxb-999-NEWtoken");
        var response = await client.OAuthAccessAsync(Slack.ClientId, Slack.ClientSecret, code, "https://bot.example.org/slack/oauth");

        Assert.Equal("xoxb-999-NEWtoken", response.GetProperty("access_token").GetString());
        Assert.Equal("bot", response.GetProperty("token_type").GetString());
        Assert.Equal("T9", response.GetProperty("team").GetProperty("id").GetString());
        Assert.False(response.GetProperty("is_enterprise_install").GetBoolean());
        Assert.Equal("UINSTALLER", response.GetProperty("authed_user").GetProperty("id").GetString());
        var call = Slack.CallsTo("oauth.v2.access").Single();
        Assert.Equal("https://bot.example.org/slack/oauth", call.Arg("redirect_uri"));
        Assert.Null(call.Args["client_secret"]);   // credentials go in the Basic header
        Assert.Equal("T9", (await client.AuthTestAsync("xoxb-999-NEWtoken")).TeamId);

        var again = await Assert.ThrowsAsync<SlackApiException>(() => client.OAuthAccessAsync(Slack.ClientId, Slack.ClientSecret, code, null));
        Assert.Equal("invalid_code", again.Error);
        var badSecret = await Assert.ThrowsAsync<SlackApiException>(() =>
            client.OAuthAccessAsync(Slack.ClientId, "wrong-SECRET", Slack.IssueOAuthCode("T9", "Nine", "xoxb-x"), null));
        Assert.Equal("bad_client_secret", badSecret.Error);
        Assert.DoesNotContain("wrong-SECRET", badSecret.ToString());
    }

    [Fact]
    public async Task An_org_wide_install_has_no_team_but_an_enterprise()
    {
        var code = Slack.IssueOAuthCode("T9", "Grid Org", "xoxb-org", enterpriseId: "E9", enterpriseInstall: true);
        var response = await Client().OAuthAccessAsync(Slack.ClientId, Slack.ClientSecret, code, null);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, response.GetProperty("team").ValueKind);
        Assert.Equal("E9", response.GetProperty("enterprise").GetProperty("id").GetString());
        Assert.True(response.GetProperty("is_enterprise_install").GetBoolean());
    }

    [Fact]
    public async Task Socket_mode_url_comes_from_the_app_token_only()
    {
        var client = Client();
        Slack.SocketUrl = new Uri("wss://wss-primary.slack.com/link/?ticket=t1");
        Assert.Equal(Slack.SocketUrl, await client.OpenSocketConnectionAsync(AppToken));
        var wrongKind = await Assert.ThrowsAsync<SlackApiException>(() => client.OpenSocketConnectionAsync(Token));
        Assert.Equal("not_allowed_token_type", wrongKind.Error);
        var botWithApp = await Assert.ThrowsAsync<SlackApiException>(() => client.AuthTestAsync(AppToken));
        Assert.Equal("not_allowed_token_type", botWithApp.Error);
    }

    [Fact]
    public async Task The_generic_call_returns_the_whole_response()
    {
        var client = Client();
        var response = await client.CallAsync("users.info", Token, new JsonObject { ["user"] = "U1", ["include_locale"] = true });
        Assert.Equal("Europe/Berlin", response.GetProperty("user").GetProperty("tz").GetString());
        Assert.Equal("true", Slack.Calls.Single().Arg("include_locale"));
        var unknown = await Assert.ThrowsAsync<SlackApiException>(() => client.CallAsync("chat.nothing", Token, []));
        Assert.Equal("unknown_method", unknown.Error);
        await Assert.ThrowsAsync<ArgumentException>(() => client.CallAsync("../oauth.v2.access", Token, []));
    }

    [Theory]
    [InlineData("channel_not_found", true)]
    [InlineData("not_in_channel", true)]
    [InlineData("is_archived", true)]
    [InlineData("invalid_auth", true)]
    [InlineData("token_revoked", true)]
    [InlineData("missing_scope", true)]
    [InlineData("invalid_blocks", true)]
    [InlineData("msg_too_long", true)]
    [InlineData("team_access_not_granted", true)]
    [InlineData("internal_error", false)]
    [InlineData("fatal_error", false)]
    [InlineData("service_unavailable", false)]
    [InlineData("request_timeout", false)]
    [InlineData("ratelimited", false)]
    public async Task Ok_false_becomes_an_exception_with_the_error_name(string error, bool permanent)
    {
        Slack.FailNext("chat.postMessage", error);
        var e = await Assert.ThrowsAsync<SlackApiException>(() => Client().PostMessageAsync(Token, "C1", Message("hi")));
        Assert.Equal(("chat.postMessage", error, permanent), (e.Method, e.Error, e.IsPermanent));
        Assert.Single(Slack.Calls);   // ok:false is never retried
    }

    [Fact]
    public async Task Bad_tokens_and_bad_arguments_are_permanent()
    {
        var client = Client();
        var bad = await Assert.ThrowsAsync<SlackApiException>(() => client.PostMessageAsync("xoxb-not-REAL", "C1", Message("hi")));
        Assert.Equal(("invalid_auth", true), (bad.Error, bad.IsPermanent));
        Assert.DoesNotContain("xoxb-not-REAL", bad.ToString());
        var none = await Assert.ThrowsAsync<SlackApiException>(() => client.CallAsync("auth.test", null, []));
        Assert.Equal("not_authed", none.Error);
        var tooBig = await Assert.ThrowsAsync<SlackApiException>(() => client.PostMessageAsync(Token, "C1", Message("hi", blocks: 51)));
        Assert.Equal(("invalid_blocks", true), (tooBig.Error, tooBig.IsPermanent));
        var empty = await Assert.ThrowsAsync<SlackApiException>(() => client.PostMessageAsync(Token, "C1", []));
        Assert.Equal("invalid_arguments", empty.Error);
    }

    [Fact]
    public async Task Non_json_and_http_errors_are_named()
    {
        var client = Client();
        Slack.HttpErrorNext("auth.test", 200);
        Assert.Equal("invalid_response", (await Assert.ThrowsAsync<SlackApiException>(() => client.AuthTestAsync(Token))).Error);
        Slack.HttpErrorNext("auth.test", 404);
        var notFound = await Assert.ThrowsAsync<SlackApiException>(() => client.AuthTestAsync(Token));
        Assert.Equal(("http_404", true), (notFound.Error, notFound.IsPermanent));
        Slack.HttpErrorNext("auth.test", 503, times: 3);
        var down = await Assert.ThrowsAsync<SlackApiException>(() => client.AuthTestAsync(Token));
        Assert.Equal(("http_503", false), (down.Error, down.IsPermanent));
        Assert.Equal(2 + 3, Slack.Calls.Count);   // 503 is tried three times in all
    }

    [Fact]
    public async Task A_503_then_200_succeeds()
    {
        Slack.HttpErrorNext("chat.postMessage", 503);
        var ts = await Client().PostMessageAsync(Token, "C1", Message("hi"));
        Assert.Equal(2, Slack.CallsTo("chat.postMessage").Count);
        Assert.Equal(ts, Assert.Single(Slack.Messages).Message["ts"]!.GetValue<string>());
        Assert.Contains(Log.Lines, l => l.Contains("http_503") && l.Contains("retry 1 of 2"));
    }

    [Fact]
    public async Task A_timeout_is_retried()
    {
        using var impatient = new HttpClient { Timeout = TimeSpan.FromMilliseconds(300) };
        Slack.DelayNext("auth.test", TimeSpan.FromSeconds(1));
        Assert.Equal("T1", (await Client(http: impatient).AuthTestAsync(Token)).TeamId);
        Assert.Contains(Log.Lines, l => l.Contains("timeout"));
    }

    [Fact]
    public async Task A_network_error_is_retried_twice_then_reported_as_transient()
    {
        var closed = new UriBuilder(Slack.BaseUrl) { Port = 1 }.Uri.ToString();
        var e = await Assert.ThrowsAsync<SlackApiException>(() => Client(baseUrl: closed).AuthTestAsync(Token));
        Assert.Equal(("network_error", false), (e.Error, e.IsPermanent));
        Assert.Equal(2, Log.Lines.Count(l => l.Contains("network_error")));
    }

    [Fact]
    public async Task A_429_with_retry_after_1_is_waited_out_and_retried()
    {
        Slack.RateLimitNext("chat.postMessage", retryAfterSeconds: 1);
        var clock = Stopwatch.StartNew();
        await Client(new SlackRateLimitOptions()).PostMessageAsync(Token, "C1", Message("hi"));   // real time: TimeScale 1
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.95), $"retried after {clock.Elapsed}");
        var calls = Slack.CallsTo("chat.postMessage");
        Assert.Equal(2, calls.Count);
        Assert.True(calls[1].At - calls[0].At >= TimeSpan.FromSeconds(0.95));
        Assert.Contains(Log.Lines, l => l.Contains("429") && l.Contains("retry 1 of 3"));
    }

    [Fact]
    public async Task A_429_is_retried_at_most_three_times()
    {
        Slack.RateLimitNext("users.info", retryAfterSeconds: 2, times: 4);
        var e = await Assert.ThrowsAsync<SlackRateLimitedException>(() => Client().UserInfoAsync(Token, "U1"));
        Assert.Equal((TimeSpan.FromSeconds(2), false), (e.RetryAfter, e.Local));
        Assert.Equal(4, Slack.Calls.Count);
    }

    [Fact]
    public async Task A_429_with_a_long_retry_after_is_not_waited_for()
    {
        Slack.RateLimitNext("chat.postMessage", retryAfterSeconds: 120);
        var client = Client();
        var e = await Assert.ThrowsAsync<SlackRateLimitedException>(() => client.PostMessageAsync(Token, "C1", Message("hi")));
        Assert.Equal((TimeSpan.FromSeconds(120), false, "ratelimited", false), (e.RetryAfter, e.Local, e.Error, e.IsPermanent));
        Assert.Single(Slack.Calls);

        // Slack's wait now applies to that channel here too: refused locally, other channels go on.
        var local = await Assert.ThrowsAsync<SlackRateLimitedException>(() => client.PostMessageAsync(Token, "C1", Message("again")));
        Assert.True(local.Local);
        Assert.InRange(local.RetryAfter, TimeSpan.FromSeconds(110), TimeSpan.FromSeconds(120));
        await client.PostMessageAsync(Token, "C2", Message("elsewhere"));
        Assert.Equal(2, Slack.Calls.Count);
    }

    [Fact]
    public async Task Tokens_never_appear_in_exceptions_or_logs()
    {
        var client = Client();
        var failures = new List<Exception>();
        async Task Collect(Func<Task> call)
        {
            try { await call(); }
            catch (Exception e) { failures.Add(e); }
        }
        Slack.HttpErrorNext("auth.test", 503, times: 3);
        await Collect(() => client.AuthTestAsync(Token));
        Slack.RateLimitNext("auth.test", 60);
        await Collect(() => client.AuthTestAsync(Token));
        Slack.FailNext("apps.connections.open", "invalid_auth");
        await Collect(() => client.OpenSocketConnectionAsync(AppToken));
        await Collect(() => client.OAuthAccessAsync(Slack.ClientId, Slack.ClientSecret, "bad-code", null));
        await Collect(() => Client(baseUrl: new UriBuilder(Slack.BaseUrl) { Port = 1 }.Uri.ToString()).PostMessageAsync(Token, "C1", Message("x")));

        Assert.Equal(5, failures.Count);
        foreach (var secret in new[] { Token, AppToken, Slack.ClientSecret, "SECRET" })
        {
            Assert.NotEmpty(failures);
            Assert.All(failures, e => Assert.DoesNotContain(secret, e.ToString()));
            Assert.NotEmpty(Log.Lines);
            Assert.All(Log.Lines, l => Assert.DoesNotContain(secret, l));
        }
        Assert.NotEmpty(Log.Lines);
    }

    private sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _requests;
        public int Requests => _requests;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _requests);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
