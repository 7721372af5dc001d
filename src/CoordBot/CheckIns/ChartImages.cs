using System.Globalization;

namespace CoordBot.CheckIns;

/// <summary>
/// The PNG behind a chart's signed link, for a sender that delivers the image itself (Slack without a public address
/// uploads it as a file). The link is checked as the chart endpoint checks it: a PNG chart path of the message's own
/// workspace, a valid signature, not expired; anything else is no image.
/// </summary>
public sealed class ChartImages(CheckInDigest digests)
{
    /// <summary>The PNG's bytes, or null when the link is not a valid, unexpired PNG chart link of <paramref name="workspace"/> or its chart is gone.</summary>
    public async Task<byte[]?> PngAsync(string workspace, string? link, CancellationToken ct)
    {
        if (Parse(link) is not { } chart || chart.Workspace != workspace) return null;
        var path = CheckInDigest.ChartPath(chart.Workspace, chart.Initiative, chart.Metric, chart.Week, chart.Weeks, ChartFormat.Png);
        if (!digests.VerifyChart(path, chart.Exp, chart.Sig)) return null;
        return await digests.ChartPngAsync(chart.Workspace, chart.Initiative, chart.Metric, chart.Week, chart.Weeks, ct);
    }

    /// <summary>A file name for the chart: <c>run-chart-{initiative}-{metric}-{week}.png</c>, or <c>run-chart.png</c>.</summary>
    public static string FileName(string? link) =>
        Parse(link) is { } c ? string.Create(CultureInfo.InvariantCulture, $"run-chart-{c.Initiative}-{c.Metric + 1}-{c.Week}.png") : "run-chart.png";

    private sealed record Link(string Workspace, long Initiative, int Metric, string Week, int Weeks, string? Exp, string? Sig);

    /// <summary><c>[https://host]/charts/{workspace}/{initiative}/{metric}/{week}.png?weeks=N&amp;exp=…&amp;sig=…</c>, or null.</summary>
    private static Link? Parse(string? link)
    {
        if (link is not { Length: > 0 and <= 2000 }) return null;
        string pathAndQuery;
        if (link.StartsWith('/') && !link.StartsWith("//", StringComparison.Ordinal)) pathAndQuery = link;
        else if (Uri.TryCreate(link, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)) pathAndQuery = uri.PathAndQuery;
        else return null;
        var q = pathAndQuery.IndexOf('?');
        if (q < 0) return null;
        var segments = pathAndQuery[..q].Split('/');
        if (segments is not ["", "charts", var workspace, var initiative, var metric, var file] || !file.EndsWith(".png", StringComparison.Ordinal)) return null;
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pathAndQuery[(q + 1)..].Split('&'))
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0 || !query.TryAdd(pair[..eq], Uri.UnescapeDataString(pair[(eq + 1)..]))) return null;
        }
        var week = file[..^4];
        if (!long.TryParse(initiative, NumberStyles.None, CultureInfo.InvariantCulture, out var initiativeId) ||
            !int.TryParse(metric, NumberStyles.None, CultureInfo.InvariantCulture, out var metricIndex) ||
            !int.TryParse(query.GetValueOrDefault("weeks"), NumberStyles.None, CultureInfo.InvariantCulture, out var weeks) || weeks is < 1 or > 520 ||
            IsoWeeks.Parse(week) is not { } monday || IsoWeeks.Of(monday) != week)
            return null;
        return new Link(Uri.UnescapeDataString(workspace), initiativeId, metricIndex, week, weeks, query.GetValueOrDefault("exp"), query.GetValueOrDefault("sig"));
    }
}
