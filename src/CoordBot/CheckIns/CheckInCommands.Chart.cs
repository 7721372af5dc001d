using CoordBot.Chat;

namespace CoordBot.CheckIns;

public sealed partial class CheckInCommands
{
    /// <summary>The most weeks <c>checkin chart</c> draws (ten years; the chart endpoint takes as many).</summary>
    public const int MaxChartWeeks = 520;

    /// <summary>
    /// <c>checkin chart</c>: each asked metric's run chart (the SVG and PNG at their signed links, which each channel shows as it
    /// can) and its text alternative, only to the asker, like <c>checkin report</c>.
    /// </summary>
    private async Task<Reply> ChartAsync(CommandContext ctx, CancellationToken ct)
    {
        var weeks = ctx.Args.Number("weeks") ?? CheckInSummary.ChartWeeks;
        if (weeks is < 1 or > MaxChartWeeks) return Reply.Error($"--weeks is from 1 to {MaxChartWeeks}.", field: "weeks");
        var (initiative, error) = ctx.Args.Words.Count > 0 ? await ResolveAsync(ctx, ct) : await MineAsync(ctx, ct);
        if (initiative is null) return error!;
        List<int> metrics;
        if (ctx.Args.Text("metric") is { } name)
        {
            var index = initiative.Metrics.ToList().FindIndex(m => string.Equals(m.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));
            if (index < 0)
                return Reply.Error($"{initiative.Label} has no metric \"{(name.Length <= 40 ? name : name[..40] + "…")}\".",
                    $"Its metrics: {string.Join(", ", initiative.Metrics.Select(m => m.Name))}", "metric");
            metrics = [index];
        }
        else metrics = [.. Enumerable.Range(0, initiative.Metrics.Count).Where(i => Metric.TotalOf(initiative.Metrics, initiative.Metrics[i].Name) is null)];

        var week = new CheckInCycle(initiative).WeekAt(ctx.Now);
        var blocks = new List<Block> { new Heading($"{initiative.Name}: run chart{(metrics.Count == 1 ? "" : "s")}, {weeks} weeks to {week}") };
        var first = "";
        foreach (var index in metrics)
        {
            if (await digests.ChartAsync(ctx.WorkspaceId, initiative.Id, index, week, weeks, ct) is not { } chart) continue;
            if (first.Length == 0) first = chart.AltText;
            blocks.Add(new Chart($"Run chart: {initiative.Metrics[index].Name}, {weeks} weeks to {week}",
                digests.ChartLink(ctx.WorkspaceId, initiative, index, week, weeks),
                digests.ChartLink(ctx.WorkspaceId, initiative, index, week, weeks, ChartFormat.Png), chart.AltText));
            // The chart in words too: for screen readers, and where the image cannot show (no public address).
            blocks.Add(new Context(chart.AltText));
        }
        blocks.Add(new Context($"{initiative.Ref} · charts link for {CheckInDigest.ChartLinkLifetime.Days} days · the numbers: checkin report {initiative.Ref}"));
        return new Reply($"{initiative.Name}: {first}", blocks, Ephemeral: true);
    }
}
