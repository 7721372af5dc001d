using System.Data.Common;
using System.Threading.Channels;
using CoordBot.Telemetry;

namespace CoordBot.Data;

/// <summary>
/// Group commit: concurrent small writes share one transaction, so one fsync makes a whole group
/// durable instead of one each (with <c>synchronous=FULL</c> the fsync is most of a write's cost).
/// A group first runs straight through; if a write in it fails, that transaction is rolled back and the
/// group runs again with each write in its own savepoint, so the failing one is undone alone and its
/// caller gets the exception while the others commit (a write PostgreSQL picked as a deadlock's victim
/// is run again first). A write may therefore run more than once, but only one run is ever committed:
/// it must touch nothing but the database. A caller's task completes only after the commit, so nothing
/// is acknowledged before it is on disk.
/// </summary>
public sealed class GroupCommit : IAsyncDisposable
{
    /// <summary>Most writes one transaction takes; a queue longer than this is committed in several.</summary>
    public const int MaxGroup = 128;

    /// <summary>Tries of one write that PostgreSQL chose as a deadlock's victim (or could not serialise): it is run again.</summary>
    private const int MaxAttempts = 3;

    private static bool IsRetryable(Exception e) => e is Npgsql.PostgresException { SqlState: "40P01" or "40001" };

    private readonly Database _database;
    private readonly TimeProvider _time;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;

    /// <summary>When the current group's commit began (a <see cref="TimeProvider"/> timestamp); only the writer loop touches it.</summary>
    private long _committing;

    public GroupCommit(Database database, TimeProvider? time = null)
    {
        _database = database;
        _time = time ?? TimeProvider.System;
        _writer = Task.Run(WriteLoopAsync);
    }

    private sealed record Pending(Func<DbConnection, DbTransaction, Task<object?>> Work, TaskCompletionSource<object?> Done);

    /// <summary>Runs <paramref name="work"/> inside the next group's transaction; completes once that transaction is committed.</summary>
    public async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct = default)
    {
        var done = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Pending(async (c, t) => await work(c, t), done)))
            throw new ObjectDisposedException(nameof(GroupCommit));
        // The write is not cancelled once queued (it may already be in a transaction); only the wait is.
        return (T)(await done.Task.WaitAsync(ct))!;
    }

    private async Task WriteLoopAsync()
    {
        var group = new List<Pending>(MaxGroup);
        while (await _queue.Reader.WaitToReadAsync())
        {
            group.Clear();
            while (group.Count < MaxGroup && _queue.Reader.TryRead(out var next)) group.Add(next);
            await CommitAsync(group);
        }
    }

    private async Task CommitAsync(List<Pending> group)
    {
        var results = new (object? Value, Exception? Error)[group.Count];
        var started = _time.GetTimestamp();
        // A kept connection (Database.LeaseAsync): the savepoints and the writes' own statements stay prepared on it.
        await using var lease = await _database.LeaseAsync();
        try
        {
            if (!await StraightAsync(lease.Connection, group, results))
                await OneByOneAsync(lease.Connection, group, results);
            CoordBotTelemetry.GroupCommitted(group.Count, _time.GetElapsedTime(started, _committing), _time.GetElapsedTime(_committing));
        }
        catch (Exception e)
        {
            lease.Break();
            foreach (var pending in group) pending.Done.TrySetException(e);
            return;
        }
        for (var i = 0; i < group.Count; i++)
        {
            if (results[i].Error is { } error) group[i].Done.TrySetException(error);
            else group[i].Done.TrySetResult(results[i].Value);
        }
    }

    /// <summary>
    /// The group's writes one after the other in one transaction, committed when none fails; rolled back (false) when one
    /// does. Most groups pass here, without the two savepoint statements per write that <see cref="OneByOneAsync"/> pays.
    /// </summary>
    private async Task<bool> StraightAsync(DbConnection connection, List<Pending> group, (object? Value, Exception? Error)[] results)
    {
        await using var tx = await connection.BeginTransactionAsync();
        try
        {
            for (var i = 0; i < group.Count; i++) results[i] = (await group[i].Work(connection, tx), null);
        }
        catch (Exception)
        {
            await tx.RollbackAsync();
            return false;
        }
        _committing = _time.GetTimestamp();
        await tx.CommitAsync();
        return true;
    }

    /// <summary>The group again, each write in a savepoint: a failing one is undone alone (and a deadlock's victim tried again).</summary>
    private async Task OneByOneAsync(DbConnection connection, List<Pending> group, (object? Value, Exception? Error)[] results)
    {
        await using var tx = await connection.BeginTransactionAsync();
        for (var i = 0; i < group.Count; i++)
        {
            for (var attempt = 1; ; attempt++)
            {
                await RunAsync(connection, tx, "SAVEPOINT one_write");
                try
                {
                    results[i] = (await group[i].Work(connection, tx), null);
                    await RunAsync(connection, tx, "RELEASE one_write");
                    break;
                }
                catch (Exception e)
                {
                    results[i] = (null, e);
                    await RunAsync(connection, tx, "ROLLBACK TO one_write; RELEASE one_write");
                    if (attempt == MaxAttempts || !IsRetryable(e)) break;
                }
            }
        }
        _committing = _time.GetTimestamp();
        await tx.CommitAsync();
    }

    private async Task RunAsync(DbConnection connection, DbTransaction tx, string sql)
    {
        using var statement = _database.Statement(connection, sql, tx);
        await statement.ExecuteAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
    }
}
