using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using CoordBot.Chat;
using CoordBot.Host.Local;
using CoordBot.Outbox;
using CoordBot.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CoordBot.Tests.Outbox;

/// <summary>A sender that fails a set number of times per key, then delivers; it counts deliveries per key.</summary>
public sealed class FlakySender(int failures, TimeSpan? retryAfter = null, bool permanent = false) : IChannelSender
{
    public ConcurrentDictionary<string, int> Attempts { get; } = new();
    public ConcurrentDictionary<string, int> Delivered { get; } = new();
    public string Platform => "flaky";

    public Task<SendResult> SendAsync(OutboxMessage message, CancellationToken ct)
    {
        var attempt = Attempts.AddOrUpdate(message.Key, 1, (_, n) => n + 1);
        if (permanent) return Task.FromResult<SendResult>(new SendResult.Permanent("channel_not_found"));
        if (attempt <= failures) return Task.FromResult<SendResult>(new SendResult.Transient("ratelimited", retryAfter));
        Delivered.AddOrUpdate(message.Key, 1, (_, n) => n + 1);
        return Task.FromResult(SendResult.Sent);
    }
}

public sealed class OutboxTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);
    private readonly TestDatabase _db = new();
    private readonly ManualClock _clock = new(Start);

    public void Dispose() => _db.Dispose();

    private Task<CoreChat> Core(IChannelSender sender, OutboxOptions? options = null, Action<IServiceCollection>? configure = null) =>
        CoreChat.StartAsync(_db, _clock, s => { s.AddSingleton(sender); configure?.Invoke(s); }, options);

    [Fact]
    public async Task A_sender_that_fails_twice_then_succeeds_delivers_exactly_once_honouring_retry_after_then_backoff()
    {
        var sender = new FlakySender(failures: 2);
        await using var core = await Core(sender, new OutboxOptions { FirstRetry = TimeSpan.FromSeconds(5) });
        var outbox = core.Get<OutboxStore>();
        var dispatcher = core.Get<OutboxDispatcher>();
        Assert.True(await outbox.EnqueueAsync("T1", "election-reminder:E3:-30:C123", "flaky", "C123", Reply.Say("Election in 30 days"), Start, Start));

        Assert.Equal(1, await dispatcher.DispatchDueAsync(default));      // attempt 1 fails
        Assert.Equal(0, await dispatcher.DispatchDueAsync(default));      // not due again yet
        var entry = (await outbox.GetAsync("T1", "election-reminder:E3:-30:C123"))!;
        Assert.Equal(("pending", 1, Start.AddSeconds(5)), (entry.Status, entry.Attempts, entry.NotBefore));
        Assert.Equal("ratelimited", entry.LastError);

        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, await dispatcher.DispatchDueAsync(default));      // attempt 2 fails; backoff doubles
        Assert.Equal(Start.AddSeconds(15), (await outbox.GetAsync("T1", "election-reminder:E3:-30:C123"))!.NotBefore);
        _clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(0, await dispatcher.DispatchDueAsync(default));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await dispatcher.DispatchDueAsync(default));      // attempt 3 succeeds
        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await dispatcher.DispatchDueAsync(default));

        Assert.Equal(3, sender.Attempts["election-reminder:E3:-30:C123"]);
        Assert.Equal(1, sender.Delivered["election-reminder:E3:-30:C123"]);
        entry = (await outbox.GetAsync("T1", "election-reminder:E3:-30:C123"))!;
        Assert.Equal(("sent", 3), (entry.Status, entry.Attempts));
    }

    [Fact]
    public async Task Retry_after_from_the_platform_wins_over_backoff()
    {
        var sender = new FlakySender(failures: 1, retryAfter: TimeSpan.FromSeconds(42));
        await using var core = await Core(sender);
        await core.Get<OutboxStore>().EnqueueAsync("T1", "k", "flaky", "C1", Reply.Say("x"), Start, Start);
        await core.Get<OutboxDispatcher>().DispatchDueAsync(default);
        Assert.Equal(Start.AddSeconds(42), (await core.Get<OutboxStore>().GetAsync("T1", "k"))!.NotBefore);
    }

    [Fact]
    public async Task Expired_claims_come_back_first_marked_maybe_sent()
    {
        await using var one = await Core(new FlakySender(0));
        await using var two = await Core(new FlakySender(0));
        await ClaimsOfADeadInstanceAsync(one, two);
    }

    [Fact]
    public async Task On_postgres_one_instance_sends_for_a_workspace_and_keeps_it_while_it_waits_for_a_retry()
    {
        Assert.SkipUnless(_db.IsPostgres, "PostgreSQL only: one SQLite file has one instance, so no sender to keep apart (the PostgreSQL leg runs this)");
        await using var one = await Core(new FlakySender(0));
        await using var two = await Core(new FlakySender(0));
        var (a, b, after, lease) = await ClaimsOfADeadInstanceAsync(one, two);
        // B waits five minutes for a retry and stays T1's sender meanwhile: A, alive, takes none of T1's messages then.
        var retry = after + TimeSpan.FromMinutes(5);
        await b.RenewClaimsAsync([], [("flaky", "T1")], retry + lease);
        Assert.Empty(await a.ClaimDueAsync(retry, lease, 10));
        Assert.Equal(3, (await b.ClaimDueAsync(retry, lease, 10)).Count);
    }

    /// <summary>
    /// Two instances on one database (on SQLite only one would run; the claims behave the same but for the
    /// sender rule): A claims, begins a send and dies; B takes A's claims back first once their lease has run out.
    /// </summary>
    private async Task<(OutboxStore A, OutboxStore B, DateTimeOffset After, TimeSpan Lease)> ClaimsOfADeadInstanceAsync(CoreChat one, CoreChat two)
    {
        var (a, b) = (one.Get<OutboxStore>(), two.Get<OutboxStore>());
        Assert.NotEqual(a.Instance, b.Instance);
        foreach (var (workspace, key) in new[] { ("T1", "k1"), ("T1", "k2"), ("T1", "k3"), ("T2", "k1"), ("T2", "k2") })
            await a.EnqueueAsync(workspace, key, "flaky", "C1", Reply.Say(key), Start, Start);

        var lease = TimeSpan.FromMinutes(1);
        var byA = await a.ClaimDueAsync(Start, lease, 2);
        Assert.Equal(["T1 k1", "T1 k2"], byA.Select(m => $"{m.WorkspaceId} {m.Key}"));
        await a.MarkTryingAsync(byA[0].Id, Start);   // A begins sending k1, then dies

        var byB = await b.ClaimDueAsync(Start, lease, 10);
        // On PostgreSQL A is T1's only sender while its claims last; SQLite has no second instance to keep apart.
        Assert.Equal(_db.IsPostgres ? ["T2 k1", "T2 k2"] : ["T1 k3", "T2 k1", "T2 k2"], byB.Select(m => $"{m.WorkspaceId} {m.Key}"));
        foreach (var message in byB) await b.MarkSentAsync(message.Id, Start);
        Assert.Empty(await b.ClaimDueAsync(Start.AddSeconds(59), lease, 10));

        // A's lease runs out: B takes its claims (first, in claim order) and T1's rest. k1's try began: it may be there already.
        var after = Start + lease;
        var taken = await b.ClaimDueAsync(after, lease, 10);
        Assert.Equal(_db.IsPostgres ? ["T1 k1", "T1 k2", "T1 k3"] : ["T1 k1", "T1 k2"], taken.Select(m => $"{m.WorkspaceId} {m.Key}"));
        Assert.Equal([true, false], taken.Take(2).Select(m => m.MaybeSent));
        if (_db.IsPostgres) Assert.Empty(await a.ClaimDueAsync(after, lease, 10));   // now B sends for T1

        // A rate-limited try that posted nothing forgets the try; one that may have posted keeps it (both were tried).
        await b.MarkTryingAsync(taken[1].Id, after);
        await b.DeferAsync(taken[0].Id, after, "ratelimited", forgetTry: false);
        await b.DeferAsync(taken[1].Id, after, "ratelimited", forgetTry: true);
        Assert.Equal([true, false], (await b.ClaimDueAsync(after, lease, 2)).Select(m => m.MaybeSent));
        return (a, b, after, lease);
    }

    [Fact]
    public async Task A_key_is_queued_once_per_workspace()
    {
        var sender = new FlakySender(failures: 0);
        await using var core = await Core(sender);
        var outbox = core.Get<OutboxStore>();
        Assert.True(await outbox.EnqueueAsync("T1", "checkin-prompt:I3:2027-W05:U123", "flaky", "U123", Reply.Say("first"), Start, Start));
        Assert.False(await outbox.EnqueueAsync("T1", "checkin-prompt:I3:2027-W05:U123", "flaky", "U123", Reply.Say("second"), Start, Start));
        Assert.True(await outbox.EnqueueAsync("T2", "checkin-prompt:I3:2027-W05:U123", "flaky", "U123", Reply.Say("other workspace"), Start, Start));
        await core.Get<OutboxDispatcher>().DispatchDueAsync(default);
        await outbox.EnqueueAsync("T1", "checkin-prompt:I3:2027-W05:U123", "flaky", "U123", Reply.Say("after sending"), Start, Start);
        Assert.Equal(0, await core.Get<OutboxDispatcher>().DispatchDueAsync(default));
        // T1 and T2 each send their own message once under the same key name.
        Assert.Equal(2, sender.Delivered["checkin-prompt:I3:2027-W05:U123"]);
    }

    [Fact]
    public async Task A_restart_mid_way_sends_nothing_twice_and_loses_nothing()
    {
        var sender = new FlakySender(failures: 0);
        var options = new OutboxOptions { BatchSize = 4, Lease = TimeSpan.FromMinutes(2) };
        await using (var before = await Core(sender, options))
        {
            for (var i = 0; i < 10; i++)
                await before.Get<OutboxStore>().EnqueueAsync("T1", $"prompt:{i}", "flaky", $"U{i}", Reply.Say($"prompt {i}"), Start, Start);
            Assert.Equal(4, await before.Get<OutboxDispatcher>().DispatchDueAsync(default));
            // The instance claims the next batch and dies before sending it.
            Assert.Equal(4, (await before.Get<OutboxStore>().ClaimDueAsync(_clock.GetUtcNow(), options.Lease, 4)).Count);
        }
        await using var after = await Core(sender, options);
        var dispatcher = after.Get<OutboxDispatcher>();
        // The claimed four wait for their lease. On PostgreSQL the dead instance was T1's sender until then, so the other two wait too.
        Assert.Equal(_db.IsPostgres ? 0 : 2, await dispatcher.DispatchDueAsync(default));
        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(4, await dispatcher.DispatchDueAsync(default));   // the dead instance's claims are released (first)
        if (_db.IsPostgres) Assert.Equal(2, await dispatcher.DispatchDueAsync(default));
        Assert.Equal(0, await dispatcher.DispatchDueAsync(default));
        Assert.Equal(10, sender.Delivered.Count);
        Assert.NotEmpty(sender.Delivered.Values);
        Assert.All(sender.Delivered.Values, n => Assert.Equal(1, n));
    }

    [Fact]
    public async Task Permanent_failures_and_exhausted_retries_are_marked_failed()
    {
        var broken = new FlakySender(failures: 0, permanent: true);
        await using (var core = await Core(broken))
        {
            await core.Get<OutboxStore>().EnqueueAsync("T1", "gone", "flaky", "C1", Reply.Say("x"), Start, Start);
            await core.Get<OutboxStore>().EnqueueAsync("T1", "nowhere", "carrier-pigeon", "C1", Reply.Say("x"), Start, Start);
            await core.Get<OutboxDispatcher>().DispatchDueAsync(default);
            _clock.Advance(TimeSpan.FromDays(1));
            Assert.Equal(0, await core.Get<OutboxDispatcher>().DispatchDueAsync(default));
            Assert.Equal(("failed", "channel_not_found"), ((await core.Get<OutboxStore>().GetAsync("T1", "gone"))!.Status, (await core.Get<OutboxStore>().GetAsync("T1", "gone"))!.LastError));
            Assert.Contains("no sender for platform 'carrier-pigeon'", (await core.Get<OutboxStore>().GetAsync("T1", "nowhere"))!.LastError);
        }
        var flaky = new FlakySender(failures: 100);
        await using var again = await Core(flaky, new OutboxOptions { MaxAttempts = 3 });
        await again.Get<OutboxStore>().EnqueueAsync("T1", "hopeless", "flaky", "C1", Reply.Say("x"), Start, Start);
        for (var i = 0; i < 5; i++)
        {
            await again.Get<OutboxDispatcher>().DispatchDueAsync(default);
            _clock.Advance(TimeSpan.FromHours(1));
        }
        Assert.Equal(3, flaky.Attempts["hopeless"]);
        var entry = (await again.Get<OutboxStore>().GetAsync("T1", "hopeless"))!;
        Assert.Equal("failed", entry.Status);
        Assert.StartsWith("gave up after 3 attempts", entry.LastError);
    }

    /// <summary>Overwrites a queued message's payload, as a corrupt row or a newer build's block type would leave it.</summary>
    private static async Task PoisonAsync(CoreChat core, string workspace, string key, string payload)
    {
        await using var connection = await core.Get<CoordBot.Data.Database>().OpenAsync(default);
        Assert.Equal(1, await Dapper.SqlMapper.ExecuteAsync(connection,
            "UPDATE outbox SET payload = @Payload WHERE workspace_id = @Workspace AND idempotency_key = @Key", new { Payload = payload, Workspace = workspace, Key = key }));
    }

    [Fact]
    public async Task An_unreadable_row_is_failed_with_its_reason_and_the_other_499_of_its_batch_are_delivered()
    {
        var sender = new FlakySender(failures: 0);
        var options = new OutboxOptions { BatchSize = 500, Lease = TimeSpan.FromMinutes(2) };
        var log = new ListLogger<OutboxStore>();
        await using var core = await Core(sender, options, s => s.AddSingleton<Microsoft.Extensions.Logging.ILogger<OutboxStore>>(log));
        var outbox = core.Get<OutboxStore>();
        for (var i = 0; i < 500; i++)
            await outbox.EnqueueAsync($"T{i % 5}", $"prompt:{i}", "flaky", $"U{i}", Reply.Say($"prompt {i}"), Start, Start);
        await PoisonAsync(core, "T2", "prompt:237", """{"text":"x","blocks":[{"type":"hologram","frames":3}]}""");

        var dispatcher = core.Get<OutboxDispatcher>();
        var dispatched = 0;
        for (var round = 0; round < 20 && await dispatcher.DispatchDueAsync(default) is var n and > 0; round++) dispatched += n;

        Assert.Equal(499, dispatched);
        Assert.Equal(499, sender.Delivered.Count);
        Assert.NotEmpty(sender.Delivered.Values);
        Assert.All(sender.Delivered.Values, count => Assert.Equal(1, count));
        Assert.False(sender.Attempts.ContainsKey("prompt:237"));
        var poison = (await outbox.GetAsync("T2", "prompt:237"))!;
        Assert.Equal("failed", poison.Status);
        Assert.Equal("payload could not be read: a block type this version does not know at $.blocks[0]", poison.LastError);

        // Never claimed again, however many leases pass; logged once, as an error, with the reason and not the payload.
        _clock.Advance(options.Lease * 3);
        Assert.Equal(0, await dispatcher.DispatchDueAsync(default));
        Assert.Equal("failed", (await outbox.GetAsync("T2", "prompt:237"))!.Status);
        var line = Assert.Single(log.Lines);
        Assert.Matches(@"^Error: Outbox message \d+ \(flaky, workspace T2\) failed for good: payload could not be read: a block type this version does not know at \$\.blocks\[0\]$", line);
    }

    [Fact]
    public async Task Renewed_claims_stay_with_their_instance_until_the_renewed_lease_runs_out_and_released_ones_come_back_at_once()
    {
        await using var core = await Core(new FlakySender(0));
        var outbox = core.Get<OutboxStore>();
        foreach (var key in new[] { "k1", "k2", "k3" }) await outbox.EnqueueAsync("T1", key, "flaky", "C1", Reply.Say(key), Start, Start);
        var lease = TimeSpan.FromMinutes(1);
        var claimed = await outbox.ClaimDueAsync(Start, lease, 3);
        Assert.Equal(["k1", "k2", "k3"], claimed.Select(m => m.Key));
        await outbox.MarkSentAsync(claimed[2].Id, Start);

        // Renewing nothing changes nothing; renewing k1 and k2 (k3 is sent: it stays sent) keeps them until Start + 10 min.
        await outbox.RenewClaimsAsync([], [], Start + TimeSpan.FromHours(1));
        await outbox.RenewClaimsAsync([claimed[0].Id, claimed[1].Id, claimed[2].Id], [], Start + TimeSpan.FromMinutes(10));
        Assert.Empty(await outbox.ClaimDueAsync(Start + TimeSpan.FromMinutes(5), lease, 10));   // the first lease has run out, the renewed one not
        Assert.Equal("sent", (await outbox.GetAsync("T1", "k3"))!.Status);
        Assert.Equal(["k1", "k2"], (await outbox.ClaimDueAsync(Start + TimeSpan.FromMinutes(10), lease, 10)).Select(m => m.Key));

        // An instance that stops hands its untried claims back: claimable at once, by this or another instance, not maybe sent.
        var now = Start + TimeSpan.FromMinutes(10);
        await outbox.ReleaseClaimsAsync([claimed[0].Id, claimed[1].Id]);
        Assert.Equal("pending", (await outbox.GetAsync("T1", "k1"))!.Status);
        await using var other = await Core(new FlakySender(0));
        var taken = await other.Get<OutboxStore>().ClaimDueAsync(now, lease, 10);
        Assert.Equal(["k1", "k2"], taken.Select(m => m.Key));
        Assert.All(taken, m => Assert.False(m.MaybeSent));
    }

    [Theory]
    [InlineData("not json at all", "payload could not be read: not a valid reply")]
    [InlineData("null", "payload could not be read: not a valid reply")]
    [InlineData("""{"text":"x","blocks":[{"type":"text","text":12}]}""", "payload could not be read: not a valid reply at $.blocks[0].text")]
    public async Task Corrupt_payloads_are_failed_alone_with_a_reason_that_quotes_no_data(string payload, string reason)
    {
        var sender = new FlakySender(failures: 0);
        await using var core = await Core(sender);
        var outbox = core.Get<OutboxStore>();
        await outbox.EnqueueAsync("T1", "bad", "flaky", "C1", Reply.Say("secret notes"), Start, Start);
        await outbox.EnqueueAsync("T1", "good", "flaky", "C2", Reply.Say("fine"), Start, Start);
        await PoisonAsync(core, "T1", "bad", payload);

        Assert.Equal(1, await core.Get<OutboxDispatcher>().DispatchDueAsync(default));
        Assert.Equal(1, sender.Delivered["good"]);
        Assert.Equal(("failed", reason), ((await outbox.GetAsync("T1", "bad"))!.Status, (await outbox.GetAsync("T1", "bad"))!.LastError));
    }

    [Fact]
    public async Task Coord_status_shows_admins_the_failed_sends_of_the_last_7_days_of_their_workspace_only()
    {
        var broken = new FlakySender(failures: 0, permanent: true);
        await using var core = await Core(broken);
        await core.Say("T1", "alice", "coord help");   // alice is T1's first user, so its admin
        await core.Say("T2", "mallory", "coord help");
        var outbox = core.Get<OutboxStore>();
        await outbox.EnqueueAsync("T1", "digest:I1:2026-W40", "flaky", "C1", Reply.Say("old"), Start, Start);
        await core.Get<OutboxDispatcher>().DispatchDueAsync(default);   // fails now: 8 days before the status below
        _clock.Advance(TimeSpan.FromDays(8));
        var now = _clock.GetUtcNow();
        await outbox.EnqueueAsync("T1", "digest:I1:2026-W47", "flaky", "C1", Reply.Say("digest"), now, now);
        await outbox.EnqueueAsync("T1", "prompt:I1:2026-W47:bob", "flaky", "bob", Reply.Say("prompt"), now, now);
        await PoisonAsync(core, "T1", "prompt:I1:2026-W47:bob", """{"text":"x","blocks":[{"type":"hologram"}]}""");
        await outbox.EnqueueAsync("T2", "digest:I9:2026-W47", "flaky", "C9", Reply.Say("theirs"), now, now);
        await core.Get<OutboxDispatcher>().DispatchDueAsync(default);

        var adminReply = await core.Say("T1", "alice", "coord status");
        Assert.Equal("Nothing is scheduled to be sent in this workspace. · 2 failed in the last 7 days", adminReply.Text);
        var admin = CoreChat.Plain(adminReply);
        Assert.Contains("Failed sends in the last 7 days", admin);
        Assert.Contains("digest:I1:2026-W47 → C1: channel_not_found", admin);
        Assert.Contains("prompt:I1:2026-W47:bob → bob: payload could not be read: a block type this version does not know", admin);
        Assert.DoesNotContain("2026-W40", admin);    // older than a week
        Assert.DoesNotContain("I9", admin);          // another workspace's

        var member = CoreChat.Plain(await core.Say("T1", "bob", "coord status"));
        Assert.DoesNotContain("Failed", member);
        Assert.DoesNotContain("channel_not_found", member);

        var otherAdmin = CoreChat.Plain(await core.Say("T2", "mallory", "coord status"));
        Assert.Contains("digest:I9:2026-W47 → C9", otherAdmin);
        Assert.DoesNotContain("I1:", otherAdmin);
    }

    [Fact]
    public async Task Host_delivers_outbox_messages_to_the_local_channel_once_even_when_a_send_is_repeated()
    {
        // The host's clock is a fake one: the dispatcher polls, claims and leases on it.
        var clock = new FakeTimeProvider(Start);
        await using var host = new TestHost(_db, services: s => s.AddSingleton<TimeProvider>(clock), settings: new() { ["Outbox:Lease"] = "00:00:01" });
        var outbox = host.Get<OutboxStore>();
        var now = clock.GetUtcNow();
        var reply = new Reply("Reminder: election in 30 days", [new Heading("Atlanta general election"), new Paragraph("30 days to go")]);
        await outbox.EnqueueAsync("local", "election-reminder:E1:-30:alice", "local", "alice", reply, now, now);
        host.Get<OutboxDispatcher>().Wake();
        var messages = await WaitForMessages(host, "alice", 1);
        Assert.Equal("Reminder: election in 30 days", messages[0].GetProperty("text").GetString());
        Assert.Contains("Atlanta general election", messages[0].GetProperty("html").GetString());

        // An instance claims a message, sends it, and dies before recording the send: after the lease
        // the dispatcher sends it again, and the local channel still shows it once. (Due a minute from
        // now on the fake clock, so the host's own dispatcher cannot claim it before the dead instance does.)
        var due = now.AddMinutes(1);
        await outbox.EnqueueAsync("local", "digest:I1:2026-W47", "local", "#general", Reply.Say("Weekly digest"), notBefore: due, now: now);
        var claimed = await outbox.ClaimDueAsync(due, TimeSpan.FromSeconds(1), 10);
        var digest = Assert.Single(claimed);
        Assert.Equal(SendResult.Sent, await host.Get<IEnumerable<IChannelSender>>().OfType<LocalSender>().Single().SendAsync(digest, default));
        clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));   // the claim's lease has run out
        host.Get<OutboxDispatcher>().Wake();
        await WaitUntilAsync(async () => (await outbox.GetAsync("local", "digest:I1:2026-W47"))!.Status == "sent");
        var all = await WaitForMessages(host, "bob", 1);
        Assert.Single(all, m => m.GetProperty("text").GetString() == "Weekly digest");
        Assert.Single(await WaitForMessages(host, "alice", 2), m => m.GetProperty("text").GetString() == "Weekly digest");
    }

    /// <summary>Polls a condition on the host's store (the dispatcher records on its own threads) for up to 30 s.</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition()) await Task.Delay(20, timeout.Token);
    }

    private static async Task<List<JsonElement>> WaitForMessages(TestHost host, string user, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var json = await host.Http.GetFromJsonAsync<JsonElement>($"/local/messages?user={user}");
            var replies = json.GetProperty("replies").EnumerateArray().Select(r => r.Clone()).ToList();
            if (replies.Count >= count || timeout.IsCancellationRequested) return replies;
            await Task.Delay(20);
        }
    }
}
