using System.Net;
using System.Text.Json.Nodes;
using CoordBot.Chat;
using CoordBot.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CoordBot.Tests.Slack;

/// <summary>Slash commands and buttons through the real host, signed as Slack signs them, against the fake Web API.</summary>
public sealed class SlackCommandTests : SlackHostTest
{
    [Fact]
    public async Task Ally_add_answers_in_the_response_ephemerally_and_stores_the_ally()
    {
        var reply = (await Client.CommandAsync(Team, "U1", "/ally", "add \"Jane Doe\" --org \"City of Atlanta\" --sector government")).Message();
        BlockKitLimits.AssertValidMessage(reply);
        Assert.Equal("ephemeral", reply["response_type"]?.GetValue<string>());
        reply.Shows("Added Jane Doe (A1)", "City of Atlanta");

        var list = (await Client.CommandAsync(Team, "U2", "/ally", "list --sector government")).Message();
        BlockKitLimits.AssertValidMessage(list);
        list.Shows("Jane Doe");
    }

    [Fact]
    public async Task Election_risk_shows_the_turnover_radar_in_valid_block_kit()
    {
        await Client.CommandAsync(Team, "U1", "/ally", "add \"Mayor Ada\" --org \"City of Atlanta\" --level elected --jurisdiction atlanta --owner <@U2> --stance champion");
        await Client.CommandAsync(Team, "U1", "/election", "add atlanta 2030-11-05");
        var risk = (await Client.CommandAsync(Team, "U1", "/election", "risk E1")).Message();
        BlockKitLimits.AssertValidMessage(risk);
        risk.Shows("Mayor Ada (A1)", "kept by", "last contact never", "champion", "no contact in 90+ days", "no continuity ally at City of Atlanta");
    }

    [Fact]
    public async Task A_role_change_shows_as_role_history_in_valid_block_kit()
    {
        await Client.CommandAsync(Team, "U1", "/ally", "add \"Jo Park\" --role \"Council member\" --org \"City of Atlanta\" --level elected");
        await Client.CommandAsync(Team, "U1", "/ally", "edit A1 --role \"Chief of Staff\" --org \"Fulton County\" --level appointed");
        var shown = (await Client.CommandAsync(Team, "U1", "/ally", "show A1")).Message();
        BlockKitLimits.AssertValidMessage(shown);
        shown.Shows("Role history (1)", "Council member, City of Atlanta (elected)", "Chief of Staff");
        (await Client.CommandAsync(Team, "U1", "/ally", "list --was \"City of Atlanta\"")).Message().Shows("Jo Park (A1)");
    }

    [Fact]
    public async Task Election_brief_answers_in_valid_block_kit()
    {
        await Client.CommandAsync(Team, "U1", "/ally", "add \"Mayor Ada\" --org \"City of Atlanta\" --level elected --jurisdiction atlanta");
        await Client.CommandAsync(Team, "U1", "/election", "add atlanta 2020-11-03");
        await Client.CommandAsync(Team, "U1", "/election", "office A1 --status left");
        var brief = (await Client.CommandAsync(Team, "U1", "/election", "brief E1")).Message();
        BlockKitLimits.AssertValidMessage(brief);
        brief.Shows("Transition brief", "Left office (1)", "Mayor Ada (A1)", "no touchpoints recorded", "nobody who stays");
    }

    [Fact]
    public async Task Share_posts_in_channel()
    {
        await Client.CommandAsync(Team, "U1", "/ally", "add \"Jane Doe\"");
        var shared = (await Client.CommandAsync(Team, "U1", "/ally", "list --share")).Message();
        Assert.Equal("in_channel", shared["response_type"]?.GetValue<string>());
    }

    [Theory]
    [InlineData("/coord", "help", "ally")]
    [InlineData("/coord", "", "coord")]
    [InlineData("/ally", "", "ally add")]
    [InlineData("/election", "", "election")]
    [InlineData("/checkin", "", "checkin")]
    public async Task Every_slash_command_reaches_the_router_and_answers(string command, string text, string expected)
    {
        var reply = (await Client.CommandAsync(Team, "U1", command, text)).Message();
        BlockKitLimits.AssertValidMessage(reply);
        Assert.Contains(expected, SlackText.Of(reply) + reply["text"], StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_benchmarks_no_op_command_is_unknown_to_the_production_host()
    {
        // tests/CoordBot.Benchmarks/SlackLoad.cs answers "/noop" with a fixed "no-op" JSON, but only in the composition the
        // benchmark builds; the host's own composition routes it like any other text, to the router's refusal.
        var reply = (await Client.CommandAsync(Team, "U1", "/noop", "")).Message();
        BlockKitLimits.AssertValidMessage(reply);
        reply.Shows("I don't know the command \"noop\".");
        Assert.DoesNotContain("no-op", reply.ToJsonString());
        Assert.Equal("ephemeral", reply["response_type"]?.GetValue<string>());
    }

    [Fact]
    public async Task A_refusal_names_the_problem()
    {
        var reply = (await Client.CommandAsync(Team, "U1", "/ally", "add \"X\" --sector govt")).Message();
        Assert.Equal("ephemeral", reply["response_type"]?.GetValue<string>());
        reply.Shows("\"govt\" is not a valid --sector");
    }

    [Fact]
    public async Task User_text_comes_out_inert()
    {
        const string hostile = "<!channel> <@U123> <https://x|y> & *bold*";
        var reply = (await Client.CommandAsync(Team, "U1", "/ally", $"add \"{hostile}\" --org \"{hostile}\" --notes \"{hostile}\"")).Message();
        BlockKitLimits.AssertValidMessage(reply);
        AssertInert(reply, hostile);
        var shown = (await Client.CommandAsync(Team, "U1", "/ally", "show A1")).Message();
        AssertInert(shown, hostile);
    }

    /// <summary>No mrkdwn text may carry a raw &lt;…&gt; (mention, link) or formatting; the words are still shown.</summary>
    internal static void AssertInert(JsonObject message, string hostile)
    {
        var found = false;
        foreach (var text in TextObjects(message))
        {
            var type = text["type"]!.GetValue<string>();
            var value = text["text"]!.GetValue<string>();
            if (type == "mrkdwn")
            {
                Assert.DoesNotContain("<", value);
                Assert.DoesNotContain("*bold*", value);
                if (value.Contains("&lt;!channel&gt;")) found = true;
            }
            // plain_text shows the words as typed (an invisible word joiner may break up "://" and "@here").
            else if (value.Replace("\u2060", "").Contains(hostile)) found = true;
        }
        Assert.True(found, $"the text is not shown at all:\n{message.ToJsonString()}");
        Assert.DoesNotContain("<!channel>", message["text"]?.GetValue<string>() ?? "");
    }

    private static IEnumerable<JsonObject> TextObjects(JsonNode? node) => node switch
    {
        JsonObject o when o["type"]?.GetValue<string>() is "plain_text" or "mrkdwn" && o["text"] is JsonValue => [o],
        JsonObject o => o.SelectMany(p => TextObjects(p.Value)),
        JsonArray a => a.SelectMany(TextObjects),
        _ => [],
    };

    [Fact]
    public async Task Remove_asks_and_the_button_confirms_through_response_url()
    {
        await Client.CommandAsync(Team, "U1", "/ally", "add \"Jane Doe\"");
        var ask = (await Client.CommandAsync(Team, "U1", "/ally", "remove A1")).Message();
        ask.Shows("Remove Jane Doe (A1)?");

        var pressed = await Client.PressAsync(Team, "U1", ask, "Remove Jane Doe");
        pressed.Acknowledged();
        var follow = await Slack.WaitForResponseTo(pressed.ResponseUrlId!);
        BlockKitLimits.AssertValidMessage(follow);
        follow.Shows("Removed Jane Doe (A1).");
        Assert.True(follow["replace_original"]?.GetValue<bool>());

        (await Client.CommandAsync(Team, "U1", "/ally", "show A1")).Message().Shows("No ally");
    }

    [Fact]
    public async Task Paging_buttons_page()
    {
        for (var i = 1; i <= 12; i++) await Client.CommandAsync(Team, "U1", "/ally", $"add \"Person {i:D2}\"");
        var first = (await Client.CommandAsync(Team, "U1", "/ally", "list")).Message();
        first.Shows("page 1 of 2");
        var pressed = await Client.PressAsync(Team, "U1", first, "Next");
        pressed.Acknowledged();
        (await Slack.WaitForResponseTo(pressed.ResponseUrlId!)).Shows("page 2 of 2");
    }

    [Fact]
    public async Task A_buttons_command_runs_as_the_presser_with_their_permissions()
    {
        await Client.CommandAsync(Team, "U2", "/ally", "add \"Bob's Ally\"");
        var ask = (await Client.CommandAsync(Team, "U2", "/ally", "remove A1")).Message();
        var pressed = await Client.PressAsync(Team, "U3", ask, "Remove Bob's Ally");   // somebody else, neither creator nor admin, presses it
        pressed.Acknowledged();
        (await Slack.WaitForResponseTo(pressed.ResponseUrlId!)).Shows("Only U2");
    }

    [Fact]
    public async Task Slow_commands_are_acknowledged_at_once_and_answered_through_response_url()
    {
        var slow = new GateMiddleware();
        await using var host = StartSlowHost(slow);
        var client = new SlackTestClient(host.Http, SigningSecret, Slack);
        var answer = await client.CommandAsync(Team, "U1", "/ally", "add \"Jane Doe\"");
        // Acknowledged while the command is still held: the acknowledgement did not wait for the answer.
        answer.Acknowledged();
        await slow.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var (allies, _, _) = await host.Get<CoordBot.Allies.AllyStore>().ListAsync(Team, new CoordBot.Allies.AllyFilter(), 1, 10);
        Assert.Empty(allies);   // nothing added yet
        slow.Release.SetResult();
        var late = await Slack.WaitForResponseTo(answer.ResponseUrlId!);
        BlockKitLimits.AssertValidMessage(late);
        late.Shows("Added Jane Doe (A1)");
        Assert.Equal("ephemeral", late["response_type"]?.GetValue<string>());
    }

    private TestHost StartSlowHost(IChatMiddleware slow) => new(Db, services: s => s.AddSingleton(slow),
        settings: new()
        {
            ["Slack:SigningSecret"] = SigningSecret,
            ["Slack:BotToken"] = BotToken,
            ["Slack:ApiBaseUrl"] = Slack.BaseUrl.ToString(),
            ["Slack:ReplyBudget"] = "00:00:00.200",
        });

    /// <summary>Holds every command until the test releases it.</summary>
    private sealed class GateMiddleware : IChatMiddleware
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<Reply?> InvokeAsync(ChatRequest request, Func<ChatRequest, Task<Reply?>> next, CancellationToken ct)
        {
            Entered.TrySetResult();
            await Release.Task.WaitAsync(ct);
            return await next(request);
        }
    }

    [Fact]
    public async Task Unknown_fields_and_a_missing_command_are_400_not_500()
    {
        var body = SlackTestClient.Form(new() { ["team_id"] = Team, ["user_id"] = "U1" });
        var answer = await Client.PostAsync("/slack/commands", body, "application/x-www-form-urlencoded");
        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Contains("command", answer.Body);
    }
}
