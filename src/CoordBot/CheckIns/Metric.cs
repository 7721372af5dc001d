using System.Globalization;
using CoordBot.Chat;
using static System.FormattableString;

namespace CoordBot.CheckIns;

/// <summary>How members' values for one week combine into the week's value (docs/features.md#weekly-check-ins).</summary>
public enum Combine
{
    /// <summary>The most recent answer stands (a count of people right now: "actively homeless").</summary>
    Last,
    /// <summary>Answers add up (flows: people housed this week by each organization).</summary>
    Sum,
}

/// <summary>A metric of an initiative's aim: <c>NAME:UNIT:decrease|increase[:last|sum]</c>.</summary>
public sealed record Metric(string Name, string Unit, Direction Wanted, Combine Combine)
{
    public const int MaxName = 60;

    /// <summary>The spec as typed back (what <c>checkin list</c> shows).</summary>
    public string Spec => $"{Name}:{Unit}:{(Wanted == Direction.Decrease ? "decrease" : "increase")}:{(Combine == Combine.Sum ? "sum" : "last")}";

    /// <summary>Parses one <c>--metric</c> value; the error names the part at fault and shows the form.</summary>
    public static (Metric? Metric, string? Error) Parse(string spec)
    {
        const string Form = "Use NAME:UNIT:decrease|increase[:last|sum], e.g. \"actively homeless:people:decrease\".";
        var parts = spec.Split(':', StringSplitOptions.TrimEntries);
        if (parts.Length is < 3 or > 4) return (null, $"--metric \"{CommandRouter.Shorten(spec)}\" needs 3 or 4 parts separated by colons. {Form}");
        var (name, unit) = (parts[0], parts[1]);
        if (name.Length == 0 || name.Length > MaxName || name.Any(c => char.IsControl(c) || c is '=' or ','))
            return (null, $"The metric name \"{CommandRouter.Shorten(name)}\" must be 1 to {MaxName} characters without '=' or ','. {Form}");
        if (unit.Length == 0 || unit.Length > 30 || unit.Any(char.IsControl))
            return (null, $"The unit of \"{CommandRouter.Shorten(name)}\" must be 1 to 30 characters (e.g. people, households, days). {Form}");
        Direction? wanted = parts[2].ToLowerInvariant() switch { "decrease" => Direction.Decrease, "increase" => Direction.Increase, _ => null };
        if (wanted is null) return (null, $"\"{CommandRouter.Shorten(parts[2])}\" is not a direction for \"{CommandRouter.Shorten(name)}\": say decrease or increase. {Form}");
        Combine? combine = parts.Length == 3 ? Combine.Last : parts[3].ToLowerInvariant() switch { "last" => Combine.Last, "sum" => Combine.Sum, _ => null };
        if (combine is null) return (null, $"\"{CommandRouter.Shorten(parts[3])}\" is not a way to combine answers for \"{CommandRouter.Shorten(name)}\": say last or sum. {Form}");
        return (new Metric(name, unit, wanted.Value, combine.Value), null);
    }

    /// <summary>
    /// The Built for Zero by-name-list metrics (<c>--template bfz</c>): the number actively homeless
    /// (the aim, down), inflow (newly identified or returned, down) and outflow (housed or moved to
    /// inactive, up). They must balance: actively = last week's actively + inflow − outflow.
    /// </summary>
    public static readonly IReadOnlyList<Metric> BuiltForZero =
    [
        new("actively homeless", "people", Direction.Decrease, Combine.Last),
        new("inflow", "people", Direction.Decrease, Combine.Sum),
        new("outflow", "people", Direction.Increase, Combine.Sum),
    ];

    /// <summary>
    /// Built for Zero's list statuses (<c>--template bfz-detailed</c>, docs/built-for-zero.md): why people enter the by-name list
    /// (inflow) and why they leave it (outflow), each a weekly count that adds up to its total.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<Metric>> StatusParts = new Dictionary<string, IReadOnlyList<Metric>>(StringComparer.Ordinal)
    {
        ["inflow"] =
        [
            new("newly identified", "people", Direction.Decrease, Combine.Sum),
            new("returned from housing", "people", Direction.Decrease, Combine.Sum),
            new("returned from inactive", "people", Direction.Decrease, Combine.Sum),
        ],
        ["outflow"] =
        [
            new("moved to housing", "people", Direction.Increase, Combine.Sum),
            new("moved to inactive", "people", Direction.Decrease, Combine.Sum),       // lost contact, moved away, institution: not a success
            new("no longer meets criteria", "people", Direction.Decrease, Combine.Sum),
        ],
    };

    /// <summary><c>--template bfz-detailed</c>: the three Built for Zero metrics and the six list statuses.</summary>
    public static readonly IReadOnlyList<Metric> BuiltForZeroDetailed = [.. BuiltForZero, .. StatusParts["inflow"], .. StatusParts["outflow"]];

    /// <summary>The status metrics of <paramref name="total"/> (inflow or outflow) that the initiative tracks; empty when it tracks none.</summary>
    public static IReadOnlyList<Metric> PartsIn(IReadOnlyList<Metric> metrics, string total) =>
        StatusParts.TryGetValue(total, out var parts) && metrics.Any(m => m.Name == total)
            ? parts.Where(p => metrics.Any(m => m.Name == p.Name)).ToList()
            : [];

    /// <summary>The total (inflow or outflow) a status metric is part of, when the initiative tracks that total.</summary>
    public static string? TotalOf(IReadOnlyList<Metric> metrics, string part) =>
        StatusParts.FirstOrDefault(kv => kv.Value.Any(p => p.Name == part) && metrics.Any(m => m.Name == kv.Key)).Key;

    /// <summary>
    /// A member's inflow and outflow from their parts: a total not entered becomes the sum of the parts entered. Returns,
    /// per total, the parts still missing (when some were entered, or only the total) and whether entered parts disagree
    /// with an entered total; nothing is dropped or overwritten.
    /// </summary>
    public static IReadOnlyList<string> CompleteTotals(IReadOnlyList<Metric> metrics, Dictionary<string, double> values)
    {
        var notes = new List<string>();
        foreach (var total in StatusParts.Keys)
        {
            var parts = PartsIn(metrics, total);
            if (parts.Count == 0) continue;
            var entered = parts.Where(p => values.ContainsKey(p.Name)).ToList();
            var missing = parts.Where(p => !values.ContainsKey(p.Name)).Select(p => p.Name).ToList();
            var sum = entered.Sum(p => values[p.Name]);
            if (!values.TryGetValue(total, out var typed))
            {
                if (entered.Count == 0) continue;
                values[total] = sum;
                if (missing.Count > 0) notes.Add($"{total} {CheckInSummary.Number(sum)} from the parts given; not given: {string.Join(", ", missing)}.");
                continue;
            }
            if (entered.Count == 0) notes.Add($"{total} {CheckInSummary.Number(typed)} kept; its parts are missing: {string.Join(", ", missing)}.");
            else if (Math.Abs(sum - typed) >= 1e-9 && missing.Count == 0)
                notes.Add($"{total} {CheckInSummary.Number(typed)}, but its parts add up to {CheckInSummary.Number(sum)}: both kept as given; please check them.");
            else if (missing.Count > 0) notes.Add($"{total} {CheckInSummary.Number(typed)} kept; not given: {string.Join(", ", missing)}.");
        }
        return notes;
    }

    /// <summary>Combines the members' answers for one week (null when nobody answered).</summary>
    public double? WeekValue(IEnumerable<double> answersInOrder)
    {
        var answers = answersInOrder.ToList();
        if (answers.Count == 0) return null;
        return Combine == Combine.Sum ? answers.Sum() : answers[^1];
    }

}

/// <summary>ISO 8601 weeks (<c>2026-W07</c>): the unit check-ins are counted in.</summary>
public static class IsoWeeks
{
    public static string Of(DateOnly date) =>
        Invariant($"{ISOWeek.GetYear(date.ToDateTime(TimeOnly.MinValue)).ToString(CultureInfo.InvariantCulture)}-W{ISOWeek.GetWeekOfYear(date.ToDateTime(TimeOnly.MinValue)):D2}");

    /// <summary>Monday of the week.</summary>
    public static DateOnly Monday(string week) => Parse(week) ?? throw new FormatException($"not an ISO week: {week}");

    /// <summary>Reads <c>2026-W07</c> (or <c>2026W07</c>) or a date in that week; null when it is neither.</summary>
    public static DateOnly? Parse(string text)
    {
        text = text.Trim();
        var w = text.IndexOf('W', StringComparison.OrdinalIgnoreCase);
        if (w >= 4 && int.TryParse(text[..4], NumberStyles.None, CultureInfo.InvariantCulture, out var year) &&
            int.TryParse(text[(w + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var number) &&
            (w == 4 || (w == 5 && text[4] == '-')) && year is >= 1900 and <= 2999 && number >= 1 && number <= ISOWeek.GetWeeksInYear(year))
            return DateOnly.FromDateTime(ISOWeek.ToDateTime(year, number, DayOfWeek.Monday));
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            return date.AddDays(-(((int)date.DayOfWeek + 6) % 7));
        return null;
    }
}

/// <summary>When a metric reaches its target at the current pace: a least-squares line over recent weeks.</summary>
public static class Projection
{
    /// <summary>
    /// Fits value = a + b·week over the points (week index, value) by least squares and returns the
    /// (fractional) week index at which the line reaches <paramref name="target"/>; an index at or
    /// before the last point means the line has already reached it. Null with
    /// <c>AwayFromTarget</c> true when the line runs away from the target; null with false when there
    /// are fewer than 3 points or the line is flat.
    /// </summary>
    public static (double? WeekIndex, bool AwayFromTarget) WhenReached(IReadOnlyList<(int Week, double Value)> points, double target)
    {
        if (points.Count < 3) return (null, false);
        var meanX = points.Average(p => (double)p.Week);
        var meanY = points.Average(p => p.Value);
        var sxx = points.Sum(p => (p.Week - meanX) * (p.Week - meanX));
        if (sxx == 0) return (null, false);
        var slope = points.Sum(p => (p.Week - meanX) * (p.Value - meanY)) / sxx;
        if (Math.Abs(slope) < 1e-12) return (null, false);
        var intercept = meanY - slope * meanX;
        var start = intercept + slope * points.Min(p => p.Week);
        // Heading towards the target means moving from where the line starts in the target's direction.
        if (target != start && Math.Sign(target - start) != Math.Sign(slope)) return (null, true);
        return ((target - intercept) / slope, false);
    }
}
