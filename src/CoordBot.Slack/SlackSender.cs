using CoordBot.Outbox;
using CoordBot.Slack.Api;
using CoordBot.Slack.BlockKit;

namespace CoordBot.Slack;

/// <summary>
/// The outbox's sender for Slack: posts to a channel, or to a user's DM when the destination is a
/// user id (the DM's channel id comes from <see cref="SlackDmChannels"/>, so conversations.open is
/// called once per user, not once per message). The client paces every call (per method and
/// workspace, chat.postMessage also per channel); a 429 that outlasts its short retries, or a wait
/// for our own limiter that would be too long, is <see cref="SendResult.RateLimited"/>, which the
/// dispatcher never counts as a failed attempt.
/// </summary>
public sealed class SlackSender(SlackApiClient api, ISlackTokens tokens, SlackDmChannels dms) : IChannelSender
{
    public string Platform => "slack";

    public async Task<SendResult> SendAsync(OutboxMessage message, CancellationToken ct)
    {
        if (await tokens.BotTokenAsync(message.WorkspaceId, ct) is not { } token)
            return new SendResult.Permanent($"no Slack token for workspace {message.WorkspaceId} (not installed, or uninstalled)");
        try
        {
            if (!IsUser(message.Destination))
            {
                await PostAsync(token, message.Destination, message, ct);
                return SendResult.Sent;
            }
            if (await dms.GetAsync(message.WorkspaceId, message.Destination, ct) is { } known)
            {
                try
                {
                    await PostAsync(token, known, message, ct);
                    return SendResult.Sent;
                }
                catch (SlackApiException e) when (e.Error == "channel_not_found")
                {
                    // The stored DM is gone (reinstalled app, new bot user): open it again below.
                    await dms.ForgetAsync(message.WorkspaceId, message.Destination, ct);
                }
            }
            var channel = await api.OpenDmAsync(token, message.Destination, ct);
            await dms.SaveAsync(message.WorkspaceId, message.Destination, channel, ct);
            await PostAsync(token, channel, message, ct);
            return SendResult.Sent;
        }
        catch (SlackRateLimitedException e)
        {
            return new SendResult.RateLimited(e.RetryAfter, e.Local ? "ratelimited (paced locally)" : "ratelimited");
        }
        catch (SlackApiException e) when (e.Error is "ratelimited" or "rate_limited")
        {
            return new SendResult.RateLimited(TimeSpan.FromSeconds(1), e.Error);
        }
        catch (SlackApiException e)
        {
            return e.IsPermanent ? new SendResult.Permanent(e.Error) : new SendResult.Transient(e.Error);
        }
    }

    private static bool IsUser(string destination) => destination.Length > 0 && destination[0] is 'U' or 'W';

    private async Task PostAsync(string token, string channel, OutboxMessage message, CancellationToken ct)
    {
        foreach (var page in BlockKitRenderer.Messages(message.Reply))
            await api.PostMessageAsync(token, channel, page, ct);
    }
}
