using System.Text.Json.Nodes;
using CoordBot.Allies;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Slack;

/// <summary>Forms as modals: views.open with the trigger, inline errors on submit, the command run on success.</summary>
public sealed class SlackModalTests : SlackHostTest
{
    [Fact]
    public async Task Ally_add_without_text_opens_a_modal_that_shows_errors_inline_then_adds()
    {
        var answer = await Client.CommandAsync(Team, "U1", "/ally", "add");
        answer.Acknowledged();
        var open = Slack.Calls.Single(c => c.Method == "views.open");
        Assert.Equal(BotToken, open.Token);
        var view = open.Args["view"]!.AsObject();
        BlockKitLimits.AssertValidModal(view);
        Assert.Equal("Add an ally", view["title"]!["text"]!.GetValue<string>());

        // A bad sector: the modal stays open with the error beside the sector input.
        var refused = await Client.SubmitViewAsync(Team, "U1", view, new() { ["name"] = "Jane Doe", ["sector"] = "govt" });
        var errors = refused.Message();
        Assert.Equal("errors", errors["response_action"]?.GetValue<string>());
        Assert.Contains("not a valid --sector", errors["errors"]!["sector"]!.GetValue<string>());
        Assert.Empty(await AlliesAsync());

        // Corrected: the modal closes (empty 200), the ally is stored, and the confirmation follows.
        var accepted = await Client.SubmitViewAsync(Team, "U1", view, new() { ["name"] = "Jane Doe", ["sector"] = "government", ["org"] = "City of Atlanta" });
        accepted.Acknowledged();
        var confirmation = await Slack.WaitForResponseTo(answer.ResponseUrlId!);
        BlockKitLimits.AssertValidMessage(confirmation);
        confirmation.Shows("Added Jane Doe (A1)");
        Assert.Equal(["Jane Doe"], await AlliesAsync());
    }

    [Fact]
    public async Task A_missing_required_name_is_shown_beside_the_name()
    {
        await Client.CommandAsync(Team, "U1", "/ally", "add");
        var view = Slack.Calls.Single(c => c.Method == "views.open").Args["view"]!.AsObject();
        var refused = (await Client.SubmitViewAsync(Team, "U1", view, new() { ["org"] = "City of Atlanta" })).Message();
        Assert.Equal("errors", refused["response_action"]?.GetValue<string>());
        Assert.NotNull(refused["errors"]!["name"]);
    }

    [Fact]
    public async Task The_open_form_button_of_ally_show_opens_the_touchpoint_modal()
    {
        await Client.CommandAsync(Team, "U1", "/ally", "add \"Jane Doe\"");
        var shown = (await Client.CommandAsync(Team, "U1", "/ally", "show A1")).Message();
        var pressed = await Client.PressAsync(Team, "U1", shown, FormButtonLabel(shown));
        pressed.Acknowledged();
        var view = (await Slack.WaitForCallAsync("views.open")).Args["view"]!.AsObject();
        BlockKitLimits.AssertValidModal(view);
        var inputs = view["blocks"]!.AsArray().Where(b => b!["type"]!.GetValue<string>() == "input").Select(b => b!["block_id"]!.GetValue<string>()).ToList();
        Assert.Equal(["note", "on", "via"], inputs);
        (await Client.SubmitViewAsync(Team, "U1", view, new() { ["note"] = "Talked about the budget", ["on"] = "2026-11-20" })).Acknowledged();
        var confirmation = await Slack.WaitForResponseTo(pressed.ResponseUrlId!);
        confirmation.Shows("Jane Doe");
        (await Client.CommandAsync(Team, "U1", "/ally", "show A1")).Message().Shows("Talked about the budget");
    }

    [Fact]
    public async Task Ally_due_lists_the_allies_due_and_its_log_touchpoint_button_opens_the_touchpoint_modal()
    {
        await Client.CommandAsync(Team, "U1", "/ally", "add \"Jane Doe\" --every 3 --owner <@U2>");
        await Client.CommandAsync(Team, "U1", "/ally", "add \"Sam Lee\" --level career");
        var due = (await Client.CommandAsync(Team, "U1", "/ally", "due")).Message();
        BlockKitLimits.AssertValidMessage(due);
        due.Shows("Jane Doe (A1)", "due in 3 days", "kept by");
        Assert.DoesNotContain("Sam Lee", SlackText.Of(due));
        (await Client.CommandAsync(Team, "U1", "/ally", "due --owner <@U1>")).Message().Shows("No allies kept by");

        var pressed = await Client.PressAsync(Team, "U1", due, "Log touchpoint");
        pressed.Acknowledged();
        var view = (await Slack.WaitForCallAsync("views.open")).Args["view"]!.AsObject();
        BlockKitLimits.AssertValidModal(view);
        (await Client.SubmitViewAsync(Team, "U1", view, new() { ["note"] = "Called about the levy" })).Acknowledged();
        (await Client.CommandAsync(Team, "U1", "/ally", "show A1")).Message().Shows("Called about the levy", "3 days (its own)");
    }

    [Fact]
    public async Task An_expired_trigger_falls_back_to_a_message_with_the_form_button()
    {
        Slack.FailNext("views.open", "expired_trigger_id");
        var answer = (await Client.CommandAsync(Team, "U1", "/ally", "add")).Message();
        BlockKitLimits.AssertValidMessage(answer);
        answer.Shows("Add an ally");
    }

    [Fact]
    public async Task Closing_a_modal_is_acknowledged()
    {
        var closed = await Client.InteractAsync(new JsonObject
        {
            ["type"] = "view_closed",
            ["team"] = new JsonObject { ["id"] = Team },
            ["user"] = new JsonObject { ["id"] = "U1" },
            ["view"] = new JsonObject { ["callback_id"] = "coordbot_form", ["private_metadata"] = "{}" },
            ["is_cleared"] = false,
        });
        closed.Acknowledged();
    }

    [Fact]
    public async Task Forged_private_metadata_is_refused_with_400()
    {
        var forged = await Client.InteractAsync(new JsonObject
        {
            ["type"] = "view_submission",
            ["team"] = new JsonObject { ["id"] = Team },
            ["user"] = new JsonObject { ["id"] = "U1" },
            ["view"] = new JsonObject { ["callback_id"] = "coordbot_form", ["private_metadata"] = "not json", ["blocks"] = new JsonArray() },
        });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, forged.Status);
    }

    private static string FormButtonLabel(JsonObject message) =>
        SlackTestClient.Elements(message)
            .First(e => e["action_id"]?.GetValue<string>() == "coordbot_open_form")["text"]!["text"]!.GetValue<string>();

    private async Task<List<string>> AlliesAsync()
    {
        var (items, _, _) = await Host.Get<AllyStore>().ListAsync(Team, new AllyFilter(), 1, 100);
        return items.Select(a => a.Name).ToList();
    }
}
