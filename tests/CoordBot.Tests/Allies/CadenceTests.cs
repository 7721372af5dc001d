using CoordBot.Allies;
using CoordBot.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CoordBot.Tests.Allies;

/// <summary>
/// Contact cadences end to end through the local channel, with a clock the test moves: intervals by level and an ally's
/// own, <c>ally due</c> (most overdue first, by keeper, the "Log touchpoint" button), the workspace's intervals changed by
/// an admin, and bad or foreign input refused with nothing changed.
/// </summary>
public sealed class CadenceTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 15, 0, 0, TimeSpan.Zero);
    private readonly TestDatabase _db = new();
    private readonly ManualClock _clock = new(Start);
    private TestHost _host = null!;
    private ChatUser _alice = null!, _bob = null!;

    public ValueTask InitializeAsync()
    {
        _host = new TestHost(_db, s => s.AddSingleton<TimeProvider>(_clock));
        _alice = _host.User("alice");   // the workspace's first user: its admin
        _bob = _host.User("bob");
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        _db.Dispose();
    }

    private static string Day(int daysFromStart) => DateOnly.FromDateTime(Start.UtcDateTime).AddDays(daysFromStart).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private void AdvanceTo(int day) => _clock.Set(Start.AddDays(day));

    [Fact]
    public async Task Allies_fall_due_by_their_level_or_their_own_interval_most_overdue_first()
    {
        await _alice.Says("ally add \"Ana Mayor\" --level elected --org \"City of Atlanta\"").Expect("Added Ana Mayor (A1)");
        await _alice.Says("ally add \"Bo Clerk\" --level career --owner @bob").Expect("Added Bo Clerk (A2)");
        await _alice.Says("ally add \"Cy Deputy\" --level appointed --every 10").Expect("Added Cy Deputy (A3)");
        await _bob.Says("ally add \"Di Staffer\"").Expect("Added Di Staffer (A4)");

        await _alice.Says("ally show A1").Expect("Contact every: 30 days (elected: the level's)", $"Next contact: {Day(30)} (due in 30 days)");
        await _alice.Says("ally show A3").Expect("Contact every: 10 days (its own)", $"Next contact: {Day(10)} (due in 10 days)");
        await _alice.Says("ally show A4").Expect("Contact every: 90 days (no level: the level's)");
        await _alice.Says("ally due").Expect("No allies are due for contact in the next 7 days.");

        AdvanceTo(4);   // A3 is due in 6 days: within the week ahead.
        var due = await _alice.Says("ally due").Expect("Page 1 of 1 · 1 due · most overdue first", "Cy Deputy (A3)", "due in 6 days", "last contact never", "kept by @alice");
        Assert.Equal(["Cy Deputy (A3)"], due.ListTitles);

        AdvanceTo(34);
        due = await _alice.Says("ally due").Expect("· 2 due ·", "24 days overdue", "4 days overdue", "City of Atlanta");
        Assert.Equal(["Cy Deputy (A3)", "Ana Mayor (A1)"], due.ListTitles);

        // The first "Log touchpoint" button opens the form for the most overdue; the form logs it and it leaves the list.
        var form = await _alice.Presses(due, "Log touchpoint");
        Assert.Equal("ally log A3", Assert.Single(form.Blocks("form")).GetProperty("command").GetString());
        await _alice.Submits("ally log A3", new() { ["note"] = "Coffee", ["on"] = Day(34), ["via"] = "meeting" }).Expect("Logged a meeting with Cy Deputy (A3)");
        Assert.Equal(["Ana Mayor (A1)"], (await _alice.Says("ally due").Expect("· 1 due ·")).ListTitles);
        await _alice.Says("ally show A3").Expect($"Next contact: {Day(44)} (due in 10 days)");

        // Its own interval off, then back to its level's.
        await _alice.Says("ally edit A1 --every off").Expect("Updated Ana Mayor (A1): every", "Contact every: off");
        await _alice.Says("ally due").Expect("No allies are due");
        await _alice.Says("ally edit A1 --every level").Expect("Contact every: 30 days (elected: the level's)", "Next contact: " + Day(30) + " (4 days overdue)");

        // By keeper: the owner, else whoever added the ally.
        AdvanceTo(92);
        Assert.Equal(["Bo Clerk (A2)", "Di Staffer (A4)"], (await _alice.Says("ally due --owner @bob").Expect("kept by @bob")).ListTitles);
        Assert.Equal(["Ana Mayor (A1)", "Cy Deputy (A3)"], (await _alice.Says("ally due --owner @alice")).ListTitles);
        await _alice.Says("ally due --owner @carol").Expect("No allies kept by @carol are due");
    }

    [Fact]
    public async Task An_admin_changes_the_intervals_by_level_and_the_due_days_move()
    {
        await _alice.Says("ally add \"Bo Clerk\" --level career").Expect("Added");
        await _alice.Says("ally add \"Ed Elected\" --level elected").Expect("Added");
        await _alice.Says("ally add \"Fay Own\" --level career --every 20").Expect("Added");
        await _alice.Says("coord settings").Expect("Contact intervals by level: elected 30 days, appointed 45 days, career 90 days, executive 60 days, staff 90 days");

        await _bob.Says("coord settings --cadence career=5").ExpectError("Only a workspace admin can change settings.");
        await _alice.Says("coord settings --cadence career=5,elected=off")
            .Expect("Contact intervals set: career 5 days, elected off. 2 allies have a new due day (allies with their own interval keep it).");
        await _alice.Says("ally show A1").Expect("Contact every: 5 days (career: the level's)", $"Next contact: {Day(5)} (due in 5 days)");
        var ed = await _alice.Says("ally show A2").Expect("Contact every: off");
        Assert.DoesNotContain("Next contact", ed.Plain);
        await _alice.Says("ally show A3").Expect("Contact every: 20 days (its own)", $"Next contact: {Day(20)}");
        Assert.Equal(["Bo Clerk (A1)"], (await _alice.Says("ally due")).ListTitles);
        await _alice.Says("coord settings").Expect("elected off", "career 5 days");

        // An ally added later gets the workspace's interval for its level.
        await _alice.Says("ally add \"Gil Clerk\" --level career").Expect("Added Gil Clerk (A4)");
        Assert.Equal(["Bo Clerk (A1)", "Gil Clerk (A4)"], (await _alice.Says("ally due")).ListTitles);
    }

    [Fact]
    public async Task Snooze_keeps_an_ally_off_the_due_list_until_it_ends_or_a_touchpoint()
    {
        await _alice.Says("ally add \"Ana Mayor\" --every 2").Expect("Added Ana Mayor (A1)");
        await _alice.Says("ally add \"Bo Clerk\" --every 2").Expect("Added Bo Clerk (A2)");
        AdvanceTo(5);
        await _alice.Says("ally snooze A1").Expect($"Snoozed Ana Mayor (A1) until {Day(19)}: next contact {Day(19)} (due in 14 days).");
        await _alice.Says("ally snooze A2 --days 3").Expect($"until {Day(8)}");
        await _alice.Says("ally due").Expect("No allies are due");
        AdvanceTo(8);
        Assert.Equal(["Bo Clerk (A2)"], (await _alice.Says("ally due")).ListTitles);
        await _alice.Says("ally log A1 \"Met\"").Expect("Logged");   // a touchpoint ends the snooze: due again 2 days later
        await _alice.Says("ally show A1").Expect($"Next contact: {Day(10)} (due in 2 days)");
        Assert.Equal(["Bo Clerk (A2)", "Ana Mayor (A1)"], (await _alice.Says("ally due")).ListTitles);

        await _alice.Says("ally snooze A1 --days 0").ExpectError("--days 0: snooze from 1 to 365 days.");
        await _alice.Says("ally snooze A1 --days 366").ExpectError("snooze from 1 to 365 days");
        await _alice.Says("ally snooze A9").ExpectError("No ally matches \"A9\"");
        await _alice.Says("ally nudges maybe").ExpectError("ally nudges off");
        await _alice.Says("ally nudges on").Expect("already on");
        await _alice.Says("ally show A1").Expect($"Next contact: {Day(10)}");
    }

    [Theory]
    [InlineData("ally edit A1 --every 0.5", "--every: \"0.5\" is not an interval")]
    [InlineData("ally edit A1 --every=-3", "--every: \"-3\" is not an interval")]
    [InlineData("ally edit A1 --every 99999999999999", "a number of days from 1 to 3650")]
    [InlineData("ally edit A1 --every weekly", "--every: \"weekly\" is not an interval")]
    [InlineData("ally add X --every 4000", "a number of days from 1 to 3650")]
    [InlineData("coord settings --cadence mayor=3", "\"mayor\" is not a level")]
    [InlineData("coord settings --cadence elected=abc", "elected: \"abc\" is not an interval")]
    [InlineData("coord settings --cadence elected=30,elected=40", "elected is given twice")]
    [InlineData("coord settings --cadence elected", "\"elected\" is not level=days")]
    [InlineData("coord settings --cadence ,,,", "Give each level and its interval")]
    [InlineData("coord settings --tz Mars/Base --cadence elected=3", "\"Mars/Base\" is not a time zone I know.")]
    [InlineData("ally due A1", "ally due takes only flags")]
    [InlineData("ally due --page 0x10", "--page")]
    public async Task Bad_intervals_are_refused_naming_the_problem_and_nothing_changes(string command, string expected)
    {
        await _alice.Says("ally add \"Ana Mayor\" --level elected").Expect("Added Ana Mayor (A1)");
        var before = (await _alice.Says("ally show A1")).Plain;
        var settings = (await _alice.Says("coord settings")).Plain;
        await _alice.Says(command).ExpectError(expected);
        Assert.Equal(before, (await _alice.Says("ally show A1")).Plain);
        Assert.Equal(settings, (await _alice.Says("coord settings")).Plain);
        await _alice.Says("ally list").Expect("1 ally");
    }

    [Fact]
    public async Task Another_workspace_s_allies_and_intervals_are_not_seen_or_moved()
    {
        var store = _host.Get<AllyStore>();
        await _alice.Says("ally add \"Ana Mayor\" --level elected").Expect("Added");
        await store.AddAsync("T-other", [new AllyFields { Name = "Olga Other", Level = "elected" }], "mallory", Start.AddDays(-100));
        await store.SetCadenceAsync("T-other", new Dictionary<string, int> { ["elected"] = 1 });

        await _alice.Says("ally due").Expect("No allies are due");
        await _alice.Says("coord settings").Expect("elected 30 days");
        await _alice.Says("coord settings --cadence elected=2").Expect("1 ally has a new due day");
        var other = (await store.DueAsync("T-other", null, DateOnly.FromDateTime(Start.UtcDateTime).AddDays(-7), 1, 10)).Items;
        Assert.Equal(DateOnly.FromDateTime(Start.UtcDateTime).AddDays(-99), Assert.Single(other).DueOn);
        Assert.Equal(1, (await store.CadenceAsync("T-other"))["elected"]);
    }
}
