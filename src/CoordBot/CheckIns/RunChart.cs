using System.Globalization;
using System.Numerics;

namespace CoordBot.CheckIns;

/// <summary>Which set of run-chart rules <see cref="RunChart.Analyze"/> applies.</summary>
public enum RunChartRules
{
    /// <summary>
    /// Perla, Provost &amp; Murray (2011), the rules used by IHI and Built for Zero: shift (6+ points on one side
    /// of the median), trend (5+ points going one way), too few / too many runs against the published table,
    /// and an astronomical point.
    /// </summary>
    PerlaProvostMurray,

    /// <summary>
    /// Anhøj &amp; Olesen (2014): an unusually long run (longer than round(log2(n) + 3)) or unusually few
    /// crossings of the median (fewer than the 5% quantile of Binomial(n − 1, 0.5)). The trend rule is dropped
    /// (the paper found it useless); the astronomical point is still checked.
    /// </summary>
    Anhoej,
}

/// <summary>The direction in which a metric should move for the initiative to be improving.</summary>
public enum Direction
{
    /// <summary>Higher is better (e.g. outflow, housing placements).</summary>
    Increase,

    /// <summary>Lower is better (e.g. actively homeless).</summary>
    Decrease,
}

/// <summary>One non-random pattern found on a run chart.</summary>
/// <param name="Kind">"shift", "trend", "runs", "astronomical", "longest-run" or "crossings".</param>
/// <param name="FirstIndex">Index into the analysed values of the first point of the pattern.</param>
/// <param name="LastIndex">Index into the analysed values of the last point of the pattern.</param>
/// <param name="Improvement">
/// True when the pattern moves the metric in the wanted direction; false for a warning and for the
/// direction-free signals ("runs", "crossings").
/// </param>
/// <param name="Description">A short human phrase, e.g. "a shift of 7 weeks below the median".</param>
public sealed record RunChartSignal(string Kind, int FirstIndex, int LastIndex, bool Improvement, string Description);

/// <summary>The outcome of <see cref="RunChart.Analyze"/>.</summary>
/// <param name="Median">Median of the non-missing points; null when there are none.</param>
/// <param name="UsefulObservations">Points not on the median (the n of the runs table and of the Anhøj limits).</param>
/// <param name="Runs">Number of runs: maximal groups of consecutive useful points on the same side of the median.</param>
/// <param name="Signals">Signals in order of their first point; empty when <paramref name="EnoughData"/> is false.</param>
/// <param name="EnoughData">False when there are fewer than 10 useful observations: no rule is applied.</param>
/// <param name="Summary">One sentence for the digest.</param>
public sealed record RunChartResult(
    double? Median, int UsefulObservations, int Runs, IReadOnlyList<RunChartSignal> Signals, bool EnoughData, string Summary);

/// <summary>
/// Run-chart analysis of a weekly metric (docs/features.md#run-chart-rules). Pure: no clock, no I/O.
/// </summary>
/// <remarks>
/// Conventions:
/// <list type="bullet">
/// <item>Missing weeks (null) are skipped: the points before and after a gap are treated as neighbours. Signal
/// indexes still refer to positions in the input list.</item>
/// <item>A shift counts useful points only: a point on the median neither adds to nor breaks it.</item>
/// <item>A trend counts points, not steps, as Perla et al. do: 5 points = 4 consecutive increases (or decreases).
/// A value equal to its predecessor is skipped (neither adds nor breaks). Points on the median take part.</item>
/// <item>Runs are counted over useful points; the runs test applies only for 10–60 useful observations.</item>
/// <item>Astronomical point: see <see cref="AstronomicalIqrs"/>.</item>
/// </list>
/// </remarks>
public static class RunChart
{
    /// <summary>Fewer useful observations than this and no rule is applied.</summary>
    public const int MinimumUsefulObservations = 10;

    /// <summary>Useful points needed on one side of the median for a shift.</summary>
    public const int ShiftLength = 6;

    /// <summary>Points (not steps) needed going one way for a trend.</summary>
    public const int TrendLength = 5;

    /// <summary>
    /// Operational definition of an astronomical point (the paper leaves it to "any observer would agree"): a point
    /// beyond Tukey's far-out fences, below Q1 − 3 × IQR or above Q3 + 3 × IQR of the non-missing points (quartiles by
    /// linear interpolation, as Excel's QUARTILE.INC and R's default). Quartiles are robust to the outlier itself, and
    /// unlike a moving-range sigma they do not flag every point after a large, genuine step change (the quartiles then
    /// straddle the step). When the IQR is 0 (most weeks share one value) no point is judged astronomical.
    /// </summary>
    public const double AstronomicalIqrs = 3;

    // Runs limits for n = 10..60 useful observations: fewer runs than Lower, or more than Upper, is a signal.
    // Source: Perla RJ, Provost LP, Murray SK. The run chart: a simple analytical tool for learning from variation
    // in healthcare processes. BMJ Qual Saf 2011;20:46–51, Table 1 (adapted from Swed FS, Eisenhart C, Ann Math
    // Stat 1943;14:66–87), as printed: every row was checked against an image of the printed table (IHI Open School
    // QI 104 notes, repository alioh/IHI-QI104, img/L2-4.jpg). docs/runs-table.md holds that transcript, which the
    // tests read, and lists the 18 rows where the printed table differs by one run from the exact limits; the
    // printed values are kept, as teams read them on paper.
    private static readonly (int Lower, int Upper)[] PublishedRunsLimits =
    [
        (3, 9), (3, 10), (3, 11), (4, 11), (4, 12), (5, 12), (5, 13), (5, 13), (6, 14), (6, 15), // 10–19
        (6, 16), (7, 16), (7, 17), (7, 17), (8, 18), (8, 18), (9, 19), (10, 19), (10, 20), (10, 20), // 20–29
        (11, 21), (11, 22), (11, 23), (12, 23), (12, 24), (12, 24), (13, 25), (13, 25), (14, 26), (14, 26), // 30–39
        (15, 27), (15, 27), (16, 28), (16, 28), (17, 29), (17, 30), (17, 31), (18, 31), (18, 32), (19, 32), // 40–49
        (19, 33), (20, 33), (20, 34), (21, 34), (21, 35), (22, 35), (22, 35), (23, 36), (23, 37), (24, 38), // 50–59
        (24, 38), // 60
    ];

    /// <summary>
    /// The published limits for the number of runs, or null outside 10..60 useful observations (no runs test).
    /// A count of runs below Lower or above Upper is a signal; Lower and Upper themselves are not.
    /// </summary>
    public static (int Lower, int Upper)? RunsLimits(int usefulObservations) =>
        usefulObservations is >= 10 and <= 60 ? PublishedRunsLimits[usefulObservations - 10] : null;

    /// <summary>
    /// Anhøj's upper limit for the longest run: round(log2(n) + 3). log2(n) + 3 is never exactly halfway between
    /// two integers for integer n, so the rounding mode does not matter (away from zero is used).
    /// </summary>
    public static int LongestRunLimit(int usefulObservations) =>
        (int)Math.Round(Math.Log2(usefulObservations) + 3, MidpointRounding.AwayFromZero);

    /// <summary>
    /// Anhøj's lower limit for the number of crossings: the 5% quantile of Binomial(n − 1, 0.5), i.e. the smallest c
    /// with P(X ≤ c) ≥ 0.05 (R's qbinom(0.05, n - 1, 0.5)), computed exactly with integers. Fewer crossings than this
    /// is a signal.
    /// </summary>
    public static int CrossingsLimit(int usefulObservations)
    {
        var trials = Math.Max(usefulObservations - 1, 0);
        var total = BigInteger.Pow(2, trials);
        BigInteger coefficient = 1, cumulative = 0;
        for (var c = 0; c <= trials; c++)
        {
            cumulative += coefficient;
            if (cumulative * 20 >= total) return c; // cumulative / 2^trials ≥ 1/20
            coefficient = coefficient * (trials - c) / (c + 1);
        }
        return trials;
    }

    /// <summary>Analyses one metric's weekly values (oldest first; null = missing week, skipped).</summary>
    public static RunChartResult Analyze(
        IReadOnlyList<double?> values, Direction wanted, RunChartRules rules = RunChartRules.PerlaProvostMurray)
    {
        ArgumentNullException.ThrowIfNull(values);
        var points = new List<(int Index, double Value)>();
        for (var i = 0; i < values.Count; i++)
            if (values[i] is { } v && !double.IsNaN(v)) points.Add((i, v));

        var median = Median(points.Select(p => p.Value));
        var useful = median is { } m
            ? points.Where(p => p.Value != m).Select(p => (p.Index, Side: p.Value > m ? 1 : -1)).ToList()
            : [];
        var sideRuns = SideRuns(useful);

        if (useful.Count < MinimumUsefulObservations)
            return new RunChartResult(median, useful.Count, sideRuns.Count, [], false, "not enough data yet for run-chart rules");

        var signals = new List<RunChartSignal>();
        var med = median!.Value;
        if (rules == RunChartRules.PerlaProvostMurray)
        {
            foreach (var run in sideRuns.Where(r => r.Length >= ShiftLength))
                signals.Add(new RunChartSignal("shift", run.First, run.Last, IsWanted(run.Side, wanted),
                    $"a shift of {run.Length} weeks {SideWord(run.Side)} the median"));
            signals.AddRange(Trends(points, wanted));
            if (RunsLimits(useful.Count) is var (lower, upper) && (sideRuns.Count < lower || sideRuns.Count > upper))
                signals.Add(new RunChartSignal("runs", useful[0].Index, useful[^1].Index, false,
                    $"too {(sideRuns.Count < lower ? "few" : "many")} runs ({sideRuns.Count}; random variation gives " +
                    $"{lower} to {upper} for {useful.Count} points), a sign of non-random variation"));
        }
        else
        {
            var longestLimit = LongestRunLimit(useful.Count);
            foreach (var run in sideRuns.Where(r => r.Length > longestLimit))
                signals.Add(new RunChartSignal("longest-run", run.First, run.Last, IsWanted(run.Side, wanted),
                    $"an unusually long run of {run.Length} weeks {SideWord(run.Side)} the median (limit {longestLimit})"));
            var crossings = sideRuns.Count - 1;
            var crossingsLimit = CrossingsLimit(useful.Count);
            if (crossings < crossingsLimit)
                signals.Add(new RunChartSignal("crossings", useful[0].Index, useful[^1].Index, false,
                    $"unusually few crossings of the median ({crossings}; fewer than {crossingsLimit} for " +
                    $"{useful.Count} points), a sign of non-random variation"));
        }
        signals.AddRange(Astronomical(points, med, wanted));
        signals.Sort((a, b) => a.FirstIndex != b.FirstIndex ? a.FirstIndex.CompareTo(b.FirstIndex) : a.LastIndex.CompareTo(b.LastIndex));
        return new RunChartResult(median, useful.Count, sideRuns.Count, signals, true, Summarize(signals, wanted));
    }

    private static double? Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return null;
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private sealed record SideRun(int Side, int First, int Last, int Length);

    private static List<SideRun> SideRuns(List<(int Index, int Side)> useful)
    {
        var runs = new List<SideRun>();
        foreach (var (index, side) in useful)
        {
            if (runs.Count > 0 && runs[^1].Side == side) runs[^1] = runs[^1] with { Last = index, Length = runs[^1].Length + 1 };
            else runs.Add(new SideRun(side, index, index, 1));
        }
        return runs;
    }

    private static IEnumerable<RunChartSignal> Trends(List<(int Index, double Value)> points, Direction wanted)
    {
        // Drop a point equal to its predecessor: equal neighbours neither add to nor break a trend.
        var distinct = new List<(int Index, double Value)>();
        foreach (var p in points)
            if (distinct.Count == 0 || distinct[^1].Value != p.Value) distinct.Add(p);

        // Steps between distinct neighbours are never flat; a trend is a maximal group of steps with one sign.
        var first = 0;
        for (var step = 1; step <= distinct.Count - 1; step++)
        {
            var sameWay = step < distinct.Count - 1 &&
                distinct[step + 1].Value > distinct[step].Value == distinct[first + 1].Value > distinct[first].Value;
            if (sameWay) continue;
            var length = step - first + 1; // points distinct[first ..= step]
            if (length >= TrendLength)
            {
                var up = distinct[first + 1].Value > distinct[first].Value;
                yield return new RunChartSignal("trend", distinct[first].Index, distinct[step].Index,
                    up == (wanted == Direction.Increase), $"a trend of {length} weeks going {(up ? "up" : "down")}");
            }
            first = step; // the turning point ends one trend and starts the next
        }
    }

    private static IEnumerable<RunChartSignal> Astronomical(List<(int Index, double Value)> points, double median, Direction wanted)
    {
        var sorted = points.Select(p => p.Value).Order().ToArray();
        var q1 = Quantile(sorted, 0.25);
        var q3 = Quantile(sorted, 0.75);
        var iqr = q3 - q1;
        if (iqr <= 0) yield break;
        var (low, high) = (q1 - AstronomicalIqrs * iqr, q3 + AstronomicalIqrs * iqr);
        foreach (var (index, value) in points.Where(p => p.Value < low || p.Value > high))
        {
            var side = value > median ? 1 : -1;
            yield return new RunChartSignal("astronomical", index, index, IsWanted(side, wanted),
                $"an astronomical point: {value.ToString("0.##", CultureInfo.InvariantCulture)} in week {index + 1}, " +
                $"far {SideWord(side)} the rest");
        }
    }

    private static double Quantile(double[] sorted, double p)
    {
        var h = (sorted.Length - 1) * p;
        var lower = (int)Math.Floor(h);
        return lower + 1 < sorted.Length ? sorted[lower] + (h - lower) * (sorted[lower + 1] - sorted[lower]) : sorted[lower];
    }

    private static bool IsWanted(int side, Direction wanted) => side > 0 == (wanted == Direction.Increase);

    private static string SideWord(int side) => side > 0 ? "above" : "below";

    private static string Summarize(List<RunChartSignal> signals, Direction wanted)
    {
        if (signals.Count == 0) return "No signals: the variation looks random.";
        // Headline the most recent signal; directional ones first when two end in the same week.
        var headline = signals
            .OrderByDescending(s => s.LastIndex)
            .ThenBy(s => s.Kind is "runs" or "crossings" ? 1 : 0)
            .First();
        var label = headline.Kind is "runs" or "crossings" ? "Non-random variation" : headline.Improvement ? "Improvement" : "Warning";
        var more = signals.Count switch { 1 => "", 2 => "; 1 more signal", _ => $"; {signals.Count - 1} more signals" };
        return $"{label}: {headline.Description} (wanted: {(wanted == Direction.Increase ? "increase" : "decrease")}){more}.";
    }
}
