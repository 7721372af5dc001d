using System.Collections.Concurrent;
using System.Globalization;
using CoordBot.Chat;
using CoordBot.CheckIns;
using CoordBot.Outbox;
using CoordBot.Scheduling;
using CoordBot.Workspaces;
using Microsoft.Extensions.Logging;

namespace CoordBot.Allies;

/// <summary>
/// The weekly relationship nudge (docs/features.md, "Contact cadence"): on Monday 09:00 in each keeper's time zone (the
/// workspace's when theirs is unknown), one DM to each person who keeps allies due for contact, listing them with
/// buttons to log a touchpoint, snooze or change the owner. One weekly trigger per workspace and zone; the workspace
/// zone's also brings the other zones' triggers in line with where the keepers are, and sends at once for a zone whose
/// Monday 09:00 came less than a day ago without a trigger. Each DM has an outbox key per keeper and ISO week
/// (<c>ally-nudge:2027-W05:U123</c>), so a restart, a replayed fire or a second instance never sends it twice.
/// </summary>
public sealed class RelationshipNudges(
    AllyStore allies,
    WorkspaceStore workspaces,
    MemberZoneStore memberZones,
    IScheduledSends schedule,
    OutboxStore outbox,
    TimeProvider time,
    ILogger<RelationshipNudges> logger) : IScheduledSendHandler, ITimeZoneListener
{
    public const string KindName = "ally-nudge";
    public static readonly TimeOnly At = new(9, 0);
    public const DayOfWeek Day = DayOfWeek.Monday;

    /// <summary>A nudge later than this (the host was down) is not sent.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromDays(1);

    /// <summary>How many due allies one DM names (the rest: "and N more", with the command that lists them).</summary>
    public const int Shown = 10;

    /// <summary>The workspaces whose own-zone trigger this process has made sure of.</summary>
    private readonly ConcurrentDictionary<string, bool> _ensured = new(StringComparer.Ordinal);

    public string Kind => KindName;

    /// <summary>The weekly trigger of a workspace's keepers in one zone: <c>ally-nudge:America/Chicago</c>.</summary>
    public static string TriggerKey(string zone) => $"{KindName}:{zone}";

    /// <summary>The outbox key of one keeper's nudge: <c>ally-nudge:2027-W05:U123</c>.</summary>
    public static string MessageKey(string keeper, string week) => $"{KindName}:{week}:{keeper}";

    /// <summary>Makes sure the workspace's own-zone trigger exists (once per process and workspace: scheduling is idempotent).</summary>
    public async Task EnsureAsync(string workspace, CancellationToken ct = default)
    {
        if (_ensured.ContainsKey(workspace)) return;
        var zone = await workspaces.EnsureWorkspaceZoneAsync(workspace, ct);
        await ScheduleZoneAsync(workspace, zone, ct);
        _ensured[workspace] = true;
    }

    /// <summary>The workspace's zone changed: its own-zone trigger follows (the old one is removed at its next fire, if no keeper is there).</summary>
    public async Task TimeZoneChangedAsync(string workspaceId, CancellationToken ct)
    {
        _ensured.TryRemove(workspaceId, out _);
        await EnsureAsync(workspaceId, ct);
    }

    private Task ScheduleZoneAsync(string workspace, TimeZoneInfo zone, CancellationToken ct) =>
        schedule.ScheduleWeeklyAsync(new WeeklySend(TriggerKey(zone.Id), KindName, workspace, Day, At, zone,
            new Dictionary<string, string> { ["zone"] = zone.Id, ["channel"] = "keepers" }), ct);

    public async Task HandleAsync(ScheduledSend send, TimeSpan late, CancellationToken ct)
    {
        if (MemberZoneStore.Parse(send.Data.GetValueOrDefault("zone")) is not { } zone)
        {
            logger.LogWarning("Relationship nudge {Key} names no zone it can use; removed", send.Key);
            await schedule.CancelAsync(send.WorkspaceId, send.Key, ct);
            return;
        }
        var workspaceZone = await workspaces.EnsureWorkspaceZoneAsync(send.WorkspaceId, ct);
        var keepers = await KeeperZonesAsync(send.WorkspaceId, workspaceZone, ct);
        var isWorkspaceZone = zone.Id == workspaceZone.Id;
        if (isWorkspaceZone)
            await FollowKeepersAsync(send.WorkspaceId, keepers, workspaceZone, ct);
        else if (!keepers.Values.Contains(zone.Id, StringComparer.Ordinal))
        {
            logger.LogInformation("Relationship nudge trigger {Key}: nobody with allies keeps them in that zone now; removed", send.Key);
            await schedule.CancelAsync(send.WorkspaceId, send.Key, ct);
            return;
        }
        var sent = await NudgeAsync(send.WorkspaceId, zone, keepers, ct);
        logger.LogInformation("Relationship nudges of {Workspace} in {Zone}: {Count} queued", send.WorkspaceId, zone.Id, sent);
    }

    /// <summary>
    /// Queues this week's nudge to each keeper in <paramref name="zone"/> who has allies due and has not turned nudges off,
    /// unless the week's Monday 09:00 there is more than a day ago. Returns how many were queued (not already queued).
    /// </summary>
    public async Task<int> NudgeAsync(string workspace, TimeZoneInfo zone, IReadOnlyDictionary<string, string> keeperZones, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var (week, at) = Latest(zone, now);
        if (now - at > StaleAfter)
        {
            logger.LogWarning("Relationship nudges of {Workspace} in {Zone} for {Week} are {Late} late; not sent", workspace, zone.Id, week, now - at);
            return 0;
        }
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var platform = await workspaces.PlatformAsync(workspace, ct);
        var count = 0;
        foreach (var (keeper, message) in await ComposeAsync(workspace, zone.Id, keeperZones, today, ct))
            if (await outbox.EnqueueAsync(workspace, MessageKey(keeper, week), platform, keeper, message, now, now, ct))
                count++;
        return count;
    }

    /// <summary>The nudge of each keeper in the zone who has allies due on <paramref name="today"/> and has not turned nudges off.</summary>
    public async Task<IReadOnlyList<(string Keeper, Reply Message)>> ComposeAsync(string workspace, string zoneId, IReadOnlyDictionary<string, string> keeperZones,
        DateOnly today, CancellationToken ct)
    {
        var optedOut = await allies.NudgesOffAsync(workspace, ct);
        var messages = new List<(string, Reply)>();
        foreach (var keeper in keeperZones.Where(k => k.Value == zoneId).Select(k => k.Key).Where(k => !optedOut.Contains(k)).Order(StringComparer.Ordinal))
        {
            var (due, total, exact) = await allies.DueAsync(workspace, keeper, today, 1, Shown, ct);
            if (due.Count > 0) messages.Add((keeper, Message(due, total, exact, today, keeper)));
        }
        return messages;
    }

    /// <summary>The keepers with allies due in the workspace and each one's zone id (theirs, else the workspace's).</summary>
    public async Task<IReadOnlyDictionary<string, string>> KeeperZonesAsync(string workspace, TimeZoneInfo workspaceZone, CancellationToken ct)
    {
        var keepers = await allies.KeepersAsync(workspace, ct);
        var known = await memberZones.ForUsersAsync(workspace, keepers, ct);
        return keepers.ToDictionary(k => k, k => known.TryGetValue(k, out var z) ? z.Or(workspaceZone.Id) : workspaceZone.Id, StringComparer.Ordinal);
    }

    /// <summary>
    /// A trigger for every zone a keeper is in; a zone that had none and whose Monday 09:00 came less than a day ago
    /// (a keeper moved there, or their first ally) is nudged now.
    /// </summary>
    private async Task FollowKeepersAsync(string workspace, IReadOnlyDictionary<string, string> keepers, TimeZoneInfo workspaceZone, CancellationToken ct)
    {
        var existing = (await schedule.KeysAsync(workspace, KindName + ":", ct)).ToHashSet(StringComparer.Ordinal);
        foreach (var zoneId in keepers.Values.Distinct(StringComparer.Ordinal).Where(z => z != workspaceZone.Id && !existing.Contains(TriggerKey(z))))
        {
            if (MemberZoneStore.Parse(zoneId) is not { } zone) continue;
            await ScheduleZoneAsync(workspace, zone, ct);
            var sent = await NudgeAsync(workspace, zone, keepers, ct);
            if (sent > 0) logger.LogInformation("Relationship nudges of {Workspace} in {Zone} caught up for a new zone: {Count}", workspace, zone.Id, sent);
        }
    }

    /// <summary>The latest Monday 09:00 in the zone at or before <paramref name="now"/>, and its ISO week.</summary>
    public static (string Week, DateTimeOffset At) Latest(TimeZoneInfo zone, DateTimeOffset now)
    {
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var monday = DateOnly.FromDateTime(local.DateTime).AddDays(-(((int)local.DayOfWeek + 6) % 7));
        var at = Moment(zone, monday);
        if (at > now) at = Moment(zone, monday = monday.AddDays(-7));
        return (IsoWeeks.Of(monday), at);
    }

    private static DateTimeOffset Moment(TimeZoneInfo zone, DateOnly day)
    {
        var local = day.ToDateTime(At);
        // 09:00 never falls in a DST gap in practice; if a zone ever had one, take the first valid minute after it.
        while (zone.IsInvalidTime(local)) local = local.AddMinutes(30);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    /// <summary>The DM: each due ally with how overdue, the last contact, and its three buttons.</summary>
    public static Reply Message(IReadOnlyList<Ally> due, int total, bool exact, DateOnly today, string keeper)
    {
        var count = exact ? total.ToString(CultureInfo.InvariantCulture) : total.ToString(CultureInfo.InvariantCulture) + "+";
        var heading = total == 1 ? "1 relationship to keep warm this week" : $"{count} relationships to keep warm this week";
        var blocks = new List<Block> { new Heading(heading) };
        foreach (var ally in due)
        {
            var last = ally.LastContact is { } d ? $"last contact {AllyCommands.DaysAgo(d, today)}" : "never contacted";
            blocks.Add(new ItemList([new ListItem(ally.Label, $"{AllyCommands.DueText(ally.DueOn!.Value, today)} · {last}" +
                (string.IsNullOrEmpty(ally.Org) ? "" : $" · {ally.Org}"))]));
            blocks.Add(new Actions(
            [
                new Button("Log touchpoint", new ChatAction($"ally log {ally.Ref}"), ButtonStyle.Primary),
                new Button($"Snooze {Cadence.SnoozeDays} days", new ChatAction($"ally snooze {ally.Ref}")),
                new Button("Change owner", new ChatAction($"ally edit {ally.Ref}")),
            ]));
        }
        if (total > due.Count)
            blocks.Add(new Paragraph($"And {(exact ? (total - due.Count).ToString(CultureInfo.InvariantCulture) : "more")} more: ally due --owner @{keeper}"));
        blocks.Add(new Context("You get this on Mondays because you keep these relationships. Stop: ally nudges off · intervals: ally edit <ref> --every DAYS"));
        return new Reply($"{heading}: {string.Join(", ", due.Select(a => a.Label))}", blocks);
    }
}
