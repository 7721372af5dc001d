using CoordBot.Chat;
using System.Text;
using System.Text.Json.Nodes;
using static CoordBot.Chat.Rendering.TextCut;

namespace CoordBot.Slack.BlockKit;

/// <summary>Text preparation and text objects shared by the Block Kit renderer.</summary>
internal static class SlackText
{
    public const string Ellipsis = "…";

    /// <summary>U+2060: invisible, and no break between the characters either side of it.</summary>
    private const string WordJoiner = "\u2060";

    /// <summary>
    /// User text made fit for display (<see cref="UserText.Display"/>), and "://" and "@here", "@channel", "@everyone" broken with an
    /// invisible word joiner, so that no client linkifies a typed URL (plain_text is not documented to
    /// be exempt) and no caller's link_names or parse option turns a typed broadcast into a mention.
    /// </summary>
    public static string Display(string? text)
    {
        var clean = UserText.Display(text);
        if (clean.AsSpan().IndexOfAny(BreaksUp) < 0) return clean;   // the common case: no "://" or "@" to break up
        return new StringBuilder(clean).Replace("://", ":" + WordJoiner + "//")
                 .Replace("@here", "@" + WordJoiner + "here")
                 .Replace("@channel", "@" + WordJoiner + "channel")
                 .Replace("@everyone", "@" + WordJoiner + "everyone")
                 .ToString();
    }

    /// <summary>Characters that start a sequence <see cref="Display"/> breaks up.</summary>
    private static readonly System.Buffers.SearchValues<char> BreaksUp = System.Buffers.SearchValues.Create("@:");

    /// <summary><see cref="Display"/> on one line, trimmed.</summary>
    public static string Line(string? text) => Display(text).ReplaceLineEndings(" ").Replace('\t', ' ').Trim();

    /// <summary>A value as an input's initial value or a choice: only what JSON and Slack cannot carry is fixed.</summary>
    public static string Value(string? text) => UserText.Value(text, dropControls: true);

    /// <summary>Escaped mrkdwn cut to <paramref name="max"/> with "…", never inside an entity.</summary>
    public static string TruncateEscaped(string escaped, int max)
    {
        if (escaped.Length <= max) return escaped;
        var cut = max - Ellipsis.Length;
        var amp = escaped.LastIndexOf('&', cut - 1);
        if (amp >= 0 && amp + 5 > cut && escaped.IndexOf(';', amp) >= cut) cut = amp;
        if (cut > 0 && char.IsHighSurrogate(escaped[cut - 1])) cut--;
        return escaped[..cut] + Ellipsis;
    }

    /// <summary>
    /// Splits text into non-blank pieces of at most <paramref name="max"/> characters, at a line
    /// break where there is one in the second half, else at a space, else anywhere (not inside a
    /// surrogate pair). The break character itself is dropped.
    /// </summary>
    public static List<string> Chunks(string text, int max)
    {
        var chunks = new List<string>();
        var start = 0;
        while (text.Length - start > max)
        {
            var cut = text.LastIndexOf('\n', start + max, max + 1);
            if (cut - start < max / 2) cut = text.LastIndexOf(' ', start + max, max + 1);
            var next = cut + 1;   // drop the break character
            if (cut - start < max / 2)
            {
                cut = start + (char.IsHighSurrogate(text[start + max - 1]) ? max - 1 : max);
                next = cut;
            }
            var chunk = text[start..cut];
            if (!string.IsNullOrWhiteSpace(chunk)) chunks.Add(chunk);
            start = next;
        }
        if (!text.AsSpan(start).IsWhiteSpace()) chunks.Add(text[start..]);
        return chunks;
    }

    /// <summary>A plain_text object: Slack shows it as typed (no mentions, links or styling).</summary>
    public static JsonObject Plain(string text, bool emoji = true) =>
        new() { ["type"] = "plain_text", ["text"] = text, ["emoji"] = emoji };

    /// <summary>A mrkdwn object for already-escaped, unstyled user text; verbatim stops Slack's own linking and mention parsing.</summary>
    public static JsonObject Markdown(string escaped) =>
        new() { ["type"] = "mrkdwn", ["text"] = escaped, ["verbatim"] = true };
}
