using CoordBot.Chat;
using CoordBot.Workspaces;
using static System.FormattableString;

namespace CoordBot.CheckIns;

/// <summary><c>checkin zone</c>: a member's own time zone for their prompts and nudges.</summary>
public sealed partial class CheckInCommands
{
    private async Task<Reply> ZoneAsync(CommandContext ctx, CancellationToken ct)
    {
        var words = ctx.Args.Words;
        if (words.Count > 1)
            return Reply.Error("Give one time zone, such as America/New_York (or off, or nothing to see yours).", $"Usage: {ctx.Spec.Usage}");
        if (words is [var word])
        {
            if (word.Equals("off", StringComparison.OrdinalIgnoreCase))
            {
                var cleared = await zones.SetOwnAsync(ctx.WorkspaceId, ctx.UserId, null, ct);
                return await ShowZoneAsync(ctx, cleared ? "Cleared the time zone you set." : "You had not set a time zone of your own.", ct);
            }
            if (MemberZoneStore.Parse(word) is not { } zone)
                return Reply.Error($"\"{CommandRouter.Shorten(word)}\" is not a time zone I know; nothing changed.",
                    "Use an IANA id such as America/New_York, Europe/Berlin, Asia/Kolkata or UTC.");
            await zones.SetOwnAsync(ctx.WorkspaceId, ctx.UserId, zone, ct);
            return await ShowZoneAsync(ctx, $"Your time zone is now {zone.Id} (set by you).", ct);
        }
        return await ShowZoneAsync(ctx, null, ct);
    }

    /// <summary>The member's zone, where it came from, and when each of their initiatives' next prompt comes on their clock.</summary>
    private async Task<Reply> ShowZoneAsync(CommandContext ctx, string? done, CancellationToken ct)
    {
        var zone = await zones.GetAsync(ctx.WorkspaceId, ctx.UserId, ct);
        var platform = ctx.Request.Platform switch { "slack" => "Slack", "teams" => "Teams", _ => "your chat platform" };
        var line = zone.Source switch
        {
            ZoneSource.Own => $"Your time zone: {zone.Id} (set by you; checkin zone off goes back to " +
                              (MemberZoneStore.Parse(zone.PlatformZone) is { } p ? $"{p.Id}, from {platform})." : "each initiative's zone)."),
            ZoneSource.Platform => $"Your time zone: {zone.Id} (from {platform}).",
            _ => "No time zone of your own is known: your prompts come at each initiative's time in its zone.",
        };
        var mine = (await store.ListAsync(ctx.WorkspaceId, ct)).Where(i => i.Members.Contains(ctx.UserId) && !i.Paused).ToList();
        var blocks = new List<Block>();
        if (done is not null) blocks.Add(new Paragraph(done));
        blocks.Add(new Paragraph(line));
        if (mine.Count > 0)
            blocks.Add(new ItemList(mine.Select(i =>
            {
                var cycle = new CheckInCycle(i, MemberZoneStore.Parse(zone.Or(i.TimeZoneId)));
                var next = TimeZoneInfo.ConvertTime(cycle.At(CheckInStage.Prompt, FirstPromptWeek(cycle, ctx.Now)), cycle.Zone);
                return new ListItem(i.Label, Invariant($"next prompt {next:ddd yyyy-MM-dd HH:mm} ({cycle.Zone.Id}); digest in {i.TimeZoneId}"));
            }).ToList()));
        blocks.Add(new Context("Set yours: checkin zone America/New_York · clear it: checkin zone off"));
        return new Reply(string.Join(' ', new[] { done, line }.OfType<string>()), blocks, Ephemeral: true);
    }
}
