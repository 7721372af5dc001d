using System.Data.Common;
using System.Reflection;
using System.Text.Json;
using CoordBot.Allies;
using CoordBot.Chat;
using CoordBot.CheckIns;
using CoordBot.Dashboard;
using CoordBot.Data;
using CoordBot.Downloads;
using CoordBot.Elections;
using CoordBot.Host.Local;
using CoordBot.Outbox;
using CoordBot.Slack;
using CoordBot.Teams;
using CoordBot.Tests.Support;
using CoordBot.Workspaces;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Xunit;

namespace CoordBot.Tests.Workspaces;

/// <summary>
/// Every store method that takes a workspace, called for one workspace with the other's references, ids,
/// names and keys: it never returns, changes, deletes or attaches to anything of the other. Two workspaces
/// hold the same data (the same names, A1/E1/I1 references, keys and channel ids); the home workspace
/// ("T1", written first, so a query that forgets the workspace finds its rows first) has a few more
/// (A3, E2, I2, a skipped week, a member away) and marks its text with <see cref="HomeMark"/>. After each
/// case every row of the home workspace is compared with a snapshot taken before it, and no row anywhere
/// may point at a parent of another workspace.
/// A store method added without a case here (or a stated reason why it takes no workspace) fails
/// <see cref="Every_public_store_method_has_an_isolation_case_or_a_stated_reason"/>.
/// </summary>
public sealed class WorkspaceIsolationTests : IAsyncLifetime
{
    private const string Home = "T1";
    private const string Other = "T2";
    private const string HomeMark = "t1mark";
    private const string OtherMark = "t2mark";
    private static readonly DateTimeOffset Start = new(2027, 1, 6, 15, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly Today = DateOnly.FromDateTime(Start.UtcDateTime);

    private readonly TestDatabase _db = new();
    private readonly ManualClock _clock = new(Start);
    private CoreChat _chat = null!;
    private Twin _t = null!;

    public async ValueTask InitializeAsync()
    {
        _chat = await CoreChat.StartAsync(_db, _clock);
        _t = await Twin.SeedAsync(_chat, _clock);
    }

    public async ValueTask DisposeAsync()
    {
        await _chat.DisposeAsync();
        _db.Dispose();
    }

    public static TheoryData<string> StoreMethods => new(Cases.Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(StoreMethods))]
    public async Task A_store_method_called_for_one_workspace_never_reads_or_changes_another(string method)
    {
        var before = await WorkspaceRows.SnapshotAsync(_chat.Get<Database>(), Home);
        Assert.NotEmpty(before);

        await Cases[method](_t);

        Assert.Equal(before, await WorkspaceRows.SnapshotAsync(_chat.Get<Database>(), Home));
        Assert.Empty(await WorkspaceRows.CrossWorkspaceReferencesAsync(_chat.Get<Database>()));
    }

    [Fact]
    public async Task The_snapshot_sees_a_change_to_any_home_row()
    {
        // The comparison above is only as good as the snapshot: one changed field of the home workspace must show.
        var before = await WorkspaceRows.SnapshotAsync(_chat.Get<Database>(), Home);
        await _t.Allies.UpdateAsync(Home, _t.HomeCarol.Id, new AllyFields { Phone = "555-0100" }, Start);
        Assert.NotEqual(before, await WorkspaceRows.SnapshotAsync(_chat.Get<Database>(), Home));
    }

    [Fact]
    public async Task An_upgraded_database_keeps_its_rows_and_from_then_on_refuses_a_child_of_another_workspace()
    {
        using var db = new TestDatabase();
        var database = new Database(db.Options);
        await using (var connection = await database.OpenAsync())
        {
            // Version 14, as a host of the previous release left it, with one touchpoint a buggy caller attached across workspaces.
            await connection.ExecuteAsync("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
            foreach (var migration in Migrations.All.Where(m => m.Version <= 14).OrderBy(m => m.Version))
            {
                await connection.ExecuteAsync(migration.SqlFor(database.Dialect));
                await connection.ExecuteAsync("INSERT INTO schema_migrations VALUES (@Version, @Name, 'then')", new { migration.Version, migration.Name });
            }
            await connection.ExecuteAsync("""
                INSERT INTO allies (id, workspace_id, ref_no, name, name_key, created_by, created_at, updated_at) VALUES
                    (1, 'T1', 1, 'Alice', 'alice', 'U1', 'then', 'then'), (2, 'T1', 2, 'Bob', 'bob', 'U1', 'then', 'then'), (3, 'T2', 1, 'Alice', 'alice', 'U1', 'then', 'then');
                INSERT INTO touchpoints (workspace_id, ally_id, on_date, note, created_by, created_at) VALUES
                    ('T1', 1, '2026-01-05', 'kept', 'U1', 'then'), ('T2', 1, '2026-01-06', 'attached across', 'U1', 'then');
                INSERT INTO ally_links (workspace_id, ally_a, ally_b, relation, created_by, created_at) VALUES ('T1', 1, 2, 'kept', 'U1', 'then');
                INSERT INTO initiatives (id, workspace_id, ref_no, name, name_key, metrics, weekday, at_time, time_zone, channel_id, platform, created_by, created_at)
                    VALUES (7, 'T1', 1, 'Housing', 'housing', 'housed:people:increase', 1, '09:00', 'UTC', 'C1', 'slack', 'U1', 'then');
                INSERT INTO initiative_members VALUES ('T1', 7, 'U1');
                INSERT INTO checkins (workspace_id, initiative_id, week, member, metric_values, submitted_at) VALUES ('T1', 7, '2026-W02', 'U1', '{}', 'then');
                INSERT INTO checkin_skips VALUES ('T1', 7, '2026-W03', 'U1');
                INSERT INTO checkin_digests VALUES ('T1', 7, '2026-W02', 'then');
                """);
        }

        await new Migrator(database, _clock, Microsoft.Extensions.Logging.Abstractions.NullLogger<Migrator>.Instance).ApplyAsync();

        await using (var connection = await database.OpenAsync())
        {
            Assert.Equal(["kept"], await connection.QueryAsync<string>("SELECT note FROM touchpoints"));
            Assert.Equal(["kept"], await connection.QueryAsync<string>("SELECT relation FROM ally_links"));
            foreach (var table in new[] { "initiative_members", "checkins", "checkin_skips", "checkin_digests" })
                Assert.Equal(1, await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {table} WHERE workspace_id = 'T1' AND initiative_id = 7"));
            await Assert.ThrowsAnyAsync<DbException>(() => connection.ExecuteAsync(
                "INSERT INTO touchpoints (workspace_id, ally_id, on_date, note, created_by, created_at) VALUES ('T2', 2, '2026-01-07', 'x', 'U1', 'now')"));
            await Assert.ThrowsAnyAsync<DbException>(() => connection.ExecuteAsync("INSERT INTO checkin_skips VALUES ('T2', 7, '2026-W04', 'U1')"));
            // Deleting a parent still takes its children along.
            await connection.ExecuteAsync("DELETE FROM initiatives WHERE id = 7");
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM checkins"));
            await connection.ExecuteAsync("DELETE FROM allies WHERE id = 1");
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM touchpoints") + await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM ally_links"));
        }
        await database.DisposeAsync();
    }

    [Fact]
    public void Every_public_store_method_has_an_isolation_case_or_a_stated_reason()
    {
        var assemblies = new[] { typeof(AllyStore).Assembly, typeof(SlackDmChannels).Assembly, typeof(TeamsConversations).Assembly, typeof(LocalMessageStore).Assembly };
        var stores = assemblies.SelectMany(a => a.GetTypes())
            .Where(t => t is { IsClass: true, IsPublic: true, IsAbstract: false } &&
                        t.GetConstructors().Any(c => c.GetParameters().Any(p => p.ParameterType == typeof(Database))))
            .ToList();
        Assert.Contains(typeof(ElectionStore), stores);
        Assert.Contains(typeof(SlackDmChannels), stores);

        var methods = stores.Where(t => !ExemptStores.ContainsKey(t.Name))
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Where(m => !m.IsSpecialName).Select(m => $"{t.Name}.{m.Name}"))
            .Distinct().ToList();
        Assert.NotEmpty(methods);
        var missing = methods.Where(m => !Cases.ContainsKey(m) && !NotWorkspaceScoped.ContainsKey(m)).ToList();
        Assert.True(missing.Count == 0, "Store methods without an isolation case: " + string.Join(", ", missing) +
            ". Add a case to WorkspaceIsolationTests.Cases (or, if it truly takes no workspace, a reason to NotWorkspaceScoped).");

        // No stale entries: every case and reason names a method that exists.
        var known = stores.SelectMany(t => t.GetMethods().Select(m => $"{t.Name}.{m.Name}"))
            .Concat(typeof(CheckInDigest).GetMethods().Select(m => $"{nameof(CheckInDigest)}.{m.Name}")).ToHashSet();
        Assert.DoesNotContain(Cases.Keys.Concat(NotWorkspaceScoped.Keys), k => !known.Contains(k));
        Assert.DoesNotContain(ExemptStores.Keys, k => stores.All(s => s.Name != k));
    }

    /// <summary>Types that reach the database but hold nothing of any workspace, with the reason.</summary>
    private static readonly Dictionary<string, string> ExemptStores = new()
    {
        [nameof(Migrator)] = "schema changes, no workspace data",
        [nameof(GroupCommit)] = "runs the writes a store hands it; the stores scope them",
        ["HostSecrets"] = "host-wide secrets (signing keys), not a workspace's",
        ["DatabaseKeyRing"] = "the Data Protection key ring, host-wide",
        [nameof(LocalMessageStore)] = "the local web chat is one workspace (\"local\") by design",
    };

    /// <summary>Public store methods that take no workspace, with the reason they need none.</summary>
    private static readonly Dictionary<string, string> NotWorkspaceScoped = new()
    {
        ["OutboxStore.ClaimDueAsync"] = "the dispatcher sends for every workspace; each claimed row carries its own",
        ["OutboxStore.MarkTryingAsync"] = "by the id of a row this instance claimed",
        ["OutboxStore.MarkSentAsync"] = "by the id of a row this instance claimed",
        ["OutboxStore.MarkRetryAsync"] = "by the id of a row this instance claimed",
        ["OutboxStore.MarkFailedAsync"] = "by the id of a row this instance claimed",
        ["OutboxStore.DeferAsync"] = "by the id of a row this instance claimed",
        ["OutboxStore.RenewClaimsAsync"] = "by the ids of rows this instance claimed",
        ["OutboxStore.ReleaseClaimsAsync"] = "by the ids of rows this instance claimed",
        ["OutboxStore.BacklogAsync"] = "operators' deployment-wide totals (a count and an age, no row's content) for the gauges and /readyz",
        ["DownloadStore.GetAsync"] = "the 256-bit token is the capability, issued to one user of one workspace (see DownloadStore_CreateAsync)",
        ["TeamsConversations.ServiceUrlsAsync"] = "the serviceUrls the Bot Framework vouched for, trusted for outbound calls whatever the tenant; no tenant data",
        ["SlackInstallations.WorkspaceOf"] = "a pure function of a Slack payload's ids",
    };

    private static readonly Dictionary<string, Func<Twin, Task>> Cases = new()
    {
        // ---- allies, touchpoints, links ----
        ["AllyStore.AddAsync"] = async t =>
            Assert.Equal([3L], await t.Allies.AddAsync(Other, [new AllyFields { Name = "Dana Diaz" }], "U1", Start)),   // A3 is the home's; the other counts its own
        ["AllyStore.GetAsync"] = async t =>
        {
            Assert.Null(await t.Allies.GetAsync(Other, 3));
            Assert.Equal(t.OtherAlice.Id, (await t.Allies.GetAsync(Other, 1))!.Id);
        },
        ["AllyStore.GetManyAsync"] = async t =>
            Assert.Equal([t.OtherAlice.Id, t.OtherBob.Id], (await t.Allies.GetManyAsync(Other, [1, 2, 3])).Select(a => a.Id)),
        ["AllyStore.ByExternalIdAsync"] = async t =>
        {
            // An Open States person imported by the other workspace: found there, never from the home workspace.
            const string person = "ocd-person/7db414a5-dd7e-48a9-aba2-9c0204f93a5c";
            var refNo = (await t.Allies.AddAsync(Other, [new AllyFields { Name = "Andi Story", ExternalId = person }], "U1", Start))[0];
            Assert.Equal(refNo, (await t.Allies.ByExternalIdAsync(Other, [person]))[person].RefNo);
            Assert.Empty(await t.Allies.ByExternalIdAsync(Home, [person]));
        },
        ["AllyStore.ResolveAsync"] = async t =>
        {
            Assert.IsType<Resolution.NotFound>(await t.Allies.ResolveAsync(Other, "A3"));
            Assert.IsType<Resolution.NotFound>(await t.Allies.ResolveAsync(Other, "Carol"));
            Assert.Equal(t.OtherAlice.Id, Assert.IsType<Resolution.Found>(await t.Allies.ResolveAsync(Other, "Alice")).Ally.Id);
        },
        ["AllyStore.AddOneAsync"] = async t =>
        {
            var (ally, namesakes) = await t.Allies.AddOneAsync(Other, new AllyFields { Name = "Alice  AMES" }, "U1", Start);
            Assert.Equal(3, ally.RefNo);   // A3 is the home's; the other counts its own
            Assert.Equal(t.OtherAlice.Id, Assert.Single(namesakes).Id);   // the home's Alice Ames is not named
        },
        ["AllyStore.ListAsync"] = async t =>
        {
            var (items, total, exact) = await t.Allies.ListAsync(Other, new AllyFilter(null, null, null, null, null, null, null), 1, 50);
            Assert.Equal([t.OtherAlice.Id, t.OtherBob.Id], items.Select(a => a.Id).Order());
            Assert.Equal((2, true), (total, exact));
            var (byOrg, _, _) = await t.Allies.ListAsync(Other, new AllyFilter(null, null, "Housing Authority", null, null, null, null), 1, 50);
            Assert.Empty(byOrg);   // only the home has an ally there
        },
        ["AllyStore.FindAsync"] = async t =>
        {
            Assert.Empty(await t.Allies.FindAsync(Other, [HomeMark], 1, 20));
            Assert.Empty(await t.Allies.FindAsync(Other, ["Carol"], 1, 20));
            Assert.Equal(t.OtherAlice.Id, Assert.Single(await t.Allies.FindAsync(Other, ["Alice"], 1, 20)).Id);
        },
        ["AllyStore.UpdateAsync"] = t => t.Allies.UpdateAsync(Other, t.HomeAlice.Id, new AllyFields { Notes = "overwritten", Email = "x@evil.example" }, Start),
        ["AllyStore.LogAsync"] = async t =>
        {
            await Assert.ThrowsAnyAsync<DbException>(() => t.Allies.LogAsync(Other, t.HomeAlice.Id, Today, "call", "note", "U1", Start));
            Assert.Empty(await t.Allies.TouchpointsAsync(Other, t.HomeAlice.Id, 10));
        },
        ["AllyStore.LinkAsync"] = async t =>
        {
            await Assert.ThrowsAnyAsync<DbException>(() => t.Allies.LinkAsync(Other, t.HomeAlice.Id, t.HomeCarol.Id, "colleagues", "U1", Start));
            await Assert.ThrowsAnyAsync<DbException>(() => t.Allies.LinkAsync(Other, t.OtherAlice.Id, t.HomeCarol.Id, null, "U1", Start));
        },
        ["AllyStore.ConnectionsAsync"] = async t =>
        {
            Assert.Empty(await t.Allies.ConnectionsAsync(Other, t.HomeAlice.Id));
            Assert.Equal(t.OtherBob.Id, Assert.Single(await t.Allies.ConnectionsAsync(Other, t.OtherAlice.Id)).Ally.Id);
        },
        ["AllyStore.TouchpointsAsync"] = async t =>
        {
            Assert.Empty(await t.Allies.TouchpointsAsync(Other, t.HomeAlice.Id, 10));
            NoHomeData(await t.Allies.TouchpointsAsync(Other, t.OtherAlice.Id, 10));
        },
        ["AllyStore.DependentsAsync"] = async t => Assert.Equal((0, 0), await t.Allies.DependentsAsync(Other, t.HomeAlice.Id)),
        ["AllyStore.RemoveAsync"] = async t => Assert.False(await t.Allies.RemoveAsync(Other, t.HomeCarol.Id)),
        ["AllyStore.MapAsync"] = async t =>
        {
            var map = await t.Allies.MapAsync(Other, null, Today.AddDays(30));
            Assert.Equal(2, map.Total);
            Assert.Empty(map.Gaps);   // the home's Housing Authority has nobody elected or appointed; the other has no such org
            NoHomeData(map);
        },
        ["AllyStore.DueAsync"] = async t =>
        {
            var (items, total, _) = await t.Allies.DueAsync(Other, null, Today.AddDays(393), 1, 50);
            Assert.Equal([t.OtherAlice.Id, t.OtherBob.Id], items.Select(a => a.Id));
            Assert.Equal(Today.AddDays(-3 + 40), items[0].DueOn);   // the other's elected interval, not the home's 20
            Assert.Equal(2, total);
            Assert.Equal(2, (await t.Allies.DueAsync(Other, "U1", Today.AddDays(393), 1, 50)).Total);
        },
        ["AllyStore.CadenceAsync"] = async t => Assert.Equal(new Dictionary<string, int> { ["elected"] = 40 }, await t.Allies.CadenceAsync(Other)),
        ["AllyStore.SetCadenceAsync"] = async t =>
            Assert.Equal(2, await t.Allies.SetCadenceAsync(Other, new Dictionary<string, int> { ["elected"] = 1, ["career"] = 0 })),
        ["AllyStore.SnoozeAsync"] = async t =>
        {
            Assert.False(await t.Allies.SnoozeAsync(Other, t.HomeCarol.Id, Today.AddDays(90), Start));
            Assert.True(await t.Allies.SnoozeAsync(Other, t.OtherAlice.Id, Today.AddDays(90), Start));
        },
        ["AllyStore.KeepersAsync"] = async t => Assert.Equal(["U1"], await t.Allies.KeepersAsync(Other)),
        ["AllyStore.NudgesOffAsync"] = async t => Assert.Empty(await t.Allies.NudgesOffAsync(Other)),   // only the home's U2 turned them off
        ["AllyStore.SetNudgesAsync"] = async t =>
        {
            Assert.False(await t.Allies.SetNudgesAsync(Other, "U2", on: true, Start));
            Assert.True(await t.Allies.SetNudgesAsync(Other, "U1", on: false, Start));
            Assert.Equal(["U1"], await t.Allies.NudgesOffAsync(Other));
        },
        ["AllyStore.SetLeftOfficeAsync"] = async t =>
        {
            Assert.False(await t.Allies.SetLeftOfficeAsync(Other, t.HomeAlice.Id, Today, Start));
            Assert.True(await t.Allies.SetLeftOfficeAsync(Other, t.OtherAlice.Id, Today, Start));
        },
        ["AllyStore.RolesAsync"] = async t =>
        {
            Assert.Empty(await t.Allies.RolesAsync(Other, t.HomeAlice.Id));
            Assert.Single(await t.Allies.RolesAsync(Other, t.OtherAlice.Id));
        },
        ["AllyStore.AllRolesAsync"] = async t => Assert.Equal([t.OtherAlice.Id], (await t.Allies.AllRolesAsync(Other)).Keys),
        ["AllyStore.AllAsync"] = async t =>
        {
            var all = new List<Ally>();
            await foreach (var ally in t.Allies.AllAsync(Other)) all.Add(ally);
            Assert.Equal([t.OtherAlice.Id, t.OtherBob.Id], all.Select(a => a.Id));
        },

        ["AllyStore.LinksAsync"] = async t =>
        {
            var link = Assert.Single(await t.Allies.LinksAsync(Other, 50));
            Assert.Equal((1L, 2L), (link.RefA, link.RefB));
            NoHomeData(link);
        },

        // ---- dashboard sessions ----
        ["DashboardSessions.LinkAsync"] = async t =>
        {
            var link = await t.Dashboard.LinkAsync(Other, "U1");
            Assert.Contains("?w=" + Other + "&u=U1&g=0&", link, StringComparison.Ordinal);   // the home's generation is 1, the other's 0
        },
        ["DashboardSessions.OpenAsync"] = async t =>
        {
            // The home's link names the home: it opens a home session or nothing, never one of the other's.
            var (w, u, g, exp, sig) = DashboardLink(t.HomeDashboardLink);
            Assert.Equal(LinkRefusal.BadSignature, (await t.Dashboard.OpenAsync(Other, u, g, exp, sig)).Refusal);
            Assert.Equal(LinkRefusal.BadSignature, (await t.Dashboard.OpenAsync(w, u, "0", exp, sig)).Refusal);
            var (cookie, _) = await t.Dashboard.OpenAsync(Other, "U1", "0", exp, sig);
            Assert.Null(cookie);
        },
        ["DashboardSessions.LookupAsync"] = async t =>
        {
            Assert.Equal(Other, (await t.Dashboard.LookupAsync(t.OtherDashboardCookie))!.WorkspaceId);
            // The home's session id under the other's name is no session.
            var token = t.HomeDashboardCookie.Split('.')[1];
            Assert.Null(await t.Dashboard.LookupAsync(System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(Other)) + "." + token));
        },
        ["DashboardSessions.EndAsync"] = async t =>
        {
            var token = t.HomeDashboardCookie.Split('.')[1];
            await t.Dashboard.EndAsync(new DashboardSession(Other, "U1", Start.AddHours(1)), "x." + token);
            Assert.NotNull(await t.Dashboard.LookupAsync(t.HomeDashboardCookie));
        },
        ["DashboardSessions.RevokeAsync"] = async t =>
        {
            Assert.Equal(1, await t.Dashboard.RevokeAsync(Other, "U1"));
            Assert.NotNull(await t.Dashboard.LookupAsync(t.HomeDashboardCookie));
        },
        ["DashboardSessions.CountAsync"] = async t => Assert.Equal(1, await t.Dashboard.CountAsync(Other)),   // the home has two

        // ---- elections ----
        ["ElectionStore.AddAsync"] = async t =>
            Assert.Equal(2, (await t.Elections.AddAsync(Other, new ElectionFields("Atlanta", Today.AddDays(400)), "U1")).RefNo),
        ["ElectionStore.ImportAsync"] = async t =>
        {
            var (added, updated) = await t.Elections.ImportAsync(Other, [
                new ElectionFields("Atlanta", Today.AddDays(300), "renamed", Uid: "atl-general"),     // both have it: the other's is updated
                new ElectionFields("Atlanta", Today.AddDays(500), Uid: "atl-runoff"),                // only the home has it: the other adds its own
            ], "U1");
            Assert.Equal(t.OtherE1.Id, Assert.Single(updated).Id);
            Assert.Equal(2, Assert.Single(added).RefNo);
        },
        ["ElectionStore.GetAsync"] = async t =>
        {
            Assert.Null(await t.Elections.GetAsync(Other, 2));
            Assert.Equal(t.OtherE1.Id, (await t.Elections.GetAsync(Other, 1))!.Id);
        },
        ["ElectionStore.ListAsync"] = async t =>
            Assert.Equal(t.OtherE1.Id, Assert.Single(await t.Elections.ListAsync(Other, null, 50)).Id),
        ["ElectionStore.RemoveAsync"] = async t => Assert.False(await t.Elections.RemoveAsync(Other, t.HomeE2.Id)),
        ["ElectionStore.SubscribeAsync"] = t => t.Elections.SubscribeAsync(Other, new ElectionSubscription("C1", "slack", [7], [1], null), "U1"),
        ["ElectionStore.UnsubscribeAsync"] = async t =>
        {
            Assert.False(await t.Elections.UnsubscribeAsync(Other, "C2"));
            Assert.True(await t.Elections.UnsubscribeAsync(Other, "C1"));   // its own C1; the home's stays
        },
        ["ElectionStore.SubscriptionsAsync"] = async t =>
            Assert.Equal([30], Assert.Single(await t.Elections.SubscriptionsAsync(Other)).Leads),
        ["ElectionStore.SubscriptionAsync"] = async t =>
        {
            Assert.Null(await t.Elections.SubscriptionAsync(Other, "C2"));
            Assert.Equal([30], (await t.Elections.SubscriptionAsync(Other, "C1"))!.Leads);
        },
        ["ElectionBrief.BlocksAsync"] = async t =>
        {
            await t.Allies.SetLeftOfficeAsync(Other, t.OtherAlice.Id, t.OtherE1.Date.AddDays(1), Start);
            var blocks = await new ElectionBrief(t.Database, t.Allies).BlocksAsync(Other, t.OtherE1, t.OtherE1.Date.AddDays(1), default);
            var text = CoreChat.Plain(new Reply("", blocks));
            Assert.Contains("Left office (1)", text);
            Assert.Contains($"Alice Ames (A{t.OtherAlice.RefNo})", text);
            NoHomeData(text);
        },
        ["ElectionStore.RiskAsync"] = async t =>
        {
            var risk = await t.Elections.RiskAsync(Other, "atlanta");
            Assert.Equal(t.OtherAlice.Id, Assert.Single(risk.AtRisk).Id);
            Assert.Equal(t.OtherBob.Id, Assert.Single(risk.Continuity).Id);
            NoHomeData(risk);
        },
        ["ElectionStore.SetLeftOfficeAsync"] = async t => Assert.False(await t.Elections.SetLeftOfficeAsync(Other, t.HomeAlice.Id, Today)),

        // ---- initiatives and check-ins ----
        ["InitiativeStore.AddAsync"] = async t =>
            Assert.Equal(2, (await t.Initiatives.AddAsync(Other, Twin.Initiative("Jobs", "C-" + OtherMark, ["U1"]))).RefNo),
        ["InitiativeStore.NameTakenAsync"] = async t =>
        {
            Assert.False(await t.Initiatives.NameTakenAsync(Other, "Jobs"));
            Assert.True(await t.Initiatives.NameTakenAsync(Other, "housing"));
        },
        ["InitiativeStore.ListAsync"] = async t =>
        {
            var list = await t.Initiatives.ListAsync(Other);
            Assert.Equal(t.OtherI1.Id, Assert.Single(list).Id);
            Assert.Equal(["U1"], list[0].Members);   // the home's I1 has U1 and U2
        },
        ["InitiativeStore.GetAsync"] = async t =>
        {
            Assert.Null(await t.Initiatives.GetAsync(Other, t.HomeI1.Id));
            Assert.Equal(["U1"], (await t.Initiatives.GetAsync(Other, t.OtherI1.Id))!.Members);
        },
        ["InitiativeStore.FindAsync"] = async t =>
        {
            Assert.Null(await t.Initiatives.FindAsync(Other, "I2"));
            Assert.Null(await t.Initiatives.FindAsync(Other, "Jobs"));
            Assert.Equal(t.OtherI1.Id, (await t.Initiatives.FindAsync(Other, "Housing"))!.Id);
        },
        ["InitiativeStore.SetPausedAsync"] = t => t.Initiatives.SetPausedAsync(Other, t.HomeI1.Id, true),
        ["InitiativeStore.RemoveAsync"] = t => t.Initiatives.RemoveAsync(Other, t.HomeI1.Id),
        ["CheckInStore.SaveAsync"] = async t =>
        {
            await Assert.ThrowsAnyAsync<DbException>(() => t.CheckIns.SaveAsync(Other, t.HomeI1.Id, Twin.CheckIn("2027-W01", "U1", 1, "x")));
            Assert.True(await t.CheckIns.SaveAsync(Other, t.OtherI1.Id, Twin.CheckIn("2027-W01", "U1", 8, OtherMark)));   // replaces its own only
        },
        ["CheckInStore.WeekAsync"] = async t =>
        {
            Assert.Empty(await t.CheckIns.WeekAsync(Other, t.HomeI1.Id, "2027-W01"));
            Assert.Equal(7, Assert.Single(await t.CheckIns.WeekAsync(Other, t.OtherI1.Id, "2027-W01")).Values["people housed"]);
        },
        ["CheckInStore.HistoryAsync"] = async t =>
        {
            Assert.Empty(await t.CheckIns.HistoryAsync(Other, t.HomeI1.Id));
            NoHomeData(Assert.Single(await t.CheckIns.HistoryAsync(Other, t.OtherI1.Id)));
        },
        ["CheckInStore.SkipAsync"] = async t =>
        {
            await Assert.ThrowsAnyAsync<DbException>(() => t.CheckIns.SkipAsync(Other, t.HomeI1.Id, "2027-W05", "U1"));
            await t.CheckIns.SkipAsync(Other, t.OtherI1.Id, "2027-W02", "U1");   // the home skipped W02 too: both keep theirs
        },
        ["CheckInStore.IsSkippedAsync"] = async t =>
        {
            Assert.False(await t.CheckIns.IsSkippedAsync(Other, t.HomeI1.Id, "2027-W02"));
            Assert.False(await t.CheckIns.IsSkippedAsync(Other, t.OtherI1.Id, "2027-W02"));
        },
        ["CheckInStore.MarkDigestPostedAsync"] = async t =>
        {
            await Assert.ThrowsAnyAsync<DbException>(() => t.CheckIns.MarkDigestPostedAsync(Other, t.HomeI1.Id, "2027-W03"));
            Assert.True(await t.CheckIns.MarkDigestPostedAsync(Other, t.OtherI1.Id, "2027-W01"));   // the home posted its own W01
        },
        ["CheckInStore.DigestPostedAtAsync"] = async t =>
        {
            Assert.Null(await t.CheckIns.DigestPostedAtAsync(Other, t.HomeI1.Id, "2027-W01"));
            Assert.Null(await t.CheckIns.DigestPostedAtAsync(Other, t.OtherI1.Id, "2027-W01"));
        },
        ["CheckInStore.SkippedWeeksAsync"] = async t =>
        {
            Assert.Empty(await t.CheckIns.SkippedWeeksAsync(Other, t.HomeI1.Id, ""));
            Assert.Empty(await t.CheckIns.SkippedWeeksAsync(Other, t.OtherI1.Id, ""));
        },
        ["CheckInStore.LatestWeekWithValuesAsync"] = async t =>
        {
            Assert.Null(await t.CheckIns.LatestWeekWithValuesAsync(Other, t.HomeI1.Id, "2027-W10"));
            Assert.Equal("2027-W01", await t.CheckIns.LatestWeekWithValuesAsync(Other, t.OtherI1.Id, "2027-W10"));
        },
        ["CheckInStore.AddPhaseAsync"] = async t =>
        {
            await Assert.ThrowsAnyAsync<DbException>(() => t.CheckIns.AddPhaseAsync(Other, t.HomeI1.Id, null, "2027-W01", "x", "U1"));
            Assert.Equal("2027-W01", (await t.CheckIns.AddPhaseAsync(Other, t.OtherI1.Id, null, "2027-W01", OtherMark, "U1")).FromWeek);
        },
        ["CheckInStore.PhasesAsync"] = async t =>
        {
            Assert.Empty(await t.CheckIns.PhasesAsync(Other, t.HomeI1.Id));
            Assert.Empty(await t.CheckIns.PhasesAsync(Other, t.OtherI1.Id));   // only the home has one
        },
        ["CheckInStore.RemoveLastPhaseAsync"] = async t =>
        {
            Assert.Null(await t.CheckIns.RemoveLastPhaseAsync(Other, t.HomeI1.Id));
            Assert.Null(await t.CheckIns.RemoveLastPhaseAsync(Other, t.OtherI1.Id));
        },
        ["CheckInStore.AwayOnAsync"] = async t => Assert.Empty(await t.CheckIns.AwayOnAsync(Other, Today)),
        ["CheckInStore.SetAwayAsync"] = async t =>
        {
            await t.CheckIns.SetAwayAsync(Other, "U2", null);                 // the home's U2 stays away
            await t.CheckIns.SetAwayAsync(Other, "U1", Today.AddDays(3));
        },
        ["CheckInStore.AwayUntilAsync"] = async t => Assert.Null(await t.CheckIns.AwayUntilAsync(Other, "U2")),
        ["CheckInStore.ImportAsync"] = async t =>
        {
            await Assert.ThrowsAnyAsync<DbException>(() => t.CheckIns.ImportAsync(Other, t.HomeI1.Id, [Twin.CheckIn("2027-W01", "U1", 1, "x")]));
            Assert.Equal(1, await t.CheckIns.ImportAsync(Other, t.OtherI1.Id, [Twin.CheckIn("2027-W01", "U1", 9, OtherMark), Twin.CheckIn("2027-W02", "U2", 3, OtherMark)]));
        },
        ["CheckInDigest.ChartSvgAsync"] = async t =>
        {
            Assert.Null(await t.Digests.ChartSvgAsync(Other, t.HomeI1.Id, 0, "2027-W01", 12, CancellationToken.None));
            Assert.NotNull(await t.Digests.ChartSvgAsync(Other, t.OtherI1.Id, 0, "2027-W01", 12, CancellationToken.None));
        },

        // ---- workspaces and users ----
        ["WorkspaceStore.EnsureUserAsync"] = async t =>
        {
            var (workspace, user) = await t.Workspaces.EnsureUserAsync(Other, "slack", "U3", null);   // an admin in the home
            Assert.False(user.IsAdmin);
            Assert.Equal("Europe/Berlin", workspace.TimeZone.Id);
        },
        ["WorkspaceStore.FindUserAsync"] = async t =>
        {
            Assert.Null(await t.Workspaces.FindUserAsync(Other, "U3"));
            Assert.Null(await t.Workspaces.FindUserAsync(Other, "hannah " + HomeMark));
            Assert.Equal("U1", await t.Workspaces.FindUserAsync(Other, "U1"));
        },
        ["WorkspaceStore.EnsureWorkspaceZoneAsync"] = async t =>
            Assert.Equal("Europe/Berlin", (await t.Workspaces.EnsureWorkspaceZoneAsync(Other)).Id),
        ["WorkspaceStore.PlatformAsync"] = async t =>
        {
            Assert.Equal("slack", await t.Workspaces.PlatformAsync(Other));
            Assert.Equal("local", await t.Workspaces.PlatformAsync("T-unknown"));
        },
        ["WorkspaceStore.SetTimeZoneAsync"] = async t =>
        {
            await t.Workspaces.SetTimeZoneAsync(Other, "Asia/Tokyo");
            Assert.Equal("America/New_York", (await t.Workspaces.EnsureUserAsync(Home, "slack", "U1", null)).Workspace.TimeZone.Id);
        },
        ["WorkspaceStore.ListAdminsAsync"] = async t => Assert.Equal(["U1"], await t.Workspaces.ListAdminsAsync(Other)),
        ["WorkspaceStore.SetAdminAsync"] = async t =>
        {
            await t.Workspaces.SetAdminAsync(Other, "U3", false);
            await t.Workspaces.SetAdminAsync(Other, "U2", true);
            Assert.True((await t.Workspaces.EnsureUserAsync(Home, "slack", "U3", null)).User.IsAdmin);
        },
        ["WorkspaceStore.NextRefAsync"] = async t =>
        {
            await using var connection = await t.Database.OpenAsync();
            await using var tx = await connection.BeginTransactionAsync();
            Assert.Equal(3, await WorkspaceStore.NextRefAsync(connection, tx, Other, "ally"));
            await tx.CommitAsync();
        },
        ["WorkspaceStore.FindZone"] = t => Task.CompletedTask,   // pure, listed so a new method must be decided on

        // ---- members' own time zones ----
        ["MemberZoneStore.GetAsync"] = async t =>
        {
            Assert.Equal(MemberZone.None, await t.Zones.GetAsync(Other, "U2"));             // the home's U2 set her own
            Assert.Equal(new MemberZone("Europe/Berlin", null), await t.Zones.GetAsync(Other, "U1"));
        },
        ["MemberZoneStore.ForUsersAsync"] = async t =>
        {
            var found = await t.Zones.ForUsersAsync(Other, ["U1", "U2"]);
            Assert.Equal(["U1"], found.Keys);
            Assert.Equal("Europe/Berlin", found["U1"].Id);
        },
        ["MemberZoneStore.SetPlatformZoneAsync"] = async t =>
        {
            Assert.True(await t.Zones.SetPlatformZoneAsync(Other, "U2", MemberZoneStore.Parse("Asia/Tokyo")!));
            Assert.True(await t.Zones.SetPlatformZoneAsync(Other, "U1", MemberZoneStore.Parse("Asia/Kolkata")!));   // the home's U1 is in Kolkata already
            Assert.Equal("Asia/Kolkata", (await t.Zones.GetAsync(Other, "U1")).Id);
        },
        ["MemberZoneStore.SetOwnZoneAsync"] = async t =>
        {
            Assert.False(await t.Zones.SetOwnZoneAsync(Other, "U2", null));                  // clears nothing of the home's U2
            Assert.True(await t.Zones.SetOwnZoneAsync(Other, "U1", MemberZoneStore.Parse("America/Los_Angeles")));
            Assert.Equal(ZoneSource.Own, (await t.Zones.GetAsync(Other, "U1")).Source);
        },
        ["MemberZoneStore.Parse"] = t => Task.CompletedTask,   // pure, listed so a new method must be decided on

        // ---- outbox ----
        ["OutboxStore.EnqueueAsync"] = async t =>
        {
            Assert.True(await t.Outbox.EnqueueAsync(Other, "reminder:E2:-7", "slack", "C1", Reply.Say(OtherMark), Start, Start));   // the home's key
            Assert.False(await t.Outbox.EnqueueAsync(Other, "digest:I1:2027-W01", "slack", "C1", Reply.Say(OtherMark), Start, Start));   // its own, already queued
        },
        ["OutboxStore.FailedSinceAsync"] = async t => Assert.Equal(0, (await t.Outbox.FailedSinceAsync(Other, Start.AddDays(-7), 10)).Total),
        ["OutboxStore.PendingAsync"] = async t =>
            Assert.Equal("C-" + OtherMark, Assert.Single(await t.Outbox.PendingAsync(Other, 10)).Destination),
        ["OutboxStore.GetAsync"] = async t =>
        {
            Assert.Null(await t.Outbox.GetAsync(Other, "reminder:E2:-7"));
            Assert.Equal("C-" + OtherMark, (await t.Outbox.GetAsync(Other, "digest:I1:2027-W01"))!.Destination);
        },
        ["DownloadStore.CreateAsync"] = async t =>
        {
            var token = await t.Downloads.CreateAsync(Other, "U1", new FileAttachment(OtherMark + ".csv", "text/csv", OtherMark));
            Assert.NotEqual(t.HomeDownload, token);
            Assert.Equal(OtherMark, (await t.Downloads.GetAsync(token))!.Content);
            Assert.Equal(HomeMark, (await t.Downloads.GetAsync(t.HomeDownload))!.Content);
        },

        // ---- Slack ----
        ["SlackDmChannels.GetAsync"] = async t =>
        {
            Assert.Null(await t.SlackDms.GetAsync(Other, "U2", default));
            Assert.Equal("D-" + OtherMark, await t.SlackDms.GetAsync(Other, "U1", default));
        },
        ["SlackDmChannels.SaveAsync"] = t => t.SlackDms.SaveAsync(Other, "U1", "D-new", default),
        ["SlackDmChannels.ForgetAsync"] = async t =>
        {
            await t.SlackDms.ForgetAsync(Other, "U2", default);
            await t.SlackDms.ForgetAsync(Other, "U1", default);
        },
        ["SlackChartUploads.GetAsync"] = async t =>
        {
            Assert.Equal(new SlackChartUploads.Upload("F-" + OtherMark, ChartUploadState.Uploaded), await t.ChartUploads.GetAsync(Other, "digest:I1:2027-W01", 0, default));
            Assert.Null(await t.ChartUploads.GetAsync(Other, "digest:I1:2027-W01", 1, default));   // the home's only
        },
        ["SlackChartUploads.SetAsync"] = async t =>
        {
            await t.ChartUploads.SetAsync(Other, "digest:I1:2027-W01", 0, "F-new", ChartUploadState.Completed, default);
            await t.ChartUploads.SetAsync(Other, "digest:I1:2027-W01", 1, "F-new-2", ChartUploadState.Completing, default);
        },
        ["SlackChartUploads.ForgetAsync"] = async t =>
        {
            await t.ChartUploads.ForgetAsync(Other, "digest:I1:2027-W01", 0, default);
            await t.ChartUploads.ForgetAsync(Other, "digest:I1:2027-W01", 1, default);
        },
        ["SlackInstallations.SaveAsync"] = t => t.SlackInstalls.SaveAsync(Twin.Install(Other, "xoxb-new"), default),
        ["SlackInstallations.BotTokenAsync"] = async t =>
        {
            Assert.Equal("xoxb-" + OtherMark, await t.SlackInstalls.BotTokenAsync(Other, default));
            Assert.Null(await t.SlackInstalls.BotTokenAsync("T3", default));   // no installation, no single-workspace token: nobody's
        },
        ["SlackInstallations.DeactivateAsync"] = async t =>
        {
            await t.SlackInstalls.DeactivateAsync(Other, default);
            Assert.Equal("xoxb-" + HomeMark, await t.SlackInstalls.BotTokenAsync(Home, default));
        },
        ["SlackSeenEvents.FirstTimeAsync"] = async t =>
        {
            Assert.True(await t.SlackEvents.FirstTimeAsync(Other, "Ev1", default));   // the home saw Ev1
            Assert.False(await t.SlackEvents.FirstTimeAsync(Other, "Ev1", default));
        },

        // ---- Teams ----
        ["TeamsConversations.SaveAsync"] = async t =>
        {
            await t.TeamsChats.SaveAsync(Twin.Conversation(Other, "19:shared", "https://smba.example/" + OtherMark + "/", "29:u1"), default);
            Assert.Contains(HomeMark, (await t.TeamsChats.GetAsync(Home, "19:shared", default))!.ServiceUrl);
        },
        ["TeamsConversations.ForgetAsync"] = async t =>
        {
            await t.TeamsChats.ForgetAsync(Other, "19:home-only", default);
            await t.TeamsChats.ForgetAsync(Other, "19:shared", default);
        },
        ["TeamsConversations.GetAsync"] = async t =>
        {
            Assert.Null(await t.TeamsChats.GetAsync(Other, "19:home-only", default));
            Assert.Contains(OtherMark, (await t.TeamsChats.GetAsync(Other, "19:shared", default))!.ServiceUrl);
        },
        ["TeamsConversations.PersonalAsync"] = async t =>
        {
            Assert.Null(await t.TeamsChats.PersonalAsync(Other, "29:u2", default));
            Assert.Contains(OtherMark, (await t.TeamsChats.PersonalAsync(Other, "29:u1", default))!.ServiceUrl);
        },
        ["TeamsConversations.AnyAsync"] = async t =>
            Assert.Contains(OtherMark, (await t.TeamsChats.AnyAsync(Other, default))!.ServiceUrl),
    };

    /// <summary>A dashboard link's parameters: workspace, user, generation, expiry, signature.</summary>
    private static (string W, string U, string G, string Exp, string Sig) DashboardLink(string link)
    {
        var q = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(link[link.IndexOf('?')..]);
        return (q["w"]!, q["u"]!, q["g"]!, q["exp"]!, q["sig"]!);
    }

    private static readonly JsonSerializerOptions Dump = new() { IncludeFields = true };

    /// <summary>Nothing the home workspace wrote shows in a result (every home text carries <see cref="HomeMark"/>).</summary>
    private static void NoHomeData(object? result)
    {
        var json = JsonSerializer.Serialize(result, Dump);
        Assert.DoesNotContain(HomeMark, json, StringComparison.OrdinalIgnoreCase);
        Assert.True(json.Length > 10, json);
    }

    /// <summary>The two workspaces' data and the stores, as the cases use them.</summary>
    private sealed record Twin(
        Database Database, AllyStore Allies, ElectionStore Elections, InitiativeStore Initiatives, CheckInStore CheckIns, CheckInDigest Digests,
        WorkspaceStore Workspaces, OutboxStore Outbox, DownloadStore Downloads, SlackDmChannels SlackDms, SlackInstallations SlackInstalls,
        SlackSeenEvents SlackEvents, TeamsConversations TeamsChats, MemberZoneStore Zones, SlackChartUploads ChartUploads,
        Ally HomeAlice, Ally HomeCarol, Ally OtherAlice, Ally OtherBob, Election OtherE1, Election HomeE2,
        Initiative HomeI1, Initiative OtherI1, string HomeDownload)
    {
        public DashboardSessions Dashboard { get; init; } = null!;
        public string HomeDashboardLink { get; init; } = "";
        public string HomeDashboardCookie { get; init; } = "";
        public string OtherDashboardCookie { get; init; } = "";

        public static async Task<Twin> SeedAsync(CoreChat chat, TimeProvider clock)
        {
            var database = chat.Get<Database>();
            var writes = chat.Get<GroupCommit>();
            var allies = chat.Get<AllyStore>();
            var elections = chat.Get<ElectionStore>();
            var initiatives = chat.Get<InitiativeStore>();
            var checkIns = chat.Get<CheckInStore>();
            var workspaces = chat.Get<WorkspaceStore>();
            var outbox = chat.Get<OutboxStore>();
            var downloads = chat.Get<DownloadStore>();
            var dms = new SlackDmChannels(database, writes, clock);
            var installs = new SlackInstallations(database, new EphemeralDataProtectionProvider(), new SlackOptions(), clock);
            var events = new SlackSeenEvents(database, clock);
            var teams = new TeamsConversations(database, clock);
            var zones = chat.Get<MemberZoneStore>();
            var chartUploads = new SlackChartUploads(database, clock);

            // A failed send of the home's, first, so that claiming it claims nothing else.
            await outbox.EnqueueAsync(Home, "reminder:E1:-30", "slack", "C-" + HomeMark, Reply.Say(HomeMark), Start, Start);
            var failed = Assert.Single(await outbox.ClaimDueAsync(Start, TimeSpan.FromMinutes(1), 10));
            await outbox.MarkFailedAsync(failed.Id, "channel_not_found " + HomeMark, Start);

            // The same data in both workspaces, the home first; its text carries its mark.
            var ids = new Dictionary<string, (long[] Allies, Election E1, Initiative I1)>();
            foreach (var (ws, mark, zone) in new[] { (Home, HomeMark, "America/New_York"), (Other, OtherMark, "Europe/Berlin") })
            {
                await workspaces.EnsureUserAsync(ws, "slack", "U1", "Uma " + mark);
                await workspaces.EnsureUserAsync(ws, "slack", "U2", "Ugo " + mark);
                await workspaces.SetTimeZoneAsync(ws, zone);
                var refs = await allies.AddAsync(ws, [
                    Person("Alice Ames", "City of Atlanta", "elected", mark),
                    Person("Bob Burns", "City of Atlanta", "career", mark),
                ], "U1", Start);
                await allies.SetCadenceAsync(ws, new Dictionary<string, int> { ["elected"] = ws == Home ? 20 : 40 });
                if (ws == Home) await allies.SetNudgesAsync(ws, "U2", on: false, Start);
                var found = await allies.GetManyAsync(ws, refs);
                await allies.LogAsync(ws, found[0].Id, Today.AddDays(-3), "call", "spoke " + mark, "U1", Start);
                await allies.LinkAsync(ws, found[0].Id, found[1].Id, "colleagues " + mark, "U1", Start);
                await allies.UpdateAsync(ws, found[0].Id, new AllyFields { Role = "Mayor " + mark }, Start);   // a role history entry each
                var e1 = await elections.AddAsync(ws, new ElectionFields("Atlanta", Today.AddDays(300), "General " + mark, Uid: "atl-general"), "U1");
                await elections.SubscribeAsync(ws, new ElectionSubscription("C1", "slack", ws == Home ? [180, 90] : [30], [1], null), "U1");
                var i1 = await initiatives.AddAsync(ws, Initiative("Housing", "C-" + mark, ws == Home ? ["U1", "U2"] : ["U1"]));
                await checkIns.SaveAsync(ws, i1.Id, CheckIn("2027-W01", "U1", ws == Home ? 100 : 7, mark));
                await outbox.EnqueueAsync(ws, "digest:I1:2027-W01", "slack", "C-" + mark, Reply.Say(mark), Start.AddHours(1), Start);
                await dms.SaveAsync(ws, "U1", "D-" + mark, default);
                await chartUploads.SetAsync(ws, "digest:I1:2027-W01", 0, "F-" + mark, ChartUploadState.Uploaded, default);
                await installs.SaveAsync(Install(ws, "xoxb-" + mark), default);
                await teams.SaveAsync(Conversation(ws, "19:shared", "https://smba.example/" + mark + "/", "29:u1"), default);
                await zones.SetPlatformZoneAsync(ws, "U1", MemberZoneStore.Parse(ws == Home ? "Asia/Kolkata" : "Europe/Berlin")!);
                ids[ws] = (found.Select(a => a.Id).ToArray(), e1, i1);
            }

            // What only the home has.
            await workspaces.EnsureUserAsync(Home, "slack", "U3", "Hannah " + HomeMark);
            await workspaces.SetAdminAsync(Home, "U3", true);
            var carol = (await allies.GetManyAsync(Home, await allies.AddAsync(Home, [Person("Carol Cole", "Housing Authority", "career", HomeMark) with { Sector = "government" }], "U1", Start)))[0];
            await allies.LogAsync(Home, carol.Id, Today.AddDays(-1), "meeting", "met " + HomeMark, "U1", Start);
            var e2 = await elections.AddAsync(Home, new ElectionFields("Atlanta", Today.AddDays(500), "Runoff " + HomeMark, Uid: "atl-runoff"), "U1");
            await elections.SubscribeAsync(Home, new ElectionSubscription("C2", "slack", [7], [], "atlanta"), "U1");
            await initiatives.AddAsync(Home, Initiative("Jobs", "C-" + HomeMark, ["U1"]));
            var homeI1 = ids[Home].I1;
            await checkIns.SkipAsync(Home, homeI1.Id, "2027-W02", "U1");
            await checkIns.MarkDigestPostedAsync(Home, homeI1.Id, "2027-W01");
            await checkIns.AddPhaseAsync(Home, homeI1.Id, null, "2027-W01", "phase " + HomeMark, "U1");
            await checkIns.SetAwayAsync(Home, "U2", Today.AddDays(10));
            await dms.SaveAsync(Home, "U2", "D-" + HomeMark + "-2", default);
            await chartUploads.SetAsync(Home, "digest:I1:2027-W01", 1, "F-" + HomeMark + "-2", ChartUploadState.Completing, default);
            await zones.SetOwnZoneAsync(Home, "U2", MemberZoneStore.Parse("America/Los_Angeles"));
            await events.FirstTimeAsync(Home, "Ev1", default);
            await teams.SaveAsync(Conversation(Home, "19:home-only", "https://smba.example/" + HomeMark + "/", "29:u2"), default);
            var download = await downloads.CreateAsync(Home, "U1", new FileAttachment(HomeMark + ".csv", "text/csv", HomeMark));

            var home = await allies.GetManyAsync(Home, [1]);
            var other = await allies.GetManyAsync(Other, [1, 2]);
            // Dashboard sessions: one in the other, two in the home after a revocation there (generation 1), and a home link not yet opened.
            var dashboard = chat.Get<DashboardSessions>();
            async Task<string> OpenDashboard(string ws, string user)
            {
                var (lw, lu, lg, lexp, lsig) = DashboardLink(await dashboard.LinkAsync(ws, user));
                return (await dashboard.OpenAsync(lw, lu, lg, lexp, lsig)).Cookie!;
            }
            await OpenDashboard(Home, "U1");
            await dashboard.RevokeAsync(Home, "U3");
            var homeCookie = await OpenDashboard(Home, "U1");
            await OpenDashboard(Home, "U2");
            var otherCookie = await OpenDashboard(Other, "U1");

            return new Twin(database, allies, elections, initiatives, checkIns, chat.Get<CheckInDigest>(), workspaces, outbox, downloads,
                dms, installs, events, teams, zones, chartUploads, home[0], carol, other[0], other[1], ids[Other].E1, e2, homeI1, ids[Other].I1, download)
            {
                Dashboard = dashboard, HomeDashboardLink = await dashboard.LinkAsync(Home, "U1"), HomeDashboardCookie = homeCookie, OtherDashboardCookie = otherCookie,
            };
        }

        private static AllyFields Person(string name, string org, string level, string mark) => new()
        {
            Name = name, Org = org, Level = level, Sector = "government", Jurisdiction = "Atlanta",
            Email = name.Split(' ')[0].ToLowerInvariant() + "@" + mark + ".example", Notes = "notes " + mark, Owner = "U1",
        };

        public static Initiative Initiative(string name, string channel, IReadOnlyList<string> members) => new(
            0, 0, name, [Metric.Parse("people housed:people:increase").Metric!], 10, 100, new DateOnly(2027, 12, 31), DayOfWeek.Monday,
            new TimeOnly(9, 0), "UTC", 24, RunChartRules.PerlaProvostMurray, channel, "slack", false, "U1", members);

        public static CheckIn CheckIn(string week, string member, double value, string mark) =>
            new(week, member, new Dictionary<string, double> { ["people housed"] = value }, "wins " + mark, null, null, null, Start);

        public static SlackInstallation Install(string workspace, string token) =>
            new(workspace, workspace, null, false, "Team " + workspace, "A1", "UBOT", token, "commands,chat:write", "U1");

        public static TeamsConversation Conversation(string workspace, string id, string serviceUrl, string user) =>
            new(workspace, id, "personal", serviceUrl, "28:bot", user, null);
    }
}
