using System.Text.Json;
using CoordBot.Chat;
using CoordBot.Elections;

namespace CoordBot.Teams;

/// <summary>A file shared with a message: its name and the pre-authenticated download URL Teams sends.</summary>
public sealed record TeamsSharedFile(string Name, string Url);

/// <summary>
/// Files people send with a command (an .ics calendar, a CSV): found in the activity, and read through
/// the same guarded fetcher as calendar URLs (https on public addresses only, 2 MB, 10 s). The URL came
/// in an authenticated activity, but is still not trusted to point anywhere inside the network.
/// </summary>
public sealed class TeamsSharedFiles(FeedFetcher fetcher)
{
    private const string FileDownloadInfo = "application/vnd.microsoft.teams.file.download.info";

    /// <summary>The first file attached to a message, if any.</summary>
    public static TeamsSharedFile? Find(JsonElement activity)
    {
        if (!activity.TryGetProperty("attachments", out var attachments) || attachments.ValueKind != JsonValueKind.Array) return null;
        foreach (var attachment in attachments.EnumerateArray())
            if (JsonRead.Str(attachment, "contentType") == FileDownloadInfo && JsonRead.Str(attachment, "content", "downloadUrl") is { } url)
                return new TeamsSharedFile(JsonRead.Str(attachment, "name") ?? "the file", url);
        return null;
    }

    /// <summary>The file's text, or why it cannot be had (in words for the user).</summary>
    public async Task<(string? Content, string? Problem)> ReadAsync(TeamsSharedFile file, CancellationToken ct)
    {
        // An Open States person file (.yml) is text too: it goes on the lines after the command like a CSV.
        if (Path.GetExtension(file.Name).ToLowerInvariant() is not (".ics" or ".csv" or ".txt" or ".yml" or ".yaml"))
            return (null, $"I can read .ics calendars, .csv files and Open States .yml files; {file.Name} is none of these.");
        var (text, error) = await fetcher.FetchAsync(file.Url, ct);
        return text is null ? (null, $"I could not read {file.Name}: {error}") : (text, null);
    }
}
