using CoordBot.CheckIns;
using CoordBot.Data;
using CoordBot.Scheduling;
using CoordBot.Tests.Support;
using CoordBot.Workspaces;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CoordBot.Tests.CheckIns;

/// <summary>
/// Each member's own time zone, end to end through the local channel: the real host over HTTP, Quartz's persistent
/// store and the outbox in one SQLite file, a fake clock the test moves. The initiative is in America/Chicago; its
/// members are in Chicago (no zone of their own), New York, Berlin and Kolkata. The expected instants are written
/// out by hand from the 2027 rules, not computed with the product's time-zone code: the US springs forward on Sunday
/// 2027-03-14 (New York UTC−5 → −4, Chicago −6 → −5), the EU on Sunday 2027-03-28 (Berlin UTC+1 → +2); Kolkata is
/// UTC+5:30 all year. So for two weeks New York is 5 hours behind Berlin instead of 6.
/// </summary>
public sealed class MemberZoneTests : IDisposable
{
    private const string Setup = "checkin setup Shelter --metric \"beds:beds:increase\" --every mon 09:00 --tz America/Chicago " +
                                 "--members @alice @nina @bert @kiran";

    private readonly TestDatabase _db = new();
    private readonly FakeTimeProvider _clock = new(At("2027-03-01T20:00Z"));   // Monday of 2027-W09, after that week's prompts
    private readonly LocalDeliveries _watch;

    public MemberZoneTests() => _watch = new LocalDeliveries(_clock);

    public void Dispose() => _db.Dispose();

    private TestHost StartHost() =>
        new(_db, services: s => s.AddSingleton<TimeProvider>(_clock), settings: new() { ["Outbox:PollInterval"] = "00:00:00.250" });

    private static DateTimeOffset At(string utc) => DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture);

    private static string Prompt(string week, string member) => $"checkin-prompt:I1:{week}:{member}";
    private static string Nudge(string week, string member) => $"checkin-nudge:I1:{week}:{member}";
    private static string Digest(string week) => $"checkin-digest:I1:{week}";

    /// <summary>Monday 09:00 of each week, in UTC, per member (alice has no zone of her own: Chicago's).</summary>
    internal static readonly (string Week, string Kiran, string Bert, string Nina, string Alice, string Digest)[] Weeks =
    [
        ("2027-W10", "2027-03-08T03:30Z", "2027-03-08T08:00Z", "2027-03-08T14:00Z", "2027-03-08T15:00Z", "2027-03-14T14:00Z"),   // digest after the US change
        ("2027-W11", "2027-03-15T03:30Z", "2027-03-15T08:00Z", "2027-03-15T13:00Z", "2027-03-15T14:00Z", "2027-03-21T14:00Z"),   // US on summer time, EU not
        ("2027-W12", "2027-03-22T03:30Z", "2027-03-22T08:00Z", "2027-03-22T13:00Z", "2027-03-22T14:00Z", "2027-03-28T14:00Z"),   // EU changes on the digest's day
        ("2027-W13", "2027-03-29T03:30Z", "2027-03-29T07:00Z", "2027-03-29T13:00Z", "2027-03-29T14:00Z", "2027-04-04T14:00Z"),   // both on summer time
    ];

    [Fact]
    public async Task Members_in_three_zones_get_prompt_and_nudge_at_their_own_09_00_exactly_once_a_week_across_both_DST_changes()
    {
        await using var host = StartHost();
        await host.User("alice").Says(Setup).Expect("Set up", "every Monday at 09:00 (America/Chicago)");
        await host.User("nina").Says("checkin zone America/New_York").Expect("Your time zone is now America/New_York (set by you)",
            "next prompt Mon 2027-03-08 09:00 (America/New_York)", "digest in America/Chicago");
        await host.User("bert").Says("checkin zone Europe/Berlin").Expect("Europe/Berlin");
        await host.User("kiran").Says("checkin zone Asia/Kolkata").Expect("next prompt Mon 2027-03-08 09:00 (Asia/Kolkata)");
        await host.User("alice").Says("checkin zone").Expect("No time zone of your own is known", "next prompt Mon 2027-03-08 09:00 (America/Chicago)");
        // Kiran's 2027-W09 prompt came 16 hours ago (Monday 09:00 in Kolkata), before the initiative existed: nothing is caught up.
        await _watch.IdleAsync(TimeSpan.FromMinutes(1));
        await _watch.AssertDeliveredAsync(host);

        // One trigger pair per zone: the initiative's three, and a prompt and a nudge for each other zone.
        var keys = (await host.Get<IScheduledSends>().UpcomingAsync("local", 50)).Select(s => s.Key).Order(StringComparer.Ordinal).ToList();
        Assert.Equal([
            "checkin:I1:digest", "checkin:I1:nudge", "checkin:I1:nudge:America/New_York", "checkin:I1:nudge:Asia/Kolkata", "checkin:I1:nudge:Europe/Berlin",
            "checkin:I1:prompt", "checkin:I1:prompt:America/New_York", "checkin:I1:prompt:Asia/Kolkata", "checkin:I1:prompt:Europe/Berlin"], keys);

        foreach (var (week, kiran, bert, nina, alice, digest) in Weeks)
        {
            await _watch.ExpectAsync(host, At(kiran), [Prompt(week, "kiran")]);
            if (week == "2027-W10")
            {
                // Kiran answers on his Monday morning, which is still Sunday evening in Chicago: it counts for the prompt he got.
                _clock.SetUtcNow(At(kiran) + TimeSpan.FromMinutes(30));
                await host.User("kiran").Says("checkin submit I1 beds=12").Expect("Recorded your 2027-W10 check-in");
            }
            await _watch.ExpectAsync(host, At(bert), [Prompt(week, "bert")]);
            await _watch.ExpectAsync(host, At(nina), [Prompt(week, "nina")]);
            await _watch.ExpectAsync(host, At(alice), [Prompt(week, "alice")]);
            string[] nudged = week == "2027-W10" ? ["bert", "nina", "alice"] : ["kiran", "bert", "nina", "alice"];
            if (nudged.Contains("kiran")) await _watch.ExpectAsync(host, At(kiran).AddDays(1), [Nudge(week, "kiran")]);
            else await _watch.ExpectAsync(host, At(kiran).AddDays(1), []);
            await _watch.ExpectAsync(host, At(bert).AddDays(1), [Nudge(week, "bert")]);
            await _watch.ExpectAsync(host, At(nina).AddDays(1), [Nudge(week, "nina")]);
            await _watch.ExpectAsync(host, At(alice).AddDays(1), [Nudge(week, "alice")]);
            await _watch.ExpectAsync(host, At(digest), [Digest(week)]);
        }

        foreach (var member in new[] { "alice", "nina", "bert", "kiran" })
        {
            var texts = await LocalDeliveries.TextsAsync(host, member);
            Assert.Equal(texts.Count, texts.Distinct().Count());
            foreach (var (week, _, _, _, _, _) in Weeks)
                Assert.Single(texts, t => t.StartsWith($"Weekly check-in: Shelter, {week}.", StringComparison.Ordinal));
            // The digest's time in the prompt is the initiative's, whoever reads it.
            Assert.Contains(texts, t => t.StartsWith("Weekly check-in: Shelter, 2027-W10.", StringComparison.Ordinal) &&
                                        t.Contains("The digest goes to the team Sun 2027-03-14 09:00 (America/Chicago)", StringComparison.Ordinal));
        }
        // The digests at Sunday 09:00 in Chicago, to the channel, once a week.
        Assert.Equal(Weeks.Select(w => Digest(w.Week)), (await LocalDeliveries.KeysAsync(host)).Keys.Where(k => k.StartsWith("checkin-digest:", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        await using (var connection = await host.Get<Database>().OpenAsync())
            Assert.Equal(["2027-W10"], await connection.QueryAsync<string>("SELECT week FROM checkins WHERE member = 'kiran'"));
        await _watch.AssertDeliveredAsync(host);
    }

    [Fact]
    public async Task A_member_who_moves_zone_on_prompt_day_gets_that_week_s_prompt_once_from_whichever_zone_comes_first()
    {
        await using var host = StartHost();
        await host.User("alice").Says(Setup).Expect("Set up");
        await host.User("nina").Says("checkin zone America/New_York").Expect("America/New_York");
        await host.User("bert").Says("checkin zone Europe/Berlin").Expect("Europe/Berlin");
        await host.User("kiran").Says("checkin zone Asia/Kolkata").Expect("Asia/Kolkata");
        var (week, kiran, bert, nina, alice, _) = Weeks[0];

        await _watch.ExpectAsync(host, At(kiran), [Prompt(week, "kiran")]);
        // Nina flies to Kolkata: its 09:00 has passed and New York's has not; she gets this week's prompt now, once.
        _clock.SetUtcNow(At("2027-03-08T05:00Z"));
        _watch.Expected[Prompt(week, "nina")] = _clock.GetUtcNow();
        await host.User("nina").Says("checkin zone Asia/Kolkata").Expect("Your time zone is now Asia/Kolkata");
        Assert.True(await _watch.ArrivesAsync(host, Prompt(week, "nina"), LocalDeliveries.Within), "the prompt of a member who moved past her new zone's 09:00 was not caught up");
        await _watch.ExpectAsync(host, At(bert), [Prompt(week, "bert")]);
        // Bert flies to New York after Berlin's prompt: New York's does not prompt him again.
        await host.User("bert").Says("checkin zone America/New_York").Expect("America/New_York");
        await _watch.ExpectAsync(host, At(nina), []);
        await _watch.ExpectAsync(host, At(alice), [Prompt(week, "alice")]);
        // Their nudges follow their new zones; the pair for Berlin, where nobody is now, is gone.
        await _watch.ExpectAsync(host, At(kiran).AddDays(1), [Nudge(week, "kiran"), Nudge(week, "nina")]);
        await _watch.ExpectAsync(host, At(nina).AddDays(1), [Nudge(week, "bert")]);
        Assert.DoesNotContain(await host.Get<IScheduledSends>().UpcomingAsync("local", 50), s => s.Key.Contains("Europe/Berlin", StringComparison.Ordinal));
        foreach (var member in new[] { "nina", "bert" })
            Assert.Single(await LocalDeliveries.TextsAsync(host, member), t => t.StartsWith($"Weekly check-in: Shelter, {week}.", StringComparison.Ordinal));
        await _watch.AssertDeliveredAsync(host);
    }

    [Fact]
    public async Task The_zone_command_refuses_what_is_not_a_zone_and_a_hand_set_zone_beats_the_platform_s()
    {
        await using var host = StartHost();
        var nina = host.User("nina");
        await host.User("alice").Says(Setup).Expect("Set up");
        var zones = host.Get<MemberZones>();

        foreach (var bad in new[] { "Mars/Olympus_Mons", "EST5EDT+junk", "../../etc/passwd", "Eastern_Standard_Time", new string('A', 40) + "/" + new string('b', 40) })
            await nina.Says($"checkin zone {bad}").ExpectError("is not a time zone I know; nothing changed");
        await nina.Says("checkin zone Europe/Berlin Asia/Kolkata").ExpectError("Give one time zone");
        Assert.Equal(MemberZone.None, await zones.GetAsync("local", "nina"));

        // What the platform says counts until she sets her own; the platform's unknown or oversized values change nothing.
        Assert.True(await zones.ReportAsync("local", "nina", "America/New_York"));
        Assert.False(await zones.ReportAsync("local", "nina", "Not/AZone"));
        Assert.False(await zones.ReportAsync("local", "nina", new string('x', 5000)));
        Assert.False(await zones.ReportAsync("local", "nina", null));
        await nina.Says("checkin zone").Expect("Your time zone: America/New_York (from your chat platform)", "(America/New_York)");
        await nina.Says("checkin zone Asia/Kolkata").Expect("Your time zone is now Asia/Kolkata (set by you");
        Assert.True(await zones.ReportAsync("local", "nina", "Europe/Berlin"));   // she travels; her own still wins
        await nina.Says("checkin zone").Expect("Your time zone: Asia/Kolkata (set by you; checkin zone off goes back to Europe/Berlin");
        var keys = (await host.Get<IScheduledSends>().UpcomingAsync("local", 50)).Select(s => s.Key).ToList();
        Assert.Contains("checkin:I1:prompt:Asia/Kolkata", keys);
        Assert.DoesNotContain(keys, k => k.Contains("Europe/Berlin", StringComparison.Ordinal) || k.Contains("America/New_York", StringComparison.Ordinal));

        await nina.Says("checkin zone off").Expect("Cleared the time zone you set", "Your time zone: Europe/Berlin (from your chat platform)");
        await nina.Says("checkin zone off").Expect("You had not set a time zone of your own");
        keys = (await host.Get<IScheduledSends>().UpcomingAsync("local", 50)).Select(s => s.Key).ToList();
        Assert.Contains("checkin:I1:prompt:Europe/Berlin", keys);
        Assert.DoesNotContain(keys, k => k.Contains("Asia/Kolkata", StringComparison.Ordinal));

        // A zone the zone database no longer knows (stored by an older host) falls back to the initiative's.
        await using (var connection = await host.Get<Database>().OpenAsync())
            await connection.ExecuteAsync("UPDATE member_zones SET platform_zone = 'Gone/Away' WHERE workspace_id = 'local' AND user_id = 'nina'");
        await nina.Says("checkin zone").Expect("No time zone of your own is known", "(America/Chicago)");
    }
}
