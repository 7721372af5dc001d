using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CoordBot.Chat;
using CoordBot.Downloads;
using CoordBot.Elections;
using CoordBot.Outbox;
using CoordBot.Teams.Cards;
using CoordBot.Teams.Connector;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace CoordBot.Teams;

/// <summary>What CoordBot answers on the HTTP response to one activity (invoke responses carry a body).</summary>
public sealed record TeamsAck(int Status, JsonNode? Body = null)
{
    public static readonly TeamsAck Accepted = new(200);
}

/// <summary>
/// Turns authenticated Bot Framework activities into <see cref="ChatRequest"/>s for the one router and
/// sends the replies back through the Connector: messages (typed commands and Action.Submit cards),
/// Action.Execute invokes, installs and removals. The workspace is the tenant.
/// </summary>
public sealed partial class TeamsHandler(
    CommandRouter router,
    ConnectorClient connector,
    TeamsConversations conversations,
    TrustedServiceUrls trusted,
    OutboxStore outbox,
    DownloadStore downloads,
    FeedFetcher files,
    IConfiguration configuration,
    WorkQueue work,
    TimeProvider time,
    ILogger<TeamsHandler> logger)
{
    /// <summary>Handles one activity whose token, serviceUrl and channel have been verified.</summary>
    public async Task<TeamsAck> HandleAsync(JsonElement activity, CancellationToken ct)
    {
        if (Origin.From(activity) is not { } context)
            return Bad("the activity needs type, serviceUrl, conversation.id, from.id, recipient.id and a tenant id");
        trusted.Trust(context.ServiceUrl);
        await conversations.SaveAsync(context.Conversation, ct);

        switch (context.Type)
        {
            case "message":
                if (context.FromId == context.BotId) return TeamsAck.Accepted;
                var request = MessageRequest(activity, context);
                if (request is null) return TeamsAck.Accepted;
                // Everything the background work needs is read now: the activity's JSON is gone once the request ends.
                var replyTo = JsonRead.Str(activity, "id");
                var submittedCard = request.Action is not null ? JsonRead.Str(activity, "replyToId") : null;
                var file = request.Action is null ? SharedFile(activity) : null;
                await work.EnqueueAsync("teams message", $"teams:{context.Tenant}:{context.ConversationId}", async token =>
                {
                    if (file is { } shared)
                    {
                        // A file sent with the command (an .ics calendar, a CSV) is its input, on the lines after it.
                        var (content, problem) = await ReadSharedFileAsync(shared, token);
                        if (content is null)
                        {
                            await DeliverAsync(Reply.Error(problem!), context, null, replyTo, token);
                            return;
                        }
                        request = request with { Text = $"{request.Text}\n{content}" };
                    }
                    var reply = await router.HandleAsync(request, token);
                    // A successful submit replaces the form's card; a refusal comes as a new message so the form stays to be fixed.
                    if (reply is not null) await DeliverAsync(reply, context, reply.IsError ? null : submittedCard, replyTo, token);
                });
                return TeamsAck.Accepted;

            case "invoke" when JsonRead.Str(activity, "name") == "adaptiveCard/action":
                return await ExecuteAsync(activity, context, ct);

            case "invoke":
                // Botbuilder's answer to invokes a bot does not implement.
                return new TeamsAck((int)HttpStatusCode.NotImplemented);

            case "conversationUpdate":
                if (Members(activity, "membersAdded").Contains(context.BotId)) await WelcomeAsync(context, ct);
                if (Members(activity, "membersRemoved").Contains(context.BotId)) await ForgetAsync(context, ct);
                return TeamsAck.Accepted;

            case "installationUpdate":
                switch (JsonRead.Str(activity, "action"))
                {
                    case "add" or "add-upgrade": await WelcomeAsync(context, ct); break;
                    case "remove" or "remove-upgrade": await ForgetAsync(context, ct); break;
                }
                return TeamsAck.Accepted;

            default:   // typing, reactions, edits, events: nothing to do
                return TeamsAck.Accepted;
        }
    }

    /// <summary>Where an activity came from and where its answer goes.</summary>
    private sealed record Origin(string Type, string ServiceUrl, string Tenant, string ConversationId, string ConversationType,
        string FromId, string? FromName, string BotId, TeamsConversation Conversation)
    {
        public bool IsPersonal => ConversationType == "personal";

        public static Origin? From(JsonElement a)
        {
            var type = JsonRead.Str(a, "type");
            var serviceUrl = JsonRead.Str(a, "serviceUrl");
            var conversation = JsonRead.Str(a, "conversation", "id");
            var from = JsonRead.Str(a, "from", "id");
            var bot = JsonRead.Str(a, "recipient", "id");
            var tenant = JsonRead.Str(a, "channelData", "tenant", "id") ?? JsonRead.Str(a, "conversation", "tenantId");
            if (type is null || string.IsNullOrWhiteSpace(serviceUrl) || conversation is null || from is null || bot is null || tenant is null) return null;
            var conversationType = JsonRead.Str(a, "conversation", "conversationType") ?? "personal";
            var userId = conversationType == "personal" && from != bot ? from : null;
            return new Origin(type, serviceUrl, tenant, conversation, conversationType, from, JsonRead.Str(a, "from", "name"), bot,
                new TeamsConversation(tenant, conversation, conversationType, serviceUrl, bot, userId, JsonRead.Str(a, "channelData", "team", "id")));
        }
    }

    /// <summary>A typed command (the bot's own @mention removed) or an Action.Submit (the activity's value).</summary>
    private ChatRequest? MessageRequest(JsonElement activity, Origin context)
    {
        if (activity.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.Object)
        {
            if (AdaptiveCardRenderer.ParseSubmit(value) is not { } action) return null;
            return new ChatRequest("teams", context.Tenant, context.ConversationId, context.FromId, null, action, UserName: context.FromName, Raw: activity.Clone());
        }
        var text = JsonRead.Str(activity, "text");
        if (string.IsNullOrWhiteSpace(text)) return null;
        return new ChatRequest("teams", context.Tenant, context.ConversationId, context.FromId, CommandText(text, Mentions(activity, context.BotId)),
            UserName: context.FromName, Raw: activity.Clone());
    }

    /// <summary>The people @mentioned in a message (not the bot): each mention's text as it appears, and the user's id.</summary>
    private static List<(string Text, string Id)> Mentions(JsonElement activity, string botId)
    {
        var mentions = new List<(string, string)>();
        if (!activity.TryGetProperty("entities", out var entities) || entities.ValueKind != JsonValueKind.Array) return mentions;
        foreach (var entity in entities.EnumerateArray())
            if (JsonRead.Str(entity, "type") == "mention" && JsonRead.Str(entity, "text") is { Length: > 0 } text &&
                JsonRead.Str(entity, "mentioned", "id") is { Length: > 0 } id && id != botId)
                mentions.Add((text, id));
        return mentions;
    }

    private const string FileDownloadInfo = "application/vnd.microsoft.teams.file.download.info";

    /// <summary>The first file attached to a message (Teams sends a pre-authenticated download URL), if any.</summary>
    private static (string Name, string Url)? SharedFile(JsonElement activity)
    {
        if (!activity.TryGetProperty("attachments", out var attachments) || attachments.ValueKind != JsonValueKind.Array) return null;
        foreach (var attachment in attachments.EnumerateArray())
            if (JsonRead.Str(attachment, "contentType") == FileDownloadInfo && JsonRead.Str(attachment, "content", "downloadUrl") is { } url)
                return (JsonRead.Str(attachment, "name") ?? "the file", url);
        return null;
    }

    /// <summary>
    /// Reads a shared file through the same guarded fetcher as calendar URLs: https on public
    /// addresses only, 2 MB, 10 s. The URL came in an authenticated activity, but is still not trusted
    /// to point anywhere inside the network.
    /// </summary>
    private async Task<(string? Content, string? Problem)> ReadSharedFileAsync((string Name, string Url) file, CancellationToken ct)
    {
        if (Path.GetExtension(file.Name).ToLowerInvariant() is not (".ics" or ".csv" or ".txt"))
            return (null, $"I can read .ics calendars and .csv files; {file.Name} is neither.");
        var (text, error) = await files.FetchAsync(file.Url, ct);
        return text is null ? (null, $"I could not read {file.Name}: {error}") : (text, null);
    }

    /// <summary>
    /// The command in a message: people's mentions become <c>&lt;@id&gt;</c> (as members or admins), the bot's own
    /// (<c>&lt;at&gt;CoordBot&lt;/at&gt;</c>) and any other are removed, entities decoded, one line per paragraph.
    /// </summary>
    internal static string CommandText(string text, IReadOnlyList<(string Text, string Id)>? people = null)
    {
        foreach (var (mention, id) in people ?? [])
        {
            var at = text.IndexOf(mention, StringComparison.Ordinal);
            if (at >= 0) text = string.Concat(text.AsSpan(0, at), $" <@{id}> ", text.AsSpan(at + mention.Length));
        }
        var withoutMentions = MentionRegex().Replace(text, " ");
        var lines = LineBreakRegex().Replace(withoutMentions, "\n");
        var plain = TagRegex().Replace(lines, "");
        return WebUtility.HtmlDecode(plain).Replace('\u00a0', ' ').Trim();
    }

    [GeneratedRegex("<at>.*?</at>", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex MentionRegex();

    [GeneratedRegex("<br\\s*/?>|</p>|</div>", RegexOptions.IgnoreCase)]
    private static partial Regex LineBreakRegex();

    [GeneratedRegex("</?[a-zA-Z][^>]*>")]
    private static partial Regex TagRegex();

    /// <summary>
    /// Action.Execute: the command runs and its reply replaces the card for the person who pressed it
    /// (a private reply pressed in a channel goes to their 1:1 chat instead).
    /// </summary>
    private async Task<TeamsAck> ExecuteAsync(JsonElement activity, Origin context, CancellationToken ct)
    {
        if (!activity.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Object ||
            !value.TryGetProperty("action", out var action) || action.ValueKind != JsonValueKind.Object ||
            JsonRead.Str(action, "type") != "Action.Execute")
            return InvokeError(400, "BadRequest", "The invoke has no Action.Execute action.");
        if (JsonRead.Str(action, "verb") != AdaptiveCardRenderer.ExecuteVerb || !action.TryGetProperty("data", out var data) ||
            AdaptiveCardRenderer.ParseSubmit(data) is not { } chatAction)
            return InvokeError(400, "BadRequest", "This card action is not one of CoordBot's.");

        var request = new ChatRequest("teams", context.Tenant, context.ConversationId, context.FromId, null, chatAction, UserName: context.FromName, Raw: activity.Clone());
        var reply = await router.HandleAsync(request, ct);
        if (reply is null) return InvokeMessage("Done.");
        if (reply.Ephemeral && !context.IsPersonal)
        {
            await work.EnqueueAsync("teams private reply", token => SendPrivatelyAsync(reply, context, token));
            return InvokeMessage("I sent the answer to our 1:1 chat.");
        }
        var cards = AdaptiveCardRenderer.Cards(reply);
        if (cards.Count > 1)
            await work.EnqueueAsync("teams more cards", async token =>
            {
                foreach (var card in cards.Skip(1)) await connector.SendAsync(context.ServiceUrl, context.ConversationId, Message(card, reply), token, context.Tenant);
            });
        return new TeamsAck(200, new JsonObject
        {
            ["statusCode"] = 200,
            ["type"] = AdaptiveCardRenderer.ContentType,
            ["value"] = cards[0],
        });
    }

    /// <summary>
    /// Sends a reply where it belongs: the conversation it came from, or, for a private reply asked
    /// in a channel or group chat, the asker's 1:1 chat (with a short pointer left in the channel).
    /// A form submit updates the card that carried the form.
    /// </summary>
    private async Task DeliverAsync(Reply reply, Origin context, string? updateCard, string? replyTo, CancellationToken ct)
    {
        if (reply.Ephemeral && !context.IsPersonal)
        {
            await SendPrivatelyAsync(reply, context, ct);
            // Only the pointer goes to the channel: not even the private reply's summary.
            var pointer = Reply.Say($"{context.FromName ?? "I"}: I sent the answer to your 1:1 chat with me.");
            await connector.SendAsync(context.ServiceUrl, context.ConversationId, Message(AdaptiveCardRenderer.Cards(pointer)[0], pointer), ct, context.Tenant);
            return;
        }
        var cards = AdaptiveCardRenderer.Cards(reply);
        await SendFilesAsync(reply, context.Tenant, context.FromId, context.ServiceUrl, context.ConversationId, ct);
        for (var i = 0; i < cards.Count; i++)
        {
            var message = Message(cards[i], reply);
            if (i == 0 && updateCard is not null)
            {
                try
                {
                    await connector.UpdateAsync(context.ServiceUrl, context.ConversationId, updateCard, message, ct, context.Tenant);
                    continue;
                }
                catch (ConnectorException e) when (e.IsPermanent)
                {
                    logger.LogInformation("Could not update the submitted card ({Code}); sending the answer as a new message", e.Code);
                }
            }
            if (i == 0 && replyTo is not null && context.ConversationType == "channel")
                await connector.ReplyAsync(context.ServiceUrl, context.ConversationId, replyTo, message, ct, context.Tenant);
            else
                await connector.SendAsync(context.ServiceUrl, context.ConversationId, message, ct, context.Tenant);
        }
    }

    /// <summary>Sends to the user's 1:1 chat with the bot, creating it if the bot has none yet.</summary>
    private async Task SendPrivatelyAsync(Reply reply, Origin context, CancellationToken ct)
    {
        var personal = await PersonalChatAsync(context.Tenant, context.FromId, context.ServiceUrl, context.BotId, ct);
        foreach (var card in AdaptiveCardRenderer.Cards(reply))
            await connector.SendAsync(personal.ServiceUrl, personal.ConversationId, Message(card, reply), ct, context.Tenant);
        await SendFilesAsync(reply, context.Tenant, context.FromId, personal.ServiceUrl, personal.ConversationId, ct);
    }

    /// <summary>
    /// A bot cannot attach a file in Teams without a consent flow, so each file of a reply is offered as
    /// a download link (valid one hour) on <c>Bot:PublicBaseUrl</c>.
    /// </summary>
    private async Task SendFilesAsync(Reply reply, string tenant, string userId, string serviceUrl, string conversationId, CancellationToken ct)
    {
        foreach (var file in reply.Blocks.OfType<FileAttachment>())
        {
            JsonObject card;
            if (configuration["Bot:PublicBaseUrl"] is not { Length: > 0 } publicBase || !Uri.TryCreate(publicBase.TrimEnd('/') + "/", UriKind.Absolute, out var baseUrl))
            {
                card = AdaptiveCardRenderer.Cards(Reply.Say($"{file.FileName} is ready, but this CoordBot has no Bot:PublicBaseUrl to link to it. Ask your admin to set it."))[0];
            }
            else
            {
                var token = await downloads.CreateAsync(tenant, userId, file, ct);
                card = AdaptiveCardRenderer.Cards(Reply.Say($"{file.FileName} is ready to download (the link works for one hour)."))[0];
                card["actions"] = new JsonArray(new JsonObject
                {
                    ["type"] = "Action.OpenUrl", ["title"] = $"Download {file.FileName}", ["url"] = new Uri(baseUrl, $"downloads/{token}").ToString(),
                });
            }
            await connector.SendAsync(serviceUrl, conversationId, Message(card, Reply.Say(file.FileName)), ct, tenant);
        }
    }

    /// <summary>The stored 1:1 chat with a user, or a new one created through the Connector (the app must be installed for them).</summary>
    public async Task<TeamsConversation> PersonalChatAsync(string tenant, string userId, string serviceUrl, string botId, CancellationToken ct)
    {
        if (await conversations.PersonalAsync(tenant, userId, ct) is { } known) return known;
        var id = await connector.CreateConversationAsync(serviceUrl, tenant, botId, userId, ct);
        var created = new TeamsConversation(tenant, id, "personal", serviceUrl, botId, userId, null);
        await conversations.SaveAsync(created, ct);
        return created;
    }

    /// <summary>A welcome when the bot is added, once per conversation (through the outbox, keyed by the conversation).</summary>
    private async Task WelcomeAsync(Origin context, CancellationToken ct)
    {
        var welcome = new Reply("Hi, I'm CoordBot.",
        [
            new Heading("Hi, I'm CoordBot"),
            new Paragraph("I keep track of your coalition's allies, remind you ahead of elections, and collect weekly check-ins."),
            new Context(context.IsPersonal ? "Try: ally add \"Jane Doe\" --org \"City of Atlanta\", or coord help." : "Mention me with a command, e.g. @CoordBot coord help."),
        ]);
        var now = time.GetUtcNow();
        await outbox.EnqueueAsync(context.Tenant, $"teams-welcome:{context.ConversationId}", "teams", context.ConversationId, welcome, now, now, ct);
        logger.LogInformation("CoordBot was added to a Teams {Type} conversation in tenant {Tenant}", context.ConversationType, context.Tenant);
    }

    private async Task ForgetAsync(Origin context, CancellationToken ct)
    {
        await conversations.ForgetAsync(context.Tenant, context.ConversationId, ct);
        logger.LogInformation("CoordBot was removed from a Teams {Type} conversation in tenant {Tenant}", context.ConversationType, context.Tenant);
    }

    /// <summary>A message activity carrying one card; its summary is the reply's short text (notifications).</summary>
    internal static JsonObject Message(JsonObject card, Reply reply) => new()
    {
        ["type"] = "message",
        ["summary"] = reply.Text.Length <= 200 ? reply.Text : reply.Text[..199] + "…",
        ["attachments"] = new JsonArray(new JsonObject { ["contentType"] = AdaptiveCardRenderer.ContentType, ["content"] = card }),
    };

    private static HashSet<string> Members(JsonElement activity, string property) =>
        activity.TryGetProperty(property, out var members) && members.ValueKind == JsonValueKind.Array
            ? members.EnumerateArray().Select(m => JsonRead.Str(m, "id")).OfType<string>().ToHashSet()
            : [];

    private static TeamsAck Bad(string reason) => new(400, new JsonObject { ["error"] = reason });

    private static TeamsAck InvokeError(int status, string code, string message) => new(status, new JsonObject
    {
        ["statusCode"] = status,
        ["type"] = "application/vnd.microsoft.error",
        ["value"] = new JsonObject { ["code"] = code, ["message"] = message },
    });

    private static TeamsAck InvokeMessage(string text) => new(200, new JsonObject
    {
        ["statusCode"] = 200,
        ["type"] = "application/vnd.microsoft.activity.message",
        ["value"] = text,
    });
}
