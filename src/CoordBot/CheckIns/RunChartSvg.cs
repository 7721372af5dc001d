using System.Globalization;
using System.Text;
using System.Xml;

namespace CoordBot.CheckIns;

/// <summary>One week on a run chart. <paramref name="Highlight"/> marks a point that is part of a signal.</summary>
public sealed record ChartPoint(string Label, double? Value, bool Highlight);

/// <summary>
/// A run chart as a self-contained SVG 1.1 document written by hand: no scripts, no external
/// references, all user text XML-escaped and all numbers in the invariant culture. Missing weeks
/// (null, NaN, ±∞) break the line. Never throws.
/// </summary>
public static class RunChartSvg
{
    /// <summary>The class and colour of a highlighted (signal) point.</summary>
    public const string SignalClass = "signal";
    public const string SignalColour = "#d62728";
    private const string LineColour = "#1f77b4";
    private const string MedianColour = "#7f7f7f";
    private const string TargetColour = "#2ca02c";

    private const double Left = 64, Right = 20, Top = 40, Bottom = 44;

    /// <remarks>With <paramref name="phases"/>, each phase's median is drawn over its own weeks, labelled with its note, instead of one median.</remarks>
    public static string Render(string title, string unit, IReadOnlyList<ChartPoint> points, double? median, double? target, int width = 720, int height = 320,
        IReadOnlyList<PhaseSpan>? phases = null)
    {
        title ??= "";
        unit ??= "";
        points ??= [];
        width = Math.Clamp(width, 200, 10_000);
        height = Math.Clamp(height, 120, 10_000);
        median = Finite(median);
        target = Finite(target);

        var plotW = width - Left - Right;
        var plotH = height - Top - Bottom;
        var (lo, hi, ticks) = Scale(points.Select(p => Finite(p?.Value)).Append(median).Append(target).Concat(phases?.Select(p => Finite(p.Median)) ?? []));
        double Y(double v) => Top + plotH * (hi / 2 - v / 2) / (hi / 2 - lo / 2);
        double X(int i) => points.Count == 1 ? Left + plotW / 2 : Left + plotW * i / (points.Count - 1);

        var svg = new StringBuilder();
        svg.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"chart-title\" font-family=\"sans-serif\" font-size=\"11\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<title id=\"chart-title\">{Escape(title)}</title>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"chart-title\" x=\"{N(Left)}\" y=\"24\" font-size=\"15\" font-weight=\"bold\">{Escape(title)}</text>\n");

        // Y ticks with grid lines, then the axes.
        foreach (var tick in ticks)
        {
            var y = Y(tick);
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{N(Left)}\" y1=\"{N(y)}\" x2=\"{N(width - Right)}\" y2=\"{N(y)}\" stroke=\"#e5e5e5\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"y-tick\" x=\"{N(Left - 6)}\" y=\"{N(y + 4)}\" text-anchor=\"end\">{TickLabel(tick, ticks)}</text>\n");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{N(Left)}\" y1=\"{N(Top)}\" x2=\"{N(Left)}\" y2=\"{N(Top + plotH)}\" stroke=\"#333333\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{N(Left)}\" y1=\"{N(Top + plotH)}\" x2=\"{N(width - Right)}\" y2=\"{N(Top + plotH)}\" stroke=\"#333333\"/>\n");
        if (unit.Length > 0)
        {
            var cy = Top + plotH / 2;
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"y-label\" x=\"14\" y=\"{N(cy)}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {N(cy)})\">{Escape(unit)}</text>\n");
        }

        // X labels, thinned so that each has about 64 px.
        if (points.Count > 0)
        {
            var room = Math.Max(1, (int)(plotW / 64));
            var stride = (points.Count + room - 1) / room;
            for (var i = 0; i < points.Count; i += stride)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<text class=\"x-label\" x=\"{N(X(i))}\" y=\"{N(Top + plotH + 18)}\" text-anchor=\"middle\">{Escape(points[i]?.Label ?? "")}</text>\n");
            }
        }

        if (phases is not null && points.Count > 1)
        {
            foreach (var phase in phases)
            {
                if (Finite(phase.Median) is not double pm) continue;
                var (x1, x2, y) = (X(Math.Clamp(phase.First, 0, points.Count - 1)), X(Math.Clamp(phase.Last, 0, points.Count - 1)), Y(pm));
                svg.Append(CultureInfo.InvariantCulture, $"<line class=\"median phase\" x1=\"{N(x1)}\" y1=\"{N(y)}\" x2=\"{N(x2)}\" y2=\"{N(y)}\" stroke=\"{MedianColour}\" stroke-dasharray=\"6 4\"/>\n");
                svg.Append(CultureInfo.InvariantCulture, $"<text class=\"median-label\" x=\"{N(x1 + 2)}\" y=\"{N(y - 4)}\" fill=\"{MedianColour}\">{Escape(phase.Note ?? "median")}</text>\n");
            }
        }
        else if (median is double m)
        {
            var y = Y(m);
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"median\" x1=\"{N(Left)}\" y1=\"{N(y)}\" x2=\"{N(width - Right)}\" y2=\"{N(y)}\" stroke=\"{MedianColour}\" stroke-dasharray=\"6 4\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"median-label\" x=\"{N(width - Right - 2)}\" y=\"{N(y - 4)}\" text-anchor=\"end\" fill=\"{MedianColour}\">median</text>\n");
        }
        if (target is double t)
        {
            var y = Y(t);
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"target\" x1=\"{N(Left)}\" y1=\"{N(y)}\" x2=\"{N(width - Right)}\" y2=\"{N(y)}\" stroke=\"{TargetColour}\" stroke-dasharray=\"2 3\" stroke-width=\"1.5\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"target-label\" x=\"{N(width - Right - 2)}\" y=\"{N(y - 4)}\" text-anchor=\"end\" fill=\"{TargetColour}\">target</text>\n");
        }

        // The data line: a new sub-path after each missing week.
        var path = new StringBuilder();
        var pen = false;
        for (var i = 0; i < points.Count; i++)
        {
            if (Finite(points[i]?.Value) is double v)
            {
                path.Append(path.Length == 0 ? "" : " ").Append(pen ? 'L' : 'M').Append(N(X(i))).Append(' ').Append(N(Y(v)));
                pen = true;
            }
            else pen = false;
        }
        if (path.Length > 0)
            svg.Append(CultureInfo.InvariantCulture, $"<path class=\"series\" d=\"{path}\" fill=\"none\" stroke=\"{LineColour}\" stroke-width=\"2\"/>\n");

        for (var i = 0; i < points.Count; i++)
        {
            if (points[i] is not { } p || Finite(p.Value) is not double v) continue;
            var tip = $"<title>{Escape(p.Label ?? "")}: {v.ToString("G10", CultureInfo.InvariantCulture)}</title>";
            svg.Append(p.Highlight
                ? $"<circle class=\"point {SignalClass}\" cx=\"{N(X(i))}\" cy=\"{N(Y(v))}\" r=\"5\" fill=\"{SignalColour}\">{tip}</circle>\n"
                : $"<circle class=\"point\" cx=\"{N(X(i))}\" cy=\"{N(Y(v))}\" r=\"3\" fill=\"{LineColour}\">{tip}</circle>\n");
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>Escapes &amp; &lt; &gt; " ' and drops characters XML 1.0 cannot carry (control characters, lone surrogates).</summary>
    public static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[++i]);
                continue;
            }
            if (!XmlConvert.IsXmlChar(c)) continue;
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&apos;",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }

    internal static double? Finite(double? value) => value is double v && double.IsFinite(v) ? v : null;

    /// <summary>The y range and its ticks: about five at a "nice" step (1, 2, 2.5 or 5 × 10^k).</summary>
    internal static (double Lo, double Hi, IReadOnlyList<double> Ticks) Scale(IEnumerable<double?> values)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var value in values)
        {
            if (value is not double v) continue;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        if (min > max) (min, max) = (0, 1);
        if (min == max)
        {
            var pad = min == 0 ? 1 : Math.Abs(min) * 0.1;
            (min, max) = (min - pad, max + pad);
        }

        var step = NiceStep((max / 2 - min / 2) * 2 / 5);
        if (double.IsFinite(step) && step > 0)
        {
            var lo = Math.Floor(min / step) * step;
            var hi = Math.Ceiling(max / step) * step;
            var count = (int)Math.Round((hi - lo) / step);
            if (double.IsFinite(lo) && double.IsFinite(hi) && hi > lo && count is > 0 and <= 20)
            {
                var ticks = Enumerable.Range(0, count + 1).Select(k => lo + k * step).ToList();
                return (lo, hi, ticks);
            }
        }
        return (min, max, [min, max]);
    }

    private static double NiceStep(double rough)
    {
        if (!double.IsFinite(rough) || rough <= 0) return double.NaN;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        var fraction = rough / magnitude;
        var nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10;
        return nice * magnitude;
    }

    internal static string TickLabel(double value, IReadOnlyList<double> ticks)
    {
        var step = ticks.Count > 1 ? Math.Abs(ticks[1] - ticks[0]) : 1;
        var decimals = step > 0 && double.IsFinite(step) ? Math.Clamp((int)Math.Ceiling(-Math.Log10(step) - 1e-9) + 1, 0, 10) : 2;
        var rounded = Math.Round(value, decimals);
        if (rounded == 0) rounded = 0; // no "-0"
        return rounded.ToString("0.##########", CultureInfo.InvariantCulture);
    }

    /// <summary>A coordinate with at most two decimals, always with '.'.</summary>
    private static string N(double value) =>
        double.IsFinite(value) ? Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture) : "0";
}
