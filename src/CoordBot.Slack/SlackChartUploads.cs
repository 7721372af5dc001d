using CoordBot.Data;
using Dapper;

namespace CoordBot.Slack;

/// <summary>How far the upload of one chart file got (see <see cref="SlackChartSharing"/>).</summary>
public enum ChartUploadState
{
    /// <summary>Slack has the bytes under this file id; the file is not shared anywhere yet.</summary>
    Uploaded,
    /// <summary>files.completeUploadExternal was called for this file id and its answer was not recorded: it may be shared.</summary>
    Completing,
    /// <summary>Shared in the channel: never complete it again.</summary>
    Completed,
}

/// <summary>
/// The durable state of chart uploads, one row per chart of an outbox message (workspace, message key, chart index):
/// the file id Slack gave it and how far it got. Written before and after each step that changes what the channel shows,
/// so a try after a crash, a timeout or a rate limit knows what the earlier one did.
/// </summary>
public sealed class SlackChartUploads(Database database, TimeProvider time)
{
    public sealed record Upload(string FileId, ChartUploadState State);

    public async Task<Upload?> GetAsync(string workspaceId, string messageKey, int chart, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(string FileId, string State)?>(
            "SELECT file_id, state FROM slack_chart_uploads WHERE workspace_id = @Workspace AND message_key = @Key AND chart = @Chart",
            new { Workspace = workspaceId, Key = messageKey, Chart = chart });
        return row is { } r && Enum.TryParse<ChartUploadState>(r.State, ignoreCase: false, out var state) ? new Upload(r.FileId, state) : null;
    }

    /// <summary>Records the chart's file id and state (replacing what was there: a file Slack lost is started again under a new id).</summary>
    public async Task SetAsync(string workspaceId, string messageKey, int chart, string fileId, ChartUploadState state, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync("""
            INSERT INTO slack_chart_uploads (workspace_id, message_key, chart, file_id, state, updated_at)
            VALUES (@Workspace, @Key, @Chart, @FileId, @State, @At)
            ON CONFLICT (workspace_id, message_key, chart) DO UPDATE SET file_id = excluded.file_id, state = excluded.state, updated_at = excluded.updated_at
            """, new { Workspace = workspaceId, Key = messageKey, Chart = chart, FileId = fileId, State = state.ToString(), At = Database.Stamp(time.GetUtcNow()) });
    }

    /// <summary>Forgets a chart's upload (its file never got shared and Slack no longer has it): the next try starts over.</summary>
    public async Task ForgetAsync(string workspaceId, string messageKey, int chart, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync("DELETE FROM slack_chart_uploads WHERE workspace_id = @Workspace AND message_key = @Key AND chart = @Chart",
            new { Workspace = workspaceId, Key = messageKey, Chart = chart });
    }
}
