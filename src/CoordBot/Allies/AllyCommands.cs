using System.Globalization;
using CoordBot.Chat;

namespace CoordBot.Allies;

/// <summary>The <c>ally</c> command: stakeholder allies, who knows whom, and the last contact with each.</summary>
public sealed partial class AllyCommands(AllyStore store, AllyCsv csv, RelationshipNudges nudges)
{
    public const int PageSize = 10;
    public const int StaleDays = 60;

    /// <summary>The flags of an ally's fields, each declared once and named where a command takes only some.</summary>
    private static class AllyFlag
    {
        public static readonly FlagSpec Org = new("org", FlagKind.Text, "organization, e.g. \"City of Atlanta\"");
        public static readonly FlagSpec Role = new("role", FlagKind.Text, "role or title");
        public static readonly FlagSpec Sector = new("sector", FlagKind.Choice, "sector", AllyVocabulary.Sectors);
        public static readonly FlagSpec Level = new("level", FlagKind.Choice, "level (elected and appointed turn over at elections; career staff stay)", AllyVocabulary.Levels);
        public static readonly FlagSpec Jurisdiction = new("jurisdiction", FlagKind.Text, "city, county or state, e.g. atlanta");
        public static readonly FlagSpec Stance = new("stance", FlagKind.Choice, "stance toward the initiative", AllyVocabulary.Stances);
        public static readonly FlagSpec Email = new("email", FlagKind.Text, "email address");
        public static readonly FlagSpec Phone = new("phone", FlagKind.Text, "phone number");
        public static readonly FlagSpec Tags = new("tags", FlagKind.Text, "comma-separated tags, e.g. housing,budget");
        public static readonly FlagSpec Owner = new("owner", FlagKind.User, "who keeps this relationship warm");
        public static readonly FlagSpec Notes = new("notes", FlagKind.Text, "free-form notes");
        public static readonly FlagSpec Every = new("every", FlagKind.Text,
            "how often to be in touch, in days, or off, or level for the level's (elected 30, appointed 45, executive 60, others 90)");

        /// <summary>Every field, in the order forms and help show them.</summary>
        public static readonly FlagSpec[] All = [Org, Role, Sector, Level, Jurisdiction, Stance, Email, Phone, Tags, Owner, Notes, Every];
    }

    private static readonly FlagSpec Page = new("page", FlagKind.Number, "page number, from 1");

    private static readonly FlagSpec NameFlag = new("name", FlagKind.Text, "the ally's name (instead of the positional name)");

    public CommandGroup Group => new("ally", "track stakeholder allies across sectors and levels of government",
    [
        new("ally", "add", $"ally add <name> {FlagSpec.UsageOf([NameFlag, .. AllyFlag.All])}",
            "Record an ally. With no name, opens a form.",
            [NameFlag, .. AllyFlag.All, FlagSpec.Share],
            ["ally add \"Jane Doe\" --org \"City of Atlanta\" --sector government --level career", "ally add"], AddAsync),
        new("ally", "list", "ally list [--sector S] [--level L] [--org O] [--jurisdiction J] [--tag T] [--owner @u] [--stale DAYS] [--was ORG|PLACE] [--page N]",
            "List allies, least recently contacted first, 10 per page.",
            [AllyFlag.Sector, AllyFlag.Level, AllyFlag.Org, AllyFlag.Jurisdiction,
             new("tag", FlagKind.Text, "only allies with this tag"), AllyFlag.Owner,
             new("stale", FlagKind.Number, "only allies with no contact in this many days"),
             new("was", FlagKind.Text, "only allies who used to be in this organization or jurisdiction (their role history)"), Page, FlagSpec.Share],
            ["ally list --sector government --level career", "ally list --stale 60", "ally list --was \"City of Atlanta\""], ListAsync),
        new("ally", "find", "ally find <text> [--page N]", "Search names, organizations, roles, tags and notes.",
            [Page, FlagSpec.Share], ["ally find housing", "ally find jane atl"], FindAsync),
        new("ally", "show", "ally show <ref>", "One ally: details, last contact, connections and recent touchpoints.",
            [FlagSpec.Share], ["ally show A12", "ally show \"Jane Doe\""], ShowAsync),
        new("ally", "edit", $"ally edit <ref> {FlagSpec.UsageOf([NameFlag, .. AllyFlag.All])}",
            "Change an ally's fields; an empty value (--email \"\") clears one. With no fields, opens a form.",
            [NameFlag, .. AllyFlag.All, FlagSpec.Share], ["ally edit A12 --role \"Deputy Director\" --stance champion"], EditAsync),
        new("ally", "log", "ally log <ref> <note> [--note NOTE] [--on DATE] [--via meeting|call|email|event|message]",
            "Record a touchpoint; it moves the ally's last contact forward. With no note, opens a form.",
            [new("note", FlagKind.Text, "what happened (instead of the positional note)"),
             new("on", FlagKind.Date, "when it happened (default today)"),
             new("via", FlagKind.Choice, "how you were in touch", AllyVocabulary.Channels), FlagSpec.Share],
            ["ally log A12 \"Coffee about the housing levy\" --via meeting", "ally log A12 \"Called re: budget\" --on yesterday --via call"], LogAsync),
        new("ally", "link", "ally link <ref> <ref> [--as RELATION]", "Record that two allies know each other.",
            [new("as", FlagKind.Text, "how they know each other, e.g. \"former colleagues\""), FlagSpec.Share],
            ["ally link A12 A7 --as \"former colleagues\""], LinkAsync),
        new("ally", "remove", "ally remove <ref> [--yes]", "Delete an ally with its touchpoints and links, after a confirmation (creator or admin).",
            [new("yes", FlagKind.Switch, "skip the confirmation")], ["ally remove A12"], RemoveAsync),
        new("ally", "due", "ally due [--owner @u] [--page N]",
            $"Allies due for contact: past their interval or within {Cadence.DueWithinDays} days of it, most overdue first, 10 per page.",
            [new("owner", FlagKind.User, "only the allies this person keeps (their owner, else who added them)"), Page, FlagSpec.Share],
            ["ally due", "ally due --owner @alice"], DueAsync),
        new("ally", "snooze", "ally snooze <ref> [--days N]",
            $"Keep an ally off the due list and the nudges for {Cadence.SnoozeDays} days (or N, up to 365); a touchpoint ends the snooze.",
            [new("days", FlagKind.Number, "how many days from today"), FlagSpec.Share], ["ally snooze A12", "ally snooze A12 --days 30"], SnoozeAsync),
        new("ally", "nudges", "ally nudges on|off",
            "Turn your Monday DM about the allies you keep that are due for contact on or off.", [], ["ally nudges off"], NudgesAsync),
        new("ally", "map", "ally map [--jurisdiction J]",
            "The coalition at a glance: counts by sector × level, allies with no contact in 60+ days, and government organizations where nobody survives turnover.",
            [AllyFlag.Jurisdiction, FlagSpec.Share], ["ally map", "ally map --jurisdiction atlanta"], MapAsync),
        new("ally", "import", "ally import [--format csv|openstates] [--skip-bad]  (the file on the lines after the command, or attached)",
            $"Import allies from CSV with a header row (columns: {string.Join(", ", AllyCsv.ImportColumns)}), or officials from Open States " +
            "person files (YAML, or a zip of a state's folder up to 2 MB); importing the same people again updates them. A file with errors is refused unless --skip-bad.",
            [new("format", FlagKind.Choice, "csv (the default) or openstates (https://github.com/openstates/people)", ["csv", "openstates"]),
             new("skip-bad", FlagKind.Switch, "import the good rows and skip the rows with errors")],
            ["ally import\nname,org,sector,level\nJane Doe,City of Atlanta,government,career", "ally import --format openstates  (with a state's folder zipped, or .yml files, attached)"], ImportAsync),
        new("ally", "export", "ally export", "Download all allies as CSV.", [], ["ally export"], ExportAsync),
    ]);

    /// <summary><c>ally add &lt;name&gt; --flags</c>, or the add form when no name is given.</summary>
    private async Task<Reply> AddAsync(CommandContext ctx, CancellationToken ct)
    {
        var name = ctx.Args.Text("name") ?? (ctx.Args.Words.Count > 0 ? ctx.Args.Rest() : null);
        if (string.IsNullOrWhiteSpace(name))
            return ctx.Args.Flags.Keys.Any(k => k != FlagSpec.Share.Name)
                ? Reply.Error("The ally needs a name: ally add \"Jane Doe\" --org ...", "Or type ally add alone to open the form.", "name")
                : AddForm();
        var (fields, invalid) = Fields(ctx.Args);
        if (invalid is not null) return invalid;
        fields = fields with { Name = name };
        if (AllyVocabulary.Validate(fields) is { } problem) return Reply.Error(problem.Message, $"Usage: {ctx.Spec.Usage}", problem.Field);
        var (ally, namesakes) = await store.AddOneAsync(ctx.WorkspaceId, fields, ctx.UserId, ctx.Now, ct);
        await nudges.EnsureAsync(ctx.WorkspaceId, ct);
        var blocks = new List<Block>
        {
            new Paragraph($"Added {ally.Label}"),
            new Fields(Details(ally, ctx.Today, withContact: false)),
            new Context($"Next: ally log {ally.Ref} \"what you talked about\" · ally link {ally.Ref} <ref> --as \"colleagues\""),
        };
        if (namesakes.Count > 0)
            blocks.Add(new Context($"Also named {ally.Name}: {string.Join(", ", namesakes.Select(a => a.Ref))}. If it is the same person, remove the duplicate: ally remove {ally.Ref}"));
        return ctx.Share(new Reply($"Added {ally.Label}", blocks));
    }

    private static Reply AddForm() => new("Add an ally: fill in the form.",
    [
        new Form("Add an ally", "ally add",
        [
            new Input("name", "Name", Required: true, Placeholder: "Jane Doe"),
            new Input("org", "Organization", Placeholder: "City of Atlanta"),
            new Input("role", "Role"),
            new Input("sector", "Sector", InputKind.Choice, Choices: AllyVocabulary.Sectors),
            new Input("level", "Level", InputKind.Choice, Choices: AllyVocabulary.Levels),
            new Input("jurisdiction", "Jurisdiction", Placeholder: "atlanta"),
            new Input("stance", "Stance", InputKind.Choice, Initial: "unknown", Choices: AllyVocabulary.Stances),
            new Input("email", "Email"),
            new Input("phone", "Phone"),
            new Input("tags", "Tags", Placeholder: "housing, budget"),
            new Input("notes", "Notes", InputKind.LongText),
        ], "Add ally"),
    ], Ephemeral: true);

    /// <summary><c>ally list [filters] [--page N]</c>.</summary>
    private async Task<Reply> ListAsync(CommandContext ctx, CancellationToken ct)
    {
        if (ctx.Args.Words.Count > 0)
            return Reply.Error($"ally list takes only flags, but got \"{ctx.Args.Rest()}\".", "To search by text use: ally find " + ctx.Args.Rest());
        var a = ctx.Args;
        var filter = new AllyFilter(a.Text("sector"), a.Text("level"), a.Text("org"), a.Text("jurisdiction"), a.Text("tag"), a.Text("owner"),
            a.Number("stale") is { } days ? ctx.Today.AddDays(-days) : null, a.Text("was"));
        var page = Math.Max(1, a.Number("page") ?? 1);
        var (items, total, exact) = await store.ListAsync(ctx.WorkspaceId, filter, page, PageSize, ct);
        var pages = Math.Max(1, (total + PageSize - 1) / PageSize);
        var more = exact ? "" : "+";
        var filtered = a.Flags.Keys.Any(k => k is not ("page" or "share"));
        if (total == 0)
            return ctx.Share(Reply.Say(filtered ? "No allies match those filters." : "No allies yet. Add one: ally add \"Jane Doe\" --org \"City of Atlanta\""));
        if (page > pages)
            return Reply.Error($"There is no page {page}; there {(pages == 1 ? "is 1 page" : $"are {pages} pages")}.");

        var blocks = new List<Block>
        {
            new Heading(filtered ? $"Allies matching {Describe(a)}" : "Allies"),
            new ItemList(items.Select(x => Item(x, ctx.Today)).ToList()),
            new Context($"Page {page} of {N(pages)}{more} · {N(total)}{more} {(total == 1 ? "ally" : "allies")} · least recently contacted first"),
        };
        if (PageButtons("ally list", a, page, pages, exact) is { } paging) blocks.Add(paging);
        return ctx.Share(new Reply($"{N(total)}{more} {(total == 1 ? "ally" : "allies")}, page {page} of {N(pages)}{more}", blocks));
    }

    /// <summary><c>ally find &lt;text&gt;</c>.</summary>
    private async Task<Reply> FindAsync(CommandContext ctx, CancellationToken ct)
    {
        if (ctx.Args.Words.Count == 0) return Reply.Error("What should I look for? ally find <text>, e.g. ally find housing");
        var page = Math.Max(1, ctx.Args.Number("page") ?? 1);
        var found = await store.FindAsync(ctx.WorkspaceId, ctx.Args.Words.SelectMany(w => w.Split(' ', StringSplitOptions.RemoveEmptyEntries)), page, PageSize, ct);
        var text = ctx.Args.Rest();
        if (found.Count == 0)
            return ctx.Share(Reply.Say(page == 1 ? $"No allies match \"{text}\"." : $"No more allies match \"{text}\"."));
        var more = found.Count > PageSize;
        var blocks = new List<Block>
        {
            new Heading($"Allies matching \"{text}\""),
            new ItemList(found.Take(PageSize).Select(x => Item(x, ctx.Today)).ToList()),
            new Context($"Page {page}{(more ? " · more on the next page" : "")}"),
        };
        if (more)
            blocks.Add(new Actions([new Button("Next", new ChatAction("ally find " + string.Join(' ', ctx.Args.Words.Select(Tokenizer.Quote)),
                new Dictionary<string, string> { ["page"] = (page + 1).ToString(CultureInfo.InvariantCulture) }))]));
        var count = Math.Min(found.Count, PageSize);
        return ctx.Share(new Reply($"{count}{(more ? "+" : "")} {(count == 1 && !more ? "ally matches" : "allies match")} \"{text}\"", blocks));
    }

    /// <summary><c>ally show &lt;ref&gt;</c>.</summary>
    private async Task<Reply> ShowAsync(CommandContext ctx, CancellationToken ct)
    {
        var (ally, error) = await ResolveAsync(ctx, ctx.Args.Rest(), ct);
        if (ally is null) return error!;
        var connections = await store.ConnectionsAsync(ctx.WorkspaceId, ally.Id, ct);
        var touchpoints = await store.TouchpointsAsync(ctx.WorkspaceId, ally.Id, 5, ct);
        var cadence = await store.CadenceAsync(ctx.WorkspaceId, ct);
        var roles = await store.RolesAsync(ctx.WorkspaceId, ally.Id, ct);
        var blocks = new List<Block> { new Heading(ally.Label), new Fields(Details(ally, ctx.Today, withContact: true, cadence)) };
        if (roles.Count > 0)
        {
            blocks.Add(new Paragraph($"Role history ({roles.Count}):"));
            blocks.Add(new ItemList(roles.Take(10).Select(r => new ListItem(r.Text)).ToList()));
        }
        blocks.Add(new Paragraph(connections.Count == 0 ? "Connections: none recorded." : "Connections:"));
        if (connections.Count > 0)
            blocks.Add(new ItemList(connections.Select(c => new ListItem(c.Ally.Label, c.Relation)).ToList()));
        blocks.Add(new Paragraph(touchpoints.Count == 0 ? "Touchpoints: none yet." : "Recent touchpoints:"));
        if (touchpoints.Count > 0)
            blocks.Add(new ItemList(touchpoints.Select(t => new ListItem($"{Day(t.On)}{(t.Via is null ? "" : " · " + t.Via)}", $"{t.Note} (by {t.CreatedBy})")).ToList()));
        blocks.Add(LogForm(ally, ctx.Today));
        blocks.Add(new Actions([new Button("Remove", new ChatAction($"ally remove {ally.Ref}"), ButtonStyle.Danger)]));
        return ctx.Share(new Reply($"{ally.Label}: {Summary(ally, ctx.Today)}", blocks));
    }

    /// <summary><c>ally edit &lt;ref&gt; --field value</c>.</summary>
    private async Task<Reply> EditAsync(CommandContext ctx, CancellationToken ct)
    {
        var changes = ctx.Args.Flags.Keys.Where(k => k != FlagSpec.Share.Name).ToList();
        if (ctx.Args.Words.Count == 0) return Reply.Error("Which ally? ally edit <ref> --field value, e.g. ally edit A12 --role Director");
        var (ally, error) = await ResolveAsync(ctx, ctx.Args.Rest(), ct);
        if (ally is null) return error!;
        if (changes.Count == 0) return EditForm(ally);   // "ally edit A12" alone (the nudge's "Change owner" button)
        var (fields, invalid) = Fields(ctx.Args);
        if (invalid is not null) return invalid;
        fields = fields with { Name = ctx.Args.Text("name") };
        if (AllyVocabulary.Validate(fields) is { } problem) return Reply.Error(problem.Message, field: problem.Field);
        await store.UpdateAsync(ctx.WorkspaceId, ally.Id, fields, ctx.Now, ct, ctx.Today);
        if (fields.Owner is not null) await nudges.EnsureAsync(ctx.WorkspaceId, ct);
        var updated = (await store.GetAsync(ctx.WorkspaceId, ally.RefNo, ct))!;
        var cadence = await store.CadenceAsync(ctx.WorkspaceId, ct);
        return ctx.Share(new Reply($"Updated {updated.Label}: {string.Join(", ", changes)}",
            [new Paragraph($"Updated {updated.Label}: {string.Join(", ", changes)}"), new Fields(Details(updated, ctx.Today, withContact: true, cadence))]));
    }

    /// <summary><c>ally log &lt;ref&gt; &lt;note&gt; [--on DATE] [--via V]</c>.</summary>
    private async Task<Reply> LogAsync(CommandContext ctx, CancellationToken ct)
    {
        if (ctx.Args.Words.Count == 0)
            return Reply.Error("Which ally, and what happened? ally log <ref> <note>, e.g. ally log A12 \"Coffee about the levy\"");
        var note = ctx.Args.Text("note") ?? ctx.Args.Rest(1);
        if (string.IsNullOrWhiteSpace(note))
        {
            if (ctx.Args.Given("note") || ctx.Args.Words.Count > 1)
                return Reply.Error($"Add a note saying what happened: ally log {ctx.Args.Words[0]} \"Coffee about the levy\"", field: "note");
            // "ally log A12" alone (the "Log touchpoint" buttons): the form.
            var (target, notFound) = await ResolveAsync(ctx, ctx.Args.Words[0], ct);
            if (target is null) return notFound!;
            return new Reply($"Log a touchpoint with {target.Label}: fill in the form.", [LogForm(target, ctx.Today)], Ephemeral: true);
        }
        var on = ctx.Args.Date("on") ?? ctx.Today;
        if (on > ctx.Today) return Reply.Error($"--on {Day(on)} is in the future; a touchpoint is something that already happened (today is {Day(ctx.Today)}).", field: "on");
        var (ally, error) = await ResolveAsync(ctx, ctx.Args.Words[0], ct);
        if (ally is null) return error!;
        var via = ctx.Args.Text("via");
        var last = await store.LogAsync(ctx.WorkspaceId, ally.Id, on, via, note.Trim(), ctx.UserId, ctx.Now, ct);
        var text = $"Logged {(via is null ? "a touchpoint" : "a " + via)} with {ally.Label} on {Day(on)}. Last contact: {Day(last)}.";
        return ctx.Share(new Reply(text, [new Paragraph(text), new Context(note.Trim())]));
    }

    /// <summary><c>ally link &lt;ref&gt; &lt;ref&gt; [--as RELATION]</c>.</summary>
    private async Task<Reply> LinkAsync(CommandContext ctx, CancellationToken ct)
    {
        if (ctx.Args.Words.Count != 2)
            return Reply.Error($"ally link needs exactly two allies, got {ctx.Args.Words.Count}: ally link A12 A7 --as \"former colleagues\"",
                "Quote names with spaces: ally link \"Jane Doe\" \"Sam Lee\"");
        var (first, error1) = await ResolveAsync(ctx, ctx.Args.Words[0], ct);
        if (first is null) return error1!;
        var (second, error2) = await ResolveAsync(ctx, ctx.Args.Words[1], ct);
        if (second is null) return error2!;
        if (first.Id == second.Id) return Reply.Error($"Both references are {first.Label}; link two different allies.");
        var relation = ctx.Args.Text("as") is { Length: > 0 } r ? r : null;
        var added = await store.LinkAsync(ctx.WorkspaceId, first.Id, second.Id, relation, ctx.UserId, ctx.Now, ct);
        var text = added
            ? $"Linked {first.Label} and {second.Label}{(relation is null ? "" : $" ({relation})")}."
            : $"{first.Label} and {second.Label} were already linked{(relation is null ? "" : $"; relation now \"{relation}\"")}.";
        return ctx.Share(new Reply(text, [new Paragraph(text)]));
    }

    /// <summary><c>ally remove &lt;ref&gt; [--yes]</c>: asks first, then deletes (creator or admin).</summary>
    private async Task<Reply> RemoveAsync(CommandContext ctx, CancellationToken ct)
    {
        var (ally, error) = await ResolveAsync(ctx, ctx.Args.Rest(), ct);
        if (ally is null) return error!;
        if (!ctx.CanManage(ally.CreatedBy))
            return Reply.Error($"Only {ally.CreatedBy}, who added {ally.Label}, or a workspace admin can remove it.", "See the admins with: coord admins");
        if (!ctx.Args.Has("yes"))
        {
            var (touchpoints, links) = await store.DependentsAsync(ctx.WorkspaceId, ally.Id, ct);
            var text = $"Remove {ally.Label}? This also deletes {Count(touchpoints, "touchpoint")} and {Count(links, "connection")}.";
            return new Reply(text,
            [
                new Paragraph(text),
                new Actions([new Button($"Remove {ally.Name}", new ChatAction($"ally remove {ally.Ref}", new Dictionary<string, string> { ["yes"] = "true" }), ButtonStyle.Danger)]),
                new Context($"Or type: ally remove {ally.Ref} --yes. Ignore this message to keep {ally.Name}."),
            ], Ephemeral: true);
        }
        var removed = await store.RemoveAsync(ctx.WorkspaceId, ally.Id, ct);
        return Reply.Say(removed ? $"Removed {ally.Label}." : $"{ally.Label} was already removed.", ephemeral: true);
    }

    /// <summary><c>ally due [--owner @u] [--page N]</c>.</summary>
    private async Task<Reply> DueAsync(CommandContext ctx, CancellationToken ct)
    {
        if (ctx.Args.Words.Count > 0)
            return Reply.Error($"ally due takes only flags, but got \"{ctx.Args.Rest()}\".", "e.g. ally due --owner @alice");
        var keeper = ctx.Args.Text("owner");
        var page = Math.Max(1, ctx.Args.Number("page") ?? 1);
        var (items, total, exact) = await store.DueAsync(ctx.WorkspaceId, keeper, ctx.Today, page, PageSize, ct);
        var whose = keeper is null ? "" : $" kept by @{keeper}";
        if (total == 0)
            return ctx.Share(Reply.Say($"No allies{whose} are due for contact in the next {Cadence.DueWithinDays} days."));
        var pages = Math.Max(1, (total + PageSize - 1) / PageSize);
        if (page > pages) return Reply.Error($"There is no page {page}; there {(pages == 1 ? "is 1 page" : $"are {pages} pages")}.");
        var more = exact ? "" : "+";
        var blocks = new List<Block> { new Heading($"Due for contact{whose}") };
        foreach (var ally in items)
        {
            blocks.Add(new ItemList([new ListItem(ally.Label, $"{DueText(ally.DueOn!.Value, ctx.Today)} · last contact {Contact(ally, ctx.Today)} · kept by @{ally.Keeper}" +
                (string.IsNullOrEmpty(ally.Org) ? "" : $" · {ally.Org}"))]));
            blocks.Add(new Actions([new Button("Log touchpoint", new ChatAction($"ally log {ally.Ref}"), ButtonStyle.Primary)]));
        }
        blocks.Add(new Context($"Page {page} of {N(pages)}{more} · {N(total)}{more} due · most overdue first · intervals: coord settings, ally edit <ref> --every DAYS"));
        if (PageButtons("ally due", ctx.Args, page, pages, exact) is { } paging) blocks.Add(paging);
        return ctx.Share(new Reply($"{N(total)}{more} {(total == 1 ? "ally" : "allies")}{whose} due for contact, page {page} of {N(pages)}{more}", blocks));
    }

    /// <summary><c>ally snooze &lt;ref&gt; [--days N]</c>.</summary>
    private async Task<Reply> SnoozeAsync(CommandContext ctx, CancellationToken ct)
    {
        var days = ctx.Args.Number("days") ?? Cadence.SnoozeDays;
        if (days is < 1 or > 365) return Reply.Error($"--days {days}: snooze from 1 to 365 days.", field: "days");
        var (ally, error) = await ResolveAsync(ctx, ctx.Args.Rest(), ct);
        if (ally is null) return error!;
        var until = ctx.Today.AddDays(days);
        if (!await store.SnoozeAsync(ctx.WorkspaceId, ally.Id, until, ctx.Now, ct)) return Reply.Error($"{ally.Label} was removed.");
        var updated = await store.GetAsync(ctx.WorkspaceId, ally.RefNo, ct);
        var text = updated?.DueOn is { } due
            ? $"Snoozed {ally.Label} until {Day(until)}: next contact {Day(due)} ({DueText(due, ctx.Today)})."
            : $"Snoozed {ally.Label} until {Day(until)} (it has no contact interval, so it is never due).";
        return ctx.Share(Reply.Say(text, ephemeral: true));
    }

    /// <summary><c>ally nudges on|off</c>.</summary>
    private async Task<Reply> NudgesAsync(CommandContext ctx, CancellationToken ct)
    {
        var word = ctx.Args.Words.Count == 1 ? ctx.Args.Words[0].ToLowerInvariant() : "";
        if (word is not ("on" or "off"))
            return Reply.Error("Say ally nudges off to stop your Monday DM about allies due for contact, or ally nudges on to get it again.");
        var changed = await store.SetNudgesAsync(ctx.WorkspaceId, ctx.UserId, word == "on", ctx.Now, ct);
        return Reply.Say(word == "on"
            ? changed ? "Nudges on: on Mondays at 09:00 your time you get the allies you keep that are due for contact." : "Your nudges were already on."
            : changed ? "Nudges off: no more Monday DMs. ally due --owner @you still lists them; ally nudges on brings the DM back." : "Your nudges were already off.",
            ephemeral: true);
    }

    /// <summary>"12 days ago", "today", "yesterday".</summary>
    internal static string DaysAgo(DateOnly day, DateOnly today) => (today.DayNumber - day.DayNumber) switch
    {
        0 => "today",
        1 => "yesterday",
        var n => $"{N(n)} days ago",
    };

    private static Reply EditForm(Ally ally) => new($"Edit {ally.Label}: change the fields in the form.",
    [
        new Form($"Edit {ally.Name}", $"ally edit {ally.Ref}",
        [
            new Input("owner", "Owner (who keeps this relationship warm)", Initial: ally.Owner is null ? null : "@" + ally.Owner, Placeholder: "@sam"),
            new Input("every", "Contact every (days, off, or level)", Initial: ally.ContactEvery is { } e ? (e == 0 ? "off" : e.ToString(CultureInfo.InvariantCulture)) : null,
                Placeholder: "level"),
            new Input("role", "Role", Initial: ally.Role),
            new Input("org", "Organization", Initial: ally.Org),
            new Input("level", "Level", InputKind.Choice, Initial: ally.Level, Choices: AllyVocabulary.Levels),
            new Input("stance", "Stance", InputKind.Choice, Initial: ally.Stance, Choices: AllyVocabulary.Stances),
        ], "Save"),
    ], Ephemeral: true);

    /// <summary>Previous and Next buttons repeating the command with its flags on the neighbouring pages; null on a lone page.</summary>
    private static Actions? PageButtons(string command, CommandArgs args, int page, int pages, bool exact)
    {
        var flags = args.Flags.Where(f => f.Key != "page").ToDictionary(f => f.Key, f => f.Value);
        Button To(string label, int target) =>
            new(label, new ChatAction(command, new Dictionary<string, string>(flags) { ["page"] = target.ToString(CultureInfo.InvariantCulture) }));
        var buttons = new List<Button>();
        if (page > 1) buttons.Add(To("Previous", page - 1));
        if (page < pages || !exact) buttons.Add(To("Next", page + 1));
        return buttons.Count > 0 ? new Actions(buttons) : null;
    }

    /// <summary>"12 days overdue", "due today", "due in 3 days".</summary>
    internal static string DueText(DateOnly due, DateOnly today) => (due.DayNumber - today.DayNumber) switch
    {
        0 => "due today",
        1 => "due tomorrow",
        -1 => "1 day overdue",
        < 0 and var n => $"{N(-n)} days overdue",
        var n => $"due in {N(n)} days",
    };

    private static Form LogForm(Ally ally, DateOnly today) => new("Log a touchpoint", $"ally log {ally.Ref}",
    [
        new Input("note", "What happened", Required: true),
        new Input("on", "On", InputKind.Date, Initial: Day(today)),
        new Input("via", "Via", InputKind.Choice, Choices: AllyVocabulary.Channels),
    ], "Log");

    /// <summary><c>ally map [--jurisdiction J]</c>.</summary>
    private async Task<Reply> MapAsync(CommandContext ctx, CancellationToken ct)
    {
        var jurisdiction = ctx.Args.Text("jurisdiction");
        var map = await store.MapAsync(ctx.WorkspaceId, jurisdiction, ctx.Today.AddDays(-StaleDays), ct);
        var where = jurisdiction is null ? "" : $" in {jurisdiction}";
        if (map.Total == 0) return ctx.Share(Reply.Say($"No allies{where} yet."));

        var sectors = AllyVocabulary.Sectors.Append("unset").Where(s => map.Counts.Any(c => c.Sector == s)).ToList();
        var levels = AllyVocabulary.Levels.Append("unset").Where(l => map.Counts.Any(c => c.Level == l)).ToList();
        string Cell(string s, string l) => map.Counts.FirstOrDefault(c => c.Sector == s && c.Level == l).Count.ToString(CultureInfo.InvariantCulture);
        var rows = sectors.Select(s => (IReadOnlyList<string>)[s, .. levels.Select(l => Cell(s, l)), map.Counts.Where(c => c.Sector == s).Sum(c => c.Count).ToString(CultureInfo.InvariantCulture)]).ToList();

        var stale = $"{N(map.StaleCount)}{(map.StaleCountExact ? "" : "+")} {(map.StaleCount == 1 ? "ally" : "allies")}";
        var blocks = new List<Block>
        {
            new Heading($"Coalition map{where}: {Count(map.Total, "ally", "allies")}"),
            new Table(["sector", .. levels, "total"], rows),
            new Paragraph(map.StaleCount == 0 ? $"Everyone has been contacted in the last {StaleDays} days."
                : $"{stale} with no contact in {StaleDays}+ days{(map.StaleCount > map.Stale.Count ? $" (oldest {map.Stale.Count} shown)" : "")}:"),
        };
        if (map.Stale.Count > 0) blocks.Add(new ItemList(map.Stale.Select(x => Item(x, ctx.Today)).ToList()));
        blocks.Add(new Paragraph(map.Gaps.Count == 0
            ? "Turnover gaps: none. Every government organization has someone who is not elected or appointed."
            : "Turnover gaps: in these government organizations every ally is elected or appointed, so an election could leave nobody:"));
        if (map.Gaps.Count > 0)
            blocks.Add(new ItemList(map.Gaps.Select(g => new ListItem(g.Org, $"{Count(g.Count, "ally", "allies")}, none career/executive/staff")).ToList()));
        return ctx.Share(new Reply($"Coalition map{where}: {Count(map.Total, "ally", "allies")}, {stale} stale, {Count(map.Gaps.Count, "turnover gap")}",
            blocks));
    }

    /// <summary><c>ally import [--skip-bad]</c> with CSV after the command.</summary>
    private async Task<Reply> ImportAsync(CommandContext ctx, CancellationToken ct)
    {
        if (ctx.Args.Text("format") == "openstates") return await ImportOpenStatesAsync(ctx, ct);
        if (string.IsNullOrWhiteSpace(ctx.Body))
            return Reply.Error("Attach a CSV file, or paste the CSV on the lines after ally import.",
                $"The first row names the columns: {string.Join(", ", AllyCsv.ImportColumns)}. Only name is required.");
        var result = csv.Read(ctx.Body);
        if (result.FileError is { } fileError) return Reply.Error($"Nothing imported: {fileError}");
        var skipBad = ctx.Args.Has("skip-bad");
        var problems = result.Errors.Take(20).Select(e => new ListItem($"row {e.Row}", e.Message)).ToList();
        var moreProblems = result.Errors.Count > 20 ? $" (first 20 of {result.Errors.Count} shown)" : "";
        if (result.Errors.Count > 0 && !skipBad)
            return new Reply($"Nothing imported: {Count(result.Errors.Count, "row")} with errors.",
            [
                new Paragraph($"Nothing imported: {Count(result.Errors.Count, "row")} with errors{moreProblems}. Fix them, or import the {Count(result.Rows.Count, "good row")} with --skip-bad."),
                new ItemList(problems),
            ], Ephemeral: true, IsError: true);
        if (result.Rows.Count == 0) return Reply.Error("Nothing imported: the CSV has no valid rows.");
        var refs = await store.AddAsync(ctx.WorkspaceId, result.Rows, ctx.UserId, ctx.Now, ct);
        await nudges.EnsureAsync(ctx.WorkspaceId, ct);
        var text = $"Imported {Count(refs.Count, "ally", "allies")} ({(refs.Count == 1 ? $"A{refs[0]}" : $"A{refs[0]}–A{refs[^1]}")})" +
                   (result.Errors.Count > 0 ? $"; skipped {Count(result.Errors.Count, "row")} with errors." : ".");
        var blocks = new List<Block> { new Paragraph(text) };
        if (problems.Count > 0) blocks.Add(new ItemList(problems));
        return new Reply(text, blocks, Ephemeral: true);
    }

    /// <summary><c>ally export</c>: every ally as a CSV file.</summary>
    private async Task<Reply> ExportAsync(CommandContext ctx, CancellationToken ct)
    {
        var (content, count) = await csv.WriteAsync(store.AllAsync(ctx.WorkspaceId, ct), await store.AllRolesAsync(ctx.WorkspaceId, ct), ct);
        var name = $"allies-{Day(ctx.Today)}.csv";
        return new Reply($"Exported {Count(count, "ally", "allies")} to {name}",
            [new Paragraph($"Exported {Count(count, "ally", "allies")}."), new FileAttachment(name, "text/csv", content)], Ephemeral: true);
    }

    private async Task<(Ally? Ally, Reply? Error)> ResolveAsync(CommandContext ctx, string text, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(text))
            return (null, Reply.Error($"Which ally? Give a reference like A12 or the start of a name: {ctx.Spec.Examples[0]}"));
        return await store.ResolveAsync(ctx.WorkspaceId, text, ct) switch
        {
            Resolution.Found f => (f.Ally, null),
            Resolution.Ambiguous a => (null, new Reply($"\"{text}\" matches several allies; use a reference.",
            [
                new Paragraph($"\"{text}\" matches several allies{(a.Candidates.Count > 10 ? " (first 10 shown)" : "")}; use a reference:"),
                new ItemList(a.Candidates.Take(10).Select(x => new ListItem(x.Label, x.Org)).ToList()),
            ], Ephemeral: true, IsError: true)),
            _ => (null, Reply.Error($"No ally matches \"{RefText(text)}\" in this workspace.", $"Try: ally find {RefText(text)}")),
        };
    }

    private static string RefText(string text) => text.Length <= 60 ? text : text[..60] + "…";

    private static (AllyFields Fields, Reply? Error) Fields(CommandArgs a)
    {
        int? every = null;
        if (a.Text("every") is { } text)
        {
            if (string.IsNullOrWhiteSpace(text) || text.Trim().Equals("level", StringComparison.OrdinalIgnoreCase)) every = AllyFields.LevelCadence;
            else if (Cadence.ParseDays(text) is ({ } days, _)) every = days;
            else return (new AllyFields(), Reply.Error("--every: " + Cadence.ParseDays(text).Error, "e.g. --every 21, --every off, or --every level", "every"));
        }
        return (new AllyFields
        {
            Org = a.Text("org"), Role = a.Text("role"), Sector = a.Text("sector"), Level = a.Text("level"),
            Jurisdiction = a.Text("jurisdiction"), Stance = a.Text("stance"), Email = a.Text("email"), Phone = a.Text("phone"),
            Tags = a.Text("tags"), Owner = a.Text("owner"), Notes = a.Text("notes"), Every = every,
        }, null);
    }

    /// <summary>An ally's fields as label/value pairs (<c>ally show</c>, the dashboard's ally page).</summary>
    public static List<Field> Details(Ally a, DateOnly today, bool withContact, IReadOnlyDictionary<string, int>? cadence = null)
    {
        var fields = new List<Field>();
        void Add(string label, string? value) { if (!string.IsNullOrEmpty(value)) fields.Add(new Field(label, value)); }
        Add("Organization", a.Org);
        Add("Role", a.Role);
        Add("Sector", a.Sector);
        Add("Level", a.Level);
        Add("Left office", a.LeftOffice is { } left ? $"{Day(left)} (former officeholder)" : null);
        Add("In this role since", a.RoleSince is { } since && a.LeftOffice is null ? Day(since) : null);
        Add("Term ends", a.TermEnds is { } ends && a.LeftOffice is null ? Day(ends) : null);
        Add("Jurisdiction", a.Jurisdiction);
        Add("Stance", a.Stance);
        Add("Email", a.Email);
        Add("Phone", a.Phone);
        Add("Tags", a.Tags.Count > 0 ? string.Join(", ", a.Tags) : null);
        Add("Owner", a.Owner is null ? null : "@" + a.Owner);
        if (withContact) Add("Last contact", Contact(a, today));
        if (withContact && cadence is not null)
        {
            var every = a.ContactEvery ?? Cadence.For(cadence, a.Level);
            Add("Contact every", every <= 0 ? "off" : Cadence.Describe(every) + (a.ContactEvery is null ? $" ({a.Level ?? "no level"}: the level's)" : " (its own)"));
            Add("Next contact", a.DueOn is { } due ? $"{Day(due)} ({DueText(due, today)})" : null);
        }
        Add("Notes", a.Notes);
        Add("Open States id", a.ExternalId);
        return fields;
    }

    private static ListItem Item(Ally a, DateOnly today) => new(a.Label, Summary(a, today));

    private static string Summary(Ally a, DateOnly today) =>
        string.Join(" · ", new[] { a.Org, a.Role, a.Level, a.Sector }.Where(s => !string.IsNullOrEmpty(s)).Append("last contact " + Contact(a, today)));

    private static string Contact(Ally a, DateOnly today) => a.LastContact is not { } d ? "never" : $"{Day(d)} ({DaysAgo(d, today)})";

    private static string Describe(CommandArgs a) =>
        string.Join(", ", a.Flags.Where(f => f.Key is not ("page" or "share")).Select(f => f.Key switch
        {
            "stale" => $"no contact in {f.Value} days",
            "was" => $"formerly at {f.Value}",
            _ => $"{f.Key} {f.Value}",
        }));

    private static string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Count(int n, string one, string? many = null) => $"{N(n)} {(n == 1 ? one : many ?? one + "s")}";

    private static string N(int n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
