using System.Net.Http.Json;
using System.Text.Json;
using CoordBot.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CoordBot.Tests.Support;

/// <summary>
/// The real host (Program.cs) on Kestrel on a loopback port, over a real SQLite file that outlives
/// the host, so a test can stop it and start another on the same file.
/// </summary>
public sealed class TestHost : WebApplicationFactory<Program>
{
    private readonly Action<IServiceCollection>? _services;
    private readonly Dictionary<string, string?> _settings;

    public TestHost(TestDatabase database, Action<IServiceCollection>? services = null, Dictionary<string, string?>? settings = null)
    {
        Database = database;
        _services = services;
        _settings = settings ?? [];
        // UseKestrel(port) races the app's own start-up (dotnet/aspnetcore#67714); the listener is configured below instead.
        UseKestrel();
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseAddress = new Uri(addresses.First());
        Http = new HttpClient { BaseAddress = BaseAddress };
    }

    public TestDatabase Database { get; }
    public Uri BaseAddress { get; }
    public HttpClient Http { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0));
        builder.UseSetting("Storage:Provider", Database.Provider);
        builder.UseSetting("Storage:ConnectionString", Database.ConnectionString);
        builder.UseSetting("Outbox:PollInterval", "00:00:00.100");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        builder.ConfigureLogging(TestErrorLog.AddTo);
        if (_services is not null) builder.ConfigureServices(_services);
    }

    /// <summary>A local chat user talking to this host over HTTP.</summary>
    public ChatUser User(string name) => new(Http, name);

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public override async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await base.DisposeAsync();
    }
}

/// <summary>
/// A fresh database for one test: a SQLite file in a temp folder, or, in the PostgreSQL leg, a schema
/// of its own on the server named by <c>COORDBOT_TEST_POSTGRES</c> (a connection string). Dropped at the end.
/// </summary>
public sealed class TestDatabase : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "coordbot-tests", Guid.NewGuid().ToString("N"));
    private readonly string? _schema;

    public TestDatabase()
    {
        if (PostgresLeg.Server is { } server)
        {
            PostgresLeg.SkipUnlessReachable();
            _schema = "t_" + Guid.NewGuid().ToString("N");
            PostgresLeg.Execute(server, $"CREATE SCHEMA {_schema}");
            ConnectionString = new Npgsql.NpgsqlConnectionStringBuilder(server) { SearchPath = _schema }.ToString();
            Provider = "postgres";
            FilePath = "";
            return;
        }
        Directory.CreateDirectory(_folder);
        FilePath = Path.Combine(_folder, "coordbot.db");
        ConnectionString = $"Data Source={FilePath}";
        Provider = "sqlite";
    }

    public string FilePath { get; }
    public string ConnectionString { get; }
    public string Provider { get; }
    public bool IsPostgres => _schema is not null;
    public StorageOptions Options => new() { Provider = Provider, ConnectionString = ConnectionString };

    public void Dispose()
    {
        if (_schema is not null)
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            PostgresLeg.Execute(PostgresLeg.Server!, $"DROP SCHEMA IF EXISTS {_schema} CASCADE");
            return;
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// Whether these tests run on PostgreSQL: the PostgreSQL test project (the same tests, compiled with
/// POSTGRES_LEG) takes its server from <c>COORDBOT_TEST_POSTGRES</c>, default a server on loopback.
/// </summary>
public static class PostgresLeg
{
#if POSTGRES_LEG
    public const bool Enabled = true;
#else
    public const bool Enabled = false;
#endif

    public const string DefaultServer = "Host=127.0.0.1;Port=5432;Username=postgres;Password=postgres;Database=postgres;Timeout=5";

    /// <summary>The server's connection string in the PostgreSQL leg; null in the SQLite one.</summary>
    public static string? Server { get; } = !Enabled ? null
        : Environment.GetEnvironmentVariable("COORDBOT_TEST_POSTGRES") is { Length: > 0 } configured ? configured : DefaultServer;

    private static readonly Lazy<string?> Unreachable = new(() =>
    {
        try
        {
            Execute(Server!, "SELECT 1");
            return null;
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            var host = new Npgsql.NpgsqlConnectionStringBuilder(Server) { Password = null }.ToString();
            return $"PostgreSQL leg skipped: no PostgreSQL server reachable at {host} ({e.Message}). " +
                   "Start one on 127.0.0.1:5432 (user postgres, password postgres) or set COORDBOT_TEST_POSTGRES.";
        }
    });

    /// <summary>Why the PostgreSQL leg cannot run here (no server reachable), or null when it can (or this is the SQLite leg).</summary>
    public static string? UnreachableReason => Enabled ? Unreachable.Value : null;

    /// <summary>Skips the test, with the reason, when the server cannot be reached; under CI (CI set) that fails instead.</summary>
    public static void SkipUnlessReachable()
    {
        if (Unreachable.Value is not { } reason) return;
        if (Environment.GetEnvironmentVariable("CI") is { Length: > 0 }) throw new InvalidOperationException(reason.Replace("skipped", "cannot run under CI"));
        Xunit.Assert.Skip(reason);
    }

    public static void Execute(string server, string sql)
    {
        using var connection = new Npgsql.NpgsqlConnection(server);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
