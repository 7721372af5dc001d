using System.Data.Common;
using System.Text;
using CoordBot.Data;
using CoordBot.Workspaces;
using Dapper;

namespace CoordBot.Allies;

/// <summary>Filters of <c>ally list</c>; null means "any".</summary>
public sealed record AllyFilter(
    string? Sector = null, string? Level = null, string? Org = null, string? Jurisdiction = null,
    string? Tag = null, string? Owner = null, DateOnly? StaleBefore = null, string? Was = null);

public sealed record Touchpoint(DateOnly On, string? Via, string Note, string CreatedBy);

/// <summary>An ally's earlier role (docs/features.md, "Role history"): what it was, from and until when, and why it ended ("changed", "left office").</summary>
public sealed record RoleEntry(string? Role, string? Org, string? Level, string? Jurisdiction, DateOnly From, DateOnly Until, string Reason)
{
    /// <summary>"Council member, City of Atlanta (elected, atlanta), 2022-01-03 – 2026-01-05"; with " · left office" when it ended so.</summary>
    public string Text
    {
        get
        {
            var what = string.Join(", ", new[] { Role, Org }.Where(s => !string.IsNullOrEmpty(s)));
            var detail = string.Join(", ", new[] { Level, Jurisdiction }.Where(s => !string.IsNullOrEmpty(s)));
            if (what.Length == 0) what = detail.Length > 0 ? detail : "no role recorded";
            else if (detail.Length > 0) what += $" ({detail})";
            return $"{what}, {Database.Day(From)} – {Database.Day(Until)}" + (Reason == RoleReasons.LeftOffice ? " · left office" : "");
        }
    }
}

/// <summary>Why a role history entry ended.</summary>
public static class RoleReasons
{
    public const string Changed = "changed";
    public const string LeftOffice = "left office";
}

public sealed record Connection(Ally Ally, string? Relation);

/// <summary>Two allies who know each other (<c>ally link</c>), by reference and name.</summary>
public sealed record AllyLink(long RefA, string NameA, long RefB, string NameB, string? Relation);

/// <summary>How a typed reference (A12 or a name prefix) resolved.</summary>
public abstract record Resolution
{
    public sealed record Found(Ally Ally) : Resolution;
    public sealed record NotFound : Resolution;
    public sealed record Ambiguous(IReadOnlyList<Ally> Candidates) : Resolution;
}

/// <summary>The coalition at a glance (<c>ally map</c>).</summary>
public sealed record AllyMap(
    IReadOnlyList<(string Sector, string Level, int Count)> Counts,
    int Total,
    IReadOnlyList<Ally> Stale,
    int StaleCount,
    bool StaleCountExact,
    IReadOnlyList<(string Org, int Count)> Gaps);

/// <summary>Allies, their touchpoints and links. Every statement is scoped by workspace.</summary>
public sealed class AllyStore(Database database, GroupCommit writes)
{
    static AllyStore() => SnakeCaseMap.Register<Row>();

    /// <summary>How far past the requested page <see cref="ListAsync"/> counts.</summary>
    public const int CountAhead = 1000;

    private const string Columns = "id, ref_no, name, org, role, sector, level, jurisdiction, stance, email, phone, tags, owner, notes, last_contact, created_by, created_at, left_office_on, contact_every, due_on, role_since, external_id, term_ends";

    private sealed class Row
    {
        public long Id { get; set; }
        public long RefNo { get; set; }
        public string Name { get; set; } = "";
        public string? Org { get; set; }
        public string? Role { get; set; }
        public string? Sector { get; set; }
        public string? Level { get; set; }
        public string? Jurisdiction { get; set; }
        public string Stance { get; set; } = "unknown";
        public string? Email { get; set; }
        public string? Phone { get; set; }
        public string? Tags { get; set; }
        public string? Owner { get; set; }
        public string? Notes { get; set; }
        public string? LastContact { get; set; }
        public string CreatedBy { get; set; } = "";
        public string CreatedAt { get; set; } = "";
        public string? Relation { get; set; }
        public string? LeftOfficeOn { get; set; }
        public long? ContactEvery { get; set; }
        public string? DueOn { get; set; }
        public string? RoleSince { get; set; }
        public string? ExternalId { get; set; }
        public string? TermEnds { get; set; }

        public Ally ToAlly() => new(Id, RefNo, Name, Org, Role, Sector, Level, Jurisdiction, Stance, Email, Phone,
            AllyVocabulary.ParseTags(Tags), Owner, Notes, LastContact is null ? null : Database.ParseDay(LastContact),
            CreatedBy, Database.ParseStamp(CreatedAt), LeftOfficeOn is null ? null : Database.ParseDay(LeftOfficeOn),
            ContactEvery is null ? null : (int)ContactEvery, DueOn is null ? null : Database.ParseDay(DueOn),
            RoleSince is null ? null : Database.ParseDay(RoleSince), ExternalId, TermEnds is null ? null : Database.ParseDay(TermEnds));
    }

    /// <summary>The parameters of <see cref="InsertSql"/> but the reference number.</summary>
    private static Statement Inserting(Statement insert, string workspace, AllyFields f, string createdBy, DateTimeOffset now) => insert
        .Set("Workspace", workspace)
        .Set("Name", AllyVocabulary.Squash(f.Name)!)
        .Set("NameKey", AllyVocabulary.Key(f.Name)!)
        .Set("Org", Blank(f.Org)).Set("OrgKey", AllyVocabulary.Key(f.Org))
        .Set("Role", Blank(f.Role)).Set("Sector", Blank(f.Sector)).Set("Level", Blank(f.Level))
        .Set("Jurisdiction", Blank(f.Jurisdiction)).Set("JurisdictionKey", AllyVocabulary.JurisdictionKey(f.Jurisdiction))
        .Set("Stance", Blank(f.Stance) ?? "unknown")
        .Set("Email", Blank(f.Email)).Set("Phone", Blank(f.Phone))
        .Set("Tags", TagText(f.Tags)).Set("Owner", Blank(f.Owner)).Set("Notes", Blank(f.Notes))
        .Set("LastContact", f.LastContact is { } d ? Database.Day(d) : null)
        .Set("Every", f.Every is >= 0 ? f.Every : null)
        .Set("ExternalId", Blank(f.ExternalId)).Set("TermEnds", f.TermEnds is { } t ? Database.Day(t) : null)
        .Set("RoleSince", f.RoleSince is { } since ? Database.Day(since) : null)
        .Set("CreatedBy", createdBy).Set("At", Database.Stamp(now));

    /// <summary>
    /// The insert of one ally, its due day (<see cref="AllyDue"/>) computed in the same statement: the new row's values are
    /// a one-row table named <c>allies</c>, so the due day's SQL reads them as it reads a stored row. (An update of the new
    /// row after it cost a third of an add: the row and both due-day indexes written twice; docs/performance.md.)
    /// </summary>
    private static string InsertSql(SqlDialect dialect) => $"""
        INSERT INTO allies (workspace_id, ref_no, name, name_key, org, org_key, role, sector, level, jurisdiction, jurisdiction_key,
                            stance, email, phone, tags, owner, notes, last_contact, contact_every, external_id, term_ends, role_since, created_by, created_at, updated_at, due_on)
        SELECT workspace_id, ref_no, name, name_key, org, org_key, role, sector, level, jurisdiction, jurisdiction_key,
               stance, email, phone, tags, owner, notes, last_contact, contact_every, external_id, term_ends, role_since, created_by, created_at, updated_at, {AllyDue.DueDay(dialect)}
        FROM (SELECT @Workspace AS workspace_id, @RefNo AS ref_no, @Name AS name, @NameKey AS name_key, @Org AS org, @OrgKey AS org_key, @Role AS role,
                     @Sector AS sector, @Level AS level, @Jurisdiction AS jurisdiction, @JurisdictionKey AS jurisdiction_key, @Stance AS stance,
                     @Email AS email, @Phone AS phone, @Tags AS tags, @Owner AS owner, @Notes AS notes, @LastContact AS last_contact,
                     @Every AS contact_every, @ExternalId AS external_id, @TermEnds AS term_ends, @RoleSince AS role_since,
                     @CreatedBy AS created_by, @At AS created_at, @At AS updated_at, CAST(NULL AS TEXT) AS snoozed_until) AS allies
        """;

    private static readonly string InsertSqlite = InsertSql(SqlDialect.Sqlite);
    private static readonly string InsertPostgres = InsertSql(SqlDialect.Postgres);

    /// <summary>Records new allies in one transaction (all or nothing) and returns their reference numbers.</summary>
    public async Task<IReadOnlyList<long>> AddAsync(string workspace, IReadOnlyList<AllyFields> allies, string createdBy, DateTimeOffset now, CancellationToken ct = default)
    {
        using var span = CoordBot.Telemetry.CoordBotTelemetry.StartStore("ally.add");
        // Group commit: adds from concurrent requests share one transaction (and one fsync); each
        // completes only once committed. A batch (CSV import) is one write, all or nothing.
        return await writes.WriteAsync<IReadOnlyList<long>>(async (connection, tx) =>
        {
            var refs = new List<long>(allies.Count);
            foreach (var fields in allies) refs.Add(await InsertAsync(connection, tx, workspace, fields, createdBy, now, ct));
            return refs;
        }, ct);
    }

    /// <summary>
    /// Records one new ally, and returns it with up to five others whose name equals its own (ignoring case and spacing),
    /// the newest first, to warn about duplicates. Both are read in the insert's own transaction, on the group commit's
    /// connection: its pages are in that connection's cache, where a separate read would start on a connection whose cache
    /// every commit empties.
    /// </summary>
    public async Task<(Ally Ally, IReadOnlyList<Ally> Namesakes)> AddOneAsync(string workspace, AllyFields fields, string createdBy, DateTimeOffset now, CancellationToken ct = default)
    {
        using var span = CoordBot.Telemetry.CoordBotTelemetry.StartStore("ally.add");
        return await writes.WriteAsync<(Ally, IReadOnlyList<Ally>)>(async (connection, tx) =>
        {
            var refNo = await InsertAsync(connection, tx, workspace, fields, createdBy, now, ct);
            // ORDER BY id walks the name index backwards (its entries end with the rowid), so the new ally comes first;
            // ORDER BY ref_no would make SQLite walk the (workspace, ref_no) index over the whole workspace.
            List<Ally> rows;
            using (var query = database.Statement(connection,
                       $"SELECT {Columns} FROM allies WHERE workspace_id = @Workspace AND name_key = @Key ORDER BY id DESC LIMIT {MaxNamesakes + 1}", tx)
                   .Set("Workspace", workspace).Set("Key", AllyVocabulary.Key(fields.Name!)))
                rows = await RowsAsync(query, ct);
            // On PostgreSQL another instance may commit namesakes with later ids meanwhile; past the limit, read it by reference.
            if (rows.Find(a => a.RefNo == refNo) is not { } ally)
            {
                using var byRef = database.Statement(connection, GetSql, tx).Set("Workspace", workspace).Set("RefNo", refNo);
                ally = (await RowsAsync(byRef, ct)).Single();
            }
            return (ally, rows.Where(a => a.Id != ally.Id).Take(MaxNamesakes).OrderBy(a => a.RefNo).ToList());
        }, ct);
    }

    private const int MaxNamesakes = 5;

    private async Task<long> InsertAsync(DbConnection connection, DbTransaction tx, string workspace, AllyFields fields, string createdBy, DateTimeOffset now, CancellationToken ct)
    {
        // Prepared once on the group commit's kept connection (Database.Statement), like the savepoints around them.
        long refNo;
        using (var next = database.Statement(connection, WorkspaceStore.NextRefSql, tx).Set("Workspace", workspace).Set("Kind", "ally"))
            refNo = (await next.ScalarInt64Async(ct))!.Value;
        using (var insert = Inserting(database.Statement(connection, database.IsPostgres ? InsertPostgres : InsertSqlite, tx), workspace, fields, createdBy, now)
                   .Set("RefNo", refNo))
            await insert.ExecuteAsync(ct);
        return refNo;
    }

    public async Task<Ally?> GetAsync(string workspace, long refNo, CancellationToken ct = default)
    {
        await using var lease = await database.LeaseAsync(ct);
        using var query = database.Statement(lease.Connection, GetSql).Set("Workspace", workspace).Set("RefNo", refNo);
        return (await RowsAsync(query, ct)) is [var ally] ? ally : null;
    }

    private const string GetSql = $"SELECT {Columns} FROM allies WHERE workspace_id = @Workspace AND ref_no = @RefNo";

    /// <summary>Allies by reference in one query, in the order given (references that no longer exist are skipped).</summary>
    public async Task<IReadOnlyList<Ally>> GetManyAsync(string workspace, IReadOnlyList<long> refs, CancellationToken ct = default)
    {
        if (refs.Count == 0) return [];
        await using var connection = await database.OpenAsync(ct);
        var byRef = (await connection.QueryAsync<Row>($"SELECT {Columns} FROM allies WHERE workspace_id = @Workspace AND {database.Dialect.In("ref_no", "Refs")}",
            new { Workspace = workspace, Refs = refs.ToArray() })).ToDictionary(r => r.RefNo, r => r.ToAlly());
        return refs.Where(byRef.ContainsKey).Select(r => byRef[r]).ToList();
    }

    /// <summary>Allies by their id in an outside source (<c>ocd-person/…</c>), keyed by that id; ids not found are absent.</summary>
    public async Task<IReadOnlyDictionary<string, Ally>> ByExternalIdAsync(string workspace, IReadOnlyList<string> ids, CancellationToken ct = default)
    {
        var found = new Dictionary<string, Ally>(StringComparer.Ordinal);
        if (ids.Count == 0) return found;
        await using var connection = await database.OpenAsync(ct);
        // In chunks: a state's folder holds a few hundred people, and SQLite caps the parameters of one statement.
        foreach (var chunk in ids.Distinct(StringComparer.Ordinal).Chunk(500))
            foreach (var row in await connection.QueryAsync<Row>($"SELECT {Columns} FROM allies WHERE workspace_id = @Workspace AND {database.Dialect.In("external_id", "Ids")}",
                         new { Workspace = workspace, Ids = chunk }))
                found[row.ExternalId!] = row.ToAlly();
        return found;
    }

    /// <summary>
    /// Resolves <c>A12</c> or a case-insensitive name prefix. An exact name beats prefixes; several
    /// matches come back as candidates.
    /// </summary>
    public async Task<Resolution> ResolveAsync(string workspace, string text, CancellationToken ct = default)
    {
        using var span = CoordBot.Telemetry.CoordBotTelemetry.StartStore("ally.resolve");
        if (AllyVocabulary.ParseRef(text) is { } refNo)
            return await GetAsync(workspace, refNo, ct) is { } ally ? new Resolution.Found(ally) : new Resolution.NotFound();
        var key = AllyVocabulary.Key(text);
        if (key is null) return new Resolution.NotFound();
        await using var connection = await database.OpenAsync(ct);
        var rows = (await connection.QueryAsync<Row>($"""
            SELECT {Columns} FROM allies
            WHERE workspace_id = @Workspace AND name_key >= @Key AND name_key < @End
            ORDER BY name_key, ref_no LIMIT 11
            """, new { Workspace = workspace, Key = key, End = key + "\uffff" })).Select(r => r.ToAlly()).ToList();
        var exact = rows.Where(a => AllyVocabulary.Key(a.Name) == key).ToList();
        if (exact.Count == 1) return new Resolution.Found(exact[0]);
        return rows.Count switch
        {
            0 => new Resolution.NotFound(),
            1 => new Resolution.Found(rows[0]),
            _ => new Resolution.Ambiguous(rows),
        };
    }

    /// <summary>
    /// One page of allies matching the filter, least recently contacted first (never contacted first of all), and how many
    /// match. Without filters the total is the workspace's count (<c>ally_counts</c>); with filters it is counted up to 1,000
    /// past the requested page (Total is then a lower bound and Exact is false): counting 100,000 rows for "Page 1 of
    /// 10,000" cost more than the page.
    /// </summary>
    /// <remarks>
    /// Pages are kept in memory under the workspace's version in <c>ally_counts</c>, which the database raises with every
    /// change of the workspace's allies or role history (triggers, migration 24), whoever makes it: this instance, another
    /// one on the same PostgreSQL, or a statement typed by hand. The version is read on every call, before the page, so a
    /// kept page is served only while nothing has changed since it was read; one read after a change is read again.
    /// </remarks>
    public async Task<(IReadOnlyList<Ally> Items, int Total, bool Exact)> ListAsync(string workspace, AllyFilter filter, int page, int pageSize, CancellationToken ct = default)
    {
        using var span = CoordBot.Telemetry.CoordBotTelemetry.StartStore("ally.list");
        // Every statement runs prepared on a kept connection (Database.LeaseAsync): parsing and planning them again for
        // every list cost more than running them.
        await using var lease = await database.LeaseAsync(ct);
        long version, count;
        using (var counts = database.Statement(lease.Connection, CountsSql).Set("Workspace", workspace))
        await using (var reader = await counts.ReaderAsync(ct))
            (count, version) = await reader.ReadAsync(ct) ? (reader.GetInt64(0), reader.GetInt64(1)) : (0, 0);
        var key = new ListKey(workspace, filter, page, pageSize);
        if (_pages.TryGetValue(key, out var kept) && kept.Version == version) return kept.Page;

        var where = new StringBuilder("workspace_id = @Workspace");
        if (filter.Sector is not null) where.Append(" AND sector = @Sector");
        if (filter.Level is not null) where.Append(" AND level = @Level");
        if (filter.Org is not null) where.Append(" AND org_key = @Org");
        if (filter.Jurisdiction is not null) where.Append(" AND jurisdiction_key = @Jurisdiction");
        if (filter.Owner is not null) where.Append(" AND owner = @Owner");
        if (filter.Tag is not null) where.Append(" AND (',' || tags || ',') LIKE @Tag ESCAPE '\\'");
        if (filter.StaleBefore is not null) where.Append(" AND (last_contact IS NULL OR last_contact < @StaleBefore)");
        if (filter.Was is not null)
            where.Append(" AND id IN (SELECT r.ally_id FROM ally_roles r WHERE r.workspace_id = @Workspace AND (r.org_key = @Was OR r.jurisdiction_key = @Was))");
        var countCap = (page - 1) * pageSize + CountAhead;
        (IReadOnlyList<Ally>, int, bool) result;
        using (var query = Filtered(database.Statement(lease.Connection, $"SELECT {Columns} FROM allies WHERE {where} ORDER BY last_contact NULLS FIRST, id LIMIT @Limit OFFSET @Offset"),
                   workspace, filter).Set("Limit", pageSize).Set("Offset", (page - 1) * pageSize))
        {
            var items = await RowsAsync(query, ct);
            if (filter == NoFilter)
            {
                result = (items, (int)Math.Min(count, int.MaxValue), true);
            }
            else
            {
                using var capped = Filtered(database.Statement(lease.Connection, $"SELECT COUNT(*) FROM (SELECT 1 FROM allies WHERE {where} LIMIT @CountCap) AS capped"),
                    workspace, filter).Set("CountCap", countCap);
                var total = (int)(await capped.ScalarInt64Async(ct) ?? 0);
                result = (items, total, total < countCap);
            }
        }
        if (_pages.Count >= MaxKeptPages) _pages.Clear();
        _pages[key] = (version, result);
        return result;
    }

    private const string CountsSql = "SELECT allies, version FROM ally_counts WHERE workspace_id = @Workspace";

    private static readonly AllyFilter NoFilter = new();

    private readonly record struct ListKey(string Workspace, AllyFilter Filter, int Page, int PageSize);

    /// <summary>Pages <see cref="ListAsync"/> read, under the version they were read at (all are dropped when this many are kept).</summary>
    private const int MaxKeptPages = 1000;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<ListKey, (long Version, (IReadOnlyList<Ally> Items, int Total, bool Exact) Page)> _pages = new();

    /// <summary>The parameters of <see cref="ListAsync"/>'s filter, those it uses only (PostgreSQL refuses a parameter it cannot type).</summary>
    private static Statement Filtered(Statement statement, string workspace, AllyFilter filter)
    {
        statement.Set("Workspace", workspace);
        if (filter.Sector is not null) statement.Set("Sector", filter.Sector);
        if (filter.Level is not null) statement.Set("Level", filter.Level);
        if (filter.Org is not null) statement.Set("Org", AllyVocabulary.Key(filter.Org));
        if (filter.Jurisdiction is not null) statement.Set("Jurisdiction", AllyVocabulary.JurisdictionKey(filter.Jurisdiction));
        if (filter.Owner is not null) statement.Set("Owner", filter.Owner);
        if (filter.Tag is not null) statement.Set("Tag", "%," + EscapeLike(filter.Tag.ToLowerInvariant()) + ",%");
        if (filter.StaleBefore is { } d) statement.Set("StaleBefore", Database.Day(d));
        if (filter.Was is not null) statement.Set("Was", AllyVocabulary.Key(filter.Was));
        return statement;
    }

    /// <summary>The allies a statement returns (its columns are <see cref="Columns"/>), in order.</summary>
    private static async Task<List<Ally>> RowsAsync(Statement statement, CancellationToken ct)
    {
        await using var reader = await statement.ReaderAsync(ct);
        var items = new List<Ally>();
        while (await reader.ReadAsync(ct)) items.Add(Read(reader));
        return items;
    }

    /// <summary>
    /// One row of <see cref="Columns"/> read by position with typed getters, as <see cref="Row.ToAlly"/> maps it (a null
    /// where the schema forbids one reads as Dapper left it: the property's default).
    /// </summary>
    private static Ally Read(DbDataReader r)
    {
        string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        DateOnly? Day(int i) => r.IsDBNull(i) ? null : Database.ParseDay(r.GetString(i));
        return new Ally(r.GetInt64(0), r.GetInt64(1), Text(2) ?? "", Text(3), Text(4), Text(5), Text(6), Text(7), Text(8) ?? "unknown",
            Text(9), Text(10), AllyVocabulary.ParseTags(Text(11)), Text(12), Text(13), Day(14), Text(15) ?? "", Database.ParseStamp(Text(16) ?? ""),
            Day(17), r.IsDBNull(18) ? null : (int)r.GetInt64(18), Day(19), Day(20), Text(21), Day(22));
    }

    /// <summary>Full-text search over names, orgs, roles, tags, notes and jurisdictions; every word must match as a prefix.</summary>
    public async Task<IReadOnlyList<Ally>> FindAsync(string workspace, IEnumerable<string> words, int page, int pageSize, CancellationToken ct = default)
    {
        using var span = CoordBot.Telemetry.CoordBotTelemetry.StartStore("ally.find");
        var query = database.Dialect.FindQuery(words);
        if (query.Length == 0) return [];
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<Row>(database.Dialect.AllyFindSql,
            new { Workspace = workspace, Query = query, Limit = pageSize + 1, Offset = (page - 1) * pageSize });
        return rows.Select(r => r.ToAlly()).ToList();
    }

    /// <summary>
    /// Applies changed fields (only those given; an empty value clears an optional field). A change of role, organization,
    /// level or jurisdiction keeps the previous ones as a role history entry ending <paramref name="today"/> (default: the UTC day of <paramref name="now"/>).
    /// </summary>
    public async Task UpdateAsync(string workspace, long id, AllyFields f, DateTimeOffset now, CancellationToken ct = default, DateOnly? today = null)
    {
        var sets = new List<string>();
        var p = new DynamicParameters(new { Workspace = workspace, Id = id, At = Database.Stamp(now) });
        void Set(string column, string? value, string? keyColumn = null, Func<string?, string?>? key = null)
        {
            if (value is null) return;
            sets.Add($"{column} = @{column}");
            p.Add(column, Blank(value));
            if (keyColumn is null) return;
            sets.Add($"{keyColumn} = @{keyColumn}");
            p.Add(keyColumn, (key ?? AllyVocabulary.Key)(value));
        }
        Set("name", AllyVocabulary.Squash(f.Name) ?? f.Name, "name_key");
        Set("org", f.Org, "org_key");
        Set("role", f.Role);
        Set("sector", f.Sector);
        Set("level", f.Level);
        Set("jurisdiction", f.Jurisdiction, "jurisdiction_key", AllyVocabulary.JurisdictionKey);
        if (f.Stance is not null) { sets.Add("stance = @stance"); p.Add("stance", Blank(f.Stance) ?? "unknown"); }
        Set("email", f.Email);
        Set("phone", f.Phone);
        if (f.Tags is not null) { sets.Add("tags = @tags"); p.Add("tags", TagText(f.Tags)); }
        Set("owner", f.Owner);
        Set("notes", f.Notes);
        if (f.Every is { } every) { sets.Add("contact_every = @contact_every"); p.Add("contact_every", every < 0 ? null : every); }
        if (f.TermEnds is { } termEnds) { sets.Add("term_ends = @term_ends"); p.Add("term_ends", Database.Day(termEnds)); }
        if (sets.Count == 0) return;
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Only an edit that names a role field can end a role: the others need not read the ally first.
        var before = f.Role is null && f.Org is null && f.Level is null && f.Jurisdiction is null ? null
            : (await connection.QuerySingleOrDefaultAsync<Row>($"SELECT {Columns} FROM allies WHERE workspace_id = @Workspace AND id = @Id", p, tx))?.ToAlly();
        var day = today ?? DateOnly.FromDateTime(now.UtcDateTime);
        if (before is not null && RoleChanged(before, f))
        {
            await InsertRoleAsync(connection, tx, workspace, before, day, RoleReasons.Changed, now);
            sets.Add("role_since = @role_since");
            p.Add("role_since", Database.Day(day));
            // The end of the earlier term does not carry over to a new role.
            if (f.TermEnds is null) sets.Add("term_ends = NULL");
        }
        await connection.ExecuteAsync($"UPDATE allies SET {string.Join(", ", sets)}, updated_at = @At WHERE workspace_id = @Workspace AND id = @Id", p, tx);
        await connection.ExecuteAsync(AllyDue.Recompute(database.Dialect, "workspace_id = @Workspace AND id = @Id"), p, tx);
        await tx.CommitAsync(ct);
    }

    /// <summary>True when the fields change the ally's role, organization, level or jurisdiction (and it had one to keep).</summary>
    private static bool RoleChanged(Ally a, AllyFields f)
    {
        static bool Differs(string? given, string? current) => given is not null && !string.Equals(Blank(given), current, StringComparison.Ordinal);
        var had = a.Role is not null || a.Org is not null || a.Level is not null || a.Jurisdiction is not null;
        return had && (Differs(f.Role, a.Role) || Differs(f.Org, a.Org) || Differs(f.Level, a.Level) || Differs(f.Jurisdiction, a.Jurisdiction));
    }

    private static Task InsertRoleAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction tx, string workspace, Ally a, DateOnly until,
        string reason, DateTimeOffset now) =>
        connection.ExecuteAsync("""
            INSERT INTO ally_roles (workspace_id, ally_id, role, org, org_key, level, jurisdiction, jurisdiction_key, from_on, until_on, reason, created_at)
            VALUES (@Workspace, @Ally, @Role, @Org, @OrgKey, @Level, @Jurisdiction, @JurisdictionKey, @From, @Until, @Reason, @At)
            """, new
        {
            Workspace = workspace, Ally = a.Id, a.Role, a.Org, OrgKey = AllyVocabulary.Key(a.Org), a.Level, a.Jurisdiction,
            JurisdictionKey = AllyVocabulary.JurisdictionKey(a.Jurisdiction),
            From = Database.Day(a.CurrentSince < until ? a.CurrentSince : until), Until = Database.Day(until), Reason = reason, At = Database.Stamp(now),
        }, tx);

    /// <summary>
    /// Marks an ally as having left office on <paramref name="leftOn"/> (its current role becomes a "left office" history entry; the
    /// ally is kept as a former officeholder), or, with null, back in office (that entry is removed). False when the ally is gone.
    /// </summary>
    public async Task<bool> SetLeftOfficeAsync(string workspace, long allyId, DateOnly? leftOn, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var p = new { Workspace = workspace, Id = allyId, On = leftOn is { } d ? Database.Day(d) : null, Reason = RoleReasons.LeftOffice };
        var ally = (await connection.QuerySingleOrDefaultAsync<Row>($"SELECT {Columns} FROM allies WHERE workspace_id = @Workspace AND id = @Id", p, tx))?.ToAlly();
        if (ally is null) return false;
        if (leftOn is { } left && ally.LeftOffice is null)
            await InsertRoleAsync(connection, tx, workspace, ally, left, RoleReasons.LeftOffice, now);
        else if (leftOn is null && ally.LeftOffice is { } was)
            await connection.ExecuteAsync("DELETE FROM ally_roles WHERE workspace_id = @Workspace AND ally_id = @Id AND reason = @Reason AND until_on = @Was",
                new { p.Workspace, p.Id, p.Reason, Was = Database.Day(was) }, tx);
        await connection.ExecuteAsync("UPDATE allies SET left_office_on = @On WHERE workspace_id = @Workspace AND id = @Id", p, tx);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>An ally's earlier roles, the latest first.</summary>
    public async Task<IReadOnlyList<RoleEntry>> RolesAsync(string workspace, long allyId, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QueryAsync<RoleRow>($"SELECT {RoleColumns} FROM ally_roles WHERE workspace_id = @Workspace AND ally_id = @Ally ORDER BY until_on DESC, id DESC",
            new { Workspace = workspace, Ally = allyId })).Select(r => r.ToEntry()).ToList();
    }

    /// <summary>Every ally's earlier roles in the workspace, by ally id, the latest first (CSV export).</summary>
    public async Task<IReadOnlyDictionary<long, List<RoleEntry>>> AllRolesAsync(string workspace, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QueryAsync<RoleRow>($"SELECT ally_id AS AllyId, {RoleColumns} FROM ally_roles WHERE workspace_id = @Workspace ORDER BY ally_id, until_on DESC, id DESC",
                new { Workspace = workspace }))
            .GroupBy(r => r.AllyId).ToDictionary(g => g.Key, g => g.Select(r => r.ToEntry()).ToList());
    }

    private const string RoleColumns = "role AS Role, org AS Org, level AS Level, jurisdiction AS Jurisdiction, from_on AS FromOn, until_on AS UntilOn, reason AS Reason";

    private sealed class RoleRow
    {
        public long AllyId { get; set; }
        public string? Role { get; set; }
        public string? Org { get; set; }
        public string? Level { get; set; }
        public string? Jurisdiction { get; set; }
        public string FromOn { get; set; } = "";
        public string UntilOn { get; set; } = "";
        public string Reason { get; set; } = "";
        public RoleEntry ToEntry() => new(Role, Org, Level, Jurisdiction, Database.ParseDay(FromOn), Database.ParseDay(UntilOn), Reason);
    }

    /// <summary>Records a touchpoint and moves the ally's last contact forward (never back).</summary>
    public async Task<DateOnly> LogAsync(string workspace, long allyId, DateOnly on, string? via, string note, string by, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var p = new { Workspace = workspace, Ally = allyId, On = Database.Day(on), Via = via, Note = note, By = by, At = Database.Stamp(now) };
        await connection.ExecuteAsync("""
            INSERT INTO touchpoints (workspace_id, ally_id, on_date, via, note, created_by, created_at)
            VALUES (@Workspace, @Ally, @On, @Via, @Note, @By, @At);
            UPDATE allies SET last_contact = @On, updated_at = @At
            WHERE workspace_id = @Workspace AND id = @Ally AND (last_contact IS NULL OR last_contact < @On);
            UPDATE allies SET snoozed_until = NULL WHERE workspace_id = @Workspace AND id = @Ally;
            """, p, tx);
        await connection.ExecuteAsync(AllyDue.Recompute(database.Dialect, "workspace_id = @Workspace AND id = @Ally"), p, tx);
        var last = await connection.ExecuteScalarAsync<string>("SELECT last_contact FROM allies WHERE workspace_id = @Workspace AND id = @Ally", p, tx);
        await tx.CommitAsync(ct);
        return Database.ParseDay(last!);
    }

    /// <summary>Records that two allies know each other; a second link between the same pair updates the relation. Returns false when it existed.</summary>
    /// <summary>
    /// Records that two allies know each other; true when the link is new. The insert itself decides (one statement),
    /// so of two people linking the same pair at once exactly one is told it is new; a relation given later updates it.
    /// </summary>
    public async Task<bool> LinkAsync(string workspace, long a, long b, string? relation, string by, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        var p = new { Workspace = workspace, A = Math.Min(a, b), B = Math.Max(a, b), Relation = relation, By = by, At = Database.Stamp(now) };
        var inserted = await connection.ExecuteAsync("""
            INSERT INTO ally_links (workspace_id, ally_a, ally_b, relation, created_by, created_at)
            VALUES (@Workspace, @A, @B, @Relation, @By, @At)
            ON CONFLICT (workspace_id, ally_a, ally_b) DO NOTHING
            """, p) == 1;
        if (!inserted && relation is not null)
            await connection.ExecuteAsync(
                "UPDATE ally_links SET relation = @Relation WHERE workspace_id = @Workspace AND ally_a = @A AND ally_b = @B", p);
        return inserted;
    }

    public async Task<IReadOnlyList<Connection>> ConnectionsAsync(string workspace, long allyId, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<Row>($"""
            SELECT {Prefixed("a")}, l.relation FROM ally_links l
            JOIN allies a ON a.workspace_id = l.workspace_id AND a.id = CASE WHEN l.ally_a = @Ally THEN l.ally_b ELSE l.ally_a END
            WHERE l.workspace_id = @Workspace AND (l.ally_a = @Ally OR l.ally_b = @Ally)
            ORDER BY a.name_key
            """, new { Workspace = workspace, Ally = allyId });
        return rows.Select(r => new Connection(r.ToAlly(), r.Relation)).ToList();
    }

    /// <summary>Who knows whom across the workspace: up to <paramref name="limit"/> links, by the first ally's name then the second's.</summary>
    public async Task<IReadOnlyList<AllyLink>> LinksAsync(string workspace, int limit, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QueryAsync<AllyLink>("""
            SELECT a.ref_no AS RefA, a.name AS NameA, b.ref_no AS RefB, b.name AS NameB, l.relation AS Relation FROM ally_links l
            JOIN allies a ON a.workspace_id = l.workspace_id AND a.id = l.ally_a
            JOIN allies b ON b.workspace_id = l.workspace_id AND b.id = l.ally_b
            WHERE l.workspace_id = @Workspace
            ORDER BY a.name_key, a.ref_no, b.name_key, b.ref_no LIMIT @Limit
            """, new { Workspace = workspace, Limit = limit })).AsList();
    }

    public async Task<IReadOnlyList<Touchpoint>> TouchpointsAsync(string workspace, long allyId, int limit, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<(string OnDate, string? Via, string Note, string CreatedBy)>("""
            SELECT on_date, via, note, created_by FROM touchpoints
            WHERE workspace_id = @Workspace AND ally_id = @Ally ORDER BY on_date DESC, id DESC LIMIT @Limit
            """, new { Workspace = workspace, Ally = allyId, Limit = limit });
        return rows.Select(r => new Touchpoint(Database.ParseDay(r.OnDate), r.Via, r.Note, r.CreatedBy)).ToList();
    }

    /// <summary>How many touchpoints and links a removal would delete with the ally.</summary>
    public async Task<(int Touchpoints, int Links)> DependentsAsync(string workspace, long allyId, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        var p = new { Workspace = workspace, Ally = allyId };
        var touchpoints = await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM touchpoints WHERE workspace_id = @Workspace AND ally_id = @Ally", p);
        var links = await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM ally_links WHERE workspace_id = @Workspace AND (ally_a = @Ally OR ally_b = @Ally)", p);
        return (touchpoints, links);
    }

    /// <summary>Deletes an ally with its touchpoints and links. Returns false when it was already gone.</summary>
    public async Task<bool> RemoveAsync(string workspace, long allyId, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteAsync("DELETE FROM allies WHERE workspace_id = @Workspace AND id = @Ally",
            new { Workspace = workspace, Ally = allyId }) > 0;
    }

    public async Task<AllyMap> MapAsync(string workspace, string? jurisdiction, DateOnly staleBefore, CancellationToken ct = default)
    {
        var scope = "workspace_id = @Workspace" + (jurisdiction is null ? "" : " AND jurisdiction_key = @Jurisdiction");
        var p = new { Workspace = workspace, Jurisdiction = AllyVocabulary.JurisdictionKey(jurisdiction), Stale = Database.Day(staleBefore) };
        await using var connection = await database.OpenAsync(ct);
        // Plain columns in GROUP BY let SQLite read the (sector, level) index in order; nulls become "unset" here.
        var counts = (await connection.QueryAsync<(string? Sector, string? Level, int Count)>(
                $"SELECT sector, level, COUNT(*) FROM allies WHERE {scope} GROUP BY sector, level", p))
            .Select(c => (c.Sector ?? "unset", c.Level ?? "unset", c.Count)).ToList();
        var staleWhere = $"{scope} AND (last_contact IS NULL OR last_contact < @Stale)";
        var staleCount = await connection.ExecuteScalarAsync<int>($"SELECT COUNT(*) FROM (SELECT 1 FROM allies WHERE {staleWhere} LIMIT {CountAhead}) AS capped", p);
        var stale = await connection.QueryAsync<Row>($"SELECT {Columns} FROM allies WHERE {staleWhere} ORDER BY last_contact NULLS FIRST, id LIMIT 10", p);
        var gaps = (await connection.QueryAsync<(string Org, int Count)>($"""
            SELECT MIN(org), COUNT(*) FROM allies
            WHERE {scope} AND sector = 'government' AND org_key IS NOT NULL
            GROUP BY org_key
            HAVING SUM(CASE WHEN level IN ('elected', 'appointed') THEN 0 ELSE 1 END) = 0
            ORDER BY MIN(org)
            """, p)).AsList();
        return new AllyMap(counts, counts.Sum(c => c.Count), stale.Select(r => r.ToAlly()).ToList(), staleCount, staleCount < CountAhead, gaps);
    }

    /// <summary>
    /// One page of the allies due for contact on <paramref name="today"/>: past their due day or within
    /// <see cref="Cadence.DueWithinDays"/> days of it, and not snoozed past today; most overdue first, optionally only those one
    /// person keeps (<see cref="Ally.Keeper"/>); counted like <see cref="ListAsync"/>.
    /// </summary>
    public async Task<(IReadOnlyList<Ally> Items, int Total, bool Exact)> DueAsync(string workspace, string? keeper, DateOnly today, int page, int pageSize,
        CancellationToken ct = default)
    {
        using var span = CoordBot.Telemetry.CoordBotTelemetry.StartStore("ally.due");
        var where = "workspace_id = @Workspace AND due_on <= @Horizon AND (snoozed_until IS NULL OR snoozed_until <= @Today)" +
                    (keeper is null ? "" : " AND COALESCE(owner, created_by) = @Keeper");
        var p = new
        {
            Workspace = workspace, Horizon = Database.Day(today.AddDays(Cadence.DueWithinDays)), Today = Database.Day(today), Keeper = keeper,
            Limit = pageSize, Offset = (page - 1) * pageSize, CountCap = (page - 1) * pageSize + CountAhead,
        };
        await using var connection = await database.OpenAsync(ct);
        var total = await connection.ExecuteScalarAsync<int>($"SELECT COUNT(*) FROM (SELECT 1 FROM allies WHERE {where} LIMIT @CountCap) AS capped", p);
        var rows = await connection.QueryAsync<Row>($"SELECT {Columns} FROM allies WHERE {where} ORDER BY due_on, id LIMIT @Limit OFFSET @Offset", p);
        return (rows.Select(r => r.ToAlly()).ToList(), total, total < p.CountCap);
    }

    /// <summary>Holds an ally's due day back until <paramref name="until"/> (a touchpoint ends the snooze); false when the ally is gone.</summary>
    public async Task<bool> SnoozeAsync(string workspace, long allyId, DateOnly until, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var p = new { Workspace = workspace, Id = allyId, Until = Database.Day(until), At = Database.Stamp(now) };
        var found = await connection.ExecuteAsync(
            "UPDATE allies SET snoozed_until = @Until, updated_at = @At WHERE workspace_id = @Workspace AND id = @Id", p, tx) > 0;
        await connection.ExecuteAsync(AllyDue.Recompute(database.Dialect, "workspace_id = @Workspace AND id = @Id"), p, tx);
        await tx.CommitAsync(ct);
        return found;
    }

    /// <summary>The people who keep at least one ally with a due day (<see cref="Ally.Keeper"/>), from the keeper index.</summary>
    public async Task<IReadOnlyList<string>> KeepersAsync(string workspace, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QueryAsync<string>(
            "SELECT DISTINCT COALESCE(owner, created_by) FROM allies WHERE workspace_id = @Workspace AND due_on IS NOT NULL",
            new { Workspace = workspace })).AsList();
    }

    /// <summary>Who in the workspace turned the weekly relationship nudge off.</summary>
    public async Task<IReadOnlySet<string>> NudgesOffAsync(string workspace, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QueryAsync<string>("SELECT user_id FROM nudge_optouts WHERE workspace_id = @Workspace", new { Workspace = workspace }))
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Turns a person's weekly relationship nudge on or off; false when it already was.</summary>
    public async Task<bool> SetNudgesAsync(string workspace, string user, bool on, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        var p = new { Workspace = workspace, User = user, At = Database.Stamp(now) };
        return on
            ? await connection.ExecuteAsync("DELETE FROM nudge_optouts WHERE workspace_id = @Workspace AND user_id = @User", p) > 0
            : await connection.ExecuteAsync("""
                INSERT INTO nudge_optouts (workspace_id, user_id, created_at) VALUES (@Workspace, @User, @At)
                ON CONFLICT (workspace_id, user_id) DO NOTHING
                """, p) > 0;
    }

    /// <summary>The workspace's contact intervals by level, where an admin changed them from <see cref="Cadence"/>'s defaults.</summary>
    public async Task<IReadOnlyDictionary<string, int>> CadenceAsync(string workspace, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QueryAsync<(string Level, long Days)>("SELECT level, days FROM workspace_cadences WHERE workspace_id = @Workspace",
            new { Workspace = workspace })).ToDictionary(r => r.Level, r => (int)r.Days, StringComparer.Ordinal);
    }

    /// <summary>Sets some levels' intervals and moves the due day of every ally at those levels, in one transaction; returns how many allies moved.</summary>
    public async Task<int> SetCadenceAsync(string workspace, IReadOnlyDictionary<string, int> days, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        foreach (var (level, value) in days)
            await connection.ExecuteAsync("""
                INSERT INTO workspace_cadences (workspace_id, level, days) VALUES (@Workspace, @Level, @Days)
                ON CONFLICT (workspace_id, level) DO UPDATE SET days = excluded.days
                """, new { Workspace = workspace, Level = level, Days = value }, tx);
        var moved = await connection.ExecuteAsync(AllyDue.Recompute(database.Dialect,
                $"workspace_id = @Workspace AND contact_every IS NULL AND {database.Dialect.In("COALESCE(level, 'other')", "Levels")}"),
            new { Workspace = workspace, Levels = days.Keys.ToArray() }, tx);
        await tx.CommitAsync(ct);
        return moved;
    }

    /// <summary>Every ally of the workspace, by reference, streamed (CSV export).</summary>
    public async IAsyncEnumerable<Ally> AllAsync(string workspace, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var reader = await connection.ExecuteReaderAsync(
            $"SELECT {Columns} FROM allies WHERE workspace_id = @Workspace ORDER BY ref_no", new { Workspace = workspace });
        var parse = reader.GetRowParser<Row>();
        while (await reader.ReadAsync(ct)) yield return parse(reader).ToAlly();
    }

    private static string Prefixed(string alias) => string.Join(", ", Columns.Split(", ").Select(c => $"{alias}.{c}"));
    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
    private static string? TagText(string? tags) => AllyVocabulary.ParseTags(tags) is { Count: > 0 } t ? string.Join(',', t) : null;
    private static string EscapeLike(string s) => s.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");
}
