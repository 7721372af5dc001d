using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Logging;

namespace CoordBot.Data;

/// <summary>A forward-only schema change. Applied once, in version order, inside a transaction.</summary>
public sealed record Migration(int Version, string Name, string Sqlite);

/// <summary>Applies pending migrations at start-up and puts SQLite in WAL mode.</summary>
public sealed class Migrator(Database database, TimeProvider time, ILogger<Migrator> logger)
{
    public async Task ApplyAsync(CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync("PRAGMA journal_mode=WAL;");
        await connection.ExecuteAsync("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)
            """);
        var applied = (await connection.QueryAsync<long>("SELECT version FROM schema_migrations")).ToHashSet();
        var latest = Migrations.All.Max(m => m.Version);
        if (applied.Count > 0 && applied.Max() > latest)
            throw new InvalidOperationException(
                $"The database is at schema version {applied.Max()}, newer than this build knows ({latest}). Run a newer CoordBot.");
        foreach (var migration in Migrations.All.OrderBy(m => m.Version).Where(m => !applied.Contains(m.Version)))
        {
            await using DbTransaction tx = await connection.BeginTransactionAsync(ct);
            await connection.ExecuteAsync(migration.Sqlite, transaction: tx);
            await connection.ExecuteAsync(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, @At)",
                new { migration.Version, migration.Name, At = Database.Stamp(time.GetUtcNow()) }, tx);
            await tx.CommitAsync(ct);
            logger.LogInformation("Applied migration {Version} {Name}", migration.Version, migration.Name);
        }
    }
}
