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

    public void Dispose() => _db.Dispose();
}
