using System.Globalization;
using CoordBot.CheckIns;

namespace CoordBot.Host;

/// <summary>
/// <c>GET /charts/{workspace}/{initiative}/{metric}/{week}.svg?weeks=N&amp;exp=…&amp;sig=…</c> (and <c>.png</c>): a run chart
/// behind a signed link that expires (the digest and the report hand them out). The signature covers the whole path,
/// its extension and the weeks, so no other workspace's, initiative's or metric's chart can be reached by editing it.
/// </summary>
public static class ChartEndpoints
{
    public static void MapCharts(this WebApplication app)
    {
        app.MapGet("/charts/{workspace}/{initiative}/{metric}/{week}.svg", (string workspace, string initiative, string metric, string week,
                HttpContext context, CheckInDigest digests, CancellationToken ct) =>
            ServeAsync(ChartFormat.Svg, workspace, initiative, metric, week, context, digests, ct));
        app.MapGet("/charts/{workspace}/{initiative}/{metric}/{week}.png", (string workspace, string initiative, string metric, string week,
                HttpContext context, CheckInDigest digests, CancellationToken ct) =>
            ServeAsync(ChartFormat.Png, workspace, initiative, metric, week, context, digests, ct));
    }

    private static async Task<IResult> ServeAsync(ChartFormat format, string workspace, string initiative, string metric, string week,
        HttpContext context, CheckInDigest digests, CancellationToken ct)
    {
        var query = context.Request.Query;
        if (!long.TryParse(initiative, NumberStyles.None, CultureInfo.InvariantCulture, out var initiativeId) ||
            !int.TryParse(metric, NumberStyles.None, CultureInfo.InvariantCulture, out var metricIndex) ||
            !int.TryParse(query["weeks"], NumberStyles.None, CultureInfo.InvariantCulture, out var weeks) || weeks is < 1 or > 520 ||
            IsoWeeks.Parse(week) is not { } monday || IsoWeeks.Of(monday) != week)
            return Results.Json(new { error = "This is not a chart link: /charts/{workspace}/{initiative}/{metric}/{ISO week}.svg (or .png)?weeks=N&exp=…&sig=…" },
                statusCode: StatusCodes.Status400BadRequest);
        var path = CheckInDigest.ChartPath(workspace, initiativeId, metricIndex, week, weeks, format);
        if (!digests.VerifyChart(path, query["exp"], query["sig"]))
            return Results.Json(new { error = "This chart link is not valid or has expired. Ask CoordBot for a fresh one: checkin report." },
                statusCode: StatusCodes.Status401Unauthorized);
        if (await digests.ChartAsync(workspace, initiativeId, metricIndex, week, weeks, ct) is not { } chart)
            return Results.Json(new { error = "That initiative or metric no longer exists." }, statusCode: StatusCodes.Status404NotFound);
        context.Response.Headers.CacheControl = "private, max-age=300";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        if (format == ChartFormat.Png)
            return Results.Bytes(RunChartPng.Render(chart.Title, chart.Unit, chart.Points, chart.Median, chart.Target, phases: chart.Phases), "image/png");
        // An SVG opened directly is a document: no scripts, no outside resources, whatever it contains.
        context.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'";
        return Results.Text(RunChartSvg.Render(chart.Title, chart.Unit, chart.Points, chart.Median, chart.Target, phases: chart.Phases),
            "image/svg+xml; charset=utf-8");
    }
}
