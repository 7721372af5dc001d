using System.Diagnostics;
using System.Globalization;
using CoordBot.Chat;
using CoordBot.Data;
using CoordBot.Outbox;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CoordBot.Benchmarks;

/// <summary>
/// The outbox's claim at fan-out size: 10,000 due messages (100 workspaces × 100), claimed 500 at a time
/// as the dispatcher does, on SQLite or (with --postgres) a fresh schema of a PostgreSQL server. Each
/// round puts every row back to pending and claims them all again; half the rounds leave half the rows
/// as expired claims, the other kind of due row.
/// </summary>
public static class ClaimBench
{
    /// <summary>
    /// For comparison (--one-query): the claim as it was before migration 13, one query over both kinds of due
    /// row, which sorts every due row for each claim. It reads the same columns and updates the same way.
    /// </summary>
    private static async Task<int> OneQueryClaimAsync(Database database, DateTimeOffset now, TimeSpan lease, int limit)
    {
        await using var connection = await database.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        var rows = (await connection.QueryAsync<(long Id, string Workspace, string Key, string Platform, string Destination, string Payload, int Attempts, string NotBefore)>($"""
            SELECT id, workspace_id, idempotency_key, platform, destination, payload, attempts, not_before FROM outbox
            WHERE (status = 'pending' AND not_before <= @Now) OR (status = 'sending' AND claimed_until <= @Now)
            ORDER BY not_before, id LIMIT @Limit{(database.IsPostgres ? " FOR UPDATE SKIP LOCKED" : "")}
            """, new { Now = Database.Stamp(now), Limit = limit }, tx)).AsList();
        if (rows.Count > 0)
            await connection.ExecuteAsync($"UPDATE outbox SET status = 'sending', claimed_until = @Until WHERE {database.Dialect.In("id", "Ids")}",
                new { Until = Database.Stamp(now + lease), Ids = rows.Select(r => r.Id).ToArray() }, tx);
        await tx.CommitAsync();
        foreach (var row in rows) ReplyJson.Deserialize(row.Payload);
        return rows.Count;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        string? Value(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var rows = int.Parse(Value("--rows") ?? "10000", CultureInfo.InvariantCulture);
        var rounds = int.Parse(Value("--rounds") ?? "10", CultureInfo.InvariantCulture);
        var folder = Directory.CreateTempSubdirectory("coordbot-claims-").FullName;
        var schema = $"claims_{Guid.NewGuid():N}";
        var server = Value("--postgres");
        if (server is not null)
        {
            await using var setup = new Npgsql.NpgsqlConnection(server);
            await setup.ExecuteAsync($"CREATE SCHEMA {schema}");
        }
        var storage = server is null
            ? new StorageOptions { ConnectionString = $"Data Source={Path.Combine(folder, "coordbot.db")}" }
            : new StorageOptions { Provider = "postgres", ConnectionString = new Npgsql.NpgsqlConnectionStringBuilder(server) { SearchPath = schema }.ToString() };
        try
        {
            await using var provider = new ServiceCollection().AddLogging(b => b.SetMinimumLevel(LogLevel.Warning)).AddCoordBot(storage).BuildServiceProvider();
            await provider.GetRequiredService<Migrator>().ApplyAsync();
            var store = provider.GetRequiredService<OutboxStore>();
            var database = provider.GetRequiredService<Database>();
            var now = new DateTimeOffset(2027, 2, 1, 9, 0, 0, TimeSpan.Zero);
            var reply = Reply.Say("Weekly check-in: Vets, 2027-W05");
            for (var i = 0; i < rows; i++)
                await store.EnqueueAsync($"T{i % 100:D3}", $"checkin-prompt:I1:2027-W05:U{i:D5}", "slack", $"U{i:D5}", reply, now, now);
            // Some history: a week of sent rows ahead of the due ones.
            await using (var connection = await database.OpenAsync())
                await connection.ExecuteAsync("""
                    INSERT INTO outbox (workspace_id, idempotency_key, platform, destination, payload, status, not_before, created_at, sent_at)
                    SELECT workspace_id, 'old:' || idempotency_key, platform, destination, payload, 'sent', not_before, created_at, created_at FROM outbox
                    """);

            var times = new List<double>();
            var lease = TimeSpan.FromMinutes(2);
            for (var round = 0; round < rounds; round++)
            {
                await using (var connection = await database.OpenAsync())
                {
                    await connection.ExecuteAsync("UPDATE outbox SET status = 'pending', claimed_until = NULL WHERE idempotency_key NOT LIKE 'old:%'");
                    if (round % 2 == 1)   // half of them claimed by an instance that died
                        await connection.ExecuteAsync("UPDATE outbox SET status = 'sending', claimed_until = @At WHERE idempotency_key NOT LIKE 'old:%' AND id % 2 = 0",
                            new { At = Database.Stamp(now - lease) });
                }
                var clock = Stopwatch.StartNew();
                var claimed = 0;
                if (args.Contains("--one-query"))
                    while (await OneQueryClaimAsync(database, now, lease, 500) is > 0 and var n) claimed += n;
                else
                    while (await store.ClaimDueAsync(now, lease, 500) is { Count: > 0 } batch) claimed += batch.Count;
                times.Add(clock.Elapsed.TotalMilliseconds);
                if (claimed != rows) throw new InvalidOperationException($"claimed {claimed} of {rows}");
            }
            times.Sort();
            Console.WriteLine($"{(server is null ? "SQLite" : "PostgreSQL")}{(args.Contains("--one-query") ? " (one query, sorted)" : "")}: claiming {rows:N0} due rows 500 at a time (and {rows:N0} sent ones in the table), {rounds} rounds: " +
                              $"median {times[times.Count / 2]:0} ms, min {times[0]:0} ms, max {times[^1]:0} ms ({times[times.Count / 2] / Math.Ceiling(rows / 500.0):0.0} ms a claim)");
            return 0;
        }
        finally
        {
            if (server is not null)
            {
                Npgsql.NpgsqlConnection.ClearAllPools();
                await using var cleanup = new Npgsql.NpgsqlConnection(server);
                await cleanup.ExecuteAsync($"DROP SCHEMA IF EXISTS {schema} CASCADE");
            }
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
