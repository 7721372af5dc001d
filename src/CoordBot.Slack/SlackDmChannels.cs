using CoordBot.Data;
using Dapper;

namespace CoordBot.Slack;

/// <summary>
/// The bot's DM channel id (<c>D…</c>) with each user, kept in the database. conversations.open is
/// Tier 3 (about 50 a minute per workspace): opening the DM of every member for a weekly check-in
/// prompt would take two minutes per hundred members, every week. The id of a bot's DM with a user
/// does not change, so it is asked for once; it survives restarts and is shared by every instance
/// (an in-memory cache would be cold after each deploy and per instance). A stored id that Slack no
/// longer knows is forgotten and opened again (<see cref="SlackSender"/>).
/// </summary>
public sealed class SlackDmChannels(Database database, GroupCommit writes, TimeProvider time)
{
    public async Task<string?> GetAsync(string workspaceId, string userId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<string?>(
            "SELECT channel_id FROM slack_dm_channels WHERE workspace_id = @Workspace AND user_id = @User",
            new { Workspace = workspaceId, User = userId });
    }

    /// <summary>Stores the id (through group commit: a cold fan-out opens many DMs at once).</summary>
    public Task SaveAsync(string workspaceId, string userId, string channelId, CancellationToken ct) =>
        writes.WriteAsync((connection, tx) => connection.ExecuteAsync("""
            INSERT INTO slack_dm_channels (workspace_id, user_id, channel_id, updated_at) VALUES (@Workspace, @User, @Channel, @At)
            ON CONFLICT (workspace_id, user_id) DO UPDATE SET channel_id = excluded.channel_id, updated_at = excluded.updated_at
            """, new { Workspace = workspaceId, User = userId, Channel = channelId, At = Database.Stamp(time.GetUtcNow()) }, tx), ct);

    public Task ForgetAsync(string workspaceId, string userId, CancellationToken ct) =>
        writes.WriteAsync((connection, tx) => connection.ExecuteAsync(
            "DELETE FROM slack_dm_channels WHERE workspace_id = @Workspace AND user_id = @User",
            new { Workspace = workspaceId, User = userId }, tx), ct);
}
