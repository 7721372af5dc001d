using System.Text.Json;
using CoordBot.Chat;
using CoordBot.Data;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ClaimRow = (long Id, string WorkspaceId, string IdempotencyKey, string Platform, string Destination, string Payload, int Attempts,
    string NotBefore, string? TriedAt);

namespace CoordBot.Outbox;

/// <summary>
/// A proactive message waiting in (or sent from) the outbox. <paramref name="MaybeSent"/>: an earlier try
/// began and was never recorded as a failure the platform reported (the instance died during it, or it
/// ended in a timeout), so the message may already be there; a sender that can look should, before sending.
/// </summary>
public sealed record OutboxMessage(
    long Id, string WorkspaceId, string Key, string Platform, string Destination, Reply Reply, int Attempts, DateTimeOffset NotBefore,
    bool MaybeSent = false);

/// <summary>
/// The durable outbox: proactive messages (reminders, prompts, digests) are written here first, with
/// an idempotency key unique per workspace, and sent by <see cref="OutboxDispatcher"/>. Enqueueing a
/// key twice keeps the first message. The outcome of each send is recorded through
/// <see cref="GroupCommit"/>: a fan-out records hundreds a second, and concurrent records share one
/// commit (one fsync) instead of one each; each still returns only once it is durable.
/// </summary>
/// <remarks>
/// On PostgreSQL several instances share the table. Claims take turns (a transaction-scoped advisory
/// lock), and the claiming instance becomes the workspace's only sender (<c>outbox_senders</c>) for as
/// long as it holds claims there plus one lease: a platform's limits are per workspace, and each
/// instance paces only what it sends itself. A dead instance's claims and workspaces come free when its
/// lease runs out.
/// </remarks>
public sealed class OutboxStore(Database database, GroupCommit writes, ILogger<OutboxStore>? logger = null)
{
    private readonly ILogger _logger = logger ?? NullLogger<OutboxStore>.Instance;

    private const long ClaimLock = 0x436F6F72644F7574;   // "CoordOut": any number, the same in every instance

    /// <summary>This process, as the owner of claims and workspaces in the shared table.</summary>
    public string Instance { get; } = Guid.NewGuid().ToString("N");

    private const string Columns = "id, workspace_id, idempotency_key, platform, destination, payload, attempts, not_before, tried_at";

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
    /// Claims up to <paramref name="limit"/> due messages for <paramref name="lease"/>: first ones whose earlier
    /// claim expired (the instance holding it died), then pending ones whose time has come, each in the
    /// order of an index (no sort however many are due). A claimed message is invisible to other claims
    /// until it is marked or its lease runs out. On PostgreSQL, messages of a workspace another live
    /// instance sends for are left to it.
    /// A row whose payload cannot be read (corrupt, or written by a newer build during a rolling upgrade)
    /// is failed in the same transaction, with the reason, and logged once: it never comes back, and
    /// never keeps the rest of the batch from being sent.
    /// </summary>
    public async Task<IReadOnlyList<OutboxMessage>> ClaimDueAsync(DateTimeOffset now, TimeSpan lease, int limit, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var p = new { Now = Database.Stamp(now), Until = Database.Stamp(now + lease), Limit = limit, Me = Instance };
        var (others, locking) = ("", "");
        if (database.IsPostgres)
        {
            // Rows another transaction is updating (this instance recording an outcome) are skipped, never waited
            // for: a claim then only locks rows nobody else holds, and cannot deadlock with the recording.
            locking = " FOR UPDATE OF o SKIP LOCKED";
            await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@Key)", new { Key = ClaimLock }, tx);
            others = """
                 AND NOT EXISTS (SELECT 1 FROM outbox_senders s WHERE s.platform = o.platform AND s.workspace_id = o.workspace_id
                                 AND s.instance <> @Me AND s.held_until > @Now)
                """;
        }
        async Task<IEnumerable<ClaimRow>> DueAsync(string where, string order, int count) =>
            await connection.QueryAsync<ClaimRow>(
                $"SELECT {Columns} FROM outbox o WHERE {where}{others} ORDER BY {order} LIMIT @Limit{locking}", p with { Limit = count }, tx);
        var rows = (await DueAsync("status = 'sending' AND claimed_until <= @Now", "claimed_until, id", limit)).ToList();
        if (rows.Count < limit) rows.AddRange(await DueAsync("status = 'pending' AND not_before <= @Now", "not_before, id", limit - rows.Count));
        var claimed = new List<OutboxMessage>(rows.Count);
        var unreadable = new List<(ClaimRow Row, string Reason)>();
        foreach (var r in rows)
        {
            var (reply, problem) = Read(r.Payload);
            if (reply is not null)
                claimed.Add(new OutboxMessage(r.Id, r.WorkspaceId, r.IdempotencyKey, r.Platform, r.Destination,
                    reply, r.Attempts, Database.ParseStamp(r.NotBefore), r.TriedAt is not null));
            else
                unreadable.Add((r, problem!));
        }
        foreach (var (row, reason) in unreadable)
            await connection.ExecuteAsync("""
                UPDATE outbox SET status = 'failed', attempts = attempts + 1, claimed_until = NULL, last_error = @Error, failed_at = @Now
                WHERE id = @Id
                """, new { row.Id, Error = reason, p.Now }, tx);
        rows.RemoveAll(r => unreadable.Any(u => u.Row.Id == r.Id));
        if (rows.Count > 0)
        {
            await connection.ExecuteAsync($"UPDATE outbox SET status = 'sending', claimed_until = @Until WHERE {database.Dialect.In("id", "Ids")}",
                new { p.Until, Ids = rows.Select(r => r.Id).ToArray() }, tx);
            if (database.IsPostgres)
            {
                var workspaces = rows.Select(r => (r.Platform, r.WorkspaceId)).Distinct().Order().ToList();   // one lock order for all
                await connection.ExecuteAsync("""
                    INSERT INTO outbox_senders (platform, workspace_id, instance, held_until)
                    SELECT platform, workspace_id, @Me, @Until FROM unnest(@Platforms, @Workspaces) AS w(platform, workspace_id)
                    ON CONFLICT (platform, workspace_id) DO UPDATE SET instance = excluded.instance, held_until = excluded.held_until
                    """, new { p.Me, p.Until, Platforms = workspaces.Select(w => w.Platform).ToArray(), Workspaces = workspaces.Select(w => w.WorkspaceId).ToArray() }, tx);
            }
        }
        await tx.CommitAsync(ct);
        foreach (var (row, reason) in unreadable)
            _logger.LogError("Outbox message {Id} ({Platform}, workspace {Workspace}) failed for good: {Reason}", row.Id, row.Platform, row.WorkspaceId, reason);
        return claimed;
    }

    /// <summary>A stored payload as a reply, or why it cannot be one (never the payload's text: it may hold user data).</summary>
    private static (Reply? Reply, string? Problem) Read(string payload)
    {
        try
        {
            return (ReplyJson.Deserialize(payload), null);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or ArgumentException or FormatException)
        {
            var detail = e is JsonException { Path: { Length: > 1 } path } ? $" at {path}" : "";
            var kind = e.Message.Contains("discriminator", StringComparison.OrdinalIgnoreCase) ? "a block type this version does not know" : "not a valid reply";
            return (null, $"payload could not be read: {kind}{detail}");
        }
    }

    /// <summary>
    /// Records, durably, that a try of the message begins: should this instance die before the outcome is
    /// recorded, the next claim carries <see cref="OutboxMessage.MaybeSent"/>.
    /// </summary>
    public Task MarkTryingAsync(long id, DateTimeOffset now, CancellationToken ct = default) =>
        writes.WriteAsync((connection, tx) => connection.ExecuteAsync(
            "UPDATE outbox SET tried_at = @At WHERE id = @Id AND tried_at IS NULL", new { Id = id, At = Database.Stamp(now) }, tx), ct);

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
    public Task MarkFailedAsync(long id, string error, DateTimeOffset now, CancellationToken ct = default) =>
        writes.WriteAsync((connection, tx) => connection.ExecuteAsync(
            "UPDATE outbox SET status = 'failed', attempts = attempts + 1, claimed_until = NULL, last_error = @Error, failed_at = @At WHERE id = @Id",
            new { Id = id, Error = error, At = Database.Stamp(now) }, tx), ct);

    /// <summary>A message the outbox gave up on: when, and why.</summary>
    public sealed record Failure(string Key, string Platform, string Destination, DateTimeOffset FailedAt, string? Reason);

    /// <summary>The workspace's messages that failed for good since <paramref name="since"/>, newest first, and how many there are in all.</summary>
    public async Task<(IReadOnlyList<Failure> Failures, int Total)> FailedSinceAsync(string workspaceId, DateTimeOffset since, int limit, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        var p = new { Workspace = workspaceId, Since = Database.Stamp(since), Limit = limit };
        var rows = await connection.QueryAsync<(string IdempotencyKey, string Platform, string Destination, string FailedAt, string? LastError)>("""
            SELECT idempotency_key, platform, destination, failed_at, last_error FROM outbox
            WHERE workspace_id = @Workspace AND status = 'failed' AND failed_at >= @Since
            ORDER BY failed_at DESC, id DESC LIMIT @Limit
            """, p);
        var total = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM outbox WHERE workspace_id = @Workspace AND status = 'failed' AND failed_at >= @Since", p);
        return (rows.Select(r => new Failure(r.IdempotencyKey, r.Platform, r.Destination, Database.ParseStamp(r.FailedAt), r.LastError)).ToList(), (int)total);
    }

    /// <summary>
    /// Puts a message back for <paramref name="retryAt"/> without counting an attempt: the platform
    /// asked us to slow down (429, or our own pacing), or an earlier message to the same destination
    /// has to go first. Pacing never uses up <see cref="OutboxOptions.MaxAttempts"/>.
    /// </summary>
    /// <remarks><paramref name="forgetTry"/>: the try delivered nothing (and no earlier one may have), so the next is not <see cref="OutboxMessage.MaybeSent"/>.</remarks>
    public Task DeferAsync(long id, DateTimeOffset retryAt, string reason, CancellationToken ct = default, bool forgetTry = false) =>
        writes.WriteAsync((connection, tx) => connection.ExecuteAsync($"""
            UPDATE outbox SET status = 'pending', not_before = @RetryAt, claimed_until = NULL, last_error = @Reason{(forgetTry ? ", tried_at = NULL" : "")}
            WHERE id = @Id AND status = 'sending'
            """, new { Id = id, RetryAt = Database.Stamp(retryAt), Reason = reason }, tx), ct);

    /// <summary>
    /// Extends the claim of messages this instance still holds (waiting for their turn) to <paramref name="until"/>; on
    /// PostgreSQL also its place as the only sender of their workspaces and of <paramref name="workspaces"/>.
    /// </summary>
    public async Task RenewClaimsAsync(IReadOnlyCollection<long> ids, IReadOnlyCollection<(string Platform, string WorkspaceId)> workspaces,
        DateTimeOffset until, CancellationToken ct = default)
    {
        if (ids.Count == 0 && workspaces.Count == 0) return;
        await using var connection = await database.OpenAsync(ct);
        var stamp = Database.Stamp(until);
        foreach (var chunk in ids.Chunk(500))
        {
            var p = new { Until = stamp, Ids = chunk };
            if (!database.IsPostgres)
            {
                await connection.ExecuteAsync($"UPDATE outbox SET claimed_until = @Until WHERE status = 'sending' AND {database.Dialect.In("id", "Ids")}", p);
                continue;
            }
            // A row being recorded right now is skipped rather than waited for (waiting, with the recording's
            // transaction wanting a row this statement holds, would deadlock); the next renewal takes it.
            await connection.ExecuteAsync("""
                UPDATE outbox SET claimed_until = @Until
                WHERE id IN (SELECT id FROM outbox WHERE id = ANY(@Ids) AND status = 'sending' ORDER BY id FOR UPDATE SKIP LOCKED)
                """, p);
        }
        if (!database.IsPostgres) return;
        var mine = (await connection.QueryAsync<(string, string)>(
                "SELECT DISTINCT platform, workspace_id FROM outbox WHERE id = ANY(@Ids)", new { Ids = ids.ToArray() }))
            .Concat(workspaces).Distinct().Order().ToList();
        await connection.ExecuteAsync("""
            UPDATE outbox_senders SET held_until = @Until
            WHERE (platform, workspace_id) IN (
                SELECT s.platform, s.workspace_id FROM outbox_senders s JOIN unnest(@Platforms, @Workspaces) AS w(platform, workspace_id)
                    ON w.platform = s.platform AND w.workspace_id = s.workspace_id
                WHERE s.instance = @Me AND s.held_until < @Until
                ORDER BY s.platform, s.workspace_id FOR UPDATE OF s SKIP LOCKED)
            """, new { Until = stamp, Me = Instance, Platforms = mine.Select(w => w.Item1).ToArray(), Workspaces = mine.Select(w => w.Item2).ToArray() });
    }

    /// <summary>Hands back claims that were never tried, and the workspaces this instance sends for (it is stopping), so they need not wait out their lease.</summary>
    public async Task ReleaseClaimsAsync(IReadOnlyCollection<long> ids, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        if (database.IsPostgres)
            await connection.ExecuteAsync("DELETE FROM outbox_senders WHERE instance = @Me", new { Me = Instance });
        foreach (var chunk in ids.Chunk(500))
            await connection.ExecuteAsync($"UPDATE outbox SET status = 'pending', claimed_until = NULL WHERE status = 'sending' AND {database.Dialect.In("id", "Ids")}",
                new { Ids = chunk });
    }

    /// <summary>Every workspace's messages due and not sent yet, and the due time of the oldest of them (null when there are none).</summary>
    public sealed record Backlog(long Count, DateTimeOffset? OldestDue);

    /// <summary>
    /// The backlog across all workspaces (operators' totals: docs/observability.md): messages due by
    /// <paramref name="now"/> and not sent, and those claimed and being sent. Each part reads an index range.
    /// </summary>
    public async Task<Backlog> BacklogAsync(DateTimeOffset now, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        var row = await connection.QuerySingleAsync<(long Due, long Sending, string? OldestDue, string? OldestSending)>("""
            SELECT (SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND not_before <= @Now) AS due,
                   (SELECT COUNT(*) FROM outbox WHERE status = 'sending') AS sending,
                   (SELECT MIN(not_before) FROM outbox WHERE status = 'pending' AND not_before <= @Now) AS oldest_due,
                   (SELECT MIN(not_before) FROM outbox WHERE status = 'sending') AS oldest_sending
            """, new { Now = Database.Stamp(now) });
        DateTimeOffset? oldest = null;
        foreach (var stamp in new[] { row.OldestDue, row.OldestSending })
            if (stamp is not null && Database.ParseStamp(stamp) is var at && (oldest is null || at < oldest)) oldest = at;
        return new Backlog(row.Due + row.Sending, oldest);
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
