using CoordBot.Chat;
using CoordBot.Outbox;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Slack;

/// <summary>What reaches Slack outside the HTTP response: file exports and the outbox's proactive messages.</summary>
public sealed class SlackDeliveryTests : SlackHostTest
{
    [Fact]
    public async Task Export_uploads_the_csv_to_the_askers_dm()
    {
        await Client.CommandAsync(Team, "U1", "/ally", "add \"Jane Doe\" --org \"=HYPERLINK(1)\"");
        (await Client.CommandAsync(Team, "U1", "/ally", "export")).Message().Shows("Exported 1 ally");
        await Slack.WaitForCallAsync("files.completeUploadExternal");
        var (channel, fileName, content) = Assert.Single(Slack.Files);
        Assert.Equal("U1", (await Slack.WaitForCallAsync("conversations.open")).Arg("users"));
        Assert.StartsWith("D", channel);
        Assert.EndsWith(".csv", fileName);
        Assert.Contains("Jane Doe", content);
        Assert.Contains("'=HYPERLINK(1)", content);   // formula escaped in the file as in the local download
    }

    [Fact]
    public async Task The_outbox_posts_with_the_workspaces_token_to_a_channel_or_a_users_dm()
    {
        var outbox = Host.Get<OutboxStore>();
        var now = DateTimeOffset.UtcNow;
        await outbox.EnqueueAsync(Team, "reminder-1", "slack", "C9", Reply.Say("Election in 30 days: <!channel> brief your allies"), now, now);
        await outbox.EnqueueAsync(Team, "prompt-1", "slack", "U2", Reply.Say("Your weekly check-in is due"), now, now);

        var channelPost = await Slack.WaitForCallAsync("chat.postMessage", c => c.Arg("channel") == "C9");
        Assert.Equal(BotToken, channelPost.Token);
        BlockKitLimits.AssertValidMessage(channelPost.Message());
        SlackCommandTests.AssertInert(channelPost.Message(), "<!channel>");
        var dmPost = await Slack.WaitForCallAsync("chat.postMessage", c => c.Arg("channel")?.StartsWith('D') == true);
        dmPost.Message().Shows("Your weekly check-in is due");
        await WaitForStatusAsync(outbox, "prompt-1", "sent");
    }

    [Fact]
    public async Task A_rate_limited_send_is_retried_and_a_permanent_error_is_not()
    {
        var outbox = Host.Get<OutboxStore>();
        var now = DateTimeOffset.UtcNow;
        Slack.RateLimitNext("chat.postMessage", retryAfterSeconds: 1);
        await outbox.EnqueueAsync(Team, "after-429", "slack", "C9", Reply.Say("Digest"), now, now);
        await WaitForStatusAsync(outbox, "after-429", "sent");
        Assert.Equal(2, Slack.CallsTo("chat.postMessage").Count);   // the 429 and the retry

        Slack.FailNext("chat.postMessage", "channel_not_found");
        await outbox.EnqueueAsync(Team, "nowhere", "slack", "C404", Reply.Say("Digest"), now, now);
        var failed = await WaitForStatusAsync(outbox, "nowhere", "failed");
        Assert.Contains("channel_not_found", failed.LastError);
    }

    private async Task<OutboxStore.Entry> WaitForStatusAsync(OutboxStore outbox, string key, string status)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await outbox.GetAsync(Team, key) is { } entry && entry.Status == status) return entry;
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"{key} did not become {status}: {await outbox.GetAsync(Team, key)}");
    }
}
