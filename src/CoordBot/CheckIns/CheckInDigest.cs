using System.Text;
using CoordBot.Chat;

namespace CoordBot.CheckIns;

/// <summary>
/// Composes the weekly digest and <c>checkin report</c> from the stored check-ins, and serves the SVG
/// run chart behind their signed, expiring links.
/// </summary>
public sealed class CheckInDigest(InitiativeStore initiatives, CheckInStore checkIns, SignedLinks links, BotOptions bot)
{
    /// <summary>How many members' parts of a <c>sum</c> metric the digest names.</summary>
    public const int MaxParts = 10;

    /// <summary>How long a chart link in a digest or report works.</summary>
    public static readonly TimeSpan ChartLinkLifetime = TimeSpan.FromDays(30);

    /// <param name="Week">The week the numbers are as of: the week asked for, or the latest before it with values when it has none yet.</param>
    /// <param name="Asked">The week asked for.</param>
    /// <param name="Zero">Where the functional-zero goal stands at <paramref name="Week"/>, or null without a goal.</param>
    private sealed record Data(string Week, string Asked, IReadOnlyList<string> Weeks, IReadOnlyDictionary<string, List<CheckIn>> ByWeek,
        IReadOnlySet<string> Skipped, IReadOnlyList<MetricSummary> Metrics, ZeroStatus? Zero)
    {
        /// <summary>"As of 2026-W48 — no check-ins yet for 2026-W49.", or null when the numbers are the asked week's.</summary>
        public string? AsOfNote => Week == Asked ? null : $"As of {Week} — no check-ins yet for {Asked}.";

        public DataQuality Quality => DataQuality.Of(Metrics, Skipped, ByWeek);
    }

    /// <summary>
    /// The window of <paramref name="weekCount"/> weeks ending with <paramref name="week"/>; when that week has no values yet
    /// (not one number from anyone), the window ending with the latest week before it that has some, so the headline
    /// numbers, changes and balance are the latest there are rather than "no value".
    /// </summary>
    private async Task<Data> LoadAsync(string workspace, Initiative initiative, string week, int weekCount, CancellationToken ct, bool answers = false)
    {
        // With a functional-zero goal, one read covers its longer history too (three months of placements and a streak).
        var loaded = initiative.Goal is null ? weekCount : Math.Max(weekCount, FunctionalZero.HistoryWeeks);
        var (all, history, skipped) = await WindowAsync(workspace, initiative, week, loaded, ct, answers);
        var asOf = week;
        if (!history.Any(c => c.Week == week && c.Values.Count > 0) &&
            await checkIns.LatestWeekWithValuesAsync(workspace, initiative.Id, week, ct) is { } latest && latest != week)
        {
            asOf = latest;
            (all, history, skipped) = await WindowAsync(workspace, initiative, asOf, loaded, ct, answers);
        }
        var byWeek = CheckInSummary.ByWeek(history.Where(c => string.CompareOrdinal(c.Week, asOf) <= 0));
        var weeks = all.Skip(all.Count - weekCount).ToList();
        var phases = await checkIns.PhasesAsync(workspace, initiative.Id, ct);
        var metrics = Enumerable.Range(0, initiative.Metrics.Count).Select(i => CheckInSummary.Summarize(initiative, i, weeks, byWeek, skipped, phases)).ToList();
        return new Data(asOf, week, weeks, byWeek, skipped, metrics, Zero(initiative, all, byWeek, skipped));
    }

    private async Task<(IReadOnlyList<string> Weeks, IReadOnlyList<CheckIn> History, IReadOnlySet<string> Skipped)> WindowAsync(
        string workspace, Initiative initiative, string last, int weekCount, CancellationToken ct, bool answers = false)
    {
        var weeks = CheckInSummary.WeeksEndingWith(last, weekCount);
        return (weeks, await checkIns.HistoryAsync(workspace, initiative.Id, weeks[0], ct, answers), await checkIns.SkippedWeeksAsync(workspace, initiative.Id, weeks[0], ct));
    }

    /// <summary>
    /// What <c>checkin report</c> computes for <paramref name="weekCount"/> weeks to <paramref name="week"/> (or the latest week with
    /// values before it), for other views of it (the web dashboard): each metric's summary, the balance, data quality,
    /// functional-zero status and participation.
    /// </summary>
    public async Task<InitiativeNumbers> NumbersAsync(string workspace, Initiative initiative, string week, int weekCount, CancellationToken ct)
    {
        var data = await LoadAsync(workspace, initiative, week, weekCount, ct);
        return new InitiativeNumbers(data.Week, data.Asked, data.Weeks, data.Metrics, CheckInSummary.Balance(initiative, data.Metrics), data.Quality, data.Zero,
            Participation.Of(initiative, data.Weeks, data.Skipped, data.ByWeek));
    }

    /// <summary>The digest of <paramref name="week"/> as it is posted in the initiative's channel.</summary>
    public async Task<Reply> BuildAsync(string workspace, Initiative initiative, string week, CancellationToken ct)
    {
        var data = await LoadAsync(workspace, initiative, week, CheckInSummary.ChartWeeks, ct, answers: true);
        var cycle = new CheckInCycle(initiative);
        var away = await checkIns.AwayOnAsync(workspace, cycle.PromptDay(week), ct);
        var answers = data.ByWeek.GetValueOrDefault(week) ?? [];
        var answered = initiative.Members.Where(m => answers.Any(c => c.Member == m)).ToList();
        var expected = initiative.Members.Where(m => !away.Contains(m) || answered.Contains(m)).ToList();
        var waiting = expected.Where(m => !answered.Contains(m)).ToList();
        var awayNow = initiative.Members.Where(m => away.Contains(m) && !answered.Contains(m)).ToList();

        var heading = $"{initiative.Name}: weekly digest, {week}";
        var blocks = new List<Block> { new Heading(heading) };
        if (data.AsOfNote is { } asOf) blocks.Add(new Paragraph(asOf));
        foreach (var (summary, index) in data.Metrics.Select((s, i) => (s, i)))
            if (Metric.TotalOf(initiative.Metrics, summary.Metric.Name) is null)   // a list status shows in its total's breakdown
                AddMetric(blocks, workspace, initiative, data.Metrics, index, data.Week, sparkline: true);

        if (CheckInSummary.Balance(initiative, data.Metrics) is { } balance)
            blocks.Add(balance.Possible && !balance.Balanced ? new Paragraph(balance.Text) : new Context(balance.Text));
        if (data.Zero is { } zero) blocks.Add(new Paragraph(zero.Text));
        var quality = data.Quality;
        blocks.Add(quality.Clean ? new Context(quality.Summary) : new Paragraph(quality.Summary));

        var rate = expected.Count == 0 ? "nobody was asked this week" : $"{answered.Count} of {expected.Count} ({CheckInSummary.Percent(100.0 * answered.Count / expected.Count)})";
        var people = new List<Field> { new("Checked in", rate), new("Not yet", waiting.Count == 0 ? "nobody" : string.Join(", ", waiting.Select(At))) };
        if (awayNow.Count > 0) people.Add(new Field("Away", string.Join(", ", awayNow.Select(At))));
        blocks.Add(new Fields(people));

        foreach (var (title, pick) in new (string, Func<CheckIn, string?>)[] { ("Wins", c => c.Wins), ("Barriers", c => c.Barriers), ("Help needed", c => c.HelpNeeded) })
        {
            var items = answers.Where(c => !string.IsNullOrWhiteSpace(pick(c))).Select(c => new ListItem(At(c.Member), pick(c)!.Trim())).ToList();
            if (items.Count == 0) continue;
            blocks.Add(new Paragraph(title));
            blocks.Add(new ItemList(items));
        }
        blocks.Add(new Context($"{initiative.Ref} · checkin report {initiative.Ref} for {CheckInSummary.ChartWeeks} weeks of run chart · charts link for {ChartLinkLifetime.Days} days"));

        var aim = data.Metrics[0];
        var text = $"{initiative.Name} {week}: {(data.Week == week ? "" : $"as of {data.Week}, ")}{aim.Metric.Name} {aim.ValueText} · {rate} checked in";
        return new Reply(text, blocks);
    }

    /// <summary><c>checkin report</c>: the run chart summary of every metric over <paramref name="weekCount"/> weeks, and participation.</summary>
    public async Task<Reply> ReportAsync(string workspace, Initiative initiative, string week, int weekCount, CancellationToken ct)
    {
        var data = await LoadAsync(workspace, initiative, week, weekCount, ct);
        var heading = $"{initiative.Name}: {weekCount} weeks to {data.Week}";
        var blocks = new List<Block> { new Heading(heading) };
        if (data.AsOfNote is { } asOf) blocks.Add(new Paragraph(asOf));
        foreach (var (summary, index) in data.Metrics.Select((s, i) => (s, i)))
        {
            if (Metric.TotalOf(initiative.Metrics, summary.Metric.Name) is null)
                AddMetric(blocks, workspace, initiative, data.Metrics, index, data.Week, sparkline: false);
            blocks.Add(new Context($"{summary.Metric.Name}, week by week: {Sparkline.Render(summary.Values, weekCount)}"));
        }

        if (data.Zero is { } zero) blocks.Add(new Paragraph(zero.Text));

        // The balance of every week of the window, not only the last: imported history is checked too.
        var quality = data.Quality;
        if (quality.HasBalance)
        {
            if (CheckInSummary.Balance(initiative, data.Metrics) is { Possible: false } balance) blocks.Add(new Context(balance.Text));
            if (quality.OutOfBalance.Count == 0)
                blocks.Add(new Paragraph($"Balance: all {quality.BalanceChecked} weeks with the three numbers balance (actively = last week's + inflow − outflow). ✓"));
            else
            {
                blocks.Add(new Paragraph($"⚠ Out of balance: {quality.OutOfBalance.Count} of the {quality.BalanceChecked} weeks with the three numbers " +
                                         "(actively homeless should be last week's + inflow − outflow):"));
                blocks.Add(new ItemList(quality.OutOfBalance.Select(w => new ListItem(w.Text)).Reverse().ToList()));
            }
        }
        blocks.Add(quality.Clean ? new Context(quality.Summary) : new Paragraph(quality.Summary));

        var unbalanced = quality.OutOfBalance.Select(w => w.Week).ToHashSet(StringComparer.Ordinal);
        blocks.Add(new Table(["week", .. initiative.Metrics.Select(m => m.Name)],
            data.Weeks.Select((w, i) => (IReadOnlyList<string>)[w + (data.Skipped.Contains(w) ? " (skipped)" : "") + (unbalanced.Contains(w) ? " ⚠ out of balance" : ""),
                .. data.Metrics.Select(m => m.Values[i] is { } v ? CheckInSummary.Number(v) : "–")]).Reverse().ToList()));

        var participation = Participation.Of(initiative, data.Weeks, data.Skipped, data.ByWeek);
        var recent = participation.Weeks;
        blocks.Add(new Paragraph($"Participation over the last {recent} weeks: {CheckInSummary.Percent(participation.OverallPercent)} of the expected check-ins."));
        blocks.Add(new Table(["member", "check-ins", "response rate"],
            participation.Members.Select(r => (IReadOnlyList<string>)[At(r.Member), $"{r.Count} of {recent}",
                recent == 0 ? "–" : CheckInSummary.Percent(100.0 * r.Count / recent)]).ToList()));

        var aim = data.Metrics[0];
        return new Reply($"{heading}: {aim.Metric.Name} {aim.ValueText}; {aim.Chart.Summary}", blocks, Ephemeral: true);
    }

    private void AddMetric(List<Block> blocks, string workspace, Initiative initiative, IReadOnlyList<MetricSummary> all, int index, string week, bool sparkline)
    {
        var summary = all[index];
        var fields = new List<Field> { new(summary.Metric.Name + (summary.IsAim ? " (aim)" : ""), summary.ValueText) };
        if (sparkline) fields.Add(new Field($"Last {CheckInSummary.SparklineWeeks} weeks", Sparkline.Render(summary.Values, CheckInSummary.SparklineWeeks)));
        if (summary.Chart.Median is { } median)
        {
            var present = summary.Values.Count(v => v is not null);
            fields.Add(new Field("Median", present == summary.Weeks.Count
                ? $"{CheckInSummary.Number(median)} over {present} weeks"
                : $"{CheckInSummary.Number(median)} over {present} weeks with values (of the last {summary.Weeks.Count})"));
        }
        if (summary.ProgressPercent is { } progress)
            fields.Add(new Field("Progress", $"{CheckInSummary.Percent(progress)} of the way from {CheckInSummary.Number(initiative.Baseline!.Value)} to {CheckInSummary.Number(initiative.Target!.Value)}"));
        if (summary.Projection is { } projection) fields.Add(new Field("Projection", projection));
        if (summary.Parts.Count > 1)
        {
            // The biggest parts first; a long tail of zeros says nothing.
            var parts = summary.Parts.Where(p => p.Value != 0).OrderByDescending(p => Math.Abs(p.Value)).ToList();
            var shown = string.Join(", ", parts.Take(MaxParts).Select(p => $"{At(p.Member)} {CheckInSummary.Number(p.Value)}"));
            var rest = parts.Count - MaxParts;
            var zeros = summary.Parts.Count - parts.Count;
            fields.Add(new Field("By member", (shown.Length == 0 ? "all 0" : shown) + (rest > 0 ? $", and {rest} more" : "") + (zeros > 0 && shown.Length > 0 ? $" ({zeros} reported 0)" : "")));
        }
        blocks.Add(new Fields(fields));
        if (Breakdown(initiative, all, summary) is { } breakdown) blocks.Add(new Context(breakdown));
        if (summary.Spans is { Count: > 1 } spans)
            blocks.Add(new Context("Phases: " + string.Join("; ", spans.Select(p =>
                $"from {p.FromWeek}{(p.Note is { } note ? $" ({note})" : "")}, median {(p.Median is { } m ? CheckInSummary.Number(m) : "none")}"))));
        var signals = CheckInSummary.SignalLines(summary);
        blocks.Add(signals.Count == 0
            ? new Context($"Run chart: {summary.Chart.Summary.TrimEnd('.')}.")
            : new ItemList(signals.Select(s => new ListItem(s)).ToList()));
        if (sparkline && PhasedChart.SuggestFrom(summary.Chart, summary.Weeks, summary.Values) is { } from)
            blocks.Add(new Context($"Suggestion: {summary.Metric.Name} has held a new level, in the wanted direction, since {from}. To judge the coming weeks " +
                                   $"against it, start a new phase: checkin rephase {initiative.Ref} --from {from} --metric \"{summary.Metric.Name}\""));
        blocks.Add(new Chart($"Run chart: {summary.Metric.Name}, {summary.Weeks.Count} weeks to {week}", ChartLink(workspace, initiative, index, week, summary.Weeks.Count),
            ChartLink(workspace, initiative, index, week, summary.Weeks.Count, ChartFormat.Png), ChartContent.AltTextOf(summary, summary.IsAim ? initiative.Target : null)));
    }

    /// <summary>
    /// The weeks from <paramref name="first"/> to <paramref name="last"/> whose actively homeless is not the previous week's
    /// plus inflow minus outflow (each checked against the week before it); empty without the Built for Zero metrics.
    /// </summary>
    public async Task<IReadOnlyList<WeekImbalance>> ImbalancesAsync(string workspace, Initiative initiative, string first, string last, CancellationToken ct)
    {
        var metrics = initiative.Metrics;
        Metric? Find(string name) => metrics.FirstOrDefault(m => m.Name == name);
        if (Find("actively homeless") is not { } actively || Find("inflow") is not { } inflow || Find("outflow") is not { } outflow) return [];
        var span = IsoWeeks.Monday(last).DayNumber - IsoWeeks.Monday(first).DayNumber;
        var (weeks, history, skipped) = await WindowAsync(workspace, initiative, last, span / 7 + 2, ct);
        var byWeek = CheckInSummary.ByWeek(history.Where(c => string.CompareOrdinal(c.Week, last) <= 0));
        List<double?> Values(Metric metric) => weeks.Select(w => skipped.Contains(w) ? null : CheckInSummary.WeekValue(metric, byWeek, w)).ToList();
        return CheckInSummary.Imbalances(weeks, Values(actively), Values(inflow), Values(outflow)).OutOfBalance;
    }

    /// <summary>The monthly roll-up of the last <paramref name="months"/> months to <paramref name="week"/> (or the latest week with values before it).</summary>
    public async Task<(string AsOf, IReadOnlyList<MonthRow> Rows)> MonthlyAsync(string workspace, Initiative initiative, string week, int months, CancellationToken ct)
    {
        var asOf = await checkIns.LatestWeekWithValuesAsync(workspace, initiative.Id, week, ct) ?? week;
        var (weeks, history, skipped) = await WindowAsync(workspace, initiative, asOf, MonthlyRollup.WeeksFor(months), ct);
        var byWeek = CheckInSummary.ByWeek(history.Where(c => string.CompareOrdinal(c.Week, asOf) <= 0));
        return (asOf, MonthlyRollup.Of(initiative, weeks, byWeek, skipped, months));
    }

    /// <summary><c>checkin report --monthly</c>: the roll-up as a table, with the latest month's functional-zero status.</summary>
    public async Task<Reply> MonthlyReportAsync(string workspace, Initiative initiative, string week, int months, CancellationToken ct)
    {
        var (asOf, rows) = await MonthlyAsync(workspace, initiative, week, months, ct);
        var heading = rows.Count == 0 ? $"{initiative.Name}: by month" : $"{initiative.Name}: by month, {rows[0].Label} to {rows[^1].Label}";
        var blocks = new List<Block> { new Heading(heading) };
        if (asOf != week) blocks.Add(new Paragraph($"As of {asOf} — no check-ins yet for {week}."));
        blocks.Add(new Table(MonthlyRollup.Columns(initiative), rows.Select(r => MonthlyRollup.Cells(initiative, r)).Reverse().ToList()));
        if (rows.Count > 0 && rows[^1].Zero is { } zero) blocks.Add(new Paragraph(zero.Text));
        blocks.Add(new Context("A week counts in the month of its Thursday (the month holding 4 or more of its days). Actively homeless is the month's " +
                               "last week with a value; the other numbers add up over the month's weeks. Balance: the month's actively homeless against " +
                               "the previous month's + inflow − outflow."));
        var text = rows.Count == 0 ? $"{heading}: no check-ins yet" : $"{heading}: {rows.Count} months";
        return new Reply(text, blocks, Ephemeral: true);
    }

    /// <summary>Where the initiative stands against its functional-zero goal at the last of <paramref name="weeks"/>; null without a goal.</summary>
    private static ZeroStatus? Zero(Initiative initiative, IReadOnlyList<string> weeks, IReadOnlyDictionary<string, List<CheckIn>> byWeek, IReadOnlySet<string> skipped)
    {
        if (initiative.Goal is null) return null;
        List<double?> Values(string name) => initiative.Metrics.FirstOrDefault(m => m.Name == name) is { } metric
            ? weeks.Select(w => skipped.Contains(w) ? null : CheckInSummary.WeekValue(metric, byWeek, w)).ToList()
            : weeks.Select(_ => (double?)null).ToList();
        return FunctionalZero.Evaluate(initiative.Goal, weeks, Values("actively homeless"), Values("moved to housing"));
    }

    /// <summary>"outflow 9: moved to housing 7, moved to inactive 2" — a total and the list statuses it is made of, when tracked.</summary>
    private static string? Breakdown(Initiative initiative, IReadOnlyList<MetricSummary> all, MetricSummary total)
    {
        var parts = Metric.PartsIn(initiative.Metrics, total.Metric.Name);
        if (parts.Count == 0 || total.Current is not { } value) return null;
        var values = parts.Select(p => (p.Name, Value: all.First(s => s.Metric.Name == p.Name).Current)).ToList();
        if (values.All(v => v.Value is null)) return $"{total.Metric.Name} {CheckInSummary.Number(value)}: its parts were not given";
        var shown = values.Where(v => v.Value is > 0).Select(v => $"{v.Name} {CheckInSummary.Number(v.Value!.Value)}").ToList();
        var sum = values.Sum(v => v.Value ?? 0);
        var missing = values.Where(v => v.Value is null).Select(v => v.Name).ToList();
        return $"{total.Metric.Name} {CheckInSummary.Number(value)}: {(shown.Count == 0 ? "all parts 0" : string.Join(", ", shown))}" +
               (Math.Abs(sum - value) >= 1e-9 ? $" (the parts add up to {CheckInSummary.Number(sum)})" : "") +
               (missing.Count > 0 ? $"; not given: {string.Join(", ", missing)}" : "");
    }

    /// <summary>The signed link of a metric's run chart (absolute when the public address is known), as SVG or PNG.</summary>
    public string ChartLink(string workspace, Initiative initiative, int metric, string week, int weekCount, ChartFormat format = ChartFormat.Svg)
    {
        var path = ChartPath(workspace, initiative.Id, metric, week, weekCount, format);
        var signed = links.Sign(path, ChartLinkLifetime);
        return bot.PublicBase is { } publicBase ? publicBase + signed : signed;
    }

    /// <summary>The chart's path as signed: <c>/charts/{workspace}/{initiative id}/{metric}/{week}.svg?weeks=N</c> (or <c>.png</c>).</summary>
    public static string ChartPath(string workspace, long initiativeId, int metric, string week, int weekCount, ChartFormat format = ChartFormat.Svg) =>
        $"/charts/{Uri.EscapeDataString(workspace)}/{initiativeId}/{metric}/{week}.{(format == ChartFormat.Png ? "png" : "svg")}?weeks={weekCount}";

    /// <summary>True when the link's signature matches the path and has not expired.</summary>
    public bool VerifyChart(string path, string? exp, string? sig) => links.Verify(path, exp, sig);

    /// <summary>The SVG run chart of one metric, or null when the initiative or metric does not exist (any more).</summary>
    public async Task<string?> ChartSvgAsync(string workspace, long initiativeId, int metric, string week, int weekCount, CancellationToken ct) =>
        await ChartAsync(workspace, initiativeId, metric, week, weekCount, ct) is { } chart
            ? RunChartSvg.Render(chart.Title, chart.Unit, chart.Points, chart.Median, chart.Target, phases: chart.Phases)
            : null;

    /// <summary>The PNG run chart of one metric (800×400 unless sized), or null when the initiative or metric does not exist (any more).</summary>
    public async Task<byte[]?> ChartPngAsync(string workspace, long initiativeId, int metric, string week, int weekCount, CancellationToken ct,
        int width = 800, int height = 400) =>
        await ChartAsync(workspace, initiativeId, metric, week, weekCount, ct) is { } chart
            ? RunChartPng.Render(chart.Title, chart.Unit, chart.Points, chart.Median, chart.Target, width, height, chart.Phases)
            : null;

    /// <summary>What one metric's run chart draws, and its text alternative; null when the initiative or metric does not exist.</summary>
    public async Task<ChartContent?> ChartAsync(string workspace, long initiativeId, int metric, string week, int weekCount, CancellationToken ct)
    {
        if (await initiatives.GetAsync(workspace, initiativeId, ct) is not { } initiative || metric < 0 || metric >= initiative.Metrics.Count) return null;
        var data = await LoadAsync(workspace, initiative, week, weekCount, ct);
        return ChartContent.Of(initiative, data.Metrics[metric]);
    }

    private static string At(string member) => "@" + member;
}

/// <summary>An initiative's numbers as <c>checkin report</c> computes them (see <see cref="CheckInDigest.NumbersAsync"/>).</summary>
/// <param name="Week">The week the numbers are as of.</param>
/// <param name="Asked">The week asked for (later than <paramref name="Week"/> when it has no values yet).</param>
public sealed record InitiativeNumbers(string Week, string Asked, IReadOnlyList<string> Weeks, IReadOnlyList<MetricSummary> Metrics, BalanceCheck? Balance,
    DataQuality Quality, ZeroStatus? Zero, Participation Participation);

/// <summary>Who checked in over the last (at most 12) weeks of a window that were not skipped; members most regular first.</summary>
public sealed record Participation(int Weeks, IReadOnlyList<(string Member, int Count)> Members, double OverallPercent)
{
    public static Participation Of(Initiative initiative, IReadOnlyList<string> weeks, IReadOnlySet<string> skipped, IReadOnlyDictionary<string, List<CheckIn>> byWeek)
    {
        var recent = weeks.Where(w => !skipped.Contains(w)).TakeLast(CheckInSummary.SparklineWeeks).ToList();
        var rows = initiative.Members.Select(m =>
        {
            var count = recent.Count(w => byWeek.TryGetValue(w, out var list) && list.Any(c => c.Member == m));
            return (Member: m, Count: count);
        }).OrderByDescending(r => r.Count).ThenBy(r => r.Member, StringComparer.Ordinal).ToList();
        var total = rows.Sum(r => r.Count);
        return new Participation(recent.Count, rows, recent.Count * rows.Count == 0 ? 0 : 100.0 * total / (recent.Count * rows.Count));
    }
}

/// <summary>The two forms a run chart is served in.</summary>
public enum ChartFormat { Svg, Png }

/// <summary>What a metric's run chart draws (shared by the SVG and the PNG), with its text alternative.</summary>
public sealed record ChartContent(string Title, string Unit, IReadOnlyList<ChartPoint> Points, double? Median, double? Target,
    IReadOnlyList<PhaseSpan>? Phases, string AltText)
{
    public static ChartContent Of(Initiative initiative, MetricSummary summary)
    {
        var highlighted = summary.Chart.Signals.SelectMany(s => Enumerable.Range(s.FirstIndex, s.LastIndex - s.FirstIndex + 1)).ToHashSet();
        var points = summary.Weeks.Select((w, i) => new ChartPoint(w, summary.Values[i], highlighted.Contains(i))).ToList();
        var target = summary.IsAim ? initiative.Target : null;
        return new ChartContent($"{initiative.Name}: {summary.Metric.Name}", summary.Metric.Unit, points, summary.Chart.Median, target,
            summary.Spans is { Count: > 1 } spans ? spans : null, AltTextOf(summary, target));
    }

    /// <summary>
    /// The chart in words, for screen readers and for clients that do not load images: "Run chart of Actively homeless,
    /// 26 weeks to 2026-W48. Latest: 116 people in 2026-W48. Median 120; target 0. Signals: ▲ Improvement: … (2026-W40–2026-W45)."
    /// </summary>
    public static string AltTextOf(MetricSummary summary, double? target)
    {
        var text = new StringBuilder($"Run chart of {summary.Metric.Name}, {summary.Weeks.Count} weeks");
        if (summary.Weeks.Count > 0) text.Append(" to ").Append(summary.Weeks[^1]);
        var latest = Enumerable.Range(0, summary.Values.Count).LastOrDefault(i => summary.Values[i] is not null, -1);
        text.Append(latest < 0
            ? ". No values yet."
            : $". Latest: {CheckInSummary.Number(summary.Values[latest]!.Value)}{(summary.Metric.Unit.Length > 0 ? " " + summary.Metric.Unit : "")} in {summary.Weeks[latest]}.");
        var levels = new List<string>();
        if (summary.Chart.Median is { } median) levels.Add($"median {CheckInSummary.Number(median)}");
        if (target is { } t) levels.Add($"target {CheckInSummary.Number(t)}");
        if (levels.Count > 0) text.Append(' ').Append(char.ToUpperInvariant(levels[0][0])).Append(string.Join("; ", levels)[1..]).Append('.');
        var signals = CheckInSummary.SignalLines(summary);
        text.Append(signals.Count == 0 ? " No signals." : $" Signals: {string.Join("; ", signals)}.");
        return text.ToString();
    }
}
