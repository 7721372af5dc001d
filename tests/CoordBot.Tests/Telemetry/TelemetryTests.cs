using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using CoordBot.Chat;
using CoordBot.Data;
using CoordBot.Outbox;
using CoordBot.Scheduling;
using CoordBot.Telemetry;
using CoordBot.Tests.Support;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace CoordBot.Tests.Telemetry;

/// <summary>
/// Telemetry's instruments and activity source are process-wide: these tests run alone (no other host
/// records while they count), with their own host exporting to memory next to its OTLP exporter.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry";
}

/// <summary>
/// The real host with telemetry on (Telemetry:Otlp set; nothing listens there) and OpenTelemetry's
/// in-memory exporter: a command's trace, the outbox's spans, every metric, and no personal data in any of them.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests : SlackHostTest
{
    private const string Name = "Quillon Vexmara";
    private const string Email = "quillon.vexmara@example.org";
    private static readonly string[] Personal = ["Quillon", "Vexmara", Email, "quillon.vexmara", "555-0142"];

    private readonly TelemetryCapture _telemetry = new();
    private readonly LogCapture _logs = new();

    protected override Dictionary<string, string?> HostSettings => new()
    {
        // A closed port: the OTLP exporter is on (so is all of telemetry) and its exports fail quietly.
        ["Telemetry:Otlp"] = "http://127.0.0.1:9",
        ["Outbox:StopGrace"] = "00:00:01",
        ["Logging:LogLevel:Default"] = "Debug",
        ["Logging:LogLevel:Microsoft"] = "Information",
    };

    protected override Action<IServiceCollection> HostServices => services =>
    {
        _telemetry.Register(services);
        services.AddSingleton<ILoggerProvider>(_logs);
    };

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _telemetry.Dispose();
    }

    private Activity? Span(Func<Activity, bool> match) => _telemetry.Spans.FirstOrDefault(match);

    [Fact]
    public async Task A_command_is_traced_from_the_endpoint_through_the_router_and_store_to_the_reply()
    {
        await Client.CommandAsync(Team, "U1", "/ally", $"add \"{Name}\" --org Council");
        var answer = await Client.CommandAsync(Team, "U1", "/ally", "list");
        Assert.Equal(HttpStatusCode.OK, answer.Status);

        Activity? command = null, endpoint = null;
        await _telemetry.WaitUntilAsync(() =>
            (command = Span(s => s.DisplayName == "command ally list")) is not null &&
            (endpoint = Span(s => s.SpanId == command.ParentSpanId)) is not null, "the ally list command's span and its endpoint's");

        // The endpoint: ASP.NET Core's server span, the trace's root.
        Assert.Equal("Microsoft.AspNetCore", endpoint!.Source.Name);
        Assert.Equal(ActivityKind.Server, endpoint.Kind);
        Assert.Equal("/slack/commands", endpoint.GetTagItem("http.route"));
        Assert.Equal(default, endpoint.ParentSpanId);
        Assert.Null(endpoint.GetTagItem("url.path"));
        // The router's span, named after the command only.
        Assert.Equal(CoordBotTelemetry.Name, command!.Source.Name);
        Assert.Equal("ally list", command.GetTagItem(CoordBotTelemetry.CommandTag));
        Assert.Equal("slack", command.GetTagItem(CoordBotTelemetry.ChannelTag));
        Assert.Equal("ok", command.GetTagItem(CoordBotTelemetry.OutcomeTag));
        // The store under the command: the user's registration and the list's query.
        var stores = _telemetry.Spans.Where(s => s.ParentSpanId == command.SpanId).Select(s => s.DisplayName).ToList();
        Assert.Contains("store workspace.ensure_user", stores);
        Assert.Contains("store ally.list", stores);
        Assert.All(_telemetry.Spans.Where(s => s.ParentSpanId == command.SpanId), s => Assert.Equal(ActivityKind.Client, s.Kind));
        // The reply, rendered under the endpoint after the command returned.
        var reply = Assert.Single(_telemetry.Spans, s => s.DisplayName == "reply slack" && s.ParentSpanId == endpoint.SpanId);
        Assert.True(reply.StartTimeUtc >= command.StartTimeUtc + command.Duration);
        Assert.All(new[] { command, reply }, s => Assert.Equal(endpoint.TraceId, s.TraceId));
    }

    [Fact]
    public async Task Every_metric_moves_and_each_outbox_send_has_a_span()
    {
        var outbox = Host.Get<OutboxStore>();
        var now = DateTimeOffset.UtcNow;
        // A message claimed twenty minutes after it was due by an instance that is not sending it: the backlog.
        await InsertStuckAsync(Host.Get<Database>(), "stuck-1", now.AddMinutes(-20), now.AddHours(1));
        var before = _telemetry.Collect(Host);

        await Client.CommandAsync(Team, "U1", "/ally", "list");
        await Client.CommandAsync(Team, "U1", "/ally", "list --page many");   // refused: --page needs a number
        await Client.CommandAsync(Team, "U1", "/ally", "add \"Dana Diaz\"");   // a group-commit write
        Slack.RateLimitNext("chat.postMessage", retryAfterSeconds: 1);
        await outbox.EnqueueAsync(Team, "digest-1", "slack", "C9", Reply.Say("Digest"), now, now);
        Activity? send = null;
        await _telemetry.WaitUntilAsync(() => (send = Span(s => s.DisplayName == "outbox send")) is not null, "the outbox send's span");
        Assert.Equal("slack", send!.GetTagItem(CoordBotTelemetry.PlatformTag));
        Assert.Equal("sent", send.GetTagItem(CoordBotTelemetry.OutcomeTag));
        Assert.Equal(default, send.ParentSpanId);

        var after = _telemetry.Collect(Host);
        (string, string) Tag(string key, string value) => (key, value);
        var list = new[] { Tag(CoordBotTelemetry.CommandTag, "ally list"), Tag(CoordBotTelemetry.ChannelTag, "slack") };
        Assert.Equal(1, Moved("coordbot.commands", [.. list, Tag(CoordBotTelemetry.OutcomeTag, "ok")]));
        Assert.Equal(1, Moved("coordbot.commands", [.. list, Tag(CoordBotTelemetry.OutcomeTag, "refused")]));
        Assert.Equal(2, TelemetryCapture.HistogramCount(after, "coordbot.command.duration", list) - TelemetryCapture.HistogramCount(before, "coordbot.command.duration", list));
        Assert.Equal(1, Moved("coordbot.outbox.sends", Tag(CoordBotTelemetry.PlatformTag, "slack"), Tag(CoordBotTelemetry.OutcomeTag, "sent")));
        Assert.Equal(1, Moved("coordbot.ratelimit.429s", Tag(CoordBotTelemetry.PlatformTag, "slack")));
        Assert.True(Moved("coordbot.ratelimit.waits", Tag(CoordBotTelemetry.PlatformTag, "slack")) >= 1, "the retry after the 429 waited for its turn");
        var groups = Histogram("coordbot.store.group_commit.writes");
        Assert.True(groups >= 1, "the add's group commit is counted");
        Assert.Equal(groups, Histogram("coordbot.store.group_commit.duration", Tag(CoordBotTelemetry.PhaseTag, "work")));
        Assert.Equal(groups, Histogram("coordbot.store.group_commit.duration", Tag(CoordBotTelemetry.PhaseTag, "commit")));
        var backlog = Assert.Single(TelemetryCapture.Points(after, "coordbot.outbox.backlog"));
        Assert.Equal(1, backlog.GetGaugeLastValueLong());
        var age = Assert.Single(TelemetryCapture.Points(after, "coordbot.outbox.oldest_due_age"));
        Assert.InRange(age.GetGaugeLastValueDouble(), 20 * 60 - 1, 30 * 60);

        // A one-time send due ten minutes ago is found on the next start, past Quartz's misfire threshold.
        await Host.Get<IScheduledSends>().ScheduleAsync(new ScheduledSend("late-1", "telemetry-probe", Team, now.AddMinutes(-10), new Dictionary<string, string>()));
        await Host.DisposeAsync();
        Host = StartHost();
        await _telemetry.WaitUntilAsync(
            () => TelemetryCapture.Sum(_telemetry.Collect(Host), "coordbot.scheduler.misfires", Tag("coordbot.schedule", "once")) >= 1,
            "the scheduler's misfire count");

        long Moved(string name, params (string, string)[] tags) => TelemetryCapture.Sum(after, name, tags) - TelemetryCapture.Sum(before, name, tags);
        long Histogram(string name, params (string, string)[] tags) =>
            TelemetryCapture.HistogramCount(after, name, tags) - TelemetryCapture.HistogramCount(before, name, tags);
    }

    [Fact]
    public async Task No_command_text_name_or_contact_detail_reaches_a_span_a_metric_or_a_log()
    {
        await Client.CommandAsync(Team, "U1", "/ally", $"add \"{Name}\" --email {Email} --phone 555-0142 --notes \"met {Name} at the fair\"");
        await Client.CommandAsync(Team, "U1", "/ally", "find Vexmara");
        await Client.CommandAsync(Team, "U1", "/ally", $"show \"{Name}\"");
        await Client.CommandAsync(Team, "U1", "/ally", "vexmara");               // a name where a subcommand goes
        await Client.CommandAsync(Team, "U1", "/coord", "quillon vexmara");      // and in coord's place
        using (var local = await Host.Http.PostAsJsonAsync("/local/messages", new { user = "alice", text = "quillon vexmara" }))   // a name where a command goes
            Assert.Equal(HttpStatusCode.OK, local.StatusCode);
        await Client.CommandAsync(Team, "U1", "/ally", $"add \"{Name}\" --email not-an-email-{Email.Replace("@", "")}");   // refused, echoing the input
        await _telemetry.WaitUntilAsync(() => _telemetry.Spans.Count(s => s.Source.Name == "Microsoft.AspNetCore") >= 7, "the seven requests' spans");

        var commands = _telemetry.Spans.Where(s => s.Source.Name == CoordBotTelemetry.Name && s.DisplayName.StartsWith("command", StringComparison.Ordinal))
            .Select(s => s.DisplayName).ToList();
        Assert.Contains("command ally add", commands);
        Assert.Contains("command ally find", commands);
        Assert.Contains("command ally show", commands);
        Assert.Contains("command", commands);   // unmatched input stays "command" (tagged unknown)
        foreach (var span in _telemetry.Spans)
        {
            var texts = new List<string?> { span.DisplayName, span.OperationName, span.StatusDescription };
            texts.AddRange(span.TagObjects.Select(t => $"{t.Key}={t.Value}"));
            texts.AddRange(span.Events.SelectMany(e => e.Tags.Select(t => $"{t.Key}={t.Value}").Append(e.Name)));
            texts.AddRange(span.Baggage.Select(b => $"{b.Key}={b.Value}"));
            AssertNothingPersonal(texts, $"span {span.DisplayName}");
        }
        foreach (var metric in _telemetry.Collect(Host))
            foreach (var point in metric.MetricPoints)
                AssertNothingPersonal(TelemetryCapture.TagsOf(point).Select(t => $"{t.Key}={t.Value}"), $"metric {metric.Name}");
        Assert.Contains(TelemetryCapture.Points(_telemetry.Metrics, "coordbot.commands"), p =>
            TelemetryCapture.TagsOf(p).Any(t => t.Key == CoordBotTelemetry.CommandTag && Equals(t.Value, "unknown")));
        Assert.NotEmpty(_logs.Lines);
        AssertNothingPersonal(_logs.Lines, "the log");
    }

    private static void AssertNothingPersonal(IEnumerable<string?> texts, string where)
    {
        foreach (var text in texts)
            foreach (var secret in Personal)
                Assert.False(text?.Contains(secret, StringComparison.OrdinalIgnoreCase) == true, $"{where} holds \"{secret}\": {text}");
    }

    /// <summary>An outbox row due at <paramref name="due"/> and claimed until <paramref name="claimedUntil"/> by no live sender.</summary>
    internal static async Task InsertStuckAsync(Database database, string key, DateTimeOffset due, DateTimeOffset claimedUntil)
    {
        await using var connection = await database.OpenAsync();
        await connection.ExecuteAsync("""
            INSERT INTO outbox (workspace_id, idempotency_key, platform, destination, payload, status, not_before, claimed_until, created_at)
            VALUES (@Workspace, @Key, 'slack', 'C9', @Payload, 'sending', @Due, @Until, @Due)
            """, new { Workspace = Team, Key = key, Payload = ReplyJson.Serialize(Reply.Say("Reminder")), Due = Database.Stamp(due), Until = Database.Stamp(claimedUntil) });
    }

    /// <summary>Every line the host logs, at every level its settings let through.</summary>
    private sealed class LogCapture : ILoggerProvider, ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();
        public IReadOnlyList<string> Lines => _lines.ToList();
        public ILogger CreateLogger(string categoryName) => this;
        public void Dispose() { }
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue($"{logLevel}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
    }
}
