using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using CoordBot.Host.Local;
using CoordBot.Tests.Support;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace CoordBot.Tests.Host;

/// <summary>
/// Safe defaults: the local chat (no sign-in) never runs exposed by accident, the example configuration
/// ships it off, and the Data Protection key ring can be encrypted at rest with a certificate.
/// </summary>
public sealed class SafeDefaultsTests
{
    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "CoordBot.Host";
        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }

    private static LocalChannel Decide(string environment, params (string Key, string Value)[] settings) =>
        LocalChannel.Decide(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build(),
            new Environment(environment));

    [Theory]
    [InlineData("http://localhost:5080")]
    [InlineData("http://127.0.0.1:0")]
    [InlineData("http://[::1]:8080;http://localhost:8081")]
    [InlineData("")]   // ASP.NET Core's default is http://localhost:5000
    public void Outside_development_the_local_chat_runs_on_loopback_bindings(string urls)
    {
        var local = Decide("Production", ("Local:Enabled", "true"), ("urls", urls));
        Assert.Equal((true, null, null), (local.Enabled, local.Refusal, local.Warning));
    }

    [Theory]
    [InlineData("urls", "http://0.0.0.0:8080", "http://0.0.0.0:8080")]
    [InlineData("urls", "http://*:80", "http://*:80")]
    [InlineData("urls", "http://+:80", "http://+:80")]
    [InlineData("urls", "http://localhost:80;http://coordbot.example.org:80", "http://coordbot.example.org:80")]
    [InlineData("urls", "http://127.0.0.1.evil.example:80", "http://127.0.0.1.evil.example:80")]
    [InlineData("http_ports", "8080", "every interface, port 8080")]
    [InlineData("Kestrel:Endpoints:Web:Url", "http://[::]:80", "http://[::]:80")]
    public void Outside_development_an_exposed_local_chat_stops_the_host_unless_forced(string key, string value, string named)
    {
        var refused = Decide("Production", ("Local:Enabled", "true"), (key, value));
        Assert.False(refused.Enabled);
        Assert.Contains(named, refused.Refusal);
        Assert.Contains("Local:AllowNonLoopback=true", refused.Refusal);

        var forced = Decide("Staging", ("Local:Enabled", "true"), (key, value), ("Local:AllowNonLoopback", "true"));
        Assert.True(forced.Enabled);
        Assert.Null(forced.Refusal);
        Assert.Contains("anyone who reaches it acts as any user", forced.Warning);
    }

    [Fact]
    public void Development_runs_it_by_default_and_production_does_not()
    {
        Assert.True(Decide("Development", ("urls", "http://0.0.0.0:80")).Enabled);
        Assert.False(Decide("Production", ("urls", "http://0.0.0.0:80")).Enabled);
        Assert.Null(Decide("Production", ("urls", "http://0.0.0.0:80")).Refusal);
        Assert.False(Decide("Development", ("Local:Enabled", "false")).Enabled);
    }

    [Fact]
    public async Task A_production_host_asked_for_an_exposed_local_chat_does_not_start()
    {
        using var db = new TestDatabase();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => HostProcess.StartAsync("exposed", new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = "http://0.0.0.0:0",
            ["Local__Enabled"] = "true",
            ["Storage__Provider"] = db.Provider,
            ["Storage__ConnectionString"] = db.ConnectionString,
        }));
        Assert.Contains("exited before listening", error.Message);
        Assert.Contains("Local:AllowNonLoopback=true", error.Message);
    }

    [Fact]
    public async Task A_production_host_on_loopback_serves_the_local_chat_when_asked()
    {
        using var db = new TestDatabase();
        await using var host = await HostProcess.StartAsync("loopback", new Dictionary<string, string>
        {
            ["Local__Enabled"] = "true",
            ["Storage__Provider"] = db.Provider,
            ["Storage__ConnectionString"] = db.ConnectionString,
        });
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        var response = await http.PostAsJsonAsync("/local/messages", new { user = "alice", text = "coord help" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("ally", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public void The_example_configuration_ships_the_local_chat_off()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "CoordBot.sln"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("CoordBot.sln not found");
        using var example = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "appsettings.example.json")));
        Assert.False(example.RootElement.GetProperty("Local").GetProperty("Enabled").GetBoolean());
    }

    private static string Pfx(string folder, string password)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=CoordBot key ring", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var path = Path.Combine(folder, "keyring.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, password));
        return path;
    }

    private static string KeyXml(TestDatabase db)
    {
        if (db.IsPostgres) return "";   // the PostgreSQL leg keeps keys in the database; see the SQLite leg
        var keys = Path.Combine(Path.GetDirectoryName(db.FilePath)!, "keys");
        return string.Concat(Directory.GetFiles(keys, "*.xml").Select(File.ReadAllText));
    }

    [Fact]
    public async Task With_a_certificate_the_key_ring_is_encrypted_at_rest_and_still_read_after_a_restart()
    {
        using var db = new TestDatabase();
        if (db.IsPostgres) return;
        var pfx = Pfx(Path.GetDirectoryName(db.FilePath)!, "s3cret!");
        var settings = new Dictionary<string, string?> { ["DataProtection:CertificatePath"] = pfx, ["DataProtection:CertificatePassword"] = "s3cret!" };
        string protectedText;
        await using (var host = new TestHost(db, settings: settings))
            protectedText = host.Get<IDataProtectionProvider>().CreateProtector("test").Protect("xoxb-secret-token");

        var xml = KeyXml(db);
        Assert.Contains("<encryptedSecret", xml);
        Assert.DoesNotContain("<masterKey", xml);

        await using (var again = new TestHost(db, settings: settings))
            Assert.Equal("xoxb-secret-token", again.Get<IDataProtectionProvider>().CreateProtector("test").Unprotect(protectedText));
    }

    [Fact]
    public async Task Without_a_certificate_the_key_ring_is_plain_xml()
    {
        using var db = new TestDatabase();
        if (db.IsPostgres) return;
        await using (var host = new TestHost(db))
            host.Get<IDataProtectionProvider>().CreateProtector("test").Protect("xoxb-secret-token");
        var xml = KeyXml(db);
        Assert.Contains("<masterKey", xml);
        Assert.DoesNotContain("<encryptedSecret", xml);
    }

    [Fact]
    public void A_certificate_that_cannot_be_loaded_stops_the_host_with_the_key_named()
    {
        using var db = new TestDatabase();
        var error = Assert.ThrowsAny<Exception>(() => new TestHost(db, settings: new() { ["DataProtection:CertificatePath"] = "/nonexistent/keyring.pfx" }));
        Assert.Contains("DataProtection:CertificatePath", error.ToString());
    }
}
