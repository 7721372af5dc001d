using System.Text.Json;
using System.Text.Json.Nodes;

namespace CoordBot.Slack;

/// <summary>
/// What CoordBot answers to one Slack input: the HTTP response (status and JSON body) or, in Socket
/// Mode, the envelope acknowledgement's payload. A null body means an empty 200 / a bare ack.
/// </summary>
public sealed record SlackAck(int Status = 200, JsonNode? Body = null)
{
    public static readonly SlackAck Empty = new();
}

/// <summary>
/// The one entry point for Slack inputs, shared by the HTTP endpoints (after signature
/// verification) and the Socket Mode client (after the WebSocket handshake): both only transport.
/// </summary>
public interface ISlackInbound
{
    /// <summary>A slash command; <paramref name="fields"/> are the form fields Slack sends (command, text, user_id, team_id, …).</summary>
    Task<SlackAck> CommandAsync(IReadOnlyDictionary<string, string> fields, CancellationToken ct);

    /// <summary>An interactivity payload (block_actions, view_submission, view_closed, …).</summary>
    Task<SlackAck> InteractionAsync(JsonElement payload, CancellationToken ct);

    /// <summary>An Events API body (url_verification or event_callback); <paramref name="retryNum"/> from X-Slack-Retry-Num.</summary>
    Task<SlackAck> EventAsync(JsonElement body, int? retryNum, CancellationToken ct);

    /// <summary>
    /// An answer that was ready only after Socket Mode acknowledged its envelope without it (the ack
    /// deadline had passed, or the envelope took no payload): sent through <c>response_url</c> or the
    /// Web API instead, so no reply is lost. <paramref name="envelopeType"/> is <c>slash_commands</c>,
    /// <c>interactive</c> or <c>events_api</c>; <paramref name="payload"/> is the envelope's payload.
    /// </summary>
    Task AnsweredLateAsync(string envelopeType, JsonElement payload, JsonNode body, CancellationToken ct);
}

/// <summary>The bot token of each installed workspace (single-workspace config or OAuth installs).</summary>
public interface ISlackTokens
{
    /// <summary>The bot token for a Slack team (or Enterprise Grid org), or null when it is not installed or was revoked.</summary>
    Task<string?> BotTokenAsync(string workspaceId, CancellationToken ct);
}
