using CoordBot.Chat;
using CoordBot.Data;
using Dapper;

namespace CoordBot.Outbox;

/// <summary>A proactive message waiting in (or sent from) the outbox.</summary>
public sealed record OutboxMessage(
    long Id, string WorkspaceId, string Key, string Platform, string Destination, Reply Reply, int Attempts, DateTimeOffset NotBefore);

/// <summary>
/// The durable outbox: proactive messages (reminders, prompts, digests) are written here first, with
/// an idempotency key unique per workspace, and sent by <see cref="OutboxDispatcher"/>. Enqueueing a
/// key twice keeps the first message. The outcome of each send is recorded through
/// <see cref="GroupCommit"/>: a fan-out records hundreds a second, and concurrent records share one
/// commit (one fsync) instead of one each; each still returns only once it is durable.
/// </summary>
public sealed class OutboxStore(Database database, GroupCommit writes)
{
    /// <summary>Queues a message; returns false when the key was already queued or sent (nothing changes then).</summary>
    public async Task<bool> EnqueueAsync(string workspaceId, string key, string platform, string destination, Reply reply,
        DateTimeOffset notBefore, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteAsync("""
            INSERT INTO outbox (workspace_id, idempotency_key, platform, destination, payload, not_before, created_at)
            VALUES (@Workspace, @Key, @Platform, @Destination, @Payload, @NotBefore, @At)
            ON CONFLICT (workspace_id, idempotency_key) DO NOTHING
            """, new
        {
            Workspace = workspaceId, Key = key, Platform = platform, Destination = destination,
            Payload = ReplyJson.Serialize(reply), NotBefore = Database.Stamp(notBefore), At = Database.Stamp(now),
        }) == 1;
    }

    /// <summary>
    /// Claims up to <paramref name="limit"/> due messages for <paramref name="lease"/>: pending ones whose time has
    /// come, and ones whose earlier claim expired (the instance holding it died). A claimed message is
    /// invisible to other claims until it is marked or its lease runs out.
    /// </summary>
    public async Task<IReadOnlyList<OutboxMessage>> ClaimDueAsync(DateTimeOffset now, TimeSpan lease, int limit, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var p = new { Now = Database.Stamp(now), Until = Database.Stamp(now + lease), Limit = limit };
        // On PostgreSQL several instances claim at once: FOR UPDATE SKIP LOCKED gives each its own rows, and the
        // lease makes the claim of an instance that died visible again. SQLite has one writer, so one claimer.
        var rows = (await connection.QueryAsync<(long Id, string WorkspaceId, string IdempotencyKey, string Platform, string Destination, string Payload, int Attempts, string NotBefore)>($"""
            SELECT id, workspace_id, idempotency_key, platform, destination, payload, attempts, not_before FROM outbox
            WHERE (status = 'pending' AND not_before <= @Now) OR (status = 'sending' AND claimed_until <= @Now)
            ORDER BY not_before, id LIMIT @Limit{(database.IsPostgres ? " FOR UPDATE SKIP LOCKED" : "")}
            """, p, tx)).AsList();
        if (rows.Count > 0)
            await connection.ExecuteAsync($"UPDATE outbox SET status = 'sending', claimed_until = @Until WHERE {database.Dialect.In("id", "Ids")}",
                new { p.Until, Ids = rows.Select(r => r.Id).ToArray() }, tx);
        await tx.CommitAsync(ct);
        return rows.Select(r => new OutboxMessage(r.Id, r.WorkspaceId, r.IdempotencyKey, r.Platform, r.Destination,
            ReplyJson.Deserialize(r.Payload), r.Attempts, Database.ParseStamp(r.NotBefore))).ToList();
    }

    public Task MarkSentAsync(long id, DateTimeOffset now, CancellationToken ct = default) =>
        writes.WriteAsync((connection, tx) => connection.ExecuteAsync(
            "UPDATE outbox SET status = 'sent', sent_at = @At, attempts = attempts + 1, claimed_until = NULL, last_error = NULL WHERE id = @Id",
            new { Id = id, At = Database.Stamp(now) }, tx), ct);

    /// <summary>Puts a message back for another try at <paramref name="retryAt"/>.</summary>
    public Task MarkRetryAsync(long id, DateTimeOffset retryAt, string error, CancellationToken ct = default) =>
        writes.WriteAsync((connection, tx) => connection.ExecuteAsync(
            "UPDATE outbox SET status = 'pending', not_before = @RetryAt, attempts = attempts + 1, claimed_until = NULL, last_error = @Error WHERE id = @Id",
            new { Id = id, RetryAt = Database.Stamp(retryAt), Error = error }, tx), ct);

    /// <summary>Gives up on a message (a permanent error, or too many attempts); it stays in the table for inspection.</summary>
    public Task MarkFailedAsync(long id, string error, CancellationToken ct = default) =>
        writes.WriteAsync((connection, tx) => connection.ExecuteAsync(
            "UPDATE outbox SET status = 'failed', attempts = attempts + 1, claimed_until = NULL, last_error = @Error WHERE id = @Id",
            new { Id = id, Error = error }, tx), ct);

    /// <summary>
    /// Puts a message back for <paramref name="retryAt"/> without counting an attempt: the platform
    /// asked us to slow down (429, or our own pacing), or an earlier message to the same destination
    /// has to go first. Pacing never uses up <see cref="OutboxOptions.MaxAttempts"/>.
    /// </summary>
    public Task DeferAsync(long id, DateTimeOffset retryAt, string reason, CancellationToken ct = default) =>
        writes.WriteAsync((connection, tx) => connection.ExecuteAsync(
            "UPDATE outbox SET status = 'pending', not_before = @RetryAt, claimed_until = NULL, last_error = @Reason WHERE id = @Id AND status = 'sending'",
            new { Id = id, RetryAt = Database.Stamp(retryAt), Reason = reason }, tx), ct);

    /// <summary>Extends the claim of messages this instance still holds (waiting for their turn) to <paramref name="until"/>.</summary>
    public async Task RenewClaimsAsync(IReadOnlyCollection<long> ids, DateTimeOffset until, CancellationToken ct = default)
    {
        if (ids.Count == 0) return;
        await using var connection = await database.OpenAsync(ct);
        foreach (var chunk in ids.Chunk(500))
            await connection.ExecuteAsync($"UPDATE outbox SET claimed_until = @Until WHERE status = 'sending' AND {database.Dialect.In("id", "Ids")}",
                new { Until = Database.Stamp(until), Ids = chunk });
    }

    /// <summary>Hands back claims that were never tried (the instance is stopping), so they need not wait out their lease.</summary>
    public async Task ReleaseClaimsAsync(IReadOnlyCollection<long> ids, CancellationToken ct = default)
    {
        if (ids.Count == 0) return;
        await using var connection = await database.OpenAsync(ct);
        foreach (var chunk in ids.Chunk(500))
            await connection.ExecuteAsync($"UPDATE outbox SET status = 'pending', claimed_until = NULL WHERE status = 'sending' AND {database.Dialect.In("id", "Ids")}",
                new { Ids = chunk });
    }

    public sealed record Entry(string Key, string Destination, string Status, int Attempts, DateTimeOffset NotBefore, string? LastError);

    /// <summary>Messages of a workspace not sent yet, soonest first.</summary>
    public async Task<IReadOnlyList<Entry>> PendingAsync(string workspaceId, int limit, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<(string IdempotencyKey, string Destination, string Status, int Attempts, string NotBefore, string? LastError)>("""
            SELECT idempotency_key, destination, status, attempts, not_before, last_error FROM outbox
            WHERE workspace_id = @Workspace AND status IN ('pending', 'sending') ORDER BY not_before, id LIMIT @Limit
            """, new { Workspace = workspaceId, Limit = limit });
        return rows.Select(r => new Entry(r.IdempotencyKey, r.Destination, r.Status, r.Attempts, Database.ParseStamp(r.NotBefore), r.LastError)).ToList();
    }

    /// <summary>The state of one message, by key (tests and diagnostics).</summary>
    public async Task<Entry?> GetAsync(string workspaceId, string key, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(string IdempotencyKey, string Destination, string Status, int Attempts, string NotBefore, string? LastError)?>("""
            SELECT idempotency_key, destination, status, attempts, not_before, last_error FROM outbox
            WHERE workspace_id = @Workspace AND idempotency_key = @Key
            """, new { Workspace = workspaceId, Key = key });
        return row is { } r ? new Entry(r.IdempotencyKey, r.Destination, r.Status, r.Attempts, Database.ParseStamp(r.NotBefore), r.LastError) : null;
    }
}
