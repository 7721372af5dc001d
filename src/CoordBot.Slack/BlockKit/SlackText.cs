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
    /// User text made fit for display: line breaks normalised to \n, other control characters
    /// dropped, lone surrogates replaced, and "://" and "@here", "@channel", "@everyone" broken with an
    /// invisible word joiner, so that no client linkifies a typed URL (plain_text is not documented to
    /// be exempt) and no caller's link_names or parse option turns a typed broadcast into a mention.
    /// </summary>
    /// <summary>Characters <see cref="Display"/> may change or that start a sequence it breaks up; text without any is returned as it is.</summary>
    private static readonly System.Buffers.SearchValues<char> NeedsDisplayWork = System.Buffers.SearchValues.Create(
        string.Concat(Enumerable.Range(0, 0x20).Where(c => c is not '\n' and not '\t').Select(c => (char)c)) +
        string.Concat(Enumerable.Range(0x7F, 0x21).Select(c => (char)c)) +
        string.Concat(Enumerable.Range(0xD800, 0x800).Select(c => (char)c)) + "@:");

    public static string Display(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        if (text.AsSpan().IndexOfAny(NeedsDisplayWork) < 0) return text;   // the common case: nothing to change
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\r')
            {
                sb.Append('\n');
                if (i + 1 < text.Length && text[i + 1] == '\n') i++;
            }
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                sb.Append(c).Append(text[++i]);
            else if (char.IsSurrogate(c))
                sb.Append('\uFFFD');
            else if (c is '\n' or '\t' || !char.IsControl(c))
                sb.Append(c);
        }
        return sb.Replace("://", ":" + WordJoiner + "//")
                 .Replace("@here", "@" + WordJoiner + "here")
                 .Replace("@channel", "@" + WordJoiner + "channel")
                 .Replace("@everyone", "@" + WordJoiner + "everyone")
                 .ToString();
    }

    /// <summary><see cref="Display"/> on one line, trimmed.</summary>
    public static string Line(string? text) => Display(text).ReplaceLineEndings(" ").Replace('\t', ' ').Trim();

    /// <summary>A value as an input's initial value or a choice: only what JSON and Slack cannot carry is fixed.</summary>
    public static string Value(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) sb.Append(c).Append(text[++i]);
            else if (char.IsSurrogate(c)) sb.Append('\uFFFD');
            else if (c is '\n' or '\t' || !char.IsControl(c)) sb.Append(c);
        }
        return sb.ToString();
    }

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
