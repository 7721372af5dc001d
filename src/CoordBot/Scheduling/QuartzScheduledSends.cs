using System.Globalization;
using Quartz;

namespace CoordBot.Scheduling;

/// <summary>
/// <see cref="IScheduledSends"/> over Quartz.NET: one non-durable job per send (name = key, group =
/// workspace) with one simple trigger of the same identity at <see cref="ScheduledSend.FireAt"/>.
/// A trigger missed while the host was down fires once on start-up; the handler judges staleness.
/// </summary>
public sealed class QuartzScheduledSends(ISchedulerFactory schedulers, TimeProvider time) : IScheduledSends
{
    internal const string KindKey = "kind";
    internal const string WorkspaceKey = "workspace";
    internal const string DataPrefix = "data:";

    /// <summary>
    /// A one-time send's own time, kept with it: when Quartz handles a misfire (the trigger was due more than its threshold
    /// ago) it moves the trigger's scheduled time to now, which would make a stale send look on time.
    /// </summary>
    internal const string FireAtKey = "fire-at";

    public Task ScheduleAsync(ScheduledSend send, CancellationToken ct = default) =>
        ScheduleAsync(send.Key, send.Kind, send.WorkspaceId, send.Data, send.FireAt,
            SimpleScheduleBuilder.Create().WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow), ct, fireAt: send.FireAt);

    // A cron trigger in the zone: Quartz computes each week's instant from the local time, so DST moves it correctly.
    public Task ScheduleWeeklyAsync(WeeklySend send, CancellationToken ct = default) =>
        ScheduleAsync(send.Key, send.Kind, send.WorkspaceId, send.Data, time.GetUtcNow(),
            CronScheduleBuilder.Create(WeeklyCron(send.Day, send.At)).InTimeZone(send.Zone)
                .WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed), ct);

    /// <summary>One recoverable job per send (name = key, group = workspace) with one trigger of the same identity.</summary>
    private async Task ScheduleAsync(string key, string kind, string workspace, IReadOnlyDictionary<string, string> data,
        DateTimeOffset startAt, IScheduleBuilder schedule, CancellationToken ct, DateTimeOffset? fireAt = null)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        var job = JobBuilder.Create<ScheduledSendJob>()
            .WithIdentity(key, workspace)
            .StoreDurably(false)
            .RequestRecovery()
            .UsingJobData(JobData(kind, workspace, data, fireAt))
            .Build();
        var trigger = TriggerBuilder.Create(time)
            .WithIdentity(key, workspace)
            .ForJob(job)
            .StartAt(startAt)
            .WithSchedule(schedule)
            .Build();
        await scheduler.ScheduleJob(job, trigger, ScheduleJobOptions.Replacing, ct);
    }

    /// <summary>Quartz's cron for a weekday and time: seconds minutes hours day-of-month month day-of-week.</summary>
    internal static string WeeklyCron(DayOfWeek day, TimeOnly at) =>
        string.Create(CultureInfo.InvariantCulture, $"0 {at.Minute} {at.Hour} ? * {day.ToString()[..3].ToUpperInvariant()}");

    private static JobDataMap JobData(string kind, string workspace, IReadOnlyDictionary<string, string> values, DateTimeOffset? fireAt)
    {
        var data = new JobDataMap
        {
            [KindKey] = kind,
            [WorkspaceKey] = workspace,
        };
        if (fireAt is { } at) data[FireAtKey] = at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        foreach (var (name, value) in values) data[DataPrefix + name] = value;
        return data;
    }

    public async Task CancelAsync(string workspaceId, string key, CancellationToken ct = default)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        await scheduler.DeleteJob(new JobKey(key, workspaceId), ct);
    }

    public async Task CancelWhereAsync(string workspaceId, string keyPrefix, CancellationToken ct = default)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        var found = await FindAsync(scheduler, workspaceId, keyPrefix, ct);
        if (found.Count > 0)
            await scheduler.DeleteJobs(found, ct);
    }

    public async Task<IReadOnlyList<string>> KeysAsync(string workspaceId, string keyPrefix, CancellationToken ct = default) =>
        (await FindAsync(await schedulers.GetScheduler(ct), workspaceId, keyPrefix, ct)).Select(k => k.Name).ToList();

    private static async Task<List<JobKey>> FindAsync(IScheduler scheduler, string workspaceId, string keyPrefix, CancellationToken ct)
    {
        var found = await scheduler.QueryJobs(new JobQuery
        {
            Group = GroupMatcher<JobKey>.GroupEquals(workspaceId),
            Name = NameMatcher<JobKey>.NameStartsWith(keyPrefix),
            Take = PagedQuery.All,
        }, ct);
        return found.Items.Select(j => j.Key).ToList();
    }

    public async Task<IReadOnlyList<ScheduledSend>> UpcomingAsync(string workspaceId, int limit, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var scheduler = await schedulers.GetScheduler(ct);
        // Quartz pages by group and name; a workspace's pending sends are few, so sort them here.
        var triggers = await scheduler.QueryTriggers(new TriggerQuery
        {
            Group = GroupMatcher<TriggerKey>.GroupEquals(workspaceId),
            Take = PagedQuery.All,
        }, ct);
        var next = triggers.Items
            .Where(t => t.NextFireTimeUtc is not null)
            .OrderBy(t => t.NextFireTimeUtc).ThenBy(t => t.Key.Name, StringComparer.Ordinal)
            .Take(limit)
            .ToList();
        if (next.Count == 0) return [];
        var jobs = (await scheduler.GetJobDetails(next.Select(t => t.JobKey).ToList(), ct))
            .Where(j => j is not null)
            .ToDictionary(j => j.Key);
        return next
            .Where(t => jobs.ContainsKey(t.JobKey))
            .Select(t => ToSend(jobs[t.JobKey].Key, jobs[t.JobKey].JobDataMap, t.NextFireTimeUtc!.Value))
            .ToList();
    }

    /// <summary>The one-time send's own time from its job data, or null (a weekly send, or one scheduled before it was kept).</summary>
    internal static DateTimeOffset? StoredFireAt(JobDataMap map) =>
        map.TryGetValue(FireAtKey, out var value) && DateTimeOffset.TryParseExact(Convert.ToString(value, CultureInfo.InvariantCulture), "O",
            CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) ? at : null;

    /// <summary>Rebuilds a send from its job's identity and data.</summary>
    internal static ScheduledSend ToSend(JobKey key, JobDataMap map, DateTimeOffset fireAt)
    {
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        string kind = "", workspace = key.Group;
        foreach (var (name, value) in map)
        {
            var text = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
            if (name == KindKey) kind = text;
            else if (name == WorkspaceKey) workspace = text;
            else if (name.StartsWith(DataPrefix, StringComparison.Ordinal)) data[name[DataPrefix.Length..]] = text;
        }
        return new ScheduledSend(key.Name, kind, workspace, fireAt, data);
    }
}
