using System.Globalization;
using CoordBot.Allies;
using CoordBot.Chat;
using CoordBot.Dashboard;
using CoordBot.Outbox;
using CoordBot.Scheduling;
using static System.FormattableString;

namespace CoordBot.Workspaces;

/// <summary>The <c>coord</c> command: help, workspace settings, admins and upcoming sends.</summary>
public sealed class CoordCommands(WorkspaceStore workspaces, AllyStore allies, OutboxStore outbox, IScheduledSends schedule,
    IEnumerable<ITimeZoneListener> zoneListeners, Lazy<CommandTable> table, DashboardSessions dashboard)
{
    public CommandGroup Group => new("coord", "workspace help, settings, admins, scheduled sends and the web dashboard",
    [
        new("coord", "help", "coord help", "Every command, with examples.", [], ["coord help"], (_, _) => Task.FromResult(Help.Overview(table.Value))),
        new("coord", "settings", "coord settings [--tz ZONE] [--cadence LEVEL=DAYS,…]",
            "Show the workspace settings, or change its time zone or how often allies at each level should be contacted (admins).",
            [new("tz", FlagKind.Text, "IANA time zone id, e.g. America/Chicago"),
             new("cadence", FlagKind.Text, "contact interval by level in days, or off, e.g. elected=30,appointed=45,career=off")],
            ["coord settings --tz America/Chicago", "coord settings --cadence elected=21,staff=120"], SettingsAsync),
        new("coord", "admins", "coord admins [add|remove @user]", "List the workspace admins, or add or remove one (admins).",
            [], ["coord admins", "coord admins add @sam"], AdminsAsync),
        new("coord", "status", "coord status", "The next 20 scheduled sends in this workspace.", [], ["coord status"], StatusAsync),
        new("coord", "dashboard", "coord dashboard [revoke]",
            "A private link to this workspace's read-only web dashboard (initiatives, coalition, elections); revoke ends every dashboard session and link (admins).",
            [], ["coord dashboard", "coord dashboard revoke"], DashboardAsync),
    ]);

    /// <summary><c>coord dashboard [revoke]</c>: a signed link for the asker, shown only to them; or, for admins, the end of every session and link.</summary>
    private async Task<Reply> DashboardAsync(CommandContext ctx, CancellationToken ct)
    {
        var words = ctx.Args.Words;
        if (words.Count == 1 && words[0].Equals("revoke", StringComparison.OrdinalIgnoreCase))
        {
            if (!ctx.User.IsAdmin) return Reply.Error("Only a workspace admin can revoke dashboard links.", "See the admins with: coord admins");
            var ended = await dashboard.RevokeAsync(ctx.WorkspaceId, ctx.UserId, ct);
            return Reply.Say($"Ended {ended.ToString(CultureInfo.InvariantCulture)} dashboard session{(ended == 1 ? "" : "s")}; every dashboard link given out " +
                             "before now no longer works. Anyone who needs the dashboard can ask for a fresh link: coord dashboard", ephemeral: true);
        }
        if (words.Count > 0) return Reply.Error($"coord dashboard takes no words but revoke, not \"{ctx.Args.Rest()}\".", "Use coord dashboard, or coord dashboard revoke (admins).");
        var link = await dashboard.LinkAsync(ctx.WorkspaceId, ctx.UserId, ct);
        var lifetime = DescribeLifetime(dashboard.Lifetime);
        // The link is a credential for this user: always private, and never in the notification text.
        return new Reply($"Your dashboard link (works for {lifetime}).",
        [
            new Paragraph($"The read-only dashboard of this workspace: initiatives with their run charts, the coalition, elections. The link is yours alone and works for {lifetime}."),
            new LinkButton("Open the dashboard", link),
            new Context("Do not forward it: anyone who opens it sees this workspace's dashboard. An admin can end every link and session: coord dashboard revoke"),
        ], Ephemeral: true);
    }

    /// <summary>"12 hours", "30 minutes", "2 days".</summary>
    public static string DescribeLifetime(TimeSpan lifetime) =>
        lifetime.TotalDays >= 1 && lifetime.TotalDays % 1 == 0 ? Plural((int)lifetime.TotalDays, "day")
        : lifetime.TotalHours >= 1 && lifetime.TotalHours % 1 == 0 ? Plural((int)lifetime.TotalHours, "hour")
        : Plural((int)Math.Round(lifetime.TotalMinutes), "minute");

    private static string Plural(int n, string unit) => $"{n.ToString(CultureInfo.InvariantCulture)} {unit}{(n == 1 ? "" : "s")}";

    /// <summary><c>coord settings [--tz ZONE] [--cadence LEVEL=DAYS,…]</c>.</summary>
    private async Task<Reply> SettingsAsync(CommandContext ctx, CancellationToken ct)
    {
        if (ctx.Args.Words.Count > 0) return Reply.Error($"coord settings takes only flags, but got \"{ctx.Args.Rest()}\".");
        var zoneId = ctx.Args.Text("tz");
        var cadenceText = ctx.Args.Text("cadence");
        if (zoneId is null && cadenceText is null)
        {
            var cadence = await allies.CadenceAsync(ctx.WorkspaceId, ct);
            var intervals = string.Join(", ", AllyVocabulary.Levels.Select(l => $"{l} {Cadence.Describe(Cadence.For(cadence, l))}"));
            return new Reply($"Time zone: {ctx.Workspace.TimeZone.Id}; contact intervals: {intervals}",
                [new Heading("Workspace settings"),
                 new Fields([new Field("Time zone", ctx.Workspace.TimeZone.Id), new Field("Contact intervals by level", intervals)]),
                 new Context("Change them with: coord settings --tz America/Chicago · coord settings --cadence elected=30,appointed=45,career=off")],
                Ephemeral: true);
        }
        if (!ctx.User.IsAdmin) return Reply.Error("Only a workspace admin can change settings.", "See the admins with: coord admins");
        // Everything is checked before anything changes.
        TimeZoneInfo? zone = null;
        if (zoneId is not null && ((zone = WorkspaceStore.FindZone(zoneId)) is null || !zoneId.Contains('/') && zoneId != "UTC"))
            return Reply.Error($"\"{zoneId}\" is not a time zone I know.", "Use an IANA id such as America/Chicago, Europe/London or UTC.", "tz");
        IReadOnlyDictionary<string, int>? levels = null;
        if (cadenceText is not null)
        {
            (levels, var problem) = Cadence.Parse(cadenceText);
            if (levels is null) return Reply.Error("--cadence: " + problem, "e.g. coord settings --cadence elected=30,appointed=45,career=off", "cadence");
        }
        var said = new List<string>();
        if (zone is not null)
        {
            await workspaces.SetTimeZoneAsync(ctx.WorkspaceId, zone.Id, ct);
            foreach (var listener in zoneListeners) await listener.TimeZoneChangedAsync(ctx.WorkspaceId, ct);
            var local = TimeZoneInfo.ConvertTime(ctx.Now, zone);
            said.Add(Invariant($"Time zone set to {zone.Id} (it is {local:yyyy-MM-dd HH:mm} there now). Scheduled sends now follow it."));
        }
        if (levels is not null)
        {
            var moved = await allies.SetCadenceAsync(ctx.WorkspaceId, levels, ct);
            said.Add($"Contact intervals set: {string.Join(", ", levels.Select(l => $"{l.Key} {Cadence.Describe(l.Value)}"))}. " +
                     Invariant($"{moved} {(moved == 1 ? "ally has" : "allies have")} a new due day (allies with their own interval keep it)."));
        }
        return Reply.Say(string.Join(" ", said), ephemeral: true);
    }

    /// <summary><c>coord admins [add|remove @user]</c>.</summary>
    private async Task<Reply> AdminsAsync(CommandContext ctx, CancellationToken ct)
    {
        var words = ctx.Args.Words;
        if (words.Count == 0)
        {
            var admins = await workspaces.ListAdminsAsync(ctx.WorkspaceId, ct);
            return new Reply($"Admins: {string.Join(", ", admins.Select(a => "@" + a))}",
                [new Heading("Workspace admins"), new ItemList(admins.Select(a => new ListItem("@" + a)).ToList()),
                 new Context("Admins can remove any record and change settings. Add one with: coord admins add @user")], Ephemeral: true);
        }
        var verb = words[0].ToLowerInvariant();
        if (verb is not ("add" or "remove") || words.Count != 2)
            return Reply.Error("Use coord admins, coord admins add @user or coord admins remove @user.");
        if (!UserRef.TryParse(words[1], out var user)) return Reply.Error($"\"{words[1]}\" is not a user like @sam.");
        if (!ctx.User.IsAdmin) return Reply.Error("Only a workspace admin can change admins.", "See the admins with: coord admins");
        if (verb == "remove")
        {
            var admins = await workspaces.ListAdminsAsync(ctx.WorkspaceId, ct);
            if (!admins.Contains(user)) return Reply.Error($"@{user} is not an admin.");
            if (admins.Count == 1) return Reply.Error($"@{user} is the only admin; add another admin first.");
        }
        await workspaces.SetAdminAsync(ctx.WorkspaceId, user, verb == "add", ct);
        return Reply.Say(verb == "add" ? $"@{user} is now an admin." : $"@{user} is no longer an admin.", ephemeral: true);
    }

    /// <summary>How far back <c>coord status</c> lists failed sends, and how many it names.</summary>
    public static readonly TimeSpan FailedWindow = TimeSpan.FromDays(7);
    public const int FailedShown = 10;

    /// <summary>
    /// <c>coord status</c>: the next sends, scheduled (reminders, prompts) and waiting in the outbox, soonest first;
    /// for admins also the sends that failed for good in the last 7 days, with the reason.
    /// </summary>
    private async Task<Reply> StatusAsync(CommandContext ctx, CancellationToken ct)
    {
        var pending = await outbox.PendingAsync(ctx.WorkspaceId, 20, ct);
        var scheduled = await schedule.UpcomingAsync(ctx.WorkspaceId, 20, ct);
        var sends = pending.Select(p => (At: p.NotBefore, What: $"{p.Key} → {p.Destination}" +
                (p.Attempts > 0 ? $" · retry {(p.Attempts + 1).ToString(CultureInfo.InvariantCulture)}{(p.LastError is null ? "" : ": " + p.LastError)}" : "")))
            .Concat(scheduled.Select(s => (At: s.FireAt, What: $"{s.Key}{(s.Data.GetValueOrDefault("channel") is { } c ? $" → {c}" : "")}")))
            .OrderBy(x => x.At).Take(20).ToList();
        var (failures, failedTotal) = ctx.User.IsAdmin
            ? await outbox.FailedSinceAsync(ctx.WorkspaceId, ctx.Now - FailedWindow, FailedShown, ct)
            : ([], 0);

        var blocks = new List<Block>();
        if (sends.Count > 0)
            blocks.AddRange([new Heading("Next scheduled sends"), new ItemList(sends.Select(x => new ListItem(Local(ctx, x.At), x.What)).ToList())]);
        else
            blocks.Add(new Paragraph("Nothing is scheduled to be sent in this workspace."));
        if (failures.Count > 0)
        {
            blocks.Add(new Heading("Failed sends in the last 7 days"));
            blocks.Add(new ItemList(failures.Select(f => new ListItem(Local(ctx, f.FailedAt), $"{f.Key} → {f.Destination}: {f.Reason ?? "no reason recorded"}")).ToList()));
            if (failedTotal > failures.Count)
                blocks.Add(new Context($"and {(failedTotal - failures.Count).ToString(CultureInfo.InvariantCulture)} more"));
        }
        var summary = sends.Count == 0 ? "Nothing is scheduled to be sent in this workspace."
            : $"{sends.Count.ToString(CultureInfo.InvariantCulture)} scheduled send{(sends.Count == 1 ? "" : "s")}";
        if (failedTotal > 0) summary += $" · {failedTotal.ToString(CultureInfo.InvariantCulture)} failed in the last 7 days";
        return new Reply(summary, blocks, Ephemeral: true);
    }

    private static string Local(CommandContext ctx, DateTimeOffset at) =>
        TimeZoneInfo.ConvertTime(at, ctx.Workspace.TimeZone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " " + ctx.Workspace.TimeZone.Id;
}

/// <summary>A feature whose schedule follows the workspace's time zone (reminders at 09:00 local) and must move with it.</summary>
public interface ITimeZoneListener
{
    Task TimeZoneChangedAsync(string workspaceId, CancellationToken ct);
}
