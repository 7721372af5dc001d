using System.Collections.Concurrent;
using CoordBot.Workspaces;
using Microsoft.Extensions.Logging;

namespace CoordBot.CheckIns;

/// <summary>
/// A platform that can be asked for a user's time zone (Slack's users.info), so members mentioned at
/// <c>checkin setup</c> who never wrote to CoordBot get their prompts on their own clock from the first week.
/// </summary>
public interface IPlatformMemberZones
{
    string Platform { get; }

    /// <summary>Looks the user's zone up in the background (when not looked up lately) and reports it to <see cref="MemberZones"/>.</summary>
    ValueTask RefreshAsync(string workspace, string user, CancellationToken ct = default);
}

/// <summary>
/// Members' own time zones as the platforms report them and as members set them (docs/features.md, "Each member's
/// own time zone"): stores them and moves the check-in triggers along. A zone that is not a known IANA id changes nothing.
/// </summary>
public sealed class MemberZones(MemberZoneStore store, CheckInSchedule schedule, TimeProvider time, ILogger<MemberZones> logger)
{
    /// <summary>
    /// A platform zone this instance stored is not written again for this long (every Teams message carries one). Only on
    /// SQLite: on PostgreSQL another instance may have stored another zone since, so every report is written (a no-op
    /// when unchanged).
    /// </summary>
    private static readonly TimeSpan RecentFor = TimeSpan.FromHours(1);
    private const int MaxRecent = 100_000;
    private readonly ConcurrentDictionary<(string Workspace, string User), (string Zone, DateTimeOffset Until)> _recent = new();

    /// <summary>
    /// The zone the platform reports for a user (Slack users.info <c>tz</c>, Teams <c>clientInfo.timezone</c>). Returns
    /// true when it changed the stored one; an empty, oversized or unknown zone is ignored.
    /// </summary>
    public async Task<bool> ReportAsync(string workspace, string user, string? reported, CancellationToken ct = default)
    {
        if (MemberZoneStore.Parse(reported) is not { } zone)
        {
            if (!string.IsNullOrEmpty(reported)) logger.LogDebug("A platform reported a time zone that is not an IANA zone this host knows; ignored");
            return false;
        }
        var now = time.GetUtcNow();
        if (!store.SharedByInstances && _recent.TryGetValue((workspace, user), out var recent) && recent.Zone == zone.Id && recent.Until > now) return false;
        var changed = await store.SetPlatformZoneAsync(workspace, user, zone, ct);
        if (_recent.Count >= MaxRecent) _recent.Clear();
        _recent[(workspace, user)] = (zone.Id, now + RecentFor);
        if (!changed) return false;
        logger.LogInformation("A member's platform time zone changed in {Workspace}; their check-in triggers follow", workspace);
        await schedule.MemberZoneChangedAsync(workspace, user, ct);
        return true;
    }

    /// <summary>Sets (a zone) or clears (null) the member's own zone and moves their check-in triggers along.</summary>
    public async Task<bool> SetOwnAsync(string workspace, string user, TimeZoneInfo? zone, CancellationToken ct = default)
    {
        if (!await store.SetOwnZoneAsync(workspace, user, zone, ct)) return false;
        await schedule.MemberZoneChangedAsync(workspace, user, ct);
        return true;
    }

    public Task<MemberZone> GetAsync(string workspace, string user, CancellationToken ct = default) => store.GetAsync(workspace, user, ct);
}
