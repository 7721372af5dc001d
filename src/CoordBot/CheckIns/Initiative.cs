using System.Globalization;
using CoordBot.Allies;
using CoordBot.Data;
using CoordBot.Workspaces;
using Dapper;

namespace CoordBot.CheckIns;

/// <summary>
/// A shared initiative with a measurable aim: its metrics (the first is the aim's), baseline, target
/// and date, the weekly check-in moment in its own time zone, its members and the channel that gets
/// the digest.
/// </summary>
public sealed record Initiative(
    long Id, long RefNo, string Name, IReadOnlyList<Metric> Metrics, double? Baseline, double? Target, DateOnly? TargetDate,
    DayOfWeek Weekday, TimeOnly At, string TimeZoneId, int NudgeAfterHours, RunChartRules Rules, string ChannelId, string Platform,
    bool Paused, string CreatedBy, IReadOnlyList<string> Members, DateTimeOffset? CreatedAt = null, ZeroGoal? Goal = null)
{
    public string Ref => $"I{RefNo}";
    public string Label => $"{Name} ({Ref})";
}

/// <summary>Initiatives and their members, scoped by workspace.</summary>
public sealed class InitiativeStore(Database database, TimeProvider time)
{
    static InitiativeStore() { SnakeCaseMap.Register<Row>(); }

    private sealed class Row
    {
        public long Id { get; set; }
        public long RefNo { get; set; }
        public string Name { get; set; } = "";
        public string Metrics { get; set; } = "";
        public double? Baseline { get; set; }
        public double? Target { get; set; }
        public string? TargetDate { get; set; }
        public long Weekday { get; set; }
        public string AtTime { get; set; } = "";
        public string TimeZone { get; set; } = "";
        public long NudgeAfterHours { get; set; }
        public string Rules { get; set; } = "";
        public string ChannelId { get; set; } = "";
        public string Platform { get; set; } = "";
        public long Paused { get; set; }
        public string CreatedBy { get; set; } = "";
        public string CreatedAt { get; set; } = "";
        public string? Population { get; set; }
        public double? PitCount { get; set; }
        public double? FzBenchmark { get; set; }
    }

    private const string Columns = "id AS Id, ref_no AS RefNo, name AS Name, metrics AS Metrics, baseline AS Baseline, target AS Target, " +
        "target_date AS TargetDate, weekday AS Weekday, at_time AS AtTime, time_zone AS TimeZone, nudge_after_hours AS NudgeAfterHours, " +
        "rules AS Rules, channel_id AS ChannelId, platform AS Platform, paused AS Paused, created_by AS CreatedBy, created_at AS CreatedAt, " +
        "population AS Population, pit_count AS PitCount, fz_benchmark AS FzBenchmark";

    public async Task<Initiative> AddAsync(string workspace, Initiative initiative, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var refNo = await WorkspaceStore.NextRefAsync(connection, tx, workspace, "initiative");
        var now = time.GetUtcNow();
        var id = await connection.ExecuteScalarAsync<long>("""
            INSERT INTO initiatives (workspace_id, ref_no, name, name_key, metrics, baseline, target, target_date, weekday, at_time, time_zone,
                                     nudge_after_hours, rules, channel_id, platform, paused, created_by, created_at, population, pit_count, fz_benchmark)
            VALUES (@Workspace, @RefNo, @Name, @NameKey, @Metrics, @Baseline, @Target, @TargetDate, @Weekday, @At, @Zone,
                    @Nudge, @Rules, @Channel, @Platform, 0, @CreatedBy, @Now, @Population, @Pit, @FzBenchmark)
            RETURNING id
            """, new
        {
            Workspace = workspace, RefNo = refNo, initiative.Name, NameKey = AllyVocabulary.Key(initiative.Name),
            Metrics = string.Join('\n', initiative.Metrics.Select(m => m.Spec)), initiative.Baseline, initiative.Target,
            TargetDate = initiative.TargetDate is { } d ? Database.Day(d) : null, Weekday = (int)initiative.Weekday,
            At = initiative.At.ToString("HH:mm", CultureInfo.InvariantCulture), Zone = initiative.TimeZoneId, Nudge = initiative.NudgeAfterHours,
            Rules = initiative.Rules == RunChartRules.Anhoej ? "anhoej" : "ppm", Channel = initiative.ChannelId, initiative.Platform,
            initiative.CreatedBy, Now = Database.Stamp(now),
            initiative.Goal?.Population, initiative.Goal?.Pit, FzBenchmark = initiative.Goal?.Benchmark,
        }, tx);
        foreach (var member in initiative.Members)
            await connection.ExecuteAsync("INSERT INTO initiative_members (workspace_id, initiative_id, user_id) VALUES (@Workspace, @Id, @User)",
                new { Workspace = workspace, Id = id, User = member }, tx);
        await tx.CommitAsync(ct);
        return initiative with { Id = id, RefNo = refNo, CreatedAt = now };
    }

    /// <summary>True when the workspace already has an initiative of that name (names are unique, ignoring case).</summary>
    public async Task<bool> NameTakenAsync(string workspace, string name, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM initiatives WHERE workspace_id = @Workspace AND name_key = @Key",
            new { Workspace = workspace, Key = AllyVocabulary.Key(name) }) > 0;
    }

    public async Task<IReadOnlyList<Initiative>> ListAsync(string workspace, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = (await connection.QueryAsync<Row>($"SELECT {Columns} FROM initiatives WHERE workspace_id = @Workspace ORDER BY ref_no",
            new { Workspace = workspace })).ToList();
        var members = (await connection.QueryAsync<(long InitiativeId, string UserId)>(
            "SELECT initiative_id, user_id FROM initiative_members WHERE workspace_id = @Workspace ORDER BY user_id", new { Workspace = workspace }))
            .ToLookup(m => m.InitiativeId, m => m.UserId);
        return rows.Select(r => ToInitiative(r, members[r.Id].ToList())).ToList();
    }

    /// <summary>The initiative with that id in the workspace, or null (removed, or another workspace's).</summary>
    public async Task<Initiative?> GetAsync(string workspace, long id, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<Row>($"SELECT {Columns} FROM initiatives WHERE workspace_id = @Workspace AND id = @Id",
            new { Workspace = workspace, Id = id });
        if (row is null) return null;
        var members = await connection.QueryAsync<string>(
            "SELECT user_id FROM initiative_members WHERE workspace_id = @Workspace AND initiative_id = @Id ORDER BY user_id", new { Workspace = workspace, Id = id });
        return ToInitiative(row, members.ToList());
    }

    /// <summary>By reference (I3) or by name, ignoring case.</summary>
    public async Task<Initiative?> FindAsync(string workspace, string text, CancellationToken ct = default)
    {
        var key = AllyVocabulary.Key(text);
        return (await ListAsync(workspace, ct)).FirstOrDefault(i =>
            string.Equals(i.Ref, text.Trim(), StringComparison.OrdinalIgnoreCase) || AllyVocabulary.Key(i.Name) == key);
    }

    public async Task SetPausedAsync(string workspace, long id, bool paused, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync("UPDATE initiatives SET paused = @Paused WHERE workspace_id = @Workspace AND id = @Id",
            new { Workspace = workspace, Id = id, Paused = paused ? 1 : 0 });
    }

    public async Task RemoveAsync(string workspace, long id, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync("DELETE FROM initiative_members WHERE workspace_id = @Workspace AND initiative_id = @Id", new { Workspace = workspace, Id = id }, tx);
        await connection.ExecuteAsync("DELETE FROM initiatives WHERE workspace_id = @Workspace AND id = @Id", new { Workspace = workspace, Id = id }, tx);
        await tx.CommitAsync(ct);
    }

    private static Initiative ToInitiative(Row r, IReadOnlyList<string> members) => new(
        r.Id, r.RefNo, r.Name, r.Metrics.Split('\n').Select(spec => Metric.Parse(spec).Metric!).ToList(), r.Baseline, r.Target,
        r.TargetDate is null ? null : Database.ParseDay(r.TargetDate), (DayOfWeek)(int)r.Weekday, TimeOnly.ParseExact(r.AtTime, "HH:mm", CultureInfo.InvariantCulture),
        r.TimeZone, (int)r.NudgeAfterHours, r.Rules == "anhoej" ? RunChartRules.Anhoej : RunChartRules.PerlaProvostMurray, r.ChannelId,
        r.Platform, r.Paused == 1, r.CreatedBy, members, Database.ParseStamp(r.CreatedAt),
        r.Population is null ? null : new ZeroGoal(r.Population, r.PitCount, r.FzBenchmark));
}
