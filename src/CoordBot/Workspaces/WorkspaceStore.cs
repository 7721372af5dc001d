using System.Data.Common;
using CoordBot.Data;
using Dapper;

namespace CoordBot.Workspaces;

/// <summary>A workspace (Slack team, Teams tenant, or "local") and its settings.</summary>
public sealed record WorkspaceInfo(string Id, string Platform, TimeZoneInfo TimeZone);

/// <summary>A user of a workspace as the bot knows them.</summary>
public sealed record UserInfo(string Id, bool IsAdmin);

/// <summary>Workspaces, their users and admins, settings, and the per-workspace reference counters.</summary>
public sealed class WorkspaceStore(Database database, TimeProvider time)
{
    static WorkspaceStore() { SnakeCaseMap.Register<Row>(); }

    private sealed record Row(string TimeZone, string Platform, long? IsAdmin);

    /// <summary>
    /// Returns the workspace and the user, registering either on first sight. The first user of a
    /// workspace becomes its admin. Reads only, unless something is new.
    /// </summary>
    public async Task<(WorkspaceInfo Workspace, UserInfo User)> EnsureUserAsync(
        string workspaceId, string platform, string userId, string? displayName, CancellationToken ct = default)
    {
        using var span = Telemetry.CoordBotTelemetry.StartStore("workspace.ensure_user");
        if (database.IsPostgres) return await ReadOrRegisterAsync(workspaceId, platform, userId, displayName, ct);
        var now = time.GetUtcNow();
        if (_known.TryGetValue((workspaceId, userId), out var cached) && cached.Until > now) return (cached.Workspace, cached.User);
        var found = await ReadOrRegisterAsync(workspaceId, platform, userId, displayName, ct);
        if (_known.Count >= MaxKnown) _known.Clear();
        _known[(workspaceId, userId)] = (found.Workspace, found.User, now + KnownFor);
        return found;
    }

    /// <summary>
    /// Every command needs the workspace's zone and the user's admin flag, so they are kept in memory
    /// for a short while on SQLite, where this instance is the only one and its own changes clear them at
    /// once. On PostgreSQL another instance may change them (an admin removed there must not stay an admin
    /// here for a while), so they are read for every command.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Workspace, string User), (WorkspaceInfo Workspace, UserInfo User, DateTimeOffset Until)> _known = new();
    private static readonly TimeSpan KnownFor = TimeSpan.FromSeconds(30);
    private const int MaxKnown = 100_000;

    private void Forget(string workspaceId)
    {
        foreach (var key in _known.Keys)
            if (key.Workspace == workspaceId) _known.TryRemove(key, out _);
    }

    private async Task<(WorkspaceInfo Workspace, UserInfo User)> ReadOrRegisterAsync(
        string workspaceId, string platform, string userId, string? displayName, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        const string read = """
            SELECT w.time_zone AS TimeZone, w.platform AS Platform, u.is_admin AS IsAdmin
            FROM workspaces w LEFT JOIN users u ON u.workspace_id = w.workspace_id AND u.user_id = @User
            WHERE w.workspace_id = @Workspace
            """;
        var args = new { Workspace = workspaceId, User = userId };
        var row = await connection.QuerySingleOrDefaultAsync<Row>(read, args);
        if (row?.IsAdmin is null)
        {
            var at = Database.Stamp(time.GetUtcNow());
            await using var tx = await connection.BeginTransactionAsync(ct);
            await connection.ExecuteAsync("""
                INSERT INTO workspaces (workspace_id, platform, time_zone, created_at) VALUES (@Workspace, @Platform, 'UTC', @At)
                ON CONFLICT (workspace_id) DO NOTHING;
                INSERT INTO users (workspace_id, user_id, display_name, is_admin, created_at)
                SELECT @Workspace, @User, @Name, CASE WHEN EXISTS (SELECT 1 FROM users WHERE workspace_id = @Workspace) THEN 0 ELSE 1 END, @At WHERE 1 = 1
                ON CONFLICT (workspace_id, user_id) DO NOTHING;
                """, new { Workspace = workspaceId, Platform = platform, User = userId, Name = displayName, At = at }, tx);
            await tx.CommitAsync(ct);
            row = await connection.QuerySingleAsync<Row>(read, args);
        }
        return (new WorkspaceInfo(workspaceId, row.Platform, FindZone(row.TimeZone) ?? TimeZoneInfo.Utc),
                new UserInfo(userId, row.IsAdmin == 1));
    }

    /// <summary>
    /// The id of a user the workspace knows (someone who has used CoordBot or been made an admin), by id or
    /// display name ignoring case; null when there is nobody by that name.
    /// </summary>
    public async Task<string?> FindUserAsync(string workspaceId, string idOrName, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<string?>("""
            SELECT user_id FROM users WHERE workspace_id = @Workspace AND (user_id = @Text OR lower(display_name) = lower(@Text))
            ORDER BY user_id = @Text DESC LIMIT 1
            """, new { Workspace = workspaceId, Text = idOrName });
    }

    /// <summary>The workspace's time zone (UTC for a workspace not seen yet or with an unknown zone).</summary>
    /// <summary>The platform of the workspace ("slack", "teams", "local"); "local" when it is not known yet.</summary>
    public async Task<string> PlatformAsync(string workspaceId, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<string?>("SELECT platform FROM workspaces WHERE workspace_id = @Workspace",
            new { Workspace = workspaceId }) ?? "local";
    }

    public async Task<TimeZoneInfo> EnsureWorkspaceZoneAsync(string workspaceId, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        var zone = await connection.ExecuteScalarAsync<string?>("SELECT time_zone FROM workspaces WHERE workspace_id = @Workspace", new { Workspace = workspaceId });
        return FindZone(zone ?? "UTC") ?? TimeZoneInfo.Utc;
    }

    public async Task SetTimeZoneAsync(string workspaceId, string zoneId, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync("UPDATE workspaces SET time_zone = @Zone WHERE workspace_id = @Workspace",
            new { Zone = zoneId, Workspace = workspaceId });
        Forget(workspaceId);
    }

    public async Task<IReadOnlyList<string>> ListAdminsAsync(string workspaceId, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QueryAsync<string>(
            "SELECT user_id FROM users WHERE workspace_id = @Workspace AND is_admin = 1 ORDER BY created_at, user_id",
            new { Workspace = workspaceId })).AsList();
    }

    /// <summary>Makes <paramref name="userId"/> an admin, registering the user if the bot has not seen them yet.</summary>
    public async Task SetAdminAsync(string workspaceId, string userId, bool admin, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync("""
            INSERT INTO users (workspace_id, user_id, is_admin, created_at) VALUES (@Workspace, @User, @Admin, @At)
            ON CONFLICT (workspace_id, user_id) DO UPDATE SET is_admin = excluded.is_admin
            """, new { Workspace = workspaceId, User = userId, Admin = admin ? 1 : 0, At = Database.Stamp(time.GetUtcNow()) });
        Forget(workspaceId);
    }

    /// <summary>Hands out the next short reference number (A1, A2…) of a kind; never reuses one.</summary>
    public static Task<long> NextRefAsync(DbConnection connection, DbTransaction tx, string workspaceId, string kind) =>
        connection.ExecuteScalarAsync<long>(NextRefSql, new { Workspace = workspaceId, Kind = kind }, tx);

    /// <summary>The statement of <see cref="NextRefAsync"/> (parameters @Workspace, @Kind), for a caller that runs it prepared.</summary>
    public const string NextRefSql = """
        INSERT INTO ref_counters (workspace_id, kind, last_value) VALUES (@Workspace, @Kind, 1)
        ON CONFLICT (workspace_id, kind) DO UPDATE SET last_value = ref_counters.last_value + 1
        RETURNING last_value
        """;

    /// <summary>Finds an IANA (or Windows) time zone id, or null.</summary>
    public static TimeZoneInfo? FindZone(string id)
    {
        if (string.IsNullOrWhiteSpace(id)) return null;
        try { return TimeZoneInfo.FindSystemTimeZoneById(id); }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException) { return null; }
    }
}
