using CoordBot.Allies;
using CoordBot.Chat;

namespace CoordBot.Elections;

/// <summary>
/// How election reminders, <c>election risk</c> and <c>election preview</c> show each ally at risk of turnover (docs/features.md,
/// "Turnover radar"): who keeps the relationship, when anyone last spoke to them, their stance, and two flags: no contact in
/// the last <see cref="ColdDays"/> days, and nobody who stays (career, executive or staff) in their organization. Allies overdue
/// for contact come first, most overdue first; the rest by name.
/// </summary>
public static class TurnoverRadar
{
    /// <summary>A relationship with no contact for this long is flagged before an election.</summary>
    public const int ColdDays = 90;

    /// <summary>The reminders (days before election day) that also DM each keeper the allies at risk they keep.</summary>
    public static readonly IReadOnlySet<int> OwnerDmOffsets = new HashSet<int> { -30, -7 };

    /// <summary>The allies at risk, overdue for contact first (most overdue first), then by name as the store gave them.</summary>
    public static IReadOnlyList<Ally> Ordered(TurnoverRisk risk, DateOnly today) =>
        risk.AtRisk.Select((a, i) => (Ally: a, Index: i))
            .OrderBy(x => x.Ally.DueOn is { } due && due < today ? 0 : 1)
            .ThenBy(x => x.Ally.DueOn is { } due && due < today ? due.DayNumber : 0)
            .ThenBy(x => x.Index)
            .Select(x => x.Ally).ToList();

    /// <summary>One ally's line: "Council member · City of Atlanta · kept by @sam · last contact 41 days ago · champion · ⚠ no contact in 90+ days".</summary>
    public static ListItem Item(Ally ally, TurnoverRisk risk, DateOnly today)
    {
        var parts = new List<string>();
        parts.AddRange(new[] { ally.Role, ally.Org }.Where(s => !string.IsNullOrEmpty(s))!);
        parts.Add($"kept by @{ally.Keeper}");
        parts.Add(ally.LastContact is { } last ? $"last contact {AllyCommands.DaysAgo(last, today)}" : "last contact never");
        parts.Add(ally.Stance);
        if (ally.DueOn is { } due && due < today) parts.Add(AllyCommands.DueText(due, today));
        foreach (var flag in Flags(ally, risk, today)) parts.Add("⚠ " + flag);
        return new ListItem(ally.Label, string.Join(" · ", parts));
    }

    /// <summary>"no contact in 90+ days" (never contacted too) and "no continuity ally at City of Atlanta".</summary>
    public static IReadOnlyList<string> Flags(Ally ally, TurnoverRisk risk, DateOnly today)
    {
        var flags = new List<string>();
        if (ally.LastContact is not { } last || today.DayNumber - last.DayNumber > ColdDays) flags.Add($"no contact in {ColdDays}+ days");
        if (ally.Org is { } org && risk.OrgsAllAtRisk.Any(o => AllyVocabulary.Key(o) == AllyVocabulary.Key(org)))
            flags.Add($"no continuity ally at {org}");
        return flags;
    }

    /// <summary>The "At risk" list of a reply, with its heading paragraph.</summary>
    public static IEnumerable<Block> AtRiskBlocks(TurnoverRisk risk, DateOnly today, string heading, string none)
    {
        if (risk.AtRisk.Count == 0)
        {
            yield return new Paragraph(none);
            yield break;
        }
        var ordered = Ordered(risk, today);
        var overdue = ordered.Count(a => a.DueOn is { } due && due < today);
        yield return new Paragraph($"{heading} ({risk.AtRisk.Count}){(overdue > 0 ? $", {overdue} overdue for contact first" : "")}:");
        yield return new ItemList(ordered.Select(a => Item(a, risk, today)).ToList());
    }

    /// <summary>The DM to one keeper before an election: the allies at risk they keep, each with a "Log touchpoint" button.</summary>
    public static Reply OwnerMessage(Election election, IReadOnlyList<Ally> kept, TurnoverRisk risk, DateOnly today)
    {
        var heading = $"{election.Title} ({election.Date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)}): " +
                      (kept.Count == 1 ? "1 ally you keep is at risk of turnover" : $"{kept.Count} allies you keep are at risk of turnover");
        var blocks = new List<Block> { new Heading(heading), new Paragraph("Reach them before the election, and make sure someone who stays knows them.") };
        foreach (var ally in kept.Take(20))
        {
            blocks.Add(new ItemList([Item(ally, risk, today)]));
            blocks.Add(new Actions([new Button("Log touchpoint", new ChatAction($"ally log {ally.Ref}"), ButtonStyle.Primary)]));
        }
        if (kept.Count > 20) blocks.Add(new Paragraph($"And {kept.Count - 20} more: election risk {election.Ref}"));
        blocks.Add(new Context($"Election {election.Ref} · election risk {election.Ref} · ally nudges off stops your Monday DM, not this one"));
        return new Reply($"{heading}: {string.Join(", ", kept.Take(20).Select(a => a.Label))}", blocks);
    }
}
