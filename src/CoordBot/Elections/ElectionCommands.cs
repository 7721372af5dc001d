using System.Globalization;
using CoordBot.Allies;
using CoordBot.Chat;
using CoordBot.Data;

namespace CoordBot.Elections;

/// <summary>The <c>election</c> command: elections, turnover risk, iCalendar import and reminder subscriptions.</summary>
public sealed class ElectionCommands(ElectionStore store, ElectionReminders reminders, AllyStore allies, FeedFetcher feeds)
{
    private static readonly FlagSpec Jurisdiction = new("jurisdiction", FlagKind.Text, "city, county or state, or an Open Civic Data id");

    public CommandGroup Group => new("election", "elections and reminders ahead of political turnover",
    [
        new("election", "add", "election add <jurisdiction> <date> [--name N] [--kind primary|general|runoff|special] [--offices \"Mayor, Council\"] [--takes-office DATE]",
            "Record an election; subscribed channels get its reminders.",
            [new("name", FlagKind.Text, "what it is called, e.g. \"Atlanta municipal general\""),
             new("kind", FlagKind.Choice, "kind of election", ElectionVocabulary.Kinds),
             new("offices", FlagKind.Text, "offices on the ballot, e.g. \"Mayor, Council\""),
             new("takes-office", FlagKind.Date, "when the winners take office"), FlagSpec.Share],
            ["election add atlanta 2027-11-02 --kind general --offices \"Mayor, Council\" --takes-office 2028-01-03"], AddAsync),
        new("election", "list", "election list [--all]", "Upcoming elections with days to go (all of them with --all).",
            [new("all", FlagKind.Switch, "include past elections"), FlagSpec.Share], ["election list"], ListAsync),
        new("election", "show", "election show <ref>", "One election's details.", [FlagSpec.Share], ["election show E3"], ShowAsync),
        new("election", "remove", "election remove <ref>", "Delete an election and its pending reminders (creator or admin).", [], ["election remove E3"], RemoveAsync),
        new("election", "import", "election import <url>  (or the iCalendar text on the lines after the command) [--jurisdiction J]",
            "Import the events of an iCalendar feed (a clerk's election calendar); re-importing updates by UID.",
            [Jurisdiction], ["election import https://clerk.example.gov/elections.ics --jurisdiction atlanta"], ImportAsync),
        new("election", "remind", "election remind [--lead 180,90,30,7,1] [--after 1,30] [--jurisdiction J] | election remind off",
            "Subscribe this channel to election reminders at 09:00 on those days before and after each election.",
            [new("lead", FlagKind.Text, "days before election day, e.g. 180,90,30,7,1"),
             new("after", FlagKind.Text, "days after election day, e.g. 1,30"), Jurisdiction],
            ["election remind", "election remind --lead 90,30 --after 1 --jurisdiction atlanta", "election remind off"], RemindAsync),
        new("election", "risk", "election risk <ref>", "Allies at risk of turnover in that election, and the continuity allies who stay.",
            [FlagSpec.Share], ["election risk E3"], RiskAsync),
        new("election", "preview", "election preview <ref>", "The next reminder for that election exactly as it will be posted.",
            [], ["election preview E3"], PreviewAsync),
        new("election", "office", "election office <ally ref> --status in|left", "After an election: mark an ally as still in office or as having left it.",
            [new("status", FlagKind.Choice, "in office or left office", ["in", "left"])], ["election office A12 --status left"], OfficeAsync),
    ]);

    private async Task<Reply> AddAsync(CommandContext ctx, CancellationToken ct)
    {
        if (ctx.Args.Words.Count < 2)
            return Reply.Error("An election needs a jurisdiction and a date: election add atlanta 2027-11-02", $"Usage: {ctx.Spec.Usage}");
        var dateText = ctx.Args.Words[^1];
        if (!DateWords.TryParse(dateText, ctx.Today, out var date))
            return Reply.Error($"\"{CommandRouter.Shorten(dateText)}\" is not a date. Use YYYY-MM-DD, e.g. 2027-11-02.", $"Usage: {ctx.Spec.Usage}");
        var jurisdiction = string.Join(' ', ctx.Args.Words.Take(ctx.Args.Words.Count - 1));
        if (ElectionVocabulary.JurisdictionKey(jurisdiction) is null || jurisdiction.Length > 200)
            return Reply.Error("The jurisdiction must be a place name (up to 200 characters) or an Open Civic Data id.");
        var takes = ctx.Args.Date("takes-office");
        if (takes is { } t && t < date) return Reply.Error("--takes-office must be on or after the election date.", field: "takes-office");
        var election = await store.AddAsync(ctx.WorkspaceId,
            new ElectionFields(jurisdiction, date, ctx.Args.Text("name"), ctx.Args.Text("kind"), ctx.Args.Text("offices"), takes), ctx.UserId, ct);
        var scheduled = await reminders.ScheduleAsync(ctx.WorkspaceId, election, ct);
        return ctx.Share(new Reply($"Added {election.Label} on {Database.Day(election.Date)}",
        [
            new Paragraph($"Added {election.Label} on {Database.Day(election.Date)}."),
            new Fields(Details(election, ctx.Today)),
            new Context(scheduled > 0 ? $"{scheduled} reminders scheduled in subscribed channels." : "No channel gets reminders yet: type election remind in one."),
        ]));
    }

    private async Task<Reply> ListAsync(CommandContext ctx, CancellationToken ct)
    {
        var all = ctx.Args.Has("all");
        var list = await store.ListAsync(ctx.WorkspaceId, all ? null : ctx.Today, 50, ct);
        if (list.Count == 0)
            return ctx.Share(Reply.Say(all ? "No elections recorded. Add one: election add atlanta 2027-11-02" : "No upcoming elections. Add one: election add atlanta 2027-11-02, or election list --all."));
        return ctx.Share(new Reply($"{list.Count} {(all ? "" : "upcoming ")}elections",
        [
            new Heading(all ? "Elections" : "Upcoming elections"),
            new ItemList(list.Select(e => new ListItem($"{e.Label} · {Database.Day(e.Date)}", $"{e.Jurisdiction} · {DateWords.Relative(e.Date, ctx.Today)}{(e.Offices is null ? "" : " · " + e.Offices)}")).ToList()),
        ]));
    }

    private async Task<Reply> ShowAsync(CommandContext ctx, CancellationToken ct)
    {
        var (election, error) = await ResolveAsync(ctx, ct);
        if (election is null) return error!;
        return ctx.Share(new Reply($"{election.Label}: {Database.Day(election.Date)}",
            [new Heading(election.Label), new Fields(Details(election, ctx.Today)), new Context($"election risk {election.Ref} · election preview {election.Ref}")]));
    }

    private async Task<Reply> RemoveAsync(CommandContext ctx, CancellationToken ct)
    {
        var (election, error) = await ResolveAsync(ctx, ct);
        if (election is null) return error!;
        if (!ctx.CanManage(election.CreatedBy))
            return Reply.Error($"Only {election.CreatedBy}, who added {election.Label}, or a workspace admin can remove it.", "See the admins with: coord admins");
        await reminders.CancelAsync(ctx.WorkspaceId, election, null, ct);
        await store.RemoveAsync(ctx.WorkspaceId, election.Id, ct);
        return Reply.Say($"Removed {election.Label} and its pending reminders.", ephemeral: true);
    }

    private async Task<Reply> ImportAsync(CommandContext ctx, CancellationToken ct)
    {
        string text;
        if (!string.IsNullOrWhiteSpace(ctx.Body)) text = ctx.Body;
        else if (ctx.Args.Words.Count == 1)
        {
            var (fetched, fetchError) = await feeds.FetchAsync(ctx.Args.Words[0], ct);
            if (fetched is null) return Reply.Error(fetchError ?? "The calendar could not be fetched.");
            text = fetched;
        }
        else return Reply.Error("Give the calendar's URL, or paste the iCalendar text on the lines after the command.", $"Usage: {ctx.Spec.Usage}");

        var (events, readError) = ICalendarReader.Read(text, ctx.Workspace.TimeZone);
        if (readError is not null) return Reply.Error($"Nothing imported: line {readError.Line}: {readError.Message}");
        if (events.Count == 0) return Reply.Error("Nothing imported: the calendar has no events.");
        var fields = new List<ElectionFields>();
        foreach (var e in events)
        {
            var jurisdiction = ctx.Args.Text("jurisdiction") ?? e.Location;
            if (ElectionVocabulary.JurisdictionKey(jurisdiction) is null)
                return Reply.Error($"Nothing imported: the event on line {e.Line} (\"{CommandRouter.Shorten(e.Summary)}\") has no LOCATION; give --jurisdiction.");
            fields.Add(new ElectionFields(jurisdiction!, e.Date, e.Summary, KindOf(e), null, null, e.Uid));
        }
        var (added, updated) = await store.ImportAsync(ctx.WorkspaceId, fields, ctx.UserId, ct);
        var scheduled = 0;
        foreach (var election in added.Concat(updated))
        {
            await reminders.CancelAsync(ctx.WorkspaceId, election, null, ct);
            scheduled += await reminders.ScheduleAsync(ctx.WorkspaceId, election, ct);
        }
        var summary = $"Imported {added.Count} new and updated {updated.Count} elections.";
        return new Reply(summary,
        [
            new Paragraph(summary),
            new ItemList(added.Concat(updated).OrderBy(e => e.Date).Take(20).Select(e => new ListItem($"{e.Label} · {Database.Day(e.Date)}", e.Jurisdiction)).ToList()),
            new Context($"{scheduled} reminders scheduled in subscribed channels."),
        ], Ephemeral: true);
    }

    private async Task<Reply> RemindAsync(CommandContext ctx, CancellationToken ct)
    {
        var channel = ctx.Request.ChannelId;
        if (ctx.Args.Words is [var word] && word.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            var was = await store.UnsubscribeAsync(ctx.WorkspaceId, channel, ct);
            await reminders.CancelAsync(ctx.WorkspaceId, null, channel, ct);
            return Reply.Say(was ? "This channel will get no more election reminders." : "This channel was not subscribed to election reminders.");
        }
        if (ctx.Args.Words.Count > 0)
            return Reply.Error($"election remind takes flags only, or off (got \"{CommandRouter.Shorten(ctx.Args.Rest())}\").", $"Usage: {ctx.Spec.Usage}");
        IReadOnlyList<int> leads = ElectionVocabulary.DefaultLeads, afters = ElectionVocabulary.DefaultAfters;
        if (ctx.Args.Text("lead") is { } leadText)
        {
            var (days, problem) = ElectionVocabulary.ParseDays(leadText, "lead");
            if (days is null) return Reply.Error(problem!, field: "lead");
            leads = days;
        }
        if (ctx.Args.Text("after") is { } afterText)
        {
            var (days, problem) = ElectionVocabulary.ParseDays(afterText, "after");
            if (days is null) return Reply.Error(problem!, field: "after");
            afters = days;
        }
        var subscription = new ElectionSubscription(channel, ctx.Request.Platform, leads, afters, ElectionVocabulary.JurisdictionKey(ctx.Args.Text("jurisdiction")));
        await reminders.CancelAsync(ctx.WorkspaceId, null, channel, ct);
        await store.SubscribeAsync(ctx.WorkspaceId, subscription, ctx.UserId, ct);
        var scheduled = await reminders.ScheduleAsync(ctx.WorkspaceId, subscription, ct);
        var text = $"This channel gets election reminders {string.Join(", ", leads)} days before and {string.Join(", ", afters)} days after each election" +
                   $"{(ctx.Args.Text("jurisdiction") is { } j ? $" in {j}" : "")}, at 09:00 ({ctx.Workspace.TimeZone.Id}).";
        return new Reply(text, [new Paragraph(text), new Context($"{scheduled} reminders scheduled now. Stop with: election remind off")]);
    }

    private async Task<Reply> RiskAsync(CommandContext ctx, CancellationToken ct)
    {
        var (election, error) = await ResolveAsync(ctx, ct);
        if (election is null) return error!;
        var risk = await store.RiskAsync(ctx.WorkspaceId, election.JurisdictionKey, ct);
        var blocks = new List<Block> { new Heading($"Turnover risk: {election.Label}") };
        blocks.AddRange(TurnoverRadar.AtRiskBlocks(risk, ctx.Today, "At risk", "Nobody elected or appointed is recorded in this jurisdiction."));
        blocks.Add(new Paragraph(risk.Continuity.Count == 0 ? "No continuity allies (career, executive, staff) in those organizations." : $"Continuity allies ({risk.Continuity.Count}):"));
        if (risk.Continuity.Count > 0) blocks.Add(new ItemList(risk.Continuity.Select(a => new ListItem(a.Label, a.Org)).ToList()));
        if (risk.OrgsAllAtRisk.Count > 0) blocks.Add(new Context($"Every ally is at risk at: {string.Join(", ", risk.OrgsAllAtRisk)}."));
        return ctx.Share(new Reply($"{election.Label}: {risk.AtRisk.Count} at risk, {risk.Continuity.Count} continuity", blocks));
    }

    private async Task<Reply> PreviewAsync(CommandContext ctx, CancellationToken ct)
    {
        var (election, error) = await ResolveAsync(ctx, ct);
        if (election is null) return error!;
        var subscription = await store.SubscriptionAsync(ctx.WorkspaceId, ctx.Request.ChannelId, ct)
            ?? new ElectionSubscription(ctx.Request.ChannelId, ctx.Request.Platform, ElectionVocabulary.DefaultLeads, ElectionVocabulary.DefaultAfters, null);
        var next = subscription.Offsets.Order()
            .Select(o => (Offset: o, At: ElectionReminders.FireAt(election, o, ctx.Workspace.TimeZone)))
            .FirstOrDefault(x => x.At > ctx.Now);
        if (next.At == default)
            return Reply.Say($"{election.Label} has no reminders left to send.", ephemeral: true);
        var day = DateWords.LocalDate(next.At, ctx.Workspace.TimeZone);
        var reminder = await reminders.ComposeAsync(ctx.WorkspaceId, election, next.Offset, day, ct);
        var note = new Context($"Preview of the reminder due {Database.Day(day)} at 09:00 ({ctx.Workspace.TimeZone.Id}).");
        return reminder with { Blocks = [note, .. reminder.Blocks], Ephemeral = true };
    }

    private async Task<Reply> OfficeAsync(CommandContext ctx, CancellationToken ct)
    {
        if (ctx.Args.Text("status") is not { } status) return Reply.Error("Say --status in or --status left.", field: "status");
        var text = ctx.Args.Rest();
        if (await allies.ResolveAsync(ctx.WorkspaceId, text, ct) is not Resolution.Found { Ally: var ally })
            return Reply.Error($"No single ally matches \"{CommandRouter.Shorten(text)}\"; use a reference like A12.");
        await store.SetLeftOfficeAsync(ctx.WorkspaceId, ally.Id, status == "left" ? ctx.Today : null, ct);
        return Reply.Say(status == "left"
            ? $"Marked {ally.Label} as having left office. Their history stays; they no longer count as at risk."
            : $"Noted: {ally.Label} is still in office.");
    }

    private async Task<(Election? Election, Reply? Error)> ResolveAsync(CommandContext ctx, CancellationToken ct)
    {
        var text = ctx.Args.Rest();
        if (text.Length < 2 || (text[0] is not ('E' or 'e')) || !long.TryParse(text.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var refNo))
            return (null, Reply.Error($"Which election? Give a reference like E3: {ctx.Spec.Examples[0]}", "See them with: election list --all"));
        return await store.GetAsync(ctx.WorkspaceId, refNo, ct) is { } election
            ? (election, null)
            : (null, Reply.Error($"No election E{refNo} in this workspace.", "See them with: election list --all"));
    }

    private static List<Field> Details(Election e, DateOnly today)
    {
        var fields = new List<Field> { new("Jurisdiction", e.Jurisdiction), new("Date", $"{Database.Day(e.Date)} ({DateWords.Relative(e.Date, today)})") };
        if (e.Kind is { } kind) fields.Add(new Field("Kind", kind));
        if (e.Offices is { } offices) fields.Add(new Field("Offices", offices));
        if (e.TakesOffice is { } takes) fields.Add(new Field("Winners take office", Database.Day(takes)));
        return fields;
    }

    private static string KindOf(CalendarEvent e)
    {
        var words = $"{e.Summary} {string.Join(' ', e.Categories)}".ToLowerInvariant();
        return ElectionVocabulary.Kinds.FirstOrDefault(words.Contains) ?? "general";
    }

}
