using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CoordBot.Chat;
using CoordBot.Slack.Api;
using CoordBot.Slack.BlockKit;
using Microsoft.Extensions.Logging;

namespace CoordBot.Slack;

/// <summary>
/// Turns Slack inputs into <see cref="ChatRequest"/>s for the one router (downloading a shared file as
/// command input). A reply ready within <see cref="SlackOptions.ReplyBudget"/> goes back in the HTTP
/// response (or Socket Mode ack); every other reply is handed to <see cref="SlackReplies"/>, which sends
/// it through <c>response_url</c> or the Web API.
/// </summary>
public sealed partial class SlackHandler(
    CommandRouter router,
    SlackOptions options,
    SlackApiClient api,
    ISlackTokens tokens,
    SlackReplies replies,
    SlackInstallations installations,
    SlackSeenEvents seen,
    SlackHome home,
    SlackUserZones userZones,
    WorkQueue work,
    TimeProvider time,
    ILogger<SlackHandler> logger) : ISlackInbound
{
    private const string FormCallback = "coordbot_form";

    public async Task<SlackAck> CommandAsync(IReadOnlyDictionary<string, string> fields, CancellationToken ct)
    {
        string? Field(string name) => fields.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v) ? v : null;
        if (Field("command") is not { } command || Field("team_id") is not { } team || Field("user_id") is not { } user || Field("channel_id") is not { } channel)
            return Bad("a slash command needs command, team_id, user_id and channel_id");
        var workspace = SlackInstallations.WorkspaceOf(team, Field("enterprise_id"), Field("is_enterprise_install") == "true");
        var text = $"{command.TrimStart('/')} {Field("text")}".Trim();
        var request = new ChatRequest("slack", workspace, channel, user, text, UserName: Field("user_name"), Raw: fields);
        logger.LogDebug("Slash command {Command} from {User} in {Workspace}", command, user, workspace);
        var target = new SlackTarget(workspace, channel, user, Field("response_url"), Field("trigger_id"));
        await userZones.RefreshAsync(workspace, user, ct);
        return await RunWithinBudgetAsync(request, target, ct);
    }

    public async Task AnsweredLateAsync(string envelopeType, JsonElement payload, JsonNode body, CancellationToken ct)
    {
        if (body is not JsonObject answer) return;
        SlackTarget? target = envelopeType switch
        {
            "slash_commands" => JsonRead.Str(payload, "team_id") is { } team && JsonRead.Str(payload, "user_id") is { } user
                ? new SlackTarget(SlackInstallations.WorkspaceOf(team, JsonRead.Str(payload, "enterprise_id"), JsonRead.Str(payload, "is_enterprise_install") == "true" || JsonRead.Bool(payload, "is_enterprise_install")),
                    JsonRead.Str(payload, "channel_id"), user, JsonRead.Str(payload, "response_url"), null)
                : null,
            "interactive" => InteractionTarget(payload),
            _ => null,   // events are answered through the Web API already; their ack carries nothing to show
        };
        if (target is null) return;
        logger.LogInformation("A Slack {Type} answer missed its acknowledgement; sent through response_url or the Web API", envelopeType);
        await replies.SendLateAnswerAsync(answer, target, ct);
    }

    /// <summary>Where a late answer to an interaction goes: a form's channel and response_url from its metadata, else the payload's.</summary>
    private static SlackTarget? InteractionTarget(JsonElement payload)
    {
        var team = JsonRead.Str(payload, "team", "id") ?? JsonRead.Str(payload, "user", "team_id");
        if (team is null || JsonRead.Str(payload, "user", "id") is not { } user) return null;
        var workspace = SlackInstallations.WorkspaceOf(team, JsonRead.Str(payload, "enterprise", "id"), JsonRead.Bool(payload, "is_enterprise_install"));
        string? channel = JsonRead.Str(payload, "channel", "id") ?? JsonRead.Str(payload, "container", "channel_id"), responseUrl = JsonRead.Str(payload, "response_url");
        if (payload.TryGetProperty("view", out var view) && JsonRead.Str(view, "private_metadata") is { } raw)
        {
            try
            {
                var metadata = JsonDocument.Parse(raw).RootElement;
                if (metadata.ValueKind == JsonValueKind.Object)
                {
                    channel = JsonRead.Str(metadata, "channel") ?? channel;
                    responseUrl = JsonRead.Str(metadata, "response_url") ?? responseUrl;
                }
            }
            catch (JsonException) { }
        }
        return new SlackTarget(workspace, channel, user, responseUrl, null);
    }

    public async Task<SlackAck> InteractionAsync(JsonElement payload, CancellationToken ct)
    {
        var type = JsonRead.Str(payload, "type");
        var team = JsonRead.Str(payload, "team", "id") ?? JsonRead.Str(payload, "user", "team_id");
        var user = JsonRead.Str(payload, "user", "id");
        if (type is null || team is null || user is null) return Bad("an interaction payload needs type, team.id and user.id");
        var workspace = SlackInstallations.WorkspaceOf(team, JsonRead.Str(payload, "enterprise", "id"), JsonRead.Bool(payload, "is_enterprise_install"));
        var channel = JsonRead.Str(payload, "channel", "id") ?? JsonRead.Str(payload, "container", "channel_id");
        var target = new SlackTarget(workspace, channel, user, JsonRead.Str(payload, "response_url"), JsonRead.Str(payload, "trigger_id"), ReplaceOriginal: true);
        await userZones.RefreshAsync(workspace, user, ct);

        switch (type)
        {
            case "block_actions":
                if (!payload.TryGetProperty("actions", out var actions) || actions.ValueKind != JsonValueKind.Array || actions.GetArrayLength() == 0)
                    return Bad("block_actions without actions");
                var first = actions[0];
                var value = JsonRead.Str(first, "value");
                if (JsonRead.Str(first, "action_id") == BlockKitRenderer.OpenFormActionId)
                {
                    if (BlockKitRenderer.ParseFormButton(value) is not { } form) return SlackAck.Empty;
                    await replies.OpenFormAsync(form, target, ct);
                    return SlackAck.Empty;
                }
                if (BlockKitRenderer.ParseAction(value) is not { } action) return SlackAck.Empty;
                var request = new ChatRequest("slack", workspace, channel ?? user, user, null, action, UserName: JsonRead.Str(payload, "user", "username"), Raw: payload.Clone());
                // Buttons answer through response_url (or a DM from the Home tab), never in the HTTP body.
                await work.EnqueueAsync("slack button", async token =>
                {
                    // A button whose command answers with only a form (a check-in prompt's "Check in") opens it as a modal at once.
                    var reply = await router.HandleAsync(request, token);
                    if (reply is not null && SlackReplies.SoleForm(reply) is { } sole && target.TriggerId is not null && await replies.OpenFormAsync(sole, target, token)) return;
                    await replies.SendAsync(reply, target, token);
                });
                return SlackAck.Empty;

            case "view_submission":
                return await SubmitFormAsync(payload, workspace, user, ct);

            default:   // view_closed, shortcuts and legacy types: nothing to do
                return SlackAck.Empty;
        }
    }

    public async Task<SlackAck> EventAsync(JsonElement body, int? retryNum, CancellationToken ct)
    {
        switch (JsonRead.Str(body, "type"))
        {
            case "url_verification":
                return JsonRead.Str(body, "challenge") is { } challenge ? new SlackAck(200, new JsonObject { ["challenge"] = challenge }) : Bad("url_verification without challenge");
            case "event_callback":
                break;
            default:
                return SlackAck.Empty;
        }
        var team = JsonRead.Str(body, "team_id");
        var eventId = JsonRead.Str(body, "event_id");
        if (team is null || eventId is null || !body.TryGetProperty("event", out var inner) || inner.ValueKind != JsonValueKind.Object)
            return Bad("event_callback needs team_id, event_id and event");
        var authorization = body.TryGetProperty("authorizations", out var auths) && auths.ValueKind == JsonValueKind.Array && auths.GetArrayLength() > 0 ? auths[0] : default;
        var enterpriseInstall = authorization.ValueKind == JsonValueKind.Object && JsonRead.Bool(authorization, "is_enterprise_install");
        var workspace = SlackInstallations.WorkspaceOf(team, JsonRead.Str(body, "enterprise_id"), enterpriseInstall);
        if (!await seen.FirstTimeAsync(workspace, eventId, ct))
        {
            logger.LogInformation("Event {EventId} seen before (retry {Retry}); skipped", eventId, retryNum);
            return SlackAck.Empty;
        }
        var botUser = authorization.ValueKind == JsonValueKind.Object ? JsonRead.Str(authorization, "user_id") : null;
        var copy = inner.Clone();
        var conversation = JsonRead.Str(inner, "channel") ?? JsonRead.Str(inner, "user") ?? eventId;
        await work.EnqueueAsync("slack event", $"slack:{workspace}:{conversation}", token => HandleEventAsync(workspace, botUser, copy, token));
        return SlackAck.Empty;
    }

    private async Task HandleEventAsync(string workspace, string? botUser, JsonElement e, CancellationToken ct)
    {
        var type = JsonRead.Str(e, "type");
        var user = JsonRead.Str(e, "user");
        var channel = JsonRead.Str(e, "channel");
        switch (type)
        {
            case "app_mention" or "message":
                // Never answer a bot (ourselves included) or an edit/join/other subtype; a shared file is a message too.
                var subtype = JsonRead.Str(e, "subtype");
                if (JsonRead.Str(e, "bot_id") is not null || subtype is not (null or "file_share") || user is null || channel is null || user == botUser) return;
                if (type == "message" && JsonRead.Str(e, "channel_type") != "im") return;
                var text = MentionRegex().Replace(JsonRead.Str(e, "text") ?? "", "").Trim();
                var attached = new List<SharedFile>();
                foreach (var file in SharedFiles(e))
                {
                    // A text file's content goes on the lines after the command, where election import and ally
                    // import read it; YAML and zip files travel as files (ally import --format openstates).
                    var (content, bytes, problem) = await DownloadAsync(workspace, file, MaxSharedFileBytes - attached.Sum(f => (long)f.Content.Length), ct);
                    if (problem is not null)
                    {
                        await replies.SendAsync(Reply.Error(problem), new SlackTarget(workspace, channel, user, null, null), ct);
                        return;
                    }
                    if (content is not null) text = $"{text}\n{content}";
                    else attached.Add(new SharedFile(JsonRead.Str(file, "name") ?? "file", bytes!));
                }
                var request = new ChatRequest("slack", workspace, channel, user, text, Raw: e, Files: attached);
                await userZones.RefreshAsync(workspace, user, ct);
                var reply = await router.HandleAsync(request, ct);
                await replies.SendAsync(reply, new SlackTarget(workspace, channel, user, null, null, ThreadTs: type == "app_mention" ? JsonRead.Str(e, "thread_ts") : null), ct);
                break;
            case "app_home_opened" when user is not null && JsonRead.Str(e, "tab") is null or "home":
                await home.PublishAsync(workspace, user, ct);
                break;
            case "app_uninstalled":
                await installations.DeactivateAsync(workspace, ct);
                logger.LogWarning("CoordBot was uninstalled from {Workspace}; its token is forgotten", workspace);
                break;
            case "tokens_revoked" when e.TryGetProperty("tokens", out var revoked) && revoked.TryGetProperty("bot", out var bots) && bots.GetArrayLength() > 0:
                await installations.DeactivateAsync(workspace, ct);
                logger.LogWarning("The bot token of {Workspace} was revoked", workspace);
                break;
        }
    }

    /// <summary>Largest shared file read as command input (an election calendar, an ally CSV).</summary>
    public const long MaxSharedFileBytes = 2 * 1024 * 1024;

    /// <summary>The files shared with a message (Slack allows 10): text files (.ics, .csv, .txt) are read inline, the first only.</summary>
    private static IEnumerable<JsonElement> SharedFiles(JsonElement e)
    {
        if (!e.TryGetProperty("files", out var files) || files.ValueKind != JsonValueKind.Array) yield break;
        var textSeen = false;
        foreach (var file in files.EnumerateArray().Take(10))
        {
            if (file.ValueKind != JsonValueKind.Object) continue;
            if (!IsFileInput(JsonRead.Str(file, "name")))
            {
                if (textSeen) continue;
                textSeen = true;
            }
            yield return file;
        }
    }

    /// <summary>Files read as files rather than as text on the lines after the command.</summary>
    private static bool IsFileInput(string? name) => Path.GetExtension(name ?? "").ToLowerInvariant() is ".yml" or ".yaml" or ".zip";

    /// <summary>A shared file: its text (.ics, .csv, .txt) or its bytes (.yml, .yaml, .zip), or what to tell the user.</summary>
    private async Task<(string? Text, byte[]? Bytes, string? Problem)> DownloadAsync(string workspace, JsonElement file, long budget, CancellationToken ct)
    {
        var name = JsonRead.Str(file, "name") ?? "the file";
        var extension = Path.GetExtension(name).ToLowerInvariant();
        var asFile = IsFileInput(name);
        if (!asFile && extension is not (".ics" or ".csv" or ".txt"))
            return (null, null, $"I can read .ics calendars, .csv files, and Open States .yml files or zips; {name} is none of these.");
        if ((file.TryGetProperty("size", out var size) && size.ValueKind == JsonValueKind.Number && size.GetInt64() > budget) || budget <= 0)
            return (null, null, budget < MaxSharedFileBytes ? "The shared files come to more than 2 MB together." : $"{name} is larger than 2 MB.");
        if ((JsonRead.Str(file, "url_private_download") ?? JsonRead.Str(file, "url_private")) is not { } url || await tokens.BotTokenAsync(workspace, ct) is not { } token)
            return (null, null, $"I could not read {name}.");
        try
        {
            var bytes = await api.DownloadFileBytesAsync(token, url, budget, ct);
            return asFile ? (null, bytes, null) : (System.Text.Encoding.UTF8.GetString(bytes), null, null);
        }
        catch (SlackApiException e)
        {
            logger.LogWarning("Could not download a shared file: {Error}", e.Error);
            return (null, null, DownloadProblem(name, e.Error));
        }
    }

    /// <summary>What the user is told when a shared file cannot be downloaded, by the download's error.</summary>
    internal static string DownloadProblem(string name, string error) => error switch
    {
        "file_too_large" => $"{name} is larger than 2 MB.",
        "http_404" or "http_410" => $"I could not read {name}: Slack says it no longer exists (it may have been deleted). Share it again.",
        "http_401" or "http_403" or "not_authorized" => $"I could not read {name}: Slack did not let me download it. Share it in a DM with me.",
        "timeout" => $"I could not read {name}: the download from Slack timed out. Try again in a minute.",
        "network_error" => $"I could not read {name}: the download from Slack failed. Try again in a minute.",
        _ => $"I could not read {name} ({error}).",
    };

    [GeneratedRegex(@"<@[UW][A-Z0-9]+(\|[^>]*)?>")]
    private static partial Regex MentionRegex();

    private async Task<SlackAck> RunWithinBudgetAsync(ChatRequest request, SlackTarget target, CancellationToken ct)
    {
        var run = router.HandleAsync(request, CancellationToken.None);
        if (!await FinishesWithinBudgetAsync(run, ct))
        {
            logger.LogInformation("{Command} took longer than {Budget}; acknowledged, the reply follows", request.CommandName, options.ReplyBudget);
            await work.EnqueueAsync("slack late reply", async token => await replies.SendAsync(await run, target, token));
            return SlackAck.Empty;
        }
        var reply = await run;
        if (reply is null) return SlackAck.Empty;
        if (SlackReplies.SoleForm(reply) is { } form && target.TriggerId is not null && await replies.OpenFormAsync(form, target, ct))
            return SlackAck.Empty;
        using var span = CoordBot.Telemetry.CoordBotTelemetry.StartReply("slack");
        var messages = SlackReplies.Render(reply);
        var body = SlackReplies.Shape(messages[0], reply, target, copy: false);   // rendered for this answer alone: no copy needed
        if (messages.Count > 1 || SlackReplies.HasFiles(reply))
            await work.EnqueueAsync("slack more pages", token => replies.SendPagesAsync(reply, messages.Skip(1).ToList(), target, token));
        return new SlackAck(200, body);
    }

    /// <summary>
    /// Whether <paramref name="run"/> ends within <see cref="SlackOptions.ReplyBudget"/> (or before Slack hangs up). Its timer
    /// is disposed as soon as the run ends, rather than left to fire later, once per command.
    /// </summary>
    private async Task<bool> FinishesWithinBudgetAsync(Task run, CancellationToken ct)
    {
        if (run.IsCompleted) return true;
        try
        {
            await run.WaitAsync(options.ReplyBudget, time, ct);
            return true;
        }
        catch (Exception e) when (!run.IsCompleted && (e is TimeoutException || (e is OperationCanceledException && ct.IsCancellationRequested)))
        {
            return false;
        }
        catch when (run.IsCompleted)
        {
            return true;   // the run's own failure: the caller's await of it reports it as before
        }
    }

    private async Task<SlackAck> SubmitFormAsync(JsonElement payload, string workspace, string user, CancellationToken ct)
    {
        if (!payload.TryGetProperty("view", out var view) || JsonRead.Str(view, "callback_id") != FormCallback) return SlackAck.Empty;
        JsonElement metadata;
        try { metadata = JsonDocument.Parse(JsonRead.Str(view, "private_metadata") ?? "{}").RootElement; }
        catch (JsonException) { return Bad("the form's private_metadata is not ours"); }
        if (JsonRead.Str(metadata, "command") is not { } command) return Bad("the form's private_metadata has no command");
        var values = view.TryGetProperty("state", out var state) && state.TryGetProperty("values", out var stateValues)
            ? BlockKitRenderer.FormValues(stateValues) : new Dictionary<string, string>();
        var inputs = view.TryGetProperty("blocks", out var blocks) && blocks.ValueKind == JsonValueKind.Array
            ? blocks.EnumerateArray().Where(b => JsonRead.Str(b, "type") == "input").Select(b => JsonRead.Str(b, "block_id")).OfType<string>().ToList() : [];
        var channel = JsonRead.Str(metadata, "channel");
        var target = new SlackTarget(workspace, channel, user, JsonRead.Str(metadata, "response_url"), null);
        var request = new ChatRequest("slack", workspace, channel ?? user, user, null, new ChatAction(command, values), Raw: payload.Clone());

        var run = router.HandleAsync(request, CancellationToken.None);
        if (!await FinishesWithinBudgetAsync(run, ct))
        {
            await work.EnqueueAsync("slack late form reply", async token => await replies.SendAsync(await run, target, token));
            return SlackAck.Empty;
        }
        var reply = await run;
        if (reply is { IsError: true } && inputs.Count > 0)
        {
            // Show the problem beside the input at fault (or the first one), and keep the modal open.
            var block = reply.Field is { } field && inputs.Contains(field) ? field : inputs[0];
            return new SlackAck(200, new JsonObject
            {
                ["response_action"] = "errors",
                ["errors"] = new JsonObject { [block] = Truncate(reply.Text, 2000) },
            });
        }
        await work.EnqueueAsync("slack form reply", token => replies.SendAsync(reply, target, token));
        return SlackAck.Empty;
    }

    private static SlackAck Bad(string reason) => new(400, new JsonObject { ["error"] = reason });

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
