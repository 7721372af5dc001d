using System.Globalization;

namespace CoordBot.CheckIns;

/// <summary>One calendar month of an initiative's weekly numbers, as Built for Zero reports them.</summary>
/// <param name="Month">The first day of the month.</param>
/// <param name="Weeks">The ISO weeks counted in it (by their Thursday).</param>
/// <param name="Values">Per metric: actively homeless at the month's last week with a value; every other metric summed over its weeks (null: no value at all).</param>
/// <param name="Balance">"balanced", "off by +3", or null when it cannot be checked (no previous month, or a number missing).</param>
/// <param name="Zero">The functional-zero status at the month's last week, or null without a goal.</param>
public sealed record MonthRow(DateOnly Month, IReadOnlyList<string> Weeks, IReadOnlyDictionary<string, double?> Values, string? Balance, ZeroStatus? Zero)
{
    public string Label => Month.ToString("yyyy-MM", CultureInfo.InvariantCulture);
}

/// <summary>
/// Weekly numbers rolled up into calendar months (docs/built-for-zero.md#monthly-roll-up). A week belongs to the month of
/// its Thursday, where 4 or more of its days fall, as ISO 8601 gives weeks to years; so a week split between two months is
/// counted once, in the month that holds most of it. "Actively homeless" is a count at a moment: the month's is the
/// value of its last week that has one. Flows (inflow, outflow, the list statuses, anything summed) add up over the weeks.
/// </summary>
public static class MonthlyRollup
{
    public const int DefaultMonths = 12;
    public const int MaxMonths = 36;

    public static IReadOnlyList<MonthRow> Of(Initiative initiative, IReadOnlyList<string> weeks, IReadOnlyDictionary<string, List<CheckIn>> byWeek,
        IReadOnlySet<string> skipped, int months)
    {
        var series = initiative.Metrics.ToDictionary(m => m.Name,
            m => weeks.Select(w => skipped.Contains(w) ? null : CheckInSummary.WeekValue(m, byWeek, w)).ToList(), StringComparer.Ordinal);
        List<double?> Series(string name) => series.TryGetValue(name, out var values) ? values : weeks.Select(_ => (double?)null).ToList();

        var groups = Enumerable.Range(0, weeks.Count).GroupBy(i => FunctionalZero.MonthOf(weeks[i])).ToList();
        var rows = new List<MonthRow>();
        double? previousActively = null;
        foreach (var group in groups)
        {
            var indexes = group.ToList();
            var values = new Dictionary<string, double?>(StringComparer.Ordinal);
            foreach (var metric in initiative.Metrics)
            {
                var present = indexes.Where(i => series[metric.Name][i] is not null).ToList();
                values[metric.Name] = present.Count == 0 ? null
                    : metric.Combine == Combine.Last ? series[metric.Name][present[^1]] : present.Sum(i => series[metric.Name][i]!.Value);
            }
            string? balance = null;
            if (previousActively is { } before && values.GetValueOrDefault("actively homeless") is { } after &&
                values.GetValueOrDefault("inflow") is { } inflow && values.GetValueOrDefault("outflow") is { } outflow)
            {
                var off = after - (before + inflow - outflow);
                balance = Math.Abs(off) < 1e-9 ? "balanced" : $"off by {CheckInSummary.Signed(off)}";
            }
            var last = indexes[^1];
            var zero = FunctionalZero.Evaluate(initiative.Goal, weeks.Take(last + 1).ToList(),
                Series("actively homeless").Take(last + 1).ToList(), Series("moved to housing").Take(last + 1).ToList());
            rows.Add(new MonthRow(new DateOnly(group.Key.Year, group.Key.Month, 1), indexes.Select(i => weeks[i]).ToList(), values, balance, zero));
            previousActively = values.GetValueOrDefault("actively homeless") ?? previousActively;
        }
        // The first month may be cut short by the window: it only gives the next month its starting point.
        return rows.Skip(Math.Max(0, rows.Count - months)).ToList();
    }

    /// <summary>How many weeks to load for <paramref name="months"/> months: the months, one before them, and three more for the veterans benchmark.</summary>
    public static int WeeksFor(int months) => (months + 1 + FunctionalZero.PlacementMonths) * 5 + 1;

    /// <summary>The columns of the roll-up's table and CSV: month, weeks, each metric, housing placements where tracked, balance, functional zero.</summary>
    public static IReadOnlyList<string> Columns(Initiative initiative) =>
        ["month", "weeks", .. initiative.Metrics.Select(m => m.Name), "balance", .. initiative.Goal is null ? Array.Empty<string>() : ["functional zero"]];

    public static IReadOnlyList<string> Cells(Initiative initiative, MonthRow row) =>
    [
        row.Label,
        row.Weeks.Count == 1 ? row.Weeks[0] : $"{row.Weeks[0]}–{row.Weeks[^1]}",
        .. initiative.Metrics.Select(m => row.Values[m.Name] is { } v ? CheckInSummary.Number(v) : ""),
        row.Balance ?? "",
        .. initiative.Goal is null ? Array.Empty<string>() : [row.Zero is { Reached: true } ? "reached" : row.Zero is null ? "" : "not yet"],
    ];
}
