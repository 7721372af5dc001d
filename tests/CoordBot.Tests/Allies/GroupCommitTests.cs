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

    [Fact]
    public async Task A_write_that_fires_triggers_keeps_its_statement_journal_in_memory_not_in_a_temporary_file()
    {
        // Inside a group's transaction SQLite journals each statement that fires triggers (so it can undo that statement
        // alone); past 64 KiB that journal spilled to a new file in /var/tmp, once per commit, unless temp_store is MEMORY.
        Assert.SkipWhen(_db.IsPostgres, "SQLite only: its temporary storage");
        await using var database = new Database(_db.Options);
        await new Migrator(database, TimeProvider.System, NullLogger<Migrator>.Instance).ApplyAsync();
        await using (var setup = await database.OpenAsync())
            await setup.ExecuteAsync("""
                CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE, edits INTEGER NOT NULL DEFAULT 0);
                CREATE TABLE note_log (note_id INTEGER, at TEXT);
                CREATE TRIGGER notes_logged AFTER UPDATE ON notes BEGIN INSERT INTO note_log VALUES (new.id, 'now'); END;
                """);

        static async Task<int> TemporaryFilesDuringAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction tx)
        {
            await connection.ExecuteAsync("DELETE FROM notes", transaction: tx);
            for (var i = 0; i < 200; i++)
                await connection.ExecuteAsync("INSERT INTO notes (body) VALUES (@Body)", new { Body = $"{i}:" + new string('x', 2_000) }, tx);
            await connection.ExecuteAsync("UPDATE notes SET edits = edits + 1, body = body || '.'", transaction: tx);   // 200 rows, each firing the trigger
            return Directory.GetFiles("/proc/self/fd").Count(fd => new FileInfo(fd).LinkTarget?.Contains("etilqs_", StringComparison.Ordinal) == true);
        }

        // The control: the same write on a connection with SQLite's default file temp storage spills to a file.
        await using (var plain = new SqliteConnection(_db.Options.ConnectionString))
        {
            await plain.OpenAsync();
            await plain.ExecuteAsync("PRAGMA temp_store=FILE");
            await using var tx = await plain.BeginTransactionAsync();
            Assert.True(await TemporaryFilesDuringAsync(plain, tx) > 0, "with temp_store=FILE the write should spill its statement journal to a file");
        }

        var writes = new GroupCommit(database);
        Assert.Equal(0, await writes.WriteAsync(TemporaryFilesDuringAsync));
        await writes.DisposeAsync();
    }

    public void Dispose() => _db.Dispose();
}
