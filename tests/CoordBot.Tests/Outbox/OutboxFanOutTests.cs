using System.Collections.Concurrent;
using System.Diagnostics;
using CoordBot.Chat;
using CoordBot.Outbox;
using CoordBot.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CoordBot.Tests.Outbox;

/// <summary>
/// A sender whose behaviour is scripted per message: how long it is paced (waiting through
/// <see cref="OutboxPacing"/> on <paramref name="time"/>, as the Slack and Teams limiters do) and what it
/// answers on each try. It records every delivery in order.
/// </summary>
public sealed class ScriptedSender(Func<OutboxMessage, int, SendResult>? answer = null, Func<OutboxMessage, TimeSpan>? pacing = null, TimeProvider? time = null) : IChannelSender
{
    private readonly ConcurrentDictionary<string, int> _tries = new();
    public ConcurrentQueue<(string Key, string Workspace, string Destination)> Deliveries { get; } = new();
    public string Platform => "scripted";

    public async Task<SendResult> SendAsync(OutboxMessage message, CancellationToken ct)
    {
        var attempt = _tries.AddOrUpdate(message.Key, 1, (_, n) => n + 1);
        if (pacing?.Invoke(message) is { } wait && wait > TimeSpan.Zero) await OutboxPacing.DelayAsync(wait, time ?? TimeProvider.System, ct);
        var result = answer?.Invoke(message, attempt) ?? SendResult.Sent;
        if (result is SendResult.SentResult) Deliveries.Enqueue((message.Key, message.WorkspaceId, message.Destination));
        return result;
    }

    public int Tries(string key) => _tries.GetValueOrDefault(key);
}

/// <summary>The dispatcher's concurrency: workspaces in parallel, destinations in order, pacing never counted or blocking.</summary>
public sealed class OutboxFanOutTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2027, 2, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly TestDatabase _db = new();

    public void Dispose() => _db.Dispose();

    private Task<CoreChat> Core(IChannelSender sender, OutboxOptions options, TimeProvider? clock = null) =>
        CoreChat.StartAsync(_db, clock, s => s.AddSingleton(sender), options);

    [Fact]
    public async Task Rate_limiting_never_counts_as_an_attempt_so_sustained_429s_skip_nobody()
    {
        var clock = new ManualClock(Start);
        var sender = new ScriptedSender((_, attempt) => attempt <= 20 ? new SendResult.RateLimited(TimeSpan.FromSeconds(30)) : SendResult.Sent);
        await using var core = await Core(sender, new OutboxOptions { MaxAttempts = 2 }, clock);
        var outbox = core.Get<OutboxStore>();
        await outbox.EnqueueAsync("T1", "checkin-prompt:I1:2027-W05:U1", "scripted", "U1", Reply.Say("Check-in time"), Start, Start);

        for (var round = 0; round < 21; round++)
        {
            Assert.Equal(1, await core.Get<OutboxDispatcher>().DispatchDueAsync(default));
            var entry = (await outbox.GetAsync("T1", "checkin-prompt:I1:2027-W05:U1"))!;
            if (round < 20) Assert.Equal(("pending", 0, clock.GetUtcNow().AddSeconds(30)), (entry.Status, entry.Attempts, entry.NotBefore));
            clock.Advance(TimeSpan.FromSeconds(30));
        }
        var sent = (await outbox.GetAsync("T1", "checkin-prompt:I1:2027-W05:U1"))!;
        Assert.Equal(("sent", 1), (sent.Status, sent.Attempts));   // twenty 429s, then one counted attempt that worked
        Assert.Single(sender.Deliveries);
    }

    [Fact]
    public async Task A_retry_holds_back_the_later_messages_to_its_destination_so_they_keep_their_order()
    {
        var clock = new ManualClock(Start);
        var sender = new ScriptedSender((m, attempt) => m.Key == "digest:0" && attempt == 1 ? new SendResult.Transient("http_503") : SendResult.Sent);
        await using var core = await Core(sender, new OutboxOptions { FirstRetry = TimeSpan.FromSeconds(5) }, clock);
        var outbox = core.Get<OutboxStore>();
        for (var i = 0; i < 5; i++)
            await outbox.EnqueueAsync("T1", $"digest:{i}", "scripted", "C1", Reply.Say($"digest {i}"), Start, Start);
        await outbox.EnqueueAsync("T1", "other", "scripted", "C2", Reply.Say("another channel"), Start, Start);

        Assert.Equal(6, await core.Get<OutboxDispatcher>().DispatchDueAsync(default));
        Assert.Equal(["other"], sender.Deliveries.Select(d => d.Key));   // C2 is not held back by C1
        for (var i = 1; i < 5; i++)
        {
            var waiting = (await outbox.GetAsync("T1", $"digest:{i}"))!;
            Assert.Equal(("pending", 0), (waiting.Status, waiting.Attempts));   // deferred behind digest:0, not counted
            Assert.True(waiting.NotBefore > Start.AddSeconds(5));
        }

        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(5, await core.Get<OutboxDispatcher>().DispatchDueAsync(default));
        Assert.Equal(["other", "digest:0", "digest:1", "digest:2", "digest:3", "digest:4"], sender.Deliveries.Select(d => d.Key));
        Assert.Equal(2, (await outbox.GetAsync("T1", "digest:0"))!.Attempts);
    }

    [Fact]
    public async Task A_send_waiting_for_its_rate_limit_gives_its_slot_to_other_workspaces()
    {
        // One slot in all; workspace A is paced 600 ms per message on a fake clock (so until the test moves it), B not at all.
        var pace = new TimerClock(Start);
        var sender = new ScriptedSender(pacing: m => m.WorkspaceId == "A" ? TimeSpan.FromMilliseconds(600) : TimeSpan.Zero, time: pace);
        await using var core = await Core(sender, new OutboxOptions { MaxConcurrentSends = 1 });
        var outbox = core.Get<OutboxStore>();
        var dispatcher = core.Get<OutboxDispatcher>();
        var now = DateTimeOffset.UtcNow;
        await outbox.EnqueueAsync("A", "a1", "scripted", "C1", Reply.Say("a1"), now, now);
        var sendingA = dispatcher.DispatchDueAsync(default);
        await pace.WaitForTimerAsync(t => t == TimeSpan.FromMilliseconds(600));   // a1 took the slot and now waits for its pacing

        for (var i = 0; i < 3; i++) await outbox.EnqueueAsync("B", $"b{i}", "scripted", $"C{i}", Reply.Say($"b{i}"), now, now);
        Assert.Equal(3, await dispatcher.DispatchDueAsync(default).WaitAsync(TimeSpan.FromSeconds(30)));   // through the one slot, while a1 waits
        Assert.Equal(["b0", "b1", "b2"], sender.Deliveries.Select(d => d.Key).Order(StringComparer.Ordinal));
        Assert.False(sendingA.IsCompleted);

        pace.Advance(TimeSpan.FromMilliseconds(600));
        Assert.Equal(1, await sendingA.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("a1", sender.Deliveries.Last().Key);
    }

    [Fact]
    public async Task A_huge_workspace_cannot_crowd_the_others_out_of_the_claims()
    {
        // A's 20 messages were queued first and each is paced 250 ms (on a fake clock the test moves); only 4 of a workspace's are held at once.
        var pace = new TimerClock(Start);
        var sender = new ScriptedSender(pacing: m => m.WorkspaceId == "A" ? TimeSpan.FromMilliseconds(250) : TimeSpan.Zero, time: pace);
        var options = new OutboxOptions { MaxHeld = 8, MaxHeldPerWorkspace = 4, MaxConcurrentSendsPerWorkspace = 2, PollInterval = TimeSpan.FromMilliseconds(100) };
        await using var core = await Core(sender, options);
        var outbox = core.Get<OutboxStore>();
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < 20; i++) await outbox.EnqueueAsync("A", $"a{i}", "scripted", $"U{i}", Reply.Say("prompt"), now, now);
        for (var i = 0; i < 2; i++) await outbox.EnqueueAsync("B", $"b{i}", "scripted", $"U{i}", Reply.Say("prompt"), now, now);

        var dispatcher = core.Get<OutboxDispatcher>();
        await dispatcher.StartAsync(default);
        try
        {
            // B is delivered while none of A's has even finished its pacing: B did not wait for A's backlog.
            await WaitUntilAsync(() => sender.Deliveries.Count(d => d.Workspace == "B") == 2, TimeSpan.FromSeconds(30));
            Assert.DoesNotContain(sender.Deliveries, d => d.Workspace == "A");
            // A's pacing passes message by message. Its messages put back over the share come back for their turn,
            // not after their 2-minute lease (the wait below gives up long before one would run out).
            for (var n = 1; n <= 20; n++)
            {
                await pace.WaitForTimersAsync(n);
                pace.Advance(TimeSpan.FromMilliseconds(250));
            }
            await WaitUntilAsync(() => sender.Deliveries.Count == 22, TimeSpan.FromSeconds(30));
        }
        finally
        {
            await dispatcher.StopAsync(default);
        }
        Assert.Equal(22, sender.Deliveries.Select(d => d.Key).Distinct().Count());
        Assert.Equal(20, pace.Timers.Count);   // each of A's paced once: none was sent twice or retried
        foreach (var i in Enumerable.Range(0, 20)) Assert.Equal(1, (await outbox.GetAsync("A", $"a{i}"))!.Attempts);
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"Condition not met within {timeout.TotalSeconds} s.");
            await Task.Delay(20);
        }
    }
}
