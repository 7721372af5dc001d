using CoordBot.Chat;
using CoordBot.Chat.Rendering;
using CoordBot.Data;
using CoordBot.Outbox;
using Dapper;

namespace CoordBot.Host.Local;

/// <summary>
/// Whether the local web chat is on: by default only in Development. Anyone who reaches it acts as anyone,
/// so outside Development it runs only while the host listens on loopback, unless forced (docs/security.md).
/// </summary>
public sealed record LocalChannel(bool Enabled, IReadOnlyList<string>? ExposedOn = null)
{
    public const string Platform = "local";
    public const string Workspace = "local";
    public const string DefaultChannel = "general";

    /// <summary>
    /// Decides at start-up. Throws when the local chat is switched on outside Development on a non-loopback
    /// address without <c>Local:AllowNonLoopback</c>: someone asked for it, so failing loudly beats a silent off.
    /// </summary>
    public static LocalChannel Decide(LocalOptions options, IConfiguration config, IHostEnvironment environment)
    {
        if (!(options.Enabled ?? environment.IsDevelopment())) return new LocalChannel(false);
        var exposed = environment.IsDevelopment() ? [] : NonLoopbackUrls(config);
        if (exposed.Count > 0 && !options.AllowNonLoopback)
            throw new InvalidOperationException(
                $"Local:Enabled is true outside the Development environment, but the host listens on {string.Join(", ", exposed)}, which is not loopback: " +
                "anyone who reaches the local chat can act as any user. Listen on localhost/127.0.0.1 only (urls, ASPNETCORE_URLS, Kestrel:Endpoints), " +
                "set Local:Enabled=false, or force it with Local:AllowNonLoopback=true.");
        return new LocalChannel(true, exposed);
    }

    /// <summary>
    /// The addresses the host is configured to listen on that are not loopback: <c>urls</c> (ASPNETCORE_URLS),
    /// <c>http_ports</c>/<c>https_ports</c> (all interfaces) and <c>Kestrel:Endpoints:*:Url</c>. None set means
    /// ASP.NET Core's default, http://localhost:5000.
    /// </summary>
    public static IReadOnlyList<string> NonLoopbackUrls(IConfiguration config)
    {
        var urls = new List<string>();
        urls.AddRange(Split(config["urls"]));
        urls.AddRange(Split(config["http_ports"]).Select(port => $"http://*:{port}"));
        urls.AddRange(Split(config["https_ports"]).Select(port => $"https://*:{port}"));
        urls.AddRange(config.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>());
        return urls.Where(url => !IsLoopback(url)).ToList();
    }

    private static string[] Split(string? value) => value?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

    /// <summary><c>localhost</c>, 127.0.0.0/8 and ::1 are loopback; <c>*</c>, <c>+</c>, 0.0.0.0, other names and addresses are not.</summary>
    public static bool IsLoopback(string url)
    {
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        var rest = scheme < 0 ? url : url[(scheme + 3)..];
        string host;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']');
            if (close < 0) return false;
            host = rest[1..close];
        }
        else
        {
            var end = rest.IndexOfAny([':', '/']);
            host = end < 0 ? rest : rest[..end];
        }
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return System.Net.IPAddress.TryParse(host, out var address) && System.Net.IPAddress.IsLoopback(address);
    }

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
