using System.Text.Json.Nodes;
using CoordBot.Slack.Api;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Slack;

public sealed class SlackRateLimiterTests : SlackApiTest
{
    private static JsonObject Text(string text) => new() { ["text"] = text };

    [Theory]
    [InlineData("chat.postMessage", SlackTier.PostMessage)]
    [InlineData("chat.postEphemeral", SlackTier.Tier4)]
    [InlineData("chat.update", SlackTier.Tier3)]
    [InlineData("views.open", SlackTier.Tier4)]
    [InlineData("views.update", SlackTier.Tier4)]
    [InlineData("views.publish", SlackTier.Tier4)]
    [InlineData("conversations.open", SlackTier.Tier3)]
    [InlineData("users.info", SlackTier.Tier4)]
    [InlineData("files.getUploadURLExternal", SlackTier.Tier4)]
    [InlineData("files.completeUploadExternal", SlackTier.Tier4)]
    [InlineData("oauth.v2.access", SlackTier.Tier4)]
    [InlineData("auth.test", SlackTier.Tier4)]
    [InlineData("apps.connections.open", SlackTier.Tier1)]
    [InlineData("conversations.history", SlackTier.Tier3)]
    public void Methods_map_to_their_documented_tier(string method, SlackTier tier) => Assert.Equal(tier, SlackRateLimiter.TierOf(method));

    [Fact]
    public void A_channel_gets_a_small_burst_then_one_message_a_second()
    {
        var clock = new ManualClock(DateTimeOffset.UnixEpoch);
        var limiter = new SlackRateLimiter(clock);
        var waits = Enumerable.Range(0, 6).Select(_ => limiter.Reserve("chat.postMessage", Token, "C1")).ToList();
        Assert.Equal([0, 0, 1, 2, 3, 4], waits.Select(w => w.TotalSeconds));
        Assert.Equal(TimeSpan.Zero, limiter.Reserve("chat.postMessage", Token, "C2"));         // another channel
        Assert.Equal(TimeSpan.Zero, limiter.Reserve("chat.postMessage", "xoxb-other", "C1"));  // another workspace

        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.Zero, limiter.Reserve("chat.postMessage", Token, "C1"));
    }

    [Fact]
    public void A_wait_beyond_max_wait_is_refused_locally_without_taking_a_slot()
    {
        var clock = new ManualClock(DateTimeOffset.UnixEpoch);
        var limiter = new SlackRateLimiter(clock, new SlackRateLimitOptions { Tier1 = new SlackRate(1, 1) });
        Assert.Equal(TimeSpan.Zero, limiter.Reserve("apps.connections.open", AppToken, null));
        var refused = Assert.Throws<SlackRateLimitedException>(() => limiter.Reserve("apps.connections.open", AppToken, null));
        Assert.Equal((TimeSpan.FromSeconds(60), true, "apps.connections.open"), (refused.RetryAfter, refused.Local, refused.Method));
        clock.Advance(TimeSpan.FromSeconds(55));
        Assert.Equal(TimeSpan.FromSeconds(5), limiter.Reserve("apps.connections.open", AppToken, null));   // the refusal took nothing
    }

    [Fact]
    public async Task A_local_refusal_never_reaches_slack()
    {
        var client = Client(new SlackRateLimitOptions { Tier1 = new SlackRate(1, 1) });
        await client.OpenSocketConnectionAsync(AppToken);
        var refused = await Assert.ThrowsAsync<SlackRateLimitedException>(() => client.OpenSocketConnectionAsync(AppToken));
        Assert.True(refused.Local);
        Assert.Single(Slack.Calls);
    }

    [Fact]
    public async Task Rapid_posts_to_one_channel_are_spaced_while_other_channels_are_not_held_up()
    {
        // The limiter runs on a fake clock: a post that has to wait cannot go until the test moves the clock.
        var clock = new TimerClock(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        var interval = TimeSpan.FromSeconds(1);   // chat.postMessage: one a second per channel, a burst of 2
        var client = Client(new SlackRateLimiter(clock, new SlackRateLimitOptions { MaxWait = TimeSpan.FromSeconds(30) }));   // 20 queued posts wait up to 18 s
        int Posted() => Slack.CallsTo("chat.postMessage").Count;
        // The fake Slack counts its limits on the real clock, which this test compresses; the spacing is checked on the fake clock instead.
        Slack.Limits = null;

        // Twenty posts to other channels all go at once, the clock standing still: nothing holds them up.
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => client.PostMessageAsync(Token, $"C{100 + i}", Text($"m{i}")))).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(20, Posted());

        // Twenty to one channel: the burst of 2 goes at once, then one more each time the clock passes another interval.
        var oneChannel = Task.WhenAll(Enumerable.Range(0, 20).Select(i => client.PostMessageAsync(Token, "C1", Text($"c{i}"))));
        await WaitUntilAsync(() => Posted() == 22);
        await clock.WaitForTimersAsync(18);   // the other 18 wait for their turns
        Assert.Equal(22, Posted());
        for (var k = 1; k <= 18; k++)
        {
            clock.Advance(interval);
            await WaitUntilAsync(() => Posted() >= 22 + k);
            Assert.Equal(22 + k, Posted());   // exactly one per interval
        }
        await oneChannel.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"c{i}").Order(StringComparer.Ordinal),
            Slack.Messages.Where(m => m.Channel == "C1").Select(m => m.Message["text"]!.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal(40, Slack.Messages.Count);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition()) await Task.Delay(10, timeout.Token);
    }
}
