using System.Globalization;
using CoordBot.Allies;
using CoordBot.Chat;
using CoordBot.CheckIns;
using CoordBot.Dashboard;
using CoordBot.Elections;
using CoordBot.Scheduling;
using CoordBot.Workspaces;

namespace CoordBot.Host.Dashboard;

/// <summary>
/// The dashboard's pages as HTML, from what the chat commands compute (<see cref="CheckInDigest.NumbersAsync"/>, the ally map,
/// turnover risk): every read is scoped by the session's workspace, and every id from a URL is looked up within it.
/// A page is null when what it names does not exist in that workspace.
/// </summary>
public sealed class DashboardPages(InitiativeStore initiatives, CheckInDigest digests, AllyStore allies, ElectionStore elections, IScheduledSends schedule,
    WorkspaceStore workspaces, TimeProvider time)
{
    /// <summary>Weeks of run chart a page shows unless <c>?weeks=</c> says otherwise, and the range it accepts.</summary>
    public const int DefaultWeeks = CheckInSummary.ChartWeeks, MinWeeks = 4, MaxWeeks = 156;

    /// <summary>Size of a chart image (as drawn by <see cref="RunChartPng"/>).</summary>
    public const int ChartWidth = 800, ChartHeight = 400;

    /// <summary>How many links, stale allies and elections a page lists at most.</summary>
    public const int MaxListed = 500;

    /// <summary>The Initiatives page: every initiative with each metric's chart and numbers.</summary>
    public async Task<string> InitiativesAsync(DashboardSession session, CancellationToken ct)
    {
        var html = Start(session, "Initiatives", "Initiatives").El("h1", "Initiatives");
        var list = await initiatives.ListAsync(session.WorkspaceId, ct);
        if (list.Count == 0) html.El("p", "No initiatives yet. Set one up in chat: checkin setup \"Veteran homelessness\" --template bfz --members @you", "muted");
        foreach (var initiative in list) await InitiativeSectionAsync(html, session, initiative, DefaultWeeks, detailed: false, ct);
        return End(html);
    }

    /// <summary>One initiative (by its reference number), with participation by member; <paramref name="print"/> for the print view.</summary>
    public async Task<string?> InitiativeAsync(DashboardSession session, long refNo, int weeks, bool print, CancellationToken ct)
    {
        if (await FindInitiativeAsync(session.WorkspaceId, refNo, ct) is not { } initiative) return null;
        var html = Start(session, initiative.Label, "Initiatives", print);
        await InitiativeSectionAsync(html, session, initiative, weeks, detailed: true, ct);
        return End(html);
    }

    /// <summary>The PNG of one metric's run chart, or null when the initiative or metric is not the session workspace's.</summary>
    public async Task<byte[]?> ChartAsync(DashboardSession session, long refNo, int metric, int weeks, CancellationToken ct)
    {
        if (await FindInitiativeAsync(session.WorkspaceId, refNo, ct) is not { } initiative) return null;
        var week = new CheckInCycle(initiative).WeekAt(time.GetUtcNow());
        return await digests.ChartPngAsync(session.WorkspaceId, initiative.Id, metric, week, weeks, ct, ChartWidth, ChartHeight);
    }

    private async Task<Initiative?> FindInitiativeAsync(string workspace, long refNo, CancellationToken ct) =>
        (await initiatives.ListAsync(workspace, ct)).FirstOrDefault(i => i.RefNo == refNo);

    private async Task InitiativeSectionAsync(Html html, DashboardSession session, Initiative initiative, int weeks, bool detailed, CancellationToken ct)
    {
        var week = new CheckInCycle(initiative).WeekAt(time.GetUtcNow());
        var numbers = await digests.NumbersAsync(session.WorkspaceId, initiative, week, weeks, ct);
        var page = InitiativePath(initiative.RefNo);
        html.Raw("<section class=\"initiative\"").Attr("id", initiative.Ref).Raw(">");
        if (detailed) html.El("h1", initiative.Label);
        else html.Raw("<h2>").Link(page, initiative.Label).Raw("</h2>");
        html.El("p", $"{numbers.Weeks.Count} weeks to {numbers.Week}" + (initiative.Paused ? " · paused" : "") +
                     (numbers.Week == numbers.Asked ? "" : $" · as of {numbers.Week}: no check-ins yet for {numbers.Asked}"), "muted");

        for (var i = 0; i < numbers.Metrics.Count; i++)
        {
            var summary = numbers.Metrics[i];
            if (Metric.TotalOf(initiative.Metrics, summary.Metric.Name) is not null) continue;   // a list status shows in its total's line
            MetricBlock(html, initiative, summary, i, weeks, numbers.Metrics);
        }

        if (numbers.Balance is { } balance)
            html.El("p", balance.Text, balance.Possible && !balance.Balanced ? "bad" : "muted");
        html.El("p", numbers.Quality.Summary, numbers.Quality.Clean ? "muted" : "warn");
        if (numbers.Quality.OutOfBalance.Count > 0)
        {
            html.Raw("<ul class=\"warn\">");
            foreach (var w in numbers.Quality.OutOfBalance.Reverse().Take(20)) html.El("li", w.Text);
            html.Raw("</ul>");
        }
        if (numbers.Zero is { } zero) html.El("p", zero.Text, zero.Reached ? "good" : null);

        var participation = numbers.Participation;
        html.El("p", $"Participation over the last {participation.Weeks} weeks: {CheckInSummary.Percent(participation.OverallPercent)} of the expected check-ins " +
                     $"({participation.Members.Count} member{(participation.Members.Count == 1 ? "" : "s")}).");
        if (detailed && participation.Members.Count > 0)
        {
            html.Raw("<table><thead><tr><th>member</th><th class=\"n\">check-ins</th><th class=\"n\">response rate</th></tr></thead><tbody>");
            foreach (var (member, count) in participation.Members)
                html.Raw("<tr>").El("td", "@" + member).El("td", $"{count} of {participation.Weeks}", "n")
                    .El("td", participation.Weeks == 0 ? "–" : CheckInSummary.Percent(100.0 * count / participation.Weeks), "n").Raw("</tr>");
            html.Raw("</tbody></table>");
        }
        html.Raw("<p class=\"print-link\">");
        if (!detailed) html.Link(page, "Details").Raw(" · ");
        html.Link(page + "?print=1" + (weeks == DefaultWeeks ? "" : "&weeks=" + weeks.ToString(CultureInfo.InvariantCulture)), "Print view").Raw("</p>");
        html.Raw("</section>");
    }

    private static void MetricBlock(Html html, Initiative initiative, MetricSummary summary, int index, int weeks, IReadOnlyList<MetricSummary> all)
    {
        html.Raw("<div class=\"metric\">").El("h3", summary.Metric.Name + (summary.IsAim ? " (aim)" : ""));
        var latest = Enumerable.Range(0, summary.Values.Count).LastOrDefault(i => summary.Values[i] is not null, -1);
        html.El("p", latest < 0 ? "No values yet."
            : $"Latest: {CheckInSummary.Number(summary.Values[latest]!.Value)}{(summary.Metric.Unit.Length > 0 ? " " + summary.Metric.Unit : "")} in {summary.Weeks[latest]}" +
              (latest == summary.Values.Count - 1 ? $" · {summary.ValueText}" : ""), "value");
        var target = summary.IsAim ? initiative.Target : null;
        var src = $"{InitiativePath(initiative.RefNo)}/charts/{index.ToString(CultureInfo.InvariantCulture)}.png?weeks={weeks.ToString(CultureInfo.InvariantCulture)}";
        html.Raw("<figure><img").Attr("src", src).Attr("width", ChartWidth.ToString(CultureInfo.InvariantCulture))
            .Attr("height", ChartHeight.ToString(CultureInfo.InvariantCulture)).Attr("alt", ChartContent.AltTextOf(summary, target)).Raw(">")
            .El("figcaption", $"Run chart: {summary.Metric.Name}, {summary.Weeks.Count} weeks to {summary.Weeks[^1]}").Raw("</figure>");
        var signals = CheckInSummary.SignalLines(summary);
        if (signals.Count == 0) html.El("p", $"No signals: {summary.Chart.Summary.TrimEnd('.')}.", "muted");
        else
        {
            html.Raw("<ul class=\"signals\">");
            foreach (var signal in signals) html.El("li", signal, signal.StartsWith('⚠') ? "warn" : null);
            html.Raw("</ul>");
        }
        var facts = new List<(string, string)>();
        if (summary.Chart.Median is { } median) facts.Add(("Median", CheckInSummary.Number(median)));
        if (summary.ProgressPercent is { } progress)
            facts.Add(("Progress", $"{CheckInSummary.Percent(progress)} of the way from {CheckInSummary.Number(initiative.Baseline!.Value)} to {CheckInSummary.Number(initiative.Target!.Value)}"));
        if (summary.Projection is { } projection) facts.Add(("Projection", projection));
        var parts = Metric.PartsIn(initiative.Metrics, summary.Metric.Name);
        if (parts.Count > 0)
            facts.Add(("Parts", string.Join(", ", parts.Select(p => $"{p.Name} {(all.First(s => s.Metric.Name == p.Name).Current is { } v ? CheckInSummary.Number(v) : "–")}"))));
        if (facts.Count > 0)
        {
            html.Raw("<dl>");
            foreach (var (label, value) in facts) html.El("dt", label).El("dd", value);
            html.Raw("</dl>");
        }
        html.Raw("</div>");
    }

    /// <summary>The Coalition page: sector × level, stale allies by who keeps them, turnover gaps, who knows whom.</summary>
    public async Task<string> CoalitionAsync(DashboardSession session, CancellationToken ct)
    {
        var today = await TodayAsync(session.WorkspaceId, ct);
        var html = Start(session, "Coalition", "Coalition");
        var map = await allies.MapAsync(session.WorkspaceId, null, today.AddDays(-AllyCommands.StaleDays), ct);
        html.El("h1", $"Coalition: {map.Total.ToString("N0", CultureInfo.InvariantCulture)} {(map.Total == 1 ? "ally" : "allies")}");
        if (map.Total == 0)
        {
            html.El("p", "No allies yet. Add one in chat: ally add \"Jane Doe\" --org \"City of Atlanta\"", "muted");
            return End(html);
        }

        html.El("h2", "By sector and level");
        var sectors = AllyVocabulary.Sectors.Append("unset").Where(s => map.Counts.Any(c => c.Sector == s)).ToList();
        var levels = AllyVocabulary.Levels.Append("unset").Where(l => map.Counts.Any(c => c.Level == l)).ToList();
        html.Raw("<table><thead><tr><th>sector</th>");
        foreach (var level in levels) html.El("th", level, "n");
        html.Raw("<th class=\"n\">total</th></tr></thead><tbody>");
        foreach (var sector in sectors)
        {
            html.Raw("<tr>").El("th", sector);
            foreach (var level in levels) html.Raw("<td class=\"n\">").Number(map.Counts.FirstOrDefault(c => c.Sector == sector && c.Level == level).Count).Raw("</td>");
            html.Raw("<td class=\"n\">").Number(map.Counts.Where(c => c.Sector == sector).Sum(c => c.Count)).Raw("</td></tr>");
        }
        html.Raw("</tbody></table>");

        html.El("h2", $"No contact in {AllyCommands.StaleDays}+ days");
        var (stale, staleTotal, exact) = await allies.ListAsync(session.WorkspaceId, new AllyFilter(StaleBefore: today.AddDays(-AllyCommands.StaleDays)), 1, MaxListed, ct);
        if (stale.Count == 0) html.El("p", $"Everyone has been contacted in the last {AllyCommands.StaleDays} days.", "muted");
        else
        {
            if (staleTotal > stale.Count || !exact) html.El("p", $"The {stale.Count} least recently contacted of {staleTotal}{(exact ? "" : "+")}.", "muted");
            foreach (var group in stale.GroupBy(a => a.Keeper).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                html.El("h3", $"Kept by @{group.Key} ({group.Count()})").Raw("<ul>");
                foreach (var ally in group)
                    html.Raw("<li>").Link(AllyPath(ally.RefNo), ally.Label).Text(" · " + LastContact(ally, today) + (string.IsNullOrEmpty(ally.Org) ? "" : " · " + ally.Org)).Raw("</li>");
                html.Raw("</ul>");
            }
        }

        html.El("h2", "Turnover gaps");
        if (map.Gaps.Count == 0) html.El("p", "None: every government organization has someone who is not elected or appointed.", "muted");
        else
        {
            html.El("p", "In these government organizations every ally is elected or appointed, so an election could leave nobody:");
            html.Raw("<ul>");
            foreach (var (org, count) in map.Gaps) html.El("li", $"{org}: {count} {(count == 1 ? "ally" : "allies")}, none career/executive/staff");
            html.Raw("</ul>");
        }

        html.El("h2", "Who knows whom");
        var links = await allies.LinksAsync(session.WorkspaceId, MaxListed, ct);
        if (links.Count == 0) html.El("p", "No connections recorded yet. Record one in chat: ally link A1 A2 --as \"former colleagues\"", "muted");
        else
        {
            html.Raw("<ul class=\"links\">");
            foreach (var link in links)
                html.Raw("<li>").Link(AllyPath(link.RefA), $"{link.NameA} (A{link.RefA})").Text(" — ").Link(AllyPath(link.RefB), $"{link.NameB} (A{link.RefB})")
                    .Text(link.Relation is { Length: > 0 } r ? $" ({r})" : "").Raw("</li>");
            html.Raw("</ul>");
            if (links.Count == MaxListed) html.El("p", $"The first {MaxListed} connections, by name.", "muted");
        }
        return End(html);
    }

    /// <summary>The Elections page: the next 12 months, each election's at-risk and continuity allies and its scheduled reminders.</summary>
    public async Task<string> ElectionsAsync(DashboardSession session, CancellationToken ct)
    {
        var zone = await workspaces.EnsureWorkspaceZoneAsync(session.WorkspaceId, ct);
        var today = DateWords.LocalDate(time.GetUtcNow(), zone);
        var until = today.AddMonths(12);
        var html = Start(session, "Elections", "Elections");
        html.El("h1", $"Elections from {Day(today)} to {Day(until)}");
        var upcoming = (await elections.ListAsync(session.WorkspaceId, today, MaxListed, ct)).Where(e => e.Date <= until).ToList();
        if (upcoming.Count == 0)
        {
            html.El("p", "No elections in the next 12 months. Add one in chat: election add atlanta 2027-11-02, or import a clerk's calendar: election import URL", "muted");
            return End(html);
        }
        var reminders = (await schedule.UpcomingAsync(session.WorkspaceId, 1000, ct)).Where(s => s.Kind == ElectionReminders.KindName).ToList();
        foreach (var election in upcoming)
        {
            html.Raw("<section class=\"election\"").Attr("id", election.Ref).Raw(">")
                .El("h2", $"{Day(election.Date)} · {election.Label}")
                .El("p", string.Join(" · ", new[] { election.Jurisdiction, election.Kind, election.Offices, election.TakesOffice is { } t ? "takes office " + Day(t) : null }
                    .Where(s => !string.IsNullOrEmpty(s)).Append($"in {election.Date.DayNumber - today.DayNumber} days")), "muted");
            var risk = await elections.RiskAsync(session.WorkspaceId, election.JurisdictionKey, ct);
            AllyList(html, $"At risk ({risk.AtRisk.Count})", risk.AtRisk, "Nobody elected or appointed is recorded in this jurisdiction.");
            AllyList(html, $"Continuity allies ({risk.Continuity.Count})", risk.Continuity, "No continuity allies (career, executive, staff) in those organizations.");
            if (risk.OrgsAllAtRisk.Count > 0) html.El("p", $"Every ally is at risk at: {string.Join(", ", risk.OrgsAllAtRisk)}.", "warn");
            var mine = reminders.Where(r => r.Data.GetValueOrDefault("election") == election.RefNo.ToString(CultureInfo.InvariantCulture)).OrderBy(r => r.FireAt).ToList();
            html.El("h3", $"Reminders scheduled ({mine.Count})");
            if (mine.Count == 0) html.El("p", "None. Subscribe a channel in chat: election remind", "muted");
            else
            {
                html.Raw("<ul>");
                foreach (var r in mine)
                    html.El("li", TimeZoneInfo.ConvertTime(r.FireAt, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + $" {zone.Id}" +
                                  (r.Data.GetValueOrDefault("offset") is { } offset ? $" · {Offset(offset)}" : "") +
                                  (r.Data.GetValueOrDefault("channel") is { } channel ? $" · to {channel}" : ""));
                html.Raw("</ul>");
            }
            html.Raw("</section>");
        }
        return End(html);
    }

    private static void AllyList(Html html, string title, IReadOnlyList<Ally> list, string none)
    {
        html.El("h3", title);
        if (list.Count == 0)
        {
            html.El("p", none, "muted");
            return;
        }
        html.Raw("<ul>");
        foreach (var ally in list) html.Raw("<li>").Link(AllyPath(ally.RefNo), ally.Label).Text(string.IsNullOrEmpty(ally.Org) ? "" : " · " + ally.Org).Raw("</li>");
        html.Raw("</ul>");
    }

    /// <summary>An ally's page: fields, connections and touchpoints; null when the reference is not one of the session workspace's allies.</summary>
    public async Task<string?> AllyAsync(DashboardSession session, long refNo, CancellationToken ct)
    {
        if (await allies.GetAsync(session.WorkspaceId, refNo, ct) is not { } ally) return null;
        var today = await TodayAsync(session.WorkspaceId, ct);
        var cadence = await allies.CadenceAsync(session.WorkspaceId, ct);
        var html = Start(session, ally.Label, "Coalition");
        html.Raw("<section>").El("h1", ally.Label).Raw("<dl>");
        foreach (var field in AllyCommands.Details(ally, today, withContact: true, cadence)) html.El("dt", field.Label).El("dd", field.Value);
        html.Raw("</dl>");
        var connections = await allies.ConnectionsAsync(session.WorkspaceId, ally.Id, ct);
        html.El("h2", $"Connections ({connections.Count})");
        if (connections.Count == 0) html.El("p", "None recorded.", "muted");
        else
        {
            html.Raw("<ul>");
            foreach (var c in connections) html.Raw("<li>").Link(AllyPath(c.Ally.RefNo), c.Ally.Label).Text(c.Relation is { Length: > 0 } r ? $" ({r})" : "").Raw("</li>");
            html.Raw("</ul>");
        }
        var touchpoints = await allies.TouchpointsAsync(session.WorkspaceId, ally.Id, 50, ct);
        html.El("h2", "Touchpoints");
        if (touchpoints.Count == 0) html.El("p", "None yet.", "muted");
        else
        {
            html.Raw("<ul>");
            foreach (var t in touchpoints) html.El("li", $"{Day(t.On)}{(t.Via is null ? "" : " · " + t.Via)} · {t.Note} (by @{t.CreatedBy})");
            html.Raw("</ul>");
            if (touchpoints.Count == 50) html.El("p", "The latest 50.", "muted");
        }
        html.Raw("</section>");
        return End(html);
    }

    public static string InitiativePath(long refNo) => "/dashboard/initiatives/" + refNo.ToString(CultureInfo.InvariantCulture);

    public static string AllyPath(long refNo) => "/dashboard/allies/" + refNo.ToString(CultureInfo.InvariantCulture);

    private async Task<DateOnly> TodayAsync(string workspace, CancellationToken ct) =>
        DateWords.LocalDate(time.GetUtcNow(), await workspaces.EnsureWorkspaceZoneAsync(workspace, ct));

    private static string LastContact(Ally a, DateOnly today) => a.LastContact is not { } d ? "never contacted"
        : $"last contact {Day(d)} ({(today.DayNumber - d.DayNumber).ToString(CultureInfo.InvariantCulture)} days ago)";

    private static string Offset(string offset) => int.TryParse(offset, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var days)
        ? days == 0 ? "on the day" : $"{Math.Abs(days)} day{(Math.Abs(days) == 1 ? "" : "s")} {(days < 0 ? "before" : "after")}" : offset;

    private static string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static readonly (string Title, string Path)[] Nav = [("Initiatives", "/dashboard"), ("Coalition", "/dashboard/coalition"), ("Elections", "/dashboard/elections")];

    /// <summary>The page up to its main content: title, stylesheet, navigation, whose session it is.</summary>
    private Html Start(DashboardSession session, string title, string current, bool print = false)
    {
        var html = new Html();
        html.Raw("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Raw("<meta name=\"referrer\" content=\"no-referrer\"><title>").Text(title + " · CoordBot dashboard").Raw("</title>")
            .Raw("<link rel=\"stylesheet\" href=\"").Raw(DashboardEndpoints.StylesheetPath).Raw("\"></head><body").Raw(print ? " class=\"print\"" : "").Raw(">")
            .Raw("<header><span class=\"brand\">CoordBot dashboard</span><nav>");
        foreach (var (navTitle, path) in Nav)
        {
            html.Raw("<a").Attr("href", path);
            if (navTitle == current) html.Raw(" aria-current=\"page\"");
            html.Raw(">").Text(navTitle).Raw("</a>");
        }
        html.Raw("</nav>").El("p", $"Workspace {session.WorkspaceId} · @{session.UserId} · read-only · session ends " +
                                   session.ExpiresAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC", "who")
            .Raw("<form method=\"post\" action=\"").Raw(DashboardEndpoints.SignOutPath).Raw("\"><button type=\"submit\">Sign out</button></form></header><main>");
        return html;
    }

    private static string End(Html html) => html.Raw("</main></body></html>").ToString();
}
