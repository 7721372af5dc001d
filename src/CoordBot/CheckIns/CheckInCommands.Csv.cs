using System.Globalization;
using CoordBot.Chat;
using CoordBot.Data;

namespace CoordBot.CheckIns;

/// <summary><c>checkin export</c> and <c>checkin import</c>: an initiative's check-ins as CSV, out and in.</summary>
public sealed partial class CheckInCommands
{
    /// <summary><c>checkin export &lt;initiative&gt;</c>: every check-in of the initiative as a CSV file.</summary>
    private async Task<Reply> ExportAsync(CommandContext ctx, CancellationToken ct)
    {
        var (initiative, error) = await ResolveAsync(ctx, ct);
        if (initiative is null) return error!;
        if (ctx.Args.Has("monthly")) return await ExportMonthlyAsync(ctx, initiative, ct);
        if (ctx.Args.Given("months")) return Reply.Error("--months goes with --monthly.", field: "months");
        var history = await checkIns.HistoryAsync(ctx.WorkspaceId, initiative.Id, null, ct);
        var name = $"checkins-{initiative.Ref}-{Database.Day(ctx.Today)}.csv";
        var text = $"Exported {CountOf(history.Count, "check-in")} of {initiative.Label}" +
                   (history.Count == 0 ? "" : $", {WeekRange(history.Select(c => c.Week))}");
        return new Reply($"{text} to {name}",
            [new Paragraph(text + "."), new FileAttachment(name, "text/csv", csv.Write(initiative, history))], Ephemeral: true);
    }

    /// <summary><c>checkin export &lt;initiative&gt; --monthly</c>: the monthly roll-up as CSV, the same columns as the report's table.</summary>
    private async Task<Reply> ExportMonthlyAsync(CommandContext ctx, Initiative initiative, CancellationToken ct)
    {
        if (Months(ctx) is not { } months) return MonthsError;
        var (_, rows) = await digests.MonthlyAsync(ctx.WorkspaceId, initiative, new CheckInCycle(initiative).WeekAt(ctx.Now), months, ct);
        var name = $"monthly-{initiative.Ref}-{Database.Day(ctx.Today)}.csv";
        var text = $"Exported {CountOf(rows.Count, "month")} of {initiative.Label}" + (rows.Count == 0 ? "" : $", {rows[0].Label} to {rows[^1].Label}");
        return new Reply($"{text} to {name}", [new Paragraph(text + "."),
            new FileAttachment(name, "text/csv", CheckInCsv.WriteRows(MonthlyRollup.Columns(initiative), rows.Select(r => MonthlyRollup.Cells(initiative, r))))], Ephemeral: true);
    }

    /// <summary><c>checkin import &lt;initiative&gt;</c> with the CSV after the command (or attached): all rows or none.</summary>
    private async Task<Reply> ImportAsync(CommandContext ctx, CancellationToken ct)
    {
        var (initiative, error) = await ResolveAsync(ctx, ct);
        if (initiative is null) return error!;
        if (!ctx.CanManage(initiative.CreatedBy))
            return Reply.Error($"Only {initiative.CreatedBy}, who set up {initiative.Label}, or a workspace admin can import check-ins into it.");
        if (string.IsNullOrWhiteSpace(ctx.Body))
            return Reply.Error($"Attach a CSV file, or paste the CSV on the lines after checkin import {initiative.Ref}.", ImportColumns(initiative));

        var result = csv.Read(ctx.Body, initiative, ctx.UserId, ctx.Now, IsoWeeks.Of(Today(initiative, ctx.Now)));
        if (result.FileError is { } fileError) return Reply.Error($"Nothing imported: {fileError}", ImportColumns(initiative));
        if (result.Errors.Count > 0)
        {
            var shown = result.Errors.Count > 20 ? $" (first 20 of {result.Errors.Count} shown)" : "";
            return new Reply($"Nothing imported: {CountOf(result.Errors.Count, "row")} with errors.",
            [
                new Paragraph($"Nothing imported into {initiative.Label}: {CountOf(result.Errors.Count, "row")} with errors{shown}. Fix them and import the file again."),
                new ItemList(result.Errors.Take(20).Select(e => new ListItem($"row {e.Row}", e.Message)).ToList()),
            ], Ephemeral: true, IsError: true);
        }

        var replaced = await checkIns.ImportAsync(ctx.WorkspaceId, initiative.Id, result.Rows, ct);
        var nonMembers = result.Rows.Where(r => !initiative.Members.Contains(r.Member)).Select(r => r.Member).Distinct().Order(StringComparer.Ordinal).ToList();
        var nonMemberRows = result.Rows.Count(r => !initiative.Members.Contains(r.Member));
        // The community's numbers are imported as they are; weeks that break the balance are named so they can be checked.
        var weeks = result.Rows.Select(r => r.Week).ToList();
        var imbalances = weeks.Count == 0 ? [] : await digests.ImbalancesAsync(ctx.WorkspaceId, initiative,
            weeks.Min(StringComparer.Ordinal)!, weeks.Max(StringComparer.Ordinal)!, ct);
        var text = $"Imported {CountOf(result.Rows.Count, "check-in")} into {initiative.Label}, {WeekRange(result.Rows.Select(r => r.Week))}; " +
                   $"{CountOf(replaced, "replaced an existing one", "replaced existing ones")}" +
                   (nonMemberRows > 0 ? $"; {CountOf(nonMemberRows, "is", "are")} for non-members." : ".") +
                   (imbalances.Count > 0 ? $" {CountOf(imbalances.Count, "week is", "weeks are")} out of balance." : "");
        var blocks = new List<Block> { new Paragraph(text) };
        if (nonMembers.Count > 0)
            blocks.Add(new Context($"Not members of {initiative.Label}: {string.Join(", ", nonMembers.Take(10).Select(m => "@" + m))}" +
                                   (nonMembers.Count > 10 ? $" and {nonMembers.Count - 10} more" : "") + "."));
        if (result.Superseded > 0)
            blocks.Add(new Context($"{CountOf(result.Superseded, "row was", "rows were")} replaced by a later row for the same week and member."));

        if (imbalances.Count > 0)
        {
            blocks.Add(new Paragraph($"⚠ {CountOf(imbalances.Count, "imported week is", "imported weeks are")} out of balance " +
                                     "(actively homeless should be last week's + inflow − outflow); they were imported as they are:"));
            blocks.Add(new ItemList(imbalances.Take(20).Select(w => new ListItem(w.Text)).ToList()));
            if (imbalances.Count > 20) blocks.Add(new Context($"and {imbalances.Count - 20} more: checkin report {initiative.Ref} --weeks 156"));
        }
        return new Reply(text, blocks, Ephemeral: true);
    }

    private static string ImportColumns(Initiative initiative) =>
        $"The first row names the columns: week (2026-W07 or a date in that week), optional member (@U123; else you), " +
        $"one per metric ({string.Join(", ", initiative.Metrics.Select(m => m.Name))}), optional {string.Join(", ", CheckInCsv.TrailingColumns)}.";

    private static string WeekRange(IEnumerable<string> weeks)
    {
        var ordered = weeks.Order(StringComparer.Ordinal).ToList();
        return ordered[0] == ordered[^1] ? $"week {ordered[0]}" : $"weeks {ordered[0]}–{ordered[^1]}";
    }

    private static string CountOf(int n, string one, string? many = null) =>
        $"{n.ToString("N0", CultureInfo.InvariantCulture)} {(n == 1 ? one : many ?? one + "s")}";
}
