using System.Data.Common;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;

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
public sealed class Database : IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly NpgsqlDataSource? _postgres;

    public Database(StorageOptions options)
    {
        if (string.Equals(options.Provider, "postgres", StringComparison.OrdinalIgnoreCase))
        {
            // Plain TEXT/BIGINT columns and @name parameters: the same SQL as SQLite wherever possible.
            _postgres = NpgsqlDataSource.Create(options.ConnectionString);
            _connectionString = options.ConnectionString;
            Dialect = SqlDialect.Postgres;
            return;
        }
        if (!string.Equals(options.Provider, "sqlite", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"Storage:Provider '{options.Provider}' is not known; use 'sqlite' or 'postgres'.");
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
        _kept = new KeptConnections(MaxKept);
    }

    /// <summary>Most SQLite connections kept open for <see cref="LeaseAsync"/> while idle (more may be lent at once; those close when returned).</summary>
    public const int MaxKept = 16;

    private readonly KeptConnections? _kept;

    public SqlDialect Dialect { get; }

    /// <summary>True on PostgreSQL (several host instances may share the database).</summary>
    public bool IsPostgres => _postgres is not null;

    /// <summary>The connection string as configured (Quartz's job store uses the same database).</summary>
    public string ConnectionString => _connectionString;

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> Configured = new();
    private static readonly object Marker = new();

    /// <summary>The database file, when there is one.</summary>
    public string? FilePath { get; }

    /// <summary>
    /// Opens a connection. SQLite runs in WAL mode (set once by the migrator) with
    /// <c>synchronous=FULL</c>: a committed transaction survives a process crash and a power loss. Temporary storage
    /// (statement journals, sorts) stays in memory: an insert into <c>allies</c> fires triggers, so inside a group commit's
    /// transaction SQLite keeps a statement journal, and with file temp storage it spilled to a new file in /var/tmp
    /// on nearly every commit (created, written page by page, deleted).
    /// PostgreSQL connections come from Npgsql's pool; its commits are durable with the server's defaults.
    /// </summary>
    public async Task<DbConnection> OpenAsync(CancellationToken ct = default)
    {
        if (_postgres is not null) return await _postgres.OpenConnectionAsync(ct);
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        // Pooled connections keep their native handle, and pragmas stay set on it: set them once per handle.
        if (connection.Handle is { } handle && !Configured.TryGetValue(handle, out _))
        {
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000; PRAGMA temp_store=MEMORY;";
            await pragma.ExecuteNonQueryAsync(ct);
            Configured.AddOrUpdate(handle, Marker);
        }
        return connection;
    }

    /// <summary>
    /// Lends a connection for a few statements run through <see cref="Statement"/>: on SQLite one kept open with its prepared
    /// statements (see <see cref="KeptConnections"/>), on PostgreSQL one from the pool. Disposing the lease gives it back.
    /// </summary>
    public async ValueTask<Lease> LeaseAsync(CancellationToken ct = default)
    {
        if (_kept is null) return new Lease(await OpenAsync(ct), null);
        if (_kept.TryTake() is { } idle) return new Lease(idle, _kept);
        var connection = (SqliteConnection)await OpenAsync(ct);
        _kept.Adopt(connection);
        return new Lease(connection, _kept);
    }

    /// <summary>
    /// A command for <paramref name="sql"/> on <paramref name="connection"/>: on a leased SQLite connection its prepared one,
    /// reused the next time; otherwise a new one. Set its parameters with <see cref="Statement.Set(string, string)"/> and dispose it.
    /// </summary>
    public Statement Statement(DbConnection connection, string sql, DbTransaction? transaction = null)
    {
        if (_kept?.Prepared(connection, sql) is { } prepared)
        {
            prepared.Transaction = (SqliteTransaction?)transaction;
            return new Statement(prepared, owned: false);
        }
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return new Statement(command, owned: true);
    }

    public async ValueTask DisposeAsync()
    {
        if (_kept is not null) await _kept.CloseAllAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
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
public sealed record SqlDialect(string Name, string AllyFindSql, Func<IEnumerable<string>, string> FindQuery)
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
            """,
        FindQuery: FtsQuery);

    public static readonly SqlDialect Postgres = new(
        "postgres",
        // allies.search is a generated tsvector (simple configuration, accents folded) with a GIN index.
        AllyFindSql: """
            SELECT a.* FROM allies a
            WHERE a.workspace_id = @Workspace AND a.search @@ to_tsquery('simple', @Query)
            ORDER BY a.id DESC LIMIT @Limit OFFSET @Offset
            """,
        FindQuery: TsQuery);

    /// <summary>
    /// "column is one of the list parameter": Dapper expands <c>IN @List</c> on SQLite, while Npgsql takes the list
    /// as one array parameter (pass an array).
    /// </summary>
    public string In(string column, string parameter) => this == Postgres ? $"{column} = ANY(@{parameter})" : $"{column} IN @{parameter}";

    /// <summary>A day (<c>yyyy-MM-dd</c> text, as days are stored) plus a number of days, as the same text.</summary>
    public string DayPlus(string day, string days) => this == Postgres
        ? $"to_char(to_date({day}, 'YYYY-MM-DD') + ({days})::integer, 'YYYY-MM-DD')"
        : $"date({day}, '+' || ({days}) || ' days')";

    /// <summary>Turns user words into a safe FTS5 query: each word a quoted prefix term, all required.</summary>
    public static string FtsQuery(IEnumerable<string> words) =>
        string.Join(' ', words.Select(w => w.Replace("\"", "\"\"")).Where(w => w.Length > 0).Select(w => $"\"{w}\"*"));

    /// <summary>
    /// Turns user words into a safe PostgreSQL tsquery with FTS5's meaning: every word required as a prefix. A word is
    /// split into letter-or-digit runs as FTS5's unicode61 tokenizer splits it (a phrase of them), accents removed and
    /// lower-cased as the indexed text is; each token is a quoted lexeme, so no operator typed survives.
    /// </summary>
    public static string TsQuery(IEnumerable<string> words)
    {
        var terms = new List<string>();
        foreach (var word in words)
        {
            var tokens = Tokens(Fold(word)).Select(t => $"'{t}'").ToList();
            if (tokens.Count == 0) continue;
            tokens[^1] += ":*";
            terms.Add(tokens.Count == 1 ? tokens[0] : "(" + string.Join(" <-> ", tokens) + ")");
        }
        return string.Join(" & ", terms);
    }

    /// <summary>Lower case without accents, as the <c>coordbot_fold</c> SQL function folds indexed text.</summary>
    public static string Fold(string text)
    {
        var decomposed = text.ToLowerInvariant().Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
                sb.Append(c switch { 'đ' => 'd', 'ħ' => 'h', 'ı' => 'i', 'ŀ' or 'ł' => 'l', 'ø' => 'o', 'ŧ' => 't', _ => c });
        return sb.ToString().Normalize(NormalizationForm.FormC);
    }

    private static IEnumerable<string> Tokens(string text)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (inWord && start < 0) start = i;
            else if (!inWord && start >= 0)
            {
                yield return text[start..i];
                start = -1;
            }
        }
    }
}
