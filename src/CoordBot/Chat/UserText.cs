using System.Buffers;
using System.Text;

namespace CoordBot.Chat;

/// <summary>
/// The one place user text is cleaned. Each channel adds only its own escaping on top (Slack's
/// <c>&amp; &lt; &gt;</c> and word joiners, Teams' markdown escapes, HTML encoding).
/// <list type="bullet">
/// <item><see cref="Stored"/>: what is kept from typed input (commands, CSV cells): invisible formatting characters
/// (bidi overrides and isolates, zero-width marks, the BOM) and control characters become spaces, so nothing
/// invisible ends up stored in a record.</item>
/// <item><see cref="Display"/>: text fit to show: every kind of line break becomes \n, other control characters are
/// dropped, lone surrogates become U+FFFD.</item>
/// <item><see cref="Value"/>: a value that must come back exactly as it went out (button data, input values):
/// only what JSON cannot carry (lone surrogates) is replaced.</item>
/// </list>
/// Each returns its input itself when nothing needs changing, so clean text costs no allocation.
/// </summary>
public static class UserText
{
    /// <summary>Characters <see cref="Display"/> or <see cref="Value"/> may change: text without any is returned as it is.</summary>
    private static readonly SearchValues<char> NeedsDisplayWork = SearchValues.Create(
        string.Concat(Enumerable.Range(0, 0x20).Where(c => c != '\n').Select(c => (char)c)) +
        string.Concat(Enumerable.Range(0x7F, 0x21).Select(c => (char)c)) +
        string.Concat(Enumerable.Range(0xD800, 0x800).Select(c => (char)c)) + "\u2028\u2029");

    /// <summary>Typed input with control and invisible formatting characters made spaces (line breaks and tabs kept, \r dropped).</summary>
    public static string Stored(string text)
    {
        StringBuilder? sb = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var bad = c is not ('\n' or '\t') &&
                      (char.IsControl(c) || (c >= '\u200B' && c <= '\u200F') || (c >= '\u202A' && c <= '\u202E') ||
                       (c >= '\u2066' && c <= '\u2069') || c == '\uFEFF');
            if (bad) (sb ??= new StringBuilder(text, 0, i, text.Length)).Append(c == '\r' ? "" : " ");
            else sb?.Append(c);
        }
        return sb?.ToString() ?? text;
    }

    /// <summary>
    /// Text fit for display: line breaks (\r\n, \r, U+0085, U+2028, U+2029) become \n, a tab stays
    /// (<paramref name="tabsAsSpaces"/>: becomes a space), other control characters are dropped, lone surrogates become U+FFFD.
    /// </summary>
    public static string Display(string? text, bool tabsAsSpaces = false)
    {
        if (string.IsNullOrEmpty(text)) return "";
        if (text.AsSpan().IndexOfAny(NeedsDisplayWork) < 0) return text;
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\r')
            {
                sb.Append('\n');
                if (i + 1 < text.Length && text[i + 1] == '\n') i++;
            }
            else if (c is '\n' or '\u0085' or '\u2028' or '\u2029') sb.Append('\n');
            else if (c == '\t') sb.Append(tabsAsSpaces ? ' ' : '\t');
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) sb.Append(c).Append(text[++i]);
            else if (char.IsSurrogate(c)) sb.Append('\uFFFD');
            else if (!char.IsControl(c)) sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>
    /// A value as it is, but for lone surrogates (which JSON cannot carry), replaced with U+FFFD;
    /// <paramref name="dropControls"/> also drops control characters other than \n and \t (Slack refuses them in values).
    /// </summary>
    public static string Value(string? text, bool dropControls = false)
    {
        if (string.IsNullOrEmpty(text)) return "";
        StringBuilder? sb = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb?.Append(c).Append(text[i + 1]);
                i++;
                continue;
            }
            var replace = char.IsSurrogate(c);
            var drop = !replace && dropControls && c is not ('\n' or '\t') && char.IsControl(c);
            if (replace || drop)
            {
                sb ??= new StringBuilder(text, 0, i, text.Length);
                if (replace) sb.Append('\uFFFD');
                continue;
            }
            sb?.Append(c);
        }
        return sb?.ToString() ?? text;
    }
}
