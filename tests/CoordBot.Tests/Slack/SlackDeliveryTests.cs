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

    /// <summary>
    /// Plays an instance that claims a message, begins its try, and dies: <paramref name="send"/> runs (or not)
    /// as its send, and the claim runs out two seconds later, when this host's dispatcher takes the message over.
    /// </summary>
    private async Task DieWhileSendingAsync(string key, string destination, string text, bool send)
    {
        var outbox = Host.Get<OutboxStore>();
        var now = DateTimeOffset.UtcNow;
        // Due in a day, so only this claim (at that time, with a lease ending two seconds from now) takes it.
        Assert.True(await outbox.EnqueueAsync(Team, key, "slack", destination, Reply.Say(text), now.AddDays(1), now));
        var claimed = Assert.Single(await outbox.ClaimDueAsync(now.AddDays(1), TimeSpan.FromSeconds(2) - TimeSpan.FromDays(1), 10));
        Assert.False(claimed.MaybeSent);
        await outbox.MarkTryingAsync(claimed.Id, now);
        if (send)
        {
            var sender = Host.Get<IEnumerable<IChannelSender>>().Single(s => s.Platform == "slack");
            Assert.Equal(SendResult.Sent, await sender.SendAsync(claimed, CancellationToken.None));
        }
    }

    [Fact]
    public async Task A_prompt_an_instance_died_sending_is_found_in_the_dms_history_and_not_posted_again()
    {
        await DieWhileSendingAsync("checkin-prompt:I1:2027-W05:U2", "U2", "Your weekly check-in is due", send: true);
        var first = Assert.Single(Slack.CallsTo("chat.postMessage"));
        var metadata = first.Args["metadata"]!.AsObject();
        Assert.Equal("coordbot_outbox", metadata["event_type"]!.GetValue<string>());
        Assert.DoesNotContain("U2", metadata.ToJsonString());   // the key is hashed: metadata is readable by other apps

        var entry = await WaitForStatusAsync(Host.Get<OutboxStore>(), "checkin-prompt:I1:2027-W05:U2", "sent", seconds: 20);
        var history = Assert.Single(Slack.CallsTo("conversations.history"));
        Assert.Equal(first.Arg("channel"), history.Arg("channel"));
        Assert.Equal("true", history.Arg("include_all_metadata"));
        Assert.Single(Slack.CallsTo("chat.postMessage"));   // still the one message
        Assert.Equal(1, entry.Attempts);
    }

    [Fact]
    public async Task A_message_whose_try_died_before_posting_is_posted_once_after_a_look_at_the_history()
    {
        await DieWhileSendingAsync("reminder-died-early", "C9", "Election in 30 days", send: false);
        await WaitForStatusAsync(Host.Get<OutboxStore>(), "reminder-died-early", "sent", seconds: 20);
        Assert.Equal("C9", Assert.Single(Slack.CallsTo("conversations.history")).Arg("channel"));
        Assert.Single(Slack.CallsTo("chat.postMessage")).Message().Shows("Election in 30 days");
    }

    [Fact]
    public async Task Without_the_history_scope_a_message_whose_try_died_is_posted_again_rather_than_lost()
    {
        await DieWhileSendingAsync("reminder-no-scope", "C9", "Election in 30 days", send: true);
        Slack.FailNext("conversations.history", "missing_scope");
        await WaitForStatusAsync(Host.Get<OutboxStore>(), "reminder-no-scope", "sent", seconds: 20);
        Assert.Equal(2, Slack.CallsTo("chat.postMessage").Count);
    }

    [Fact]
    public async Task A_normal_send_never_reads_history()
    {
        var outbox = Host.Get<OutboxStore>();
        var now = DateTimeOffset.UtcNow;
        await outbox.EnqueueAsync(Team, "plain", "slack", "C9", Reply.Say("Digest"), now, now);
        await WaitForStatusAsync(outbox, "plain", "sent");
        Assert.Empty(Slack.CallsTo("conversations.history"));
    }

    private async Task<OutboxStore.Entry> WaitForStatusAsync(OutboxStore outbox, string key, string status, int seconds = 30)
    {
        for (var i = 0; i < seconds * 20; i++)
        {
            if (await outbox.GetAsync(Team, key) is { } entry && entry.Status == status) return entry;
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"{key} did not become {status}: {await outbox.GetAsync(Team, key)}");
    }
}
