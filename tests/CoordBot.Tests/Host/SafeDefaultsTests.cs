using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CoordBot.Host.Local;
using CoordBot.Slack;
using CoordBot.Tests.Support;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace CoordBot.Tests.Host;

/// <summary>Safe defaults through the real host: the local chat's exposure, proxy trust, the OAuth redirect and cookie, the key ring.</summary>
public sealed class SafeDefaultsTests
{
    private const string Production = "Production";

    private static Dictionary<string, string?> Settings(string environment, params (string Key, string? Value)[] extra)
    {
        var settings = new Dictionary<string, string?> { ["environment"] = environment };
        foreach (var (key, value) in extra) settings[key] = value;
        return settings;
    }

    // ---- The local chat ----

    [Fact]
    public void Local_chat_in_Production_on_a_non_loopback_address_refuses_to_start_naming_the_keys()
    {
        using var db = new TestDatabase();
        var error = Assert.ThrowsAny<Exception>(() => new TestHost(db, settings: Settings(Production, ("Local:Enabled", "true"), ("urls", "http://0.0.0.0:5080"))));
        var message = Innermost(error).Message;
        Assert.Contains("Local:Enabled", message);
        Assert.Contains("Local:AllowNonLoopback", message);
        Assert.Contains("http://0.0.0.0:5080", message);

        foreach (var exposed in new[] { "http://*:5080", "http://+:5080", "http://10.1.2.3:5080", "http://coordbot.example.org" })
            Assert.Contains(exposed, Refusal(db, ("urls", exposed)));
        // A container's ASPNETCORE_HTTP_PORTS listens on every interface; so does a Kestrel endpoint on [::].
        Assert.Contains("http://*:8080", Refusal(db, ("http_ports", "8080")));
        Assert.Contains("http://[::]:5080", Refusal(db, ("Kestrel:Endpoints:Web:Url", "http://[::]:5080")));
        // Refused before anything is served or written: not even the database file was created.
        Assert.True(db.IsPostgres || !File.Exists(db.FilePath));
    }

    private static string Refusal(TestDatabase db, (string Key, string? Value) listen)
    {
        var error = Assert.ThrowsAny<Exception>(() => new TestHost(db, settings: Settings(Production, ("Local:Enabled", "true"), listen)));
        var message = Innermost(error).Message;
        Assert.Contains("Local:AllowNonLoopback", message);
        return message;
    }

    [Theory]
    [InlineData("http://127.0.0.1:5080")]
    [InlineData("http://localhost:5080;http://[::1]:5081")]
    [InlineData("http://127.8.9.10:5080")]
    public async Task Local_chat_in_Production_on_loopback_is_on(string urls)
    {
        using var db = new TestDatabase();
        var log = new LogLines();
        await using var host = new TestHost(db, log.Register, Settings(Production, ("Local:Enabled", "true"), ("urls", urls)));
        Assert.Equal(Microsoft.Extensions.Hosting.Environments.Production, host.Get<Microsoft.Extensions.Hosting.IHostEnvironment>().EnvironmentName);
        await host.User("alice").Says("ally list").Expect("No allies yet");
        Assert.DoesNotContain(log.Lines, l => l.Contains("Local:AllowNonLoopback"));
    }

    [Fact]
    public async Task Local_chat_forced_on_a_non_loopback_address_runs_with_a_warning()
    {
        using var db = new TestDatabase();
        var log = new LogLines();
        await using var host = new TestHost(db, log.Register,
            Settings(Production, ("Local:Enabled", "true"), ("Local:AllowNonLoopback", "true"), ("urls", "http://0.0.0.0:5080")));
        await host.User("alice").Says("ally list").Expect("No allies yet");
        Assert.Contains(log.Lines, l => l.StartsWith("Warning:") && l.Contains("Local:AllowNonLoopback=true") && l.Contains("http://0.0.0.0:5080"));
    }

    [Fact]
    public async Task Local_chat_in_Development_is_on_whatever_the_address_and_off_by_default_in_Production()
    {
        using var db = new TestDatabase();
        await using (var development = new TestHost(db, settings: Settings("Development", ("urls", "http://0.0.0.0:5080"))))
            await development.User("alice").Says("ally list").Expect("No allies yet");
        await using var production = new TestHost(db, settings: Settings(Production, ("urls", "http://0.0.0.0:5080")));
        Assert.False(production.Get<LocalChannel>().Enabled);
        using var response = await production.Http.PostAsync("/local/messages", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("http://localhost:1", true)]
    [InlineData("https://LOCALHOST", true)]
    [InlineData("http://127.0.0.1:5080", true)]
    [InlineData("http://[::1]:5080", true)]
    [InlineData("http://0.0.0.0:5080", false)]
    [InlineData("http://[::]:5080", false)]
    [InlineData("http://*:5080", false)]
    [InlineData("http://+:5080", false)]
    [InlineData("http://localhost.example.org:5080", false)]
    [InlineData("http://192.168.1.2", false)]
    public void Loopback_means_localhost_127_slash_8_and_ipv6_one(string url, bool loopback) =>
        Assert.Equal(loopback, LocalChannel.IsLoopback(url));

    [Fact]
    public void The_example_configuration_ships_with_the_local_chat_off()
    {
        var example = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "appsettings.example.json")))!;
        Assert.False(example["Local"]!["Enabled"]!.GetValue<bool>());
        Assert.False(example["ForwardedHeaders"]!["Enabled"]!.GetValue<bool>());
    }

    // ---- Forwarded headers ----

    [Fact]
    public async Task X_Forwarded_Proto_is_believed_from_a_known_proxy_only()
    {
        using var db = new TestDatabase();
        // The test client connects from 127.0.0.1.
        await using (var trusted = new TestHost(db, SchemeProbe, Settings(Production, ("ForwardedHeaders:Enabled", "true"), ("ForwardedHeaders:KnownProxies:0", "127.0.0.1"))))
        {
            Assert.Equal("https", await ProbeAsync(trusted, "https"));
            Assert.Equal("http", await ProbeAsync(trusted, null));
        }
        await using (var byNetwork = new TestHost(db, SchemeProbe, Settings(Production, ("ForwardedHeaders:Enabled", "true"), ("ForwardedHeaders:KnownNetworks:0", "127.0.0.0/8"))))
            Assert.Equal("https", await ProbeAsync(byNetwork, "https"));
        await using (var unknown = new TestHost(db, SchemeProbe, Settings(Production, ("ForwardedHeaders:Enabled", "true"), ("ForwardedHeaders:KnownProxies:0", "10.9.8.7"))))
            Assert.Equal("http", await ProbeAsync(unknown, "https"));
        await using var off = new TestHost(db, SchemeProbe, Settings(Production));
        Assert.Equal("http", await ProbeAsync(off, "https"));
    }

    [Fact]
    public void A_malformed_setting_fails_start_up_naming_the_key()
    {
        using var db = new TestDatabase();
        var error = Assert.ThrowsAny<Exception>(() => new TestHost(db, settings: Settings(Production, ("ForwardedHeaders:Enabled", "true"), ("ForwardedHeaders:KnownNetworks:0", "10.0.0.0/99"))));
        Assert.Contains("ForwardedHeaders:KnownNetworks", Innermost(error).Message);
        var bot = Assert.ThrowsAny<Exception>(() => new TestHost(db, settings: Settings(Production, ("Bot:PublicBaseUrl", "coordbot.example.org"))));
        Assert.Contains("Bot:PublicBaseUrl", Innermost(bot).Message);
        var lease = Assert.ThrowsAny<Exception>(() => new TestHost(db, settings: Settings(Production, ("Outbox:Lease", "soon"))));
        Assert.Contains("Outbox:Lease", Innermost(lease).Message);
        var provider = Assert.ThrowsAny<Exception>(() => new TestHost(db, settings: Settings(Production, ("Storage:Provider", "mysql"))));
        Assert.Contains("Storage:Provider", Innermost(provider).Message);
        var checkin = Assert.ThrowsAny<Exception>(() => new TestHost(db, settings: Settings(Production, ("Scheduling:ClusterCheckinInterval", "-00:00:01"))));
        Assert.Contains("Scheduling:ClusterCheckinInterval", Innermost(checkin).Message);
    }

    /// <summary>Appends, after the app's own pipeline, a step that answers an unmapped path with the scheme the request was seen with.</summary>
    private static void SchemeProbe(IServiceCollection services) => services.AddSingleton<IStartupFilter>(new ProbeFilter());

    private sealed class ProbeFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            app.Run(context => context.Request.Path == "/scheme-probe" ? context.Response.WriteAsync(context.Request.Scheme) : Task.CompletedTask);
        };
    }

    private static async Task<string> ProbeAsync(TestHost host, string? forwardedProto)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/scheme-probe");
        if (forwardedProto is not null)
        {
            request.Headers.Add("X-Forwarded-Proto", forwardedProto);
            request.Headers.Add("X-Forwarded-For", "203.0.113.9");
        }
        using var response = await host.Http.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }

    // ---- Slack OAuth ----

    private static Dictionary<string, string?> OAuthSettings(string? publicBase) => Settings(Production,
        ("Slack:ClientId", "1.2"), ("Slack:ClientSecret", "secret"), ("Slack:AuthorizeUrl", "https://slack.example/oauth/v2/authorize"), ("Bot:PublicBaseUrl", publicBase));

    [Fact]
    public async Task The_redirect_uri_comes_only_from_the_public_base_url_never_from_a_forged_Host_header()
    {
        using var db = new TestDatabase();
        await using var host = new TestHost(db, settings: OAuthSettings("https://coordbot.example.org/"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/slack/install");
        request.Headers.Host = "evil.example.net";
        request.Headers.Add("X-Forwarded-Host", "evil.example.net");
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress };
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.ToString();
        Assert.DoesNotContain("evil", location);
        Assert.Equal("https://coordbot.example.org/slack/oauth/callback", QueryHelpers.ParseQuery(response.Headers.Location.Query)["redirect_uri"].ToString());

        // The state cookie: Secure because the public address is https, HttpOnly, SameSite=Lax, only for the callback path.
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/slack/oauth", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Without_a_public_base_url_the_install_is_refused_with_a_reason_and_start_up_says_so()
    {
        using var db = new TestDatabase();
        var log = new LogLines();
        await using var host = new TestHost(db, log.Register, OAuthSettings(null));
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress };
        using var install = await client.GetAsync("/slack/install");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, install.StatusCode);
        Assert.Contains("Bot:PublicBaseUrl", await install.Content.ReadAsStringAsync());
        Assert.False(install.Headers.Contains("Set-Cookie"));
        using var callback = await client.GetAsync("/slack/oauth/callback?code=c&state=s");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, callback.StatusCode);
        Assert.Contains(log.Lines, l => l.StartsWith("Warning:") && l.Contains("Slack OAuth install") && l.Contains("Bot:PublicBaseUrl"));
    }

    [Fact]
    public async Task An_http_public_base_url_gives_a_cookie_without_Secure()
    {
        using var db = new TestDatabase();
        await using var host = new TestHost(db, settings: OAuthSettings("http://coordbot.test"));
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress };
        using var response = await client.GetAsync("/slack/install");
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
    }

    // ---- The key ring ----

    [Fact]
    public async Task With_a_certificate_the_key_ring_is_encrypted_at_rest_and_tokens_survive_a_restart()
    {
        using var db = new TestDatabase();
        var pfx = Path.Combine(Path.GetTempPath(), $"coordbot-keyring-{Guid.NewGuid():N}.pfx");
        try
        {
            using (var rsa = RSA.Create(2048))
            {
                var request = new CertificateRequest("CN=CoordBot key ring test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                using var certificate = request.CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
                File.WriteAllBytes(pfx, certificate.Export(X509ContentType.Pfx, "pfx-password"));
            }
            var settings = Settings(Production, ("DataProtection:CertificatePath", pfx), ("DataProtection:CertificatePassword", "pfx-password"));
            var log = new LogLines();
            await using (var first = new TestHost(db, log.Register, settings))
            {
                await first.Get<SlackInstallations>().SaveAsync(new SlackInstallation("T9", "T9", null, false, "Nine", null, null, "xoxb-nine", null, null), default);
                Assert.Equal("xoxb-nine", await first.Get<SlackInstallations>().BotTokenAsync("T9", default));
            }
            Assert.DoesNotContain(log.Lines, l => l.Contains("not encrypted at rest"));

            var keys = await StoredKeysAsync(db);
            Assert.NotEmpty(keys);
            foreach (var key in keys)
            {
                Assert.Contains("<encryptedSecret", key);
                Assert.DoesNotContain("<masterKey", key);
            }

            await using (var second = new TestHost(db, settings: settings))
                Assert.Equal("xoxb-nine", await second.Get<SlackInstallations>().BotTokenAsync("T9", default));

            var wrong = Assert.ThrowsAny<Exception>(() => new TestHost(db, settings: Settings(Production, ("DataProtection:CertificatePath", pfx), ("DataProtection:CertificatePassword", "wrong"))));
            Assert.Contains("DataProtection:CertificatePassword", Innermost(wrong).Message);
        }
        finally { File.Delete(pfx); }
    }

    [Fact]
    public async Task Without_a_certificate_start_up_warns_that_the_key_ring_is_not_encrypted()
    {
        using var db = new TestDatabase();
        var log = new LogLines();
        await using (var host = new TestHost(db, log.Register, Settings(Production)))
            await host.Get<SlackInstallations>().SaveAsync(new SlackInstallation("T9", "T9", null, false, "Nine", null, null, "xoxb-nine", null, null), default);
        Assert.Single(log.Lines, l => l.StartsWith("Warning:") && l.Contains("not encrypted at rest") && l.Contains("DataProtection:CertificatePath"));
        Assert.Contains(await StoredKeysAsync(db), key => key.Contains("<masterKey"));
    }

    /// <summary>The key ring as stored: XML files beside the SQLite file, or rows in PostgreSQL.</summary>
    private static async Task<List<string>> StoredKeysAsync(TestDatabase db)
    {
        if (db.IsPostgres)
        {
            await using var connection = new Npgsql.NpgsqlConnection(db.ConnectionString);
            return (await connection.QueryAsync<string>("SELECT xml FROM data_protection_keys")).ToList();
        }
        var folder = Path.Combine(Path.GetDirectoryName(db.FilePath)!, "keys");
        return Directory.GetFiles(folder, "*.xml").Select(File.ReadAllText).ToList();
    }

    // ---- Helpers ----

    /// <summary>The host's own start-up refusal (an InvalidOperationException) wherever the hosting layers wrapped it.</summary>
    internal static Exception Innermost(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
            if (e is InvalidOperationException) return e;
        throw new Xunit.Sdk.XunitException($"Start-up failed without the host's refusal: {error}");
    }

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "appsettings.example.json"))) folder = folder.Parent;
        return folder?.FullName ?? throw new InvalidOperationException("appsettings.example.json not found above the test folder.");
    }

    /// <summary>Every line the host logs at Warning or above (the test host's level), as "Level: message".</summary>
    private sealed class LogLines : ILoggerProvider, ILogger
    {
        private readonly ConcurrentQueue<string> _lines = new();
        public IReadOnlyList<string> Lines => _lines.ToList();
        public void Register(IServiceCollection services) => services.AddSingleton<ILoggerProvider>(this);
        public ILogger CreateLogger(string categoryName) => this;
        public void Dispose() { }
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
    }
}
