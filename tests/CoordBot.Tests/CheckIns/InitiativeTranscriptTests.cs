using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.CheckIns;

/// <summary>checkin setup, list, pause, resume and remove through the router on a real SQLite file.</summary>
public sealed class InitiativeTranscriptTests : CoreTest
{
    private async Task<string> Say(string text, string user = "alice") => CoreChat.Plain(await Chat.Say("W", user, text));

    [Fact]
    public async Task Setup_with_the_bfz_template_and_a_schedule()
    {
        var setup = await Say("checkin setup \"Veteran homelessness\" --template bfz --baseline 120 --target 0 --by 2027-12-31 " +
                              "--every wed 14:30 --tz America/Denver --members <@ana> <@ben>");
        Assert.Contains("Set up Veteran homelessness (I1)", setup);
        Assert.Contains("Aim: actively homeless: from 120 to 0 people by 2027-12-31", setup);
        Assert.Contains("Metrics: actively homeless:people:decrease:last; inflow:people:decrease:sum; outflow:people:increase:sum", setup);
        Assert.Contains("Check-in: every Wednesday at 14:30 (America/Denver)", setup);
        Assert.Contains("Members: @ana, @ben", setup);

        var list = await Say("checkin list");
        Assert.Contains("Veteran homelessness (I1)", list);
        Assert.Contains("every Wednesday 14:30 (America/Denver) · 2 members", list);
    }

    [Fact]
    public async Task Several_metrics_and_defaults()
    {
        var setup = await Say("checkin setup Youth --metric \"youth housed:households:increase:sum\" --metric \"days to house:days:decrease\"");
        Assert.Contains("Aim: youth housed (up, no target set)", setup);
        Assert.Contains("youth housed:households:increase:sum; days to house:days:decrease:last", setup);
        Assert.Contains("every Monday at 09:00 (UTC)", setup);
        Assert.Contains("Members: @alice", setup);
    }

    [Theory]
    [InlineData("checkin setup X --metric housed", "needs 3 or 4 parts")]
    [InlineData("checkin setup X --metric \"housed:people:up\"", "\"up\" is not a direction")]
    [InlineData("checkin setup X", "needs at least one metric")]
    [InlineData("checkin setup --template bfz", "needs a name")]
    [InlineData("checkin setup X --template bfz --tz Mars/Olympus", "\"Mars/Olympus\" is not a time zone")]
    [InlineData("checkin setup X --template bfz --every someday", "--every starts with a weekday")]
    [InlineData("checkin setup X --template bfz --every mon 25:00", "is not a time of day")]
    [InlineData("checkin setup X --template bfz --target lots", "--target must be a number")]
    [InlineData("checkin setup X --template bfz --metric \"inflow:people:decrease\"", "\"inflow\" is given twice")]
    [InlineData("checkin setup X --template bfz --members \"<@U1|x @ana\"", "is not a user")]
    [InlineData("checkin setup X --template bfz --rules shewhart", "--rules")]
    [InlineData("checkin setup X --template bfz --members @alice @nobody", "I don't know @nobody in this workspace")]
    [InlineData("checkin setup X --template bfz --nudge-after 200", "--nudge-after is in hours, from 1 to 120")]
    public async Task Setup_errors_name_the_problem(string command, string message)
    {
        Assert.Contains(message, await Say(command));
        Assert.Contains("No initiatives yet", await Say("checkin list"));
    }

    [Fact]
    public async Task Names_are_unique_and_pause_resume_remove_need_the_creator_or_an_admin()
    {
        await Say("coord help");                                   // alice is the first user, so an admin
        await Say("checkin setup Youth --template bfz", user: "bob");
        Assert.Contains("already an initiative named \"youth\"", await Say("checkin setup youth --template bfz"));
        Assert.Contains("Only bob", await Say("checkin pause I1", user: "carol"));
        Assert.Contains("Paused Youth (I1)", await Say("checkin pause youth", user: "bob"));
        Assert.Contains("paused", await Say("checkin list"));
        Assert.Contains("Resumed Youth (I1)", await Say("checkin resume I1"));
        Assert.Contains("No initiative \"I9\"", await Say("checkin remove I9"));
        Assert.Contains("Removed Youth (I1)", await Say("checkin remove I1"));
        Assert.Contains("No initiatives yet", await Say("checkin list"));
    }

    [Fact]
    public async Task Submit_by_text_edit_and_status()
    {
        await Say("checkin setup Vets --template bfz --members @alice <@bob>");
        Assert.Contains("0 of 2 checked in", await Say("checkin status"));
        Assert.Contains("Recorded your", await Say("checkin submit \"actively homeless\"=42 inflow=5 outflow=9 --wins \"3 landlords joined\""));
        var again = await Say("checkin submit Vets \"actively homeless\"=41");
        Assert.Contains("Updated your", again);
        Assert.Contains("check-in for Vets (I1): actively homeless 41, inflow 5, outflow 9.", again);   // what it names changes, the rest stays
        var status = await Say("checkin status I1");
        Assert.Contains("1 of 2 checked in", status);
        Assert.Contains("Checked in: @alice", status);
        Assert.Contains("Not yet: @bob", status);
    }

    [Theory]
    [InlineData("checkin submit housed=3", "has no metric \"housed\"")]
    [InlineData("checkin submit inflow=lots", "\"lots\" is not a number for inflow")]
    [InlineData("checkin submit Nope inflow=3", "No initiative \"Nope\"")]
    public async Task Bad_submissions_are_refused(string command, string message)
    {
        await Say("checkin setup Vets --template bfz --members @alice");
        Assert.Contains(message, await Say(command));
    }

    [Fact]
    public async Task Only_members_check_in_and_several_initiatives_need_a_name()
    {
        await Say("checkin setup Vets --template bfz --members @alice");
        Assert.Contains("not a member of Vets (I1)", await Say("checkin submit Vets inflow=1", user: "carol"));
        Assert.Contains("not a member of any initiative", await Say("checkin submit inflow=1", user: "carol"));
        await Say("checkin setup Youth --metric \"youth housed:households:increase:sum\" --members @alice");
        Assert.Contains("several initiatives; name one: I1, I2", await Say("checkin submit inflow=1"));
    }

    [Fact]
    public async Task Submit_with_no_values_opens_a_form_whose_submission_is_recorded()
    {
        await Say("checkin setup Vets --template bfz --members @alice");
        var reply = await Chat.Say("W", "alice", "checkin submit");
        var form = reply.Blocks.OfType<CoordBot.Chat.Form>().Single();
        Assert.Equal("checkin submit I1", form.Command);
        Assert.Equal(["actively homeless", "inflow", "outflow", "wins", "barriers", "next", "help-needed"], form.Inputs.Select(i => i.Name));

        var submitted = await Chat.Get<CoordBot.Chat.CommandRouter>().HandleAsync(new CoordBot.Chat.ChatRequest("local", "W", "C1", "alice", null,
            new CoordBot.Chat.ChatAction(form.Command, new Dictionary<string, string>
            {
                ["actively homeless"] = "40", ["inflow"] = "4", ["outflow"] = "", ["wins"] = "A landlord joined --barriers x", ["barriers"] = "",
            })));
        Assert.Contains("Recorded your", CoreChat.Plain(submitted!));
        Assert.Contains("actively homeless 40, inflow 4", CoreChat.Plain(submitted!));
        var week = (await Chat.Get<CoordBot.CheckIns.CheckInStore>().WeekAsync("W", 1, CoordBot.CheckIns.IsoWeeks.Of(DateOnly.FromDateTime(TimeProvider.System.GetUtcNow().UtcDateTime))));
        var checkIn = Assert.Single(week);
        Assert.Equal("A landlord joined --barriers x", checkIn.Wins);   // a form value is never re-read as flags
        Assert.Null(checkIn.Barriers);
    }

    [Fact]
    public async Task Skip_a_week_and_go_away()
    {
        await Say("checkin setup Vets --template bfz --members @alice <@bob>");
        var skip = await Say("checkin skip Vets 2099-12-28");
        Assert.Contains("Vets (I1) skips 2099-W53", skip);
        var store = Chat.Get<CoordBot.CheckIns.CheckInStore>();
        Assert.True(await store.IsSkippedAsync("W", 1, "2099-W53"));
        Assert.False(await store.IsSkippedAsync("W", 1, "2099-W52"));
        Assert.Contains("Only alice", await Say("checkin skip I1 2099-12-21", user: "bob"));
        Assert.Contains("is already over", await Say("checkin skip I1 2001-01-01"));
        Assert.Contains("is not a date", await Say("checkin skip I1 someday"));

        Assert.Contains("until 2099-01-04", await Say("checkin away until 2099-01-04", user: "bob"));
        Assert.Equal(new DateOnly(2099, 1, 4), await store.AwayUntilAsync("W", "bob"));
        Assert.Contains("in the past", await Say("checkin away 2001-01-01", user: "bob"));
        Assert.Contains("Welcome back", await Say("checkin away off", user: "bob"));
        Assert.Null(await store.AwayUntilAsync("W", "bob"));
    }
}
