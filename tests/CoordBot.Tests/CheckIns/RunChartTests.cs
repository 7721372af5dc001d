using System.Numerics;
using CoordBot.CheckIns;
using Xunit;

namespace CoordBot.Tests.CheckIns;

/// <summary>Run-chart rules on hand-checked series (docs/features.md#run-chart-rules).</summary>
public sealed class RunChartTests
{
    // 'H' = 12 (above), 'L' = 8 (below), 'M' = 10 (on the median), '.' = missing week. With as many H as L the median
    // is 10 whatever the number of M, and three levels can never make a trend of 5 or an astronomical point.
    private static double?[] Sides(string pattern) =>
        pattern.Select(c => c switch { 'H' => 12.0, 'L' => 8.0, 'M' => 10.0, _ => (double?)null }).ToArray();

    private static RunChartSignal Only(RunChartResult result, string kind) => Assert.Single(result.Signals, s => s.Kind == kind);

    // ---- shift: 6 or more useful points on one side ----

    [Fact]
    public void A_shift_of_exactly_6_is_a_signal()
    {
        var result = RunChart.Analyze(Sides("HHHHH" + "LLLLLL" + "H"), Direction.Decrease);
        Assert.Equal(10, result.Median);
        Assert.Equal(12, result.UsefulObservations);
        Assert.Equal(3, result.Runs);
        var shift = Assert.Single(result.Signals);
        Assert.Equal(new RunChartSignal("shift", 5, 10, true, "a shift of 6 weeks below the median"), shift);
        Assert.Equal("Improvement: a shift of 6 weeks below the median (wanted: decrease).", result.Summary);
    }

    [Fact]
    public void A_run_of_5_is_not_a_shift()
    {
        var result = RunChart.Analyze(Sides("HHHHH" + "LLLLL" + "HL"), Direction.Decrease);
        Assert.True(result.EnoughData);
        Assert.Empty(result.Signals);
        Assert.Equal("No signals: the variation looks random.", result.Summary);
    }

    [Fact]
    public void Points_on_the_median_neither_break_nor_add_to_a_shift()
    {
        var broken = RunChart.Analyze(Sides("HHHHH" + "LLLMMLLL" + "H"), Direction.Decrease);
        Assert.Equal(10, broken.Median);
        Assert.Equal(12, broken.UsefulObservations);
        Assert.Equal(new RunChartSignal("shift", 5, 12, true, "a shift of 6 weeks below the median"), Only(broken, "shift"));

        var added = RunChart.Analyze(Sides("HHHHH" + "LLMMLLL" + "HL"), Direction.Decrease);
        Assert.Equal(10, added.Median);
        Assert.DoesNotContain(added.Signals, s => s.Kind == "shift");
    }

    [Fact]
    public void The_same_shift_is_an_improvement_or_a_warning_depending_on_the_wanted_direction()
    {
        var series = Sides("HHHHH" + "LLLLLL" + "H");
        Assert.True(Only(RunChart.Analyze(series, Direction.Decrease), "shift").Improvement);
        var warning = RunChart.Analyze(series, Direction.Increase);
        Assert.False(Only(warning, "shift").Improvement);
        Assert.Equal("Warning: a shift of 6 weeks below the median (wanted: increase).", warning.Summary);

        var above = RunChart.Analyze(Sides("LLLHLLLHLLL" + "HHHHHHH"), Direction.Increase); // 6 runs of 18: no runs signal
        Assert.Equal("Improvement: a shift of 7 weeks above the median (wanted: increase).", above.Summary);
    }

    [Fact]
    public void Missing_weeks_are_skipped_and_indexes_refer_to_the_input()
    {
        var result = RunChart.Analyze(Sides("HHHHH" + "LL.LL.LL" + "H"), Direction.Decrease);
        Assert.Equal(12, result.UsefulObservations);
        Assert.Equal(new RunChartSignal("shift", 5, 12, true, "a shift of 6 weeks below the median"), Assert.Single(result.Signals));
    }

    // ---- trend: 5 or more points going one way. Perla et al. count points, not steps: 5 points = 4 increases ----

    private static readonly double?[] Before = [20, 5, 20, 5, 20];
    private static readonly double?[] After = [5, 20, 5, 20, 5];

    private static double?[] Around(params double?[] middle) => [.. Before, .. middle, .. After];

    [Fact]
    public void A_trend_of_exactly_5_points_4_increases_is_a_signal()
    {
        // Sorted: 5×5, 11..15, 20×5 → median 13; sides H L H L H L L M H H L H L H L: 12 runs of 14, no shift.
        var result = RunChart.Analyze(Around(11, 12, 13, 14, 15), Direction.Increase);
        Assert.Equal(13, result.Median);
        Assert.Equal(14, result.UsefulObservations);
        Assert.Equal(12, result.Runs);
        Assert.Equal(new RunChartSignal("trend", 5, 9, true, "a trend of 5 weeks going up"), Assert.Single(result.Signals));
        Assert.Equal("Improvement: a trend of 5 weeks going up (wanted: increase).", result.Summary);
        Assert.False(Only(RunChart.Analyze(Around(11, 12, 13, 14, 15), Direction.Decrease), "trend").Improvement);
    }

    [Fact]
    public void A_falling_trend_is_an_improvement_when_a_decrease_is_wanted()
    {
        double?[] series = [5, 20, 5, 20, 5, 15, 14, 13, 12, 11, 20, 5, 20, 5, 20];
        Assert.Equal(new RunChartSignal("trend", 5, 9, true, "a trend of 5 weeks going down"),
            Only(RunChart.Analyze(series, Direction.Decrease), "trend"));
    }

    [Fact]
    public void Four_points_4_going_up_is_not_a_trend()
    {
        var result = RunChart.Analyze([.. Before, 11, 12, 13, 14, .. After, 20], Direction.Increase);
        Assert.True(result.EnoughData);
        Assert.DoesNotContain(result.Signals, s => s.Kind == "trend");
    }

    [Fact]
    public void Equal_neighbours_neither_add_to_nor_break_a_trend()
    {
        // 11 12 12 13 13 14: four distinct values, so no trend despite six points.
        var notAdded = RunChart.Analyze(Around(11, 12, 12, 13, 13, 14), Direction.Increase);
        Assert.DoesNotContain(notAdded.Signals, s => s.Kind == "trend");

        // 11 12 12 13 14 15: the repeat does not break five distinct rising values.
        var notBroken = RunChart.Analyze(Around(11, 12, 12, 13, 14, 15), Direction.Increase);
        Assert.Equal(new RunChartSignal("trend", 5, 10, true, "a trend of 5 weeks going up"), Only(notBroken, "trend"));
    }

    // ---- runs: the published table for 10..60 useful observations ----

    /// <summary>
    /// Perla, Provost &amp; Murray (2011) Table 1 as printed, read from docs/runs-table.md (transcribed from an image of the
    /// printed page, every row checked), so the production table is checked against the printed one rather than against itself.
    /// </summary>
    private static readonly (int N, int Lower, int Upper)[] PublishedTable = ReadPrintedTable();

    private static (int N, int Lower, int Upper)[] ReadPrintedTable()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "CoordBot.sln"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("CoordBot.sln not found");
        var text = File.ReadAllText(Path.Combine(root, "docs", "runs-table.md"));
        var table = text[text.IndexOf("<!-- runs-table:begin -->", StringComparison.Ordinal)..text.IndexOf("<!-- runs-table:end -->", StringComparison.Ordinal)];
        return System.Text.RegularExpressions.Regex.Matches(table, @"^\| (\d+) \| (\d+) \| (\d+) \|$", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => (Int(m.Groups[1].Value), Int(m.Groups[2].Value), Int(m.Groups[3].Value))).ToArray();

        static int Int(string digits) => int.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
    }

    public static TheoryData<int, int, int> PublishedRows()
    {
        var data = new TheoryData<int, int, int>();
        foreach (var (n, lower, upper) in PublishedTable) data.Add(n, lower, upper);
        return data;
    }

    [Fact]
    public void Runs_limits_equal_the_published_table_for_every_n_from_10_to_60()
    {
        Assert.Equal(Enumerable.Range(10, 51), PublishedTable.Select(row => row.N));
        foreach (var (n, lower, upper) in PublishedTable)
            Assert.True(RunChart.RunsLimits(n) == (lower, upper), $"n = {n}: RunChart has {RunChart.RunsLimits(n)}, table has ({lower}, {upper})");
    }

    /// <summary>
    /// n useful points with exactly <paramref name="runs"/> runs: lows 0, highs 2 (n/2 each; for odd n one more high and
    /// two points of 1 in front, which are then the median). Null when that many runs cannot be made.
    /// Three levels can never make a trend of 5; long groups may be shifts, so callers assert on the runs signal only.
    /// </summary>
    private static double?[]? WithRuns(int n, int runs)
    {
        var (highs, lows) = (n - n / 2, n / 2);
        foreach (var startHigh in new[] { true, false })
        {
            var highGroups = startHigh ? (runs + 1) / 2 : runs / 2;
            var lowGroups = runs - highGroups;
            if (highGroups < 1 || lowGroups < 1 || highGroups > highs || lowGroups > lows) continue;
            var series = new List<double?>();
            if (n % 2 == 1) series.AddRange([1, 1]);
            int highGroup = 0, lowGroup = 0;
            for (var r = 0; r < runs; r++)
            {
                var high = (r % 2 == 0) == startHigh;
                var size = high ? (highGroup++ == 0 ? highs - highGroups + 1 : 1) : (lowGroup++ == 0 ? lows - lowGroups + 1 : 1);
                series.AddRange(Enumerable.Repeat<double?>(high ? 2 : 0, size));
            }
            return [.. series];
        }
        return null;
    }

    /// <summary>
    /// For every n in the published table, a concrete series with exactly Lower − 1, Lower, Upper and Upper + 1 runs (where
    /// 2 ≤ runs ≤ n): only Lower − 1 ("too few") and Upper + 1 ("too many") give a runs signal.
    /// </summary>
    [Theory]
    [MemberData(nameof(PublishedRows))]
    public void Runs_at_the_table_limits_are_not_signals_and_one_beyond_them_are(int n, int lower, int upper)
    {
        (int Runs, string? Signal)[] cases = [(lower - 1, "few"), (lower, null), (upper, null), (upper + 1, "many")];
        var tested = 0;
        foreach (var (runs, signal) in cases)
        {
            if (runs < 2 || runs > n) continue; // not a possible count of runs for n useful points
            var series = WithRuns(n, runs);
            Assert.NotNull(series);
            var result = RunChart.Analyze(series, Direction.Increase);
            Assert.Equal(n, result.UsefulObservations);
            Assert.Equal(runs, result.Runs);
            var runsSignals = result.Signals.Where(s => s.Kind == "runs").ToList();
            if (signal is null)
                Assert.Empty(runsSignals);
            else
                Assert.StartsWith($"too {signal} runs ({runs};", Assert.Single(runsSignals).Description);
            tested++;
        }
        Assert.Equal(4, tested); // every case is a possible count for 10..60
    }

    /// <summary>The four rows an earlier copy of the table had wrong: just inside each limit is random, one beyond is a signal.</summary>
    [Theory]
    [InlineData(35, 12, 24)]
    [InlineData(41, 15, 27)]
    [InlineData(43, 16, 28)]
    [InlineData(56, 22, 35)]
    public void The_rows_once_mistyped_follow_the_printed_table(int n, int lower, int upper)
    {
        Assert.Equal((lower, upper), RunChart.RunsLimits(n));
        string? RunsSignal(int runs) => RunChart.Analyze(WithRuns(n, runs)!, Direction.Increase).Signals.SingleOrDefault(s => s.Kind == "runs")?.Description;
        Assert.StartsWith($"too few runs ({lower - 1};", RunsSignal(lower - 1));
        Assert.Null(RunsSignal(lower));
        Assert.Null(RunsSignal(upper));
        Assert.StartsWith($"too many runs ({upper + 1};", RunsSignal(upper + 1));
    }

    [Fact]
    public void Too_few_runs_is_neutral_non_random_variation()
    {
        var result = RunChart.Analyze(WithRuns(20, 5)!, Direction.Increase);
        var runs = Only(result, "runs");
        Assert.False(runs.Improvement);
        Assert.Equal((0, 19), (runs.FirstIndex, runs.LastIndex));
        Assert.Equal("too few runs (5; random variation gives 6 to 16 for 20 points), a sign of non-random variation", runs.Description);
    }

    [Fact]
    public void No_runs_test_outside_10_to_60()
    {
        Assert.Null(RunChart.RunsLimits(9));
        Assert.Null(RunChart.RunsLimits(61));
        Assert.Equal((3, 9), RunChart.RunsLimits(10));
        Assert.Equal((24, 38), RunChart.RunsLimits(60));
        var result = RunChart.Analyze(WithRuns(62, 62)!, Direction.Increase); // alternating: as many runs as points
        Assert.DoesNotContain(result.Signals, s => s.Kind == "runs");
    }

    /// <summary>
    /// The published table against the exact Swed–Eisenhart distribution of the number of runs (n/2 below, the rest
    /// above), two-sided 5%: lower = smallest r with P(R ≤ r) &gt; 2.5%, upper = largest r with P(R ≥ r) &gt; 2.5%.
    /// They agree except at the n listed in RunChart.cs, where the published table is kept.
    /// </summary>
    [Fact]
    public void Published_table_against_exact_Swed_Eisenhart()
    {
        var differ = new List<int>();
        for (var n = 10; n <= 60; n++)
        {
            var (n1, n2) = (n / 2, n - n / 2);
            var total = Choose(n, n1);
            var counts = Enumerable.Range(0, n + 1).Select(r => RunsCount(n1, n2, r)).ToArray();
            int lower = 2, upper = n;
            BigInteger below = 0, above = 0;
            for (var r = 0; r <= n; r++) { below += counts[r]; if (below * 40 > total) { lower = r; break; } }
            for (var r = n; r >= 0; r--) { above += counts[r]; if (above * 40 > total) { upper = r; break; } }
            Assert.Equal(total, counts.Aggregate(BigInteger.Zero, (a, b) => a + b));
            var published = RunChart.RunsLimits(n)!.Value;
            if (published != (lower, upper))
            {
                differ.Add(n);
                Assert.True(Math.Abs(published.Lower - lower) <= 1 && Math.Abs(published.Upper - upper) <= 1, $"n = {n}");
            }
        }
        Assert.Equal([11, 12, 17, 20, 22, 23, 25, 29, 32, 35, 37, 41, 43, 53, 55, 56, 57, 59], differ);   // listed in docs/runs-table.md
    }

    private static BigInteger Choose(int n, int k)
    {
        if (k < 0 || k > n) return 0;
        BigInteger c = 1;
        for (var i = 1; i <= k; i++) c = c * (n - k + i) / i;
        return c;
    }

    // Arrangements of n1 + n2 points with exactly r runs (Swed & Eisenhart 1943).
    private static BigInteger RunsCount(int n1, int n2, int r)
    {
        if (r < 2) return 0;
        var k = r / 2;
        return r % 2 == 0
            ? 2 * Choose(n1 - 1, k - 1) * Choose(n2 - 1, k - 1)
            : Choose(n1 - 1, k - 1) * Choose(n2 - 1, k) + Choose(n1 - 1, k) * Choose(n2 - 1, k - 1);
    }

    // ---- astronomical point: beyond Q1 − 3 IQR or Q3 + 3 IQR ----

    [Fact]
    public void A_point_beyond_the_far_out_fence_is_astronomical()
    {
        // Without the last point: 10×7, 12×6 → Q1 10, Q3 12, IQR 2, fences 4 and 18; median 11.
        double?[] stable = [10, 12, 10, 12, 10, 12, 10, 12, 10, 12, 12, 10, 10];
        var high = RunChart.Analyze([.. stable, 40], Direction.Decrease);
        var point = Only(high, "astronomical");
        Assert.Equal(new RunChartSignal("astronomical", 13, 13, false, "an astronomical point: 40 in week 14, far above the rest"), point);
        Assert.StartsWith("Warning: an astronomical point: 40 in week 14", high.Summary);
        Assert.True(Only(RunChart.Analyze([.. stable, 40], Direction.Increase), "astronomical").Improvement);

        Assert.DoesNotContain(RunChart.Analyze([.. stable, 18], Direction.Decrease).Signals, s => s.Kind == "astronomical");
    }

    /// <summary>
    /// Both fences, on the edge and just past it. The stable weeks put Q1 at 10 and Q3 at 12 (IQR 2) whichever point is added,
    /// so the fences stay at 10 − 3 × 2 = 4 and 12 + 3 × 2 = 18: a point on a fence is not astronomical, half a unit past it is.
    /// Below, the stable weeks have one 10 fewer and one 12 more, so the median stays 11 (on a 10 it would leave too few useful points).
    /// </summary>
    [Theory]
    [InlineData(18.0, null)]
    [InlineData(18.5, "above")]
    [InlineData(40.0, "above")]
    [InlineData(4.0, null)]
    [InlineData(3.5, "below")]
    [InlineData(-30.0, "below")]
    public void The_far_out_fences_hold_on_both_sides(double last, string? side)
    {
        double?[] stable = last > 11 ? [10, 12, 10, 12, 10, 12, 10, 12, 10, 12, 12, 10, 10] : [10, 12, 10, 12, 10, 12, 10, 12, 10, 12, 12, 10, 12];
        var decrease = RunChart.Analyze([.. stable, last], Direction.Decrease);
        Assert.Equal(11, decrease.Median);
        var increase = RunChart.Analyze([.. stable, last], Direction.Increase);
        if (side is null)
        {
            Assert.DoesNotContain(decrease.Signals, s => s.Kind == "astronomical");
            return;
        }
        var point = Only(decrease, "astronomical");
        Assert.Equal((13, 13), (point.FirstIndex, point.LastIndex));
        Assert.EndsWith($"in week 14, far {side} the rest", point.Description);
        Assert.Equal(side == "below", point.Improvement);                                  // a low point is what a decrease wants
        Assert.Equal(side == "above", Only(increase, "astronomical").Improvement);
    }

    [Fact]
    public void A_large_step_change_is_a_shift_not_a_row_of_astronomical_points()
    {
        double?[] series = [101, 99, 100, 102, 98, 100, 101, 51, 49, 50, 52, 48, 50, 51];
        var result = RunChart.Analyze(series, Direction.Decrease);
        Assert.DoesNotContain(result.Signals, s => s.Kind == "astronomical");
        Assert.Equal(new RunChartSignal("shift", 7, 13, true, "a shift of 7 weeks below the median"),
            Assert.Single(result.Signals, s => s.Kind == "shift" && s.FirstIndex == 7));
    }

    // ---- not enough data ----

    [Fact]
    public void Fewer_than_10_useful_points_is_not_enough_data_but_the_median_is_reported()
    {
        // 1..10 plus a second 5: median 5, two points on it, 9 useful.
        var nine = RunChart.Analyze([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 5], Direction.Increase);
        Assert.Equal(5, nine.Median);
        Assert.Equal(9, nine.UsefulObservations);
        Assert.False(nine.EnoughData);
        Assert.Empty(nine.Signals); // the rising 1..5 is not judged
        Assert.Equal("not enough data yet for run-chart rules", nine.Summary);

        var ten = RunChart.Analyze(Sides("HHHHH.LLLLL"), Direction.Decrease);
        Assert.Equal(10, ten.UsefulObservations);
        Assert.True(ten.EnoughData);

        var few = RunChart.Analyze(Sides("HHHHMLLLL"), Direction.Decrease);
        Assert.Equal(8, few.UsefulObservations);
        Assert.False(few.EnoughData);
        Assert.Empty(few.Signals);
        Assert.Equal("not enough data yet for run-chart rules", few.Summary);

        var none = RunChart.Analyze([null, null], Direction.Increase);
        Assert.Null(none.Median);
        Assert.Equal(0, none.UsefulObservations);
        Assert.False(none.EnoughData);
    }

    // ---- Anhøj: longest run > round(log2 n + 3), crossings < qbinom(0.05, n − 1, 0.5) ----

    [Theory]
    [InlineData(10, 6, 2)] // log2 10 + 3 = 6.32; P(X ≤ 1) = 10/512 < 5% ≤ P(X ≤ 2) = 46/512
    [InlineData(14, 7, 4)] // 6.81; Binomial(13): P(X ≤ 3) = 378/8192 = 4.6%, P(X ≤ 4) = 1093/8192 = 13.3%
    [InlineData(16, 7, 4)] // 7.00; Binomial(15): P(X ≤ 3) = 576/32768 = 1.8%, P(X ≤ 4) = 1941/32768 = 5.9%
    [InlineData(20, 7, 6)] // 7.32
    [InlineData(24, 8, 8)] // 7.58
    [InlineData(30, 8, 10)] // 7.91
    [InlineData(60, 9, 23)] // 8.91
    public void Anhoej_limits(int n, int longestRun, int crossings)
    {
        Assert.Equal(longestRun, RunChart.LongestRunLimit(n));
        Assert.Equal(crossings, RunChart.CrossingsLimit(n));
    }

    [Fact]
    public void Anhoej_flags_a_run_longer_than_the_limit()
    {
        // n = 16: longest-run limit 7, crossings limit 4.
        var result = RunChart.Analyze(Sides("HHHHHHHH" + "LLLLLLLL"), Direction.Decrease, RunChartRules.Anhoej);
        Assert.Equal(16, result.UsefulObservations);
        Assert.Equal(["longest-run", "crossings", "longest-run"], result.Signals.Select(s => s.Kind));
        var below = result.Signals[^1];
        Assert.Equal(new RunChartSignal("longest-run", 8, 15, true, "an unusually long run of 8 weeks below the median (limit 7)"), below);
        Assert.False(result.Signals[0].Improvement);
        Assert.Equal("Improvement: an unusually long run of 8 weeks below the median (limit 7) (wanted: decrease); 2 more signals.", result.Summary);
    }

    [Fact]
    public void Anhoej_a_run_at_the_limit_is_not_a_signal_and_few_crossings_is()
    {
        // Runs 7, 7, 1, 1: 3 crossings < 4.
        var few = RunChart.Analyze(Sides("HHHHHHH" + "LLLLLLL" + "HL"), Direction.Decrease, RunChartRules.Anhoej);
        Assert.DoesNotContain(few.Signals, s => s.Kind == "longest-run");
        var crossings = Only(few, "crossings");
        Assert.False(crossings.Improvement);
        Assert.Equal("Non-random variation: unusually few crossings of the median (3; fewer than 4 for 16 points), a sign of non-random variation (wanted: decrease).", few.Summary);

        // n = 18: limits 7 and 5 (Binomial(17): P(X ≤ 4) = 3214/131072 = 2.5%, P(X ≤ 5) = 9402/131072 = 7.2%).
        // Runs 7, 7, 1, 1, 1, 1: 5 crossings, no signal; a shift of 7 is not a signal under Anhøj at this n.
        var fine = RunChart.Analyze(Sides("HHHHHHH" + "LLLLLLL" + "HLHL"), Direction.Decrease, RunChartRules.Anhoej);
        Assert.Equal(18, fine.UsefulObservations);
        Assert.Empty(fine.Signals);
    }
}
