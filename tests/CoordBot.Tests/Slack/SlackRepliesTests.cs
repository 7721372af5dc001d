using System.Text.Json.Nodes;
using CoordBot.Chat;
using CoordBot.Slack;
using CoordBot.Slack.BlockKit;
using CoordBot.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace CoordBot.Tests.Slack;

/// <summary>The one Slack reply sender against the fake Web API: arguments Slack takes, and cancellation honoured.</summary>
public sealed class SlackRepliesTests : SlackApiTest
{
    private SlackReplies Replies() => new(Client(), new FixedTokens(Token), null!, NullLogger<SlackReplies>.Instance);

    [Fact]
    public async Task An_ephemeral_reply_in_a_channel_is_posted_without_arguments_chat_postEphemeral_does_not_take()
    {
        await Replies().SendAsync(Reply.Say("Only you see this", ephemeral: true), new SlackTarget("T1", "C1", "U1", null, null), CancellationToken.None);

        var call = Assert.Single(Slack.CallsTo("chat.postEphemeral"));
        Assert.False(call.Args.ContainsKey("mrkdwn"));
        call.Message().Shows("Only you see this");
    }

    [Fact]
    public async Task The_fake_refuses_an_argument_chat_postEphemeral_does_not_take_as_a_strict_client_would()
    {
        var message = BlockKitRenderer.Messages(Reply.Say("hi", ephemeral: true))[0];
        Assert.True(message.ContainsKey("mrkdwn"));   // the renderer's chat.postMessage shape
        message["channel"] = "C1";
        message["user"] = "U1";
        var error = await Assert.ThrowsAsync<CoordBot.Slack.Api.SlackApiException>(() => Client().CallAsync("chat.postEphemeral", Token, message));
        Assert.Equal("invalid_arguments", error.Error);
    }

    [Fact]
    public async Task A_cancelled_request_makes_no_web_api_call()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var replies = Replies();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            replies.SendAsync(Reply.Say("For the channel"), new SlackTarget("T1", "C1", "U1", null, null), cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            replies.SendAsync(Reply.Say("For you", ephemeral: true), new SlackTarget("T1", "C1", "U1", null, null), cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            replies.SendAsync(Reply.Say("By response_url", ephemeral: true), new SlackTarget("T1", "C1", "U1", Slack.ResponseUrl("r1").ToString(), null), cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            replies.OpenFormAsync(new Form("Add an ally", "ally add", []), new SlackTarget("T1", "C1", "U1", null, Slack.IssueTriggerId()), cancelled.Token));

        Assert.Empty(Slack.Calls);
        Assert.Empty(Slack.ResponsesPosted);
    }

    /// <summary>A token source that ignores cancellation, so only the Web API calls can honour it.</summary>
    private sealed class FixedTokens(string token) : ISlackTokens
    {
        public Task<string?> BotTokenAsync(string workspaceId, CancellationToken ct) => Task.FromResult<string?>(token);
    }
}
