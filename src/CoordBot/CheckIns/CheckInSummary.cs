using System.Globalization;
using static System.FormattableString;

namespace CoordBot.CheckIns;

/// <summary>One metric over a run of consecutive weeks: its weekly values and what they say.</summary>
/// <param name="Weeks">The ISO weeks, oldest first; the last is the week being reported.</param>
/// <param name="Values">The metric's value each week (null: no answer, or a skipped week).</param>
/// <param name="Chart">Run-chart analysis of <paramref name="Values"/>.</param>
/// <param name="Parts">For a <c>sum</c> metric, each member's part of the last week's value.</param>
public sealed record MetricSummary(
    Metric Metric, bool IsAim, IReadOnlyList<string> Weeks, IReadOnlyList<double?> Values, RunChartResult Chart,
    double? ProgressPercent, string? Projection, IReadOnlyList<(string Member, double Value)> Parts)
{
    public double? Current => Values.Count > 0 ? Values[^1] : null;
    public double? Previous => Values.Count > 1 ? Values[^2] : null;
    public double? Change => Current is { } c && Previous is { } p ? c - p : null;

    /// <summary>"116 people (−4 from last week)".</summary>
    public string ValueText => Current is not { } current ? "no value this week"
        : $"{CheckInSummary.Number(current)} {Metric.Unit}" + (Change is { } change
            ? change == 0 ? " (same as last week)" : $" ({CheckInSummary.Signed(change)} from last week)"
            : Previous is null ? " (no value last week)" : "");
}

/// <summary>The balance check of the Built for Zero metrics: actively = last week's actively + inflow − outflow.</summary>
public sealed record BalanceCheck(bool Possible, bool Balanced, string Text);

/// <summary>A week whose actively homeless is not last week's plus its inflow minus its outflow.</summary>
public sealed record WeekImbalance(string Week, double Reported, double Previous, double Inflow, double Outflow)
{
    public double Expected => Previous + Inflow - Outflow;
    public double Off => Reported - Expected;

    /// <summary>"2026-W42: 120 reported, 105 expected (102 + 7 − 4), off by +15".</summary>
    public string Text => $"{Week}: {CheckInSummary.Number(Reported)} reported, {CheckInSummary.Number(Expected)} expected " +
        $"({CheckInSummary.Number(Previous)} + {CheckInSummary.Number(Inflow)} − {CheckInSummary.Number(Outflow)}), off by {CheckInSummary.Signed(Off)}";
}

/// <summary>
/// Pure computations shared by the digest, the report and the chart: weekly values from check-ins,
/// run-chart analysis, progress to target, projection and the Built for Zero balance check.
/// </summary>
public static class CheckInSummary
{
    /// <summary>How many weeks the run chart of a digest covers (as <c>checkin report</c> by default).</summary>
    public const int ChartWeeks = 26;

    /// <summary>Weeks in the sparkline.</summary>
    public const int SparklineWeeks = 12;

    /// <summary>Weeks the projection's least-squares line is fitted over.</summary>
    public const int ProjectionWeeks = 12;

    /// <summary>The <paramref name="count"/> consecutive ISO weeks ending with <paramref name="last"/>, oldest first.</summary>
    public static IReadOnlyList<string> WeeksEndingWith(string last, int count)
    {
        var monday = IsoWeeks.Monday(last);
        return Enumerable.Range(0, count).Select(i => IsoWeeks.Of(monday.AddDays(-7 * (count - 1 - i)))).ToList();
    }

    /// <summary>Check-ins grouped by week, each week's in submission order.</summary>
    public static IReadOnlyDictionary<string, List<CheckIn>> ByWeek(IEnumerable<CheckIn> checkIns) =>
        checkIns.OrderBy(c => c.SubmittedAt).GroupBy(c => c.Week).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

    /// <summary>The metric's value in a week: the last answer or the sum of the answers, per the metric.</summary>
    public static double? WeekValue(Metric metric, IReadOnlyDictionary<string, List<CheckIn>> byWeek, string week) =>
        byWeek.TryGetValue(week, out var list)
            ? metric.WeekValue(list.Where(c => c.Values.ContainsKey(metric.Name)).Select(c => c.Values[metric.Name]))
            : null;

    public static MetricSummary Summarize(Initiative initiative, int metricIndex, IReadOnlyList<string> weeks,
        IReadOnlyDictionary<string, List<CheckIn>> byWeek, IReadOnlySet<string> skipped)
    {
        var metric = initiative.Metrics[metricIndex];
        var values = weeks.Select(w => skipped.Contains(w) ? null : WeekValue(metric, byWeek, w)).ToList();
        var chart = RunChart.Analyze(values, metric.Wanted, initiative.Rules);
        var isAim = metricIndex == 0;

        double? progress = null;
        string? projection = null;
        if (isAim && initiative.Target is { } target)
        {
            var current = values[^1];
            if (initiative.Baseline is { } baseline && baseline != target && current is { } value)
                progress = (baseline - value) / (baseline - target) * 100;
            projection = Project(weeks, values, target, initiative.TargetDate);
        }

        var parts = metric.Combine == Combine.Sum && byWeek.TryGetValue(weeks[^1], out var last) && !skipped.Contains(weeks[^1])
            ? last.Where(c => c.Values.ContainsKey(metric.Name)).Select(c => (c.Member, c.Values[metric.Name])).ToList()
            : [];
        return new MetricSummary(metric, isAim, weeks, values, chart, progress, projection, parts);
    }

    /// <summary>When the least-squares line over the last <see cref="ProjectionWeeks"/> weeks reaches the target, in words.</summary>
    public static string Project(IReadOnlyList<string> weeks, IReadOnlyList<double?> values, double target, DateOnly? by)
    {
        var start = Math.Max(0, weeks.Count - ProjectionWeeks);
        var points = new List<(int Week, double Value)>();
        for (var i = start; i < weeks.Count; i++)
            if (values[i] is { } v) points.Add((i, v));
        if (points.Count > 0 && points[^1].Value == target) return "at the target this week";
        var (index, away) = Projection.WhenReached(points, target);
        if (away) return $"the trend over the last {ProjectionWeeks} weeks points away from the target of {Number(target)}";
        if (index is not { } at) return $"not enough of a trend yet to project (needs at least 3 weeks with values out of the last {ProjectionWeeks})";
        var lastIndex = weeks.Count - 1;
        if (at <= lastIndex) return $"the trend line of the last {ProjectionWeeks} weeks has reached the target of {Number(target)}";
        var weeksAhead = at - lastIndex;
        if (weeksAhead > 52 * 50) return $"at the current pace, the target of {Number(target)} is more than 50 years away";
        var day = IsoWeeks.Monday(weeks[^1]).AddDays((int)Math.Ceiling(weeksAhead * 7));
        var when = Invariant($"at the current pace, {Number(target)} around {IsoWeeks.Of(day)} (week of {IsoWeeks.Monday(IsoWeeks.Of(day)):yyyy-MM-dd})");
        if (by is { } date) when += day <= date ? Invariant($", before the target date {date:yyyy-MM-dd}") : Invariant($", after the target date {date:yyyy-MM-dd}");
        return when;
    }

    /// <summary>
    /// The Built for Zero balance for the last of <paramref name="weeks"/>, when the initiative has the three
    /// <c>bfz</c> metrics; null otherwise.
    /// </summary>
    public static BalanceCheck? Balance(Initiative initiative, IReadOnlyList<MetricSummary> summaries)
    {
        if (BuiltForZero(summaries) is not var (actively, inflow, outflow)) return null;
        var missing = new List<string>();
        if (actively.Previous is null) missing.Add("last week's actively homeless");
        if (actively.Current is null) missing.Add("this week's actively homeless");
        if (inflow.Current is null) missing.Add("inflow");
        if (outflow.Current is null) missing.Add("outflow");
        if (missing.Count > 0) return new BalanceCheck(false, false, $"Balance check not possible this week: no {string.Join(", ", missing)}.");
        var expected = actively.Previous!.Value + inflow.Current!.Value - outflow.Current!.Value;
        var sum = $"{Number(actively.Previous.Value)} + inflow {Number(inflow.Current.Value)} − outflow {Number(outflow.Current.Value)} = {Number(expected)}";
        return Math.Abs(expected - actively.Current!.Value) < 1e-9
            ? new BalanceCheck(true, true, $"Balance check: last week {sum}, as reported. ✓")
            : new BalanceCheck(true, false,
                $"⚠ Data quality: actively homeless is {Number(actively.Current.Value)}, but last week {sum} " +
                $"(off by {Signed(actively.Current.Value - expected)}). Check the by-name list, inflow and outflow.");
    }

    /// <summary>The three Built for Zero metrics of an initiative (actively homeless, inflow, outflow), or null when it lacks one.</summary>
    public static (MetricSummary Actively, MetricSummary Inflow, MetricSummary Outflow)? BuiltForZero(IReadOnlyList<MetricSummary> summaries)
    {
        MetricSummary? Find(string name) => summaries.FirstOrDefault(s => s.Metric.Name == name);
        return Find("actively homeless") is { } actively && Find("inflow") is { } inflow && Find("outflow") is { } outflow ? (actively, inflow, outflow) : null;
    }

    /// <summary>
    /// Every week of the window (but the first, which has no previous week here) that has the three numbers and its
    /// previous week's actively homeless, and breaks the balance; and how many weeks could be checked.
    /// </summary>
    public static (IReadOnlyList<WeekImbalance> OutOfBalance, int Checked) Imbalances(IReadOnlyList<string> weeks,
        IReadOnlyList<double?> actively, IReadOnlyList<double?> inflow, IReadOnlyList<double?> outflow)
    {
        var found = new List<WeekImbalance>();
        var checkedWeeks = 0;
        for (var i = 1; i < weeks.Count; i++)
        {
            if (actively[i - 1] is not { } previous || actively[i] is not { } reported || inflow[i] is not { } inflowValue || outflow[i] is not { } outflowValue) continue;
            checkedWeeks++;
            var imbalance = new WeekImbalance(weeks[i], reported, previous, inflowValue, outflowValue);
            if (Math.Abs(imbalance.Off) >= 1e-9) found.Add(imbalance);
        }
        return (found, checkedWeeks);
    }

    /// <summary>Signals as lines: improvements, warnings and direction-free signals, each with its weeks.</summary>
    public static IReadOnlyList<string> SignalLines(MetricSummary summary) =>
        summary.Chart.Signals.Select(s =>
        {
            var label = s.Kind is "runs" or "crossings" ? "Signal" : s.Improvement ? "▲ Improvement" : "⚠ Warning";
            var span = s.FirstIndex == s.LastIndex ? summary.Weeks[s.FirstIndex] : $"{summary.Weeks[s.FirstIndex]}–{summary.Weeks[s.LastIndex]}";
            return $"{label}: {s.Description} ({span})";
        }).ToList();

    public static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    public static string Signed(double value) => value > 0 ? "+" + Number(value) : value < 0 ? "−" + Number(-value) : "0";

    public static string Percent(double value) => value.ToString("0", CultureInfo.InvariantCulture) + "%";
}
