using System.Globalization;
using System.Xml.Linq;
using CoordBot.CheckIns;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.CheckIns;

public sealed class SparklineTests
{
    [Fact]
    public void Rising_series_uses_every_block() =>
        Assert.Equal("▁▂▃▄▅▆▇█", Sparkline.Render([1, 2, 3, 4, 5, 6, 7, 8]));

    [Fact]
    public void Extremes_map_to_lowest_and_highest_block() =>
        Assert.Equal("█▁▄▅", Sparkline.Render([10, -4, 2, 3]));

    [Fact]
    public void Missing_weeks_and_non_finite_values_show_a_dot() =>
        Assert.Equal("▁·█··", Sparkline.Render([1, null, 2, double.NaN, double.PositiveInfinity]));

    [Fact]
    public void Flat_series_is_mid_height() =>
        Assert.Equal("▄▄·▄", Sparkline.Render([5, 5, null, 5]));

    [Fact]
    public void Keeps_the_last_twelve_values()
    {
        double?[] values = [100, 100, 0, 7, 0, 7, 0, 7, 0, 7, 0, 7, 0, 7];
        Assert.Equal("▁█▁█▁█▁█▁█▁█", Sparkline.Render(values));
        Assert.Equal("▁█", Sparkline.Render(values, maxPoints: 2));
    }

    [Fact]
    public void Degenerate_input_does_not_throw()
    {
        Assert.Equal("", Sparkline.Render([]));
        Assert.Equal("", Sparkline.Render([1, 2], maxPoints: 0));
        Assert.Equal("··", Sparkline.Render([null, double.NaN]));
        Assert.Equal("▁█", Sparkline.Render([double.MinValue, double.MaxValue]));
    }
}

public sealed class RunChartSvgTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static List<ChartPoint> Weeks(params double?[] values) =>
        values.Select((v, i) => new ChartPoint($"2026-W{i % 52 + 1:00}", v, false)).ToList();

    private static XDocument Parse(string svg)
    {
        var doc = XDocument.Parse(svg);
        Assert.Equal(Svg + "svg", doc.Root!.Name);
        Assert.NotNull(doc.Root.Attribute("viewBox"));
        Assert.NotNull(doc.Root.Element(Svg + "title"));
        Assert.DoesNotContain(doc.Descendants(), e => e.Name.LocalName is "script" or "foreignObject" or "image" or "use");
        Assert.DoesNotContain(doc.Descendants().Attributes(), a => a.Name.LocalName == "href" || a.Name.LocalName.StartsWith("on", StringComparison.Ordinal));
        return doc;
    }

    public static TheoryData<int> Counts => [0, 1, 2, 12, 200];

    [Theory]
    [MemberData(nameof(Counts))]
    public void Renders_any_number_of_points(int count)
    {
        var points = Weeks(Enumerable.Range(0, count).Select(i => (double?)Math.Sin(i) * 50 + 100).ToArray());
        var doc = Parse(RunChartSvg.Render("Actively homeless", "people", points, median: 100, target: 80));
        Assert.Equal(count, doc.Descendants(Svg + "circle").Count());
        // Labels are thinned to fit the width.
        Assert.True(doc.Descendants(Svg + "text").Count(t => (string?)t.Attribute("class") == "x-label") <= 11);
    }

    [Fact]
    public void All_equal_negative_and_missing_values_render()
    {
        Parse(RunChartSvg.Render("t", "u", Weeks(5, 5, 5, 5), median: 5, target: null));
        Parse(RunChartSvg.Render("t", "u", Weeks(-3, -10.5, 0, -1), median: -2, target: -20));
        Parse(RunChartSvg.Render("t", "u", Weeks(null, null), median: null, target: null));
        Parse(RunChartSvg.Render("t", "", Weeks(double.NaN, double.PositiveInfinity, 1e300, -1e300), median: double.NaN, target: double.NegativeInfinity));
        Parse(RunChartSvg.Render("t", "u", Weeks(0, 0), median: 0, target: 0, width: 1, height: 1));
    }

    [Fact]
    public void Missing_weeks_break_the_line()
    {
        var doc = Parse(RunChartSvg.Render("t", "u", Weeks(1, 2, null, 3, 4), median: 2.5, target: null));
        var d = (string)doc.Descendants(Svg + "path").Single(p => (string?)p.Attribute("class") == "series").Attribute("d")!;
        Assert.Equal(2, d.Count(c => c == 'M'));
        Assert.Equal(2, d.Count(c => c == 'L'));
    }

    [Fact]
    public void User_text_is_escaped()
    {
        const string hostile = "<script>alert(1)</script> & \"x\" 'y'";
        var points = new List<ChartPoint> { new(hostile, 1, false), new("2026-W02", 2, true) };
        var svg = RunChartSvg.Render(hostile, hostile, points, median: 1.5, target: 2);
        var doc = Parse(svg);
        Assert.DoesNotContain("<script", svg, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot; &apos;y&apos;", svg);
        Assert.Equal(hostile, doc.Root!.Element(Svg + "title")!.Value);
        Assert.Contains(doc.Descendants(Svg + "text"), t => t.Value == hostile && (string?)t.Attribute("class") == "y-label");
    }

    [Fact]
    public void Control_characters_in_text_do_not_break_the_document() =>
        Parse(RunChartSvg.Render("a\0b\u0001c\ud800", "u\u001f", [new("\u0002", 1, false)], null, null));

    [Fact]
    public void Signal_points_are_larger_and_coloured()
    {
        var points = Weeks(1, 2, 3, 4, 5, 6);
        points[4] = points[4] with { Highlight = true };
        points[5] = points[5] with { Highlight = true };
        var doc = Parse(RunChartSvg.Render("t", "u", points, median: 3.5, target: null));
        var circles = doc.Descendants(Svg + "circle").ToList();
        var signals = circles.Where(c => ((string?)c.Attribute("class"))!.Split(' ').Contains(RunChartSvg.SignalClass)).ToList();
        Assert.Equal(2, signals.Count);
        Assert.NotEmpty(signals);
        Assert.All(signals, c => Assert.Equal(RunChartSvg.SignalColour, (string?)c.Attribute("fill")));
        Assert.NotEmpty(circles.Except(signals));
        Assert.All(circles.Except(signals), c => Assert.NotEqual(RunChartSvg.SignalColour, (string?)c.Attribute("fill")));
        Assert.True((double)signals[0].Attribute("r")! > (double)circles[0].Attribute("r")!);
    }

    [Fact]
    public void Median_and_target_lines_are_labelled()
    {
        var doc = Parse(RunChartSvg.Render("t", "people", Weeks(10, 12, 11), median: 11, target: 5));
        var median = doc.Descendants(Svg + "line").Single(l => (string?)l.Attribute("class") == "median");
        Assert.NotNull(median.Attribute("stroke-dasharray"));
        Assert.Single(doc.Descendants(Svg + "line"), l => (string?)l.Attribute("class") == "target");
        var texts = doc.Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains("median", texts);
        Assert.Contains("target", texts);
        Assert.Contains("people", texts);

        var without = Parse(RunChartSvg.Render("t", "people", Weeks(10, 12, 11), median: 11, target: null));
        Assert.DoesNotContain(without.Descendants(Svg + "line"), l => (string?)l.Attribute("class") == "target");
        Assert.DoesNotContain("target", without.Descendants(Svg + "text").Select(t => t.Value));
    }

    [Fact]
    public void Y_ticks_use_nice_steps()
    {
        var doc = Parse(RunChartSvg.Render("t", "u", Weeks(0, 97), median: null, target: null));
        var ticks = doc.Descendants(Svg + "text").Where(t => (string?)t.Attribute("class") == "y-tick").Select(t => t.Value).ToList();
        Assert.Equal(["0", "20", "40", "60", "80", "100"], ticks);
    }

    [Fact]
    public void Numbers_use_a_dot_under_any_culture()
    {
        var saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = new CultureInfo("de-DE");
            var svg = RunChartSvg.Render("t", "u", Weeks(0.25, 1.5, 0.75), median: 0.75, target: 1.25, width: 333, height: 211);
            var doc = Parse(svg);
            Assert.Contains(doc.Descendants(Svg + "text"), t => t.Value == "0.5");
            foreach (var attribute in doc.Descendants().Attributes().Where(a => a.Name.LocalName is "x" or "y" or "x1" or "y1" or "x2" or "y2" or "cx" or "cy" or "r" or "d"))
            {
                Assert.DoesNotContain(",", attribute.Value);
            }
            Assert.Contains(".", (string)doc.Descendants(Svg + "path").First().Attribute("d")!);
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }
}

public sealed class SignedLinksTests
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 2, 16, 9, 0, 0, TimeSpan.Zero));

    private static (string Path, string Exp, string Sig) Split(string link)
    {
        var q = link.LastIndexOf("?exp=", StringComparison.Ordinal);
        var query = link[(q + 1)..].Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        return (link[..q], query["exp"], query["sig"]);
    }

    [Fact]
    public void Round_trip()
    {
        var links = new SignedLinks(SignedLinks.NewKey(), _clock);
        var link = links.Sign("/charts/ws1/init-7.svg", TimeSpan.FromMinutes(30));
        var (path, exp, sig) = Split(link);
        Assert.Equal("/charts/ws1/init-7.svg", path);
        Assert.Equal(_clock.GetUtcNow().AddMinutes(30).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), exp);
        Assert.DoesNotContain('+', sig);
        Assert.DoesNotContain('/', sig);
        Assert.DoesNotContain('=', sig);
        Assert.True(links.Verify(path, exp, sig));
    }

    [Fact]
    public void Tampering_fails()
    {
        var links = new SignedLinks(SignedLinks.NewKey(), _clock);
        var (path, exp, sig) = Split(links.Sign("/charts/a.svg", TimeSpan.FromHours(1)));
        Assert.False(links.Verify("/charts/b.svg", exp, sig));
        Assert.False(links.Verify(path, (long.Parse(exp, CultureInfo.InvariantCulture) + 3600).ToString(CultureInfo.InvariantCulture), sig));
        Assert.False(links.Verify(path, exp, (sig[0] == 'A' ? 'B' : 'A') + sig[1..]));
        Assert.False(links.Verify(path, exp, sig[..^1]));
        Assert.False(new SignedLinks(SignedLinks.NewKey(), _clock).Verify(path, exp, sig));
    }

    [Fact]
    public void Expired_links_fail()
    {
        var links = new SignedLinks(SignedLinks.NewKey(), _clock);
        var (path, exp, sig) = Split(links.Sign("/charts/a.svg", TimeSpan.FromMinutes(10)));
        _clock.Advance(TimeSpan.FromMinutes(9));
        Assert.True(links.Verify(path, exp, sig));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.False(links.Verify(path, exp, sig));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", "")]
    [InlineData("abc", "abc")]
    [InlineData("-1", "AAAA")]
    [InlineData("99999999999999999999999", "AAAA")]
    [InlineData("１２３", "AAAA")]
    [InlineData("1799999999", "!!!not base64 \ud800")]
    public void Garbage_fails_without_throwing(string? exp, string? sig)
    {
        var links = new SignedLinks(SignedLinks.NewKey(), _clock);
        Assert.False(links.Verify("/charts/a.svg", exp, sig));
        Assert.False(links.Verify(null!, exp, sig));
    }

    [Fact]
    public void New_keys_are_32_random_bytes()
    {
        Assert.Equal(32, SignedLinks.NewKey().Length);
        Assert.NotEqual(SignedLinks.NewKey(), SignedLinks.NewKey());
    }
}
