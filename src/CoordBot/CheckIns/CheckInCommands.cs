using System.Globalization;
using System.Text.RegularExpressions;
using CoordBot.Chat;
using CoordBot.Workspaces;

namespace CoordBot.CheckIns;

/// <summary>The <c>checkin</c> command: initiatives with a measurable aim and their weekly check-ins.</summary>
public sealed partial class CheckInCommands(InitiativeStore store)
{
    public CommandGroup Group => new("checkin", "weekly progress check-ins toward a measurable aim",
    [
        new("checkin", "setup",
            "checkin setup <initiative name> --metric \"NAME:UNIT:decrease|increase[:last|sum]\" [--metric ...] [--baseline N] [--target N] [--by DATE] " +
            "[--every mon 09:00] [--tz ZONE] [--members @a @b...] [--nudge-after HOURS] [--rules anhoej] [--template bfz]",
            "Create an initiative with a measurable aim, its weekly check-in and its members; this channel gets the digest.",
            [new("metric", FlagKind.Text, "NAME:UNIT:decrease|increase[:last|sum]; give one --metric per metric", Repeatable: true),
             new("baseline", FlagKind.Text, "where the first metric started"),
             new("target", FlagKind.Text, "the first metric's target"),
             new("by", FlagKind.Date, "when the target should be reached"),
             new("every", FlagKind.Text, "weekday and time of the check-in, e.g. mon 09:00"),
             new("tz", FlagKind.Text, "IANA time zone of the check-in (default the workspace's)"),
             new("members", FlagKind.Text, "who checks in: @a @b (also after the other flags)"),
             new("nudge-after", FlagKind.Number, "hours before one reminder to those who have not answered (default 24)"),
             new("rules", FlagKind.Choice, "run-chart rules", ["ppm", "anhoej"]),
             new("template", FlagKind.Choice, "bfz adds the Built for Zero metrics: actively homeless, inflow, outflow", ["bfz"])],
            ["checkin setup \"Veteran homelessness\" --template bfz --baseline 120 --target 0 --by 2027-12-31 --every mon 09:00 --members @ana @ben"],
            SetupAsync),
        new("checkin", "list", "checkin list", "The initiatives of this workspace.", [], ["checkin list"], ListAsync),
        new("checkin", "pause", "checkin pause <initiative>", "Stop the prompts (creator or admin).", [], ["checkin pause I1"], (c, t) => PauseAsync(c, true, t)),
        new("checkin", "resume", "checkin resume <initiative>", "Restart the prompts (creator or admin).", [], ["checkin resume I1"], (c, t) => PauseAsync(c, false, t)),
        new("checkin", "remove", "checkin remove <initiative>", "Delete an initiative (creator or admin).", [], ["checkin remove I1"], RemoveAsync),
    ]);

    private static readonly string[] Days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    private async Task<Reply> SetupAsync(CommandContext ctx, CancellationToken ct)
    {
        // Positional words: the name, plus any @members and an HH:mm that belong to --members / --every.
        var words = ctx.Args.Words;
        var time = words.FirstOrDefault(w => TimeRegex().IsMatch(w));
        var extraMembers = words.Where(w => w.StartsWith('@')).ToList();
        var name = string.Join(' ', words.Where(w => w != time && !w.StartsWith('@'))).Trim();
        if (name.Length == 0) return Reply.Error("The initiative needs a name: checkin setup \"Veteran homelessness\" --template bfz", $"Usage: {ctx.Spec.Usage}");
        if (name.Length > 80) return Reply.Error("The initiative's name must be at most 80 characters.");
        if (await store.NameTakenAsync(ctx.WorkspaceId, name, ct)) return Reply.Error($"There is already an initiative named \"{name}\".", "See them with: checkin list");

        var metrics = new List<Metric>();
        if (ctx.Args.Text("template") == "bfz") metrics.AddRange(Metric.BuiltForZero);
        foreach (var spec in ctx.Args.All("metric"))
        {
            var (metric, problem) = Metric.Parse(spec);
            if (metric is null) return Reply.Error(problem!, field: "metric");
            if (metrics.Any(m => string.Equals(m.Name, metric.Name, StringComparison.OrdinalIgnoreCase)))
                return Reply.Error($"The metric \"{metric.Name}\" is given twice.", field: "metric");
            metrics.Add(metric);
        }
        if (metrics.Count == 0)
            return Reply.Error("An initiative needs at least one metric: --metric \"actively homeless:people:decrease\", or --template bfz.", $"Usage: {ctx.Spec.Usage}", "metric");
        if (metrics.Count > 8) return Reply.Error("An initiative can track at most 8 metrics.", field: "metric");

        double? Number(string flag) => ctx.Args.Text(flag) is { } t && double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;
        foreach (var flag in new[] { "baseline", "target" })
            if (ctx.Args.Given(flag) && Number(flag) is null) return Reply.Error($"--{flag} must be a number, e.g. 120.", field: flag);

        var zoneId = ctx.Args.Text("tz") ?? ctx.Workspace.TimeZone.Id;
        if (WorkspaceStore.FindZone(zoneId) is not { } zone || (!zoneId.Contains('/') && zoneId != "UTC"))
            return Reply.Error($"\"{zoneId}\" is not a time zone I know.", "Use an IANA id such as America/Chicago, Europe/London or UTC.", "tz");

        var (weekday, at) = (DayOfWeek.Monday, new TimeOnly(9, 0));
        if (ctx.Args.Text("every") is { } every)
        {
            var parts = every.Split(' ', StringSplitOptions.RemoveEmptyEntries).Concat(time is null ? [] : [time]).ToList();
            var day = Array.FindIndex(Days, d => parts.Count > 0 && parts[0].StartsWith(d, StringComparison.OrdinalIgnoreCase) && parts[0].Length <= 9);
            if (day < 0) return Reply.Error($"--every starts with a weekday (mon, tue, …), got \"{every}\".", "e.g. --every mon 09:00", "every");
            weekday = (DayOfWeek)day;
            if (parts.Count > 1)
            {
                if (!TimeOnly.TryParseExact(parts[1].PadLeft(5, '0'), "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out at))
                    return Reply.Error($"\"{parts[1]}\" is not a time of day; use HH:mm, e.g. 09:00.", field: "every");
            }
        }

        var memberIds = new List<string>();
        foreach (var mention in (ctx.Args.Text("members") ?? "").Split([' ', ','], StringSplitOptions.RemoveEmptyEntries).Concat(extraMembers))
        {
            if (!UserRef.TryParse(mention, out var id)) return Reply.Error($"\"{mention}\" is not a user; members are users, like @ana @ben.", field: "members");
            if (!memberIds.Contains(id)) memberIds.Add(id);
        }
        if (memberIds.Count == 0) memberIds.Add(ctx.UserId);
        if (memberIds.Count > 200) return Reply.Error("An initiative can have at most 200 members.", field: "members");

        var initiative = await store.AddAsync(ctx.WorkspaceId, new Initiative(0, 0, name, metrics, Number("baseline"), Number("target"), ctx.Args.Date("by"),
            weekday, at, zone.Id, ctx.Args.Number("nudge-after") ?? 24, ctx.Args.Text("rules") == "anhoej" ? RunChartRules.Anhoej : RunChartRules.PerlaProvostMurray,
            ctx.Request.ChannelId, ctx.Request.Platform, false, ctx.UserId, memberIds), ct);
        var aim = metrics[0];
        var aimText = initiative.Target is { } target
            ? $"{aim.Name}: from {Format(initiative.Baseline)} to {Format(target)} {aim.Unit}{(initiative.TargetDate is { } by ? $" by {by:yyyy-MM-dd}" : "")}"
            : $"{aim.Name} ({(aim.Wanted == Direction.Decrease ? "down" : "up")}, no target set)";
        return new Reply($"Set up {initiative.Label}",
        [
            new Heading($"Set up {initiative.Label}"),
            new Fields(
            [
                new Field("Aim", aimText),
                new Field("Metrics", string.Join("; ", metrics.Select(m => m.Spec))),
                new Field("Check-in", $"every {weekday} at {at:HH:mm} ({zone.Id})"),
                new Field("Members", string.Join(", ", memberIds.Select(m => "@" + m))),
            ]),
            new Context("This channel gets the weekly digest."),
        ]);
    }

    private async Task<Reply> ListAsync(CommandContext ctx, CancellationToken ct)
    {
        var initiatives = await store.ListAsync(ctx.WorkspaceId, ct);
        if (initiatives.Count == 0) return Reply.Say("No initiatives yet. Start one: checkin setup \"Veteran homelessness\" --template bfz", ephemeral: true);
        return new Reply($"{initiatives.Count} initiatives",
        [
            new Heading("Initiatives"),
            new ItemList(initiatives.Select(i => new ListItem(i.Label + (i.Paused ? " · paused" : ""),
                $"{i.Metrics[0].Name} · every {i.Weekday} {i.At:HH:mm} ({i.TimeZoneId}) · {i.Members.Count} members")).ToList()),
        ], Ephemeral: true);
    }

    private async Task<Reply> PauseAsync(CommandContext ctx, bool pause, CancellationToken ct)
    {
        var (initiative, error) = await ResolveAsync(ctx, ct);
        if (initiative is null) return error!;
        if (initiative.CreatedBy != ctx.UserId && !ctx.User.IsAdmin)
            return Reply.Error($"Only {initiative.CreatedBy}, who set up {initiative.Label}, or a workspace admin can {(pause ? "pause" : "resume")} it.");
        await store.SetPausedAsync(ctx.WorkspaceId, initiative.Id, pause, ct);
        return Reply.Say(pause ? $"Paused {initiative.Label}: no prompts until checkin resume {initiative.Ref}." : $"Resumed {initiative.Label}.");
    }

    private async Task<Reply> RemoveAsync(CommandContext ctx, CancellationToken ct)
    {
        var (initiative, error) = await ResolveAsync(ctx, ct);
        if (initiative is null) return error!;
        if (initiative.CreatedBy != ctx.UserId && !ctx.User.IsAdmin)
            return Reply.Error($"Only {initiative.CreatedBy}, who set up {initiative.Label}, or a workspace admin can remove it.");
        await store.RemoveAsync(ctx.WorkspaceId, initiative.Id, ct);
        return Reply.Say($"Removed {initiative.Label}.");
    }

    private async Task<(Initiative? Initiative, Reply? Error)> ResolveAsync(CommandContext ctx, CancellationToken ct)
    {
        var text = ctx.Args.Rest();
        if (text.Length == 0) return (null, Reply.Error($"Which initiative? {ctx.Spec.Examples[0]}", "See them with: checkin list"));
        return await store.FindAsync(ctx.WorkspaceId, text, ct) is { } initiative
            ? (initiative, null)
            : (null, Reply.Error($"No initiative \"{(text.Length <= 40 ? text : text[..40] + "…")}\" in this workspace.", "See them with: checkin list"));
    }

    private static string Format(double? value) => value is { } v ? v.ToString("0.##", CultureInfo.InvariantCulture) : "?";

    [GeneratedRegex(@"^\d{1,2}:\d{2}$")]
    private static partial Regex TimeRegex();
}
