using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CoordBot.Chat;
using CoordBot.CheckIns;
using CoordBot.Teams.Cards;
using CoordBot.Teams.Connector;
using Microsoft.Extensions.Logging;

namespace CoordBot.Teams;

/// <summary>What CoordBot answers on the HTTP response to one activity (invoke responses carry a body).</summary>
public sealed record TeamsAck(int Status, JsonNode? Body = null)
{
    public static readonly TeamsAck Accepted = new(200);
}

/// <summary>
/// Turns admitted Bot Framework activities into <see cref="ChatRequest"/>s for the one router:
/// messages (typed commands and Action.Submit cards), Action.Execute invokes, installs and removals.
/// The workspace is the tenant. Replies go out through <see cref="TeamsReplies"/>, shared files are
/// read by <see cref="TeamsSharedFiles"/>, welcomes are queued by <see cref="TeamsWelcome"/>.
/// </summary>
public sealed partial class TeamsHandler(
    CommandRouter router,
    TeamsConversations conversations,
    TrustedServiceUrls trusted,
    TeamsReplies replies,
    TeamsSharedFiles files,
    TeamsWelcome welcome,
    MemberZones zones,
    WorkQueue work,
    ILogger<TeamsHandler> logger)
{
    /// <summary>
    /// Handles one activity whose token, serviceUrl, channel and tenant have been verified (the
    /// endpoint calls this only after <c>BotFrameworkAuthenticator</c> and <c>TeamsActivityGate</c>
    /// admitted it), so its conversation reference may be stored.
    /// </summary>
    public async Task<TeamsAck> HandleAsync(JsonElement activity, CancellationToken ct)
    {
        if (Origin.From(activity) is not { } context)
            return Bad("the activity needs type, serviceUrl, conversation.id, from.id, recipient.id and a tenant id");
        // Only a serviceUrl the Connector client would call is stored: never an empty or foreign-scheme one.
        if (!trusted.Trust(context.ServiceUrl)) return Bad("the activity's serviceUrl is not an https URL");
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
                var file = request.Action is null ? TeamsSharedFiles.Find(activity) : null;
                var zone = ClientTimeZone(activity);
                await work.EnqueueAsync("teams message", $"teams:{context.Tenant}:{context.ConversationId}", async token =>
                {
                    await zones.ReportAsync(context.Tenant, context.FromId, zone, token);
                    if (file is { } shared)
                    {
                        // A file sent with the command (an .ics calendar, a CSV) is its input, on the lines after it.
                        var (content, problem) = await files.ReadAsync(shared, token);
                        if (content is null)
                        {
                            await replies.DeliverAsync(Reply.Error(problem!), context.Asker, null, replyTo, token);
                            return;
                        }
                        request = request with { Text = $"{request.Text}\n{content}" };
                    }
                    var reply = await router.HandleAsync(request, token);
                    // A successful submit replaces the form's card; a refusal comes as a new message so the form stays to be fixed.
                    using var span = reply is null ? null : CoordBot.Telemetry.CoordBotTelemetry.StartReply("teams");
                    if (reply is not null) await replies.DeliverAsync(reply, context.Asker, reply.IsError ? null : submittedCard, replyTo, token);
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

        public TeamsAsker Asker => new(Tenant, ServiceUrl, ConversationId, ConversationType, BotId, FromId, FromName);

        public static Origin? From(JsonElement a)
        {
            var type = JsonRead.Str(a, "type");
            var serviceUrl = JsonRead.Str(a, "serviceUrl") is { } url && !string.IsNullOrWhiteSpace(url) ? url : null;
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

    /// <summary>
    /// The sender's IANA time zone as their Teams client reports it: the <c>clientInfo</c> entity's <c>timezone</c>
    /// (https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/cards-actions), else the
    /// activity's <c>localTimezone</c>; null when neither is there. <see cref="MemberZones"/> ignores anything not a known zone.
    /// </summary>
    internal static string? ClientTimeZone(JsonElement activity)
    {
        if (activity.TryGetProperty("entities", out var entities) && entities.ValueKind == JsonValueKind.Array)
            foreach (var entity in entities.EnumerateArray())
                if (entity.ValueKind == JsonValueKind.Object && JsonRead.Str(entity, "type") == "clientInfo" && JsonRead.Str(entity, "timezone") is { Length: > 0 } zone)
                    return zone;
        return JsonRead.Str(activity, "localTimezone") is { Length: > 0 } local ? local : null;
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
        await zones.ReportAsync(context.Tenant, context.FromId, ClientTimeZone(activity), ct);
        var reply = await router.HandleAsync(request, ct);
        if (reply is null) return InvokeMessage("Done.");
        if (reply.Ephemeral && !context.IsPersonal)
        {
            await work.EnqueueAsync("teams private reply", token => replies.SendPrivatelyAsync(reply, context.Asker, token));
            return InvokeMessage("I sent the answer to our 1:1 chat.");
        }
        using var span = CoordBot.Telemetry.CoordBotTelemetry.StartReply("teams");
        var cards = AdaptiveCardRenderer.Cards(reply);
        if (cards.Count > 1)
            await work.EnqueueAsync("teams more cards", token => replies.PostCardsAsync(context.Asker, cards.Skip(1), reply, token));
        return new TeamsAck(200, new JsonObject
        {
            ["statusCode"] = 200,
            ["type"] = AdaptiveCardRenderer.ContentType,
            ["value"] = cards[0],
        });
    }

    /// <summary>A welcome when the bot is added, once per conversation.</summary>
    private async Task WelcomeAsync(Origin context, CancellationToken ct)
    {
        await welcome.EnqueueAsync(context.Tenant, context.ConversationId, context.IsPersonal, ct);
        logger.LogInformation("CoordBot was added to a Teams {Type} conversation in tenant {Tenant}", context.ConversationType, context.Tenant);
    }

    private async Task ForgetAsync(Origin context, CancellationToken ct)
    {
        await conversations.ForgetAsync(context.Tenant, context.ConversationId, ct);
        logger.LogInformation("CoordBot was removed from a Teams {Type} conversation in tenant {Tenant}", context.ConversationType, context.Tenant);
    }

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
