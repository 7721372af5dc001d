using System.Globalization;
using CoordBot.Chat;
using CoordBot.Outbox;
using CoordBot.Scheduling;
using CoordBot.Workspaces;
using Microsoft.Extensions.Logging;

namespace CoordBot.CheckIns;

/// <summary>
/// The weekly check-in cycle of every initiative: three weekly triggers in the initiative's zone
/// (prompt, nudge, digest), and what each sends through the outbox when it fires. Members whose own
/// zone differs (docs/features.md, "Each member's own time zone") get theirs from one more prompt and
/// nudge trigger per such zone, weekly in that zone; each prompt or nudge trigger prompts only the
/// members whose zone it is. Each message has an idempotency key naming its week and member
/// (<c>checkin-prompt:I3:2027-W05:U123</c>), whichever trigger queues it, so a restart, a refire, a
/// member who moved to another zone or a manual <c>checkin digest</c> never sends anything twice.
/// </summary>
public sealed class CheckInSchedule(
    InitiativeStore initiatives,
    CheckInStore checkIns,
    CheckInDigest digests,
    MemberZoneStore memberZones,
    IScheduledSends schedule,
    OutboxStore outbox,
    TimeProvider time,
    ILogger<CheckInSchedule> logger) : IScheduledSendHandler
{
    public const string KindName = "checkin";

    /// <summary>A prompt or nudge later than this (the host was down) is not sent; the digest always is.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromDays(1);

    public string Kind => KindName;

    private static string Stage(CheckInStage stage) => stage.ToString().ToLowerInvariant();

    /// <summary>The weekly trigger's key: <c>checkin:I3:prompt</c>, or for the members in another zone <c>checkin:I3:prompt:Asia/Kolkata</c>.</summary>
    public static string TriggerKey(Initiative initiative, CheckInStage stage, string? zone = null) =>
        $"{KindName}:{initiative.Ref}:{Stage(stage)}" + (zone is null ? "" : ":" + zone);

    /// <summary>The stages that follow a member's own zone; the digest stays in the initiative's.</summary>
    private static readonly CheckInStage[] MemberStages = [CheckInStage.Prompt, CheckInStage.Nudge];

    /// <summary>The outbox key of one message: <c>checkin-prompt:I3:2027-W05:U123</c>, <c>checkin-digest:I3:2027-W05</c>.</summary>
    public static string MessageKey(Initiative initiative, CheckInStage stage, string week, string? member = null) =>
        $"checkin-{Stage(stage)}:{initiative.Ref}:{week}" + (member is null ? "" : ":" + member);

    /// <summary>(Re)creates the initiative's three weekly triggers, and those of its members' other zones.</summary>
    public async Task ScheduleAsync(string workspace, Initiative initiative, CancellationToken ct)
    {
        await ScheduleInitiativeZoneAsync(workspace, initiative, ct);
        await ScheduleMemberZonesAsync(workspace, initiative, ct, noPairsYet: true);   // set up, or resumed (pausing removed them all)
    }

    private async Task ScheduleInitiativeZoneAsync(string workspace, Initiative initiative, CancellationToken ct)
    {
        var cycle = new CheckInCycle(initiative);
        foreach (var stage in Enum.GetValues<CheckInStage>())
        {
            var (day, at) = cycle.Weekly(stage);
            await schedule.ScheduleWeeklyAsync(new WeeklySend(TriggerKey(initiative, stage), KindName, workspace, day, at, cycle.Zone,
                new Dictionary<string, string>
                {
                    ["initiative"] = initiative.Id.ToString(CultureInfo.InvariantCulture),
                    ["stage"] = Stage(stage),
                    ["channel"] = stage == CheckInStage.Digest ? initiative.ChannelId : "members",
                }), ct);
        }
    }

    /// <summary>
    /// Brings the prompt and nudge triggers of the members' zones in line with where the members are now: one pair per
    /// zone other than the initiative's that some member is in, none for a zone nobody is in any more. A pair that
    /// exists already is left as it is (its weekday and time in its zone never change).
    /// </summary>
    public async Task ScheduleMemberZonesAsync(string workspace, Initiative initiative, CancellationToken ct, bool noPairsYet = false)
    {
        var zones = await ZonesOfAsync(workspace, initiative, ct);
        var wanted = zones.Values.Distinct(StringComparer.Ordinal).Where(z => z != initiative.TimeZoneId)
            .SelectMany(z => MemberStages.Select(stage => (Key: TriggerKey(initiative, stage, z), Zone: z, Stage: stage)))
            .ToDictionary(t => t.Key, StringComparer.Ordinal);
        // One look at the initiative's triggers (none when it has none yet); a zone pair's key has a fourth part.
        var existing = noPairsYet ? [] : (await schedule.KeysAsync(workspace, $"{KindName}:{initiative.Ref}:", ct))
            .Where(k => MemberStages.Any(stage => k.StartsWith(TriggerKey(initiative, stage) + ":", StringComparison.Ordinal))).ToList();
        foreach (var key in existing.Where(k => !wanted.ContainsKey(k)))
            await schedule.CancelAsync(workspace, key, ct);
        foreach (var (key, zone, stage) in wanted.Values.Where(w => !existing.Contains(w.Key)))
        {
            var cycle = new CheckInCycle(initiative, MemberZoneStore.Parse(zone));
            var (day, at) = cycle.Weekly(stage);
            await schedule.ScheduleWeeklyAsync(new WeeklySend(key, KindName, workspace, day, at, cycle.Zone,
                new Dictionary<string, string>
                {
                    ["initiative"] = initiative.Id.ToString(CultureInfo.InvariantCulture),
                    ["stage"] = Stage(stage),
                    ["channel"] = "members",
                    ["zone"] = zone,
                }), ct);
        }
    }

    /// <summary>Each member's zone: their own when known (hand-set before the platform's), else the initiative's.</summary>
    private async Task<Dictionary<string, string>> ZonesOfAsync(string workspace, Initiative initiative, CancellationToken ct)
    {
        var known = await memberZones.ForUsersAsync(workspace, initiative.Members, ct);
        return initiative.Members.Distinct().ToDictionary(m => m,
            m => known.TryGetValue(m, out var zone) ? zone.Or(initiative.TimeZoneId) : initiative.TimeZoneId, StringComparer.Ordinal);
    }

    /// <summary>
    /// A member's zone changed: the triggers of each initiative they are in follow, and if their new zone's prompt for
    /// this week has already come (they moved to a zone whose trigger fired before their old one's), it is sent now.
    /// The message key is per member and week, so a prompt they already had is not sent again.
    /// </summary>
    public async Task MemberZoneChangedAsync(string workspace, string member, CancellationToken ct)
    {
        var zone = await memberZones.GetAsync(workspace, member, ct);
        var now = time.GetUtcNow();
        foreach (var initiative in (await initiatives.ListAsync(workspace, ct)).Where(i => i.Members.Contains(member) && !i.Paused))
        {
            await ScheduleMemberZonesAsync(workspace, initiative, ct);
            var cycle = new CheckInCycle(initiative, MemberZoneStore.Parse(zone.Or(initiative.TimeZoneId)));
            var (week, at) = cycle.Latest(CheckInStage.Prompt, now);
            if (now - at > StaleAfter || initiative.CreatedAt > at || await checkIns.IsSkippedAsync(workspace, initiative.Id, week, ct)) continue;
            var sent = await PromptAsync(workspace, initiative, week, nudge: false, [member], ct);
            if (sent > 0) logger.LogInformation("Check-in prompt of {Initiative} for {Week} caught up after a member's zone changed", initiative.Ref, week);
        }
    }

    /// <summary>Removes the initiative's triggers (paused or removed).</summary>
    public Task CancelAsync(string workspace, Initiative initiative, CancellationToken ct) =>
        schedule.CancelWhereAsync(workspace, $"{KindName}:{initiative.Ref}:", ct);

    public async Task HandleAsync(ScheduledSend send, TimeSpan late, CancellationToken ct)
    {
        if (!long.TryParse(send.Data.GetValueOrDefault("initiative"), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ||
            !Enum.TryParse<CheckInStage>(send.Data.GetValueOrDefault("stage"), ignoreCase: true, out var stage))
        {
            logger.LogWarning("Scheduled send {Key} lacks its data; dropped", send.Key);
            return;
        }
        if (await initiatives.GetAsync(send.WorkspaceId, id, ct) is not { } initiative)
        {
            logger.LogInformation("Check-in send {Key} fired for a removed initiative; its triggers are removed", send.Key);
            await schedule.CancelAsync(send.WorkspaceId, send.Key, ct);
            return;
        }
        if (initiative.Paused) return;

        // A member zone's trigger prompts the members in that zone, on their clock; the initiative's own, everyone else.
        TimeZoneInfo? zone = null;
        if (send.Data.GetValueOrDefault("zone") is { } zoneId && (stage == CheckInStage.Digest || (zone = MemberZoneStore.Parse(zoneId)) is null))
        {
            logger.LogWarning("Check-in send {Key} names a zone it cannot use; removed", send.Key);
            await schedule.CancelAsync(send.WorkspaceId, send.Key, ct);
            return;
        }

        // Which occurrence this is comes from the schedule and the clock, not from the trigger: a fire replayed
        // after downtime stands for the latest occurrence, and is judged by how late that one is.
        var now = time.GetUtcNow();
        var (week, at) = new CheckInCycle(initiative, zone).Latest(stage, now);
        if (stage != CheckInStage.Digest && now - at > StaleAfter)
        {
            logger.LogWarning("Check-in {Stage} of {Initiative} for {Week} is {Late} late; not sent", stage, initiative.Ref, week, now - at);
            return;
        }
        if (await checkIns.IsSkippedAsync(send.WorkspaceId, initiative.Id, week, ct))
        {
            logger.LogInformation("{Initiative} skips {Week}: no {Stage}", initiative.Ref, week, stage);
            return;
        }
        if (stage == CheckInStage.Prompt && zone is null)
            await ScheduleMemberZonesAsync(send.WorkspaceId, initiative, ct);   // heals a zone pair a crash left out or behind
        var sent = stage == CheckInStage.Digest
            ? await PostDigestAsync(send.WorkspaceId, initiative, week, ct) ? 1 : 0
            : await PromptAsync(send.WorkspaceId, initiative, week, stage == CheckInStage.Nudge,
                await MembersInAsync(send.WorkspaceId, initiative, zone?.Id ?? initiative.TimeZoneId, ct), ct);
        logger.LogInformation("Check-in {Stage} of {Initiative} for {Week}: {Count} queued", stage, initiative.Ref, week, sent);
    }

    /// <summary>The members whose zone is <paramref name="zone"/> (the initiative's takes those with none of their own).</summary>
    private async Task<IReadOnlyList<string>> MembersInAsync(string workspace, Initiative initiative, string zone, CancellationToken ct) =>
        (await ZonesOfAsync(workspace, initiative, ct)).Where(m => m.Value == zone).Select(m => m.Key).ToList();

    /// <summary>Queues the week's prompt (or nudge: only to those who have not answered) to each of <paramref name="members"/> who is not away.</summary>
    private async Task<int> PromptAsync(string workspace, Initiative initiative, string week, bool nudge, IReadOnlyList<string> members, CancellationToken ct)
    {
        var cycle = new CheckInCycle(initiative);
        if (await checkIns.DigestPostedAtAsync(workspace, initiative.Id, week, ct) is not null) return 0;
        var away = await checkIns.AwayOnAsync(workspace, cycle.PromptDay(week), ct);
        var answered = nudge ? (await checkIns.WeekAsync(workspace, initiative.Id, week, ct)).Select(c => c.Member).ToHashSet() : [];
        var digestAt = TimeZoneInfo.ConvertTime(cycle.At(CheckInStage.Digest, week), cycle.Zone);
        var now = time.GetUtcNow();
        var count = 0;
        foreach (var member in members.Where(m => initiative.Members.Contains(m) && !away.Contains(m) && !answered.Contains(m)))
        {
            var stage = nudge ? CheckInStage.Nudge : CheckInStage.Prompt;
            if (await outbox.EnqueueAsync(workspace, MessageKey(initiative, stage, week, member), initiative.Platform, member,
                    Prompt(initiative, week, digestAt, nudge), now, now, ct))
                count++;
        }
        return count;
    }

    /// <summary>The DM a member gets: a button that opens the check-in form, and the typed alternative.</summary>
    public static Reply Prompt(Initiative initiative, string week, DateTimeOffset digestLocal, bool nudge)
    {
        var heading = nudge ? $"Reminder: your {week} check-in for {initiative.Name}" : $"Weekly check-in: {initiative.Name}, {week}";
        var due = string.Create(CultureInfo.InvariantCulture, $"The digest goes to the team {digestLocal:ddd yyyy-MM-dd HH:mm} ({initiative.TimeZoneId}).");
        var ask = nudge
            ? $"We have not heard from you yet this week. {due}"
            : $"How did this week go? Your numbers ({string.Join(", ", initiative.Metrics.Select(m => m.Name))}) and a few words on wins, barriers and help needed. {due}";
        var example = string.Join(' ', initiative.Metrics.Select(m => (m.Name.Contains(' ') ? $"\"{m.Name}\"" : m.Name) + "=…"));
        return new Reply($"{heading}. {due}",
        [
            new Heading(heading),
            new Paragraph(ask),
            new Actions([new Button("Check in", new ChatAction($"checkin submit {initiative.Ref}"), ButtonStyle.Primary)]),
            new Context($"Or type: checkin submit {initiative.Ref} {example} · away for a while? checkin away until YYYY-MM-DD"),
        ]);
    }

    /// <summary>
    /// Queues the week's digest for the initiative's channel and marks the week closed (later check-ins go to
    /// the next week). Returns false when that week's digest was already posted, or when the initiative was set up
    /// after the week's prompt and nobody checked in (nobody was asked: an empty digest says nothing), unless requested.
    /// </summary>
    public async Task<bool> PostDigestAsync(string workspace, Initiative initiative, string week, CancellationToken ct, bool requested = false)
    {
        if (await checkIns.DigestPostedAtAsync(workspace, initiative.Id, week, ct) is not null) return false;
        if (!requested && initiative.CreatedAt > new CheckInCycle(initiative).At(CheckInStage.Prompt, week) &&
            (await checkIns.WeekAsync(workspace, initiative.Id, week, ct)).Count == 0)
        {
            logger.LogInformation("{Initiative} was set up after the {Week} prompt and nobody checked in: no digest that week", initiative.Ref, week);
            return false;
        }
        var digest = await digests.BuildAsync(workspace, initiative, week, ct);
        var now = time.GetUtcNow();
        // Queued before it is marked: a crash in between re-queues the same key (a no-op) rather than losing it.
        await outbox.EnqueueAsync(workspace, MessageKey(initiative, CheckInStage.Digest, week), initiative.Platform, initiative.ChannelId, digest, now, now, ct);
        return await checkIns.MarkDigestPostedAsync(workspace, initiative.Id, week, ct);
    }
}
