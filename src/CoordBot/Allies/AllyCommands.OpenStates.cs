using CoordBot.Allies.OpenStates;
using CoordBot.Chat;

namespace CoordBot.Allies;

public sealed partial class AllyCommands
{
    /// <summary>
    /// <c>ally import --format openstates</c>: officials from Open States person files (docs/features.md,
    /// "Officials from Open States"). People already imported are matched by their Open States id and
    /// updated (a changed role goes into role history; a role that ended marks them as having left office);
    /// people who hold no office now are added only if they were imported before.
    /// </summary>
    private async Task<Reply> ImportOpenStatesAsync(CommandContext ctx, CancellationToken ct)
    {
        var files = ctx.Request.Attached;
        if (string.IsNullOrWhiteSpace(ctx.Body) && files.Count == 0)
            return Reply.Error("Attach Open States person files (.yml) or a zip of a state's folder, or paste a person file on the lines after ally import --format openstates.",
                "The files are at https://github.com/openstates/people, under data/<state>/ (public domain).");
        var read = OpenStatesPeople.Read(ctx.Body, files);
        var problems = read.Problems.Take(20).Select(p => new ListItem(p.Where, p.Message)).ToList();
        var moreProblems = read.Problems.Count > 20 ? $" (first 20 of {read.Problems.Count} shown)" : "";
        if (read.Problems.Count > 0 && !ctx.Args.Has("skip-bad"))
            return new Reply($"Nothing imported: {Count(read.Problems.Count, "problem")} in the Open States files.",
            [
                new Paragraph($"Nothing imported: {Count(read.Problems.Count, "problem")}{moreProblems}. " + (read.People.Count == 0 ? "Fix them and import again."
                    : $"Fix them, or import the {Count(read.People.Count, "good person", "good people")} with --skip-bad.")),
                new ItemList(problems),
            ], Ephemeral: true, IsError: true);
        if (read.People.Count == 0)
            return Reply.Error("Nothing imported: no Open States person found" + (read.NotPeople > 0 ? $" ({Count(read.NotPeople, "file")} that are not people, such as committees)." : "."));

        var known = await store.ByExternalIdAsync(ctx.WorkspaceId, read.People.Select(p => p.Id).ToList(), ct);
        var added = new List<AllyFields>();
        var changes = new List<ListItem>();
        int unchanged = 0, notHolding = 0;
        foreach (var person in read.People)
        {
            var role = person.CurrentRole(ctx.Today);
            known.TryGetValue(person.Id, out var ally);
            if (role is null)
            {
                if (ally is null) notHolding++;
                else if (ally.LeftOffice is null)
                {
                    var left = person.LastEnd ?? ctx.Today;
                    await store.SetLeftOfficeAsync(ctx.WorkspaceId, ally.Id, left, ctx.Now, ct);
                    changes.Add(new ListItem(ally.Label, $"left office on {Day(left)}; {ally.Role ?? "the role"} is kept in the role history."));
                }
                else unchanged++;
                continue;
            }
            var fields = OpenStatesAllies.Fields(person, role) with { RoleSince = role.Start };
            if (ally is null)
            {
                added.Add(fields);
                continue;
            }
            var (change, what) = Changes(ally, fields, person);
            if (ally.LeftOffice is not null) await store.SetLeftOfficeAsync(ctx.WorkspaceId, ally.Id, null, ctx.Now, ct);
            if (change is null && ally.LeftOffice is null)
            {
                unchanged++;
                continue;
            }
            if (change is not null) await store.UpdateAsync(ctx.WorkspaceId, ally.Id, change, ctx.Now, ct, role.Start ?? ctx.Today);
            changes.Add(new ListItem(ally.Label, ally.LeftOffice is not null ? $"back in office: {what ?? fields.Role}." : what!));
        }
        var refs = added.Count > 0 ? await store.AddAsync(ctx.WorkspaceId, added, ctx.UserId, ctx.Now, ct) : [];
        await nudges.EnsureAsync(ctx.WorkspaceId, ct);

        var parts = new List<string>();
        if (refs.Count > 0) parts.Add($"added {Count(refs.Count, "ally", "allies")} ({(refs.Count == 1 ? $"A{refs[0]}" : $"A{refs[0]}–A{refs[^1]}")})");
        if (changes.Count > 0) parts.Add($"updated {N(changes.Count)}");
        if (unchanged > 0) parts.Add($"{N(unchanged)} unchanged");
        var text = "Open States import: " + (parts.Count > 0 ? string.Join(", ", parts) : "nothing to add") + ".";
        var skipped = new List<string>();
        if (notHolding > 0) skipped.Add($"{Count(notHolding, "person", "people")} who {(notHolding == 1 ? "holds" : "hold")} no office now (not added)");
        if (read.NotPeople > 0) skipped.Add($"{Count(read.NotPeople, "file")} that are not people (committees, lists)");
        if (read.Problems.Count > 0) skipped.Add($"{Count(read.Problems.Count, "problem")} (--skip-bad)");
        if (skipped.Count > 0) text += $" Skipped {string.Join("; ", skipped)}.";
        var blocks = new List<Block> { new Paragraph(text) };
        if (changes.Count > 0) blocks.Add(new ItemList(changes.Take(50).ToList()));
        if (problems.Count > 0) blocks.Add(new ItemList(problems));
        return new Reply(text, blocks, Ephemeral: true);
    }

    /// <summary>
    /// The fields of an imported ally that the Open States data now gives differently, or null when
    /// nothing changed; and a line saying what changed. Contact details missing from the data are kept,
    /// and tags other than the party are the coalition's own.
    /// </summary>
    private static (AllyFields? Change, string? What) Changes(Ally ally, AllyFields fresh, OpenStatesPerson person)
    {
        static string? Differs(string? fresh, string? current) => fresh is not null && !string.Equals(fresh, current, StringComparison.Ordinal) ? fresh : null;
        var partyTags = person.FormerParties.Append(person.Party).Select(OpenStatesAllies.PartyTag).OfType<string>().ToHashSet();
        var tags = ally.Tags.Where(t => !partyTags.Contains(t)).ToList();
        if (fresh.Tags is { } party) tags.Add(party);
        var tagText = string.Join(',', tags);
        var change = new AllyFields
        {
            Name = Differs(fresh.Name, ally.Name),
            Role = Differs(fresh.Role, ally.Role),
            Org = Differs(fresh.Org, ally.Org),
            Sector = Differs(fresh.Sector, ally.Sector),
            Level = Differs(fresh.Level, ally.Level),
            Jurisdiction = Differs(fresh.Jurisdiction, ally.Jurisdiction),
            Email = Differs(fresh.Email, ally.Email),
            Phone = Differs(fresh.Phone, ally.Phone),
            Tags = tagText == string.Join(',', ally.Tags) ? null : tagText,
            TermEnds = fresh.TermEnds is { } ends && ends != ally.TermEnds ? ends : null,
        };
        if (change == new AllyFields()) return (null, null);
        var roleChanged = change.Role is not null || change.Org is not null || change.Level is not null || change.Jurisdiction is not null;
        var what = roleChanged
            ? $"{ally.Role ?? "no role"}, {ally.Org ?? "no organization"} → {fresh.Role}, {fresh.Org}; the earlier role is kept in the role history."
            : "contact details, party or term updated.";
        return (change, what);
    }
}
