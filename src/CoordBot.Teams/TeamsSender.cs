using CoordBot.Outbox;
using CoordBot.Teams.Connector;

namespace CoordBot.Teams;

/// <summary>
/// The outbox's sender for Teams: finds the destination through <see cref="TeamsReplies"/> (a stored
/// conversation id, or a user id <c>29:…</c> whose 1:1 chat is used or created) and posts the reply
/// there the same way direct replies are posted. Only stored conversations are ever posted to, so only
/// serviceUrls that arrived in authenticated activities are called. Calls are paced per conversation and
/// per tenant by the <see cref="ConnectorClient"/>; a 429 that outlasts its retries is
/// <see cref="SendResult.RateLimited"/>, never a failed attempt.
/// </summary>
public sealed class TeamsSender(TeamsReplies replies) : IChannelSender
{
    public string Platform => "teams";

    public async Task<SendResult> SendAsync(OutboxMessage message, CancellationToken ct)
    {
        try
        {
            var target = await replies.DestinationAsync(message.WorkspaceId, message.Destination, ct);
            if (target is null)
                return new SendResult.Permanent($"no Teams conversation {message.Destination} in tenant {message.WorkspaceId} (never seen, or the bot was removed)");
            await replies.PostAsync(target, message.Reply, ct);
            return SendResult.Sent;
        }
        catch (ConnectorException e) when (e.Status == 429)
        {
            // Throttled beyond the client's own retries: not a failed attempt, just later.
            return new SendResult.RateLimited(e.RetryAfter ?? TimeSpan.FromSeconds(1), $"429 {e.Code}");
        }
        catch (ConnectorException e)
        {
            return e.IsPermanent ? new SendResult.Permanent($"{e.Status} {e.Code}") : new SendResult.Transient($"{e.Status} {e.Code}", e.RetryAfter);
        }
    }
}
