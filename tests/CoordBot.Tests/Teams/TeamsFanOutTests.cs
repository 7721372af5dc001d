using System.Diagnostics;
using CoordBot.Chat;
using CoordBot.Outbox;
using CoordBot.Teams;
using CoordBot.Teams.Connector;
using CoordBot.Tests.Outbox;
using CoordBot.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace CoordBot.Tests.Teams;

/// <summary>
/// Fan-out through the real outbox, dispatcher, TeamsSender and Connector client against a fake Bot
/// Connector that enforces Teams' throttling windows exactly and answers 429 over them. The tenant
/// limit is lowered to 10 a second here (on both sides) so 30-odd messages per tenant cross it.
/// </summary>
public sealed class TeamsFanOutTests : IAsyncLifetime
{
    private const string AppId = "00000000-0000-4000-8000-00000000fa00";
    private const string Secret = "fake~fanout~secret";
    private static readonly string[] Tenants = ["tenant-a", "tenant-b", "tenant-c"];
    private static readonly TimeSpan TenantWindow = TimeSpan.FromSeconds(1);
    private const int TenantLimit = 10;

    private readonly TestDatabase _db = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly TrustedServiceUrls _trusted = new();
    private readonly List<CoreChat> _cores = [];
    private readonly List<TeamsRateLimiter> _limiters = [];
    private FakeBotConnector _connector = null!;

    public async ValueTask InitializeAsync()
    {
        _connector = await FakeBotConnector.StartAsync();
        _connector.AddApp(AppId, Secret);
        _connector.Limits = new FakeTeamsLimits { PerTenant = [(TenantLimit, TenantWindow)] };
        _trusted.Trust(_connector.ServiceUrl);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var core in _cores) await core.DisposeAsync();
        foreach (var limiter in _limiters) await limiter.DisposeAsync();
        _http.Dispose();
        await _connector.DisposeAsync();
        _db.Dispose();
    }

    private async Task<CoreChat> StartAsync(OutboxOptions options, ConnectorRetryOptions? retry = null)
    {
        var limiter = new TeamsRateLimiter(new TeamsRateLimitOptions { PerTenant = [new(TenantLimit, TenantWindow)] });
        _limiters.Add(limiter);
        var tokens = new MsalTokenProvider(new TeamsOptions
        {
            AppId = AppId, AppPassword = Secret, TenantId = _connector.TenantId, TokenEndpoint = _connector.TokenEndpoint,
        }, _http, NullLogger<MsalTokenProvider>.Instance);
        var connector = new ConnectorClient(_http, tokens, _trusted, TimeProvider.System, NullLogger<ConnectorClient>.Instance,
            retry ?? new ConnectorRetryOptions { BaseDelay = TimeSpan.FromMilliseconds(50) }, limiter);
        var core = await CoreChat.StartAsync(_db, null, s =>
        {
            s.AddSingleton(connector);
            s.AddSingleton<TeamsConversations>();
            s.AddSingleton(new BotOptions());
            s.AddSingleton<TeamsReplies>();
            s.AddSingleton<IChannelSender, TeamsSender>();
        }, options);
        _cores.Add(core);
        await tokens.GetTokenAsync(default);   // the token and JIT are warm: the first call is not late
        return core;
    }

    /// <summary>A conversation the bot already has in a tenant (stored here, known to the fake).</summary>
    private async Task<string> ConversationAsync(CoreChat core, string tenant, string id, string type = "personal", string? user = null)
    {
        await core.Get<TeamsConversations>().SaveAsync(new TeamsConversation(tenant, id, type, _connector.ServiceUrl, "28:" + AppId, user, null), default);
        _connector.RegisterConversation(id, tenant);
        return id;
    }

    private static async Task EnqueueAsync(CoreChat core, string tenant, string key, string destination)
    {
        var now = DateTimeOffset.UtcNow;
        Assert.True(await core.Get<OutboxStore>().EnqueueAsync(tenant, key, "teams", destination, Reply.Say(key), now, now));
    }

    private async Task<TimeSpan> RunUntilAsync(CoreChat core, int activities, TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        var dispatcher = core.Get<OutboxDispatcher>();
        await dispatcher.StartAsync(default);
        try
        {
            await OutboxFanOutTests.WaitUntilAsync(() => _connector.ActivityCount >= activities, timeout);
            return Stopwatch.GetElapsedTime(started);
        }
        finally
        {
            await dispatcher.StopAsync(default);
        }
    }

    private List<string> TextsIn(string conversation) =>
        _connector.Activities(conversation).Select(a => a["summary"]?.ToString() ?? a["text"]?.ToString() ?? a.ToJsonString()).ToList();

    [Fact]
    public async Task Pacing_per_tenant_and_per_conversation_keeps_a_throttling_connector_from_ever_answering_429()
    {
        var core = await StartAsync(new OutboxOptions { PollInterval = TimeSpan.FromMilliseconds(100) });
        foreach (var tenant in Tenants)
        {
            for (var u = 0; u < 25; u++)
            {
                var user = $"29:{tenant}-user{u}";
                await ConversationAsync(core, tenant, $"a:{tenant}-{u}", user: user);
                await EnqueueAsync(core, tenant, $"checkin-prompt:{tenant}:{u}", user);
            }
            // One channel gets 10 digests: 7 a second and 8 per 2 s per conversation bind there.
            var channel = await ConversationAsync(core, tenant, $"19:{tenant}-general@thread.tacv2", "channel");
            for (var d = 0; d < 10; d++) await EnqueueAsync(core, tenant, $"digest:{tenant}:{d}", channel);
        }

        // 35 messages per tenant at 10 per second: the last ones go in the fourth second.
        var elapsed = await RunUntilAsync(core, 3 * 35, TimeSpan.FromSeconds(30));

        Assert.Equal(0, _connector.RateLimitedCalls);
        Assert.True(elapsed >= TimeSpan.FromSeconds(3), $"{elapsed.TotalSeconds:0.00} s is faster than the tenant limit allows: was it paced?");
        foreach (var tenant in Tenants)
        {
            var digests = _connector.Activities($"19:{tenant}-general@thread.tacv2");
            Assert.Equal(10, digests.Count);
            Assert.All(Enumerable.Range(0, 10), d => Assert.Contains($"digest:{tenant}:{d}", digests[d].ToJsonString()));   // in order
            for (var u = 0; u < 25; u++) Assert.Single(_connector.Activities($"a:{tenant}-{u}"));
        }
    }

    [Fact]
    public async Task A_429_from_teams_is_waited_out_never_counted_as_an_attempt_and_delivered_once()
    {
        // The client does not retry by itself here, and the outbox allows one attempt: the 429s must be deferrals.
        var core = await StartAsync(new OutboxOptions { MaxAttempts = 1, PollInterval = TimeSpan.FromMilliseconds(100) },
            new ConnectorRetryOptions { MaxAttempts = 1 });
        var user = "29:tenant-a-user0";
        await ConversationAsync(core, "tenant-a", "a:tenant-a-0", user: user);
        _connector.TooManyRequestsNext(retryAfterSeconds: 1, times: 2);
        await EnqueueAsync(core, "tenant-a", "checkin-prompt:tenant-a:0", user);

        await RunUntilAsync(core, 1, TimeSpan.FromSeconds(30));

        var calls = _connector.Calls.Where(c => c.Path.EndsWith("/activities", StringComparison.Ordinal)).ToList();
        Assert.Equal([429, 429, 201], calls.Select(c => c.Status));
        Assert.True(calls[1].At - calls[0].At >= TimeSpan.FromSeconds(0.95), $"{(calls[1].At - calls[0].At).TotalMilliseconds} ms");   // Retry-After: 1
        Assert.True(calls[2].At - calls[1].At >= TimeSpan.FromSeconds(0.95));
        Assert.Single(_connector.Activities("a:tenant-a-0"));
        var entry = (await core.Get<OutboxStore>().GetAsync("tenant-a", "checkin-prompt:tenant-a:0"))!;
        Assert.Equal(("sent", 1), (entry.Status, entry.Attempts));
    }

    [Fact]
    public async Task Stopping_lets_sends_already_at_the_connector_finish_and_be_recorded_while_paced_sends_stop_at_once()
    {
        var core = await StartAsync(new OutboxOptions { PollInterval = TimeSpan.FromMilliseconds(100), MaxConcurrentSendsPerWorkspace = 30 });
        // 30 prompts in one tenant at once: 10 go in the first second (the tenant's limit here), 20 wait for their turn.
        for (var u = 0; u < 30; u++)
        {
            var user = $"29:tenant-a-user{u}";
            await ConversationAsync(core, "tenant-a", $"a:tenant-a-{u}", user: user);
            await EnqueueAsync(core, "tenant-a", $"checkin-prompt:tenant-a:{u}", user);
        }
        _connector.AnswerSlowly(TimeSpan.FromSeconds(1.5));

        var dispatcher = core.Get<OutboxDispatcher>();
        await dispatcher.StartAsync(default);
        await OutboxFanOutTests.WaitUntilAsync(() => _connector.ActivityCount >= 1, TimeSpan.FromSeconds(30));
        // StopAsync returns once every worker has ended, so nothing can go after it.
        await dispatcher.StopAsync(default);

        // The calls under way were answered (1.5 s after they arrived) and recorded; those waiting for their turn never went.
        var posted = _connector.ActivityCount;
        Assert.InRange(posted, 1, TenantLimit);
        var entries = await Task.WhenAll(Enumerable.Range(0, 30).Select(u => core.Get<OutboxStore>().GetAsync("tenant-a", $"checkin-prompt:tenant-a:{u}")));
        Assert.Equal(posted, entries.Count(e => e!.Status == "sent"));
        var unsent = entries.Where(e => e!.Status != "sent").ToList();
        Assert.Equal(30 - posted, unsent.Count);
        Assert.NotEmpty(unsent);
        Assert.All(unsent, e => Assert.Equal(0, e!.Attempts));
    }

    [Fact]
    public async Task A_call_that_outlasts_the_stop_grace_is_cut_off_and_left_to_go_again_after_its_lease()
    {
        var core = await StartAsync(new OutboxOptions { PollInterval = TimeSpan.FromMilliseconds(100), StopGrace = TimeSpan.FromMilliseconds(500) });
        await ConversationAsync(core, "tenant-a", "a:tenant-a-0", user: "29:tenant-a-user0");
        await EnqueueAsync(core, "tenant-a", "checkin-prompt:tenant-a:0", "29:tenant-a-user0");
        _connector.AnswerSlowly(TimeSpan.FromSeconds(4));

        var dispatcher = core.Get<OutboxDispatcher>();
        await dispatcher.StartAsync(default);
        await OutboxFanOutTests.WaitUntilAsync(() => _connector.ActivityCount >= 1, TimeSpan.FromSeconds(30));
        await dispatcher.StopAsync(default);

        // Had the stop waited for the connector's answer (4 s), the send would be recorded as sent: it was cut off at the grace.
        var entry = (await core.Get<OutboxStore>().GetAsync("tenant-a", "checkin-prompt:tenant-a:0"))!;
        Assert.Equal(("sending", 0), (entry.Status, entry.Attempts));   // unknown outcome: still claimed, it goes again after the lease
    }
}

