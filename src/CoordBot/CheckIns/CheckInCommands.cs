using System.Globalization;
using System.Text.RegularExpressions;
using CoordBot.Chat;
using CoordBot.Workspaces;
using static System.FormattableString;

namespace CoordBot.CheckIns;

/// <summary>The <c>checkin</c> command: initiatives with a measurable aim and their weekly check-ins.</summary>
public sealed partial class CheckInCommands(
    InitiativeStore store, CheckInStore checkIns, CheckInSchedule cycles, CheckInDigest digests, WorkspaceStore workspaces, CheckInCsv csv,
    MemberZones zones, IEnumerable<IPlatformMemberZones> platformZones)
{
    public CommandGroup Group => new("checkin", "weekly progress check-ins toward a measurable aim",
    [
        new("checkin", "setup",
            "checkin setup <initiative name> --metric \"NAME:UNIT:decrease|increase[:last|sum]\" [--metric ...] [--baseline N] [--target N] [--by DATE] " +
            "[--every mon 09:00] [--tz ZONE] [--members @a @b...] [--nudge-after HOURS] [--rules anhoej] [--template bfz|bfz-detailed] " +
            "[--population veterans|chronic|youth|families|singles|all] [--pit N] [--fz-benchmark N]",
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
             new("template", FlagKind.Choice, "bfz adds the Built for Zero metrics: actively homeless, inflow, outflow; bfz-detailed adds also the six list statuses inflow and outflow are made of", ["bfz", "bfz-detailed"]),
             new("population", FlagKind.Choice, "the population whose functional zero the digest tracks (veterans needs bfz-detailed; see docs/built-for-zero.md)", [.. FunctionalZero.Populations]),
             new("pit", FlagKind.Number, "chronic: the latest point-in-time count of individuals (the benchmark is the greater of 3 and 0.1% of it)"),
             new("fz-benchmark", FlagKind.Number, "youth, families, singles, all: a functional-zero benchmark of your own (no more than N actively homeless)")],
            ["checkin setup \"Veteran homelessness\" --template bfz-detailed --population veterans --baseline 120 --target 0 --by 2027-12-31 --every mon 09:00 --members @ana @ben",
             "checkin setup \"Chronic homelessness\" --template bfz --population chronic --pit 4200"],
            SetupAsync),
        new("checkin", "list", "checkin list", "The initiatives of this workspace.", [], ["checkin list"], ListAsync),
        new("checkin", "submit", "checkin submit [<initiative>] [metric=value...] [--wins T] [--barriers T] [--next T] [--help-needed T]",
            "Record this week's check-in (again to change it); with no values it opens a form.",
            [new("wins", FlagKind.Text, "what went well"), new("barriers", FlagKind.Text, "what is in the way"),
             new("next", FlagKind.Text, "next steps"), new("help-needed", FlagKind.Text, "where partners could help")],
            ["checkin submit \"actively homeless\"=42 inflow=5 outflow=9 --wins \"3 landlords joined\"", "checkin submit"], SubmitAsync)
            { FormInputsAsWords = true },
        new("checkin", "status", "checkin status [<initiative>]", "Who has and has not checked in this week.", [], ["checkin status I1"], StatusAsync),
        new("checkin", "report", "checkin report [<initiative>] [--weeks N] [--monthly] [--months N]",
            "Run chart summary of each metric (default the last 26 weeks): values, median, signals, progress, projection, balance check, participation; " +
            "or with --monthly, the numbers by calendar month.",
            [new("weeks", FlagKind.Number, "how many weeks, 4 to 156 (default 26)"),
             new("monthly", FlagKind.Switch, "by calendar month: actively homeless at the month's end, flows summed, balance, functional zero"),
             new("months", FlagKind.Number, "with --monthly: how many months, 1 to 36 (default 12)")],
            ["checkin report I1 --weeks 52", "checkin report I1 --monthly --months 6"], ReportAsync),
        new("checkin", "chart", "checkin chart [<initiative>] [--metric NAME] [--weeks N]",
            "The run chart of one metric, or of each, as an image (in Slack and Teams when CoordBot has a public address) with its text alternative.",
            [new("metric", FlagKind.Text, "the metric (default each one)"),
             new("weeks", FlagKind.Number, $"how many weeks, 1 to {MaxChartWeeks} (default {CheckInSummary.ChartWeeks})")],
            ["checkin chart I1 --metric \"actively homeless\" --weeks 52", "checkin chart I1"], ChartAsync),
        new("checkin", "digest", "checkin digest <initiative>", "Post this week's digest in the initiative's channel now (creator or admin).",
            [], ["checkin digest I1"], DigestAsync),
        new("checkin", "rephase", "checkin rephase <initiative> --from WEEK [--metric NAME] [--note NOTE] | checkin rephase <initiative> --undo",
            "Start a new run-chart phase from a week (a new median after a sustained shift), for one metric or all; --undo removes the last (creator or admin).",
            [new("from", FlagKind.Text, "the first week of the new phase: an ISO week (2026-W40) or a date in it"),
             new("metric", FlagKind.Text, "the metric it applies to (default every metric)"),
             new("note", FlagKind.Text, "what changed, shown on the chart (e.g. \"coordinated entry launched\")"),
             new("undo", FlagKind.Switch, "remove the phase started last")],
            ["checkin rephase I1 --from 2026-W40 --metric \"actively homeless\" --note \"landlord incentive fund\"", "checkin rephase I1 --undo"], RephaseAsync),
        new("checkin", "skip", "checkin skip <initiative> <date>", "Skip the week of that date (a holiday): no prompts or digest (creator or admin).",
            [], ["checkin skip I1 2026-12-28"], SkipAsync),
        new("checkin", "away", "checkin away <until DATE> | checkin away off", "Stop your own prompts until a date (inclusive).",
            [], ["checkin away until 2027-01-04", "checkin away off"], AwayAsync),
        new("checkin", "zone", "checkin zone [<IANA zone> | off]",
            "Your own time zone: your prompts and nudges come at each initiative's weekday and time on your clock (the digest stays " +
            "in the initiative's). Alone it shows your zone and where it came from; a zone sets it by hand (it wins over the one " +
            "Slack or Teams reports); off clears the hand-set one.",
            [], ["checkin zone America/New_York", "checkin zone off", "checkin zone"], ZoneAsync),
        new("checkin", "pause", "checkin pause <initiative>", "Stop the prompts (creator or admin).", [], ["checkin pause I1"], (c, t) => PauseAsync(c, true, t)),
        new("checkin", "resume", "checkin resume <initiative>", "Restart the prompts (creator or admin).", [], ["checkin resume I1"], (c, t) => PauseAsync(c, false, t)),
        new("checkin", "remove", "checkin remove <initiative>", "Delete an initiative (creator or admin).", [], ["checkin remove I1"], RemoveAsync),
        new("checkin", "export", "checkin export <initiative> [--monthly] [--months N]",
            "Download all check-ins as CSV: week, member, one column per metric, wins, barriers, next, help_needed, submitted_at; or with --monthly, the monthly roll-up.",
            [new("monthly", FlagKind.Switch, "the numbers by calendar month instead of every check-in"),
             new("months", FlagKind.Number, "with --monthly: how many months, 1 to 36 (default 12)")],
            ["checkin export I1", "checkin export I1 --monthly --months 36"], ExportAsync),
        new("checkin", "import", "checkin import <initiative>  (CSV on the lines after the command, or an attached file)",
            "Load history from a spreadsheet (creator or admin): columns week (2026-W07 or a date in it), one per metric, optional member; " +
            "a row replaces the member's check-in for that week. A file with errors is refused and nothing imported.",
            [], ["checkin import I1", "checkin import I1\nweek,member,actively homeless,inflow,outflow\n2026-W07,@ana,118,6,9"], ImportAsync),
    ]);

    private static readonly string[] Days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    /// <summary>At most this many metrics (the detailed Built for Zero template has 9): the form and the digest stay readable.</summary>
    public const int MaxMetrics = 12;

    private async Task<Reply> SetupAsync(CommandContext ctx, CancellationToken ct)
    {
        // Positional words: the name, plus any @members and an HH:mm that belong to --members / --every.
        var words = ctx.Args.Words;
        var time = words.FirstOrDefault(w => TimeRegex().IsMatch(w));
        static bool IsMention(string w) => w.StartsWith('@') || w.StartsWith("<@", StringComparison.Ordinal);
        var extraMembers = words.Where(IsMention).ToList();
        var name = string.Join(' ', words.Where(w => w != time && !IsMention(w))).Trim();
        if (name.Length == 0) return Reply.Error("The initiative needs a name: checkin setup \"Veteran homelessness\" --template bfz", $"Usage: {ctx.Spec.Usage}");
        if (name.Length > 80) return Reply.Error("The initiative's name must be at most 80 characters.");
        if (await store.NameTakenAsync(ctx.WorkspaceId, name, ct)) return Reply.Error($"There is already an initiative named \"{name}\".", "See them with: checkin list");

        var metrics = new List<Metric>();
        if (ctx.Args.Text("template") is "bfz") metrics.AddRange(Metric.BuiltForZero);
        if (ctx.Args.Text("template") is "bfz-detailed") metrics.AddRange(Metric.BuiltForZeroDetailed);
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
        if (metrics.Count > MaxMetrics) return Reply.Error($"An initiative can track at most {MaxMetrics} metrics.", field: "metric");

        double? Number(string flag) => ctx.Args.Text(flag) is { } t && double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;
        var (goal, goalProblem) = FunctionalZero.Parse(ctx.Args.Text("population"), Number("pit"), Number("fz-benchmark"), metrics);
        if (goalProblem is not null) return Reply.Error(goalProblem, field: "population");
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
            // A mention the platform resolved (<@U123>) is a real user; a typed name must be someone this workspace knows.
            // The local channel's users are whatever names are used.
            if (!mention.StartsWith("<@", StringComparison.Ordinal) && ctx.Request.Platform != "local")
            {
                if (await workspaces.FindUserAsync(ctx.WorkspaceId, id, ct) is not { } known)
                    return Reply.Error($"I don't know {CommandRouter.Shorten(mention)} in this workspace.",
                        "Mention them so the platform fills in who they are (type @ and pick the person), or ask them to say hi to CoordBot first.", "members");
                id = known;
            }
            if (!memberIds.Contains(id)) memberIds.Add(id);
        }
        if (memberIds.Count == 0) memberIds.Add(ctx.UserId);
        if (memberIds.Count > 200) return Reply.Error("An initiative can have at most 200 members.", field: "members");

        var nudgeAfter = ctx.Args.Number("nudge-after") ?? 24;
        if (nudgeAfter is < 1 or > 120) return Reply.Error("--nudge-after is in hours, from 1 to 120 (the nudge must come before the digest).", field: "nudge-after");

        var initiative = await store.AddAsync(ctx.WorkspaceId, new Initiative(0, 0, name, metrics, Number("baseline"), Number("target"), ctx.Args.Date("by"),
            weekday, at, zone.Id, nudgeAfter, ctx.Args.Text("rules") == "anhoej" ? RunChartRules.Anhoej : RunChartRules.PerlaProvostMurray,
            ctx.Request.ChannelId, ctx.Request.Platform, false, ctx.UserId, memberIds, Goal: goal), ct);
        await cycles.ScheduleAsync(ctx.WorkspaceId, initiative, ct);
        foreach (var platform in platformZones.Where(p => p.Platform == ctx.Request.Platform))
            foreach (var member in memberIds)
                await platform.RefreshAsync(ctx.WorkspaceId, member, ct);
        var cycle = new CheckInCycle(initiative);
        var digestAt = cycle.Weekly(CheckInStage.Digest);
        var aim = metrics[0];
        var aimText = initiative.Target is { } target
            ? $"{aim.Name}: from {Format(initiative.Baseline)} to {Format(target)} {aim.Unit}{(initiative.TargetDate is { } by ? Invariant($" by {by:yyyy-MM-dd}") : "")}"
            : $"{aim.Name} ({(aim.Wanted == Direction.Decrease ? "down" : "up")}, no target set)";
        return new Reply($"Set up {initiative.Label}",
        [
            new Heading($"Set up {initiative.Label}"),
            new Fields(
            [
                new Field("Aim", aimText),
                new Field("Metrics", string.Join("; ", metrics.Select(m => m.Spec))),
                .. goal is null ? Array.Empty<Field>() : [new Field("Functional zero", goal.Population + (goal.Pit is { } pit ? $", point-in-time count {Format(pit)}" : "") +
                    (goal.Benchmark is { } b ? $", benchmark {Format(b)}" : ""))],
                new Field("Check-in", Invariant($"every {weekday} at {at:HH:mm} ({zone.Id}), one nudge {nudgeAfter} hours later")),
                new Field("Digest", Invariant($"every {digestAt.Day} at {digestAt.At:HH:mm}, in this channel")),
                new Field("Members", string.Join(", ", memberIds.Select(m => "@" + m))),
            ]),
            new Context(Invariant($"First prompt: {TimeZoneInfo.ConvertTime(cycle.At(CheckInStage.Prompt, FirstPromptWeek(cycle, ctx.Now)), cycle.Zone):yyyy-MM-dd HH:mm}. Members can check in any time: checkin submit {initiative.Ref}")),
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
                Invariant($"{i.Metrics[0].Name} · every {i.Weekday} {i.At:HH:mm} ({i.TimeZoneId}) · {i.Members.Count} members"))).ToList()),
        ], Ephemeral: true);
    }

    private async Task<Reply> PauseAsync(CommandContext ctx, bool pause, CancellationToken ct)
    {
        var (initiative, error) = await ResolveAsync(ctx, ct);
        if (initiative is null) return error!;
        if (!ctx.CanManage(initiative.CreatedBy))
            return Reply.Error($"Only {initiative.CreatedBy}, who set up {initiative.Label}, or a workspace admin can {(pause ? "pause" : "resume")} it.");
        await store.SetPausedAsync(ctx.WorkspaceId, initiative.Id, pause, ct);
        if (pause) await cycles.CancelAsync(ctx.WorkspaceId, initiative, ct);
        else await cycles.ScheduleAsync(ctx.WorkspaceId, initiative with { Paused = false }, ct);
        return Reply.Say(pause ? $"Paused {initiative.Label}: no prompts until checkin resume {initiative.Ref}." : $"Resumed {initiative.Label}.");
    }

    private async Task<Reply> RemoveAsync(CommandContext ctx, CancellationToken ct)
    {
        var (initiative, error) = await ResolveAsync(ctx, ct);
        if (initiative is null) return error!;
        if (!ctx.CanManage(initiative.CreatedBy))
            return Reply.Error($"Only {initiative.CreatedBy}, who set up {initiative.Label}, or a workspace admin can remove it.");
        await cycles.CancelAsync(ctx.WorkspaceId, initiative, ct);
        await store.RemoveAsync(ctx.WorkspaceId, initiative.Id, ct);
        return Reply.Say($"Removed {initiative.Label}.");
    }

    private static readonly string[] Answers = ["wins", "barriers", "next", "help-needed"];

    private async Task<Reply> SubmitAsync(CommandContext ctx, CancellationToken ct)
    {
        var words = ctx.Args.Words;
        var named = words.TakeWhile(w => !w.Contains('=')).ToList();
        var (initiative, error) = named.Count > 0 ? await ResolveTextAsync(ctx, string.Join(' ', named), ct) : await MineAsync(ctx, ct);
        if (initiative is null) return error!;
        if (!initiative.Members.Contains(ctx.UserId))
            return Reply.Error($"You are not a member of {initiative.Label}.", $"Members: {string.Join(", ", initiative.Members.Select(m => "@" + m))}");

        var (week, early) = await OpenWeekAsync(ctx.WorkspaceId, initiative, ctx.Now, ct, ctx.UserId);
        var pairs = words.Skip(named.Count).ToList();
        if (pairs.Count == 0 && !Answers.Any(ctx.Args.Given))
            return Form(initiative, week, (await checkIns.WeekAsync(ctx.WorkspaceId, initiative.Id, week, ct)).FirstOrDefault(c => c.Member == ctx.UserId));

        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=');
            if (eq < 0) return Reply.Error($"\"{CommandRouter.Shorten(pair)}\" is not metric=value.", $"Metrics: {string.Join(", ", initiative.Metrics.Select(m => m.Name))}");
            var (name, text) = (pair[..eq].Trim(), pair[(eq + 1)..].Trim());
            var metric = initiative.Metrics.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));
            if (metric is null)
                return Reply.Error($"{initiative.Label} has no metric \"{CommandRouter.Shorten(name)}\".", $"Metrics: {string.Join(", ", initiative.Metrics.Select(m => m.Name))}", name);
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) || Math.Abs(value) > 1e12)
                return Reply.Error($"\"{CommandRouter.Shorten(text)}\" is not a number for {metric.Name}.", "Write numbers like 42 or 3.5.", metric.Name);
            if (value < 0)
                return Reply.Error($"{metric.Name} cannot be negative (you wrote {CommandRouter.Shorten(text)}).",
                    "Every metric counts something (people, placements, days): 0 or more. Nothing was recorded.", metric.Name);
            values[metric.Name] = value;
        }
        // A second submission in the week changes what it names and keeps the rest (the form comes filled in with the rest).
        var earlier = (await checkIns.WeekAsync(ctx.WorkspaceId, initiative.Id, week, ct)).FirstOrDefault(c => c.Member == ctx.UserId);
        var given = values.Keys.ToHashSet(StringComparer.Ordinal);
        if (earlier is not null)
            foreach (var (name, value) in earlier.Values)
                values.TryAdd(name, value);
        // A total is the sum of its parts: a part given now, without its total, makes the total be summed again.
        foreach (var total in Metric.StatusParts.Keys)
            if (!given.Contains(total) && Metric.PartsIn(initiative.Metrics, total).Any(part => given.Contains(part.Name)))
                values.Remove(total);
        var partNotes = Metric.CompleteTotals(initiative.Metrics, values);
        string? Answer(string flag, string? before) => ctx.Args.Text(flag) is { Length: > 0 } text ? text : before;
        await checkIns.SaveAsync(ctx.WorkspaceId, initiative.Id, new CheckIn(week, ctx.UserId, values,
            Answer("wins", earlier?.Wins), Answer("barriers", earlier?.Barriers), Answer("next", earlier?.NextSteps), Answer("help-needed", earlier?.HelpNeeded), ctx.Now), ct);
        var replaced = earlier is not null;
        var ordered = initiative.Metrics.Where(m => values.ContainsKey(m.Name)).Select(m => (m.Name, Value: values[m.Name])).ToList();
        var summary = ordered.Count == 0 ? "no numbers" : string.Join(", ", ordered.Select(v => $"{v.Name} {v.Value.ToString("0.##", CultureInfo.InvariantCulture)}"));
        var text2 = $"{(replaced ? "Updated" : "Recorded")} your {week} check-in for {initiative.Label}: {summary}.";
        var note = early is { } closed
            ? $"The {closed} digest is already posted, so this counts for {week}. You can change it until that digest: checkin submit again."
            : "You can change it until the digest is posted: checkin submit again.";
        return new Reply(text2, [new Paragraph(text2), .. partNotes.Select(n => new Context(n)), new Context(note)], Ephemeral: true);
    }

    /// <summary>The check-in form: one number per metric, then the four answers; filled in with this week's check-in when editing.</summary>
    private static Reply Form(Initiative initiative, string week, CheckIn? current) => new($"Check-in for {initiative.Label}, {week}: fill in the form.",
    [
        new Form($"Check-in {week}", $"checkin submit {initiative.Ref}",
        [
            .. initiative.Metrics.Select(m => new Input(m.Name, $"{m.Name} ({m.Unit})", InputKind.Number,
                Initial: current?.Values.TryGetValue(m.Name, out var v) == true ? CheckInSummary.Number(v) : null)),
            new Input("wins", "Wins", InputKind.LongText, Initial: current?.Wins),
            new Input("barriers", "Barriers", InputKind.LongText, Initial: current?.Barriers),
            new Input("next", "Next steps", InputKind.LongText, Initial: current?.NextSteps),
            new Input("help-needed", "Help needed", InputKind.LongText, Initial: current?.HelpNeeded),
        ], "Check in"),
    ], Ephemeral: true);

    /// <summary>
    /// The week a check-in made now counts for: the current cycle's, or the next one once the current
    /// cycle's digest is posted (then <c>Closed</c> names the closed week).
    /// </summary>
    private async Task<(string Week, string? Closed)> OpenWeekAsync(string workspace, Initiative initiative, DateTimeOffset now, CancellationToken ct,
        string? member = null)
    {
        var week = new CheckInCycle(initiative).WeekAt(now);
        // A member whose clock is ahead of the initiative's has had next week's prompt already (their Monday 09:00 is the
        // initiative's Sunday evening): what they send now answers that prompt.
        if (member is not null && MemberZoneStore.Parse((await zones.GetAsync(workspace, member, ct)).Id) is { } zone &&
            new CheckInCycle(initiative, zone).At(CheckInStage.Prompt, CheckInCycle.Next(week)) <= now)
            week = CheckInCycle.Next(week);
        return await checkIns.DigestPostedAtAsync(workspace, initiative.Id, week, ct) is null ? (week, null) : (CheckInCycle.Next(week), week);
    }

    /// <summary>The week of the first prompt still to come.</summary>
    private static string FirstPromptWeek(CheckInCycle cycle, DateTimeOffset now)
    {
        var week = cycle.WeekAt(now);
        return cycle.At(CheckInStage.Prompt, week) > now ? week : CheckInCycle.Next(week);
    }

    private static int? Months(CommandContext ctx) =>
        (ctx.Args.Number("months") ?? MonthlyRollup.DefaultMonths) is var n and >= 1 and <= MonthlyRollup.MaxMonths ? n : null;

    private static readonly Reply MonthsError = Reply.Error($"--months is from 1 to {MonthlyRollup.MaxMonths}.", field: "months");

    private async Task<Reply> ReportAsync(CommandContext ctx, CancellationToken ct)
    {
        var (initiative, error) = ctx.Args.Words.Count > 0 ? await ResolveAsync(ctx, ct) : await MineAsync(ctx, ct);
        if (initiative is null) return error!;
        var thisWeek = new CheckInCycle(initiative).WeekAt(ctx.Now);
        if (ctx.Args.Has("monthly"))
        {
            if (Months(ctx) is not { } months) return MonthsError;
            return await digests.MonthlyReportAsync(ctx.WorkspaceId, initiative, thisWeek, months, ct);
        }
        if (ctx.Args.Given("months")) return Reply.Error("--months goes with --monthly.", field: "months");
        var weeks = ctx.Args.Number("weeks") ?? CheckInSummary.ChartWeeks;
        if (weeks is < 4 or > 156) return Reply.Error("--weeks is from 4 to 156.", field: "weeks");
        return await digests.ReportAsync(ctx.WorkspaceId, initiative, thisWeek, weeks, ct);
    }

    private async Task<Reply> DigestAsync(CommandContext ctx, CancellationToken ct)
    {
        var (initiative, error) = await ResolveAsync(ctx, ct);
        if (initiative is null) return error!;
        if (!ctx.CanManage(initiative.CreatedBy))
            return Reply.Error($"Only {initiative.CreatedBy}, who set up {initiative.Label}, or a workspace admin can post its digest.");
        var week = new CheckInCycle(initiative).WeekAt(ctx.Now);
        if (await checkIns.DigestPostedAtAsync(ctx.WorkspaceId, initiative.Id, week, ct) is { } posted)
            return Reply.Error(Invariant($"The {week} digest of {initiative.Label} was already posted ({posted:yyyy-MM-dd HH:mm} UTC); it is not posted twice."),
                $"See the numbers any time: checkin report {initiative.Ref}");
        if (await checkIns.IsSkippedAsync(ctx.WorkspaceId, initiative.Id, week, ct))
            return Reply.Error($"{initiative.Label} skips {week}: there is no digest that week.");
        await cycles.PostDigestAsync(ctx.WorkspaceId, initiative, week, ct, requested: true);
        return Reply.Say($"Posting the {week} digest of {initiative.Label} in its channel. Check-ins from now on count for {CheckInCycle.Next(week)}.", ephemeral: true);
    }

    private async Task<Reply> StatusAsync(CommandContext ctx, CancellationToken ct)
    {
        var (initiative, error) = ctx.Args.Words.Count > 0 ? await ResolveAsync(ctx, ct) : await MineAsync(ctx, ct);
        if (initiative is null) return error!;
        var (week, _) = await OpenWeekAsync(ctx.WorkspaceId, initiative, ctx.Now, ct);
        var answered = (await checkIns.WeekAsync(ctx.WorkspaceId, initiative.Id, week, ct)).Select(c => c.Member).ToHashSet();
        var waiting = initiative.Members.Where(m => !answered.Contains(m)).ToList();
        var text = $"{initiative.Label}, {week}: {answered.Count} of {initiative.Members.Count} checked in";
        return new Reply(text,
        [
            new Heading(text),
            new Fields(
            [
                new Field("Checked in", answered.Count == 0 ? "nobody yet" : string.Join(", ", answered.Order().Select(m => "@" + m))),
                new Field("Not yet", waiting.Count == 0 ? "nobody" : string.Join(", ", waiting.Select(m => "@" + m))),
            ]),
        ], Ephemeral: true);
    }

    private async Task<Reply> RephaseAsync(CommandContext ctx, CancellationToken ct)
    {
        if (ctx.Args.Words.Count == 0) return Reply.Error("Say which initiative: checkin rephase I1 --from 2026-W40", $"Usage: {ctx.Spec.Usage}");
        var (initiative, error) = await ResolveAsync(ctx, ct);
        if (initiative is null) return error!;
        if (!ctx.CanManage(initiative.CreatedBy))
            return Reply.Error($"Only {initiative.CreatedBy}, who set up {initiative.Label}, or a workspace admin can change its phases.");
        if (ctx.Args.Has("undo"))
            return await checkIns.RemoveLastPhaseAsync(ctx.WorkspaceId, initiative.Id, ct) is { } removed
                ? Reply.Say($"Removed the phase of {initiative.Label} from {removed.FromWeek}{(removed.Metric is { } m ? $" ({m})" : "")}: its weeks are judged against the median before it again.")
                : Reply.Error($"{initiative.Label} has no phase to remove.");
        if (ctx.Args.Text("from") is not { } fromText) return Reply.Error("Say the first week of the new phase: --from 2026-W40 (or a date in it).", $"Usage: {ctx.Spec.Usage}", "from");
        string? week = IsoWeeks.Parse(fromText) is { } monday ? IsoWeeks.Of(monday) : DateWords.TryParse(fromText, ctx.Today, out var date) ? IsoWeeks.Of(date) : null;
        if (week is null) return Reply.Error($"\"{CommandRouter.Shorten(fromText)}\" is not a week: use an ISO week like 2026-W40 or a date like 2026-09-28.", field: "from");
        if (string.CompareOrdinal(week, IsoWeeks.Of(Today(initiative, ctx.Now))) > 0) return Reply.Error($"{week} has not begun yet: a phase starts at a week with numbers.", field: "from");
        var metric = ctx.Args.Text("metric");
        if (metric is not null)
        {
            if (initiative.Metrics.FirstOrDefault(m => string.Equals(m.Name, metric, StringComparison.OrdinalIgnoreCase)) is not { } found)
                return Reply.Error($"{initiative.Label} has no metric \"{CommandRouter.Shorten(metric)}\".", $"Metrics: {string.Join(", ", initiative.Metrics.Select(m => m.Name))}", "metric");
            metric = found.Name;
        }
        var note = ctx.Args.Text("note")?.Trim();
        if (note is { Length: > 120 }) return Reply.Error("--note is at most 120 characters (it is written on the chart).", field: "note");
        var phases = await checkIns.PhasesAsync(ctx.WorkspaceId, initiative.Id, ct);
        if (phases.Count >= 20) return Reply.Error($"{initiative.Label} has 20 phases already; remove one with checkin rephase {initiative.Ref} --undo.");
        if (phases.Any(p => p.FromWeek == week && p.Metric == metric)) return Reply.Error($"{initiative.Label} already has that phase from {week}.");
        await checkIns.AddPhaseAsync(ctx.WorkspaceId, initiative.Id, metric, week, string.IsNullOrEmpty(note) ? null : note, ctx.UserId, ct);
        return Reply.Say($"New phase of {initiative.Label} from {week}{(metric is null ? " for every metric" : $" for {metric}")}" +
                         $"{(string.IsNullOrEmpty(note) ? "" : $" ({note})")}: from that week on, the run chart's median, shifts, trends and runs are its own. " +
                         $"Undo: checkin rephase {initiative.Ref} --undo");
    }

    private async Task<Reply> SkipAsync(CommandContext ctx, CancellationToken ct)
    {
        if (ctx.Args.Words.Count < 2) return Reply.Error("Say which initiative and a date in the week to skip: checkin skip I1 2026-12-28", $"Usage: {ctx.Spec.Usage}");
        if (!DateWords.TryParse(ctx.Args.Words[^1], ctx.Today, out var date))
            return Reply.Error($"\"{CommandRouter.Shorten(ctx.Args.Words[^1])}\" is not a date. Use YYYY-MM-DD, e.g. 2026-12-28.", $"Usage: {ctx.Spec.Usage}");
        var (initiative, error) = await ResolveTextAsync(ctx, string.Join(' ', ctx.Args.Words.Take(ctx.Args.Words.Count - 1)), ct);
        if (initiative is null) return error!;
        if (!ctx.CanManage(initiative.CreatedBy))
            return Reply.Error($"Only {initiative.CreatedBy}, who set up {initiative.Label}, or a workspace admin can skip a week.");
        var week = IsoWeeks.Of(date);
        if (string.CompareOrdinal(week, IsoWeeks.Of(Today(initiative, ctx.Now))) < 0)
            return Reply.Error($"{week} is already over; only this week or later can be skipped.");
        await checkIns.SkipAsync(ctx.WorkspaceId, initiative.Id, week, ctx.UserId, ct);
        return Reply.Say($"{initiative.Label} skips {week}: no prompts, nudges or digest that week.");
    }

    private async Task<Reply> AwayAsync(CommandContext ctx, CancellationToken ct)
    {
        var words = ctx.Args.Words.Where(w => !w.Equals("until", StringComparison.OrdinalIgnoreCase)).ToList();
        if (words is [var off] && off.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            await checkIns.SetAwayAsync(ctx.WorkspaceId, ctx.UserId, null, ct);
            return Reply.Say("Welcome back: your check-in prompts are on again.", ephemeral: true);
        }
        if (words.Count != 1 || !DateWords.TryParse(words[0], ctx.Today, out var until))
            return Reply.Error("Say until when: checkin away until 2027-01-04 (or checkin away off).", $"Usage: {ctx.Spec.Usage}");
        if (until < ctx.Today) return Reply.Error(Invariant($"{until:yyyy-MM-dd} is in the past."));
        await checkIns.SetAwayAsync(ctx.WorkspaceId, ctx.UserId, until, ct);
        return Reply.Say(Invariant($"No check-in prompts for you until {until:yyyy-MM-dd} (inclusive). Back sooner? checkin away off"), ephemeral: true);
    }

    private static DateOnly Today(Initiative initiative, DateTimeOffset now) =>
        DateWords.LocalDate(now, WorkspaceStore.FindZone(initiative.TimeZoneId) ?? TimeZoneInfo.Utc);

    /// <summary>The one initiative the asker belongs to, when no initiative is named.</summary>
    private async Task<(Initiative? Initiative, Reply? Error)> MineAsync(CommandContext ctx, CancellationToken ct)
    {
        var mine = (await store.ListAsync(ctx.WorkspaceId, ct)).Where(i => i.Members.Contains(ctx.UserId)).ToList();
        return mine.Count switch
        {
            1 => (mine[0], null),
            0 => (null, Reply.Error("You are not a member of any initiative here.", "See them with: checkin list")),
            _ => (null, Reply.Error($"You are in several initiatives; name one: {string.Join(", ", mine.Select(i => i.Ref))}.", $"e.g. {ctx.Spec.Examples[0]}")),
        };
    }

    private async Task<(Initiative? Initiative, Reply? Error)> ResolveAsync(CommandContext ctx, CancellationToken ct) =>
        await ResolveTextAsync(ctx, ctx.Args.Rest(), ct);

    private async Task<(Initiative? Initiative, Reply? Error)> ResolveTextAsync(CommandContext ctx, string text, CancellationToken ct)
    {
        if (text.Length == 0) return (null, Reply.Error($"Which initiative? {ctx.Spec.Examples[0]}", "See them with: checkin list"));
        return await store.FindAsync(ctx.WorkspaceId, text, ct) is { } initiative
            ? (initiative, null)
            : (null, Reply.Error($"No initiative \"{(text.Length <= 40 ? text : text[..40] + "…")}\" in this workspace.", "See them with: checkin list"));
    }

    private static string Format(double? value) => value is { } v ? v.ToString("0.##", CultureInfo.InvariantCulture) : "?";

    [GeneratedRegex(@"^\d{1,2}:\d{2}$")]
    private static partial Regex TimeRegex();
}
