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
        const double scale = 0.08;   // one message a second per channel becomes one per 80 ms
        var interval = TimeSpan.FromSeconds(1) * scale;
        var client = Client(new SlackRateLimitOptions { TimeScale = scale, MaxWait = TimeSpan.FromSeconds(30) });   // 20 queued posts wait up to 18 s
        Slack.Limits = new FakeSlackLimits { TimeScale = scale };   // Slack's limits at the same pace: spaced posts are never refused
        await client.AuthTestAsync(Token);   // warm the connection pool

        var start = TimeProvider.System.GetUtcNow();
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => client.PostMessageAsync(Token, "C1", Text($"m{i}"))));
        var oneChannel = TimeProvider.System.GetUtcNow() - start;
        var arrivals = Slack.CallsTo("chat.postMessage").Select(c => c.At - start).Order().ToList();
        Assert.Equal(20, arrivals.Count);
        var timerSlack = TimeSpan.FromMilliseconds(5);   // .NET timers tick in whole milliseconds and may fire a little early
        for (var k = 2; k < arrivals.Count; k++)   // a burst of 2, then one per interval: call k is due (k - 1) intervals in
            Assert.True(arrivals[k] >= (k - 1) * interval - timerSlack, $"call {k} arrived {arrivals[k].TotalMilliseconds} ms in, before {((k - 1) * interval).TotalMilliseconds} ms");
        Assert.True(oneChannel >= 18 * interval - timerSlack);

        start = TimeProvider.System.GetUtcNow();
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => client.PostMessageAsync(Token, $"C{100 + i}", Text($"m{i}"))));
        var manyChannels = TimeProvider.System.GetUtcNow() - start;
        Assert.True(manyChannels < oneChannel / 2, $"20 channels took {manyChannels}, one channel {oneChannel}");
        Assert.Equal(40, Slack.Messages.Count);
    }
}
