using CoordBot.Allies;
using CoordBot.Chat;
using CoordBot.Dashboard;
using CoordBot.Elections;
using CoordBot.Slack.Api;
using CoordBot.Slack.BlockKit;
using CoordBot.Workspaces;
using static System.FormattableString;

namespace CoordBot.Slack;

/// <summary>The App Home tab: the allies this user owns who are due for contact, and what comes next.</summary>
public sealed class SlackHome(AllyStore allies, ElectionStore elections, WorkspaceStore workspaces, SlackApiClient api, ISlackTokens tokens, TimeProvider time,
    DashboardSessions dashboard, BotOptions bot)
{
    /// <summary>Days without contact after which an owned ally shows as due.</summary>
    public const int DueAfterDays = 30;

    public async Task PublishAsync(string workspaceId, string userId, CancellationToken ct)
    {
        if (await tokens.BotTokenAsync(workspaceId, ct) is not { } token) return;
        await api.PublishHomeAsync(token, userId, BlockKitRenderer.Home(await SectionsAsync(workspaceId, userId, ct)), ct);
    }

    /// <summary>The Home tab's content as channel-neutral replies (one per section).</summary>
    public async Task<IReadOnlyList<Reply>> SectionsAsync(string workspaceId, string userId, CancellationToken ct)
    {
        var (workspace, _) = await workspaces.EnsureUserAsync(workspaceId, "slack", userId, null, ct);
        var today = DateWords.LocalDate(time.GetUtcNow(), workspace.TimeZone);
        var (due, total, exact) = await allies.ListAsync(workspaceId, new AllyFilter(Owner: userId, StaleBefore: today.AddDays(-DueAfterDays)), 1, 10, ct);
        var mine = new List<Block> { new Heading("Your allies due for contact") };
        if (due.Count == 0)
            mine.Add(new Paragraph($"Nobody you own has gone {DueAfterDays} days without contact. Own an ally with /ally edit A12 --owner @you."));
        else
        {
            mine.Add(new ItemList(due.Select(a => new ListItem(a.Label, a.LastContact is { } d ? Invariant($"last contact {d:yyyy-MM-dd}") : "no contact yet")).ToList()));
            mine.Add(new Context($"{total}{(exact ? "" : "+")} due · log a touchpoint with /ally log A12 \"what you talked about\""));
        }
        return
        [
            new Reply("Your allies due for contact", mine),
            await ComingUpAsync(workspaceId, today, ct),
            await DashboardAsync(workspaceId, userId, ct),
        ];
    }

    /// <summary>The web dashboard's button: a fresh link for this user each time the tab is published (only Slack's user sees their Home tab).</summary>
    private async Task<Reply> DashboardAsync(string workspaceId, string userId, CancellationToken ct)
    {
        if (bot.PublicBase is null)
            return new Reply("Dashboard", [new Context("The web dashboard needs Bot:PublicBaseUrl to be linked here; ask your admin to set it.")]);
        var lifetime = CoordBot.Workspaces.CoordCommands.DescribeLifetime(dashboard.Lifetime);
        return new Reply("Dashboard",
        [
            new LinkButton("Open the dashboard", await dashboard.LinkAsync(workspaceId, userId, ct)),
            new Context($"Initiatives with their run charts, the coalition and elections, read-only. The link is yours alone and works for {lifetime}; reopen this tab for a fresh one."),
        ]);
    }

    private async Task<Reply> ComingUpAsync(string workspaceId, DateOnly today, CancellationToken ct)
    {
        var upcoming = await elections.ListAsync(workspaceId, today, 5, ct);
        var blocks = new List<Block> { new Heading("Upcoming elections") };
        if (upcoming.Count == 0)
            blocks.Add(new Paragraph("No upcoming elections recorded. Add one with /election add atlanta 2027-11-02, or import a clerk's calendar with /election import URL."));
        else
            blocks.Add(new ItemList(upcoming.Select(e => new ListItem(Invariant($"{e.Label} · {e.Date:yyyy-MM-dd}"),
                $"in {e.Date.DayNumber - today.DayNumber} days · /election risk {e.Ref}")).ToList()));
        blocks.Add(new Context("Type /coord help for every command."));
        return new Reply("Upcoming elections", blocks);
    }
}
