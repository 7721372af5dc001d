using System.Diagnostics;
using CoordBot.Allies;
using CoordBot.Data;
using CoordBot.Tests.Support;
using Dapper;
using Xunit;

namespace CoordBot.Tests.Allies;

/// <summary>
/// <c>ally list</c> keeps pages in memory under the workspace's version in <c>ally_counts</c> (migration 24). Two real
/// hosts on one database (PostgreSQL in its leg, as two instances are deployed; one SQLite file otherwise): a change made
/// through either, or by a statement outside CoordBot, shows in the other's very next list.
/// </summary>
public sealed class AllyListCacheTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();
    private TestHost _one = null!;
    private TestHost _two = null!;

    public ValueTask InitializeAsync()
    {
        _one = new TestHost(_db);
        _two = new TestHost(_db);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _two.DisposeAsync();
        await _one.DisposeAsync();
        _db.Dispose();
    }

    [Fact]
    public async Task A_change_on_one_instance_shows_in_the_other_instances_next_list()
    {
        var alice = _one.User("alice");
        var bob = _two.User("bob");
        await alice.Says("ally add \"Ana Ruiz\" --org \"City of Atlanta\"").Expect("Added Ana Ruiz (A1)");
        await alice.Says("ally add \"Ben Cole\" --org \"Atlanta Habitat\"").Expect("Added Ben Cole (A2)");
        var before = await bob.Says("ally list").Expect("2 allies");
        Assert.Equal(["Ana Ruiz (A1)", "Ben Cole (A2)"], before.ListTitles);
        Assert.Equal(before.ListTitles, (await bob.Says("ally list").Expect("2 allies")).ListTitles);   // the kept page

        // Each change on instance one, then the list on instance two at once: the pair within one second.
        async Task<IReadOnlyList<string>> ChangeThenList(string change, string changed, string listed)
        {
            var clock = Stopwatch.StartNew();
            await alice.Says(change).Expect(changed);
            var titles = (await bob.Says("ally list").Expect(listed)).ListTitles;
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"the change and the other instance's list took {clock.Elapsed}");
            return titles;
        }
        Assert.Equal(["Ana Ruiz (A1)", "Ben Cole (A2)", "Cruz Diaz (A3)"], await ChangeThenList("ally add \"Cruz Diaz\"", "Added Cruz Diaz (A3)", "3 allies"));
        Assert.Equal(["Ben Cole (A2)", "Cruz Diaz (A3)", "Ana Ruiz (A1)"], await ChangeThenList("ally log A1 \"Coffee about the housing bond\"", "Logged", "3 allies"));
        Assert.Contains("Benjamin Cole (A2)", await ChangeThenList("ally edit A2 --name \"Benjamin Cole\"", "Benjamin Cole", "3 allies"));
        Assert.Equal(["Benjamin Cole (A2)", "Ana Ruiz (A1)"], await ChangeThenList("ally remove A3 --yes", "Removed", "2 allies"));

        // Filtered lists are kept too, and follow the same version.
        Assert.Equal(["Ana Ruiz (A1)"], (await bob.Says("ally list --org \"City of Atlanta\"").Expect("1 ally")).ListTitles);
        await alice.Says("ally edit A2 --org \"City of Atlanta\"").Expect("Benjamin Cole");
        Assert.Equal(["Benjamin Cole (A2)", "Ana Ruiz (A1)"], (await bob.Says("ally list --org \"City of Atlanta\"").Expect("2 allies")).ListTitles);
    }

    [Fact]
    public async Task A_statement_outside_CoordBot_changes_the_version_and_the_next_list()
    {
        var alice = _one.User("alice");
        await alice.Says("ally add \"Ana Ruiz\"").Expect("Added Ana Ruiz (A1)");
        Assert.Equal(["Ana Ruiz (A1)"], (await alice.Says("ally list").Expect("1 ally")).ListTitles);
        var (count, version) = await CountsAsync("local");
        Assert.Equal(1, count);

        await using (var connection = await _one.Get<Database>().OpenAsync())
            await connection.ExecuteAsync("UPDATE allies SET name = 'Ana Ruiz-Soto' WHERE workspace_id = 'local' AND ref_no = 1");
        Assert.Equal(["Ana Ruiz-Soto (A1)"], (await alice.Says("ally list").Expect("1 ally")).ListTitles);
        var (_, changed) = await CountsAsync("local");
        Assert.True(changed > version, $"version {version} → {changed}");

        // Role history feeds --was: a change there alone raises the version too.
        await alice.Says("ally edit A1 --org \"City of Atlanta\"").Expect("Ana Ruiz-Soto");
        await alice.Says("ally edit A1 --org \"Fulton County\"").Expect("Ana Ruiz-Soto");
        Assert.Equal(["Ana Ruiz-Soto (A1)"], (await alice.Says("ally list --was \"City of Atlanta\"").Expect("1 ally")).ListTitles);
        await using (var connection = await _one.Get<Database>().OpenAsync())
            await connection.ExecuteAsync("DELETE FROM ally_roles WHERE workspace_id = 'local'");
        await alice.Says("ally list --was \"City of Atlanta\"").Expect("No allies match those filters.");
    }

    [Fact]
    public async Task Counts_follow_adds_imports_and_removals_and_stay_apart_per_workspace()
    {
        var alice = _one.User("alice");
        await alice.Says("ally import\nname\nA One\nA Two\nA Three").Expect("Imported 3 allies");
        await alice.Says("ally remove A2 --yes").Expect("Removed");
        Assert.Equal(2, (await CountsAsync("local")).Count);
        Assert.Equal(0, (await CountsAsync("other")).Count);

        // Another workspace's allies neither count here nor come from this workspace's kept pages.
        var store = _two.Get<AllyStore>();
        Assert.Equal(2, (await store.ListAsync("local", new AllyFilter(), 1, 10)).Total);
        await store.AddAsync("other", [new AllyFields { Name = "Zed Other" }], "U1", DateTimeOffset.UnixEpoch);
        var (items, total, exact) = await store.ListAsync("other", new AllyFilter(), 1, 10);
        Assert.Equal(("Zed Other", 1, true), (Assert.Single(items).Name, total, exact));
        Assert.Equal(2, (await store.ListAsync("local", new AllyFilter(), 1, 10)).Total);
        Assert.Equal((2, 1), ((await CountsAsync("local")).Count, (await CountsAsync("other")).Count));
    }

    private async Task<(long Count, long Version)> CountsAsync(string workspace)
    {
        await using var connection = await _one.Get<Database>().OpenAsync();
        var row = await connection.QuerySingleOrDefaultAsync<(long, long)?>(
            "SELECT allies, version FROM ally_counts WHERE workspace_id = @Workspace", new { Workspace = workspace });
        return row ?? (0, 0);
    }
}
