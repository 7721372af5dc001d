using System.Net.Http.Json;
using System.Text.Json;
using CoordBot.Data;
using Dapper;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CoordBot.Tests.Support;

/// <summary>
/// What the local channel delivered on its own (scheduled prompts, nudges, digests), watched on a fake clock: jump to
/// just before a moment, then move the clock in small steps (Quartz and the outbox wake on its timers) until the
/// expected messages arrive, checking each time that nothing else did. <see cref="Expected"/> holds every key that
/// should have been delivered so far, with the earliest instant it may have.
/// </summary>
public sealed class LocalDeliveries(FakeTimeProvider clock)
{
    public static readonly TimeSpan Step = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan SlowStep = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan Before = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan Within = TimeSpan.FromMinutes(1);

    public Dictionary<string, DateTimeOffset> Expected { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Jumps to 30 s before <paramref name="due"/> and checks that nothing new has arrived, then moves the clock
    /// in 5 s steps: each key arrives once, delivered at or after <paramref name="due"/> and within a minute of it,
    /// and nothing else does. With no keys, watches a minute past <paramref name="due"/> for anything unexpected.
    /// </summary>
    public async Task ExpectAsync(TestHost host, DateTimeOffset due, IReadOnlyList<string> keys)
    {
        clock.SetUtcNow(due - Before);
        await Task.Delay(50);
        await AssertDeliveredAsync(host);

        foreach (var key in keys) Expected[key] = due;
        var arrived = await AdvanceUntilAsync(due + Within,
            async () => keys.Count > 0 && keys.All((await KeysAsync(host)).ContainsKey), slowFrom: keys.Count > 0 ? due : null);
        if (keys.Count > 0)
        {
            var sent = await KeysAsync(host);
            Assert.True(arrived, $"by {clock.GetUtcNow():O} still missing: {string.Join(", ", keys.Where(k => !sent.ContainsKey(k)))}; " +
                                 $"delivered: {string.Join(", ", sent.Keys.Order(StringComparer.Ordinal))}");
        }
        await AssertDeliveredAsync(host);
    }

    /// <summary>
    /// The local channel delivered exactly the expected keys (no more, none missing), each once, each at or within a
    /// few minutes after its time, digests to '#general' and the rest as DMs; the outbox holds the same keys, all sent.
    /// </summary>
    public async Task AssertDeliveredAsync(TestHost host)
    {
        var sent = await KeysAsync(host);
        Assert.Equal(Expected.Keys.Order(StringComparer.Ordinal), sent.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, (destination, at)) in sent)
        {
            Assert.True(at >= Expected[key] && at <= Expected[key] + 2 * Within, $"{key} was delivered at {at:O}, expected from {Expected[key]:O}");
            Assert.Equal(key.StartsWith("checkin-digest:", StringComparison.Ordinal) ? "#general" : key.Split(':')[^1], destination);
        }
        // The dispatcher marks a message sent just after the local channel stored it: give it a moment (of real time).
        List<(string Key, string Status)> outbox = [];
        for (var attempt = 0; attempt < 40; attempt++)
        {
            await using var connection = await host.Get<Database>().OpenAsync();
            outbox = (await connection.QueryAsync<(string Key, string Status)>(
                "SELECT idempotency_key, status FROM outbox WHERE workspace_id = 'local' ORDER BY idempotency_key")).ToList();
            if (outbox.All(o => o.Status == "sent")) break;
            await Task.Delay(25);
        }
        Assert.Equal(sent.Keys.Order(StringComparer.Ordinal), outbox.Select(o => o.Key));
        Assert.All(outbox, o => Assert.Equal("sent", o.Status));   // (the line above pins which messages these are)
    }

    /// <summary>What the local channel delivered: idempotency key → destination and delivery time.</summary>
    public static async Task<Dictionary<string, (string Destination, DateTimeOffset At)>> KeysAsync(TestHost host)
    {
        await using var connection = await host.Get<Database>().OpenAsync();
        var rows = await connection.QueryAsync<(string Key, string Destination, string At)>(
            "SELECT idempotency_key, destination, created_at FROM local_messages WHERE workspace_id = 'local'");
        return rows.ToDictionary(r => r.Key, r => (r.Destination, Database.ParseStamp(r.At)), StringComparer.Ordinal);
    }

    /// <summary>
    /// Moves the clock until the condition holds or <paramref name="until"/>: 5 s at a time, and from
    /// <paramref name="slowFrom"/> on (when something is expected) a quarter second at a time, so a slow machine gets
    /// more real time to run the job before the clock passes the allowed minute.
    /// </summary>
    public async Task<bool> AdvanceUntilAsync(DateTimeOffset until, Func<Task<bool>> done, DateTimeOffset? slowFrom = null)
    {
        while (true)
        {
            if (await done()) return true;
            var now = clock.GetUtcNow();
            if (now >= until) return false;
            clock.Advance(now >= slowFrom ? SlowStep : Step);
            await Task.Delay(25);
        }
    }

    /// <summary>Waits, moving the clock slowly from now, for a message to be delivered.</summary>
    public Task<bool> ArrivesAsync(TestHost host, string key, TimeSpan within) =>
        AdvanceUntilAsync(clock.GetUtcNow() + within, async () => (await KeysAsync(host)).ContainsKey(key), slowFrom: clock.GetUtcNow());

    /// <summary>Lets the host run for a while of fake time, 5 s at a time.</summary>
    public Task IdleAsync(TimeSpan span) => AdvanceUntilAsync(clock.GetUtcNow() + span, () => Task.FromResult(false));

    public static async Task<List<BotReply>> MessagesAsync(TestHost host, string user)
    {
        var json = await host.Http.GetFromJsonAsync<JsonElement>($"/local/messages?user={user}");
        return json.GetProperty("replies").EnumerateArray().Select(r => new BotReply(r.Clone())).ToList();
    }

    public static async Task<List<string>> TextsAsync(TestHost host, string user) => (await MessagesAsync(host, user)).Select(m => m.Text).ToList();
}
