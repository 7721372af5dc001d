using System.Globalization;

namespace CoordBot.Allies;

/// <summary>
/// How often each ally should hear from the coalition (docs/features.md, "Contact cadence"): by level unless the ally has
/// its own interval. Defaults: elected 30 days, appointed 45, executive 60, every other level 90. A workspace admin can
/// change any level's (<c>coord settings --cadence elected=21,career=off</c>); 0 means "no cadence".
/// </summary>
public static class Cadence
{
    /// <summary>The default interval of the levels that differ from <see cref="OtherDays"/>.</summary>
    public static readonly IReadOnlyDictionary<string, int> Defaults = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["elected"] = 30, ["appointed"] = 45, ["executive"] = 60,
    };

    /// <summary>Every other level's default, and that of an ally with no level.</summary>
    public const int OtherDays = 90;

    /// <summary>The longest interval anyone may set: ten years.</summary>
    public const int MaxDays = 3650;

    /// <summary>How far ahead <c>ally due</c> and the weekly nudge look: allies due within this many days are listed.</summary>
    public const int DueWithinDays = 7;

    /// <summary>How long "Snooze" holds an ally's due day back, unless <c>ally snooze --days N</c> says otherwise.</summary>
    public const int SnoozeDays = 14;

    /// <summary>The level an ally without one is counted under.</summary>
    public const string NoLevel = "other";

    /// <summary>The default interval of a level (null level: <see cref="NoLevel"/>).</summary>
    public static int DefaultFor(string? level) => Defaults.TryGetValue(level ?? NoLevel, out var days) ? days : OtherDays;

    /// <summary>The interval of a level in a workspace with these settings.</summary>
    public static int For(IReadOnlyDictionary<string, int> settings, string? level) =>
        settings.TryGetValue(level ?? NoLevel, out var days) ? days : DefaultFor(level);

    /// <summary>"30 days", "off".</summary>
    public static string Describe(int days) => days <= 0 ? "off" : days == 1 ? "1 day" : days.ToString(CultureInfo.InvariantCulture) + " days";

    /// <summary>An interval as typed: a whole number of days from 1 to <see cref="MaxDays"/>, or "off" (0). Null with the problem otherwise.</summary>
    public static (int? Days, string? Error) ParseDays(string text)
    {
        var t = text.Trim();
        if (t.Equals("off", StringComparison.OrdinalIgnoreCase) || t == "0") return (0, null);
        if (t.EndsWith('d')) t = t[..^1];
        return int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var days) && days is >= 1 and <= MaxDays
            ? (days, null)
            : (null, $"\"{Short(text)}\" is not an interval: give a number of days from 1 to {MaxDays}, or off.");
    }

    /// <summary>
    /// <c>elected=30,appointed=45,career=off</c>: each part a level and an interval. Null with the problem (naming the part
    /// at fault) otherwise; nothing is applied then.
    /// </summary>
    public static (IReadOnlyDictionary<string, int>? Values, string? Error) Parse(string text)
    {
        var values = new Dictionary<string, int>(StringComparer.Ordinal);
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) return (null, "Give each level and its interval in days: --cadence elected=30,appointed=45,career=off");
        if (parts.Length > AllyVocabulary.Levels.Count) return (null, $"At most {AllyVocabulary.Levels.Count} levels, one each.");
        foreach (var part in parts)
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) return (null, $"\"{Short(part)}\" is not level=days, e.g. elected=30.");
            var level = part[..eq].Trim().ToLowerInvariant();
            if (!AllyVocabulary.Levels.Contains(level))
                return (null, $"\"{Short(part[..eq].Trim())}\" is not a level; levels: {string.Join(", ", AllyVocabulary.Levels)}.");
            var (days, error) = ParseDays(part[(eq + 1)..]);
            if (days is null) return (null, $"{level}: {error}");
            if (!values.TryAdd(level, days.Value)) return (null, $"{level} is given twice.");
        }
        return (values, null);
    }

    private static string Short(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
