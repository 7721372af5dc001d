using System.Globalization;
using System.Text.RegularExpressions;

namespace CoordBot.Chat;

/// <summary>Reads the dates users type: ISO dates and a few relative words.</summary>
public static partial class DateWords
{
    /// <summary>The calendar date at <paramref name="instant"/> in <paramref name="zone"/> ("today" for a workspace or initiative).</summary>
    public static DateOnly LocalDate(DateTimeOffset instant, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);

    /// <summary>"today", "tomorrow", "in 12 days", "yesterday", "3 days ago".</summary>
    public static string Relative(DateOnly date, DateOnly today) => (date.DayNumber - today.DayNumber) switch
    {
        0 => "today",
        1 => "tomorrow",
        > 1 and var n => $"in {n} days",
        -1 => "yesterday",
        var n => $"{-n} days ago",
    };

    public const string Accepted = "an ISO date like 2027-11-02, today, tomorrow, yesterday, \"in 3 days\", \"in 2 weeks\", \"5 days ago\"";

    [GeneratedRegex(@"^in\s+(\d{1,4})\s+(day|days|week|weeks)$", RegexOptions.IgnoreCase)]
    private static partial Regex InRegex();

    [GeneratedRegex(@"^(\d{1,4})\s+(day|days|week|weeks)\s+ago$", RegexOptions.IgnoreCase)]
    private static partial Regex AgoRegex();

    public static bool TryParse(string text, DateOnly today, out DateOnly date)
    {
        var t = string.Join(' ', text.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        date = default;
        switch (t.ToLowerInvariant())
        {
            case "today": date = today; return true;
            case "tomorrow": date = today.AddDays(1); return true;
            case "yesterday": date = today.AddDays(-1); return true;
        }
        if (DateOnly.TryParseExact(t, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date)) return true;
        var m = InRegex().Match(t);
        var sign = 1;
        if (!m.Success) { m = AgoRegex().Match(t); sign = -1; }
        if (!m.Success) return false;
        var n = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * (m.Groups[2].Value.StartsWith("week", StringComparison.OrdinalIgnoreCase) ? 7 : 1);
        try { date = today.AddDays(sign * n); return true; }
        catch (ArgumentOutOfRangeException) { return false; }
    }

    /// <summary>
    /// How many tokens starting at <paramref name="start"/> make up a relative date typed without
    /// quotes ("in 3 days" is three tokens, "5 days ago" three, anything else one).
    /// </summary>
    public static int TokenCount(IReadOnlyList<Token> tokens, int start)
    {
        string At(int i) => i < tokens.Count && !tokens[i].Quoted ? tokens[i].Text : "";
        if (At(start).Equals("in", StringComparison.OrdinalIgnoreCase) && int.TryParse(At(start + 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out _) && IsUnit(At(start + 2))) return 3;
        if (int.TryParse(At(start), NumberStyles.Integer, CultureInfo.InvariantCulture, out _) && IsUnit(At(start + 1)) && At(start + 2).Equals("ago", StringComparison.OrdinalIgnoreCase)) return 3;
        return 1;
    }

    private static bool IsUnit(string s) => s.ToLowerInvariant() is "day" or "days" or "week" or "weeks";
}
