using System.Text.Json.Nodes;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Slack;

/// <summary>The Events API: url_verification, mentions and DMs as commands, retries once, Home tab, uninstall.</summary>
public sealed class SlackEventTests : SlackHostTest
{
    [Fact]
    public async Task Url_verification_echoes_the_challenge()
    {
        var body = new JsonObject { ["token"] = "t", ["challenge"] = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", ["type"] = "url_verification" };
        var answer = await Client.PostAsync("/slack/events", System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()), "application/json");
        Assert.Equal("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", answer.Message()["challenge"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_mention_runs_the_command_and_answers_in_the_channel()
    {
        var (answer, _) = await Client.EventAsync(Team, Mention("<@UBOT> ally add \"Jane Doe\" --org \"City of Atlanta\""));
        answer.Acknowledged();
        var post = await Slack.WaitForCallAsync("chat.postEphemeral");
        Assert.Equal(BotToken, post.Token);
        Assert.Equal("C1", post.Args["channel"]!.GetValue<string>());
        Assert.Equal("U1", post.Args["user"]!.GetValue<string>());
        BlockKitLimits.AssertValidMessage(post.Message());
        post.Args.Shows("Added Jane Doe (A1)");
    }

    [Fact]
    public async Task A_shared_answer_to_a_mention_is_posted_in_the_thread()
    {
        var mention = Mention("<@UBOT> ally add \"Jane Doe\" --share");
        mention["thread_ts"] = "1700000000.000050";
        await Client.EventAsync(Team, mention);
        var post = await Slack.WaitForCallAsync("chat.postMessage");
        Assert.Equal("C1", post.Args["channel"]!.GetValue<string>());
        Assert.Equal("1700000000.000050", post.Args["thread_ts"]!.GetValue<string>());
        post.Args.Shows("Added Jane Doe (A1)");
    }

    [Fact]
    public async Task A_direct_message_runs_the_command_and_answers_in_the_dm()
    {
        await Client.EventAsync(Team, new JsonObject
        {
            ["type"] = "message", ["channel"] = "D1", ["channel_type"] = "im", ["user"] = "U1", ["text"] = "ally add \"Jane Doe\"",
            ["ts"] = "1700000000.000200", ["event_ts"] = "1700000000.000200",
        });
        var post = await Slack.WaitForCallAsync("chat.postMessage");
        Assert.Equal("D1", post.Args["channel"]!.GetValue<string>());
        post.Args.Shows("Added Jane Doe (A1)");
    }

    [Fact]
    public async Task A_retried_event_is_processed_once()
    {
        var mention = Mention("<@UBOT> ally add \"Jane Doe\"");
        var (first, id) = await Client.EventAsync(Team, mention);
        var (retry, _) = await Client.EventAsync(Team, (JsonObject)mention.DeepClone(), eventId: id, retryNum: 1);
        var (again, _) = await Client.EventAsync(Team, (JsonObject)mention.DeepClone(), eventId: id, retryNum: 2);
        first.Acknowledged();
        retry.Acknowledged();
        again.Acknowledged();
        await Slack.WaitForCallAsync("chat.postEphemeral");
        // A later, different event is handled, so by the time its answer is seen the duplicates would have been too.
        await Client.EventAsync(Team, Mention("<@UBOT> ally show A1"));
        await Slack.WaitForCallAsync("chat.postEphemeral", c => SlackText.Of(c.Args).Contains("Last contact"));
        Assert.Single(Slack.Calls, c => SlackText.Of(c.Args).Contains("Added Jane Doe"));
        (await Client.CommandAsync(Team, "U1", "/ally", "list")).Message().Shows("1 ally");
    }

    private const string ClerkCalendar =
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Fulton County//Elections//EN\r\n" +
        "BEGIN:VEVENT\r\nUID:2099-general@fulton.example\r\nDTSTART;VALUE=DATE:20991105\r\nSUMMARY:General Election\r\nLOCATION:Atlanta\r\nEND:VEVENT\r\n" +
        "BEGIN:VEVENT\r\nUID:2099-runoff@fulton.example\r\nDTSTART;VALUE=DATE:20991203\r\nSUMMARY:Runoff Election\r\nLOCATION:Atlanta\r\nEND:VEVENT\r\n" +
        "END:VCALENDAR\r\n";

    private JsonObject FileShare(string text, JsonObject file) => new()
    {
        ["type"] = "message", ["subtype"] = "file_share", ["channel"] = "D1", ["channel_type"] = "im", ["user"] = "U1", ["text"] = text,
        ["files"] = new JsonArray(file), ["ts"] = "1700000000.000300",
    };

    [Fact]
    public async Task A_calendar_shared_in_a_dm_with_election_import_is_imported_once()
    {
        await Client.EventAsync(Team, FileShare("election import", Slack.ShareFile(Team, "elections.ics", ClerkCalendar, "text/calendar")));
        var post = await Slack.WaitForCallAsync("chat.postMessage", c => c.Arg("channel") == "D1");
        post.Message().Shows("Imported 2 new and updated 0 elections", "General Election (E1)", "Runoff Election (E2)");

        // The same file again updates by UID instead of adding.
        await Client.EventAsync(Team, FileShare("election import", Slack.ShareFile(Team, "elections.ics", ClerkCalendar, "text/calendar")));
        await Slack.WaitForCallAsync("chat.postMessage", c => SlackText.Of(c.Args).Contains("Imported 0 new and updated 2"));
    }

    [Fact]
    public async Task A_shared_file_the_bot_cannot_read_is_refused_with_the_reason()
    {
        await Client.EventAsync(Team, FileShare("election import", Slack.ShareFile("T-OTHER", "elections.ics", ClerkCalendar)));
        (await Slack.WaitForCallAsync("chat.postMessage")).Message().Shows("I could not read elections.ics");
        await Client.EventAsync(Team, FileShare("election import", Slack.ShareFile(Team, "photo.png", "binary")));
        await Slack.WaitForCallAsync("chat.postMessage", c => SlackText.Of(c.Args).Contains("photo.png is none of these"));
        (await Client.CommandAsync(Team, "U1", "/election", "list --all")).Message().Shows("No elections recorded");
    }

    [Theory]
    [InlineData(404, "no longer exists")]
    [InlineData(403, "did not let me download it")]
    [InlineData(500, "I could not read allies.csv (http_500)")]
    public async Task A_shared_file_whose_download_fails_gets_a_reply_naming_the_problem(int status, string problem)
    {
        var file = Slack.ShareFile(Team, "allies.csv", "name,org\nJane Doe,City of Atlanta\n", "text/csv");
        Slack.BreakSharedFile(file["id"]!.GetValue<string>(), status);
        await Client.EventAsync(Team, FileShare("ally import", file));
        (await Slack.WaitForCallAsync("chat.postMessage", c => c.Arg("channel") == "D1")).Message().Shows(problem);
        (await Client.CommandAsync(Team, "U1", "/ally", "list")).Message().Shows("No allies yet");
    }

    [Fact]
    public async Task A_shared_file_larger_than_it_said_is_refused_as_too_large()
    {
        var big = new string('x', (int)CoordBot.Slack.SlackHandler.MaxSharedFileBytes + 10);
        await Client.EventAsync(Team, FileShare("ally import", Slack.ShareFile(Team, "allies.csv", big, "text/csv", declaredSize: 100)));
        (await Slack.WaitForCallAsync("chat.postMessage", c => c.Arg("channel") == "D1")).Message().Shows("allies.csv is larger than 2 MB.");
    }

    [Fact]
    public void Every_download_failure_names_the_problem()
    {
        Assert.Contains("timed out", CoordBot.Slack.SlackHandler.DownloadProblem("a.ics", "timeout"));
        Assert.Contains("failed", CoordBot.Slack.SlackHandler.DownloadProblem("a.ics", "network_error"));
    }

    [Fact]
    public async Task The_bot_ignores_itself_other_bots_and_edits()
    {
        await Client.EventAsync(Team, new JsonObject { ["type"] = "message", ["channel"] = "D1", ["channel_type"] = "im", ["user"] = "UBOT", ["text"] = "ally add \"Loop\"" });
        await Client.EventAsync(Team, new JsonObject { ["type"] = "message", ["channel"] = "D1", ["channel_type"] = "im", ["bot_id"] = "B9", ["user"] = "U9", ["text"] = "ally add \"Bot\"" });
        await Client.EventAsync(Team, new JsonObject { ["type"] = "message", ["subtype"] = "message_changed", ["channel"] = "D1", ["channel_type"] = "im", ["user"] = "U1", ["text"] = "ally add \"Edit\"" });
        await Client.EventAsync(Team, new JsonObject { ["type"] = "message", ["channel"] = "C1", ["channel_type"] = "channel", ["user"] = "U1", ["text"] = "ally add \"Chatter\"" });
        // A real DM afterwards proves the queue ran past the ignored ones.
        await Client.EventAsync(Team, new JsonObject { ["type"] = "message", ["channel"] = "D1", ["channel_type"] = "im", ["user"] = "U1", ["text"] = "ally list" });
        var post = await Slack.WaitForCallAsync("chat.postMessage");
        post.Args.Shows("No allies yet");
        Assert.Single(Slack.Calls, c => c.Method.StartsWith("chat."));
    }

    [Fact]
    public async Task Opening_the_home_tab_publishes_it()
    {
        await Client.CommandAsync(Team, "U1", "/ally", "add \"Jane Doe\" --owner @U1");
        await Client.CommandAsync(Team, "U1", "/election", "add atlanta 2099-11-03");
        await Client.EventAsync(Team, new JsonObject { ["type"] = "app_home_opened", ["user"] = "U1", ["channel"] = "D1", ["tab"] = "home", ["event_ts"] = "1700000000.1" });
        var publish = await Slack.WaitForCallAsync("views.publish");
        Assert.Equal("U1", publish.Args["user_id"]!.GetValue<string>());
        var view = publish.Args["view"]!.AsObject();
        BlockKitLimits.AssertValidHome(view);
        view.Shows("Your allies due for contact", "Jane Doe", "Upcoming elections", "Atlanta election (E1)");
    }

    [Fact]
    public async Task Uninstall_forgets_the_token_and_nothing_more_is_sent()
    {
        await Client.EventAsync(Team, new JsonObject { ["type"] = "app_uninstalled", ["event_ts"] = "1700000000.2" });
        await WaitUntilAsync(async () => await Host.Get<CoordBot.Slack.ISlackTokens>().BotTokenAsync(Team, default) is null);
        await Client.EventAsync(Team, Mention("<@UBOT> coord help"));
        // The event was acknowledged before it was handled: wait until the handling (and anything it queued) is done.
        await Host.Get<CoordBot.Chat.WorkQueue>().WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(Slack.Calls, c => c.Method.StartsWith("chat."));
    }

    [Fact]
    public async Task Revoking_the_bot_token_forgets_it()
    {
        await Client.EventAsync(Team, new JsonObject
        {
            ["type"] = "tokens_revoked", ["tokens"] = new JsonObject { ["oauth"] = new JsonArray("U1"), ["bot"] = new JsonArray("UBOT") }, ["event_ts"] = "1700000000.3",
        });
        await WaitUntilAsync(async () => await Host.Get<CoordBot.Slack.ISlackTokens>().BotTokenAsync(Team, default) is null);
    }

    private static JsonObject Mention(string text) => new()
    {
        ["type"] = "app_mention", ["user"] = "U1", ["text"] = text, ["channel"] = "C1", ["ts"] = "1700000000.000100", ["event_ts"] = "1700000000.000100",
    };

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 600; i++)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }
        Assert.Fail("the condition did not become true within 30 s");
    }
}
