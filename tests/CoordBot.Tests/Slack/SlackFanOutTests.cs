using System.Diagnostics;
using CoordBot.Chat;
using CoordBot.Data;
using CoordBot.Outbox;
using CoordBot.Slack;
using CoordBot.Slack.Api;
using CoordBot.Tests.Outbox;
using CoordBot.Tests.Support;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace CoordBot.Tests.Slack;

/// <summary>
/// Fan-out through the real outbox, dispatcher, SlackSender and Web API client against a fake Slack
/// that enforces the documented limits and answers 429 over them. Slack's timing runs ten times
/// faster on both sides (one message a second per channel becomes one per 100 ms, Tier 3's 1.2 s
/// becomes 120 ms).
/// </summary>
public sealed class SlackFanOutTests : IAsyncLifetime
{
    private const double Scale = 0.1;
    private static readonly string[] Workspaces = ["T1", "T2", "T3"];
    private static readonly DateTimeOffset Week = new(2027, 2, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly TestDatabase _db = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly List<CoreChat> _cores = [];
    private FakeSlackApi _slack = null!;

    private static string TokenOf(string workspace) => $"xoxb-{workspace}-fanout";

    public async ValueTask InitializeAsync()
    {
        _slack = await FakeSlackApi.StartAsync();
        // Jitter allowance (a loaded CI machine delays calls) under the scaled channel and Tier 3 intervals (100 and 120 ms); the workspace-wide 20 ms one is then checked loosely.
        _slack.Limits = new FakeSlackLimits { TimeScale = Scale, Tolerance = TimeSpan.FromMilliseconds(60) };
        foreach (var workspace in Workspaces)
        {
            _slack.AddTeam(workspace, TokenOf(workspace));
            for (var u = 1; u <= 30; u++) _slack.AddUser(workspace, $"U{u:D3}", $"Member {u}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var core in _cores) await core.DisposeAsync();
        _http.Dispose();
        await _slack.DisposeAsync();
        _db.Dispose();
    }

    private sealed class Tokens : ISlackTokens
    {
        public Task<string?> BotTokenAsync(string workspaceId, CancellationToken ct) => Task.FromResult<string?>(TokenOf(workspaceId));
    }

    /// <summary>A CoordBot instance: its own limiter and client (as after a restart), the shared database, the dispatcher running.</summary>
    private async Task<CoreChat> StartAsync(OutboxOptions? options = null)
    {
        var limiter = new SlackRateLimiter(TimeProvider.System, new SlackRateLimitOptions { TimeScale = Scale });
        var api = new SlackApiClient(_http, new SlackOptions { ApiBaseUrl = _slack.BaseUrl.ToString() }, TimeProvider.System,
            NullLogger<SlackApiClient>.Instance, limiter);
        var core = await CoreChat.StartAsync(_db, null, s =>
        {
            s.AddSingleton(api);
            s.AddSingleton<ISlackTokens>(new Tokens());
            s.AddSingleton<SlackDmChannels>();
            s.AddSingleton<SlackReplies>();
            s.AddSingleton<SlackChartUploads>();
            s.AddSingleton<SlackChartSharing>();
            s.AddSingleton<IChannelSender, SlackSender>();
        }, options ?? new OutboxOptions { PollInterval = TimeSpan.FromMilliseconds(100) });
        _cores.Add(core);
        foreach (var workspace in Workspaces) await api.AuthTestAsync(TokenOf(workspace));   // connections and JIT warm: the first call is not late
        return core;
    }

    private static async Task EnqueueAsync(CoreChat core, string workspace, string key, string destination)
    {
        var now = DateTimeOffset.UtcNow;
        Assert.True(await core.Get<OutboxStore>().EnqueueAsync(workspace, key, "slack", destination, Reply.Say(key), now, now));
    }

    private static async Task<TimeSpan> RunUntilSentAsync(CoreChat core, int expected, FakeSlackApi slack, TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        var dispatcher = core.Get<OutboxDispatcher>();
        await dispatcher.StartAsync(default);
        try
        {
            await OutboxFanOutTests.WaitUntilAsync(() => slack.Messages.Count >= expected, timeout);
            return Stopwatch.GetElapsedTime(started);
        }
        finally
        {
            await dispatcher.StopAsync(default);
        }
    }

    private List<string> TextsIn(string channel) => _slack.Messages.Where(m => m.Channel == channel).Select(m => m.Message["text"]!.ToString()).ToList();

    [Fact]
    public async Task Pacing_keeps_a_limit_enforcing_slack_from_ever_answering_429()
    {
        var core = await StartAsync();
        foreach (var workspace in Workspaces)
        {
            for (var u = 1; u <= 30; u++) await EnqueueAsync(core, workspace, $"checkin-prompt:{workspace}:U{u:D3}", $"U{u:D3}");
            for (var d = 0; d < 6; d++) await EnqueueAsync(core, workspace, $"digest:{workspace}:{d}", $"C{workspace}");
        }

        // Cold DM cache: 30 conversations.open per workspace at Tier 3 (9 at once, then one per 120 ms) ≈ 2.5 s.
        var elapsed = await RunUntilSentAsync(core, 3 * 36, _slack, TimeSpan.FromSeconds(30));

        Assert.Empty(_slack.RateLimitedCalls);
        Assert.Equal(3 * 30, _slack.CallsTo("conversations.open").Count);
        foreach (var workspace in Workspaces)
            Assert.Equal(Enumerable.Range(0, 6).Select(d => $"digest:{workspace}:{d}"), TextsIn($"C{workspace}"));
        var texts = _slack.Messages.Select(m => m.Message["text"]!.ToString()).ToList();
        Assert.Equal(texts.Count, texts.Distinct().Count());   // nothing twice
        Assert.True(elapsed >= TimeSpan.FromSeconds(2), $"{elapsed.TotalSeconds:0.00} s is faster than Tier 3 allows: was it paced?");
    }

    [Fact]
    public async Task Workspaces_are_paced_concurrently_so_none_waits_for_another()
    {
        var core = await StartAsync();
        // 13 digests to one channel per workspace: 2 at once, then one per 100 ms ≈ 1.1 s each, 3.3 s one after another.
        foreach (var workspace in Workspaces)
            for (var d = 0; d < 13; d++) await EnqueueAsync(core, workspace, $"digest:{workspace}:{d:D2}", $"C{workspace}");

        var elapsed = await RunUntilSentAsync(core, 3 * 13, _slack, TimeSpan.FromSeconds(30));

        Assert.True(elapsed >= TimeSpan.FromSeconds(1), $"{elapsed.TotalSeconds:0.00} s: the channel limit was not applied");
        Assert.Empty(_slack.RateLimitedCalls);
        foreach (var workspace in Workspaces)
            Assert.Equal(Enumerable.Range(0, 13).Select(d => $"digest:{workspace}:{d:D2}"), TextsIn($"C{workspace}"));   // in order
        // Side by side, not one after another: each workspace's first post comes before every other's last,
        // while each is paced over a second. (The wall time of a large fan-out is measured by the benchmark:
        // dotnet run -c Release --project tests/CoordBot.Benchmarks -- --fanout.)
        var order = _slack.Messages.Select(m => m.Channel).ToList();
        foreach (var x in Workspaces)
            foreach (var y in Workspaces.Where(y => y != x))
                Assert.True(order.IndexOf($"C{x}") < order.LastIndexOf($"C{y}"), $"{x} started only after {y} had finished: {string.Join(' ', order)}");
    }

    [Fact]
    public async Task A_429_is_waited_out_for_that_message_only_never_fails_it_and_it_is_delivered_once()
    {
        // MaxAttempts 1: were a 429 counted, the first would fail the message.
        var core = await StartAsync(new OutboxOptions { MaxAttempts = 1, PollInterval = TimeSpan.FromMilliseconds(100) });
        _slack.RateLimitNext("chat.postMessage", retryAfterSeconds: 1, times: 8);
        await EnqueueAsync(core, "T1", "digest:T1:W05", "CT1");

        await RunUntilSentAsync(core, 1, _slack, TimeSpan.FromSeconds(30));

        var calls = _slack.CallsTo("chat.postMessage").Select(c => c.At).ToList();
        Assert.Equal(9, calls.Count);   // two rounds of a try and 3 quick retries, all 429; then the one that worked
        // The client waits Retry-After (scaled here) between its own retries; the dispatcher defers the
        // message itself by the full Retry-After once the client gives up.
        Assert.True(calls[1] - calls[0] >= TimeSpan.FromSeconds(Scale) - TimeSpan.FromMilliseconds(10));
        Assert.True(calls[4] - calls[3] >= TimeSpan.FromSeconds(0.95), $"{(calls[4] - calls[3]).TotalMilliseconds} ms");
        Assert.True(calls[8] - calls[7] >= TimeSpan.FromSeconds(0.95));
        Assert.Equal(["digest:T1:W05"], TextsIn("CT1"));
        var entry = (await core.Get<OutboxStore>().GetAsync("T1", "digest:T1:W05"))!;
        Assert.Equal(("sent", 1), (entry.Status, entry.Attempts));
    }

    [Fact]
    public async Task A_users_dm_channel_is_opened_once_across_weeks_and_restarts()
    {
        var first = await StartAsync();
        for (var u = 1; u <= 5; u++) await EnqueueAsync(first, "T1", $"checkin-prompt:I1:2027-W05:U{u:D3}", $"U{u:D3}");
        await RunUntilSentAsync(first, 5, _slack, TimeSpan.FromSeconds(30));
        var dms = _slack.Messages.ToDictionary(m => m.Message["text"]!.ToString()[^4..], m => m.Channel);

        var restarted = await StartAsync();   // a new process: a new client with an empty in-memory cache
        for (var u = 1; u <= 5; u++) await EnqueueAsync(restarted, "T1", $"checkin-prompt:I1:2027-W06:U{u:D3}", $"U{u:D3}");
        await RunUntilSentAsync(restarted, 10, _slack, TimeSpan.FromSeconds(30));

        Assert.Equal(5, _slack.CallsTo("conversations.open").Count);
        foreach (var message in _slack.Messages.Skip(5))
            Assert.Equal(dms[message.Message["text"]!.ToString()[^4..]], message.Channel);

        // A stored DM Slack no longer knows is opened again, and the prompt still arrives.
        await using (var connection = await restarted.Get<Database>().OpenAsync())
            await connection.ExecuteAsync("UPDATE slack_dm_channels SET channel_id = 'DGONE' WHERE workspace_id = 'T1' AND user_id = 'U001'");
        _slack.FailNext("chat.postMessage", "channel_not_found");
        await EnqueueAsync(restarted, "T1", "checkin-prompt:I1:2027-W07:U001", "U001");
        await RunUntilSentAsync(restarted, 11, _slack, TimeSpan.FromSeconds(30));
        Assert.Equal(6, _slack.CallsTo("conversations.open").Count);
        Assert.Equal(dms["U001"], _slack.Messages[^1].Channel);
        Assert.Equal(dms["U001"], await restarted.Get<SlackDmChannels>().GetAsync("T1", "U001", default));
    }
}
