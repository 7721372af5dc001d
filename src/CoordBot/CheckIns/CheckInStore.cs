using System.Text.Json;
using CoordBot.Data;
using Dapper;

namespace CoordBot.CheckIns;

/// <summary>One member's check-in for one ISO week: metric values (by metric name) and the four answers.</summary>
public sealed record CheckIn(string Week, string Member, IReadOnlyDictionary<string, double> Values,
    string? Wins, string? Barriers, string? NextSteps, string? HelpNeeded, DateTimeOffset SubmittedAt);

/// <summary>Check-ins by initiative and week; a member's second submission for a week replaces the first.</summary>
public sealed class CheckInStore(Database database, TimeProvider time)
{
    static CheckInStore() { SnakeCaseMap.Register<Row>(); }

    private sealed class Row
    {
        public string Week { get; set; } = "";
        public string Member { get; set; } = "";
        public string MetricValues { get; set; } = "{}";
        public string? Wins { get; set; }
        public string? Barriers { get; set; }
        public string? NextSteps { get; set; }
        public string? HelpNeeded { get; set; }
        public string SubmittedAt { get; set; } = "";
    }

    private const string Upsert = """
        INSERT INTO checkins (workspace_id, initiative_id, week, member, metric_values, wins, barriers, next_steps, help_needed, submitted_at)
        VALUES (@Workspace, @Id, @Week, @Member, @Values, @Wins, @Barriers, @NextSteps, @HelpNeeded, @At)
        ON CONFLICT (workspace_id, initiative_id, week, member) DO UPDATE SET metric_values = excluded.metric_values, wins = excluded.wins,
            barriers = excluded.barriers, next_steps = excluded.next_steps, help_needed = excluded.help_needed, submitted_at = excluded.submitted_at
        """;

    private static object Args(string workspace, long initiativeId, CheckIn c) => new
    {
        Workspace = workspace, Id = initiativeId, c.Week, c.Member, Values = JsonSerializer.Serialize(c.Values),
        c.Wins, c.Barriers, c.NextSteps, c.HelpNeeded, At = Database.Stamp(c.SubmittedAt),
    };

    /// <summary>Records (or replaces) a member's check-in for the week; returns true when it replaced an earlier one.</summary>
    public async Task<bool> SaveAsync(string workspace, long initiativeId, CheckIn checkIn, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        var replaced = await connection.ExecuteScalarAsync<long>("""
            SELECT COUNT(*) FROM checkins WHERE workspace_id = @Workspace AND initiative_id = @Id AND week = @Week AND member = @Member
            """, new { Workspace = workspace, Id = initiativeId, checkIn.Week, checkIn.Member }) > 0;
        await connection.ExecuteAsync(Upsert, Args(workspace, initiativeId, checkIn));
        return replaced;
    }

    private const string Columns = "week AS Week, member AS Member, metric_values AS MetricValues, wins AS Wins, barriers AS Barriers, " +
        "next_steps AS NextSteps, help_needed AS HelpNeeded, submitted_at AS SubmittedAt";

    private const string NumberColumns = "week AS Week, member AS Member, metric_values AS MetricValues, submitted_at AS SubmittedAt";

    /// <summary>The week's check-ins in the order they were submitted.</summary>
    public async Task<IReadOnlyList<CheckIn>> WeekAsync(string workspace, long initiativeId, string week, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<Row>($"""
            SELECT {Columns} FROM checkins WHERE workspace_id = @Workspace AND initiative_id = @Id AND week = @Week ORDER BY submitted_at, member
            """, new { Workspace = workspace, Id = initiativeId, Week = week });
        return rows.Select(ToCheckIn).ToList();
    }

    /// <summary>
    /// Every check-in from <paramref name="fromWeek"/> (inclusive; null = all), by week, then in submission order. Without
    /// <paramref name="answers"/> only the numbers are read (wins, barriers, next steps and help needed come back null):
    /// charts and reports need no more, and three years of a large initiative's answers are most of the bytes.
    /// </summary>
    public async Task<IReadOnlyList<CheckIn>> HistoryAsync(string workspace, long initiativeId, string? fromWeek = null, CancellationToken ct = default,
        bool answers = true)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<Row>($"""
            SELECT {(answers ? Columns : NumberColumns)} FROM checkins WHERE workspace_id = @Workspace AND initiative_id = @Id AND week >= @From
            ORDER BY week, submitted_at, member
            """, new { Workspace = workspace, Id = initiativeId, From = fromWeek ?? "" });
        return rows.Select(ToCheckIn).ToList();
    }

    /// <summary>The latest week on or before <paramref name="week"/> with at least one number from anyone, not skipped; null when there is none.</summary>
    public async Task<string?> LatestWeekWithValuesAsync(string workspace, long initiativeId, string week, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<string?>("""
            SELECT MAX(c.week) FROM checkins c
            WHERE c.workspace_id = @Workspace AND c.initiative_id = @Id AND c.week <= @Week AND c.metric_values <> '{}'
              AND NOT EXISTS (SELECT 1 FROM checkin_skips s WHERE s.workspace_id = c.workspace_id AND s.initiative_id = c.initiative_id AND s.week = c.week)
            """, new { Workspace = workspace, Id = initiativeId, Week = week });
    }

    /// <summary>Starts a run-chart phase (of one metric, or of all when <paramref name="metric"/> is null) from a week.</summary>
    public async Task<Phase> AddPhaseAsync(string workspace, long initiativeId, string? metric, string fromWeek, string? note, string by, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        var id = await connection.ExecuteScalarAsync<long>("""
            INSERT INTO checkin_phases (workspace_id, initiative_id, metric, from_week, note, created_by, created_at)
            VALUES (@Workspace, @Id, @Metric, @From, @Note, @By, @At) RETURNING id
            """, new { Workspace = workspace, Id = initiativeId, Metric = metric, From = fromWeek, Note = note, By = by, At = Database.Stamp(time.GetUtcNow()) });
        return new Phase(id, metric, fromWeek, note, by);
    }

    /// <summary>The initiative's phases, in the order they were started.</summary>
    public async Task<IReadOnlyList<Phase>> PhasesAsync(string workspace, long initiativeId, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QueryAsync<(long Id, string? Metric, string FromWeek, string? Note, string CreatedBy)>(
                "SELECT id, metric, from_week, note, created_by FROM checkin_phases WHERE workspace_id = @Workspace AND initiative_id = @Id ORDER BY id",
                new { Workspace = workspace, Id = initiativeId }))
            .Select(r => new Phase(r.Id, r.Metric, r.FromWeek, r.Note, r.CreatedBy)).ToList();
    }

    /// <summary>Removes the phase started last (<c>checkin rephase --undo</c>); null when there is none.</summary>
    public async Task<Phase?> RemoveLastPhaseAsync(string workspace, long initiativeId, CancellationToken ct = default)
    {
        if ((await PhasesAsync(workspace, initiativeId, ct)).LastOrDefault() is not { } last) return null;
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteAsync("DELETE FROM checkin_phases WHERE workspace_id = @Workspace AND initiative_id = @Initiative AND id = @Id",
            new { Workspace = workspace, Initiative = initiativeId, last.Id }) == 1 ? last : null;
    }

    private static CheckIn ToCheckIn(Row r) => new(r.Week, r.Member, JsonSerializer.Deserialize<Dictionary<string, double>>(r.MetricValues) ?? [],
        r.Wins, r.Barriers, r.NextSteps, r.HelpNeeded, Database.ParseStamp(r.SubmittedAt));

    /// <summary>Marks a week as skipped (a holiday): no prompts, nudges or digest that week.</summary>
    public async Task SkipAsync(string workspace, long initiativeId, string week, string by, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync("""
            INSERT INTO checkin_skips (workspace_id, initiative_id, week, skipped_by) VALUES (@Workspace, @Id, @Week, @By)
            ON CONFLICT (workspace_id, initiative_id, week) DO NOTHING
            """, new { Workspace = workspace, Id = initiativeId, Week = week, By = by });
    }

    public async Task<bool> IsSkippedAsync(string workspace, long initiativeId, string week, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM checkin_skips WHERE workspace_id = @Workspace AND initiative_id = @Id AND week = @Week",
            new { Workspace = workspace, Id = initiativeId, Week = week }) > 0;
    }

    /// <summary>Records that the week's digest was posted (from then on, check-ins go to the next week); false if it already was.</summary>
    public async Task<bool> MarkDigestPostedAsync(string workspace, long initiativeId, string week, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteAsync("""
            INSERT INTO checkin_digests (workspace_id, initiative_id, week, posted_at) VALUES (@Workspace, @Id, @Week, @At)
            ON CONFLICT (workspace_id, initiative_id, week) DO NOTHING
            """, new { Workspace = workspace, Id = initiativeId, Week = week, At = Database.Stamp(time.GetUtcNow()) }) == 1;
    }

    /// <summary>When the week's digest was posted, or null.</summary>
    public async Task<DateTimeOffset?> DigestPostedAtAsync(string workspace, long initiativeId, string week, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        var at = await connection.ExecuteScalarAsync<string?>(
            "SELECT posted_at FROM checkin_digests WHERE workspace_id = @Workspace AND initiative_id = @Id AND week = @Week",
            new { Workspace = workspace, Id = initiativeId, Week = week });
        return at is null ? null : Database.ParseStamp(at);
    }

    /// <summary>The skipped weeks from <paramref name="fromWeek"/> on.</summary>
    public async Task<IReadOnlySet<string>> SkippedWeeksAsync(string workspace, long initiativeId, string fromWeek, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QueryAsync<string>(
            "SELECT week FROM checkin_skips WHERE workspace_id = @Workspace AND initiative_id = @Id AND week >= @From",
            new { Workspace = workspace, Id = initiativeId, From = fromWeek })).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Members away on <paramref name="day"/> (their away date is that day or later).</summary>
    public async Task<IReadOnlySet<string>> AwayOnAsync(string workspace, DateOnly day, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QueryAsync<string>("SELECT user_id FROM checkin_away WHERE workspace_id = @Workspace AND until >= @Day",
            new { Workspace = workspace, Day = Database.Day(day) })).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>A member is away until a date (inclusive): no prompts to them until then. Null clears it.</summary>
    public async Task SetAwayAsync(string workspace, string user, DateOnly? until, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        if (until is { } day)
            await connection.ExecuteAsync("""
                INSERT INTO checkin_away (workspace_id, user_id, until) VALUES (@Workspace, @User, @Until)
                ON CONFLICT (workspace_id, user_id) DO UPDATE SET until = excluded.until
                """, new { Workspace = workspace, User = user, Until = Database.Day(day) });
        else
            await connection.ExecuteAsync("DELETE FROM checkin_away WHERE workspace_id = @Workspace AND user_id = @User", new { Workspace = workspace, User = user });
    }

    public async Task<DateOnly?> AwayUntilAsync(string workspace, string user, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        var until = await connection.ExecuteScalarAsync<string?>("SELECT until FROM checkin_away WHERE workspace_id = @Workspace AND user_id = @User",
            new { Workspace = workspace, User = user });
        return until is null ? null : Database.ParseDay(until);
    }

    /// <summary>
    /// Stores imported check-ins in one transaction, all or nothing: each replaces the member's
    /// check-in for its week, if there is one, and keeps its own submission time. Returns how many
    /// replaced a stored check-in.
    /// </summary>
    public async Task<int> ImportAsync(string workspace, long initiativeId, IReadOnlyList<CheckIn> rows, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var stored = (await connection.QueryAsync<(string Week, string Member)>(
            "SELECT week, member FROM checkins WHERE workspace_id = @Workspace AND initiative_id = @Id",
            new { Workspace = workspace, Id = initiativeId }, tx)).ToHashSet();
        await connection.ExecuteAsync(Upsert, rows.Select(c => Args(workspace, initiativeId, c)), tx);
        await tx.CommitAsync(ct);
        return rows.Count(c => stored.Contains((c.Week, c.Member)));
    }
}
