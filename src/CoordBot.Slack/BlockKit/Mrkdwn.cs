using System.Buffers;

namespace CoordBot.Slack.BlockKit;

/// <summary>
/// Slack's mrkdwn text format. Only <c>&amp;</c>, <c>&lt;</c> and <c>&gt;</c> are control characters;
/// escaping them neutralises mentions (<c>&lt;!channel&gt;</c>, <c>&lt;@U123&gt;</c>) and links, but
/// not the styling characters, for which Slack has no escape: text that has them goes out as
/// plain_text instead (see <see cref="IsUnstyled"/>).
/// </summary>
public static class Mrkdwn
{
    /// <summary>Characters that style mrkdwn text (bold, italic, strike, code, and a line-start <c>&gt;</c> quote).</summary>
    private static readonly SearchValues<char> Styling = SearchValues.Create("*_~`>");

    /// <summary>Escapes the three characters Slack asks apps to escape, and nothing else.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace("&", "&amp;", StringComparison.Ordinal)
                   .Replace("<", "&lt;", StringComparison.Ordinal)
                   .Replace(">", "&gt;", StringComparison.Ordinal);
    }

    /// <summary>
    /// True when <paramref name="text"/> can go into a mrkdwn object (after <see cref="Escape"/>) without
    /// styling anything. <c>&gt;</c> counts: Slack stores quotes as an escaped <c>&amp;gt;</c> at a line start.
    /// </summary>
    internal static bool IsUnstyled(string text) => text.AsSpan().IndexOfAny(Styling) < 0;
}
