namespace CoordBot.Scheduling;

/// <summary>
/// A message to be composed and sent at a moment in the future (an election reminder, a check-in
/// prompt). <see cref="Key"/> is unique: scheduling the same key again replaces it.
/// </summary>
/// <param name="Key">Unique id, e.g. <c>election-reminder:W1:E3:-30:C123</c>; starts with the kind.</param>
/// <param name="Kind">Which <see cref="IScheduledSendHandler"/> composes it.</param>
/// <param name="WorkspaceId">Whose send it is (<c>coord status</c> lists a workspace's sends).</param>
/// <param name="FireAt">When it is due (UTC instant).</param>
/// <param name="Data">What the handler needs (ids, offsets), as strings.</param>
public sealed record ScheduledSend(string Key, string Kind, string WorkspaceId, DateTimeOffset FireAt, IReadOnlyDictionary<string, string> Data);

/// <summary>
/// A send that repeats every week at a local weekday and time in a time zone (a check-in prompt):
/// the moment follows the zone's DST changes. A fire missed while the host was down fires once on
/// start-up; the handler works out which occurrence it stands for and whether it is still worth sending.
/// </summary>
public sealed record WeeklySend(string Key, string Kind, string WorkspaceId, DayOfWeek Day, TimeOnly At, TimeZoneInfo Zone,
    IReadOnlyDictionary<string, string> Data);

/// <summary>The persistent schedule (Quartz.NET with its job store in CoordBot's database).</summary>
public interface IScheduledSends
{
    /// <summary>Adds the send, or replaces the one with the same key.</summary>
    Task ScheduleAsync(ScheduledSend send, CancellationToken ct = default);

    /// <summary>Adds the weekly send, or replaces the one (weekly or not) with the same key.</summary>
    Task ScheduleWeeklyAsync(WeeklySend send, CancellationToken ct = default);

    /// <summary>Removes the workspace's send with that key, if any.</summary>
    Task CancelAsync(string workspaceId, string key, CancellationToken ct = default);

    /// <summary>Removes every pending send of the workspace whose key starts with <paramref name="keyPrefix"/>.</summary>
    Task CancelWhereAsync(string workspaceId, string keyPrefix, CancellationToken ct = default);

    /// <summary>The keys of the workspace's pending sends that start with <paramref name="keyPrefix"/>.</summary>
    Task<IReadOnlyList<string>> KeysAsync(string workspaceId, string keyPrefix, CancellationToken ct = default);

    /// <summary>The workspace's next pending sends, soonest first.</summary>
    Task<IReadOnlyList<ScheduledSend>> UpcomingAsync(string workspaceId, int limit, CancellationToken ct = default);
}

/// <summary>
/// Composes and queues (through the outbox) one kind of scheduled send when it fires. Jobs stay thin:
/// they only find the handler for the kind. <paramref name="late"/> is how long after its time the
/// send fired (a host that was down fires missed sends on start-up); the handler decides whether it
/// is still worth sending.
/// </summary>
public interface IScheduledSendHandler
{
    string Kind { get; }

    Task HandleAsync(ScheduledSend send, TimeSpan late, CancellationToken ct);
}
