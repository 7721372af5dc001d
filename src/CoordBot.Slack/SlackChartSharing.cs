using CoordBot.Chat;
using CoordBot.CheckIns;
using CoordBot.Outbox;
using CoordBot.Slack.Api;
using Microsoft.Extensions.Logging;

namespace CoordBot.Slack;

/// <summary>
/// Shares the PNG of each chart of an outbox message as a file in the message's channel, when the host has no public
/// address Slack could fetch an image block from: files.getUploadURLExternal, a POST of the bytes to the URL it returns,
/// then files.completeUploadExternal with the channel (https://docs.slack.dev/reference/methods/files.getUploadURLExternal,
/// https://docs.slack.dev/reference/methods/files.completeUploadExternal). Only the last step shows anything in the channel.
/// </summary>
/// <remarks>
/// <para>
/// Once per chart per message, whatever happens to a try: each chart's file id and how far it got are kept in
/// <see cref="SlackChartUploads"/> (keyed by the outbox message and the chart's place in it), and the state is written
/// before and after the one step that matters, the completion. A later try of the same message (after a crash, a
/// timeout, a rate limit or a failure) reads it:
/// </para>
/// <list type="bullet">
/// <item>no row: nothing was shared (a file whose upload began but was never recorded is never completed, and Slack drops
/// it), so the chart starts over under a new file id;</item>
/// <item><see cref="ChartUploadState.Uploaded"/>: Slack has the bytes and the file was never completed, or Slack refused
/// the completion: it is completed now (no second upload). If Slack no longer has it (<c>file_not_found</c>), it starts over;</item>
/// <item><see cref="ChartUploadState.Completing"/>: a completion was sent and its answer never recorded, so the file may
/// be in the channel. The channel's recent history is read for that file id: there, it is done; not there, it is
/// completed now. When the history cannot be read (no history scope for the channel), it is not completed again: a
/// chart may then be missing, but never posted twice;</item>
/// <item><see cref="ChartUploadState.Completed"/>: done, never completed again.</item>
/// </list>
/// </remarks>
public sealed class SlackChartSharing(SlackApiClient api, SlackChartUploads uploads, ChartImages images, TimeProvider time, ILogger<SlackChartSharing> logger)
{
    /// <summary>Slack's limit on an upload's <c>alt_txt</c>.</summary>
    private const int MaxAltText = 1000;

    /// <summary>How far back (before the message was due) history is searched for a chart's file, and how many messages.</summary>
    private static readonly TimeSpan HistorySlack = TimeSpan.FromMinutes(10);
    private const int HistoryLimit = 100;

    /// <summary>The charts of a reply whose PNG has no public address (a path on the host): those this class uploads.</summary>
    public static IReadOnlyList<Chart> ChartsToUpload(Reply reply) =>
        (reply.Blocks ?? []).OfType<Chart>().Where(c => c.HasSafeImage && !c.HasAbsoluteImage).ToList();

    /// <summary>Shares chart number <paramref name="index"/> of the message in <paramref name="channel"/> unless an earlier try did; true when this call shared it.</summary>
    /// <exception cref="SlackApiException">What Slack answered (a missing scope, a rate limit…); the state says how far it got.</exception>
    public async Task<bool> ShareAsync(string token, string channel, OutboxMessage message, int index, Chart chart, CancellationToken ct)
    {
        var (workspace, key) = (message.WorkspaceId, message.Key);
        var known = await uploads.GetAsync(workspace, key, index, ct);
        if (known is { State: ChartUploadState.Completed }) return false;
        if (known is { State: ChartUploadState.Completing })
        {
            var shared = await SharedAlreadyAsync(token, channel, message, known.FileId, ct);
            if (shared is not false)
            {
                await uploads.SetAsync(workspace, key, index, known.FileId, ChartUploadState.Completed, ct);
                if (shared is null)
                    logger.LogWarning("Chart {Index} of {Key} may already be in {Channel} and its history cannot be read; not sharing it again", index, key, channel);
                return false;
            }
        }
        for (var round = 0; ; round++)
        {
            var fileId = known?.FileId;
            if (known is null)
            {
                if (await images.PngAsync(workspace, chart.ImageUrl, ct) is not { } png)
                {
                    logger.LogWarning("Chart {Index} of {Key} has no image any more (its link expired, or its initiative or metric is gone); not sharing it", index, key);
                    return false;
                }
                var alt = chart.AltText ?? chart.Title;
                var ticket = await api.GetUploadUrlAsync(token, ChartImages.FileName(chart.ImageUrl), png.Length,
                    alt.Length > MaxAltText ? alt[..(MaxAltText - 1)] + "…" : alt, ct);
                await api.UploadBytesAsync(ticket, png, "image/png", ct);
                fileId = ticket.FileId;
            }
            await uploads.SetAsync(workspace, key, index, fileId!, ChartUploadState.Completing, ct);
            try
            {
                await api.CompleteUploadAsync(token, channel, fileId!, Title(chart), ct);
            }
            catch (SlackApiException e) when (e.Error == "file_not_found" && known is not null && round == 0)
            {
                // The bytes of an upload never completed are gone (Slack keeps them a while only): once more from the start.
                await uploads.ForgetAsync(workspace, key, index, ct);
                known = null;
                continue;
            }
            catch (SlackApiException e) when (Refused(e))
            {
                // Slack answered, and shared nothing: the next try completes the same file without looking first.
                await uploads.SetAsync(workspace, key, index, fileId!, ChartUploadState.Uploaded, ct);
                throw;
            }
            await uploads.SetAsync(workspace, key, index, fileId!, ChartUploadState.Completed, ct);
            return true;
        }
    }

    /// <summary>The file's title in the channel: the chart's title, on one line.</summary>
    private static string Title(Chart chart)
    {
        var title = string.Join(' ', (chart.Title ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return title.Length == 0 ? "Run chart" : title.Length > 250 ? title[..249] + "…" : title;
    }

    /// <summary>An error Slack answered itself (ok:false, or 429 before doing anything), as opposed to an answer never received.</summary>
    private static bool Refused(SlackApiException e) =>
        e is SlackRateLimitedException || !(e.Error is "timeout" or "network_error" or "invalid_response" || e.Error.StartsWith("http_", StringComparison.Ordinal));

    /// <summary>Whether the channel's recent history has a message with the file; null when the history cannot be read.</summary>
    private async Task<bool?> SharedAlreadyAsync(string token, string channel, OutboxMessage message, string fileId, CancellationToken ct)
    {
        try
        {
            var now = time.GetUtcNow();
            var oldest = (message.NotBefore < now ? message.NotBefore : now) - HistorySlack;
            return (await api.HistoryFileIdsAsync(token, channel, oldest, HistoryLimit, ct)).Contains(fileId);
        }
        catch (SlackApiException e) when (e is not SlackRateLimitedException && e.Error is not ("ratelimited" or "rate_limited") && e.IsPermanent)
        {
            return null;
        }
    }
}
