using System.Collections.Concurrent;
using CoordBot.Chat;
using CoordBot.CheckIns;
using CoordBot.Slack.Api;
using Microsoft.Extensions.Logging;

namespace CoordBot.Slack;

/// <summary>
/// Learns a Slack user's time zone from users.info (<c>tz</c>, the IANA zone Slack shows in their profile;
/// https://docs.slack.dev/reference/methods/users.info) when they use CoordBot or are made a check-in member, at most
/// once per <see cref="LookUpEvery"/> per user and instance, in the background, and reports it to <see cref="MemberZones"/>.
/// </summary>
public sealed class SlackUserZones(SlackApiClient api, ISlackTokens tokens, MemberZones zones, WorkQueue work, TimeProvider time,
    ILogger<SlackUserZones> logger) : IPlatformMemberZones
{
    /// <summary>How long a user's looked-up zone is trusted before users.info is asked again (Slack updates tz as people travel).</summary>
    public static readonly TimeSpan LookUpEvery = TimeSpan.FromHours(12);
    /// <summary>After a failed users.info, how long before the next try.</summary>
    public static readonly TimeSpan RetryAfterFailure = TimeSpan.FromMinutes(10);
    private const int MaxKnown = 100_000;
    private readonly ConcurrentDictionary<(string Workspace, string User), DateTimeOffset> _lookedUp = new();

    public string Platform => "slack";

    public async ValueTask RefreshAsync(string workspace, string user, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        if (_lookedUp.TryGetValue((workspace, user), out var at) && now - at < LookUpEvery) return;
        if (_lookedUp.Count >= MaxKnown) _lookedUp.Clear();
        _lookedUp[(workspace, user)] = now;
        await work.EnqueueAsync("slack user zone", token => LookUpAsync(workspace, user, token));
    }

    private async Task LookUpAsync(string workspace, string user, CancellationToken ct)
    {
        if (await tokens.BotTokenAsync(workspace, ct) is not { } token) return;
        try
        {
            var info = await api.UserInfoAsync(token, user, ct);
            if (!info.IsBot) await zones.ReportAsync(workspace, user, info.TimeZone, ct);
        }
        catch (SlackApiException e)
        {
            // Asked again after RetryAfterFailure; until then the zone stored before (or the initiative's) applies.
            _lookedUp[(workspace, user)] = time.GetUtcNow() - LookUpEvery + RetryAfterFailure;
            logger.LogWarning("users.info failed in {Workspace}: {Error}; the user's time zone is looked up again later", workspace, e.Error);
        }
    }
}
