using CoordBot.Outbox;
using CoordBot.Teams.Cards;
using CoordBot.Teams.Connector;

namespace CoordBot.Teams;

/// <summary>
/// The outbox's sender for Teams. A destination is a stored conversation id, or a user id
/// (<c>29:…</c>) whose 1:1 chat is used or created. Only stored conversations are ever posted to, so
/// only serviceUrls that arrived in authenticated activities are called. Calls are paced per
/// conversation and per tenant by the <see cref="ConnectorClient"/>; a 429 that outlasts its retries
/// is <see cref="SendResult.RateLimited"/>, never a failed attempt.
/// </summary>
public sealed class TeamsSender(ConnectorClient connector, TeamsConversations conversations) : IChannelSender
{
    public string Platform => "teams";

    public async Task<SendResult> SendAsync(OutboxMessage message, CancellationToken ct)
    {
        try
        {
            var target = await TargetAsync(message.WorkspaceId, message.Destination, ct);
            if (target is null)
                return new SendResult.Permanent($"no Teams conversation {message.Destination} in tenant {message.WorkspaceId} (never seen, or the bot was removed)");
            foreach (var card in AdaptiveCardRenderer.Cards(message.Reply))
                await connector.SendAsync(target.ServiceUrl, target.ConversationId, TeamsHandler.Message(card, message.Reply), ct, tenantId: message.WorkspaceId);
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

    private async Task<TeamsConversation?> TargetAsync(string tenant, string destination, CancellationToken ct)
    {
        if (!destination.StartsWith("29:", StringComparison.Ordinal)) return await conversations.GetAsync(tenant, destination, ct);
        if (await conversations.PersonalAsync(tenant, destination, ct) is { } personal) return personal;
        if (await conversations.AnyAsync(tenant, ct) is not { } any) return null;
        var id = await connector.CreateConversationAsync(any.ServiceUrl, tenant, any.BotId, destination, ct);
        var created = new TeamsConversation(tenant, id, "personal", any.ServiceUrl, any.BotId, destination, null);
        await conversations.SaveAsync(created, ct);
        return created;
    }
}
