using CoordBot.CheckIns;
using Xunit;

namespace CoordBot.Tests.CheckIns;

/// <summary>
/// Run-chart edges that mutation testing found unpinned (docs/mutation-testing.md): the exact quartiles behind the
/// astronomical fences, a flat middle, trends at either end of the series, the order of signals that start in the
/// same week, and which signal the summary names. Every figure is worked out by hand in the comments.
/// </summary>
public sealed class RunChartEdgeTests
{
    private static double?[] Series(params double[] values) => [.. values.Select(v => (double?)v)];

    [Fact]
    public void No_series_is_refused_by_name()
    {
        var error = Assert.Throws<ArgumentNullException>(() => RunChart.Analyze(null!, Direction.Increase));
        Assert.Equal("values", error.ParamName);
    }

    // Eleven values 0, 4, …, 40 and a twelfth, the largest. Quartiles by linear interpolation (QUARTILE.INC): Q1 at
    // (12 − 1) × 0.25 = 2.75, between the 3rd and 4th values, 8 + 0.75 × 4 = 11; Q3 at 8.25, 32 + 0.25 × 4 = 33. IQR 22,
    // so the fences are 11 − 66 = −55 and 33 + 66 = 99. The order zigzags around the median 22 (no trend, 10 runs, within
    // the 3 to 11 for 12 points): the astronomical rule alone can speak.
    private static double?[] Fenced(double last) => Series(16, 0, 36, 8, 28, 4, 40, 12, 24, 20, 32, last);

    [Fact]
    public void A_point_on_the_far_out_fence_is_not_astronomical_and_one_just_beyond_it_is()
    {
        var on = RunChart.Analyze(Fenced(99), Direction.Increase);
        Assert.Equal((22.0, 12, 10), (on.Median!.Value, on.UsefulObservations, on.Runs));
        Assert.Empty(on.Signals);

        // 99.456 is shown to two decimals.
        var beyond = RunChart.Analyze(Fenced(99.456), Direction.Increase);
        Assert.Equal(new RunChartSignal("astronomical", 11, 11, true, "an astronomical point: 99.46 in week 12, far above the rest"), Assert.Single(beyond.Signals));
        Assert.Equal("Improvement: an astronomical point: 99.46 in week 12, far above the rest (wanted: increase).", beyond.Summary);
    }

    [Fact]
    public void When_most_weeks_share_one_value_no_point_is_astronomical()
    {
        // 30 weeks: twenty 5s, and 1, 2, 8, 9 around them. The sorted middle half is all 5s, so Q1 = Q3 = 5 and the IQR is 0:
        // no fence can be drawn, and 9 or 1 is not called astronomical. (Ten useful points, so the rules do run.)
        double[] values = [5, 1, 5, 9, 5, 5, 2, 5, 8, 5, 5, 1, 5, 9, 5, 5, 2, 5, 8, 5, 5, 1, 5, 9, 5, 5, 5, 5, 5, 5];
        var result = RunChart.Analyze(Series(values), Direction.Decrease);
        Assert.Equal((5.0, 10), (result.Median!.Value, result.UsefulObservations));
        Assert.True(result.EnoughData);
        Assert.DoesNotContain(result.Signals, s => s.Kind == "astronomical");
    }

    [Fact]
    public void A_trend_that_ends_with_the_series_is_found()
    {
        // 16, 17, 18, 19, 20 close the series after a fall from 26: five points going up, weeks 7–11. Median 18 (10 useful
        // points), sides − + − + − + − − + +: no shift, 8 runs (3 to 9 for 10 points); fences −9 and 47: nothing else.
        var result = RunChart.Analyze(Series(10, 30, 12, 28, 14, 26, 16, 17, 18, 19, 20), Direction.Increase);
        Assert.Equal(new RunChartSignal("trend", 6, 10, true, "a trend of 5 weeks going up"), Assert.Single(result.Signals));
    }

    [Fact]
    public void Signals_that_start_in_the_same_week_come_shortest_first_and_the_summary_names_the_latest_directional_one()
    {
        // Weeks 1–8 high (20 … 26), weeks 9–20 low, 5 and 7 in turn. Median 7 (the 10th and 11th of the sorted 20 are 7s), so
        // the six 7s are not useful: 14 useful points in 2 runs, fewer than the 4 that 14 points allow. From week 1 a trend
        // up of 5 points (20 → 24, then 23) and a shift above of 8; from week 9 a shift below of the six 5s (weeks 9–19).
        // The trend starts with the series (its first step is up), and is listed before the longer shift that starts with it.
        var result = RunChart.Analyze(Series(20, 21, 22, 23, 24, 23, 25, 26, 5, 7, 5, 7, 5, 7, 5, 7, 5, 7, 5, 7), Direction.Decrease);
        Assert.Equal((7.0, 14, 2), (result.Median!.Value, result.UsefulObservations, result.Runs));
        Assert.Equal([("trend", 0, 4), ("shift", 0, 7), ("runs", 0, 18), ("shift", 8, 18)], result.Signals.Select(s => (s.Kind, s.FirstIndex, s.LastIndex)));
        Assert.Equal([false, false, false, true], result.Signals.Select(s => s.Improvement));
        // The shift below and the runs signal both end in week 19; the directional one is the headline.
        Assert.Equal("Improvement: a shift of 6 weeks below the median (wanted: decrease); 3 more signals.", result.Summary);
    }

    [Fact]
    public void Too_many_runs_alone_is_called_non_random_and_with_a_later_point_it_is_the_one_more_signal()
    {
        // 10 and 20 in turn for 20 weeks: median 15, 20 runs, more than the 16 that 20 points allow; no trend (every step turns).
        var zigzag = Enumerable.Range(0, 20).Select(i => i % 2 == 0 ? 10.0 : 20.0).ToArray();
        var alone = RunChart.Analyze(Series(zigzag), Direction.Increase);
        Assert.Equal(new RunChartSignal("runs", 0, 19, false,
            "too many runs (20; random variation gives 6 to 16 for 20 points), a sign of non-random variation"), Assert.Single(alone.Signals));
        Assert.Equal("Non-random variation: too many runs (20; random variation gives 6 to 16 for 20 points), a sign of non-random variation " +
                     "(wanted: increase).", alone.Summary);

        // The last 20 becomes 200: Q1 10, Q3 20, fence 20 + 3 × 10 = 50, so it is astronomical. It ends in the same week as the
        // runs signal and, being directional, is the headline; the runs signal is the one more.
        zigzag[19] = 200;
        var both = RunChart.Analyze(Series(zigzag), Direction.Increase);
        Assert.Equal(["runs", "astronomical"], both.Signals.Select(s => s.Kind));
        Assert.Equal("Improvement: an astronomical point: 200 in week 20, far above the rest (wanted: increase); 1 more signal.", both.Summary);
    }
}
