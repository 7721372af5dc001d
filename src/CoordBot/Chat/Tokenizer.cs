using System.Text;

namespace CoordBot.Chat;

/// <summary>A word of a command line. Quoted words are never flags, whatever they contain.</summary>
public readonly record struct Token(string Text, bool Quoted)
{
    public bool IsFlag => !Quoted && Text.Length > 2 && Text.StartsWith("--", StringComparison.Ordinal);
}

/// <summary>
/// Splits a command line into words: whitespace separates, "straight" and “typographic” double
/// quotes group (either closing quote ends either opening one, since phones mix them), and quoted
/// parts join the word they touch, as in a shell.
/// </summary>
public static class Tokenizer
{
    private static bool IsOpenQuote(char c) => c is '"' or '“' or '”' or '„';
    private static bool IsCloseQuote(char c) => c is '"' or '“' or '”';

    /// <summary>Tokenizes <paramref name="line"/>; fails only on an unclosed quote.</summary>
    public static bool TryTokenize(string line, out List<Token> tokens, out string? error)
    {
        tokens = [];
        error = null;
        var text = UserText.Stored(line);
        var i = 0;
        var word = new StringBuilder();
        while (i < text.Length)
        {
            if (char.IsWhiteSpace(text[i])) { i++; continue; }
            // A word runs to the next whitespace outside quotes; quoted parts join it (--org="City of X").
            var quoted = IsOpenQuote(text[i]);
            word.Clear();
            while (i < text.Length && !char.IsWhiteSpace(text[i]))
            {
                if (!IsOpenQuote(text[i])) { word.Append(text[i++]); continue; }
                var close = i + 1;
                while (close < text.Length && !IsCloseQuote(text[close])) close++;
                if (close >= text.Length)
                {
                    var preview = text[i..Math.Min(text.Length, i + 20)];
                    error = $"The quote opened at {preview}… is never closed. Put a closing \" after the last word.";
                    return false;
                }
                word.Append(text, i + 1, close - i - 1);
                i = close + 1;
            }
            tokens.Add(new Token(word.ToString(), quoted));
        }
        return true;
    }

    /// <summary>Quotes a value for showing it inside an example command.</summary>
    public static string Quote(string value) =>
        value.Length > 0 && !value.Any(c => char.IsWhiteSpace(c) || IsOpenQuote(c)) && !value.StartsWith("--", StringComparison.Ordinal)
            ? value
            : value.Contains('"') ? $"“{value}”" : $"\"{value}\"";
}
