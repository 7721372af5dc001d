using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using CoordBot.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CoordBot.Tests.Elections;

/// <summary>
/// Election reminders end to end through the local channel: the real host, Quartz's persistent store
/// in the SQLite file, the outbox and <c>GET /local/messages</c>, with the clock moved by the test.
/// </summary>
public sealed class LocalReminderTests : IDisposable
{
    private readonly TestDatabase _db = new();

    // One minute before the 180-day reminder of a 2026-11-03 election: 2026-05-07 09:00 in Chicago (CDT).
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-05-07T13:59:00Z", CultureInfo.InvariantCulture);

    private TestHost StartHost(FakeTimeProvider clock) =>
        new(_db, services: s => s.AddSingleton<TimeProvider>(clock), settings: new() { ["Outbox:PollInterval"] = "00:00:01" });

    private static async Task<List<string>> RemindersAsync(TestHost host)
    {
        var json = await host.Http.GetFromJsonAsync<JsonElement>("/local/messages?user=alice");
        return json.GetProperty("replies").EnumerateArray().Select(r => r.GetProperty("text").GetString()!).ToList();
    }

    /// <summary>Moves the clock in small steps (Quartz and the outbox wake on its timers) until the condition holds.</summary>
    private static async Task<bool> AdvanceUntilAsync(FakeTimeProvider clock, Func<Task<bool>> done, int steps = 400)
    {
        for (var i = 0; i < steps; i++)
        {
            if (await done()) return true;
            clock.Advance(TimeSpan.FromSeconds(5));
            await Task.Delay(25);
        }
        return await done();
    }

    [Fact]
    public async Task A_subscribed_channel_gets_the_reminder_when_its_time_comes()
    {
        var clock = new FakeTimeProvider(Start);
        await using var host = StartHost(clock);
        var alice = host.User("alice");
        await alice.Says("coord settings --tz America/Chicago").Expect("America/Chicago");
        await alice.Says("ally add \"Mayor Ada\" --org \"City of Atlanta\" --level elected --jurisdiction atlanta").Expect("Added");
        await alice.Says("election add atlanta 2026-11-03 --offices Mayor").Expect("Added Atlanta election (E1)");
        await alice.Says("election remind").Expect("This channel gets election reminders");
        Assert.Empty(await RemindersAsync(host));

        var arrived = await AdvanceUntilAsync(clock, async () => (await RemindersAsync(host)).Count > 0);
        var upcoming = await host.Get<CoordBot.Scheduling.IScheduledSends>().UpcomingAsync("local", 5);
        var outbox = await host.Get<CoordBot.Outbox.OutboxStore>().PendingAsync("local", 5);
        Assert.True(arrived, $"no reminder arrived by {clock.GetUtcNow():O}; still scheduled: {string.Join(", ", upcoming.Select(u => $"{u.Key} at {u.FireAt:O}"))}; " +
                             $"in the outbox: {string.Join(", ", outbox.Select(o => $"{o.Key} {o.Status} {o.LastError}"))}");
        var reminder = Assert.Single(await RemindersAsync(host));
        Assert.Contains("Atlanta election: in 180 days (2026-11-03)", reminder);
        Assert.Contains("1 allies at risk", reminder);
    }

    [Fact]
    public async Task A_reminder_missed_while_the_host_was_down_is_sent_once_after_restarts()
    {
        var clock = new FakeTimeProvider(Start);
        await using (var first = StartHost(clock))
        {
            var alice = first.User("alice");
            await alice.Says("coord settings --tz America/Chicago").Expect("America/Chicago");
            await alice.Says("election add atlanta 2026-11-03").Expect("Added");
            await alice.Says("election remind").Expect("This channel gets election reminders");
        }

        // Down over the reminder's time; back an hour later.
        clock.SetUtcNow(Start.AddHours(1));
        await using (var second = StartHost(clock))
        {
            Assert.True(await AdvanceUntilAsync(clock, async () => (await RemindersAsync(second)).Count > 0), "the missed reminder was not sent");
            Assert.Single(await RemindersAsync(second));
        }
        clock.Advance(TimeSpan.FromMinutes(10));
        await using (var third = StartHost(clock))
        {
            await AdvanceUntilAsync(clock, () => Task.FromResult(false), steps: 40);
            Assert.Single(await RemindersAsync(third));
            Assert.Contains("election-reminder:E1:-90:", string.Join(" ", await StatusAsync(third)));
        }
    }

    private static async Task<List<string>> StatusAsync(TestHost host)
    {
        var reply = await host.User("alice").Says("coord status");
        return [reply.Plain];
    }

    public void Dispose() => _db.Dispose();
}
