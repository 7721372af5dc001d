using CoordBot.Allies;
using CoordBot.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CoordBot.Tests.Allies;

/// <summary>
/// Role history end to end through the local channel with a clock the test moves: edits of role, organization, level or
/// jurisdiction keep the previous ones with their dates, leaving office is an entry too (undone by "still in office"),
/// <c>ally list --was</c> finds who used to be somewhere, and the CSV export carries the history.
/// </summary>
public sealed class RoleHistoryTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2022, 1, 3, 15, 0, 0, TimeSpan.Zero));
    private TestHost _host = null!;
    private ChatUser _alice = null!;

    public ValueTask InitializeAsync()
    {
        _host = new TestHost(_db, s => s.AddSingleton<TimeProvider>(_clock));
        _alice = _host.User("alice");
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        _db.Dispose();
    }

    [Fact]
    public async Task Edits_and_leaving_office_keep_the_earlier_roles_with_their_dates()
    {
        await _alice.Says("ally add \"Jo Park\" --role \"Council member\" --org \"City of Atlanta\" --level elected --jurisdiction atlanta --email jo@x.org")
            .Expect("Added Jo Park (A1)");
        await _alice.Says("ally add \"Sam Lee\" --org \"Fulton County\" --level career").Expect("Added Sam Lee (A2)");

        // Not a role change: no history.
        _clock.Set(new DateTimeOffset(2023, 6, 1, 15, 0, 0, TimeSpan.Zero));
        var shown = await _alice.Says("ally edit A1 --email jo@atl.gov --stance champion").Expect("Updated Jo Park (A1)");
        Assert.DoesNotContain("In this role since", shown.Plain);
        Assert.DoesNotContain("Role history", (await _alice.Says("ally show A1")).Plain);

        // A new role on 2026-01-05: the council seat becomes history.
        _clock.Set(new DateTimeOffset(2026, 1, 5, 15, 0, 0, TimeSpan.Zero));
        await _alice.Says("ally edit A1 --role \"Chief of Staff\" --org \"Fulton County\" --level appointed --jurisdiction fulton")
            .Expect("In this role since: 2026-01-05");
        await _alice.Says("ally show A1").Expect("Role history (1):", "Council member, City of Atlanta (elected, atlanta), 2022-01-03 – 2026-01-05");

        // Leaving office after an election: the current role ends that day.
        _clock.Set(new DateTimeOffset(2026, 11, 4, 15, 0, 0, TimeSpan.Zero));
        await _alice.Says("election office A1 --status left").Expect("Marked Jo Park (A1) as having left office");
        var after = await _alice.Says("ally show A1").Expect("Role history (2):", "Left office: 2026-11-04");
        Assert.Equal(["Chief of Staff, Fulton County (appointed, fulton), 2026-01-05 – 2026-11-04 · left office",
                      "Council member, City of Atlanta (elected, atlanta), 2022-01-03 – 2026-01-05"],
            after.Blocks("list").First().GetProperty("items").EnumerateArray().Select(i => i.GetProperty("title").GetString()));
        // Marked by mistake: back in office, and that entry goes.
        await _alice.Says("election office A1 --status in").Expect("is still in office");
        await _alice.Says("ally show A1").Expect("Role history (1):");
        await _alice.Says("election office A1 --status left").Expect("Marked");

        // Who used to be at the City of Atlanta, or in atlanta: Jo, not Sam (there now? no: Sam never was).
        Assert.Equal(["Jo Park (A1)"], (await _alice.Says("ally list --was \"city of  atlanta\"").Expect("formerly at")).ListTitles);
        Assert.Equal(["Jo Park (A1)"], (await _alice.Says("ally list --was ATLANTA")).ListTitles);
        await _alice.Says("ally list --was \"Fulton County\"").Expect("Jo Park (A1)");
        await _alice.Says("ally list --was Nowhere").Expect("No allies match those filters.");
        await _alice.Says("ally list --was").ExpectError("--was needs a value");

        // The export carries it; the file imports again (the column is read and ignored).
        var export = await _alice.Says("ally export").Expect("Exported 2 allies");
        var csv = export.Blocks("file").Single().GetProperty("content").GetString()!;
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith(",last_contact,role_history", lines[0].TrimEnd('\r'));
        Assert.Contains("Chief of Staff, Fulton County (appointed, fulton), 2026-01-05 – 2026-11-04 · left office | Council member, City of Atlanta (elected, atlanta), 2022-01-03 – 2026-01-05", lines[1]);
        await _alice.Says("ally import\n" + csv).Expect("Imported 2 allies (A3–A4).");
    }

    [Fact]
    public async Task Another_workspace_s_history_is_never_read_or_matched()
    {
        var store = _host.Get<AllyStore>();
        var other = (await store.AddAsync("T-other", [new AllyFields { Name = "Olga Other", Org = "City of Atlanta", Level = "elected" }], "mallory", _clock.GetUtcNow()))[0];
        var olga = (await store.GetAsync("T-other", other))!;
        await store.UpdateAsync("T-other", olga.Id, new AllyFields { Org = "Elsewhere" }, _clock.GetUtcNow());
        await _alice.Says("ally add \"Jo Park\" --org Somewhere").Expect("Added Jo Park (A1)");

        await _alice.Says("ally list --was \"City of Atlanta\"").Expect("No allies match those filters.");
        var jo = (await store.GetAsync("local", 1))!;
        Assert.Empty(await store.RolesAsync("local", olga.Id));
        Assert.Empty(await store.AllRolesAsync("local"));
        Assert.False(await store.SetLeftOfficeAsync("local", olga.Id, new DateOnly(2026, 1, 1), _clock.GetUtcNow()));
        Assert.Single(await store.RolesAsync("T-other", olga.Id));
        Assert.Null((await store.GetAsync("T-other", other))!.LeftOffice);
        Assert.Empty(await store.RolesAsync("T-other", jo.Id));
    }
}
