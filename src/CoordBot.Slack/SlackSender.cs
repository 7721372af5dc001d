using CoordBot.Outbox;
using CoordBot.Slack.Api;
using CoordBot.Slack.BlockKit;

namespace CoordBot.Slack;

/// <summary>
/// The outbox's sender for Slack: posts to a channel, or to a user's DM when the destination is a
/// user id. Rate limits and 429s surface as transient results with Slack's Retry-After.
/// </summary>
public sealed class SlackSender(SlackApiClient api, ISlackTokens tokens) : IChannelSender
{
    public string Platform => "slack";

    public async Task<SendResult> SendAsync(OutboxMessage message, CancellationToken ct)
    {
        if (await tokens.BotTokenAsync(message.WorkspaceId, ct) is not { } token)
            return new SendResult.Permanent($"no Slack token for workspace {message.WorkspaceId} (not installed, or uninstalled)");
        try
        {
            var channel = message.Destination[0] is 'U' or 'W' ? await api.OpenDmAsync(token, message.Destination) : message.Destination;
            foreach (var page in BlockKitRenderer.Messages(message.Reply))
                await api.PostMessageAsync(token, channel, page);
            return SendResult.Sent;
        }
        catch (SlackRateLimitedException e)
        {
            return new SendResult.Transient("ratelimited", e.RetryAfter);
        }
        catch (SlackApiException e)
        {
            return e.IsPermanent ? new SendResult.Permanent(e.Error) : new SendResult.Transient(e.Error);
        }
    }
}
