using System.Globalization;
using CoordBot.Data;

namespace CoordBot.Allies;

/// <summary>
/// The SQL that keeps <c>allies.due_on</c> true: the last contact (or, never contacted, the day the ally was added) plus
/// the ally's interval: its own (<c>contact_every</c>), else its workspace's for its level, else <see cref="Cadence"/>'s
/// default; or the end of a snooze, when later. No due day when the interval is off. Run after anything that changes one of those.
/// </summary>
public static class AllyDue
{
    /// <summary>The ally's interval in days, in SQL over a row of <c>allies</c>.</summary>
    public static readonly string Every =
        "COALESCE(allies.contact_every, " +
        "(SELECT c.days FROM workspace_cadences c WHERE c.workspace_id = allies.workspace_id AND c.level = COALESCE(allies.level, 'other')), " +
        "CASE allies.level " + string.Concat(Cadence.Defaults.Select(d => $"WHEN '{d.Key}' THEN {d.Value.ToString(CultureInfo.InvariantCulture)} ")) +
        $"ELSE {Cadence.OtherDays.ToString(CultureInfo.InvariantCulture)} END)";

    /// <summary>The due day of a row of <c>allies</c>, in SQL (null when its interval is off).</summary>
    public static string DueDay(SqlDialect dialect)
    {
        var due = dialect.DayPlus("COALESCE(allies.last_contact, substr(allies.created_at, 1, 10))", Every);
        // A snooze holds the due day back until its end; a touchpoint clears it (AllyStore.LogAsync).
        return $"""
            CASE WHEN {Every} <= 0 THEN NULL
                WHEN allies.snoozed_until IS NOT NULL AND allies.snoozed_until > {due} THEN allies.snoozed_until
                ELSE {due} END
            """;
    }

    /// <summary>Sets the due day of the allies matching <paramref name="where"/> (SQL over <c>allies</c>; its parameters are the caller's).</summary>
    public static string Recompute(SqlDialect dialect, string where) => $"UPDATE allies SET due_on = {DueDay(dialect)} WHERE {where};";
}
