using System.Text.Json.Nodes;
using CoordBot.Chat;
using CoordBot.Slack.Api;
using CoordBot.Slack.BlockKit;
using Microsoft.Extensions.Logging;

namespace CoordBot.Slack;

/// <summary>Where and how a reply goes: the conversation, the asker, and Slack's one-shot handles.</summary>
public sealed record SlackTarget(string Workspace, string? Channel, string User, string? ResponseUrl, string? TriggerId,
    bool ReplaceOriginal = false, string? ThreadTs = null);

/// <summary>
/// The one way replies reach Slack: renders a <see cref="Reply"/> into Block Kit and sends it through
/// <c>response_url</c>, chat.postMessage, chat.postEphemeral, views.open or a file upload. It serves
/// the handler's direct replies (<see cref="SlackHandler"/>) and the outbox's sends
/// (<see cref="SlackSender"/>), which share the DM lookup (<see cref="SlackDmChannels"/>).
/// </summary>
public sealed class SlackReplies(SlackApiClient api, ISlackTokens tokens, SlackDmChannels dms, ILogger<SlackReplies> logger)
{
    /// <summary>The Web API client, for the outbox's own calls (history, metadata).</summary>
    public SlackApiClient Api => api;

    public Task<string?> TokenAsync(string workspace, CancellationToken ct) => tokens.BotTokenAsync(workspace, ct);

    /// <summary>The pages of a reply, each a chat.postMessage-shaped message.</summary>
    public static IReadOnlyList<JsonObject> Render(Reply reply) => BlockKitRenderer.Messages(reply);

    /// <summary>
    /// A page as an HTTP / ack / response_url body: with response_type and, for a button's answer, replace_original; on a copy
    /// of <paramref name="message"/> unless <paramref name="copy"/> is false (the page is used for nothing else).
    /// </summary>
    public static JsonObject Shape(JsonObject message, Reply reply, SlackTarget target, bool copy = true)
    {
        var shaped = copy ? (JsonObject)message.DeepClone() : message;
        shaped["response_type"] = reply.Ephemeral ? "ephemeral" : "in_channel";
        if (target.ReplaceOriginal) shaped["replace_original"] = true;
        return shaped;
    }

    /// <summary>A reply that is only a form (plus context lines) opens as a modal when Slack gave a trigger.</summary>
    public static Form? SoleForm(Reply reply) =>
        reply.Blocks.OfType<Form>().ToList() is [var form] && reply.Blocks.All(b => b is Form or Context or Paragraph) ? form : null;

    public static bool HasFiles(Reply reply) => reply.Blocks.OfType<FileAttachment>().Any();

    /// <summary>Sends a finished reply when the HTTP response (or the Socket Mode ack) is no longer available.</summary>
    public async Task SendAsync(Reply? reply, SlackTarget target, CancellationToken ct)
    {
        if (reply is null) return;
        await SendPagesAsync(reply, Render(reply), target, ct);
    }

    /// <summary>Sends these pages of a reply (all, or those after the first when it went in the HTTP body), then its files.</summary>
    public async Task SendPagesAsync(Reply reply, IReadOnlyList<JsonObject> pages, SlackTarget target, CancellationToken ct)
    {
        var token = await tokens.BotTokenAsync(target.Workspace, ct);
        for (var i = 0; i < pages.Count; i++)
            await SendMessageAsync(token, Shape(pages[i], reply, target with { ReplaceOriginal = target.ReplaceOriginal && i == 0 }), target, ct);
        foreach (var file in reply.Blocks.OfType<FileAttachment>())
        {
            if (token is null) break;
            // Files go to the asker's DM: an export of allies is not for the whole channel.
            await ToUserAsync(target.Workspace, token, target.User, dm => api.UploadFileAsync(token, dm, file.FileName, file.Content, file.FileName, ct), ct);
        }
    }

    /// <summary>
    /// An answer meant for the HTTP response or Socket Mode ack that could not go there (the ack deadline
    /// passed): a message goes through <c>response_url</c> or the Web API; a modal's field errors, whose modal
    /// is closed by then, go to the user as one error message.
    /// </summary>
    public async Task SendLateAnswerAsync(JsonObject body, SlackTarget target, CancellationToken ct)
    {
        var token = await tokens.BotTokenAsync(target.Workspace, ct);
        if (body["response_action"]?.GetValue<string>() == "errors")
        {
            var errors = body["errors"] is JsonObject fields ? string.Join("\n", fields.Select(f => f.Value?.GetValue<string>()).OfType<string>()) : "";
            await SendAsync(Reply.Error(errors.Length > 0 ? errors : "That form could not be saved; please try again."), target, ct);
            return;
        }
        if (body["response_action"] is not null) return;   // a modal update or clear: nothing to show once the modal is gone
        await SendMessageAsync(token, body, target, ct);
    }

    /// <summary>One shaped message: to response_url when there is one, else chat.postMessage (DM, thread) or chat.postEphemeral.</summary>
    private async Task SendMessageAsync(string? token, JsonObject shaped, SlackTarget target, CancellationToken ct)
    {
        var ephemeral = shaped["response_type"]?.GetValue<string>() != "in_channel";
        if (target.ResponseUrl is not null)
            await api.RespondAsync(target.ResponseUrl, shaped, ct);
        else if (token is null)
            logger.LogWarning("No bot token for {Workspace}; a reply was dropped", target.Workspace);
        else if (target.Channel is null)
            await ToUserAsync(target.Workspace, token, target.User, dm => api.PostMessageAsync(token, dm, shaped, ct), ct);
        else if (target.Channel.StartsWith('D') || !ephemeral)
            await api.PostMessageAsync(token, target.Channel, WithThread(shaped, target.ThreadTs), ct);
        else
            await api.PostEphemeralAsync(token, target.Channel, target.User, shaped, ct);
    }

    /// <summary>Opens a form as a modal with the trigger Slack gave; false when it cannot (no token, no trigger, Slack refused).</summary>
    public async Task<bool> OpenFormAsync(Form form, SlackTarget target, CancellationToken ct)
    {
        var token = await tokens.BotTokenAsync(target.Workspace, ct);
        if (token is null || target.TriggerId is null) return false;
        var metadata = new JsonObject { ["command"] = form.Command, ["channel"] = target.Channel };
        if (target.ResponseUrl is { Length: < 1500 } url) metadata["response_url"] = url;
        try
        {
            await api.OpenViewAsync(token, target.TriggerId, BlockKitRenderer.Modal(form, metadata.ToJsonString()), ct);
            return true;
        }
        catch (SlackApiException e)
        {
            logger.LogWarning("Could not open the {Form} modal: {Error}", form.Title, e.Error);
            return false;
        }
    }

    /// <summary>
    /// Runs <paramref name="post"/> with the bot's DM channel with a user: the stored id, or a new one from
    /// conversations.open (then stored). A stored id Slack no longer knows (reinstalled app, new bot user)
    /// is forgotten and opened again once.
    /// </summary>
    public async Task ToUserAsync(string workspace, string token, string user, Func<string, Task> post, CancellationToken ct)
    {
        if (await dms.GetAsync(workspace, user, ct) is { } known)
        {
            try
            {
                await post(known);
                return;
            }
            catch (SlackApiException e) when (e.Error == "channel_not_found")
            {
                await dms.ForgetAsync(workspace, user, ct);
            }
        }
        var channel = await api.OpenDmAsync(token, user, ct);
        await dms.SaveAsync(workspace, user, channel, ct);
        await post(channel);
    }

    private static JsonObject WithThread(JsonObject message, string? threadTs)
    {
        if (threadTs is null) return message;
        var copy = (JsonObject)message.DeepClone();
        copy["thread_ts"] = threadTs;
        return copy;
    }
}
