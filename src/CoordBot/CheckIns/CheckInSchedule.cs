using System.Globalization;
using CoordBot.Chat;
using CoordBot.Outbox;
using CoordBot.Scheduling;
using Microsoft.Extensions.Logging;

namespace CoordBot.CheckIns;

/// <summary>
/// The weekly check-in cycle of every initiative: three weekly triggers in the initiative's zone
/// (prompt, nudge, digest), and what each sends through the outbox when it fires. Each message has
/// an idempotency key naming its week (<c>checkin-prompt:I3:2027-W05:U123</c>), so a restart, a
/// refire or a manual <c>checkin digest</c> never sends anything twice.
/// </summary>
public sealed class CheckInSchedule(
    InitiativeStore initiatives,
    CheckInStore checkIns,
    CheckInDigest digests,
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

    /// <summary>The weekly trigger's key: <c>checkin:I3:prompt</c>.</summary>
    public static string TriggerKey(Initiative initiative, CheckInStage stage) => $"{KindName}:{initiative.Ref}:{Stage(stage)}";

    /// <summary>The outbox key of one message: <c>checkin-prompt:I3:2027-W05:U123</c>, <c>checkin-digest:I3:2027-W05</c>.</summary>
    public static string MessageKey(Initiative initiative, CheckInStage stage, string week, string? member = null) =>
        $"checkin-{Stage(stage)}:{initiative.Ref}:{week}" + (member is null ? "" : ":" + member);

    /// <summary>(Re)creates the initiative's three weekly triggers.</summary>
    public async Task ScheduleAsync(string workspace, Initiative initiative, CancellationToken ct)
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

        // Which occurrence this is comes from the schedule and the clock, not from the trigger: a fire replayed
        // after downtime stands for the latest occurrence, and is judged by how late that one is.
        var now = time.GetUtcNow();
        var (week, at) = new CheckInCycle(initiative).Latest(stage, now);
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
        var sent = stage switch
        {
            CheckInStage.Prompt => await PromptAsync(send.WorkspaceId, initiative, week, nudge: false, ct),
            CheckInStage.Nudge => await PromptAsync(send.WorkspaceId, initiative, week, nudge: true, ct),
            _ => await PostDigestAsync(send.WorkspaceId, initiative, week, ct) ? 1 : 0,
        };
        logger.LogInformation("Check-in {Stage} of {Initiative} for {Week}: {Count} queued", stage, initiative.Ref, week, sent);
    }

    /// <summary>Queues the week's prompt (or nudge: only to those who have not answered) to each member who is not away.</summary>
    private async Task<int> PromptAsync(string workspace, Initiative initiative, string week, bool nudge, CancellationToken ct)
    {
        var cycle = new CheckInCycle(initiative);
        if (await checkIns.DigestPostedAtAsync(workspace, initiative.Id, week, ct) is not null) return 0;
        var away = await checkIns.AwayOnAsync(workspace, cycle.PromptDay(week), ct);
        var answered = nudge ? (await checkIns.WeekAsync(workspace, initiative.Id, week, ct)).Select(c => c.Member).ToHashSet() : [];
        var digestAt = TimeZoneInfo.ConvertTime(cycle.At(CheckInStage.Digest, week), cycle.Zone);
        var now = time.GetUtcNow();
        var count = 0;
        foreach (var member in initiative.Members.Where(m => !away.Contains(m) && !answered.Contains(m)))
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
