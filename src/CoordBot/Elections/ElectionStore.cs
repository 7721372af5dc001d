using System.Data.Common;
using CoordBot.Allies;
using CoordBot.Data;
using CoordBot.Workspaces;
using Dapper;

namespace CoordBot.Elections;

/// <summary>Allies an election puts at risk, the continuity allies beside them, and organizations left with nobody.</summary>
public sealed record TurnoverRisk(IReadOnlyList<Ally> AtRisk, IReadOnlyList<Ally> Continuity, IReadOnlyList<string> OrgsAllAtRisk);

/// <summary>Elections, reminder subscriptions and turnover risk, scoped by workspace.</summary>
public sealed class ElectionStore(Database database, AllyStore allies, TimeProvider time)
{
    static ElectionStore() { SnakeCaseMap.Register<Row>(); }

    private sealed class Row
    {
        public long Id { get; set; }
        public long RefNo { get; set; }
        public string Jurisdiction { get; set; } = "";
        public string JurisdictionKey { get; set; } = "";
        public string ElectionDate { get; set; } = "";
        public string? Name { get; set; }
        public string? Kind { get; set; }
        public string? Offices { get; set; }
        public string? TakesOffice { get; set; }
        public string? Uid { get; set; }
        public string CreatedBy { get; set; } = "";

        public Election ToElection() => new(Id, RefNo, Jurisdiction, JurisdictionKey, Database.ParseDay(ElectionDate), Name, Kind, Offices,
            TakesOffice is null ? null : Database.ParseDay(TakesOffice), Uid, CreatedBy);
    }

    private const string Columns = "id AS Id, ref_no AS RefNo, jurisdiction AS Jurisdiction, jurisdiction_key AS JurisdictionKey, " +
        "election_date AS ElectionDate, name AS Name, kind AS Kind, offices AS Offices, takes_office AS TakesOffice, uid AS Uid, created_by AS CreatedBy";

    public async Task<Election> AddAsync(string workspace, ElectionFields fields, string createdBy, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var election = await InsertAsync(connection, tx, workspace, fields, createdBy);
        await tx.CommitAsync(ct);
        return election;
    }

    /// <summary>Imports a feed in one transaction: new UIDs are added, known ones updated; returns (added, updated) elections.</summary>
    public async Task<(IReadOnlyList<Election> Added, IReadOnlyList<Election> Updated)> ImportAsync(string workspace, IReadOnlyList<ElectionFields> events,
        string createdBy, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var added = new List<Election>();
        var updated = new List<Election>();
        foreach (var fields in events)
        {
            var existing = await connection.QuerySingleOrDefaultAsync<Row>(
                $"SELECT {Columns} FROM elections WHERE workspace_id = @Workspace AND uid = @Uid", new { Workspace = workspace, fields.Uid }, tx);
            if (existing is null)
            {
                added.Add(await InsertAsync(connection, tx, workspace, fields, createdBy));
                continue;
            }
            await connection.ExecuteAsync("""
                UPDATE elections SET jurisdiction = @Jurisdiction, jurisdiction_key = @Key, election_date = @Date, name = @Name, kind = @Kind,
                    offices = @Offices, takes_office = COALESCE(@TakesOffice, takes_office)
                WHERE workspace_id = @Workspace AND id = @Id
                """, Parameters(workspace, fields, existing.Id), tx);
            updated.Add((await connection.QuerySingleAsync<Row>($"SELECT {Columns} FROM elections WHERE id = @Id", new { existing.Id }, tx)).ToElection());
        }
        await tx.CommitAsync(ct);
        return (added, updated);
    }

    private async Task<Election> InsertAsync(DbConnection connection, DbTransaction tx, string workspace, ElectionFields fields, string createdBy)
    {
        var refNo = await WorkspaceStore.NextRefAsync(connection, tx, workspace, "election");
        var p = Parameters(workspace, fields, 0);
        p.Add("RefNo", refNo);
        p.Add("CreatedBy", createdBy);
        p.Add("At", Database.Stamp(time.GetUtcNow()));
        var id = await connection.ExecuteScalarAsync<long>("""
            INSERT INTO elections (workspace_id, ref_no, jurisdiction, jurisdiction_key, election_date, name, kind, offices, takes_office, uid, created_by, created_at)
            VALUES (@Workspace, @RefNo, @Jurisdiction, @Key, @Date, @Name, @Kind, @Offices, @TakesOffice, @Uid, @CreatedBy, @At)
            RETURNING id
            """, p, tx);
        return new Election(id, refNo, fields.Jurisdiction, ElectionVocabulary.JurisdictionKey(fields.Jurisdiction) ?? "", fields.Date, fields.Name,
            fields.Kind, fields.Offices, fields.TakesOffice, fields.Uid, createdBy);
    }

    private static DynamicParameters Parameters(string workspace, ElectionFields f, long id) => new(new
    {
        Workspace = workspace, Id = id, f.Jurisdiction, Key = ElectionVocabulary.JurisdictionKey(f.Jurisdiction) ?? "", Date = Database.Day(f.Date),
        f.Name, f.Kind, f.Offices, TakesOffice = f.TakesOffice is { } t ? Database.Day(t) : null, f.Uid,
    });

    public async Task<Election?> GetAsync(string workspace, long refNo, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QuerySingleOrDefaultAsync<Row>($"SELECT {Columns} FROM elections WHERE workspace_id = @Workspace AND ref_no = @RefNo",
            new { Workspace = workspace, RefNo = refNo }))?.ToElection();
    }

    /// <summary>Elections on or after <paramref name="from"/> (all when null), soonest first.</summary>
    public async Task<IReadOnlyList<Election>> ListAsync(string workspace, DateOnly? from, int limit, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QueryAsync<Row>($"""
            SELECT {Columns} FROM elections WHERE workspace_id = @Workspace AND (@From IS NULL OR election_date >= @From)
            ORDER BY election_date, ref_no LIMIT @Limit
            """, new { Workspace = workspace, From = from is { } d ? Database.Day(d) : null, Limit = limit })).Select(r => r.ToElection()).ToList();
    }

    public async Task<bool> RemoveAsync(string workspace, long id, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteAsync("DELETE FROM elections WHERE workspace_id = @Workspace AND id = @Id", new { Workspace = workspace, Id = id }) == 1;
    }

    public async Task SubscribeAsync(string workspace, ElectionSubscription subscription, string createdBy, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync("""
            INSERT INTO election_subscriptions (workspace_id, channel_id, platform, leads, afters, jurisdiction_key, created_by, created_at)
            VALUES (@Workspace, @Channel, @Platform, @Leads, @Afters, @Jurisdiction, @By, @At)
            ON CONFLICT (workspace_id, channel_id) DO UPDATE SET platform = excluded.platform, leads = excluded.leads, afters = excluded.afters,
                jurisdiction_key = excluded.jurisdiction_key, created_by = excluded.created_by, created_at = excluded.created_at
            """, new
        {
            Workspace = workspace, Channel = subscription.ChannelId, subscription.Platform, Leads = string.Join(',', subscription.Leads),
            Afters = string.Join(',', subscription.Afters), Jurisdiction = subscription.JurisdictionKey, By = createdBy, At = Database.Stamp(time.GetUtcNow()),
        });
    }

    public async Task<bool> UnsubscribeAsync(string workspace, string channel, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteAsync("DELETE FROM election_subscriptions WHERE workspace_id = @Workspace AND channel_id = @Channel",
            new { Workspace = workspace, Channel = channel }) == 1;
    }

    public async Task<IReadOnlyList<ElectionSubscription>> SubscriptionsAsync(string workspace, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<(string Channel, string Platform, string Leads, string Afters, string? Jurisdiction)>(
            "SELECT channel_id, platform, leads, afters, jurisdiction_key FROM election_subscriptions WHERE workspace_id = @Workspace ORDER BY channel_id",
            new { Workspace = workspace });
        return rows.Select(r => new ElectionSubscription(r.Channel, r.Platform, Days(r.Leads), Days(r.Afters), r.Jurisdiction)).ToList();
    }

    public async Task<ElectionSubscription?> SubscriptionAsync(string workspace, string channel, CancellationToken ct = default) =>
        (await SubscriptionsAsync(workspace, ct)).FirstOrDefault(s => s.ChannelId == channel);

    private static List<int> Days(string text) => text.Length == 0 ? [] : text.Split(',').Select(int.Parse).ToList();

    /// <summary>
    /// Who an election in <paramref name="jurisdictionKey"/> puts at risk (elected and appointed allies there,
    /// not already marked as having left office), the continuity allies (career, executive, staff) in the same
    /// organizations, and the organizations where nobody would remain.
    /// </summary>
    public async Task<TurnoverRisk> RiskAsync(string workspace, string jurisdictionKey, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        var atRiskRefs = (await connection.QueryAsync<long>("""
            SELECT ref_no FROM allies WHERE workspace_id = @Workspace AND jurisdiction_key = @Key AND level IN ('elected', 'appointed')
              AND left_office_on IS NULL ORDER BY name_key, ref_no LIMIT 200
            """, new { Workspace = workspace, Key = jurisdictionKey })).ToList();
        var atRisk = await allies.GetManyAsync(workspace, atRiskRefs, ct);
        var orgs = atRisk.Select(a => AllyVocabulary.Key(a.Org)).OfType<string>().Distinct().ToList();
        List<long> continuityRefs = orgs.Count == 0 ? [] : (await connection.QueryAsync<long>($"""
            SELECT ref_no FROM allies WHERE workspace_id = @Workspace AND {database.Dialect.In("org_key", "Orgs")} AND level IN ('career', 'executive', 'staff')
            ORDER BY name_key, ref_no LIMIT 200
            """, new { Workspace = workspace, Orgs = orgs.ToArray() })).ToList();
        var continuity = await allies.GetManyAsync(workspace, continuityRefs, ct);
        var covered = continuity.Select(a => AllyVocabulary.Key(a.Org)).ToHashSet();
        var exposed = atRisk.Where(a => a.Org is not null && !covered.Contains(AllyVocabulary.Key(a.Org))).Select(a => a.Org!)
            .DistinctBy(o => AllyVocabulary.Key(o)).ToList();
        return new TurnoverRisk(atRisk, continuity, exposed);
    }

    /// <summary>Marks an ally as having left office (kept, with its history, as a former officeholder) or back in office.</summary>
    public Task<bool> SetLeftOfficeAsync(string workspace, long allyId, DateOnly? leftOn, CancellationToken ct = default) =>
        allies.SetLeftOfficeAsync(workspace, allyId, leftOn, time.GetUtcNow(), ct);
}
