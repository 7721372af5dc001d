using System.Globalization;
using CoordBot.Scheduling;
using CoordBot.Tests.CheckIns;
using CoordBot.Tests.Support;
using CoordBot.Workspaces;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CoordBot.Tests.Slack;

/// <summary>
/// Members in three zones besides the initiative's, each known only from Slack's users.info <c>tz</c>, get their weekly
/// prompt as a DM at 09:00 on their own clock, exactly once a week, across the US and EU DST changes of March 2027: the
/// real host with Quartz and the outbox on a fake clock, the fake Slack Web API on loopback. The expected instants are
/// <see cref="MemberZoneTests.Weeks"/>, written out by hand from the 2027 rules.
/// </summary>
public sealed class SlackMemberZoneDstTests : IAsyncLifetime
{
    private const string Team = SlackHostTest.Team;
    private readonly FakeTimeProvider _clock = new(At("2027-03-01T20:00Z"));   // Monday of 2027-W09, after that week's prompts
    private readonly TestDatabase _db = new();
    private FakeSlackApi _slack = null!;
    private TestHost _host = null!;
    private SlackTestClient _client = null!;

    // Slack user → (name, the zone Slack reports).
    private static readonly Dictionary<string, (string Name, string Zone)> Members = new()
    {
        ["U1"] = ("alice", "America/Chicago"), ["U2"] = ("nina", "America/New_York"), ["U3"] = ("bert", "Europe/Berlin"), ["U4"] = ("kiran", "Asia/Kolkata"),
    };

    public async ValueTask InitializeAsync()
    {
        _slack = await FakeSlackApi.StartAsync();
        _slack.AddTeam(Team, SlackHostTest.BotToken);
        foreach (var (id, (name, zone)) in Members) _slack.AddUser(Team, id, name, timeZone: zone, isAdmin: id == "U1");
        var settings = SlackHostTest.Settings(_slack);
        settings["Outbox:PollInterval"] = "00:00:00.250";
        _host = new TestHost(_db, s => s.AddSingleton<TimeProvider>(_clock), settings);
        _client = new SlackTestClient(_host.Http, SlackHostTest.SigningSecret, _slack, _clock);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        await _slack.DisposeAsync();
        _db.Dispose();
    }

    private static DateTimeOffset At(string utc) => DateTimeOffset.Parse(utc, CultureInfo.InvariantCulture);

    /// <summary>How many "Weekly check-in" DMs for the week the user has had.</summary>
    private int Prompts(string user, string week) =>
        _slack.DmOf(Team, user) is { } dm
            ? _slack.Messages.Count(m => m.Channel == dm && SlackText.Of(m.Message).Contains($"Weekly check-in: Shelter, {week}", StringComparison.Ordinal))
            : 0;

    /// <summary>
    /// Jumps to 30 s before <paramref name="due"/>, checks the prompt has not come, then moves the clock (5 s steps up to
    /// the due time, quarter seconds after it) until it comes: at or after its time, within a minute.
    /// </summary>
    private async Task ExpectPromptAsync(string user, string week, DateTimeOffset due)
    {
        _clock.SetUtcNow(due - TimeSpan.FromSeconds(30));
        await Task.Delay(50);
        Assert.True(Prompts(user, week) == 0, $"{Members[user].Name}'s {week} prompt came before {due:O}");
        while (Prompts(user, week) == 0)
        {
            var now = _clock.GetUtcNow();
            Assert.True(now < due + TimeSpan.FromMinutes(1), $"{Members[user].Name}'s {week} prompt had not come by {now:O} (due {due:O})");
            _clock.Advance(now < due ? TimeSpan.FromSeconds(5) : TimeSpan.FromMilliseconds(250));
            await Task.Delay(25);
        }
        Assert.Equal(1, Prompts(user, week));
    }

    [Fact]
    public async Task Slack_members_in_three_zones_get_their_prompt_at_their_own_09_00_exactly_once_across_both_DST_changes()
    {
        (await _client.CommandAsync(Team, "U1", "/checkin",
            "setup Shelter --metric \"beds:beds:increase\" --every mon 09:00 --tz America/Chicago --members <@U1|alice> <@U2|nina> <@U3|bert> <@U4|kiran>"))
            .Message().Shows("Set up Shelter (I1)", "every Monday at 09:00 (America/Chicago)");

        // Being made members looks each of them up (users.info); the three other zones get a prompt and a nudge trigger each.
        string[] expected = ["checkin:I1:digest", "checkin:I1:nudge", "checkin:I1:nudge:America/New_York", "checkin:I1:nudge:Asia/Kolkata",
            "checkin:I1:nudge:Europe/Berlin", "checkin:I1:prompt", "checkin:I1:prompt:America/New_York", "checkin:I1:prompt:Asia/Kolkata",
            "checkin:I1:prompt:Europe/Berlin"];
        var keys = new List<string>();
        for (var i = 0; i < 400 && !keys.SequenceEqual(expected); i++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(100));   // the lookups are paced by Slack's rate limits, on the host's clock
            await Task.Delay(25);
            keys = [.. (await _host.Get<IScheduledSends>().UpcomingAsync(Team, 50)).Select(s => s.Key).Order(StringComparer.Ordinal)];
        }
        Assert.True(keys.SequenceEqual(expected), string.Join(", ", keys));
        Assert.Equal(new MemberZone("Asia/Kolkata", null), await _host.Get<MemberZoneStore>().GetAsync(Team, "U4"));

        foreach (var (week, kiran, bert, nina, alice, _) in MemberZoneTests.Weeks)
        {
            await ExpectPromptAsync("U4", week, At(kiran));
            await ExpectPromptAsync("U3", week, At(bert));
            await ExpectPromptAsync("U2", week, At(nina));
            await ExpectPromptAsync("U1", week, At(alice));
        }

        // A day later (every nudge and the last digest sent), still one prompt per member and week, each in that member's DM.
        _clock.Advance(TimeSpan.FromDays(1));
        await Task.Delay(200);
        foreach (var user in Members.Keys)
        {
            Assert.StartsWith("D", _slack.DmOf(Team, user));
            foreach (var (week, _, _, _, _, _) in MemberZoneTests.Weeks) Assert.Equal(1, Prompts(user, week));
        }
        Assert.Equal(1, _slack.Calls.Count(c => c.Method == "users.info" && c.Arg("user") == "U4"));
    }
}
