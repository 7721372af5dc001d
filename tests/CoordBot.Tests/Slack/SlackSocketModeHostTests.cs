using System.Text.Json;
using System.Text.Json.Nodes;
using CoordBot.Slack.SocketMode;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Slack;

/// <summary>
/// Socket Mode through the real host: with only an app token and a bot token (no signing secret, no
/// public URL) the host opens the WebSocket itself and serves the same commands, forms and events.
/// </summary>
public sealed class SlackSocketModeHostTests : IAsyncLifetime
{
    private const string AppToken = SocketModeFakes.AppToken;
    private const string BotToken = SocketModeFakes.BotToken;
    private readonly TestDatabase _db = new();
    private SocketModeFakes _fakes = null!;
    private TestHost _host = null!;
    private FakeSlackApi Slack => _fakes.Slack;
    private FakeSocketModeServer Socket => _fakes.Socket;

    public async ValueTask InitializeAsync()
    {
        _fakes = await SocketModeFakes.StartAsync();
        _host = new TestHost(_db, settings: _fakes.Settings());
        await Socket.WaitForConnectionAsync(1);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        await _fakes.DisposeAsync();
        _db.Dispose();
    }

    private static JsonObject Command(string text) => new()
    {
        ["token"] = "x", ["team_id"] = "T1", ["team_domain"] = "t1", ["channel_id"] = "C1", ["channel_name"] = "general",
        ["user_id"] = "U1", ["user_name"] = "alice", ["command"] = "/ally", ["text"] = text, ["api_app_id"] = "A0COORDBOT",
        ["is_enterprise_install"] = "false", ["trigger_id"] = "trigger-not-used",
    };

    [Fact]
    public async Task A_slash_command_is_answered_in_the_envelope_acknowledgement()
    {
        Assert.Equal(AppToken, Slack.Calls.First(c => c.Method == "apps.connections.open").Token);
        var ack = await Socket.SendEnvelopeAsync("slash_commands", Command("add \"Jane Doe\" --org \"City of Atlanta\""));
        Assert.True(_host.Get<SlackSocketModeClient>().IsConnected);
        var payload = JsonNode.Parse(ack.GetProperty("payload").GetRawText())!.AsObject();
        BlockKitLimits.AssertValidMessage(payload);
        payload.Shows("Added Jane Doe (A1)", "City of Atlanta");
        Assert.Equal("ephemeral", payload["response_type"]?.GetValue<string>());
    }

    [Fact]
    public async Task An_event_is_acknowledged_and_answered_through_the_web_api()
    {
        var ack = await Socket.SendEnvelopeAsync("events_api", new JsonObject
        {
            ["team_id"] = "T1", ["api_app_id"] = "A0COORDBOT", ["type"] = "event_callback", ["event_id"] = "Ev1",
            ["event"] = new JsonObject { ["type"] = "app_mention", ["user"] = "U1", ["channel"] = "C1", ["text"] = "<@UBOT> ally list --share", ["ts"] = "1.1" },
            ["authorizations"] = new JsonArray(new JsonObject { ["team_id"] = "T1", ["user_id"] = "UBOT", ["is_bot"] = true }),
        });
        Assert.False(ack.TryGetProperty("payload", out _));
        var post = await Slack.WaitForCallAsync("chat.postMessage");
        Assert.Equal(BotToken, post.Token);
        post.Message().Shows("No allies yet");
    }

    [Fact]
    public async Task After_slack_asks_for_a_refresh_the_host_reconnects_and_keeps_serving()
    {
        await Socket.SendDisconnectAsync("refresh_requested");
        await Socket.WaitForConnectionAsync(2);
        var ack = await Socket.SendEnvelopeAsync("slash_commands", Command("list"));
        Assert.Equal(JsonValueKind.Object, ack.GetProperty("payload").ValueKind);
        Assert.Equal(2, Slack.Calls.Count(c => c.Method == "apps.connections.open"));
    }
}
