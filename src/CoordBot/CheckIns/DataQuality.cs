namespace CoordBot.CheckIns;

/// <summary>A week in which some metrics have no value.</summary>
public sealed record WeekGap(string Week, IReadOnlyList<string> Missing);

/// <summary>A point beyond the far-out fences of its metric's run chart.</summary>
public sealed record OddPoint(string Metric, string Week, double Value);

/// <summary>A member's check-in whose list statuses do not add up to the inflow or outflow they entered.</summary>
public sealed record PartsMismatch(string Member, string Week, string Total, double Entered, double PartsSum);

/// <summary>
/// What a window of weekly numbers says about its own quality, as Built for Zero's quality-data work asks
/// (docs/built-for-zero.md): the weeks out of balance (with the three Built for Zero metrics), the weeks where a
/// metric has no value (from the first week with any value on; skipped weeks do not count), and astronomical points.
/// </summary>
public sealed record DataQuality(
    IReadOnlyList<WeekImbalance> OutOfBalance, int BalanceChecked, bool HasBalance, IReadOnlyList<WeekGap> Gaps, IReadOnlyList<OddPoint> Astronomical,
    IReadOnlyList<PartsMismatch> Mismatches)
{
    /// <summary>How many weeks, points or items a summary line names before "and N more".</summary>
    public const int Named = 5;

    public static DataQuality Of(IReadOnlyList<MetricSummary> metrics, IReadOnlySet<string> skipped, IReadOnlyDictionary<string, List<CheckIn>> byWeek)
    {
        var weeks = metrics[0].Weeks;
        IReadOnlyList<WeekImbalance> outOfBalance = [];
        var balanceChecked = 0;
        var bfz = CheckInSummary.BuiltForZero(metrics);
        if (bfz is var (actively, inflow, outflow))
            (outOfBalance, balanceChecked) = CheckInSummary.Imbalances(weeks, actively.Values, inflow.Values, outflow.Values);

        var first = Enumerable.Range(0, weeks.Count).FirstOrDefault(i => metrics.Any(m => m.Values[i] is not null), -1);
        var gaps = first < 0 ? [] : Enumerable.Range(first, weeks.Count - first)
            .Where(i => !skipped.Contains(weeks[i]))
            .Select(i => new WeekGap(weeks[i], metrics.Where(m => m.Values[i] is null).Select(m => m.Metric.Name).ToList()))
            .Where(g => g.Missing.Count > 0)
            .ToList();

        var astronomical = metrics
            .SelectMany(m => m.Chart.Signals.Where(s => s.Kind == "astronomical").Select(s => new OddPoint(m.Metric.Name, m.Weeks[s.FirstIndex], m.Values[s.FirstIndex] ?? 0)))
            .ToList();
        // Parts entered that do not make the total entered with them: all parts and another sum, or more than the total.
        var definitions = metrics.Select(m => m.Metric).ToList();
        var mismatches = new List<PartsMismatch>();
        foreach (var week in weeks.Where(w => !skipped.Contains(w) && byWeek.ContainsKey(w)))
            foreach (var checkIn in byWeek[week])
                foreach (var total in Metric.StatusParts.Keys)
                {
                    var parts = Metric.PartsIn(definitions, total);
                    if (parts.Count == 0 || !checkIn.Values.TryGetValue(total, out var entered)) continue;
                    var given = parts.Where(p => checkIn.Values.ContainsKey(p.Name)).ToList();
                    var sum = given.Sum(p => checkIn.Values[p.Name]);
                    if (given.Count > 0 && (given.Count == parts.Count ? Math.Abs(sum - entered) >= 1e-9 : sum > entered + 1e-9))
                        mismatches.Add(new PartsMismatch(checkIn.Member, week, total, entered, sum));
                }
        return new DataQuality(outOfBalance, balanceChecked, bfz is not null, gaps, astronomical, mismatches);
    }

    public bool Clean => OutOfBalance.Count == 0 && Gaps.Count == 0 && Astronomical.Count == 0 && Mismatches.Count == 0;

    /// <summary>One line: "Data quality: 2 weeks out of balance (2026-W42, 2026-W45); 1 week with a metric missing (2026-W30: inflow)."</summary>
    public string Summary
    {
        get
        {
            if (Clean)
                return HasBalance
                    ? $"Data quality: every week has every metric, the {Count(BalanceChecked, "week")} with the three numbers balance, no astronomical points."
                    : "Data quality: every week has every metric, no astronomical points.";
            var parts = new List<string>();
            if (OutOfBalance.Count > 0)
                parts.Add($"{Count(OutOfBalance.Count, "week")} out of balance ({Few(OutOfBalance.Select(w => w.Week))})");
            if (Gaps.Count > 0)
                parts.Add($"{Count(Gaps.Count, "week")} with a metric missing ({Few(Gaps.Select(g => $"{g.Week}: {string.Join(", ", g.Missing)}"))})");
            if (Mismatches.Count > 0)
                parts.Add($"{Count(Mismatches.Count, "check-in")} whose parts do not add up ({Few(Mismatches.Select(m =>
                    $"@{m.Member} {m.Week}: {m.Total} {CheckInSummary.Number(m.Entered)}, parts {CheckInSummary.Number(m.PartsSum)}"))})");
            if (Astronomical.Count > 0)
                parts.Add($"{Count(Astronomical.Count, "astronomical point")} ({Few(Astronomical.Select(p => $"{p.Metric} {CheckInSummary.Number(p.Value)} in {p.Week}"))})");
            return "⚠ Data quality: " + string.Join("; ", parts) + ".";
        }
    }

    private static string Few(IEnumerable<string> items)
    {
        var all = items.ToList();
        return string.Join(", ", all.Take(Named)) + (all.Count > Named ? $" and {all.Count - Named} more" : "");
    }

    private static string Count(int n, string what) => n == 1 ? $"1 {what}" : $"{n} {what}s";
}
