#if POSTGRES_LEG
using System.Diagnostics;
using System.Net;
using CoordBot.Tests.Support;
using Microsoft.AspNetCore.WebUtilities;
using Npgsql;
using Xunit;

namespace CoordBot.Tests.Host;

/// <summary>
/// Two real host processes (<c>dotnet CoordBot.Host.dll</c>) on loopback against one PostgreSQL database
/// and a fake Slack Web API that enforces Slack's rate limits (429 over them). Twenty workspaces install
/// the app through OAuth and set up a check-in on either instance; Quartz's cluster fires the twenty
/// weekly prompts (2,000 DMs) on the wall clock; one instance is killed (SIGKILL) while it is sending.
/// </summary>
public sealed class TwoInstancesTests : IAsyncLifetime
{
    private const int Workspaces = 20;
    private const int Members = 100;
    private const string SigningSecret = "two-instances-signing-secret";

    private readonly TestDatabase _db = new();
    private readonly List<HostProcess> _hosts = [];
    private readonly List<HttpClient> _clients = [];
    private FakeSlackApi _slack = null!;

    public async ValueTask InitializeAsync()
    {
        _slack = await FakeSlackApi.StartAsync();
        // Slack's limits, with 1 s (not 100 ms) of tolerance for arrival jitter on a loaded 2-core machine; see the last assert.
        _slack.Limits = new FakeSlackLimits { Tolerance = TimeSpan.FromSeconds(1) };
        _slack.RecordCalls = false;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients) client.Dispose();
        foreach (var host in _hosts) await host.DisposeAsync();
        await _slack.DisposeAsync();
        _db.Dispose();
    }

    private static string Team(int w) => $"T2I{w:D2}";
    private static string Member(int w, int m) => $"U{w:D2}{m:D3}";
    private static string Dm(int w, int m) => $"D{w:D2}{m:D3}";

    private async Task<HostProcess> StartHostAsync(string name)
    {
        var host = await HostProcess.StartAsync(name, new Dictionary<string, string>
        {
            ["Storage__Provider"] = "postgres",
            ["Storage__ConnectionString"] = _db.ConnectionString,
            ["Slack__SigningSecret"] = SigningSecret,
            ["Slack__ClientId"] = _slack.ClientId,
            ["Slack__ClientSecret"] = _slack.ClientSecret,
            ["Bot__PublicBaseUrl"] = "http://coordbot.test",
            ["Slack__ApiBaseUrl"] = _slack.BaseUrl.ToString(),
            ["Local__Enabled"] = "false",
            // A dead instance's claims come free after 10 s; its Quartz node is taken as dead after 4 s.
            ["Outbox__Lease"] = "00:00:10",
            ["Outbox__PollInterval"] = "00:00:00.500",
            ["Scheduling__ClusterCheckinInterval"] = "00:00:02",
        });
        lock (_hosts) _hosts.Add(host);
        return host;
    }

    private HttpClient Client(HostProcess host, bool browser = false)
    {
        var client = browser
            ? new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress }
            : new HttpClient { BaseAddress = host.BaseAddress };
        _clients.Add(client);
        return client;
    }

    /// <summary>OAuth v2 install through one instance: its state cookie, Slack's code, the encrypted token in the shared database.</summary>
    private async Task InstallAsync(HostProcess host, int w)
    {
        var browser = Client(host, browser: true);
        var start = await browser.GetAsync("/slack/install");
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var state = QueryHelpers.ParseQuery(start.Headers.Location!.Query)["state"].ToString();
        var code = _slack.IssueOAuthCode(Team(w), $"Workspace {w}", $"xoxb-two-instances-{w}");
        var callback = await browser.GetAsync($"/slack/oauth/callback?code={Uri.EscapeDataString(code)}&state={Uri.EscapeDataString(state)}");
        Assert.True(callback.StatusCode == HttpStatusCode.OK, $"install of {Team(w)} on {host.Name}: {(int)callback.StatusCode}\n{host.Tail()}");
    }

    /// <summary>The bot's DMs with the members, opened in an earlier week (conversations.open is Tier 3: two minutes per hundred members).</summary>
    private async Task SeedDmChannelsAsync()
    {
        await using var connection = new NpgsqlConnection(_db.ConnectionString);
        await connection.OpenAsync();
        await using var insert = new NpgsqlCommand("""
            INSERT INTO slack_dm_channels (workspace_id, user_id, channel_id, updated_at)
            SELECT unnest(@Workspaces), unnest(@Users), unnest(@Channels), @At
            """, connection);
        var rows = (from w in Enumerable.Range(1, Workspaces) from m in Enumerable.Range(1, Members) select (Team(w), Member(w, m), Dm(w, m))).ToList();
        insert.Parameters.AddWithValue("Workspaces", rows.Select(r => r.Item1).ToArray());
        insert.Parameters.AddWithValue("Users", rows.Select(r => r.Item2).ToArray());
        insert.Parameters.AddWithValue("Channels", rows.Select(r => r.Item3).ToArray());
        insert.Parameters.AddWithValue("At", CoordBot.Data.Database.Stamp(DateTimeOffset.UtcNow));
        Assert.Equal(rows.Count, await insert.ExecuteNonQueryAsync());
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_db.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<string> RowsAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_db.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
            lines.Add(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "null" : reader.GetValue(i).ToString())));
        return string.Join('\n', lines) + "\n";
    }

    private int PromptsDelivered() => _slack.Messages.Count(m => SlackText.Of(m.Message).Contains("Weekly check-in: Prompts"));

    [Fact]
    public async Task Two_instances_send_2000_scheduled_prompts_exactly_once_though_one_is_killed_while_sending()
    {
        // Started together on an empty database: they take turns migrating, and Quartz's tables are created once.
        var starting = new[] { StartHostAsync("instance A"), StartHostAsync("instance B") };
        var (a, b) = (await starting[0], await starting[1]);
        Assert.NotEqual(await a.InstanceAsync(), await b.InstanceAsync());

        // Half the workspaces install through each instance; the other decrypts their tokens (one key ring, in the database).
        for (var w = 1; w <= Workspaces; w++) await InstallAsync(w % 2 == 0 ? a : b, w);
        await SeedDmChannelsAsync();

        // The prompt time: the first whole minute at least 15 s away, set up on either instance.
        var now = DateTimeOffset.UtcNow;
        var fire = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddMinutes(now.Second >= 45 ? 2 : 1);
        var every = $"{fire.DayOfWeek.ToString()[..3].ToLowerInvariant()} {fire:HH:mm}";
        for (var w = 1; w <= Workspaces; w++)
        {
            var host = w % 2 == 0 ? b : a;
            var client = new SlackTestClient(Client(host), SigningSecret, _slack);
            var members = string.Join(' ', Enumerable.Range(1, Members).Select(m => $"<@{Member(w, m)}|member{m}>"));
            var answer = await client.CommandAsync(Team(w), "UADMIN", "/checkin",
                $"setup Prompts --metric \"housed:people:increase\" --every {every} --tz UTC --members {members}", channel: "C0GENERAL");
            // Answered in the acknowledgement, or (a slow machine passing the 3 s budget) through response_url.
            var message = answer.Body.Length > 0 ? answer.Message() : await _slack.WaitForResponseTo(answer.ResponseUrlId!);
            Assert.Contains("Set up Prompts (I", SlackText.Of(message));
        }
        Assert.True(DateTimeOffset.UtcNow < fire - TimeSpan.FromSeconds(3), $"set-up ran past the prompt time {fire:HH:mm:ss}");

        // Both instances take part in the week: each fires some of the twenty triggers and sends for the workspaces it claimed.
        var total = Workspaces * Members;
        await WaitUntilAsync(() => PromptsDelivered() > 0, fire - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30), "the first prompt");
        var firstAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        await WaitUntilAsync(() => PromptsDelivered() >= total / 3, TimeSpan.FromSeconds(60), "a third of the prompts");
        // The instance with more prompts still to send for its workspaces is killed.
        async Task<(long Workspaces, long Unsent)> WorkOfAsync(HostProcess host)
        {
            var id = await host.InstanceAsync();
            return (await ScalarAsync($"SELECT COUNT(*) FROM outbox_senders WHERE instance = '{id}'"),
                await ScalarAsync($"""
                    SELECT COUNT(*) FROM outbox o JOIN outbox_senders s ON s.platform = o.platform AND s.workspace_id = o.workspace_id
                    WHERE s.instance = '{id}' AND o.status <> 'sent'
                    """));
        }
        var (workOfA, workOfB) = (await WorkOfAsync(a), await WorkOfAsync(b));
        var (victim, survivor) = workOfA.Unsent >= workOfB.Unsent ? (a, b) : (b, a);
        var (victimsWorkspaces, unsentOfVictim) = victim == a ? workOfA : workOfB;
        var deliveredAtKill = PromptsDelivered();
        await victim.KillAsync();
        var killedAt = clock.Elapsed;

        // The survivor takes over the dead instance's claims after their lease and finishes the week.
        await WaitUntilAsync(() => PromptsDelivered() >= total, TimeSpan.FromSeconds(180), "every prompt", victim, survivor);
        var finished = clock.Elapsed;
        // Every row recorded as sent: no instance will claim one again, and every send under way has been answered
        // (a row is marked sent only after Slack's answer), so no duplicate can still arrive after this.
        await WaitUntilAsync(async () => await ScalarAsync("SELECT COUNT(*) FROM outbox WHERE status <> 'sent'") == 0,
            TimeSpan.FromSeconds(60), "every row recorded as sent", victim, survivor);

        var prompts = _slack.Messages.Where(m => SlackText.Of(m.Message).Contains("Weekly check-in: Prompts")).ToList();
        var perDm = prompts.GroupBy(m => m.Channel).ToDictionary(g => g.Key, g => g.Count());
        var expected = (from w in Enumerable.Range(1, Workspaces) from m in Enumerable.Range(1, Members) select Dm(w, m)).ToHashSet();
        Assert.Empty(perDm.Where(p => p.Value > 1).Select(p => $"{p.Key} ×{p.Value}"));   // none twice
        Assert.Empty(expected.Except(perDm.Keys));                                        // none lost
        Assert.Empty(perDm.Keys.Except(expected));                                        // none elsewhere
        Assert.Equal(total, await ScalarAsync("SELECT COUNT(*) FROM outbox WHERE idempotency_key LIKE 'checkin-prompt:%' AND status = 'sent'"));
        Assert.Equal(0, await ScalarAsync("SELECT COUNT(*) FROM outbox WHERE status <> 'sent'"));
        Assert.True(victimsWorkspaces > 0 && unsentOfVictim > 0,
            $"the killed instance was sending for {victimsWorkspaces} workspaces with {unsentOfVictim} prompts to go: it was not killed mid-way");

        var limited = _slack.RateLimitedCalls.Values.Sum();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"two instances: the first prompt at {firstAt:HH:mm:ss.fff} (due {fire:HH:mm:ss}); {deliveredAtKill} of {total} delivered at the kill, {killedAt.TotalSeconds:0.0} s after it " +
            $"(A sending for {workOfA.Workspaces} workspaces with {workOfA.Unsent} unsent, B for {workOfB.Workspaces} with {workOfB.Unsent}; {victim.Name} killed); all delivered at {finished.TotalSeconds:0.0} s; " +
            $"429s: {limited} ({string.Join(", ", _slack.RateLimitedCalls.Select(r => $"{r.Key} {r.Value}"))}); history checks: {_slack.CallCounts.GetValueOrDefault("conversations.history")}");
        // No 429 at all. One instance sends for a workspace at a time (it stays the sender for one lease, 10 s, after its
        // last claim there), and its limiter keeps under Slack's limits with a margin: chat.postMessage at 300 a minute
        // with a burst of 29 against the fake's 30, so one interval (200 ms) plus the tolerance (1 s here) of lateness
        // absorbed before the fake would answer 429. A new sender (after a kill or a hand-over) starts with a full
        // burst, but only after that lease, when the fake's allowance has long refilled (30 × 200 ms = 6 s). Two
        // senders in one workspace at once would double its rate: their two bursts (58 posts) against the fake's 30
        // plus 5 (1 s of tolerance at 200 ms) would have 23 answered 429 in the first second alone.
        Assert.True(limited == 0, $"{limited} calls answered 429 ({string.Join(", ", _slack.RateLimitedCalls.Select(r => $"{r.Key} {r.Value}"))})\n{victim.Tail()}\n{survivor.Tail()}");
    }

    private Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what, params HostProcess[] hosts) =>
        WaitUntilAsync(() => Task.FromResult(condition()), timeout, what, hosts);

    private async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, params HostProcess[] hosts)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > timeout)
                Assert.Fail($"Timed out after {timeout.TotalSeconds:0} s waiting for {what}: {PromptsDelivered()} prompts delivered; not sent:\n" +
                            await RowsAsync("SELECT workspace_id, idempotency_key, status, attempts, not_before, claimed_until, tried_at, last_error FROM outbox WHERE status <> 'sent' LIMIT 10") +
                            $"senders:\n{await RowsAsync("SELECT * FROM outbox_senders ORDER BY workspace_id")}\n{string.Join('\n', hosts.Select(h => h.Tail()))}");
            await Task.Delay(100);
        }
    }
}
#endif
