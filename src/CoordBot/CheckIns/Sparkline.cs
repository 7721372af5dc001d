namespace CoordBot.CheckIns;

/// <summary>
/// A one-line Unicode block sparkline for the weekly digest (▁▂▃▄▅▆▇█), one character per week.
/// A missing week (null, NaN or ±∞) is shown as <see cref="Missing"/> ("·") rather than a space,
/// because chat clients trim and collapse spaces. A flat series is drawn at mid-height ("▄").
/// </summary>
public static class Sparkline
{
    /// <summary>The character drawn for a week without a value.</summary>
    public const char Missing = '·';

    private const string Blocks = "▁▂▃▄▅▆▇█";
    private const char Flat = '▄';

    /// <summary>Renders the last <paramref name="maxPoints"/> values, lowest as ▁ and highest as █; never throws.</summary>
    public static string Render(IReadOnlyList<double?> values, int maxPoints = 12)
    {
        if (values is null || values.Count == 0 || maxPoints <= 0) return "";
        var start = Math.Max(0, values.Count - maxPoints);
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        for (var i = start; i < values.Count; i++)
        {
            if (values[i] is double v && double.IsFinite(v))
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        }

        var chars = new char[values.Count - start];
        for (var i = start; i < values.Count; i++)
        {
            chars[i - start] = values[i] is double v && double.IsFinite(v) ? Block(v, min, max) : Missing;
        }
        return new string(chars);
    }

    private static char Block(double value, double min, double max)
    {
        if (max <= min) return Flat;
        // Halved so that the span of two extreme finite doubles cannot overflow to infinity.
        var ratio = (value / 2 - min / 2) / (max / 2 - min / 2);
        var index = (int)Math.Round(ratio * (Blocks.Length - 1), MidpointRounding.AwayFromZero);
        return Blocks[Math.Clamp(index, 0, Blocks.Length - 1)];
    }
}
