using System.Text.Json.Nodes;
using CoordBot.CheckIns;
using CoordBot.Scheduling;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Slack;

/// <summary>The weekly check-in in Slack: the prompt as a DM, its button opening the form as a modal, the digest with a chart link.</summary>
public sealed class SlackCheckInTests : SlackHostTest
{
    private Task FireAsync(CheckInStage stage) =>
        Host.Get<CheckInSchedule>().HandleAsync(new ScheduledSend($"checkin:I1:{stage.ToString().ToLowerInvariant()}", CheckInSchedule.KindName, Team,
            DateTimeOffset.UtcNow, new Dictionary<string, string> { ["initiative"] = "1", ["stage"] = stage.ToString().ToLowerInvariant() }), TimeSpan.Zero,
            CancellationToken.None);

    [Fact]
    public async Task The_prompt_is_a_DM_whose_button_opens_the_check_in_modal_and_the_digest_links_the_chart()
    {
        // Alice's Slack zone is the initiative's (a member in another zone is prompted by that zone's trigger: SlackMemberZoneTests).
        Slack.AddUser(Team, "U1", "alice", timeZone: "UTC", isAdmin: true);
        // Every day of the week is a prompt day here, so "now" is always just after this week's prompt.
        var day = DateTimeOffset.UtcNow.DayOfWeek.ToString()[..3].ToLowerInvariant();
        (await Client.CommandAsync(Team, "U1", "/checkin", $"setup Vets --template bfz --every {day} 00:00 --tz UTC --members <@U1|alice>")).Message()
            .Shows("Set up Vets (I1)");
        await FireAsync(CheckInStage.Prompt);

        var post = await Slack.WaitForCallAsync("chat.postMessage", c => SlackText.Of(c.Message()).Contains("Weekly check-in: Vets"));
        Assert.StartsWith("D", post.Arg("channel"));                     // a DM, opened with conversations.open
        var prompt = post.Message();
        BlockKitLimits.AssertValidMessage(prompt);

        var pressed = await Client.PressAsync(Team, "U1", prompt, "Check in", channel: post.Arg("channel")!);
        pressed.Acknowledged();
        var view = (await Slack.WaitForCallAsync("views.open")).Args["view"]!.AsObject();
        BlockKitLimits.AssertValidModal(view);
        var inputs = view["blocks"]!.AsArray().OfType<JsonObject>().Where(b => b["type"]!.GetValue<string>() == "input")
            .Select(b => b["block_id"]!.GetValue<string>()).ToList();
        Assert.Equal(["actively homeless", "inflow", "outflow", "wins", "barriers", "next", "help-needed"], inputs);

        (await Client.SubmitViewAsync(Team, "U1", view, new() { ["actively homeless"] = "42", ["inflow"] = "3", ["wins"] = "<!channel> *two* landlords" }))
            .Acknowledged();
        var week = new CheckInCycle((await Host.Get<InitiativeStore>().GetAsync(Team, 1))!).WeekAt(DateTimeOffset.UtcNow);
        await WaitForAsync(async () => (await Host.Get<CheckInStore>().WeekAsync(Team, 1, week)).Count == 1);
        Assert.Equal(42, (await Host.Get<CheckInStore>().WeekAsync(Team, 1, week)).Single().Values["actively homeless"]);

        Assert.Contains("Posting the", SlackText.Of((await Client.CommandAsync(Team, "U1", "/checkin", "digest I1")).Message()));
        var digest = (await Slack.WaitForCallAsync("chat.postMessage", c => SlackText.Of(c.Message()).Contains("weekly digest"))).Message();
        BlockKitLimits.AssertValidMessage(digest);
        // User text goes out as plain_text, which Slack shows as typed: no @channel ping, no bold.
        var wins = digest["blocks"]!.AsArray().OfType<JsonObject>().Single(b => b["text"]?["text"]?.GetValue<string>().Contains("two* landlords") == true);
        Assert.Equal("plain_text", wins["text"]!["type"]!.GetValue<string>());
        Assert.DoesNotContain("mrkdwn", wins.ToJsonString());
        // No Bot:PublicBaseUrl in this host: the chart is named, not linked, and its PNG follows as a file (SlackChartImageTests).
        Assert.Contains(CoordBot.Slack.BlockKit.BlockKitRenderer.ChartUploadNote, SlackText.Of(digest));
        Assert.DoesNotContain("\"url\"", digest.ToJsonString());
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        // The outcome of work done after the request was acknowledged: polled for up to 30 s.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition() && !timeout.IsCancellationRequested) await Task.Delay(20);
        Assert.True(await condition());
    }
}
