using CoordBot.Chat;
using CoordBot.Chat.Rendering;
using CoordBot.Data;
using CoordBot.Outbox;
using Dapper;

namespace CoordBot.Host.Local;

/// <summary>
/// Whether the local web chat is on (docs/security.md#the-local-channel): by default only in Development. It has no
/// authentication (whoever reaches it is any user they name), so outside Development it runs only when the host is
/// bound to loopback addresses alone, unless an operator forces it with <c>Local:AllowNonLoopback=true</c>.
/// <paramref name="Refusal"/>: why the host must not start (the channel was asked for where it would be exposed);
/// <paramref name="Warning"/>: what to log when it was forced on anyway.
/// </summary>
public sealed record LocalChannel(bool Enabled, string? Refusal = null, string? Warning = null)
{
    public const string Platform = "local";
    public const string Workspace = "local";
    public const string DefaultChannel = "general";

    /// <summary>The local channel's state for this configuration and environment.</summary>
    public static LocalChannel Decide(IConfiguration config, IHostEnvironment environment)
    {
        var enabled = config.GetValue<bool?>("Local:Enabled") ?? environment.IsDevelopment();
        if (!enabled || environment.IsDevelopment()) return new LocalChannel(enabled);
        var exposed = NonLoopbackBindings(config);
        if (exposed.Count == 0) return new LocalChannel(true);
        if (config.GetValue<bool>("Local:AllowNonLoopback"))
            return new LocalChannel(true, Warning: $"on in {environment.EnvironmentName} on {string.Join(", ", exposed)} (Local:AllowNonLoopback=true): anyone who reaches it acts as any user they name");
        return new LocalChannel(false, Refusal:
            $"Local:Enabled=true in the {environment.EnvironmentName} environment, but the host listens on {string.Join(", ", exposed)}, not only on loopback. " +
            "The local chat has no sign-in: anyone who reaches it acts as any user. Bind the host to localhost (ASPNETCORE_URLS=http://localhost:5080), " +
            "turn the local channel off (Local:Enabled=false), or force it with Local:AllowNonLoopback=true.");
    }

    /// <summary>
    /// The configured listening addresses that are not loopback: <c>urls</c> (ASPNETCORE_URLS), <c>http_ports</c> and
    /// <c>https_ports</c> (which listen on every interface), and Kestrel endpoints. None configured means ASP.NET Core's
    /// default, <c>http://localhost:5000</c>.
    /// </summary>
    public static IReadOnlyList<string> NonLoopbackBindings(IConfiguration config)
    {
        var urls = (config["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(config.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>());
        var exposed = urls.Where(url => !IsLoopback(url)).ToList();
        foreach (var key in new[] { "http_ports", "https_ports" })
            if (config[key] is { Length: > 0 } ports) exposed.Add($"every interface, port {ports}");
        return exposed;
    }

    private static bool IsLoopback(string url)
    {
        // http://host:port, where host may be *, +, [::], 0.0.0.0, a name or an address.
        var hostStart = url.IndexOf("://", StringComparison.Ordinal) is var scheme and >= 0 ? scheme + 3 : 0;
        var rest = url[hostStart..];
        var host = rest.StartsWith('[') ? rest[1..Math.Max(1, rest.IndexOf(']'))] : rest.Split([':', '/'], 2)[0];
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
