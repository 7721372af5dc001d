using System.Net;
using CoordBot.Chat;
using CoordBot.Dashboard;
using CoordBot.Host.Dashboard;
using CoordBot.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace CoordBot.Tests.Dashboard;

/// <summary>
/// The dashboard over the real host on loopback: links from <c>coord dashboard</c>, sessions, revocation, workspace scoping,
/// escaping and the security headers. Workspace "local" is the local chat's; "other" is a second workspace driven through
/// the host's own router, as Slack or Teams would.
/// </summary>
public sealed class DashboardEndpointTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 25, 15, 0, 0, TimeSpan.Zero));
    private readonly CaptureLogs _logs = new();
    private TestHost _host = null!;
    private HttpClient _http = null!;

    public ValueTask InitializeAsync()
    {
        _host = Start();
        return ValueTask.CompletedTask;
    }

    private TestHost Start(Dictionary<string, string?>? settings = null)
    {
        var host = new TestHost(_db, s =>
        {
            s.AddSingleton<TimeProvider>(_clock);
            s.AddSingleton<ILoggerProvider>(_logs);
        }, settings);
        _http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = host.BaseAddress };
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
        _db.Dispose();
    }

    private DashboardSessions Sessions => _host.Get<DashboardSessions>();

    /// <summary>The link of a <c>coord dashboard</c> reply in the local chat, as the page gets it.</summary>
    private async Task<string> LinkFromChat(string user = "alice")
    {
        var reply = await _host.User(user).Says("coord dashboard").Expect("The read-only dashboard of this workspace");
        Assert.True(reply.Ephemeral);
        Assert.DoesNotContain("sig=", reply.Text, StringComparison.Ordinal);
        var link = Assert.Single(reply.Blocks("link"));
        Assert.Equal("Open the dashboard", link.GetProperty("label").GetString());
        return link.GetProperty("url").GetString()!;
    }

    /// <summary>Runs a command in another workspace through the host's router (the way Slack and Teams requests arrive).</summary>
    private async Task<Reply> InOther(string user, string text) =>
        await _host.Get<CommandRouter>().HandleAsync(new ChatRequest("slack", "other", "C1", user, text)) ?? throw new InvalidOperationException("no reply");

    /// <summary>Opens a link and returns the session cookie (name=value) it set.</summary>
    private async Task<string> Open(string link)
    {
        using var response = await _http.GetAsync(link);
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        return setCookie.Split(';')[0];
    }

    private async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> Get(string path, string? cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (cookie is not null) request.Headers.Add("Cookie", cookie);
        var response = await _http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    [Fact]
    public async Task A_link_from_chat_starts_a_session_and_redirects_to_a_clean_address()
    {
        var link = await LinkFromChat();
        Assert.StartsWith("/dashboard/open?w=local&u=alice&g=0&exp=", link, StringComparison.Ordinal);

        using var response = await _http.GetAsync(link);
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal("/dashboard", response.Headers.Location?.OriginalString);
        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        var attributes = setCookie.Split(';', StringSplitOptions.TrimEntries).Skip(1).Select(a => a.ToLowerInvariant()).ToList();
        Assert.Contains("httponly", attributes);
        Assert.Contains("samesite=lax", attributes);
        Assert.Contains("path=/dashboard", attributes);
        Assert.Contains("max-age=43200", attributes);   // 12 hours, the default Dashboard:LinkLifetime
        Assert.DoesNotContain("secure", attributes);   // plain http on loopback, no https public address
        var cookie = setCookie.Split(';')[0];
        Assert.StartsWith(DashboardEndpoints.CookieName + "=", cookie, StringComparison.Ordinal);
        Assert.DoesNotContain(link.Split("sig=")[1], cookie, StringComparison.Ordinal);
        Assert.Equal(1, await Sessions.CountAsync("local"));

        var (status, body, page) = await Get("/dashboard", cookie);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<h1>Initiatives</h1>", body, StringComparison.Ordinal);
        Assert.Contains("@alice", body, StringComparison.Ordinal);
        Assert.Equal(DashboardEndpoints.ContentSecurityPolicy, page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("no-store", page.Headers.CacheControl?.ToString());
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("<script", body, StringComparison.OrdinalIgnoreCase);

        var (cssStatus, css, _) = await Get(DashboardEndpoints.StylesheetPath, null);
        Assert.Equal(HttpStatusCode.OK, cssStatus);
        Assert.Contains("@media print", css, StringComparison.Ordinal);

        // The session lasts as long as a link: 12 hours.
        _clock.Advance(TimeSpan.FromHours(11.9));
        Assert.Equal(HttpStatusCode.OK, (await Get("/dashboard/coalition", cookie)).Status);
        _clock.Advance(TimeSpan.FromHours(0.2));
        var (after, afterBody, _) = await Get("/dashboard/coalition", cookie);
        Assert.Equal(HttpStatusCode.Unauthorized, after);
        Assert.Contains("coord dashboard", afterBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tampered_expired_and_other_workspace_links_get_403_and_start_no_session()
    {
        await InOther("bob", "ally add \"Other Ally\"");
        var link = await LinkFromChat();
        var sig = link.Split("sig=")[1];
        var forged = new[]
        {
            link.Replace("sig=" + sig, "sig=" + (sig[0] == 'A' ? 'B' : 'A') + sig[1..], StringComparison.Ordinal),   // signature changed
            link.Replace("w=local", "w=other", StringComparison.Ordinal),                                           // another workspace
            link.Replace("u=alice", "u=mallory", StringComparison.Ordinal),                                        // another user
            link.Replace("g=0", "g=1", StringComparison.Ordinal),                                                   // another generation
            link + "&w=other",                                                                                      // a second workspace
            link.Split("&sig=")[0],                                                                                 // no signature
            "/dashboard/open",
            "/dashboard/open?w=local&u=alice&g=0&exp=99999999999&sig=" + sig,                                       // a later expiry
            "/dashboard/open?w=local&u=alice&g=abc&exp=1&sig=x",
        };
        foreach (var bad in forged)
        {
            var (status, body, response) = await Get(bad, null);
            Assert.True(status == HttpStatusCode.Forbidden, $"{bad} answered {(int)status}");
            Assert.Contains("coord dashboard", body, StringComparison.Ordinal);
            Assert.False(response.Headers.Contains("Set-Cookie"), bad);
        }

        // A link for the other workspace opens that workspace only, never this one.
        var otherLink = await Sessions.LinkAsync("other", "bob");
        var otherCookie = await Open(otherLink);
        Assert.Contains("Other Ally", (await Get("/dashboard/coalition", otherCookie)).Body, StringComparison.Ordinal);

        _clock.Advance(TimeSpan.FromHours(12));
        var (expired, expiredBody, _) = await Get(link, null);
        Assert.Equal(HttpStatusCode.Forbidden, expired);
        Assert.Contains("expired", expiredBody, StringComparison.Ordinal);
        Assert.Equal(0, await Sessions.CountAsync("local"));
    }

    [Fact]
    public async Task Revoke_is_for_admins_and_ends_every_session_and_every_earlier_link()
    {
        var alice = _host.User("alice");
        await alice.Says("coord help");   // the first user of the workspace: its admin
        await _host.User("bob").Says("coord help");
        var opened = await Open(await LinkFromChat("alice"));
        var bobs = await Open(await LinkFromChat("bob"));
        var unopened = await LinkFromChat("bob");
        Assert.Equal(2, await Sessions.CountAsync("local"));

        await _host.User("bob").Says("coord dashboard revoke").ExpectError("Only a workspace admin can revoke dashboard links.");
        Assert.Equal(HttpStatusCode.OK, (await Get("/dashboard", opened)).Status);

        await alice.Says("coord dashboard revoke").Expect("Ended 2 dashboard sessions");
        Assert.Equal(0, await Sessions.CountAsync("local"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get("/dashboard", opened)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get("/dashboard/elections", bobs)).Status);
        var (status, body, _) = await Get(unopened, null);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("revoked", body, StringComparison.Ordinal);
        Assert.Equal(0, await Sessions.CountAsync("local"));

        // A link asked for after the revocation works.
        var fresh = await Open(await LinkFromChat("bob"));
        Assert.Equal(HttpStatusCode.OK, (await Get("/dashboard", fresh)).Status);
    }

    [Fact]
    public async Task A_session_reads_only_its_own_workspace_whatever_the_url_says()
    {
        await _host.User("alice").Says("ally add \"Jane Local\" --org \"City of Atlanta\"").Expect("Added Jane Local (A1)");
        await InOther("bob", "ally add \"Secret One\"");
        await InOther("bob", "ally add \"Secret Two\" --org \"Hidden Org\"");
        await InOther("bob", "ally log A2 \"Private conversation\"");
        var setup = await InOther("bob", "checkin setup \"Secret initiative\" --metric \"beds:people:decrease\" --members @bob");
        Assert.False(setup.IsError, setup.Text);
        var cookie = await Open(await LinkFromChat());

        foreach (var path in new[] { "/dashboard/allies/2", "/dashboard/initiatives/1", "/dashboard/initiatives/1?print=1", "/dashboard/initiatives/1/charts/0.png" })
        {
            var (status, body, _) = await Get(path, cookie);
            Assert.True(status == HttpStatusCode.NotFound, $"{path} answered {(int)status}");
            Assert.DoesNotContain("Secret", body, StringComparison.Ordinal);
            Assert.DoesNotContain("Hidden", body, StringComparison.Ordinal);
        }
        var (mine, mineBody, _) = await Get("/dashboard/allies/1", cookie);
        Assert.Equal(HttpStatusCode.OK, mine);
        Assert.Contains("Jane Local", mineBody, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret", (await Get("/dashboard/coalition", cookie)).Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret", (await Get("/dashboard", cookie)).Body, StringComparison.Ordinal);

        // A cookie edited to name the other workspace is no session at all.
        var value = cookie.Split('=', 2)[1];
        var edited = $"{DashboardEndpoints.CookieName}={System.Buffers.Text.Base64Url.EncodeToString("other"u8)}.{value.Split('.')[1]}";
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get("/dashboard/allies/1", edited)).Status);

        // The other workspace's own session sees its initiative and chart.
        var otherCookie = await Open(await Sessions.LinkAsync("other", "bob"));
        Assert.Contains("Secret initiative", (await Get("/dashboard/initiatives/1", otherCookie)).Body, StringComparison.Ordinal);
        var (chart, _, png) = await Get("/dashboard/initiatives/1/charts/0.png", otherCookie);
        Assert.Equal(HttpStatusCode.OK, chart);
        Assert.Equal("image/png", png.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Hostile_names_are_escaped_on_every_page()
    {
        var alice = _host.User("alice");
        const string script = "<script>alert(1)</script>";
        await alice.Says("coord help");
        // Double quotes cannot be typed inside a quoted chat argument: these two come in as a CSV import would bring them.
        await _host.Get<CoordBot.Allies.AllyStore>().AddAsync("local",
        [
            new() { Name = script, Org = "\"Quoted\" & <b>bold</b>", Sector = "government", Level = "elected", Jurisdiction = "atlanta" },
            new() { Name = "O'Brien \"Bo\"", Org = "\"Quoted\" & <b>bold</b>", Sector = "government", Level = "career", Jurisdiction = "atlanta" },
        ], "alice", _clock.GetUtcNow());
        await alice.Says("ally link A1 A2 --as \"<img src=x onerror=alert(2)>\"");
        await alice.Says("ally log A1 \"<iframe src=//evil>\"");
        await alice.Says("election add atlanta 2027-03-02 --name \"<script>x</script> runoff\"");
        await alice.Says("checkin setup \"<svg onload=alert(3)>\" --metric \"beds<i>:people:decrease\" --members @alice");
        var cookie = await Open(await LinkFromChat());

        foreach (var path in new[] { "/dashboard", "/dashboard/initiatives/1", "/dashboard/coalition", "/dashboard/elections", "/dashboard/allies/1", "/dashboard/allies/2" })
        {
            var (status, body, _) = await Get(path, cookie);
            Assert.True(status == HttpStatusCode.OK, $"{path} answered {(int)status}: {body}");
            foreach (var raw in new[] { "<script", "<b>", "<img src=x", "<iframe", "<svg", "<i>" })
                Assert.False(body.Contains(raw, StringComparison.OrdinalIgnoreCase), $"{path} has raw {raw}");
        }
        var ally = (await Get("/dashboard/allies/1", cookie)).Body;
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", ally, StringComparison.Ordinal);
        Assert.Contains("&quot;Quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;", ally, StringComparison.Ordinal);
        Assert.Contains("O&#39;Brien &quot;Bo&quot;", (await Get("/dashboard/allies/2", cookie)).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Odd_methods_paths_and_queries_get_4xx_never_500()
    {
        var cookie = await Open(await LinkFromChat());
        var requests = new List<HttpRequestMessage>
        {
            new(HttpMethod.Head, "/dashboard"), new(HttpMethod.Put, "/dashboard"), new(HttpMethod.Delete, "/dashboard/coalition"),
            new(HttpMethod.Patch, "/dashboard/open"), new(HttpMethod.Options, "/dashboard/elections"), new(new HttpMethod("BREW"), "/dashboard"),
            new(HttpMethod.Post, "/dashboard/open"), new(HttpMethod.Get, "/dashboard/nope"), new(HttpMethod.Get, "/dashboard/allies/0"),
            new(HttpMethod.Get, "/dashboard/allies/-1"), new(HttpMethod.Get, "/dashboard/allies/99999999999999999999999"),
            new(HttpMethod.Get, "/dashboard/allies/%00"), new(HttpMethod.Get, "/dashboard/initiatives/1x"),
            new(HttpMethod.Get, "/dashboard/initiatives/1?weeks=abc"), new(HttpMethod.Get, "/dashboard/initiatives/1?weeks=100000"),
            new(HttpMethod.Get, "/dashboard/initiatives/1/charts/99999999999.png"), new(HttpMethod.Get, "/dashboard?x=" + new string('a', 3000)),
            new(HttpMethod.Get, "/dashboard/open?w=" + new string('w', 5000) + "&u=alice&g=0&exp=1&sig=x"),
            new(HttpMethod.Get, "/dashboard/open?w=local&u=" + new string('u', 1500) + "&g=0&exp=1&sig=x"),
        };
        foreach (var request in requests)
        {
            var label = $"{request.Method} {request.RequestUri}"[..Math.Min(80, $"{request.Method} {request.RequestUri}".Length)];
            request.Headers.Add("Cookie", cookie);
            using var response = await _http.SendAsync(request);
            Assert.True((int)response.StatusCode is >= 400 and < 500, $"{label} answered {(int)response.StatusCode}");
        }
        // A cookie that is not one of ours in any way.
        foreach (var junk in new[] { "x", "a.b", "..", "%%%", new string('a', 600), "bG9jYWw.AAAA", DashboardEndpoints.CookieName })
            Assert.Equal(HttpStatusCode.Unauthorized, (await Get("/dashboard", $"{DashboardEndpoints.CookieName}={junk}")).Status);
        Assert.Equal(1, await Sessions.CountAsync("local"));
    }

    [Fact]
    public async Task The_link_is_never_written_to_the_log()
    {
        await _host.DisposeAsync();
        _host = Start(new() { ["Logging:LogLevel:Default"] = "Information" });
        var link = await LinkFromChat();
        var cookie = await Open(link);
        Assert.Equal(HttpStatusCode.OK, (await Get("/dashboard", cookie)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Get(link.Replace("u=alice", "u=eve", StringComparison.Ordinal), null)).Status);
        var lines = _logs.Lines;
        Assert.Contains(lines, l => l.Contains("Dashboard link refused", StringComparison.Ordinal));   // the capture works at Information
        Assert.DoesNotContain(lines, l => l.Contains("sig=", StringComparison.Ordinal) || l.Contains(link.Split("sig=")[1], StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains(cookie.Split('=', 2)[1], StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_https_public_address_makes_the_link_absolute_and_the_cookie_secure()
    {
        await _host.DisposeAsync();
        _host = Start(new() { ["Bot:PublicBaseUrl"] = "https://coordbot.example.org/" });
        var link = await LinkFromChat();
        Assert.StartsWith("https://coordbot.example.org/dashboard/open?w=local&u=alice&g=0&exp=", link, StringComparison.Ordinal);
        using var response = await _http.GetAsync(new Uri(link).PathAndQuery);
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Contains("secure", Assert.Single(response.Headers.GetValues("Set-Cookie")).Split(';', StringSplitOptions.TrimEntries).Select(a => a.ToLowerInvariant()));
    }

    [Fact]
    public void The_link_lifetime_is_checked_at_start_up()
    {
        var problem = Assert.Throws<InvalidOperationException>(() => new TestHost(new TestDatabase(), settings: new() { ["Dashboard:LinkLifetime"] = "30.00:00:00" }));
        Assert.Contains("Dashboard:LinkLifetime", problem.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Every formatted log line of the host, from every category.</summary>
    private sealed class CaptureLogs : ILoggerProvider
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();
        public IReadOnlyList<string> Lines => _lines.ToList();
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);
        public void Dispose() { }

        private sealed class Logger(string category, System.Collections.Concurrent.ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue($"{category} {logLevel}: {formatter(state, exception)}");
        }
    }
}
