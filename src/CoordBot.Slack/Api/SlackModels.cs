namespace CoordBot.Slack.Api;

/// <summary>What users.info tells CoordBot about a person: display name, IANA time zone, admin flag.</summary>
public sealed record SlackUser(string Id, string? Name, string? TimeZone, bool IsAdmin, bool IsBot);

/// <summary>What auth.test tells about a token: the workspace (and Grid org) it belongs to and the bot behind it.</summary>
public sealed record SlackAuth(string TeamId, string? UserId, string? BotId, string? EnterpriseId, string? Url);

/// <summary>The metadata an app attached to a message (chat.postMessage <c>metadata</c>), as conversations.history returns it.</summary>
public sealed record SlackMessageMetadata(string? Ts, string EventType, System.Text.Json.JsonElement Payload);

/// <summary>What files.getUploadURLExternal hands out: the file's id and the pre-signed URL its bytes go to.</summary>
public sealed record SlackUploadTicket(string FileId, Uri UploadUrl);
