using System.Text.Json.Nodes;
using CoordBot.Chat;
using CoordBot.Downloads;
using CoordBot.Teams.Cards;
using CoordBot.Teams.Connector;
using Microsoft.Extensions.Logging;

namespace CoordBot.Teams;

/// <summary>Who asked, and where: what a direct reply to an activity needs.</summary>
/// <param name="Tenant">The tenant (the workspace).</param>
/// <param name="ConversationType"><c>personal</c>, <c>groupChat</c> or <c>channel</c>.</param>
/// <param name="UserId">The person who asked (<c>29:…</c>).</param>
public sealed record TeamsAsker(string Tenant, string ServiceUrl, string ConversationId, string ConversationType, string BotId,
    string UserId, string? UserName)
{
    public bool IsPersonal => ConversationType == "personal";
}

/// <summary>
/// The one way CoordBot's replies reach Teams, for direct answers to activities and for outbox sends
/// alike: a reply becomes Adaptive Cards posted through the Connector; a private answer asked in a
/// channel goes to the asker's 1:1 chat (created if needed); files become one-hour download links on
/// <c>Bot:PublicBaseUrl</c>, since a bot cannot attach a file in Teams without a consent flow.
/// </summary>
public sealed class TeamsReplies(ConnectorClient connector, TeamsConversations conversations, DownloadStore downloads, BotOptions bot,
    ILogger<TeamsReplies> logger)
{
    /// <summary>Posts every card of a reply to a conversation (the outbox's way: no files, no threading).</summary>
    public async Task PostAsync(TeamsConversation to, Reply reply, CancellationToken ct)
    {
        foreach (var card in AdaptiveCardRenderer.Cards(reply)) await PostCardAsync(to.ServiceUrl, to.ConversationId, to.WorkspaceId, card, reply, ct);
    }

    /// <summary>Posts the given cards of a reply (e.g. those after the first, which an invoke response carried).</summary>
    public async Task PostCardsAsync(TeamsAsker to, IEnumerable<JsonObject> cards, Reply reply, CancellationToken ct)
    {
        foreach (var card in cards) await PostCardAsync(to.ServiceUrl, to.ConversationId, to.Tenant, card, reply, ct);
    }

    /// <summary>
    /// Sends a reply where it belongs: the conversation it came from, or, for a private reply asked
    /// in a channel or group chat, the asker's 1:1 chat (with a short pointer left in the channel).
    /// A form submit updates the card that carried the form (<paramref name="updateCard"/>); in a
    /// channel the answer is a threaded reply to <paramref name="replyTo"/>.
    /// </summary>
    public async Task DeliverAsync(Reply reply, TeamsAsker to, string? updateCard, string? replyTo, CancellationToken ct)
    {
        if (reply.Ephemeral && !to.IsPersonal)
        {
            await SendPrivatelyAsync(reply, to, ct);
            // Only the pointer goes to the channel: not even the private reply's summary.
            var pointer = Reply.Say($"{to.UserName ?? "I"}: I sent the answer to your 1:1 chat with me.");
            await PostCardAsync(to.ServiceUrl, to.ConversationId, to.Tenant, AdaptiveCardRenderer.Cards(pointer)[0], pointer, ct);
            return;
        }
        var cards = AdaptiveCardRenderer.Cards(reply);
        await SendFilesAsync(reply, to.Tenant, to.UserId, to.ServiceUrl, to.ConversationId, ct);
        for (var i = 0; i < cards.Count; i++)
        {
            var message = Message(cards[i], reply);
            if (i == 0 && updateCard is not null)
            {
                try
                {
                    await connector.UpdateAsync(to.ServiceUrl, to.ConversationId, updateCard, message, ct, to.Tenant);
                    continue;
                }
                catch (ConnectorException e) when (e.IsPermanent)
                {
                    logger.LogInformation("Could not update the submitted card ({Code}); sending the answer as a new message", e.Code);
                }
            }
            if (i == 0 && replyTo is not null && to.ConversationType == "channel")
                await connector.ReplyAsync(to.ServiceUrl, to.ConversationId, replyTo, message, ct, to.Tenant);
            else
                await connector.SendAsync(to.ServiceUrl, to.ConversationId, message, ct, to.Tenant);
        }
    }

    /// <summary>Sends a reply to the asker's 1:1 chat with the bot, creating it if the bot has none yet.</summary>
    public async Task SendPrivatelyAsync(Reply reply, TeamsAsker to, CancellationToken ct)
    {
        var personal = await PersonalChatAsync(to.Tenant, to.UserId, to.ServiceUrl, to.BotId, ct);
        await PostAsync(personal, reply, ct);
        await SendFilesAsync(reply, to.Tenant, to.UserId, personal.ServiceUrl, personal.ConversationId, ct);
    }

    /// <summary>
    /// Where an outbox message goes: a stored conversation id, or a user id (<c>29:…</c>) whose 1:1 chat
    /// is used or created (through any stored conversation of the tenant). Null when there is none.
    /// </summary>
    public async Task<TeamsConversation?> DestinationAsync(string tenant, string destination, CancellationToken ct)
    {
        if (!destination.StartsWith("29:", StringComparison.Ordinal)) return await conversations.GetAsync(tenant, destination, ct);
        if (await conversations.PersonalAsync(tenant, destination, ct) is { } personal) return personal;
        if (await conversations.AnyAsync(tenant, ct) is not { } any) return null;
        return await CreatePersonalChatAsync(tenant, destination, any.ServiceUrl, any.BotId, ct);
    }

    /// <summary>The stored 1:1 chat with a user, or a new one created through the Connector (the app must be installed for them).</summary>
    public async Task<TeamsConversation> PersonalChatAsync(string tenant, string userId, string serviceUrl, string botId, CancellationToken ct) =>
        await conversations.PersonalAsync(tenant, userId, ct) ?? await CreatePersonalChatAsync(tenant, userId, serviceUrl, botId, ct);

    private async Task<TeamsConversation> CreatePersonalChatAsync(string tenant, string userId, string serviceUrl, string botId, CancellationToken ct)
    {
        var id = await connector.CreateConversationAsync(serviceUrl, tenant, botId, userId, ct);
        var created = new TeamsConversation(tenant, id, "personal", serviceUrl, botId, userId, null);
        await conversations.SaveAsync(created, ct);
        return created;
    }

    /// <summary>Each file of a reply, offered as a download link (valid one hour) on <c>Bot:PublicBaseUrl</c>.</summary>
    private async Task SendFilesAsync(Reply reply, string tenant, string userId, string serviceUrl, string conversationId, CancellationToken ct)
    {
        foreach (var file in reply.Blocks.OfType<FileAttachment>())
        {
            JsonObject card;
            if (bot.PublicBase is not { } publicBase)
            {
                card = AdaptiveCardRenderer.Cards(Reply.Say($"{file.FileName} is ready, but this CoordBot has no Bot:PublicBaseUrl to link to it. Ask your admin to set it."))[0];
            }
            else
            {
                var token = await downloads.CreateAsync(tenant, userId, file, ct);
                card = AdaptiveCardRenderer.Cards(Reply.Say($"{file.FileName} is ready to download (the link works for one hour)."))[0];
                card["actions"] = new JsonArray(new JsonObject
                {
                    ["type"] = "Action.OpenUrl", ["title"] = $"Download {file.FileName}", ["url"] = $"{publicBase}/downloads/{token}",
                });
            }
            await PostCardAsync(serviceUrl, conversationId, tenant, card, Reply.Say(file.FileName), ct);
        }
    }

    private Task PostCardAsync(string serviceUrl, string conversationId, string tenant, JsonObject card, Reply reply, CancellationToken ct) =>
        connector.SendAsync(serviceUrl, conversationId, Message(card, reply), ct, tenant);

    /// <summary>A message activity carrying one card; its summary is the reply's short text (notifications).</summary>
    internal static JsonObject Message(JsonObject card, Reply reply) => new()
    {
        ["type"] = "message",
        ["summary"] = reply.Text.Length <= 200 ? reply.Text : reply.Text[..199] + "…",
        ["attachments"] = new JsonArray(new JsonObject { ["contentType"] = AdaptiveCardRenderer.ContentType, ["content"] = card }),
    };
}
