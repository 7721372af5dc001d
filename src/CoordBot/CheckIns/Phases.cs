namespace CoordBot.CheckIns;

/// <summary>A phase of a metric's run chart: from a week on, a new median judges the points (docs/built-for-zero.md#phases).</summary>
/// <param name="Metric">The metric, or null for every metric of the initiative.</param>
public sealed record Phase(long Id, string? Metric, string FromWeek, string? Note, string CreatedBy);

/// <summary>One phase within a chart's window: its points, median and note.</summary>
public sealed record PhaseSpan(int First, int Last, double? Median, string? Note, string FromWeek);

/// <summary>
/// Run-chart analysis in phases. Improvement practice starts a new phase, with a new median, once a change has
/// shown itself as a sustained shift; the points after it are judged against the new median, not the old one
/// (the old median would flag every later point). Each phase is analysed on its own with <see cref="RunChart.Analyze"/>;
/// the signals keep their positions in the whole window.
/// </summary>
public static class PhasedChart
{
    /// <summary>Weeks a shift in the wanted direction must have lasted before the digest suggests a new phase.</summary>
    public const int SuggestAfterWeeks = 8;

    /// <summary>The phases of one metric that start within <paramref name="weeks"/> (after its first week), oldest first.</summary>
    public static IReadOnlyList<Phase> Starts(IReadOnlyList<Phase> phases, string metric, IReadOnlyList<string> weeks) =>
        phases.Where(p => p.Metric is null || p.Metric == metric)
            .Where(p => string.CompareOrdinal(p.FromWeek, weeks[0]) > 0 && string.CompareOrdinal(p.FromWeek, weeks[^1]) <= 0)
            .OrderBy(p => p.FromWeek, StringComparer.Ordinal)
            .DistinctBy(p => p.FromWeek)
            .ToList();

    public static (RunChartResult Chart, IReadOnlyList<PhaseSpan> Spans) Analyze(IReadOnlyList<double?> values, IReadOnlyList<string> weeks, Direction wanted,
        RunChartRules rules, IReadOnlyList<Phase> starts)
    {
        if (starts.Count == 0)
        {
            var whole = RunChart.Analyze(values, wanted, rules);
            return (whole, [new PhaseSpan(0, values.Count - 1, whole.Median, null, weeks[0])]);
        }
        var bounds = new List<(int First, string? Note, string From)> { (0, null, weeks[0]) };
        bounds.AddRange(starts.Select(p => (Index(weeks, p.FromWeek), p.Note, p.FromWeek)));
        var spans = new List<PhaseSpan>();
        var signals = new List<RunChartSignal>();
        RunChartResult? last = null;
        for (var k = 0; k < bounds.Count; k++)
        {
            var first = bounds[k].First;
            var end = k + 1 < bounds.Count ? bounds[k + 1].First - 1 : values.Count - 1;
            var result = RunChart.Analyze(values.Skip(first).Take(end - first + 1).ToList(), wanted, rules);
            signals.AddRange(result.Signals.Select(s => s with { FirstIndex = s.FirstIndex + first, LastIndex = s.LastIndex + first }));
            spans.Add(new PhaseSpan(first, end, result.Median, bounds[k].Note, bounds[k].From));
            last = result;
        }
        var summary = $"Phase from {bounds[^1].From}: {last!.Summary}";
        return (new RunChartResult(last.Median, last.UsefulObservations, last.Runs, signals, signals.Count > 0 || last.EnoughData, summary), spans);
    }

    /// <summary>
    /// A shift in the wanted direction that is still going on (no point after it lies off the median) and has lasted
    /// <see cref="SuggestAfterWeeks"/> weeks or more: the week it began, or null.
    /// </summary>
    public static string? SuggestFrom(RunChartResult chart, IReadOnlyList<string> weeks, IReadOnlyList<double?> values) =>
        chart.Signals.Where(s => s.Kind is "shift" or "longest-run" && s.Improvement && s.LastIndex - s.FirstIndex + 1 >= SuggestAfterWeeks &&
                                 values.Skip(s.LastIndex + 1).All(v => v is null || v == chart.Median))
            .Select(s => weeks[s.FirstIndex]).FirstOrDefault();

    private static int Index(IReadOnlyList<string> weeks, string week)
    {
        for (var i = 0; i < weeks.Count; i++)
            if (string.CompareOrdinal(weeks[i], week) >= 0) return i;
        return weeks.Count - 1;
    }
}
