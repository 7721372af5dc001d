using System.Globalization;
using CoordBot.Chat;
using CoordBot.Outbox;
using CoordBot.Scheduling;
using CoordBot.Workspaces;
using Microsoft.Extensions.Logging;
using static System.FormattableString;

namespace CoordBot.Elections;

/// <summary>
/// Election reminders: which sends a subscription schedules (09:00 workspace time on each lead and
/// after day), what each says for its stage, and sending it through the outbox when it fires.
/// </summary>
public sealed class ElectionReminders(
    ElectionStore elections,
    WorkspaceStore workspaces,
    IScheduledSends schedule,
    OutboxStore outbox,
    TimeProvider time,
    ILogger<ElectionReminders> logger) : IScheduledSendHandler, ITimeZoneListener
{
    public const string KindName = "election-reminder";

    /// <summary>Local time of day reminders go out.</summary>
    public static readonly TimeOnly SendAt = new(9, 0);

    public string Kind => KindName;

    /// <summary>The send's key: unique per election, offset and channel (also the outbox idempotency key).</summary>
    public static string Key(Election election, int offset, string channel) =>
        $"{KindName}:{election.Ref}:{offset.ToString(CultureInfo.InvariantCulture)}:{channel}";

    /// <summary>When a reminder <paramref name="offset"/> days from election day is due, in the workspace's zone.</summary>
    public static DateTimeOffset FireAt(Election election, int offset, TimeZoneInfo zone)
    {
        var local = election.Date.AddDays(offset).ToDateTime(SendAt, DateTimeKind.Unspecified);
        // A 09:00 that does not exist (never, in practice) or is ambiguous resolves to the standard offset.
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    /// <summary>Schedules every still-future reminder of the election for each subscribed channel that covers its jurisdiction.</summary>
    public async Task<int> ScheduleAsync(string workspace, Election election, CancellationToken ct)
    {
        var zone = (await workspaces.EnsureWorkspaceZoneAsync(workspace, ct));
        var count = 0;
        foreach (var subscription in await elections.SubscriptionsAsync(workspace, ct))
            count += await ScheduleAsync(workspace, election, subscription, zone, ct);
        return count;
    }

    /// <summary>Schedules a channel's reminders for every upcoming election it covers (after <c>election remind</c>).</summary>
    public async Task<int> ScheduleAsync(string workspace, ElectionSubscription subscription, CancellationToken ct)
    {
        var zone = await workspaces.EnsureWorkspaceZoneAsync(workspace, ct);
        var today = DateWords.LocalDate(time.GetUtcNow(), zone);
        var count = 0;
        foreach (var election in await elections.ListAsync(workspace, today.AddDays(-ElectionVocabulary.DefaultAfters.Max() - 400), 500, ct))
            count += await ScheduleAsync(workspace, election, subscription, zone, ct);
        return count;
    }

    private async Task<int> ScheduleAsync(string workspace, Election election, ElectionSubscription subscription, TimeZoneInfo zone, CancellationToken ct)
    {
        if (subscription.JurisdictionKey is { } only && only != election.JurisdictionKey) return 0;
        var now = time.GetUtcNow();
        var count = 0;
        foreach (var offset in subscription.Offsets)
        {
            var at = FireAt(election, offset, zone);
            if (at <= now) continue;   // a lead already past is not sent late
            await schedule.ScheduleAsync(new ScheduledSend(Key(election, offset, subscription.ChannelId), KindName, workspace, at,
                new Dictionary<string, string>
                {
                    ["election"] = election.RefNo.ToString(CultureInfo.InvariantCulture),
                    ["offset"] = offset.ToString(CultureInfo.InvariantCulture),
                    ["channel"] = subscription.ChannelId,
                    ["platform"] = subscription.Platform,
                }), ct);
            count++;
        }
        return count;
    }

    /// <summary>The workspace moved to another time zone: every channel's reminders move to 09:00 in the new one.</summary>
    public async Task TimeZoneChangedAsync(string workspaceId, CancellationToken ct)
    {
        foreach (var subscription in await elections.SubscriptionsAsync(workspaceId, ct))
        {
            await CancelAsync(workspaceId, null, subscription.ChannelId, ct);
            await ScheduleAsync(workspaceId, subscription, ct);
        }
    }

    /// <summary>Cancels the pending reminders of an election (removed) or of a channel (unsubscribed).</summary>
    public async Task CancelAsync(string workspace, Election? election, string? channel, CancellationToken ct)
    {
        if (election is not null && channel is null)
        {
            await schedule.CancelWhereAsync(workspace, $"{KindName}:{election.Ref}:", ct);
            return;
        }
        foreach (var send in await schedule.UpcomingAsync(workspace, 100_000, ct))
        {
            if (send.Kind != KindName || (channel is not null && send.Data.GetValueOrDefault("channel") != channel)) continue;
            if (election is not null && send.Data.GetValueOrDefault("election") != election.RefNo.ToString(CultureInfo.InvariantCulture)) continue;
            await schedule.CancelAsync(workspace, send.Key, ct);
        }
    }

    /// <summary>A reminder fired: compose it with today's allies and queue it in the outbox (idempotent by key).</summary>
    public async Task HandleAsync(ScheduledSend send, TimeSpan late, CancellationToken ct)
    {
        if (!long.TryParse(send.Data.GetValueOrDefault("election"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var refNo) ||
            !int.TryParse(send.Data.GetValueOrDefault("offset"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var offset) ||
            send.Data.GetValueOrDefault("channel") is not { } channel || send.Data.GetValueOrDefault("platform") is not { } platform)
        {
            logger.LogWarning("Scheduled send {Key} lacks its data; dropped", send.Key);
            return;
        }
        if (await elections.GetAsync(send.WorkspaceId, refNo, ct) is not { } election)
        {
            logger.LogInformation("Reminder {Key} fired for a removed election; dropped", send.Key);
            return;
        }
        var zone = await workspaces.EnsureWorkspaceZoneAsync(send.WorkspaceId, ct);
        var today = DateWords.LocalDate(time.GetUtcNow(), zone);
        // Missed while the host was down: still useful before the election (or, for an after-reminder, within a week).
        if (offset < 0 ? today > election.Date : today > election.Date.AddDays(offset + 7))
        {
            logger.LogWarning("Reminder {Key} is {Late} late and its moment has passed; dropped", send.Key, late);
            return;
        }
        var reply = await ComposeAsync(send.WorkspaceId, election, offset, today, ct);
        var now = time.GetUtcNow();
        await outbox.EnqueueAsync(send.WorkspaceId, send.Key, platform, channel, reply, now, now, ct);
        logger.LogInformation("Reminder {Key} queued ({Late} after its time)", send.Key, late);
        if (TurnoverRadar.OwnerDmOffsets.Contains(offset))
        {
            var dms = await QueueOwnerDmsAsync(send.WorkspaceId, election, offset, platform, today, ct);
            if (dms > 0) logger.LogInformation("Reminder {Key}: {Count} keepers get their own list", send.Key, dms);
        }
    }

    /// <summary>The outbox key of a keeper's own list before an election: one per election, reminder and keeper, whatever the channels.</summary>
    public static string OwnerKey(Election election, int offset, string keeper) =>
        $"election-owner:{election.Ref}:{offset.ToString(CultureInfo.InvariantCulture)}:{keeper}";

    /// <summary>DMs each keeper of allies at risk the ones they keep (overdue first); returns how many were queued now.</summary>
    public async Task<int> QueueOwnerDmsAsync(string workspace, Election election, int offset, string platform, DateOnly today, CancellationToken ct)
    {
        var risk = await elections.RiskAsync(workspace, election.JurisdictionKey, ct);
        var now = time.GetUtcNow();
        var count = 0;
        foreach (var group in TurnoverRadar.Ordered(risk, today).GroupBy(a => a.Keeper, StringComparer.Ordinal))
            if (await outbox.EnqueueAsync(workspace, OwnerKey(election, offset, group.Key), platform, group.Key,
                    TurnoverRadar.OwnerMessage(election, group.ToList(), risk, today), now, now, ct))
                count++;
        return count;
    }

    /// <summary>The reminder <paramref name="offset"/> days from election day, as it is posted.</summary>
    public async Task<Reply> ComposeAsync(string workspace, Election election, int offset, DateOnly today, CancellationToken ct)
    {
        var risk = await elections.RiskAsync(workspace, election.JurisdictionKey, ct);
        var heading = Invariant($"{election.Title}: {DateWords.Relative(election.Date, today)} ({election.Date:yyyy-MM-dd})");
        var blocks = new List<Block> { new Heading(heading) };
        var facts = new List<Field> { new("Jurisdiction", election.Jurisdiction) };
        if (election.Offices is { } offices) facts.Add(new Field("Offices", offices));
        if (election.TakesOffice is { } takes) facts.Add(new Field("Winners take office", takes.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
        blocks.Add(new Fields(facts));

        var stage = offset switch { <= -60 => "months", < 0 => "weeks", _ => "after" };
        blocks.Add(new Paragraph(stage switch
        {
            "months" => "Months out: plan your outreach. Meet the candidates early and educate them on the initiative, and make sure career staff know the work will continue.",
            "weeks" => "Weeks out: brief the campaigns on the initiative, and confirm your career-staff champions, who will carry it through the transition.",
            _ => election.TakesOffice is { } t && t > today
                ? Invariant($"After the election: brief the newly elected before they take office on {t:yyyy-MM-dd}, and mark which allies left office.")
                : "After the election: brief the newly elected, and mark which allies left office.",
        }));

        blocks.AddRange(TurnoverRadar.AtRiskBlocks(risk, today, "At risk of turnover",
            "No allies at risk of turnover in this jurisdiction (nobody elected or appointed recorded)."));
        blocks.Add(new Paragraph(risk.Continuity.Count == 0
            ? "No continuity allies (career, executive, staff) recorded in those organizations yet."
            : $"Continuity allies who stay ({risk.Continuity.Count}):"));
        if (risk.Continuity.Count > 0)
            blocks.Add(new ItemList(risk.Continuity.Select(a => new ListItem(a.Label, Describe(a))).ToList()));
        if (risk.OrgsAllAtRisk.Count > 0)
            blocks.Add(new Context($"Nobody would remain at: {string.Join(", ", risk.OrgsAllAtRisk)}. Find a career-staff ally there."));

        if (offset == 1 && risk.AtRisk.Count > 0)
            foreach (var ally in risk.AtRisk.Take(20))
                blocks.Add(new Actions(
                [
                    new Button($"{ally.Name}: still in office", new ChatAction($"election office {ally.Ref}", new Dictionary<string, string> { ["status"] = "in" })),
                    new Button($"{ally.Name}: left office", new ChatAction($"election office {ally.Ref}", new Dictionary<string, string> { ["status"] = "left" }), ButtonStyle.Danger),
                ]));
        blocks.Add(new Context($"Election {election.Ref} · election risk {election.Ref} · election remind off to stop these reminders here"));
        return new Reply($"{heading}: {risk.AtRisk.Count} allies at risk, {risk.Continuity.Count} continuity", blocks);
    }

    private static string Describe(Allies.Ally a) => string.Join(" · ", new[] { a.Role, a.Org, a.Level }.Where(s => !string.IsNullOrEmpty(s)));
}
