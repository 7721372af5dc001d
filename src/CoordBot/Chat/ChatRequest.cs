namespace CoordBot.Chat;

/// <summary>
/// One input from any channel, translated by its adapter: who said what, where. Handlers never see
/// Slack or Teams types; <see cref="Raw"/> keeps the platform payload as an escape hatch for adapters.
/// </summary>
/// <param name="Platform">"local", "slack" or "teams".</param>
/// <param name="WorkspaceId">Slack team / Teams tenant / "local". Every query is scoped by it.</param>
/// <param name="ChannelId">Conversation the input came from.</param>
/// <param name="UserId">Platform user id of the sender.</param>
/// <param name="Text">What was typed: the command on the first line, an optional body (CSV, iCalendar) on the lines after it.</param>
/// <param name="Action">Set instead of <paramref name="Text"/> when a button was pressed or a form submitted.</param>
/// <param name="Files">Files sent with the command that its handler reads as files (<c>ally import --format openstates</c>).</param>
/// <param name="FromBot">The sender is a bot (the bot itself or another); such input is ignored.</param>
public sealed record ChatRequest(
    string Platform,
    string WorkspaceId,
    string ChannelId,
    string UserId,
    string? Text,
    ChatAction? Action = null,
    bool FromBot = false,
    string? UserName = null,
    object? Raw = null,
    IReadOnlyList<SharedFile>? Files = null)
{
    /// <summary>Files sent with the command that are not text a command reads inline (a zip, several YAML files).</summary>
    public IReadOnlyList<SharedFile> Attached => Files ?? [];

    /// <summary>
    /// The command words alone, for logs and metrics ("ally add", "checkin submit"): never the arguments,
    /// which carry names, contact details and notes. Words that are not a plain lowercase command word
    /// (a typo, a pasted sentence) are shown as "?".
    /// </summary>
    public string CommandName
    {
        get
        {
            var line = Action?.Command ?? Text ?? "";
            var end = line.IndexOfAny(['\n', '\r']);
            var words = (end < 0 ? line : line[..end]).Split(' ', 3, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return words.Length == 0 ? "(empty)" : string.Join(' ', words.Take(2).Select(w =>
                w.Length is > 0 and <= 20 && w.All(c => c is (>= 'a' and <= 'z') or '-') ? w : "?"));
        }
    }
}


/// <summary>A file a user sent with a command: its name (for messages) and its bytes.</summary>
public sealed record SharedFile(string Name, byte[] Content);
