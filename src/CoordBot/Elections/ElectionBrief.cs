using System.Globalization;
using CoordBot.Allies;
using CoordBot.Chat;
using CoordBot.Data;
using Dapper;

namespace CoordBot.Elections;

/// <summary>
/// The transition brief after an election (docs/features.md, "Transition brief"): who left office in its jurisdiction, who is
/// new (allies added, or moved to elected or appointed, there since election day), the continuity allies of their
/// organizations, the last three touchpoints with each person leaving, and introductions to each newcomer through the
/// people who know them (<c>ally link</c>), so the relationships can be handed on. <c>election brief E3</c> shows it; the
/// reminder one day after the election carries it.
/// </summary>
public sealed class ElectionBrief(Database database, AllyStore allies)
{
    /// <summary>At most this many people in each list.</summary>
    public const int MaxPeople = 20;

    public async Task<IReadOnlyList<Block>> BlocksAsync(string workspace, Election election, DateOnly today, CancellationToken ct)
    {
        var p = new { Workspace = workspace, Key = election.JurisdictionKey, Date = Database.Day(election.Date), Reason = RoleReasons.LeftOffice, Limit = MaxPeople + 1 };
        await using var connection = await database.OpenAsync(ct);
        var leavingRefs = (await connection.QueryAsync<long>("""
            SELECT a.ref_no FROM allies a
            WHERE a.workspace_id = @Workspace AND (
                (a.jurisdiction_key = @Key AND a.left_office_on >= @Date) OR
                a.id IN (SELECT r.ally_id FROM ally_roles r WHERE r.workspace_id = @Workspace AND r.reason = @Reason
                         AND r.jurisdiction_key = @Key AND r.until_on >= @Date))
            ORDER BY a.name_key, a.ref_no LIMIT @Limit
            """, p)).AsList();
        var newRefs = (await connection.QueryAsync<long>("""
            SELECT ref_no FROM allies
            WHERE workspace_id = @Workspace AND jurisdiction_key = @Key AND level IN ('elected', 'appointed') AND left_office_on IS NULL
              AND (substr(created_at, 1, 10) >= @Date OR role_since >= @Date)
            ORDER BY name_key, ref_no LIMIT @Limit
            """, p)).AsList();
        var leaving = await allies.GetManyAsync(workspace, leavingRefs.Take(MaxPeople).ToList(), ct);
        var newcomers = await allies.GetManyAsync(workspace, newRefs.Take(MaxPeople).ToList(), ct);
        var orgs = leaving.Concat(newcomers).Select(a => AllyVocabulary.Key(a.Org)).OfType<string>().Distinct().ToArray();
        var continuityRefs = orgs.Length == 0 ? [] : (await connection.QueryAsync<long>($"""
            SELECT ref_no FROM allies WHERE workspace_id = @Workspace AND {database.Dialect.In("org_key", "Orgs")}
              AND level IN ('career', 'executive', 'staff') AND left_office_on IS NULL
            ORDER BY org_key, name_key, ref_no LIMIT 200
            """, new { Workspace = workspace, Orgs = orgs })).AsList();
        var continuity = await allies.GetManyAsync(workspace, continuityRefs, ct);

        var blocks = new List<Block> { new Heading($"Transition brief: {election.Label}, {Database.Day(election.Date)}") };
        blocks.Add(new Paragraph(leaving.Count == 0
            ? "Left office: nobody marked yet. After the count, mark who left: election office <ally ref> --status left."
            : $"Left office ({Count(leavingRefs.Count)}): hand these relationships on."));
        foreach (var ally in leaving)
        {
            var touchpoints = await allies.TouchpointsAsync(workspace, ally.Id, 3, ct);
            blocks.Add(new ItemList([new ListItem(ally.Label, Describe(ally) + $" · kept by @{ally.Keeper}" +
                (touchpoints.Count == 0 ? " · no touchpoints recorded" : ""))]));
            if (touchpoints.Count > 0)
                blocks.Add(new Context("Last touchpoints: " + string.Join("; ", touchpoints.Select(t =>
                    $"{Database.Day(t.On)}{(t.Via is null ? "" : " " + t.Via)}: {t.Note}"))));
        }
        blocks.Add(new Paragraph(newcomers.Count == 0
            ? $"New officials: none recorded yet. Add them as allies (level elected or appointed, jurisdiction {election.Jurisdiction})."
            : $"New officials ({Count(newRefs.Count)}): introductions through people who know them."));
        foreach (var ally in newcomers)
        {
            var links = (await allies.ConnectionsAsync(workspace, ally.Id, ct)).Where(c => c.Ally.LeftOffice is null).Take(5).ToList();
            blocks.Add(new ItemList([new ListItem(ally.Label, Describe(ally))]));
            blocks.Add(new Context(links.Count == 0
                ? $"Nobody recorded knows {ally.Name} yet: ally link {ally.Ref} <ref> --as \"…\" when you find someone."
                : "Introduce through: " + string.Join("; ", links.Select(c =>
                    $"{c.Ally.Label}{(c.Relation is { } r ? $" ({r})" : "")}, kept by @{c.Ally.Keeper}"))));
        }
        if (orgs.Length > 0)
        {
            var byOrg = continuity.GroupBy(a => a.Org ?? "").ToDictionary(g => AllyVocabulary.Key(g.Key) ?? "", g => g.ToList());
            var rows = leaving.Concat(newcomers).Where(a => a.Org is not null).DistinctBy(a => AllyVocabulary.Key(a.Org))
                .Select(a => byOrg.TryGetValue(AllyVocabulary.Key(a.Org)!, out var stay)
                    ? new ListItem(a.Org!, string.Join(", ", stay.Select(s => s.Label)))
                    : new ListItem(a.Org!, "⚠ nobody who stays: find a career-staff ally there"))
                .ToList();
            blocks.Add(new Paragraph("Continuity allies who stay, by organization:"));
            blocks.Add(new ItemList(rows));
        }
        return blocks;
    }

    private static string Count(int n) => n > MaxPeople ? $"first {MaxPeople} shown" : n.ToString(CultureInfo.InvariantCulture);

    private static string Describe(Ally a) => string.Join(" · ", new[] { a.Role, a.Org, a.Level }.Where(s => !string.IsNullOrEmpty(s)));
}
