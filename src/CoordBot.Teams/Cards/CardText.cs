using CoordBot.Chat;
using System.Buffers;
using System.Text;
using static CoordBot.Chat.Rendering.TextCut;

namespace CoordBot.Teams.Cards;

/// <summary>
/// Text preparation for Adaptive Cards: cleaning, markdown escaping (<see cref="Escape"/>), the
/// lighter treatment of plain-text properties (<see cref="Inert"/>), and splitting long text.
/// </summary>
internal static class CardText
{
    public const string Ellipsis = "…";

    /// <summary>U+2060: invisible, and no line break between the characters either side of it.</summary>
    private const char WordJoiner = '\u2060';

    private const char NoBreakSpace = '\u00A0';

    /// <summary>User text made fit for display (<see cref="UserText.Display"/>), a tab becoming a space.</summary>
    public static string Clean(string? text) => UserText.Display(text, tabsAsSpaces: true);

    /// <summary><see cref="Clean"/> on one line, trimmed.</summary>
    public static string Line(string? text) => Clean(text).Replace('\n', ' ').Trim();

    /// <summary>A value as it is (input values, choice values, action data): see <see cref="UserText.Value"/>.</summary>
    public static string Value(string? text) => UserText.Value(text);

    /// <summary>
    /// User text made inert in Adaptive Card markdown (TextBlock.text, Fact.title, Fact.value).
    /// <para>
    /// Teams renders those with two kinds of parser. The desktop and web clients use a CommonMark
    /// parser (markdown-it in the JavaScript renderer), where a backslash before any ASCII
    /// punctuation makes it a literal character. The shared C++ object model used by the native
    /// renderers has its own small parser (AdaptiveCards <c>MarkDownBlockParser.cpp</c>): it honours a
    /// backslash only before <c>*</c> and <c>_</c>, starts a link at any <c>[</c> (escaped or not) when
    /// <c>]</c> is followed directly by <c>(</c>, and starts a list or block at the start of a line and
    /// right after <c>[</c>, <c>]</c> or <c>)</c>. So the escaping works for both:
    /// </para>
    /// <list type="bullet">
    /// <item>Always backslash-escaped: <c>\ * _ ~ ` [ ] &lt; &gt; |</c> (emphasis, strikethrough, code,
    /// links and images, reference links, HTML, autolinks, <c>&lt;at&gt;</c> mentions, tables,
    /// blockquotes); <c>(</c> right after <c>]</c>, which also puts a character between <c>]</c> and
    /// <c>(</c> for the C++ parser; <c>&amp;</c> when it starts an entity (<c>&amp;lt;</c>).</item>
    /// <item>At a block start (start of the text or a line, or right after <c>[</c>, <c>]</c>, <c>)</c>):
    /// <c>#</c> (heading), <c>-</c> and <c>+</c> (list, rule, setext heading), <c>=</c> (setext
    /// heading), and the <c>.</c> or <c>)</c> after leading digits (numbered list).</item>
    /// <item>Leading spaces become no-break spaces, so an indented line keeps its indent without
    /// turning into a code block (and a marker after them is still escaped).</item>
    /// <item>Bare URLs: an invisible U+2060 word joiner goes into <c>://</c> and <c>www.</c>, so no
    /// client links a typed address (a scheme-less domain may still be linked by some clients, but
    /// then its text is exactly its target), and into <c>{{</c>, which would start a DATE/TIME function.</item>
    /// </list>
    /// <para>
    /// Mentions in a card only exist through <c>msteams.entities</c>, which CoordBot never emits for
    /// user text; <c>&lt;</c> and <c>&gt;</c> are escaped anyway. Text is <see cref="Clean"/>ed first.
    /// A single \n is a soft break in card markdown; the renderer puts each line in its own TextBlock.
    /// </para>
    /// </summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var clean = Clean(text);
        var sb = new StringBuilder(clean.Length + clean.Length / 8 + 4);
        var lineStart = true;    // only spaces so far on this line
        var blockStart = true;   // the next character starts a block for one of the parsers
        for (var i = 0; i < clean.Length; i++)
        {
            var c = clean[i];
            if (c == '\n')
            {
                sb.Append('\n');
                lineStart = blockStart = true;
                continue;
            }
            if (lineStart && c is ' ' or NoBreakSpace)
            {
                sb.Append(NoBreakSpace);
                continue;
            }
            var atBlockStart = blockStart;
            lineStart = blockStart = false;
            if (atBlockStart)
            {
                if (c is '#' or '-' or '+' or '=')
                {
                    sb.Append('\\').Append(c);
                    continue;
                }
                if (char.IsAsciiDigit(c))
                {
                    var end = i;
                    while (end < clean.Length && char.IsAsciiDigit(clean[end])) end++;
                    sb.Append(clean, i, end - i);
                    if (end < clean.Length && clean[end] is '.' or ')')
                    {
                        sb.Append('\\').Append(clean[end]);
                        blockStart = clean[end] == ')';
                        end++;
                    }
                    i = end - 1;
                    continue;
                }
            }
            switch (c)
            {
                case '\\' or '*' or '_' or '~' or '`' or '<' or '>' or '|':
                    sb.Append('\\').Append(c);
                    break;
                case '[' or ']':
                    sb.Append('\\').Append(c);
                    blockStart = true;
                    break;
                case ')':
                    sb.Append(c);
                    blockStart = true;
                    break;
                case '(' when i > 0 && clean[i - 1] == ']':
                    sb.Append("\\(");
                    break;
                case '&' when StartsEntity(clean, i):
                    sb.Append("\\&");
                    break;
                case ':' when At(clean, i + 1, "//"):
                    sb.Append(':').Append(WordJoiner);
                    break;
                case '{' when At(clean, i + 1, "{"):
                    sb.Append('{').Append(WordJoiner);
                    break;
                case 'w' or 'W' when At(clean, i, "www.", ignoreCase: true) && (i == 0 || !char.IsLetterOrDigit(clean[i - 1])):
                    sb.Append(clean, i, 3).Append(WordJoiner);
                    i += 2;
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>
    /// User text for a plain-text property (input label, placeholder, error message, choice and
    /// button titles), one line. Nothing is backslash-escaped, since these are shown as typed; in
    /// case a client runs them through markdown anyway, an invisible word joiner breaks what could
    /// link or mention: <c>](</c>, <c>://</c>, and <c>&lt;</c> before a letter, <c>/</c>, <c>!</c> or <c>?</c>.
    /// </summary>
    public static string Inert(string? text)
    {
        var line = Line(text);
        if (line.AsSpan().IndexOfAny("<:(") < 0) return line;
        var sb = new StringBuilder(line.Length + 8);
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            sb.Append(c);
            if ((c == '<' && i + 1 < line.Length && (char.IsAsciiLetter(line[i + 1]) || line[i + 1] is '/' or '!' or '?'))
                || (c == ':' && At(line, i + 1, "//"))
                || (c == ']' && i + 1 < line.Length && line[i + 1] == '('))
                sb.Append(WordJoiner);
        }
        return sb.ToString();
    }

    /// <summary>
    /// Splits one line into non-blank pieces of at most <paramref name="max"/> characters, at the
    /// last space in the second half of the piece when there is one (the space is dropped), else
    /// anywhere but inside a surrogate pair.
    /// </summary>
    public static List<string> Chunks(string line, int max)
    {
        var chunks = new List<string>();
        var start = 0;
        while (line.Length - start > max)
        {
            var space = line.LastIndexOf(' ', start + max, max + 1);
            int cut, next;
            if (space - start >= max / 2)
            {
                cut = space;
                next = space + 1;
            }
            else
            {
                cut = next = start + (char.IsHighSurrogate(line[start + max - 1]) ? max - 1 : max);
            }
            if (!line.AsSpan(start, cut - start).IsWhiteSpace()) chunks.Add(line[start..cut]);
            start = next;
        }
        if (!line.AsSpan(start).IsWhiteSpace()) chunks.Add(line[start..]);
        return chunks;
    }

    private static bool At(string text, int index, string what, bool ignoreCase = false) =>
        index >= 0 && index + what.Length <= text.Length
        && text.AsSpan(index, what.Length).Equals(what, ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    /// <summary>True when the &amp; at <paramref name="i"/> starts a character reference (<c>&amp;amp;</c>, <c>&amp;#60;</c>, <c>&amp;#x3C;</c>).</summary>
    private static bool StartsEntity(string text, int i)
    {
        var j = i + 1;
        if (j < text.Length && text[j] == '#')
        {
            j++;
            if (j < text.Length && text[j] is 'x' or 'X') j++;
        }
        else if (j >= text.Length || !char.IsAsciiLetter(text[j])) return false;
        var start = j;
        while (j < text.Length && j - start < 32 && char.IsAsciiLetterOrDigit(text[j])) j++;
        return j > start && j < text.Length && text[j] == ';';
    }
}
