using System.Text.RegularExpressions;
using CoordBot.Data;
using Dapper;

namespace CoordBot.Workspaces;

/// <summary>Where a member's time zone comes from.</summary>
public enum ZoneSource
{
    /// <summary>None known: the initiative's (or workspace's) zone applies.</summary>
    None,
    /// <summary>What the platform reports (Slack users.info <c>tz</c>, Teams <c>clientInfo.timezone</c>).</summary>
    Platform,
    /// <summary>Set by the member with <c>checkin zone</c>; wins over the platform's.</summary>
    Own,
}

/// <summary>
/// A member's time zones: the platform's and the one set by hand. <see cref="Id"/> is the one that applies (the
/// hand-set one wins) when the zone database knows it; a zone it no longer knows counts as none.
/// </summary>
public sealed record MemberZone(string? PlatformZone, string? OwnZone)
{
    public static readonly MemberZone None = new(null, null);

    /// <summary>The zone that applies, or null (none known: the caller's fallback applies).</summary>
    public string? Id => Known(OwnZone) ?? Known(PlatformZone);

    public ZoneSource Source => Known(OwnZone) is not null ? ZoneSource.Own : Known(PlatformZone) is not null ? ZoneSource.Platform : ZoneSource.None;

    /// <summary>The zone that applies, or <paramref name="fallback"/>.</summary>
    public string Or(string fallback) => Id ?? fallback;

    private static string? Known(string? id) => id is not null && MemberZoneStore.Parse(id) is not null ? id : null;
}

/// <summary>
/// Members' own time zones, by workspace and user. Every value stored has passed <see cref="Parse"/>: an IANA id
/// the zone database knows, at most <see cref="MaxLength"/> characters.
/// </summary>
public sealed partial class MemberZoneStore(Database database, TimeProvider time)
{
    /// <summary>True on PostgreSQL, where other instances change the same rows (so what this one saw last may be stale).</summary>
    public bool SharedByInstances => database.IsPostgres;

    /// <summary>Longer than any IANA id (the longest is about 32 characters).</summary>
    public const int MaxLength = 64;

    /// <summary>
    /// The IANA zone named by <paramref name="text"/> (its id as the zone database spells it), or null when it is not
    /// one: too long, not shaped like Area/Location (or UTC), or unknown to the zone database. Windows ids are refused.
    /// </summary>
    public static TimeZoneInfo? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = text.Trim();
        if (text.Length > MaxLength || !IanaShape().IsMatch(text)) return null;
        return WorkspaceStore.FindZone(text);
    }

    [GeneratedRegex(@"^(UTC|[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){1,2})$")]
    private static partial Regex IanaShape();

    /// <summary>The member's zones (<see cref="MemberZone.None"/> when none is stored).</summary>
    public async Task<MemberZone> GetAsync(string workspace, string user, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(string? Platform, string? Own)>(
            "SELECT platform_zone, own_zone FROM member_zones WHERE workspace_id = @Workspace AND user_id = @User",
            new { Workspace = workspace, User = user });
        return row == default ? MemberZone.None : new MemberZone(row.Platform, row.Own);
    }

    /// <summary>The zones of those of <paramref name="users"/> who have one stored, by user id.</summary>
    public async Task<IReadOnlyDictionary<string, MemberZone>> ForUsersAsync(string workspace, IReadOnlyCollection<string> users, CancellationToken ct = default)
    {
        if (users.Count == 0) return new Dictionary<string, MemberZone>();
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<(string User, string? Platform, string? Own)>(
            $"SELECT user_id, platform_zone, own_zone FROM member_zones WHERE workspace_id = @Workspace AND {database.Dialect.In("user_id", "Users")}",
            new { Workspace = workspace, Users = users.Distinct().ToArray() });
        return rows.ToDictionary(r => r.User, r => new MemberZone(r.Platform, r.Own), StringComparer.Ordinal);
    }

    /// <summary>Records the zone the platform reports; returns true when that changed the stored one.</summary>
    public Task<bool> SetPlatformZoneAsync(string workspace, string user, TimeZoneInfo zone, CancellationToken ct = default) =>
        SetAsync(workspace, user, "platform_zone", zone.Id, ct);

    /// <summary>Sets (or, with null, clears) the member's own zone; returns true when that changed the stored one.</summary>
    public Task<bool> SetOwnZoneAsync(string workspace, string user, TimeZoneInfo? zone, CancellationToken ct = default) =>
        SetAsync(workspace, user, "own_zone", zone?.Id, ct);

    private async Task<bool> SetAsync(string workspace, string user, string column, string? zone, CancellationToken ct)
    {
        // column is one of the two constants above, never input.
        await using var connection = await database.OpenAsync(ct);
        var args = new { Workspace = workspace, User = user, Zone = zone, At = Database.Stamp(time.GetUtcNow()) };
        if (zone is null)
            return await connection.ExecuteAsync($"""
                UPDATE member_zones SET {column} = NULL, updated_at = @At WHERE workspace_id = @Workspace AND user_id = @User AND {column} IS NOT NULL
                """, args) > 0;
        return await connection.ExecuteAsync($"""
            INSERT INTO member_zones (workspace_id, user_id, {column}, updated_at) VALUES (@Workspace, @User, @Zone, @At)
            ON CONFLICT (workspace_id, user_id) DO UPDATE SET {column} = excluded.{column}, updated_at = excluded.updated_at
            WHERE member_zones.{column} IS NULL OR member_zones.{column} <> excluded.{column}
            """, args) > 0;
    }
}
