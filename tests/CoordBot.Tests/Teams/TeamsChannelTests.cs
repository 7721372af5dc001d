using System.Net;
using System.Text.Json.Nodes;
using CoordBot.Allies;
using Microsoft.AspNetCore.Builder;
using CoordBot.Chat;
using CoordBot.Outbox;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Teams;

/// <summary>Teams end to end: the real host, activities with real signed tokens, replies through a fake Connector.</summary>
public sealed class TeamsChannelTests : TeamsHostTest
{
    private Task<ConnectorCall> PostedTo(string conversation, string? containing = null) =>
        Connector.WaitForCallAsync(c => c.ConversationId == conversation && c.Method is "POST" or "PUT" && c.Body["attachments"] is not null &&
                                        (containing is null || c.Body.Card().Text().Contains(containing, StringComparison.OrdinalIgnoreCase)));

    [Theory]
    [InlineData("coord help", "ally")]
    [InlineData("ally", "ally add")]
    [InlineData("election", "election")]
    [InlineData("checkin", "checkin")]
    public async Task Every_command_answers_in_a_personal_chat(string text, string expected)
    {
        await Teams.SendAsync(Teams.Message(text));
        var card = (await PostedTo("a:personal-alice")).Body.Card();
        AdaptiveCardSchema.AssertValid(card);
        card.CardShows(expected);
    }

    [Fact]
    public async Task Ally_add_with_and_without_a_mention()
    {
        await Teams.SendAsync(Teams.Message("ally add \"Jane Doe\" --org \"City of Atlanta\""));
        var call = await PostedTo("a:personal-alice", "Added Jane Doe (A1)");
        Assert.Equal("POST", call.Method);
        Assert.Contains(call.Token, Connector.IssuedTokens);   // authenticated with a token the (fake) Entra ID issued to the bot
        AdaptiveCardSchema.AssertValid(call.Body.Card());

        // In a channel the bot is @mentioned; a shared answer is a threaded reply to the message.
        var message = Teams.Message("<at>CoordBot</at> ally add \"Sam Lee\" --share", conversation: "19:general@thread.tacv2", conversationType: "channel");
        await Teams.SendAsync(message);
        var reply = await PostedTo("19:general@thread.tacv2", "Added Sam Lee (A2)");
        Assert.Equal(message["id"]!.GetValue<string>(), reply.ActivityId);

        var (allies, _, _) = await Host.Get<AllyStore>().ListAsync(Tenant, new AllyFilter(), 1, 10);
        Assert.Equal(["Jane Doe", "Sam Lee"], allies.Select(a => a.Name).Order());
    }

    [Fact]
    public async Task Mentioned_people_become_members_by_their_Teams_id()
    {
        var message = Teams.Message("<at>CoordBot</at> checkin setup Vets --template bfz --members <at>Ben Ng</at> <at>Alice</at>",
            conversation: "19:general@thread.tacv2", conversationType: "channel");
        message["entities"]!.AsArray().Add(new JsonObject
        {
            ["type"] = "mention", ["text"] = "<at>Ben Ng</at>", ["mentioned"] = new JsonObject { ["id"] = "29:ben-id_1", ["name"] = "Ben Ng" },
        });
        message["entities"]!.AsArray().Add(new JsonObject
        {
            ["type"] = "mention", ["text"] = "<at>Alice</at>", ["mentioned"] = new JsonObject { ["id"] = "29:alice", ["name"] = "Alice" },
        });
        await Teams.SendAsync(message);
        await PostedTo("19:general@thread.tacv2", "Set up Vets (I1)");
        var initiative = Assert.Single(await Host.Get<CoordBot.CheckIns.InitiativeStore>().ListAsync(Tenant));
        Assert.Equal(["29:alice", "29:ben-id_1"], initiative.Members);
        Assert.Equal("19:general@thread.tacv2", initiative.ChannelId);   // the digest goes to the channel it was set up in
    }

    [Fact]
    public async Task Private_answers_asked_in_a_channel_go_to_a_new_1_to_1_chat()
    {
        await Teams.SendAsync(Teams.Message("<at>CoordBot</at> ally add \"Jane Doe\"", user: "29:bob", userName: "Bob",
            conversation: "19:general@thread.tacv2", conversationType: "channel"));
        var created = await Connector.WaitForCallAsync(c => c.Method == "POST" && c.Path.EndsWith("/v3/conversations"));
        Assert.Equal("29:bob", created.Body["members"]![0]!["id"]!.GetValue<string>());
        Assert.Equal(Tenant, created.Body["tenantId"]!.GetValue<string>());
        var dm = await Connector.WaitForCallAsync(c => c.ConversationId != "19:general@thread.tacv2" && c.Body["attachments"] is not null);
        dm.Body.Card().CardShows("Added Jane Doe (A1)");
        (await PostedTo("19:general@thread.tacv2", "1:1 chat")).Body.Card().CardShows("Bob");
        Assert.DoesNotContain(Connector.Calls, c => c.ConversationId == "19:general@thread.tacv2" && c.Body.ToJsonString().Contains("Jane Doe"));

        // The chat is remembered: the next private answer reuses it.
        await Teams.SendAsync(Teams.Message("<at>CoordBot</at> ally show A1", user: "29:bob", userName: "Bob",
            conversation: "19:general@thread.tacv2", conversationType: "channel"));
        await PostedTo(dm.ConversationId, "Jane Doe (A1)");
        Assert.Single(Connector.Calls, c => c.Path.EndsWith("/v3/conversations"));
    }

    [Fact]
    public async Task A_form_submit_refuses_inline_then_adds_and_updates_the_card()
    {
        await Teams.SendAsync(Teams.Message("ally add"));
        var formCall = await PostedTo("a:personal-alice", "Add an ally");
        var form = formCall.Body.Card();
        AdaptiveCardSchema.AssertValid(form);
        var submit = form.ActionData("Add ally");
        var formId = "1700000000555";

        var bad = (JsonObject)submit.DeepClone();
        bad["input_name"] = "Jane Doe";
        bad["input_sector"] = "govt";
        await Teams.SendAsync(Teams.Message("", value: bad, replyToId: formId));
        (await Connector.WaitForCallAsync(c => c.Body.ToJsonString().Contains("not a valid --sector"))).Body.Card().CardShows("govt");

        var good = (JsonObject)submit.DeepClone();
        good["input_name"] = "Jane Doe";
        good["input_sector"] = "government";
        await Teams.SendAsync(Teams.Message("", value: good, replyToId: formId));
        var update = await Connector.WaitForCallAsync(c => c.Body.ToJsonString().Contains("Added Jane Doe"));
        Assert.Equal("PUT", update.Method);
        Assert.Equal(formId, update.ActivityId);
    }

    [Fact]
    public async Task An_action_execute_runs_the_buttons_command_and_answers_with_a_card()
    {
        await Teams.SendAsync(Teams.Message("ally add \"Jane Doe\""));
        await Teams.SendAsync(Teams.Message("ally remove A1"));
        var ask = (await PostedTo("a:personal-alice", "Remove Jane Doe (A1)?")).Body.Card();

        var (status, body) = await Teams.PostAsync(Teams.Execute(ask.ActionData("Remove Jane Doe")));
        Assert.Equal(HttpStatusCode.OK, status);
        var response = JsonNode.Parse(body)!.AsObject();
        Assert.Equal(200, response["statusCode"]!.GetValue<int>());
        Assert.Equal("application/vnd.microsoft.card.adaptive", response["type"]!.GetValue<string>());
        var card = response["value"]!.AsObject();
        AdaptiveCardSchema.AssertValid(card);
        card.CardShows("Removed Jane Doe (A1).");

        var (badStatus, badBody) = await Teams.PostAsync(Teams.Execute(new JsonObject { ["something"] = "else" }));
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Assert.Contains("application/vnd.microsoft.error", badBody);
    }

    [Fact]
    public async Task Install_welcomes_once_and_uninstall_stops_proactive_messages()
    {
        var install = Teams.Activity("installationUpdate");
        install["action"] = "add";
        await Teams.SendAsync(install);
        var added = Teams.Activity("conversationUpdate");
        added["membersAdded"] = new JsonArray(new JsonObject { ["id"] = BotId });
        await Teams.SendAsync(added);
        (await PostedTo("a:personal-alice", "CoordBot")).Body.Card().CardShows("coord help");

        var uninstall = Teams.Activity("installationUpdate");
        uninstall["action"] = "remove";
        await Teams.SendAsync(uninstall);

        var outbox = Host.Get<OutboxStore>();
        var now = DateTimeOffset.UtcNow;
        await outbox.EnqueueAsync(Tenant, "after-uninstall", "teams", "a:personal-alice", Reply.Say("Reminder"), now, now);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            while ((await outbox.GetAsync(Tenant, "after-uninstall"))?.Status != "failed") await Task.Delay(20, timeout.Token);   // the dispatcher's outcome
        Assert.Equal("failed", (await outbox.GetAsync(Tenant, "after-uninstall"))?.Status);
        Assert.Single(Connector.Calls, c => c.Body.ToJsonString().Contains("Hi, I"));
    }

    [Fact]
    public async Task Proactive_messages_go_to_stored_conversations_and_to_new_1_to_1_chats()
    {
        await Teams.SendAsync(Teams.Message("coord help", conversation: "19:general@thread.tacv2", conversationType: "channel"));
        await PostedTo("19:general@thread.tacv2");
        var outbox = Host.Get<OutboxStore>();
        var now = DateTimeOffset.UtcNow;
        await outbox.EnqueueAsync(Tenant, "digest-1", "teams", "19:general@thread.tacv2", Reply.Say("Weekly digest: 12 housed"), now, now);
        (await PostedTo("19:general@thread.tacv2", "Weekly digest")).Body.Card().CardShows("12 housed");

        await outbox.EnqueueAsync(Tenant, "prompt-1", "teams", "29:carol", Reply.Say("Your check-in is due"), now, now);
        await Connector.WaitForCallAsync(c => c.Path.EndsWith("/v3/conversations") && c.Body["members"]![0]!["id"]!.GetValue<string>() == "29:carol");
        await Connector.WaitForCallAsync(c => c.Body.ToJsonString().Contains("Your check-in is due"));
    }

    [Fact]
    public async Task User_text_stays_inert_in_cards()
    {
        await Teams.SendAsync(Teams.Message("ally add \"[x](https://evil) <at>All</at>\" --notes \"**bold** [y](https://evil)\""));
        await PostedTo("a:personal-alice", "Added");
        await Teams.SendAsync(Teams.Message("ally show A1"));
        var card = (await PostedTo("a:personal-alice", "Notes")).Body.Card();
        AdaptiveCardSchema.AssertValid(card);
        AdaptiveCardSchema.AssertInert(card);
    }

    [Fact]
    public async Task Export_is_offered_as_a_download_link_that_expires()
    {
        await Teams.SendAsync(Teams.Message("ally add \"Jane Doe\" --org \"=HYPERLINK(1)\""));
        await PostedTo("a:personal-alice", "Added Jane Doe");
        await Teams.SendAsync(Teams.Message("ally export"));
        var card = (await PostedTo("a:personal-alice", "ready to download")).Body.Card();
        AdaptiveCardSchema.AssertValid(card);
        var url = card["actions"]![0]!["url"]!.GetValue<string>();
        Assert.StartsWith(PublicBaseUrl + "/downloads/", url);

        var download = await Host.Http.GetAsync(new Uri(url).PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("text/csv", download.Content.Headers.ContentType?.MediaType);
        var csv = await download.Content.ReadAsStringAsync();
        Assert.Contains("Jane Doe", csv);
        Assert.Contains("'=HYPERLINK(1)", csv);

        Assert.Equal(HttpStatusCode.NotFound, (await Host.Http.GetAsync("/downloads/" + new string('A', 43))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Http.GetAsync("/downloads/short")).StatusCode);
    }

    [Fact]
    public async Task A_calendar_file_sent_with_election_import_is_imported()
    {
        await using var files = Loopback.CreateApp();
        files.MapGet("/sites/clerk/elections.ics", () => Microsoft.AspNetCore.Http.Results.Text(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:e1@clerk\r\nDTSTART;VALUE=DATE:20991105\r\nSUMMARY:General Election\r\n" +
            "LOCATION:Atlanta\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", "text/calendar"));
        var filesRoot = await Loopback.StartAsync(files);

        var message = Teams.Message("election import");
        message["attachments"] = new JsonArray(new JsonObject
        {
            ["contentType"] = "application/vnd.microsoft.teams.file.download.info",
            ["name"] = "elections.ics",
            ["content"] = new JsonObject { ["downloadUrl"] = filesRoot + "sites/clerk/elections.ics", ["uniqueId"] = "1", ["fileType"] = "ics" },
        });
        await Teams.SendAsync(message);
        (await PostedTo("a:personal-alice", "Imported 1 new")).Body.Card().CardShows("General Election (E1)");

        var png = Teams.Message("election import");
        png["attachments"] = new JsonArray(new JsonObject
        {
            ["contentType"] = "application/vnd.microsoft.teams.file.download.info", ["name"] = "photo.png",
            ["content"] = new JsonObject { ["downloadUrl"] = filesRoot + "photo.png" },
        });
        await Teams.SendAsync(png);
        await PostedTo("a:personal-alice", "photo.png is none of these");
    }

    [Fact]
    public async Task The_bots_own_messages_and_unknown_activity_types_are_ignored()
    {
        await Teams.SendAsync(Teams.Message("ally add \"Loop\"", user: BotId));
        await Teams.SendAsync(Teams.Activity("typing"));
        await Teams.SendAsync(Teams.Activity("messageReaction"));
        await Teams.SendAsync(Teams.Message("ally list"));
        (await PostedTo("a:personal-alice")).Body.Card().CardShows("No allies yet");
        Assert.Single(Connector.Calls, c => c.Body["attachments"] is not null);
    }
}
