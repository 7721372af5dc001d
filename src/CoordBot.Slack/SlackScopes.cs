namespace CoordBot.Slack;

/// <summary>The bot scopes CoordBot asks for: exactly what the code calls (kept equal to manifests/slack/manifest.yml by a test).</summary>
public static class SlackScopes
{
    public static readonly IReadOnlyList<string> Bot =
    [
        "commands",          // slash commands
        "chat:write",        // chat.postMessage, chat.postEphemeral, chat.update
        "im:write",          // conversations.open for DMs (prompts, file exports)
        "im:history",        // message.im events: commands sent in a DM; conversations.history of a DM (below)
        "channels:history",  // conversations.history: was a message whose send was cut off posted after all? (SlackSender)
        "groups:history",    //   the same in private channels
        "app_mentions:read", // app_mention events
        "users:read",        // users.info: time zone, admin flag
        "files:write",       // CSV exports; run chart PNGs shared in a channel when the host has no public address (SlackChartSharing)
        "files:read",        // .ics and .csv files shared with the bot (election import, ally import)
    ];
}
