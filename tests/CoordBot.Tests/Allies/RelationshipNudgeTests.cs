using CoordBot.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CoordBot.Tests.Allies;

/// <summary>
/// The weekly relationship nudge end to end through the local channel: the real host, Quartz's persistent store and the
/// outbox in one SQLite file, and a fake clock the test moves. Monday 09:00 in each keeper's zone (Chicago for the
/// workspace, Kolkata for bob), once per keeper and week across a restart, with snooze and opt-out. Expected instants are
/// worked out by hand: Chicago is UTC−6 in February 2027, Kolkata UTC+5:30.
/// </summary>
public sealed class RelationshipNudgeTests : IDisposable
{
    private static readonly DateOnly FirstMonday = new(2027, 2, 22);   // 2027-W08
    private readonly TestDatabase _db = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 2, 17, 15, 0, 0, TimeSpan.Zero));   // a Wednesday
    private readonly LocalDeliveries _watch;

    public RelationshipNudgeTests() => _watch = new LocalDeliveries(_clock);

    public void Dispose() => _db.Dispose();

    private TestHost StartHost() =>
        new(_db, services: s => s.AddSingleton<TimeProvider>(_clock), settings: new() { ["Outbox:PollInterval"] = "00:00:00.250" });

    private static DateTimeOffset Chicago(DateOnly day) => new(day.ToDateTime(new TimeOnly(9, 0)), TimeSpan.FromHours(-6));
    private static DateTimeOffset Kolkata(DateOnly day) => new(day.ToDateTime(new TimeOnly(9, 0)), new TimeSpan(5, 30, 0));

    private static string Key(string week, string keeper) => $"ally-nudge:{week}:{keeper}";

    [Fact]
    public async Task Each_keeper_gets_one_DM_on_Monday_at_nine_on_their_clock_with_snooze_and_opt_out_honoured_across_a_restart()
    {
        var host = StartHost();
        try
        {
            var alice = host.User("alice");
            var bob = host.User("bob");
            var carol = host.User("carol");
            await alice.Says("coord settings --tz America/Chicago").Expect("Time zone set to America/Chicago");
            await bob.Says("checkin zone Asia/Kolkata").Expect("Asia/Kolkata");
            await alice.Says("ally add \"Ana Mayor\" --level elected --owner @bob --every 3").Expect("Added Ana Mayor (A1)");
            await alice.Says("ally add \"Cy Deputy\" --every 2 --org \"City of Atlanta\"").Expect("Added Cy Deputy (A2)");
            await alice.Says("ally add \"Ed Never\" --every off").Expect("Added Ed Never (A3)");
            await carol.Says("ally add \"Fay Quiet\" --every 1").Expect("Added Fay Quiet (A4)");
            await carol.Says("ally nudges off").Expect("Nudges off");
            await carol.Says("ally nudges off").Expect("already off");
            await alice.Says("ally add \"Gil Clerk\" --every 2").Expect("Added Gil Clerk (A5)");
            await alice.Says("coord status").Expect("ally-nudge:America/Chicago");

            // Week 8: Chicago's trigger nudges alice, and creates Kolkata's: bob's Monday 09:00 came 11.5 hours ago, so his is caught up at once.
            await _watch.ExpectAsync(host, Chicago(FirstMonday), [Key("2027-W08", "alice"), Key("2027-W08", "bob")]);
            var dm = (await LocalDeliveries.MessagesAsync(host, "alice")).Single(m => m.Text.StartsWith("2 relationships", StringComparison.Ordinal));
            Assert.Equal(["Cy Deputy (A2)", "Gil Clerk (A5)"], dm.ListTitles);
            Assert.Contains("City of Atlanta", dm.Plain);
            Assert.Contains("never contacted", dm.Plain);
            Assert.Equal(["Ana Mayor (A1)"], (await LocalDeliveries.MessagesAsync(host, "bob")).Single(m => m.Text.StartsWith("1 relationship", StringComparison.Ordinal)).ListTitles);

            // Its buttons: snooze the first (until W10), log a touchpoint for the second.
            await alice.Presses(dm, "Snooze 14 days").Expect("Snoozed Cy Deputy (A2) until 2027-03-08");
            var form = await alice.Presses(dm, "Log touchpoint");
            Assert.Equal("ally log A2", Assert.Single(form.Blocks("form")).GetProperty("command").GetString());
            await alice.Says("ally log A5 \"Lunch\"").Expect("Logged a touchpoint with Gil Clerk (A5) on 2027-02-22");
            await alice.Says("ally show A5").Expect("Next contact: 2027-02-24");

            // A restart later that Monday: the replayed trigger queues nothing new.
            await host.DisposeAsync();
            host = StartHost();
            await _watch.IdleAsync(TimeSpan.FromMinutes(3));
            await _watch.AssertDeliveredAsync(host);

            // Week 9: bob first (Kolkata's own trigger now), alice later with only what is still due (A2 is snoozed, A5 due again).
            await _watch.ExpectAsync(host, Kolkata(FirstMonday.AddDays(7)), [Key("2027-W09", "bob")]);
            await _watch.ExpectAsync(host, Chicago(FirstMonday.AddDays(7)), [Key("2027-W09", "alice")]);
            var second = (await LocalDeliveries.MessagesAsync(host, "alice")).Last(m => m.Text.StartsWith("1 relationship", StringComparison.Ordinal));
            Assert.Equal(["Gil Clerk (A5)"], second.ListTitles);
            Assert.DoesNotContain(await LocalDeliveries.MessagesAsync(host, "carol"), m => m.Text.Contains("relationship", StringComparison.Ordinal));
        }
        finally
        {
            await host.DisposeAsync();
        }
    }
}
