using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace CoordBot.Data;

/// <summary>
/// A connection lent by <see cref="Database.LeaseAsync"/>; disposing it gives it back. On SQLite it is one of the connections
/// the database keeps open, with the statements run on it prepared once and kept (<see cref="Database.Statement"/>); on
/// PostgreSQL it is a connection from Npgsql's pool, as <see cref="Database.OpenAsync"/> gives.
/// </summary>
public sealed class Lease : IAsyncDisposable
{
    private readonly KeptConnections? _keeper;
    private bool _broken;

    internal Lease(DbConnection connection, KeptConnections? keeper)
    {
        Connection = connection;
        _keeper = keeper;
    }

    public DbConnection Connection { get; }

    /// <summary>Closes the connection instead of keeping it (after an error that may have left it in a transaction).</summary>
    public void Break() => _broken = true;

    public ValueTask DisposeAsync()
    {
        if (_keeper is not null && !_broken && _keeper.TryKeep(Connection)) return ValueTask.CompletedTask;
        return Connection.DisposeAsync();
    }
}

/// <summary>
/// A command to run, with its parameters set by name. From a kept SQLite connection (<see cref="Lease"/>) it is the
/// connection's own prepared command for that SQL, reused the next time the same SQL runs there (SQLite then skips
/// parsing and planning it); otherwise a new command that <see cref="Dispose"/> disposes.
/// </summary>
public readonly struct Statement : IDisposable
{
    private readonly bool _owned;

    internal Statement(DbCommand command, bool owned)
    {
        Command = command;
        _owned = owned;
    }

    public DbCommand Command { get; }

    public Statement Set(string name, string? value) => Set(name, value, DbType.String);

    public Statement Set(string name, long value) => Set(name, value, DbType.Int64);

    public Statement Set(string name, long? value) => Set(name, value, DbType.Int64);

    public Statement Set(string name, int value) => Set(name, value, DbType.Int32);

    public Statement Set(string name, int? value) => Set(name, value, DbType.Int32);

    /// <summary>
    /// Sets a parameter's value, typed as Dapper types it (so a null has a type on PostgreSQL too). The parameter is named
    /// with its <c>@</c>, as the SQL spells it: Microsoft.Data.Sqlite looks a bare name up in the statement once more with
    /// each prefix, on every execution.
    /// </summary>
    private Statement Set(string name, object? value, DbType type)
    {
        var parameter = Find(Command.Parameters, name);
        if (parameter is null)
        {
            parameter = Command.CreateParameter();
            parameter.ParameterName = "@" + name;
            Command.Parameters.Add(parameter);
        }
        parameter.DbType = type;
        parameter.Value = value ?? DBNull.Value;
        return this;
    }

    private static DbParameter? Find(DbParameterCollection parameters, string name)
    {
        for (var i = 0; i < parameters.Count; i++)
        {
            var parameter = parameters[i];
            var named = parameter.ParameterName;
            if (named.Length == name.Length + 1 && named[0] == '@' && named.AsSpan(1).SequenceEqual(name)) return parameter;
        }
        return null;
    }

    public async Task<int> ExecuteAsync(CancellationToken ct = default) => await Command.ExecuteNonQueryAsync(ct);

    public async Task<long?> ScalarInt64Async(CancellationToken ct = default) =>
        await Command.ExecuteScalarAsync(ct) is { } value and not DBNull ? Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) : null;

    public Task<DbDataReader> ReaderAsync(CancellationToken ct = default) => Command.ExecuteReaderAsync(ct);

    public void Dispose()
    {
        if (_owned) Command.Dispose();
    }
}

/// <summary>
/// SQLite connections kept open between uses, each with its prepared commands by SQL text. Preparing (parsing and
/// planning) a statement cost about as much as running it for CoordBot's small indexed queries, and Microsoft.Data.Sqlite
/// drops a command's prepared statements when its connection closes (even into its pool), so the busiest paths
/// (<c>ally list</c>, <c>ally add</c>, group commits) run on these instead. A kept connection holds no transaction
/// or snapshot between uses: every statement's reader is reset when done, so checkpoints and writers never wait on it.
/// </summary>
internal sealed class KeptConnections(int max)
{
    /// <summary>Most prepared commands one connection keeps; statements past it are prepared for one use (filter combinations are few).</summary>
    private const int MaxStatements = 64;

    private readonly ConcurrentBag<SqliteConnection> _idle = [];
    private readonly ConditionalWeakTable<DbConnection, Dictionary<string, SqliteCommand>> _statements = new();
    private int _idleCount;
    private bool _closed;

    public SqliteConnection? TryTake()
    {
        if (!_idle.TryTake(out var connection)) return null;
        Interlocked.Decrement(ref _idleCount);
        return connection;
    }

    public void Adopt(SqliteConnection connection) => _statements.Add(connection, new Dictionary<string, SqliteCommand>(StringComparer.Ordinal));

    /// <summary>Keeps a connection for the next lease; false when enough are kept already, or the database is disposed (the caller closes it).</summary>
    public bool TryKeep(DbConnection connection)
    {
        if (Volatile.Read(ref _closed) || connection is not SqliteConnection sqlite || sqlite.State != ConnectionState.Open) return false;
        if (Interlocked.Increment(ref _idleCount) > max)
        {
            Interlocked.Decrement(ref _idleCount);
            return false;
        }
        _idle.Add(sqlite);
        return true;
    }

    /// <summary>The connection's prepared command for this SQL (prepared now on first use), or null when the connection is not a kept one.</summary>
    public SqliteCommand? Prepared(DbConnection connection, string sql)
    {
        if (!_statements.TryGetValue(connection, out var commands)) return null;
        if (commands.TryGetValue(sql, out var command)) return command;
        if (commands.Count >= MaxStatements) return null;
        command = ((SqliteConnection)connection).CreateCommand();
        command.CommandText = sql;
        command.Prepare();
        commands[sql] = command;
        return command;
    }

    public async ValueTask CloseAllAsync()
    {
        Volatile.Write(ref _closed, true);
        while (_idle.TryTake(out var connection)) await connection.DisposeAsync();
    }
}
