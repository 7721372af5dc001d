using System.Globalization;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CoordBot.Slack.SocketMode;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CoordBot.Tests.Support;

/// <summary>
/// Slack's Socket Mode end on Kestrel (loopback, port 0): single-use tickets, <c>hello</c> on connect,
/// envelopes out, acknowledgements in, <c>disconnect</c>, and abrupt drops. Envelopes go to the
/// newest connection.
/// </summary>
public sealed class FakeSocketModeServer : IAsyncDisposable
{
    public const string AppId = "A0COORDBOT1";
    private static readonly TimeSpan AckWait = TimeSpan.FromSeconds(5);

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, byte> _tickets = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonElement>> _pendingAcks = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource> _reached = new();
    private readonly List<Link> _links = [];
    private int _nextTicket;
    private int _connections;

    private FakeSocketModeServer(WebApplication app) => _app = app;

    public static async Task<FakeSocketModeServer> StartAsync()
    {
        var app = Loopback.CreateApp();
        var server = new FakeSocketModeServer(app);
        app.UseWebSockets();
        app.Run(server.AcceptAsync);
        var root = await Loopback.StartAsync(app);
        server.WebSocketUrl = new Uri(root.ToString().Replace("http://", "ws://") + "link/");
        return server;
    }

    /// <summary>The link address without a ticket (which the server refuses); see <see cref="NextUrl"/>.</summary>
    public Uri WebSocketUrl { get; private set; } = null!;

    /// <summary>WebSocket connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Every acknowledgement received, in order.</summary>
    public ConcurrentQueue<JsonElement> Acks { get; } = new();

    /// <summary>The close status each connection got from the client (null: the socket ended without a close frame).</summary>
    public ConcurrentDictionary<int, WebSocketCloseStatus?> ClientCloses { get; } = new();

    /// <summary>Frames larger than this are sent in pieces (so the client must join them).</summary>
    public int FrameBytes { get; set; } = 8 * 1024;

    /// <summary>A fresh single-use URL, as <c>apps.connections.open</c> hands out.</summary>
    public Uri NextUrl()
    {
        var ticket = Interlocked.Increment(ref _nextTicket).ToString(CultureInfo.InvariantCulture);
        _tickets[ticket] = 0;
        return new Uri(WebSocketUrl, $"?ticket={ticket}");
    }

    /// <summary>Waits until the <paramref name="n"/>-th connection has been accepted and greeted.</summary>
    public Task WaitForConnectionAsync(int n, TimeSpan? timeout = null) =>
        Reached(n).Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(5));

    /// <summary>Sends an envelope to the newest connection and returns the client's acknowledgement (fails after 5 s without one).</summary>
    public async Task<JsonElement> SendEnvelopeAsync(string type, JsonObject payload, int retryAttempt = 0, string? envelopeId = null)
    {
        envelopeId ??= Guid.NewGuid().ToString();
        var ack = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pendingAcks[envelopeId] = ack;
        var envelope = new JsonObject
        {
            ["envelope_id"] = envelopeId,
            ["type"] = type,
            ["payload"] = payload.DeepClone(),
            ["accepts_response_payload"] = type != "events_api",
        };
        if (type == "events_api")
        {
            envelope["retry_attempt"] = retryAttempt;
            envelope["retry_reason"] = retryAttempt > 0 ? "timeout" : "";
        }
        try
        {
            await Current.SendAsync(envelope.ToJsonString(), FrameBytes);
            return await ack.Task.WaitAsync(AckWait);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The client did not acknowledge {type} envelope {envelopeId} within {AckWait.TotalSeconds} s");
        }
        finally
        {
            _pendingAcks.TryRemove(envelopeId, out _);
        }
    }

    /// <summary>Sends <c>disconnect</c>; for any reason but <c>warning</c> the server then closes that connection, as Slack does.</summary>
    public async Task SendDisconnectAsync(string reason)
    {
        var link = Current;
        await link.SendAsync(new JsonObject { ["type"] = "disconnect", ["reason"] = reason, ["debug_info"] = new JsonObject { ["host"] = "applink-fake" } }.ToJsonString(), FrameBytes);
        if (reason != "warning")
        {
            _ = Task.Run(async () =>
            {
                await Task.Delay(100);
                await link.CloseAsync();
            });
        }
    }

    /// <summary>Aborts the newest connection: no close frame, the TCP connection just ends.</summary>
    public Task DropAsync()
    {
        Current.Context.Abort();
        return Task.CompletedTask;
    }

    /// <summary>Sends any text as one message (possibly in several frames) to the newest connection.</summary>
    public Task SendRawAsync(string text) => Current.SendAsync(text, FrameBytes);

    public async ValueTask DisposeAsync()
    {
        foreach (var link in Links())
        {
            try
            {
                link.Context.Abort();
            }
            catch (ObjectDisposedException)
            {
                // that request has just finished
            }
        }
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private Link Current
    {
        get
        {
            lock (_links) return _links.LastOrDefault(l => l.Open) ?? throw new InvalidOperationException("No client is connected to the fake Socket Mode server");
        }
    }

    private List<Link> Links()
    {
        lock (_links) return [.. _links];
    }

    private TaskCompletionSource Reached(int n) => _reached.GetOrAdd(n, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private async Task AcceptAsync(HttpContext context)
    {
        var ticket = context.Request.Query["ticket"].ToString();
        if (context.Request.Path != "/link/" || !context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 404;
            return;
        }
        if (!_tickets.TryRemove(ticket, out _))
        {
            context.Response.StatusCode = 401;   // unknown or already used ticket
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var number = Interlocked.Increment(ref _connections);
        var link = new Link(context, socket);
        int open;
        lock (_links)
        {
            _links.Add(link);
            open = _links.Count(l => l.Open);
        }
        try
        {
            await link.SendAsync(new JsonObject
            {
                ["type"] = "hello",
                ["num_connections"] = open,
                ["connection_info"] = new JsonObject { ["app_id"] = AppId },
                ["debug_info"] = new JsonObject { ["host"] = "applink-fake", ["build_number"] = 1, ["approximate_connection_time"] = 18060 },
            }.ToJsonString(), FrameBytes);
            Reached(number).TrySetResult();
            await ReceiveAsync(link, number);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            ClientCloses.TryAdd(number, null);
        }
        finally
        {
            link.Open = false;
            lock (_links) _links.Remove(link);
        }
    }

    private async Task ReceiveAsync(Link link, int number)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await link.Socket.ReceiveAsync(buffer.AsMemory(), link.Context.RequestAborted);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                ClientCloses.TryAdd(number, link.Socket.CloseStatus);
                link.Open = false;
                await link.CloseAsync();
                return;
            }
            message.Write(buffer, 0, result.Count);
            if (!result.EndOfMessage) continue;

            var ack = JsonSerializer.Deserialize<JsonElement>(message.ToArray());
            message.SetLength(0);
            Acks.Enqueue(ack);
            if (ack.TryGetProperty("envelope_id", out var id) && _pendingAcks.TryGetValue(id.GetString()!, out var pending)) pending.TrySetResult(ack);
        }
    }

    private sealed class Link(HttpContext context, WebSocket socket)
    {
        private readonly SemaphoreSlim _send = new(1, 1);
        public HttpContext Context { get; } = context;
        public WebSocket Socket { get; } = socket;
        public volatile bool Open = true;

        public async Task SendAsync(string text, int frameBytes)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            await _send.WaitAsync();
            try
            {
                var offset = 0;
                do
                {
                    var count = Math.Min(frameBytes, bytes.Length - offset);
                    await Socket.SendAsync(bytes.AsMemory(offset, count), WebSocketMessageType.Text, offset + count == bytes.Length, CancellationToken.None);
                    offset += count;
                }
                while (offset < bytes.Length);
            }
            finally
            {
                _send.Release();
            }
        }

        /// <summary>Sends the server's close frame (or answers the client's).</summary>
        public async Task CloseAsync()
        {
            await _send.WaitAsync();
            try
            {
                if (Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
            }
            catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException)
            {
            }
            finally
            {
                _send.Release();
            }
        }
    }
}

/// <summary>Hands out the fake's URLs like <c>apps.connections.open</c>; can be told to fail the next calls.</summary>
public sealed class FakeSocketModeConnector(FakeSocketModeServer server) : ISocketModeConnector
{
    private readonly Lock _lock = new();
    private int _failuresLeft;
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>The next <paramref name="times"/> calls throw, as a failing <c>apps.connections.open</c> would.</summary>
    public void FailNext(int times)
    {
        lock (_lock) _failuresLeft = times;
    }

    public Task<Uri> OpenAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref _calls);
        lock (_lock)
        {
            if (_failuresLeft > 0)
            {
                _failuresLeft--;
                throw new HttpRequestException("apps.connections.open failed (fake)");
            }
        }
        return Task.FromResult(server.NextUrl());
    }
}

/// <summary>
/// A fake Slack Web API and Socket Mode server wired together for a host in Socket Mode: team T1 with a
/// bot token and user U1 (alice), and an app token whose apps.connections.open hands out the server's URLs.
/// </summary>
public sealed class SocketModeFakes : IAsyncDisposable
{
    public const string AppToken = "xapp-1-A0COORDBOT-1-secret";
    public const string BotToken = "xoxb-socket-bot";

    private SocketModeFakes(FakeSlackApi slack, FakeSocketModeServer socket)
    {
        Slack = slack;
        Socket = socket;
    }

    public FakeSlackApi Slack { get; }
    public FakeSocketModeServer Socket { get; }

    public static async Task<SocketModeFakes> StartAsync()
    {
        var slack = await FakeSlackApi.StartAsync();
        var socket = await FakeSocketModeServer.StartAsync();
        slack.AddTeam("T1", BotToken);
        slack.AddUser("T1", "U1", "alice");
        slack.AddAppToken(AppToken);
        slack.SocketUrls = socket.NextUrl;
        return new SocketModeFakes(slack, socket);
    }

    /// <summary>Host settings for Socket Mode against these fakes (no signing secret, no public URL).</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["Slack:AppToken"] = AppToken,
        ["Slack:BotToken"] = BotToken,
        ["Slack:ApiBaseUrl"] = Slack.BaseUrl.ToString(),
    };

    public async ValueTask DisposeAsync()
    {
        await Socket.DisposeAsync();
        await Slack.DisposeAsync();
    }
}
