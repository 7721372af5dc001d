using CoordBot.CheckIns;
using SkiaSharp;
using Xunit;

namespace CoordBot.Tests.CheckIns;

/// <summary>The PNG run chart: size, the embedded font, signal points in their colour, bad input, and the chart in words.</summary>
public sealed class RunChartPngTests
{
    private static readonly ChartPoint[] Weeks =
        [.. Enumerable.Range(0, 12).Select(i => new ChartPoint($"W{i + 1:00}", 10 + i % 3, Highlight: i == 11))];

    [Fact]
    public void A_chart_is_an_800_by_400_png_with_its_signal_point_in_the_signal_colour()
    {
        var png = RunChartPng.Render("Actively homeless", "people", Weeks, 11, 8);
        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal((800, 400), (bitmap.Width, bitmap.Height));
        // Scale over 8 (target) to 12: ticks 8 … 12 at a step of 1; the last point (12, week 12) sits at x = 800 − 24, y = 48.
        Assert.Equal(SKColor.Parse(RunChartSvg.SignalColour), bitmap.GetPixel(800 - 24 - 1, 48));
        Assert.Equal(SKColors.White, bitmap.GetPixel(5, 5));
    }

    [Fact]
    public void Text_is_drawn_with_the_embedded_font_and_an_empty_title_draws_nothing_there()
    {
        Assert.Equal("DejaVu Sans", RunChartPng.Typeface.FamilyName);
        static int Dark(byte[] png)
        {
            using var bitmap = SKBitmap.Decode(png);
            var dark = 0;
            for (var x = 72; x < 400; x++)
                for (var y = 10; y < 32; y++)
                    if (bitmap.GetPixel(x, y).Red < 128) dark++;
            return dark;
        }
        Assert.True(Dark(RunChartPng.Render("Actively homeless", "", Weeks, 11, null)) > 100);
        Assert.Equal(0, Dark(RunChartPng.Render("", "", Weeks, 11, null)));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Bad_values_and_sizes_still_give_a_png(double bad)
    {
        ChartPoint[] points = [new("W01", bad, true), new("W02", null, false)];
        using var bitmap = SKBitmap.Decode(RunChartPng.Render(null!, null!, points, bad, bad, width: 1_000_000, height: -5));
        Assert.Equal((4_000, 120), (bitmap.Width, bitmap.Height));
        Assert.NotNull(SKBitmap.Decode(RunChartPng.Render("x", "y", [], null, null)));
    }

    [Fact]
    public void The_text_alternative_states_the_latest_value_as_of_its_week_the_levels_and_every_signal()
    {
        var initiative = new Initiative(1, 1, "Veterans", [new Metric("actively homeless", "people", Direction.Decrease, Combine.Last)], 130, 0, null,
            DayOfWeek.Monday, new TimeOnly(9, 0), "UTC", 24, RunChartRules.PerlaProvostMurray, "C1", "local", false, "alice", ["alice"]);
        // Ten weeks around 120, then six below the median (a shift, in the wanted direction), then a week with no value.
        double?[] values = [120, 121, 119, 122, 120, 118, 121, 120, 119, 121, 110, 109, 108, 107, 106, 105, null];
        var weeks = values.Select((_, i) => IsoWeeks.Of(new DateOnly(2026, 1, 5).AddDays(7 * i))).ToList();
        var summary = CheckInSummary.Summarize(initiative, 0, weeks,
            weeks.Select((w, i) => (w, v: values[i])).Where(x => x.v is not null).ToDictionary(x => x.w,
                x => new List<CheckIn> { new(x.w, "alice", new Dictionary<string, double> { ["actively homeless"] = x.v!.Value }, "", "", "", "", DateTimeOffset.UnixEpoch) },
                StringComparer.Ordinal),
            new HashSet<string>());

        var content = ChartContent.Of(initiative, summary);
        Assert.Equal(content.AltText, ChartContent.AltTextOf(summary, 0));
        Assert.Equal("Run chart of actively homeless, 17 weeks to 2026-W18. Latest: 105 people in 2026-W17. Median 119; target 0. " +
                     "Signals: ▲ Improvement: a trend of 7 weeks going down (2026-W11–2026-W17); " +
                     "▲ Improvement: a shift of 6 weeks below the median (2026-W12–2026-W17).", content.AltText);
        Assert.Contains("No values yet. No signals.", ChartContent.AltTextOf(summary with { Values = [.. values.Select(_ => (double?)null)],
            Chart = RunChart.Analyze([.. values.Select(_ => (double?)null)], Direction.Decrease) }, null));
    }
}
