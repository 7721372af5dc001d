using System.Collections.Concurrent;
using CoordBot.Data;
using Dapper;

namespace CoordBot.Teams;

/// <summary>Where a Teams conversation lives, as a validated activity told us: enough to post to it later.</summary>
/// <param name="WorkspaceId">The tenant.</param>
/// <param name="ConversationType"><c>personal</c>, <c>groupChat</c> or <c>channel</c>.</param>
/// <param name="UserId">For a personal chat, the user (<c>29:…</c>) it is with.</param>
public sealed record TeamsConversation(
    string WorkspaceId, string ConversationId, string ConversationType, string ServiceUrl, string BotId, string? UserId, string? TeamId);

/// <summary>
/// Conversation references for proactive messages (reminders, prompts, digests) and for the 1:1 chats
/// that private replies go to. Only activities that passed authentication are stored, so every
/// stored serviceUrl is one the Bot Framework vouched for.
/// </summary>
public sealed class TeamsConversations(Database database, TimeProvider time)
{
    static TeamsConversations() { SnakeCaseMap.Register<TeamsConversation>(); }

    // Conversations already stored by this process, so a busy chat is not rewritten on every message.
    private readonly ConcurrentDictionary<(string, string), TeamsConversation> _known = new();

    public async Task SaveAsync(TeamsConversation conversation, CancellationToken ct)
    {
        // A reference without a serviceUrl could never be posted to, and must not replace one that can.
        ArgumentException.ThrowIfNullOrWhiteSpace(conversation.ServiceUrl);
        if (_known.TryGetValue((conversation.WorkspaceId, conversation.ConversationId), out var known) && known == conversation) return;
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync("""
            INSERT INTO teams_conversations (workspace_id, conversation_id, conversation_type, service_url, bot_id, user_id, team_id, active, updated_at)
            VALUES (@WorkspaceId, @ConversationId, @ConversationType, @ServiceUrl, @BotId, @UserId, @TeamId, 1, @At)
            ON CONFLICT (workspace_id, conversation_id) DO UPDATE SET
                conversation_type = excluded.conversation_type, service_url = excluded.service_url, bot_id = excluded.bot_id,
                user_id = COALESCE(excluded.user_id, teams_conversations.user_id), team_id = COALESCE(excluded.team_id, teams_conversations.team_id),
                active = 1, updated_at = excluded.updated_at
            """, new
        {
            conversation.WorkspaceId, conversation.ConversationId, conversation.ConversationType, conversation.ServiceUrl,
            conversation.BotId, conversation.UserId, conversation.TeamId, At = Database.Stamp(time.GetUtcNow()),
        });
        _known[(conversation.WorkspaceId, conversation.ConversationId)] = conversation;
    }

    /// <summary>The bot was removed from the conversation: nothing more is sent there.</summary>
    public async Task ForgetAsync(string workspaceId, string conversationId, CancellationToken ct)
    {
        _known.TryRemove((workspaceId, conversationId), out _);
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync(
            "UPDATE teams_conversations SET active = 0, updated_at = @At WHERE workspace_id = @Workspace AND conversation_id = @Conversation",
            new { Workspace = workspaceId, Conversation = conversationId, At = Database.Stamp(time.GetUtcNow()) });
    }

    public async Task<TeamsConversation?> GetAsync(string workspaceId, string conversationId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<TeamsConversation>($"""
            SELECT {Columns} FROM teams_conversations WHERE workspace_id = @Workspace AND conversation_id = @Conversation AND active = 1
            """, new { Workspace = workspaceId, Conversation = conversationId });
    }

    /// <summary>The 1:1 chat with a user, if the bot has one.</summary>
    public async Task<TeamsConversation?> PersonalAsync(string workspaceId, string userId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<TeamsConversation>($"""
            SELECT {Columns} FROM teams_conversations
            WHERE workspace_id = @Workspace AND user_id = @User AND conversation_type = 'personal' AND active = 1
            ORDER BY updated_at DESC LIMIT 1
            """, new { Workspace = workspaceId, User = userId });
    }

    /// <summary>Any active conversation of the tenant: its serviceUrl and bot id are what a new 1:1 chat needs.</summary>
    public async Task<TeamsConversation?> AnyAsync(string workspaceId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<TeamsConversation>($"""
            SELECT {Columns} FROM teams_conversations WHERE workspace_id = @Workspace AND active = 1 ORDER BY updated_at DESC LIMIT 1
            """, new { Workspace = workspaceId });
    }

    /// <summary>Every serviceUrl that ever arrived in a validated activity (to trust again after a restart).</summary>
    public async Task<IReadOnlyList<string>> ServiceUrlsAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QueryAsync<string>("SELECT DISTINCT service_url FROM teams_conversations")).AsList();
    }

    private const string Columns =
        "workspace_id AS WorkspaceId, conversation_id AS ConversationId, conversation_type AS ConversationType, service_url AS ServiceUrl, " +
        "bot_id AS BotId, user_id AS UserId, team_id AS TeamId";
}
