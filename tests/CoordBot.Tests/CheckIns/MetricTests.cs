using System.Globalization;
using CoordBot.CheckIns;
using Xunit;

namespace CoordBot.Tests.CheckIns;

public sealed class MetricTests
{
    [Theory]
    [InlineData("actively homeless:people:decrease", "actively homeless:people:decrease:last")]
    [InlineData("housed:households:increase:sum", "housed:households:increase:sum")]
    [InlineData(" days to house : days : DECREASE : Last ", "days to house:days:decrease:last")]
    public void Valid_specs_parse(string spec, string canonical)
    {
        var (metric, error) = Metric.Parse(spec);
        Assert.Null(error);
        Assert.Equal(canonical, metric!.Spec);
    }

    [Theory]
    [InlineData("housed", "needs 3 or 4 parts")]
    [InlineData("housed:people:up", "\"up\" is not a direction")]
    [InlineData("housed:people:increase:avg", "\"avg\" is not a way to combine")]
    [InlineData(":people:increase", "must be 1 to 60 characters")]
    [InlineData("a=b:people:increase", "without '=' or ','")]
    [InlineData("housed::increase", "The unit of \"housed\"")]
    [InlineData("a:b:c:d:e", "needs 3 or 4 parts")]
    public void Bad_specs_name_the_part_at_fault(string spec, string message)
    {
        var (metric, error) = Metric.Parse(spec);
        Assert.Null(metric);
        Assert.Contains(message, error);
        Assert.Contains("NAME:UNIT:decrease|increase[:last|sum]", error);
    }

    [Fact]
    public void Week_values_combine_by_last_or_sum()
    {
        Assert.Equal(7, Metric.BuiltForZero[0].WeekValue([10, 7]));   // actively homeless: the latest count stands
        Assert.Equal(17, Metric.BuiltForZero[2].WeekValue([10, 7]));  // outflow: housings add up
        Assert.Null(Metric.BuiltForZero[1].WeekValue([]));
    }

    [Theory]
    [InlineData("2026-02-11", "2026-W07", "2026-02-09")]
    [InlineData("2027-01-01", "2026-W53", "2026-12-28")]   // 2026 has 53 ISO weeks
    [InlineData("2024-12-30", "2025-W01", "2024-12-30")]
    public void Iso_weeks(string date, string week, string monday)
    {
        var day = DateOnly.Parse(date, CultureInfo.InvariantCulture);
        Assert.Equal(week, IsoWeeks.Of(day));
        Assert.Equal(DateOnly.Parse(monday, CultureInfo.InvariantCulture), IsoWeeks.Parse(week));
        Assert.Equal(DateOnly.Parse(monday, CultureInfo.InvariantCulture), IsoWeeks.Parse(date));
        Assert.Equal(DateOnly.Parse(monday, CultureInfo.InvariantCulture), IsoWeeks.Parse(week.Replace("-", "")));
    }

    [Theory]
    [InlineData("2025-W53")]   // 2025 has 52 weeks
    [InlineData("2026-W00")]
    [InlineData("W07")]
    [InlineData("2026-13-01")]
    [InlineData("next week")]
    public void Bad_weeks_are_refused(string text) => Assert.Null(IsoWeeks.Parse(text));

    [Fact]
    public void Projection_by_least_squares()
    {
        // 100, 95, 90, 85: five fewer a week; zero is reached at week 20.
        var (at, away) = Projection.WhenReached([(0, 100), (1, 95), (2, 90), (3, 85)], 0);
        Assert.False(away);
        Assert.Equal(20, at!.Value, 6);

        // Noisy data, checked by hand: x̄ = 2.5, ȳ = 92.5, Sxx = 17.5, Sxy = −54.5, so the slope is −54.5/17.5 ≈ −3.114 a week
        // and the intercept 92.5 + 2.5 × 54.5/17.5 = 100.286; zero at 100.286/3.114 = 1755/54.5 ≈ 32.2018. (The line through
        // the first and last points, −3.2 a week, would reach it at 31.25; the mean slope of the steps at the same.)
        var (noisy, _) = Projection.WhenReached([(0, 100), (1, 97), (2, 95), (3, 90), (4, 89), (5, 84)], 0);
        Assert.Equal(1755 / 54.5, noisy!.Value, 9);
        Assert.Equal(32.2018348, noisy.Value, 6);

        // Rising while the aim is zero: the trend points away.
        Assert.Equal((null, true), Projection.WhenReached([(0, 10), (1, 12), (2, 14)], 0));
        // Already past the target on the way there: reached at week 2 of 4.
        Assert.Equal(2, Projection.WhenReached([(0, 20), (1, 10), (2, 0), (3, -10)], 0).WeekIndex!.Value, 6);
        // Flat, or too few points: no projection.
        Assert.Equal((null, false), Projection.WhenReached([(0, 5), (1, 5), (2, 5)], 0));
        Assert.Equal((null, false), Projection.WhenReached([(0, 5), (1, 4)], 0));
    }
}
