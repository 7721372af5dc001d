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
        builder.UseSetting("Storage:ConnectionString", Database.ConnectionString);
        builder.UseSetting("Outbox:PollInterval", "00:00:00.100");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
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

/// <summary>A fresh SQLite file in a temp folder, deleted at the end of the test.</summary>
public sealed class TestDatabase : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "coordbot-tests", Guid.NewGuid().ToString("N"));

    public TestDatabase()
    {
        Directory.CreateDirectory(_folder);
        FilePath = Path.Combine(_folder, "coordbot.db");
    }

    public string FilePath { get; }
    public string ConnectionString => $"Data Source={FilePath}";
    public StorageOptions Options => new() { ConnectionString = ConnectionString };

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
