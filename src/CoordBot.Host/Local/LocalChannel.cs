using CoordBot.Chat;
using CoordBot.Chat.Rendering;
using CoordBot.Data;
using CoordBot.Outbox;
using Dapper;

namespace CoordBot.Host.Local;

/// <summary>Whether the local web chat is on (SPEC §6): by default only in Development.</summary>
public sealed record LocalChannel(bool Enabled)
{
    public const string Platform = "local";
    public const string Workspace = "local";
    public const string DefaultChannel = "general";

    public static bool IsEnabled(IConfiguration config, IHostEnvironment environment) =>
        config.GetValue<bool?>("Local:Enabled") ?? environment.IsDevelopment();

    /// <summary>A reply in the shape of the local API: plain text, the neutral card, and its HTML rendering.</summary>
    public static object Render(Reply reply, long? id = null) => new
    {
        id,
        text = reply.Text,
        card = reply,
        plain = PlainTextRenderer.Render(reply),
        html = HtmlRenderer.Render(reply),
    };
}

/// <summary>Proactive messages delivered to the local workspace, read by <c>GET /local/messages</c>.</summary>
public sealed class LocalMessageStore(Database database, TimeProvider time)
{
    /// <summary>Stores a message once per idempotency key; a second delivery of the same key changes nothing.</summary>
    public async Task<bool> AddAsync(string destination, string key, Reply reply, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteAsync("""
            INSERT INTO local_messages (workspace_id, destination, idempotency_key, payload, created_at)
            VALUES (@Workspace, @Destination, @Key, @Payload, @At)
            ON CONFLICT (workspace_id, idempotency_key) DO NOTHING
            """, new { Workspace = LocalChannel.Workspace, Destination = destination, Key = key, Payload = ReplyJson.Serialize(reply), At = Database.Stamp(time.GetUtcNow()) }) == 1;
    }

    /// <summary>Messages for <paramref name="user"/> (direct) and for every local channel (<c>#name</c>), after an id.</summary>
    public async Task<IReadOnlyList<(long Id, Reply Reply)>> ForUserAsync(string user, long after, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<(long Id, string Payload)>("""
            SELECT id, payload FROM local_messages
            WHERE workspace_id = @Workspace AND id > @After AND (destination = @User OR destination LIKE '#%')
            ORDER BY id LIMIT 200
            """, new { Workspace = LocalChannel.Workspace, User = user, After = after });
        return rows.Select(r => (r.Id, ReplyJson.Deserialize(r.Payload))).ToList();
    }
}

/// <summary>The outbox's sender for the local workspace: idempotent by key, so a retried send never shows twice.</summary>
public sealed class LocalSender(LocalMessageStore store) : IChannelSender
{
    public string Platform => LocalChannel.Platform;

    public async Task<SendResult> SendAsync(OutboxMessage message, CancellationToken ct)
    {
        await store.AddAsync(message.Destination, message.Key, message.Reply, ct);
        return SendResult.Sent;
    }
}
