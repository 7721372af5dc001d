namespace CoordBot.Slack.SocketMode;

/// <summary>
/// Where a Socket Mode connection starts: a fresh, single-use WebSocket URL. In production this calls
/// <c>apps.connections.open</c> with the app-level token (<c>xapp-…</c>); tests hand out a fake's URLs.
/// </summary>
public interface ISocketModeConnector
{
    /// <summary>A new <c>wss://</c> URL; called once per connection, never reused.</summary>
    Task<Uri> OpenAsync(CancellationToken ct);
}
