using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using CoordBot.Slack;
using CoordBot.Slack.SocketMode;
using CoordBot.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CoordBot.Tests.Slack;

public sealed class SocketModeTests
{
    private static readonly SocketModeOptions Fast = new()
    {
        InitialBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(100),
        RetireAfter = TimeSpan.FromSeconds(1),
        LinkDisabledBackoff = TimeSpan.FromMilliseconds(400),
        DrainTimeout = TimeSpan.FromSeconds(2),
        CloseTimeout = TimeSpan.FromSeconds(1),
    };

    /// <summary>Backoff waits in these tests are all shorter than this; every other timer is longer.</summary>
    private static readonly TimeSpan BackoffCeiling = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task Connects_with_a_fresh_url_and_gets_hello()
    {
        await using var rig = await Rig.StartAsync();

        Assert.True(rig.Client.IsConnected);
        Assert.Equal(1, rig.Client.ConnectionsOpened);
        Assert.Equal(1, rig.Server.Connections);
        Assert.Equal(1, rig.Connector.Calls);
        Assert.Contains(rig.Log.Messages, m => m.Contains(FakeSocketModeServer.AppId) && m.Contains("18060"));
    }

    [Fact]
    public async Task A_slash_command_reaches_CommandAsync_and_its_answer_is_the_ack_payload()
    {
        await using var rig = await Rig.StartAsync();
        rig.Inbound.CommandAck = new SlackAck(200, new JsonObject { ["response_type"] = "ephemeral", ["text"] = "Added Jane Doe (A1)" });

        var ack = await rig.Server.SendEnvelopeAsync("slash_commands", Command("add \"Jane Doe\" --org xoxb-not-a-token"), envelopeId: "env-cmd-1");

        Assert.Equal("env-cmd-1", ack.GetProperty("envelope_id").GetString());
        Assert.Equal("Added Jane Doe (A1)", ack.GetProperty("payload").GetProperty("text").GetString());
        var fields = Assert.Single(rig.Inbound.Commands);
        Assert.Equal("/ally", fields["command"]);
        Assert.Equal("add \"Jane Doe\" --org xoxb-not-a-token", fields["text"]);
        Assert.Equal("T0TEAM", fields["team_id"]);
        Assert.Equal("U0ALICE", fields["user_id"]);
        Assert.Equal("false", fields["is_enterprise_install"]);
        Assert.Empty(rig.Inbound.Interactions);
        Assert.Empty(rig.Inbound.Events);
        // Only envelope types and ids are logged: never the payload (or its tokens).
        Assert.Contains(rig.Log.Messages, m => m.Contains("env-cmd-1"));
        Assert.DoesNotContain(rig.Log.Messages, m => m.Contains("xoxb-") || m.Contains("Jane"));
    }

    [Fact]
    public async Task A_command_answered_without_a_body_or_with_an_error_status_is_acked_bare()
    {
        await using var rig = await Rig.StartAsync();

        rig.Inbound.CommandAck = SlackAck.Empty;
        var bare = await rig.Server.SendEnvelopeAsync("slash_commands", Command("help"), envelopeId: "env-bare");
        rig.Inbound.CommandAck = new SlackAck(400, new JsonObject { ["error"] = "missing command" });
        var refused = await rig.Server.SendEnvelopeAsync("slash_commands", Command("help"), envelopeId: "env-400");

        Assert.Equal("""{"envelope_id":"env-bare"}""", bare.GetRawText());
        Assert.Equal("""{"envelope_id":"env-400"}""", refused.GetRawText());
    }

    [Fact]
    public async Task An_interaction_reaches_InteractionAsync_and_a_view_submission_answer_is_the_ack_payload()
    {
        await using var rig = await Rig.StartAsync();
        rig.Inbound.InteractionAck = new SlackAck(200, new JsonObject
        {
            ["response_action"] = "errors",
            ["errors"] = new JsonObject { ["name"] = "A name is required" },
        });
        var submission = new JsonObject
        {
            ["type"] = "view_submission",
            ["team"] = new JsonObject { ["id"] = "T0TEAM" },
            ["user"] = new JsonObject { ["id"] = "U0ALICE" },
            ["view"] = new JsonObject { ["id"] = "V1", ["callback_id"] = "ally_add", ["state"] = new JsonObject { ["values"] = new JsonObject() } },
        };

        var ack = await rig.Server.SendEnvelopeAsync("interactive", submission, envelopeId: "env-view");

        Assert.Equal("env-view", ack.GetProperty("envelope_id").GetString());
        Assert.Equal("errors", ack.GetProperty("payload").GetProperty("response_action").GetString());
        var received = Assert.Single(rig.Inbound.Interactions);
        Assert.True(JsonNode.DeepEquals(submission, JsonNode.Parse(received.GetRawText())));
        Assert.Empty(rig.Inbound.Commands);
    }

    [Fact]
    public async Task An_event_reaches_EventAsync_with_its_retry_number_and_is_acked_without_a_payload()
    {
        await using var rig = await Rig.StartAsync();
        rig.Inbound.EventAck = new SlackAck(200, new JsonObject { ["ignored"] = true });
        var callback = new JsonObject
        {
            ["type"] = "event_callback",
            ["team_id"] = "T0TEAM",
            ["event_id"] = "Ev01",
            ["event"] = new JsonObject { ["type"] = "app_mention", ["user"] = "U0ALICE", ["text"] = "<@U0BOT> ally list", ["channel"] = "C1", ["ts"] = "1.2" },
        };

        var first = await rig.Server.SendEnvelopeAsync("events_api", callback, envelopeId: "env-ev-1");
        var retry = await rig.Server.SendEnvelopeAsync("events_api", callback, retryAttempt: 2, envelopeId: "env-ev-2");

        Assert.Equal("""{"envelope_id":"env-ev-1"}""", first.GetRawText());   // events do not accept response payloads
        Assert.Equal("""{"envelope_id":"env-ev-2"}""", retry.GetRawText());
        var events = rig.Inbound.Events.ToList();
        Assert.Equal(2, events.Count);
        Assert.True(JsonNode.DeepEquals(callback, JsonNode.Parse(events[0].Body.GetRawText())));
        Assert.Null(events[0].RetryNum);   // like a first HTTP delivery, which has no X-Slack-Retry-Num
        Assert.Equal(2, events[1].RetryNum);
    }

    [Fact]
    public async Task Twenty_envelopes_at_once_are_handled_concurrently_and_all_acked()
    {
        // A fake clock: the ack deadline cannot pass while the handlers are held.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        await using var rig = await Rig.StartAsync(clock: clock);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        rig.Inbound.Gate = gate;
        rig.Inbound.CommandAck = new SlackAck(200, new JsonObject { ["text"] = "ok" });

        var sending = Task.WhenAll(Enumerable.Range(1, 20).Select(i =>
            i % 2 == 0
                ? rig.Server.SendEnvelopeAsync("slash_commands", Command($"show A{i}"), envelopeId: $"env-{i}")
                : rig.Server.SendEnvelopeAsync("events_api", new JsonObject { ["type"] = "event_callback", ["event_id"] = $"Ev{i}" }, envelopeId: $"env-{i}")));
        // All twenty handlers run at once: each started, none has answered (one at a time, the second would never start).
        await Eventually(() => rig.Inbound.Started == 20, "all twenty handlers have started");
        Assert.Equal(20, rig.Inbound.MaxConcurrent);
        Assert.Empty(rig.Server.Acks);
        gate.SetResult();
        var acks = await sending.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Enumerable.Range(1, 20).Select(i => $"env-{i}"), acks.Select(a => a.GetProperty("envelope_id").GetString()));
        Assert.NotEmpty(acks.Where((_, i) => (i + 1) % 2 == 0));
        Assert.All(acks.Where((_, i) => (i + 1) % 2 == 0), a => Assert.Equal("ok", a.GetProperty("payload").GetProperty("text").GetString()));
        Assert.Equal(10, rig.Inbound.Commands.Count);
        Assert.Equal(10, rig.Inbound.Events.Count);
        Assert.Equal(20, rig.Server.Acks.Count);
    }

    [Fact]
    public async Task Garbage_oversized_messages_unknown_types_and_failing_handlers_do_not_stop_the_client()
    {
        await using var rig = await Rig.StartAsync();

        await rig.Server.SendRawAsync("this is not json");
        await rig.Server.SendRawAsync("[1, 2, 3]");
        await rig.Server.SendRawAsync("""{"type":"events_api","payload":{}}""");   // no envelope_id
        await rig.Server.SendRawAsync("{\"type\":\"events_api\",\"payload\":\"" + new string('x', 1_100_000) + "\"}");   // over 1 MB
        var unknown = await rig.Server.SendEnvelopeAsync("mystery_type", new JsonObject { ["x"] = 1 }, envelopeId: "env-unknown");
        var noPayload = await rig.Server.SendEnvelopeAsync("slash_commands", new JsonObject(), envelopeId: "env-empty");
        rig.Inbound.Throw = true;
        var failed = await rig.Server.SendEnvelopeAsync("slash_commands", Command("boom"), envelopeId: "env-throws");
        rig.Inbound.Throw = false;

        // A message split over many frames (60 KB in 8 KB frames) is joined before parsing.
        var longText = string.Concat(Enumerable.Repeat("notes ", 10_000));
        rig.Inbound.CommandAck = new SlackAck(200, new JsonObject { ["text"] = "still here" });
        var ack = await rig.Server.SendEnvelopeAsync("slash_commands", Command(longText), envelopeId: "env-after");

        Assert.Equal("""{"envelope_id":"env-unknown"}""", unknown.GetRawText());
        Assert.Equal("""{"envelope_id":"env-empty"}""", noPayload.GetRawText());
        Assert.Equal("""{"envelope_id":"env-throws"}""", failed.GetRawText());
        Assert.Equal("still here", ack.GetProperty("payload").GetProperty("text").GetString());
        Assert.Equal(longText, rig.Inbound.Commands.Last()["text"]);
        Assert.Empty(rig.Inbound.Events);
        Assert.True(rig.Client.IsConnected);
        Assert.Equal(1, rig.Client.ConnectionsOpened);
        Assert.Contains(rig.Log.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("malformed"));
        Assert.Contains(rig.Log.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("over 1048576 bytes"));
        Assert.Contains(rig.Log.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("env-throws"));
    }

    [Fact]
    public async Task An_answer_ready_only_after_the_ack_deadline_is_passed_on_once_instead_of_lost()
    {
        var clock = new TimerClock(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        await using var rig = await Rig.StartAsync(Fast with { AckTimeout = TimeSpan.FromSeconds(2) }, clock: clock);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        rig.Inbound.Gate = gate;
        rig.Inbound.CommandAck = new SlackAck(200, new JsonObject { ["response_type"] = "ephemeral", ["text"] = "late but here" });

        var acked = rig.Server.SendEnvelopeAsync("slash_commands", Command("list"), envelopeId: "env-late");
        await Eventually(() => rig.Inbound.Started == 1, "the handler runs");
        // The ack deadline passes on the fake clock, once the client's timer for it is running.
        await clock.WaitForTimerAsync(t => t == TimeSpan.FromSeconds(2));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("""{"envelope_id":"env-late"}""", (await acked.WaitAsync(TimeSpan.FromSeconds(30))).GetRawText());
        Assert.Empty(rig.Inbound.Late);

        gate.SetResult();
        await rig.Inbound.LateArrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var (type, payload, body) = Assert.Single(rig.Inbound.Late);
        Assert.Equal("slash_commands", type);
        Assert.Equal("U0ALICE", payload.GetProperty("user_id").GetString());
        Assert.Equal("late but here", body["text"]?.GetValue<string>());
        // A later envelope is answered in its ack as usual, and the late one was passed on once only.
        rig.Inbound.Gate = null;
        var next = await rig.Server.SendEnvelopeAsync("slash_commands", Command("list"), envelopeId: "env-next");
        Assert.Equal("late but here", next.GetProperty("payload").GetProperty("text").GetString());
        Assert.Single(rig.Inbound.Late);
    }

    [Fact]
    public async Task A_handler_slower_than_the_ack_timeout_is_acked_bare_in_time()
    {
        var clock = new TimerClock(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        var options = Fast with { AckTimeout = TimeSpan.FromMilliseconds(200) };
        await using var rig = await Rig.StartAsync(options, clock: clock);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        rig.Inbound.Gate = gate;   // the handler never answers during this test
        rig.Inbound.CommandAck = new SlackAck(200, new JsonObject { ["text"] = "too late" });

        var acked = rig.Server.SendEnvelopeAsync("slash_commands", Command("list"), envelopeId: "env-slow");
        await clock.WaitForTimerAsync(t => t == options.AckTimeout);
        clock.Advance(options.AckTimeout - TimeSpan.FromMilliseconds(1));
        Assert.False(acked.IsCompleted);   // not before the ack timeout…
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var ack = await acked.WaitAsync(TimeSpan.FromSeconds(30));   // …and at it, though the handler still holds its answer

        Assert.Equal("""{"envelope_id":"env-slow"}""", ack.GetRawText());
        Assert.Equal(1, rig.Inbound.Started);
        gate.SetResult();
    }

    [Fact]
    public async Task After_refresh_requested_it_reconnects_at_once_and_keeps_working()
    {
        await using var rig = await Rig.StartAsync();

        await rig.Server.SendDisconnectAsync("refresh_requested");
        await rig.Server.WaitForConnectionAsync(2);
        await Eventually(() => rig.Server.ClientCloses.ContainsKey(1), "the old connection closes");
        rig.Inbound.CommandAck = new SlackAck(200, new JsonObject { ["text"] = "fresh" });
        var ack = await rig.Server.SendEnvelopeAsync("slash_commands", Command("list"));

        Assert.Equal("fresh", ack.GetProperty("payload").GetProperty("text").GetString());
        Assert.Equal(2, rig.Client.ConnectionsOpened);
        Assert.Equal(2, rig.Connector.Calls);   // a new URL: tickets are single-use
        Assert.Equal(WebSocketCloseStatus.NormalClosure, rig.Server.ClientCloses[1]);
        Assert.DoesNotContain(rig.Time.Delays, d => d < BackoffCeiling);   // no backoff for a refresh
        await Eventually(() => rig.Client.IsConnected, "connected");
    }

    [Fact]
    public async Task After_a_warning_the_replacement_opens_at_once_and_the_old_connection_is_closed_cleanly_later()
    {
        await using var rig = await Rig.StartAsync();

        await rig.Server.SendDisconnectAsync("warning");
        await rig.Server.WaitForConnectionAsync(2);
        Assert.False(rig.Server.ClientCloses.ContainsKey(1));   // still open: it may deliver until Slack or RetireAfter ends it
        await Eventually(() => rig.Server.ClientCloses.ContainsKey(1), "the old connection closes after RetireAfter");

        Assert.Equal(WebSocketCloseStatus.NormalClosure, rig.Server.ClientCloses[1]);
        var ack = await rig.Server.SendEnvelopeAsync("events_api", new JsonObject { ["type"] = "event_callback" });
        Assert.True(ack.TryGetProperty("envelope_id", out _));
        Assert.True(rig.Client.IsConnected);
    }

    [Fact]
    public async Task After_link_disabled_it_logs_an_error_and_waits_long_before_trying_again()
    {
        await using var rig = await Rig.StartAsync();

        await rig.Server.SendDisconnectAsync("link_disabled");
        await rig.Server.WaitForConnectionAsync(2);

        Assert.Contains(rig.Log.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("link_disabled"));
        Assert.Contains(Fast.LinkDisabledBackoff, rig.Time.Delays);
    }

    [Fact]
    public async Task After_an_abrupt_drop_it_reconnects_after_a_short_backoff()
    {
        await using var rig = await Rig.StartAsync();

        await rig.Server.DropAsync();
        await rig.Server.WaitForConnectionAsync(2);
        var ack = await rig.Server.SendEnvelopeAsync("interactive", new JsonObject { ["type"] = "block_actions" });

        Assert.True(ack.TryGetProperty("envelope_id", out _));
        Assert.Equal(2, rig.Client.ConnectionsOpened);
        var backoff = Assert.Single(rig.Time.Delays, d => d < BackoffCeiling);
        Assert.InRange(backoff, Fast.InitialBackoff / 2, Fast.InitialBackoff);
        Assert.Contains(rig.Log.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("lost"));
    }

    [Fact]
    public async Task Connector_failures_back_off_exponentially_up_to_the_cap_and_hello_resets_it()
    {
        await using var rig = await Rig.StartAsync(waitForHello: false, failures: 4);

        await rig.Server.WaitForConnectionAsync(1);
        Assert.Equal(5, rig.Connector.Calls);
        var delays = rig.Time.Delays.Where(d => d < BackoffCeiling).ToList();
        Assert.Equal(4, delays.Count);
        double[] full = [20, 40, 80, 100];   // doubling from InitialBackoff, capped at MaxBackoff
        for (var i = 0; i < 4; i++) Assert.InRange(delays[i].TotalMilliseconds, full[i] / 2, full[i]);

        await Eventually(() => rig.Client.IsConnected, "connected");
        await rig.Server.DropAsync();
        await rig.Server.WaitForConnectionAsync(2);
        var afterHello = rig.Time.Delays.Where(d => d < BackoffCeiling).ToList();
        Assert.Equal(5, afterHello.Count);
        Assert.InRange(afterHello[4].TotalMilliseconds, 10, 20);
    }

    [Theory]
    [InlineData(0, 1.0, 1_000)]
    [InlineData(0, 0.0, 500)]
    [InlineData(3, 1.0, 8_000)]
    [InlineData(5, 1.0, 32_000)]
    [InlineData(6, 1.0, 60_000)]
    [InlineData(40, 0.5, 45_000)]
    public void Backoff_doubles_with_jitter_and_stops_at_the_cap(int attempt, double jitter, int expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), SlackSocketModeClient.Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), attempt, jitter));

    [Fact]
    public async Task Host_shutdown_acks_what_is_in_flight_then_closes_with_a_normal_closure()
    {
        await using var server = await FakeSocketModeServer.StartAsync();
        var inbound = new RecordingInbound { Delay = TimeSpan.FromMilliseconds(300), CommandAck = new SlackAck(200, new JsonObject { ["text"] = "done" }) };
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<ISocketModeConnector>(new FakeSocketModeConnector(server));
        builder.Services.AddSingleton<ISlackInbound>(inbound);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(Fast);
        builder.Services.AddSingleton<SlackSocketModeClient>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SlackSocketModeClient>());
        using var host = builder.Build();
        var client = host.Services.GetRequiredService<SlackSocketModeClient>();

        await host.StartAsync();
        await server.WaitForConnectionAsync(1);
        await Eventually(() => client.IsConnected, "connected");
        var inFlight = server.SendEnvelopeAsync("slash_commands", Command("list"), envelopeId: "env-last");
        await Eventually(() => inbound.Started > 0, "the command is being handled");
        await host.StopAsync();

        var ack = await inFlight;
        Assert.Equal("done", ack.GetProperty("payload").GetProperty("text").GetString());
        await Eventually(() => server.ClientCloses.ContainsKey(1), "the server saw the close");
        Assert.Equal(WebSocketCloseStatus.NormalClosure, server.ClientCloses[1]);
        Assert.False(client.IsConnected);
        Assert.Equal(1, server.Connections);
    }

    private static JsonObject Command(string text) => new()
    {
        ["token"] = "legacy-verification-token",
        ["team_id"] = "T0TEAM",
        ["team_domain"] = "coalition",
        ["channel_id"] = "C0HOUSING",
        ["channel_name"] = "housing",
        ["user_id"] = "U0ALICE",
        ["user_name"] = "alice",
        ["command"] = "/ally",
        ["text"] = text,
        ["api_app_id"] = FakeSocketModeServer.AppId,
        ["is_enterprise_install"] = "false",
        ["response_url"] = "https://hooks.slack.com/commands/T0TEAM/1/abc",
        ["trigger_id"] = "1.2.abc",
    };

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30)) Assert.Fail($"Timed out waiting until {what}");
            await Task.Delay(10);
        }
    }

    /// <summary>A fake server, a connector, a recording inbound and the client under test, started and connected.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        public required FakeSocketModeServer Server { get; init; }
        public required FakeSocketModeConnector Connector { get; init; }
        public required SlackSocketModeClient Client { get; init; }
        public required RecordingInbound Inbound { get; init; }
        public required ListLogger<SlackSocketModeClient> Log { get; init; }
        public required RecordingTime Time { get; init; }

        public static async Task<Rig> StartAsync(SocketModeOptions? options = null, bool waitForHello = true, int failures = 0, TimeProvider? clock = null)
        {
            var server = await FakeSocketModeServer.StartAsync();
            var connector = new FakeSocketModeConnector(server);
            connector.FailNext(failures);
            var inbound = new RecordingInbound();
            var log = new ListLogger<SlackSocketModeClient>();
            var time = new RecordingTime();
            var rig = new Rig
            {
                Server = server,
                Connector = connector,
                Client = new SlackSocketModeClient(connector, inbound, clock ?? time, log, options ?? Fast),
                Inbound = inbound,
                Log = log,
                Time = time,
            };
            await rig.Client.StartAsync(CancellationToken.None);
            if (waitForHello)
            {
                await server.WaitForConnectionAsync(1);
                await Eventually(() => rig.Client.IsConnected, "the client has its hello");
            }
            return rig;
        }

        public async ValueTask DisposeAsync()
        {
            await Client.StopAsync(CancellationToken.None);
            Client.Dispose();
            await Server.DisposeAsync();
        }
    }

    private sealed class RecordingInbound : ISlackInbound
    {
        private int _running;
        private int _maxConcurrent;
        private int _started;

        public SlackAck CommandAck { get; set; } = SlackAck.Empty;
        public SlackAck InteractionAck { get; set; } = SlackAck.Empty;
        public SlackAck EventAck { get; set; } = SlackAck.Empty;
        public TimeSpan Delay { get; set; }
        public bool Throw { get; set; }
        /// <summary>When set, every handler waits for it before answering.</summary>
        public TaskCompletionSource? Gate { get; set; }
        public ConcurrentQueue<(string Type, JsonElement Payload, JsonNode Body)> Late { get; } = new();
        public TaskCompletionSource LateArrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int MaxConcurrent => Volatile.Read(ref _maxConcurrent);
        public int Started => Volatile.Read(ref _started);
        public ConcurrentQueue<IReadOnlyDictionary<string, string>> Commands { get; } = new();
        public ConcurrentQueue<JsonElement> Interactions { get; } = new();
        public ConcurrentQueue<(JsonElement Body, int? RetryNum)> Events { get; } = new();

        public Task<SlackAck> CommandAsync(IReadOnlyDictionary<string, string> fields, CancellationToken ct)
        {
            Commands.Enqueue(fields);
            return AnswerAsync(CommandAck, ct);
        }

        public Task<SlackAck> InteractionAsync(JsonElement payload, CancellationToken ct)
        {
            Interactions.Enqueue(payload);
            return AnswerAsync(InteractionAck, ct);
        }

        public Task<SlackAck> EventAsync(JsonElement body, int? retryNum, CancellationToken ct)
        {
            Events.Enqueue((body, retryNum));
            return AnswerAsync(EventAck, ct);
        }

        public Task AnsweredLateAsync(string envelopeType, JsonElement payload, JsonNode body, CancellationToken ct)
        {
            Late.Enqueue((envelopeType, payload, body.DeepClone()));
            LateArrived.TrySetResult();
            return Task.CompletedTask;
        }

        private async Task<SlackAck> AnswerAsync(SlackAck ack, CancellationToken ct)
        {
            Interlocked.Increment(ref _started);
            var now = Interlocked.Increment(ref _running);
            int max;
            while (now > (max = Volatile.Read(ref _maxConcurrent)) && Interlocked.CompareExchange(ref _maxConcurrent, now, max) != max) { }
            try
            {
                if (Delay > TimeSpan.Zero) await Task.Delay(Delay, ct);
                if (Gate is { } gate) await gate.Task.WaitAsync(ct);
                if (Throw) throw new InvalidOperationException("handler failed (test)");
                return ack;
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }
    }

    /// <summary>The system clock, recording the due time of every timer (so of every Task.Delay) made through it.</summary>
    private sealed class RecordingTime : TimeProvider
    {
        private readonly ConcurrentQueue<TimeSpan> _delays = new();
        public IReadOnlyList<TimeSpan> Delays => [.. _delays];

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            _delays.Enqueue(dueTime);
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }

    private sealed class ListLogger<T> : ILogger<T>
    {
        private readonly ConcurrentQueue<(LogLevel Level, string Message)> _entries = new();
        public IReadOnlyList<(LogLevel Level, string Message)> Entries => [.. _entries];
        public IEnumerable<string> Messages => Entries.Select(e => e.Message);

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _entries.Enqueue((logLevel, formatter(state, exception) + (exception is null ? "" : " " + exception)));
    }
}
