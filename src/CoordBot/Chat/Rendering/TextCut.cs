namespace CoordBot.Chat.Rendering;

/// <summary>Shortening text to a platform's limits, shared by the renderers.</summary>
public static class TextCut
{
    public const string Ellipsis = "…";

    public static string OrDash(string text) => string.IsNullOrWhiteSpace(text) ? "—" : text;

    /// <summary>Cuts to at most <paramref name="max"/> characters, ending with "…", never inside a surrogate pair.</summary>
    public static string Truncate(string text, int max)
    {
        if (text.Length <= max) return text;
        var cut = max - Ellipsis.Length;
        if (cut > 0 && char.IsHighSurrogate(text[cut - 1])) cut--;
        return text[..cut].TrimEnd() + Ellipsis;
    }

    /// <summary>Cuts without an ellipsis (for values, where "…" would change the meaning).</summary>
    public static string Cut(string text, int max)
    {
        if (text.Length <= max) return text;
        var cut = max;
        if (char.IsHighSurrogate(text[cut - 1])) cut--;
        return text[..cut];
    }
}
