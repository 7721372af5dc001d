using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace CoordBot.Data;

/// <summary>Storage settings (section <c>Storage</c>).</summary>
public sealed record StorageOptions
{
    public string Provider { get; init; } = "sqlite";
    public string ConnectionString { get; init; } = "Data Source=data/coordbot.db";
}

/// <summary>
/// Opens connections to the one database CoordBot uses and knows its SQL dialect. Feature stores
/// ask it for connections and for the few statements whose SQL differs between databases.
/// </summary>
public sealed class Database
{
    private readonly string _connectionString;

    public Database(StorageOptions options)
    {
        if (!string.Equals(options.Provider, "sqlite", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"Storage:Provider '{options.Provider}' is not supported yet; use 'sqlite'.");
        var builder = new SqliteConnectionStringBuilder(options.ConnectionString);
        if (builder.Mode != SqliteOpenMode.Memory && !string.IsNullOrEmpty(builder.DataSource) && builder.DataSource != ":memory:")
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
            if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
            FilePath = Path.GetFullPath(builder.DataSource);
        }
        builder.ForeignKeys = true;
        builder.DefaultTimeout = 30;
        _connectionString = builder.ToString();
        Dialect = SqlDialect.Sqlite;
    }

    public SqlDialect Dialect { get; }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> Configured = new();
    private static readonly object Marker = new();

    /// <summary>The database file, when there is one.</summary>
    public string? FilePath { get; }

    /// <summary>
    /// Opens a connection. SQLite runs in WAL mode (set once by the migrator) with
    /// <c>synchronous=FULL</c>: a committed transaction survives a process crash and a power loss.
    /// </summary>
    public async Task<DbConnection> OpenAsync(CancellationToken ct = default)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        // Pooled connections keep their native handle, and pragmas stay set on it: set them once per handle.
        if (connection.Handle is { } handle && !Configured.TryGetValue(handle, out _))
        {
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;";
            await pragma.ExecuteNonQueryAsync(ct);
            Configured.AddOrUpdate(handle, Marker);
        }
        return connection;
    }

    /// <summary>Timestamps are stored as sortable UTC text with a fixed width.</summary>
    public static string Stamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static DateTimeOffset ParseStamp(string text) =>
        DateTimeOffset.ParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public static string Day(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static DateOnly ParseDay(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);
}

/// <summary>The statements whose SQL differs between SQLite and PostgreSQL.</summary>
public sealed record SqlDialect(string Name, string AllyFindSql)
{
    public static readonly SqlDialect Sqlite = new(
        "sqlite",
        // Newest first, in the index's own rowid order, so SQLite stops at the page instead of
        // scoring and sorting every match (a word in 10% of 100,000 allies took 40 ms by rank).
        // CROSS JOIN keeps the FTS index as the outer loop.
        AllyFindSql: """
            SELECT a.* FROM allies_fts f CROSS JOIN allies a ON a.id = f.rowid
            WHERE allies_fts MATCH @Query AND a.workspace_id = @Workspace
            ORDER BY f.rowid DESC LIMIT @Limit OFFSET @Offset
            """);

    /// <summary>Turns user words into a safe FTS5 query: each word a quoted prefix term, all required.</summary>
    public static string FtsQuery(IEnumerable<string> words) =>
        string.Join(' ', words.Select(w => w.Replace("\"", "\"\"")).Where(w => w.Length > 0).Select(w => $"\"{w}\"*"));
}
