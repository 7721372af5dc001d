using System.Collections.Concurrent;
using System.Threading.Channels;
using CoordBot.CheckIns;
using CoordBot.Slack.Api;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CoordBot.Slack;

/// <summary>
/// Learns a Slack user's time zone from users.info (<c>tz</c>, the IANA zone Slack shows in their profile;
/// https://docs.slack.dev/reference/methods/users.info) when they use CoordBot or are made a check-in member, at most
/// once per <see cref="LookUpEvery"/> per user and instance, and reports it to <see cref="MemberZones"/>. The look-ups
/// run in a lane of their own, one at a time and at most one per <see cref="Pace"/>, so a setup with hundreds of members
/// neither holds up replies nor spends the workspace's users.info budget (Tier 4) that other instances share.
/// </summary>
public sealed class SlackUserZones(SlackApiClient api, ISlackTokens tokens, MemberZones zones, TimeProvider time,
    ILogger<SlackUserZones> logger) : BackgroundService, IPlatformMemberZones
{
    /// <summary>How long a user's looked-up zone is trusted before users.info is asked again (Slack updates tz as people travel).</summary>
    public static readonly TimeSpan LookUpEvery = TimeSpan.FromHours(12);

    /// <summary>After a failed users.info, how long before the next try.</summary>
    public static readonly TimeSpan RetryAfterFailure = TimeSpan.FromMinutes(10);

    /// <summary>The lane's pace: 30 look-ups a minute per instance, well inside Tier 4 for two or three instances.</summary>
    public static readonly TimeSpan Pace = TimeSpan.FromSeconds(2);

    private const int MaxKnown = 100_000;
    private readonly ConcurrentDictionary<(string Workspace, string User), DateTimeOffset> _lookedUp = new();
    private readonly Channel<(string Workspace, string User)> _lane =
        Channel.CreateBounded<(string, string)>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropWrite });

    public string Platform => "slack";

    public ValueTask RefreshAsync(string workspace, string user, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        if (_lookedUp.TryGetValue((workspace, user), out var at) && now - at < LookUpEvery) return ValueTask.CompletedTask;
        if (_lookedUp.Count >= MaxKnown) _lookedUp.Clear();
        _lookedUp[(workspace, user)] = now;
        // A full lane drops the look-up; the user's next message asks again.
        if (!_lane.Writer.TryWrite((workspace, user))) _lookedUp.TryRemove((workspace, user), out _);
        return ValueTask.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (workspace, user) in _lane.Reader.ReadAllAsync(stoppingToken))
            {
                await LookUpAsync(workspace, user, stoppingToken);
                await Task.Delay(Pace, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    private async Task LookUpAsync(string workspace, string user, CancellationToken ct)
    {
        try
        {
            if (await tokens.BotTokenAsync(workspace, ct) is not { } token) return;
            var info = await api.UserInfoAsync(token, user, ct);
            if (!info.IsBot) await zones.ReportAsync(workspace, user, info.TimeZone, ct);
        }
        catch (SlackApiException e)
        {
            // Asked again after RetryAfterFailure; until then the zone stored before (or the initiative's) applies.
            _lookedUp[(workspace, user)] = time.GetUtcNow() - LookUpEvery + RetryAfterFailure;
            logger.LogWarning("users.info failed in {Workspace}: {Error}; the user's time zone is looked up again later", workspace, e.Error);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Recording a Slack user's time zone failed in {Workspace}", workspace);
        }
    }
}
