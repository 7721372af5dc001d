using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CoordBot.Outbox;
using CoordBot.Slack.Api;
using Microsoft.Extensions.Logging;

namespace CoordBot.Slack;

/// <summary>
/// The outbox's sender for Slack, through the one reply sender (<see cref="SlackReplies"/>): posts to a
/// channel, or to a user's DM when the destination is a user id (the DM's channel id comes from
/// <see cref="SlackDmChannels"/>, so conversations.open is called once per user, not once per message). The client paces every call (per method and
/// workspace, chat.postMessage also per channel); a 429 that outlasts its short retries, or a wait
/// for our own limiter that would be too long, is <see cref="SendResult.RateLimited"/>, which the
/// dispatcher never counts as a failed attempt.
/// </summary>
/// <remarks>
/// <para>
/// Every message carries its outbox key (hashed) in Slack message metadata. When a message may have been
/// delivered already (<see cref="OutboxMessage.MaybeSent"/>: an instance died during its send, or a send
/// timed out), the channel's recent history is read first and the parts found there are not posted
/// again. Without the history scope for the channel, it is posted as before.
/// </para>
/// <para>
/// A chart whose PNG has no public address (no <c>Bot:PublicBaseUrl</c>: Slack could not fetch an image block) is shared
/// as a file after the message's text, once per chart per message (<see cref="SlackChartSharing"/>). Should that fail for
/// good (no <c>files:write</c> scope, say), the message is marked failed as any failed send is; its text is in the channel.
/// </para>
/// </remarks>
public sealed class SlackSender(SlackReplies replies, SlackChartSharing charts, TimeProvider time, ILogger<SlackSender> logger) : IChannelSender
{
    /// <summary>The metadata event type of CoordBot's outbox messages.</summary>
    public const string MetadataType = "coordbot_outbox";

    /// <summary>How far back (before the message was due) history is searched, and how many messages.</summary>
    private static readonly TimeSpan HistorySlack = TimeSpan.FromMinutes(10);
    private const int HistoryLimit = 100;

    public string Platform => "slack";

    public bool ChecksEarlierDelivery => true;

    public async Task<SendResult> SendAsync(OutboxMessage message, CancellationToken ct)
    {
        if (await replies.TokenAsync(message.WorkspaceId, ct) is not { } token)
            return new SendResult.Permanent($"no Slack token for workspace {message.WorkspaceId} (not installed, or uninstalled)");
        var posted = new Posted();
        try
        {
            if (IsUser(message.Destination))
                await replies.ToUserAsync(message.WorkspaceId, token, message.Destination, channel => PostAsync(token, channel, message, posted, ct), ct);
            else
                await PostAsync(token, message.Destination, message, posted, ct);
            return SendResult.Sent;
        }
        catch (SlackRateLimitedException e)
        {
            return new SendResult.RateLimited(e.RetryAfter, e.Local ? "ratelimited (paced locally)" : "ratelimited", NothingPosted(message, posted));
        }
        catch (SlackApiException e) when (e.Error is "ratelimited" or "rate_limited")
        {
            return new SendResult.RateLimited(TimeSpan.FromSeconds(1), e.Error, NothingPosted(message, posted));
        }
        catch (SlackApiException e)
        {
            return e.IsPermanent ? new SendResult.Permanent(e.Error) : new SendResult.Transient(e.Error);
        }
    }

    private static bool IsUser(string destination) => destination.Length > 0 && destination[0] is 'U' or 'W';

    /// <summary>A rate-limited try that posted no part of a message no earlier try may have posted: the next try need not look.</summary>
    private static bool NothingPosted(OutboxMessage message, Posted posted) => !message.MaybeSent && posted.Parts == 0;

    /// <summary>Parts posted by this try.</summary>
    private sealed class Posted
    {
        public int Parts { get; set; }
    }

    private async Task PostAsync(string token, string channel, OutboxMessage message, Posted posted, CancellationToken ct)
    {
        var uploaded = SlackChartSharing.ChartsToUpload(message.Reply);
        var pages = BlockKit.BlockKitRenderer.Messages(message.Reply, uploaded.ToHashSet());
        var id = MetadataId(message);
        var there = message.MaybeSent ? await PartsAlreadyPostedAsync(token, channel, message, id, ct) : [];
        for (var part = 1; part <= pages.Count; part++)
        {
            if (there.Contains(part)) continue;
            var page = pages[part - 1];
            page["metadata"] = new JsonObject
            {
                ["event_type"] = MetadataType,
                ["event_payload"] = new JsonObject { ["id"] = id, ["part"] = part, ["parts"] = pages.Count },
            };
            await replies.Api.PostMessageAsync(token, channel, page, ct);
            posted.Parts++;
        }
        for (var i = 0; i < uploaded.Count; i++)
            if (await charts.ShareAsync(token, channel, message, i, uploaded[i], ct))
                posted.Parts++;
    }

    /// <summary>The parts of this message the channel already has (an earlier try that was never recorded).</summary>
    private async Task<HashSet<int>> PartsAlreadyPostedAsync(string token, string channel, OutboxMessage message, string id, CancellationToken ct)
    {
        IReadOnlyList<SlackMessageMetadata> recent;
        try
        {
            var oldest = (message.NotBefore < time.GetUtcNow() ? message.NotBefore : time.GetUtcNow()) - HistorySlack;
            recent = await replies.Api.HistoryMetadataAsync(token, channel, oldest, HistoryLimit, ct);
        }
        catch (SlackApiException e) when (e.Error is not ("ratelimited" or "rate_limited"))
        {
            logger.LogWarning("Could not read the history of {Channel} to see whether {Key} was already posted ({Error}); posting it", channel, message.Key, e.Error);
            return [];
        }
        var parts = new HashSet<int>();
        foreach (var found in recent)
            if (found.EventType == MetadataType && Text(found.Payload, "id") == id && found.Payload.TryGetProperty("part", out var part)
                && part.ValueKind == JsonValueKind.Number && part.TryGetInt32(out var n))
                parts.Add(n);
        if (parts.Count > 0) logger.LogInformation("{Key} was already posted to {Channel} ({Parts} part(s)); not posting that again", message.Key, channel, parts.Count);
        return parts;
    }

    /// <summary>The outbox key in the metadata, hashed: metadata is visible to other apps in the channel.</summary>
    private static string MetadataId(OutboxMessage message) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(message.WorkspaceId + "\n" + message.Key)))[..32];

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
