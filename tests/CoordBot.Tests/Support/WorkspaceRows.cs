using System.Globalization;
using CoordBot.Data;
using Dapper;

namespace CoordBot.Tests.Support;

/// <summary>Every row a workspace owns, read straight from the database, to prove that something left it unchanged.</summary>
public static class WorkspaceRows
{
    /// <summary>Every row of every table with a workspace column, for one workspace, as text in a stable order.</summary>
    public static async Task<List<string>> SnapshotAsync(Database database, string workspace)
    {
        await using var connection = await database.OpenAsync();
        var tables = database.IsPostgres
            ? await connection.QueryAsync<string>(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'workspace_id' ORDER BY table_name")
            : await connection.QueryAsync<string>(
                "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name = 'workspace_id' ORDER BY m.name");
        var rows = new List<string>();
        foreach (var table in tables)
        {
            await using var reader = await connection.ExecuteReaderAsync($"SELECT * FROM {table} WHERE workspace_id = @Workspace", new { Workspace = workspace });
            var tableRows = new List<string>();
            while (await reader.ReadAsync())
                tableRows.Add(table + ": " + string.Join(" | ", Enumerable.Range(0, reader.FieldCount)
                    .Where(i => reader.GetName(i) != "search")   // PostgreSQL's generated full-text column
                    .Select(i => reader.GetName(i) + "=" + Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture))));
            rows.AddRange(tableRows.Order(StringComparer.Ordinal));
        }
        return rows;
    }

    /// <summary>Rows whose parent (an ally or initiative, by id) belongs to another workspace.</summary>
    public static async Task<List<string>> CrossWorkspaceReferencesAsync(Database database)
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<string>("""
            SELECT 'touchpoint of ally ' || t.ally_id FROM touchpoints t JOIN allies a ON a.id = t.ally_id WHERE a.workspace_id <> t.workspace_id
            UNION ALL SELECT 'link with ally ' || a.id FROM ally_links l JOIN allies a ON a.id IN (l.ally_a, l.ally_b) WHERE a.workspace_id <> l.workspace_id
            UNION ALL SELECT 'member of ' || m.initiative_id FROM initiative_members m JOIN initiatives i ON i.id = m.initiative_id WHERE i.workspace_id <> m.workspace_id
            UNION ALL SELECT 'check-in of ' || c.initiative_id FROM checkins c JOIN initiatives i ON i.id = c.initiative_id WHERE i.workspace_id <> c.workspace_id
            UNION ALL SELECT 'skip of ' || s.initiative_id FROM checkin_skips s JOIN initiatives i ON i.id = s.initiative_id WHERE i.workspace_id <> s.workspace_id
            UNION ALL SELECT 'digest of ' || d.initiative_id FROM checkin_digests d JOIN initiatives i ON i.id = d.initiative_id WHERE i.workspace_id <> d.workspace_id
            """)).AsList();
    }
}
