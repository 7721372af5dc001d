using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CoordBot.Slack.SocketMode;

/// <summary>
/// Slack's Socket Mode transport: receives envelopes over a WebSocket instead of HTTP requests,
/// hands each to <see cref="ISlackInbound"/> (the same entry point as the HTTP endpoints) and
/// acknowledges it on the socket it came from, with the handler's answer as the ack payload where
/// Slack accepts one (slash commands, view submissions, options).
/// </summary>
/// <remarks>
/// Envelopes are handled concurrently; acknowledgements are sent one at a time per socket. When
/// Slack asks for a refresh (<c>disconnect</c>) a replacement connection is opened at once and the old
/// one keeps delivering until Slack closes it. A dropped socket, a failed handshake or a failing
/// <see cref="ISocketModeConnector"/> lead to a reconnect after an exponential backoff with jitter,
/// reset by the next <c>hello</c>. Only envelope types and ids are logged, never payloads or URLs.
/// </remarks>
public sealed class SlackSocketModeClient(
    ISocketModeConnector connector,
    ISlackInbound inbound,
    TimeProvider time,
    ILogger<SlackSocketModeClient> logger,
    SocketModeOptions? options = null) : BackgroundService
{
    private readonly SocketModeOptions _options = options ?? new SocketModeOptions();
    private readonly CancellationTokenSource _handlers = new();
    private readonly ConcurrentDictionary<Connection, Task> _retiring = new();
    private int _connectionsOpened;
    private int _connected;
    private int _failures;

    /// <summary>True while at least one connection has received Slack's <c>hello</c> and is still open.</summary>
    public bool IsConnected => Volatile.Read(ref _connected) > 0;

    /// <summary>WebSocket connections established since start (each with a fresh URL).</summary>
    public int ConnectionsOpened => Volatile.Read(ref _connectionsOpened);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Connection? current = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                current = await ConnectAsync(stoppingToken);
                if (current is null)
                {
                    await BackoffAsync(stoppingToken);
                    continue;
                }

                await Task.WhenAny(current.Reading, current.Disconnect.Task).WaitAsync(stoppingToken);
                var ended = current;
                current = null;
                if (ended.Disconnect.Task.IsCompleted)
                {
                    // Slack asked for a refresh: replace the connection now, let the old one finish.
                    Retire(ended, stoppingToken);
                    switch (ended.Disconnect.Task.Result)
                    {
                        case "link_disabled":
                            logger.LogError("Socket Mode is disabled for this app (disconnect: link_disabled); trying again in {Delay}", _options.LinkDisabledBackoff);
                            await Task.Delay(_options.LinkDisabledBackoff, time, stoppingToken);
                            break;
                        case "too_many_websockets":
                            await BackoffAsync(stoppingToken);
                            break;
                    }
                }
                else
                {
                    Retire(ended, stoppingToken);
                    await BackoffAsync(stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            var closing = _retiring.Values.ToList();
            if (current is not null) closing.Add(CloseAsync(current));
            await Task.WhenAll(closing);
            await _handlers.CancelAsync();
            logger.LogInformation("Socket Mode client stopped");
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _handlers.Dispose();
    }

    /// <summary>The wait before reconnect attempt <paramref name="attempt"/> (0-based): doubling from the initial backoff, capped, then scaled by a jitter factor in [0.5, 1].</summary>
    internal static TimeSpan Backoff(TimeSpan initial, TimeSpan max, int attempt, double jitter)
    {
        var full = Math.Min(max.Ticks, initial.Ticks * Math.Pow(2, Math.Min(attempt, 30)));
        return TimeSpan.FromTicks((long)(full * (0.5 + 0.5 * Math.Clamp(jitter, 0, 1))));
    }

    private async Task BackoffAsync(CancellationToken ct)
    {
        var attempt = Interlocked.Increment(ref _failures) - 1;
        var delay = Backoff(_options.InitialBackoff, _options.MaxBackoff, attempt, Random.Shared.NextDouble());
        logger.LogInformation("Reconnecting to Socket Mode in {Delay} (attempt {Attempt})", delay, attempt + 1);
        await Task.Delay(delay, time, ct);
    }

    private async Task<Connection?> ConnectAsync(CancellationToken ct)
    {
        Uri url;
        try
        {
            url = await connector.OpenAsync(ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning("Could not open a Socket Mode connection: {Error}", e.Message);
            return null;
        }

        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = _options.KeepAliveInterval;
        socket.Options.KeepAliveTimeout = _options.KeepAliveTimeout;
        try
        {
            using var timeout = new CancellationTokenSource(_options.ConnectTimeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
            await socket.ConnectAsync(url, linked.Token);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            socket.Dispose();
            logger.LogWarning("Could not connect to Socket Mode at {Host}: {Error}", url.Host, e.Message);
            return null;
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new Connection(socket, Interlocked.Increment(ref _connectionsOpened));
        logger.LogInformation("Socket Mode connection {Connection} open to {Host}", connection.Number, url.Host);
        connection.Reading = ReadAsync(connection);
        return connection;
    }

    /// <summary>Closes a connection that Slack replaced or that dropped: at once when its socket is gone, else once Slack closes it or <see cref="SocketModeOptions.RetireAfter"/> passes.</summary>
    private void Retire(Connection connection, CancellationToken stoppingToken)
    {
        _retiring[connection] = RetireAsync();

        async Task RetireAsync()
        {
            await Task.Yield();   // registered in _retiring before it can finish and remove itself
            using (var grace = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                await Task.WhenAny(connection.Reading, Task.Delay(_options.RetireAfter, time, grace.Token));
                await grace.CancelAsync();
            }
            await CloseAsync(connection);
            _retiring.TryRemove(connection, out _);
        }
    }

    private Task CloseAsync(Connection connection)
    {
        lock (connection) return connection.Closing ??= CloseCoreAsync(connection);
    }

    private async Task CloseCoreAsync(Connection c)
    {
        c.Accepting = false;   // envelopes arriving from now on are left unacknowledged: Slack delivers them again elsewhere
        try
        {
            await Task.WhenAll(c.InFlight.Keys).WaitAsync(_options.DrainTimeout, time);
        }
        catch (TimeoutException)
        {
            logger.LogWarning("Socket Mode connection {Connection}: {Count} envelope(s) still in flight at close", c.Number, c.InFlight.Count);
        }

        if (c.Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var timeout = new CancellationTokenSource(_options.CloseTimeout, time);
            var locked = false;
            try
            {
                await c.SendLock.WaitAsync(timeout.Token);
                locked = true;
                await c.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "closing", timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                logger.LogDebug("Socket Mode connection {Connection}: close frame not sent ({Error})", c.Number, e.Message);
            }
            finally
            {
                if (locked) c.SendLock.Release();
            }
        }

        try
        {
            await c.Reading.WaitAsync(_options.CloseTimeout, time);
        }
        catch (TimeoutException)
        {
            c.Socket.Abort();
            await c.Reading;
        }
        c.Socket.Dispose();
        logger.LogInformation("Socket Mode connection {Connection} closed", c.Number);
    }

    /// <summary>Reads messages until the socket closes or fails; never throws.</summary>
    private async Task ReadAsync(Connection c)
    {
        await Task.Yield();
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var message = new ArrayBufferWriter<byte>(16 * 1024);
        var tooLarge = false;
        try
        {
            while (true)
            {
                var result = await c.Socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    logger.LogInformation("Socket Mode connection {Connection} closed by Slack ({Status})", c.Number, c.Socket.CloseStatus);
                    return;
                }

                if (!tooLarge && message.WrittenCount + result.Count > _options.MaxMessageBytes)
                {
                    tooLarge = true;
                    message.ResetWrittenCount();
                }
                if (!tooLarge) message.Write(buffer.AsSpan(0, result.Count));
                if (!result.EndOfMessage) continue;

                if (tooLarge) logger.LogWarning("Socket Mode connection {Connection}: skipped a message over {Max} bytes", c.Number, _options.MaxMessageBytes);
                else if (result.MessageType != WebSocketMessageType.Text) logger.LogWarning("Socket Mode connection {Connection}: skipped a binary message", c.Number);
                else Dispatch(c, message.WrittenSpan);
                tooLarge = false;
                message.ResetWrittenCount();
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            if (c.Closing is null) logger.LogWarning("Socket Mode connection {Connection} lost: {Error}", c.Number, e.Message);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Socket Mode connection {Connection} failed", c.Number);
            c.Socket.Abort();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (c.SawHello) Interlocked.Decrement(ref _connected);
        }
    }

    /// <summary>One message from Slack: control messages are handled here, envelopes on the thread pool.</summary>
    private void Dispatch(Connection c, ReadOnlySpan<byte> utf8)
    {
        JsonElement root;
        try
        {
            root = JsonSerializer.Deserialize<JsonElement>(utf8);
        }
        catch (JsonException)
        {
            logger.LogWarning("Socket Mode connection {Connection}: skipped a malformed message ({Bytes} bytes)", c.Number, utf8.Length);
            return;
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            logger.LogWarning("Socket Mode connection {Connection}: skipped a message that is not a JSON object", c.Number);
            return;
        }

        var type = String(root, "type");
        var envelopeId = String(root, "envelope_id");
        switch (type)
        {
            case "hello":
                OnHello(c, root);
                return;
            case "disconnect":
                var reason = String(root, "reason") ?? "unknown";
                if (reason is "link_disabled" or "too_many_websockets")
                    logger.LogWarning("Socket Mode connection {Connection}: disconnect ({Reason})", c.Number, reason);
                else
                    logger.LogInformation("Socket Mode connection {Connection}: disconnect ({Reason}); opening a new connection", c.Number, reason);
                c.Disconnect.TrySetResult(reason);
                return;
            case "slash_commands" or "interactive" or "events_api" when envelopeId is not null:
                if (!c.Accepting)
                {
                    logger.LogInformation("Socket Mode connection {Connection} is closing; left {Type} envelope {EnvelopeId} for Slack to deliver again", c.Number, type, envelopeId);
                    return;
                }
                Track(c, Task.Run(() => HandleAsync(c, type, envelopeId, root)));
                return;
            default:
                logger.LogWarning("Socket Mode connection {Connection}: ignored message of type {Type} (envelope {EnvelopeId})", c.Number, type ?? "(none)", envelopeId ?? "(none)");
                if (envelopeId is not null && c.Accepting) Track(c, AckAsync(c, type ?? "(none)", envelopeId, null));
                return;
        }
    }

    private void OnHello(Connection c, JsonElement hello)
    {
        if (!c.SawHello)
        {
            c.SawHello = true;
            Interlocked.Increment(ref _connected);
        }
        Interlocked.Exchange(ref _failures, 0);
        int? connections = hello.TryGetProperty("num_connections", out var n) && n.TryGetInt32(out var nv) ? nv : null;
        int? lifetime = hello.TryGetProperty("debug_info", out var debug) && debug.ValueKind == JsonValueKind.Object
            && debug.TryGetProperty("approximate_connection_time", out var t) && t.TryGetInt32(out var tv) ? tv : null;
        var appId = hello.TryGetProperty("connection_info", out var info) && info.ValueKind == JsonValueKind.Object ? String(info, "app_id") : null;
        logger.LogInformation("Socket Mode connection {Connection} ready: app {AppId}, {NumConnections} connection(s), approximate lifetime {ApproximateConnectionTime} s",
            c.Number, appId, connections, lifetime);
    }

    private async Task HandleAsync(Connection c, string type, string envelopeId, JsonElement envelope)
    {
        var acceptsPayload = !(envelope.TryGetProperty("accepts_response_payload", out var accepts) && accepts.ValueKind == JsonValueKind.False);
        var hasPayload = envelope.TryGetProperty("payload", out var payload) && payload.ValueKind == JsonValueKind.Object;
        logger.LogDebug("Socket Mode {Type} envelope {EnvelopeId}", type, envelopeId);

        SlackAck? ack = null;
        if (!hasPayload)
        {
            logger.LogWarning("Socket Mode {Type} envelope {EnvelopeId} has no payload object", type, envelopeId);
        }
        else
        {
            var ct = _handlers.Token;
            Task<SlackAck>? work = null;
            try
            {
                work = type switch
                {
                    "slash_commands" => inbound.CommandAsync(CommandFields(payload), ct),
                    "interactive" => inbound.InteractionAsync(payload, ct),
                    _ => inbound.EventAsync(payload, RetryNum(envelope), ct),
                };
                ack = await work.WaitAsync(_options.AckTimeout, time, ct);
            }
            catch (TimeoutException)
            {
                logger.LogWarning("Socket Mode {Type} envelope {EnvelopeId} not answered within {AckTimeout}; acknowledged without a payload", type, envelopeId, _options.AckTimeout);
                _ = AnswerLateAsync(type, envelopeId, payload, work!, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;   // shutting down: no ack, so Slack delivers it again
            }
            catch (Exception e)
            {
                logger.LogError(e, "Handling Socket Mode {Type} envelope {EnvelopeId} failed", type, envelopeId);
            }
        }

        if (ack is { Status: < 200 or >= 300 })
            logger.LogWarning("Socket Mode {Type} envelope {EnvelopeId} answered {Status}; acknowledged without a payload", type, envelopeId, ack.Status);
        var body = ack is { Status: >= 200 and < 300 } && acceptsPayload ? ack.Body : null;
        await AckAsync(c, type, envelopeId, body);
        if (ack is { Status: >= 200 and < 300, Body: { } unsent } && !acceptsPayload)
            await PassOnAsync(type, envelopeId, payload, unsent, _handlers.Token);
    }

    /// <summary>A handler that outlived the ack deadline: its answer, when it comes, goes out through <see cref="ISlackInbound.AnsweredLateAsync"/>.</summary>
    private async Task AnswerLateAsync(string type, string envelopeId, JsonElement payload, Task<SlackAck> work, CancellationToken ct)
    {
        SlackAck late;
        try
        {
            late = await work;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            logger.LogError(e, "Handling Socket Mode {Type} envelope {EnvelopeId} failed after its acknowledgement", type, envelopeId);
            return;
        }
        if (late is { Status: >= 200 and < 300, Body: { } body }) await PassOnAsync(type, envelopeId, payload, body, ct);
    }

    private async Task PassOnAsync(string type, string envelopeId, JsonElement payload, JsonNode body, CancellationToken ct)
    {
        try
        {
            logger.LogInformation("Socket Mode {Type} envelope {EnvelopeId}: its answer missed the acknowledgement and is sent separately", type, envelopeId);
            await inbound.AnsweredLateAsync(type, payload, body, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            logger.LogError(e, "Could not send the late answer to Socket Mode {Type} envelope {EnvelopeId}", type, envelopeId);
        }
    }

    /// <summary>A slash command payload as the form fields the HTTP endpoint would see (booleans and numbers as their JSON text).</summary>
    private static Dictionary<string, string> CommandFields(JsonElement payload)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in payload.EnumerateObject())
        {
            var value = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.True or JsonValueKind.False or JsonValueKind.Number => property.Value.GetRawText(),
                _ => null,
            };
            if (value is not null) fields[property.Name] = value;
        }
        return fields;
    }

    /// <summary><c>retry_attempt</c> as the HTTP <c>X-Slack-Retry-Num</c> would be: absent (null) on the first delivery.</summary>
    private static int? RetryNum(JsonElement envelope) =>
        envelope.TryGetProperty("retry_attempt", out var r) && r.TryGetInt32(out var n) && n > 0 ? n : null;

    private async Task AckAsync(Connection c, string type, string envelopeId, JsonNode? payload)
    {
        var ack = new JsonObject { ["envelope_id"] = envelopeId };
        if (payload is not null) ack["payload"] = payload.DeepClone();
        var bytes = JsonSerializer.SerializeToUtf8Bytes(ack);

        using var timeout = new CancellationTokenSource(_options.SendTimeout, time);
        var locked = false;
        try
        {
            await c.SendLock.WaitAsync(timeout.Token);
            locked = true;
            await c.Socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
            logger.LogDebug("Acknowledged Socket Mode {Type} envelope {EnvelopeId}", type, envelopeId);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException or IOException)
        {
            logger.LogWarning("Could not acknowledge Socket Mode {Type} envelope {EnvelopeId}: {Error}", type, envelopeId, e.Message);
        }
        finally
        {
            if (locked) c.SendLock.Release();
        }
    }

    private static void Track(Connection c, Task task)
    {
        c.InFlight.TryAdd(task, 0);
        _ = task.ContinueWith(t => c.InFlight.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>One WebSocket to Slack and what is in flight on it.</summary>
    private sealed class Connection(ClientWebSocket socket, int number)
    {
        public ClientWebSocket Socket { get; } = socket;
        public int Number { get; } = number;
        public SemaphoreSlim SendLock { get; } = new(1, 1);
        public ConcurrentDictionary<Task, byte> InFlight { get; } = new();
        public TaskCompletionSource<string> Disconnect { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Task Reading { get; set; } = Task.CompletedTask;
        public Task? Closing { get; set; }
        public volatile bool Accepting = true;
        public bool SawHello { get; set; }
    }
}
