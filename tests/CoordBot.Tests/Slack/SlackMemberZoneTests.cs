using CoordBot.Scheduling;
using CoordBot.Tests.Support;
using CoordBot.Workspaces;
using Xunit;

namespace CoordBot.Tests.Slack;

/// <summary>A Slack member's time zone comes from users.info <c>tz</c>: for who uses CoordBot, and for members mentioned at setup.</summary>
public sealed class SlackMemberZoneTests : SlackHostTest
{
    private async Task<MemberZone> ZoneEventuallyAsync(string user, string zone)
    {
        var store = Host.Get<MemberZoneStore>();
        for (var i = 0; i < 200 && (await store.GetAsync(Team, user)).PlatformZone != zone; i++) await Task.Delay(25);
        return await store.GetAsync(Team, user);
    }

    [Fact]
    public async Task The_tz_of_users_info_is_the_member_s_zone_until_they_set_their_own()
    {
        Slack.AddUser(Team, "U3", "kiran", timeZone: "Asia/Kolkata");
        Slack.AddUser(Team, "U4", "mars", timeZone: "Mars/Olympus_Mons");
        // Bob (U2, Chicago in Slack) never wrote to CoordBot: being made a member looks him up.
        (await Client.CommandAsync(Team, "U1", "/checkin", "setup Vets --metric \"beds:beds:increase\" --every mon 09:00 --tz UTC --members <@U2|bob> <@U3|kiran> <@U4|mars>"))
            .Message().Shows("Set up Vets (I1)");
        Assert.Equal(new MemberZone("America/Chicago", null), await ZoneEventuallyAsync("U2", "America/Chicago"));
        Assert.Equal(new MemberZone("Asia/Kolkata", null), await ZoneEventuallyAsync("U3", "Asia/Kolkata"));
        await Slack.WaitForCallAsync("users.info", c => c.Arg("user") == "U4");
        await Task.Delay(200);
        Assert.Equal(MemberZone.None, await Host.Get<MemberZoneStore>().GetAsync(Team, "U4"));   // a zone this host does not know: the initiative's

        var keys = new List<string>();
        for (var i = 0; i < 100 && !keys.Contains("checkin:I1:prompt:Asia/Kolkata"); i++)
        {
            await Task.Delay(25);
            keys = (await Host.Get<IScheduledSends>().UpcomingAsync(Team, 50)).Select(s => s.Key).ToList();
        }
        Assert.Contains("checkin:I1:prompt:America/Chicago", keys);
        Assert.Contains("checkin:I1:nudge:Asia/Kolkata", keys);
        Assert.DoesNotContain(keys, k => k.Contains("Mars", StringComparison.Ordinal));

        var shown = SlackText.Of((await Client.CommandAsync(Team, "U3", "/checkin", "zone")).Message());
        Assert.Contains("Your time zone: Asia/Kolkata (from Slack)", shown);
        shown = SlackText.Of((await Client.CommandAsync(Team, "U3", "/checkin", "zone Europe/Berlin")).Message());
        Assert.Contains("Your time zone is now Europe/Berlin (set by you)", shown);
        Assert.Equal(new MemberZone("Asia/Kolkata", "Europe/Berlin"), await Host.Get<MemberZoneStore>().GetAsync(Team, "U3"));
        // Looked up once per user, not on every command.
        Assert.Equal(1, Slack.Calls.Count(c => c.Method == "users.info" && c.Arg("user") == "U3"));
    }
}
