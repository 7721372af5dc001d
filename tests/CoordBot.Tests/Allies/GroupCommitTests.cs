using CoordBot.Data;
using CoordBot.Tests.Support;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace CoordBot.Tests.Allies;

/// <summary>Group commit: concurrent writes share transactions, a failing one is undone alone, every acknowledged one is on disk.</summary>
public sealed class GroupCommitTests : IDisposable
{
    private readonly TestDatabase _db = new();

    [Fact]
    public async Task Concurrent_writes_all_land_and_a_failing_one_is_undone_alone()
    {
        var database = new Database(_db.Options);
        await new Migrator(database, TimeProvider.System, NullLogger<Migrator>.Instance).ApplyAsync();
        var writes = new GroupCommit(database);
        var tasks = Enumerable.Range(0, 300).Select(i => Task.Run(() => writes.WriteAsync(async (connection, tx) =>
        {
            await connection.ExecuteAsync("INSERT INTO workspaces (workspace_id, platform, created_at) VALUES (@Id, 'local', 'now')", new { Id = $"W{i}" }, tx);
            if (i % 50 == 7) throw new InvalidOperationException($"write {i} refused");
            return i;
        }))).ToList();
        foreach (var (task, i) in tasks.Select((t, i) => (t, i)))
        {
            if (i % 50 == 7) Assert.Equal($"write {i} refused", (await Assert.ThrowsAsync<InvalidOperationException>(() => task)).Message);
            else Assert.Equal(i, await task);
        }
        await writes.DisposeAsync();

        // Read back through a fresh connection: the 294 acknowledged writes, none of the 6 refused ones.
        SqliteConnection.ClearAllPools();
        await using var fresh = new Database(_db.Options);
        await using var check = await fresh.OpenAsync();
        var ids = (await check.QueryAsync<string>("SELECT workspace_id FROM workspaces")).ToHashSet();
        Assert.Equal(294, ids.Count);
        Assert.DoesNotContain("W7", ids);
        Assert.Contains("W8", ids);
    }

    [Fact]
    public async Task A_group_with_a_failing_write_runs_again_with_savepoints_and_commits_each_other_write_once()
    {
        var database = new Database(_db.Options);
        await new Migrator(database, TimeProvider.System, NullLogger<Migrator>.Instance).ApplyAsync();
        var writes = new GroupCommit(database);
        var runs = new int[40];
        // Held until all forty are queued, so they land in one or two groups with the failing one among them.
        var gate = new TaskCompletionSource();
        var first = writes.WriteAsync(async (connection, tx) => { await gate.Task; return -1; });
        var tasks = Enumerable.Range(0, 40).Select(i => writes.WriteAsync(async (connection, tx) =>
        {
            Interlocked.Increment(ref runs[i]);
            await connection.ExecuteAsync("INSERT INTO workspaces (workspace_id, platform, created_at) VALUES (@Id, 'local', 'now')", new { Id = $"G{i}" }, tx);
            if (i == 20) await connection.ExecuteAsync("INSERT INTO workspaces (workspace_id, platform, created_at) VALUES ('G0', 'local', 'now')", transaction: tx);
            return i;
        })).ToList();
        gate.SetResult();
        Assert.Equal(-1, await first);
        for (var i = 0; i < 40; i++)
        {
            if (i == 20) await Assert.ThrowsAnyAsync<Exception>(() => tasks[i]);   // G0 twice: the primary key refuses the second
            else Assert.Equal(i, await tasks[i]);
        }
        await writes.DisposeAsync();

        Assert.Contains(runs, r => r == 2);   // the straight run was rolled back and the group ran again
        await using var check = await database.OpenAsync();
        var ids = (await check.QueryAsync<string>("SELECT workspace_id FROM workspaces WHERE workspace_id LIKE 'G%'")).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 40).Where(i => i != 20).Select(i => $"G{i}").Order(), ids);   // each once, and none of write 20's
        await database.DisposeAsync();
    }

    public void Dispose() => _db.Dispose();
}
