using System.Text.Json;
using System.Text.Json.Nodes;
using CoordBot.Chat;
using CoordBot.Slack;
using CoordBot.Slack.SocketMode;
using CoordBot.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CoordBot.Tests.Slack;

/// <summary>
/// Socket Mode through the real host on a fake clock: the reply budget ends a margin before the ack
/// deadline, so a command's reply is in the ack, or else goes through response_url once: never lost.
/// </summary>
public sealed class SocketModeReplyBudgetTests : IAsyncLifetime
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(2);
    private readonly TestDatabase _db = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 2, 15, 0, 0, TimeSpan.Zero));
    private readonly GateMiddleware _gate = new();
    private SocketModeFakes _fakes = null!;
    private FakeSlackApi Slack => _fakes.Slack;
    private FakeSocketModeServer Socket => _fakes.Socket;

    public async ValueTask InitializeAsync() => _fakes = await SocketModeFakes.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _fakes.DisposeAsync();
        _db.Dispose();
    }

    private TestHost StartHost(Dictionary<string, string?> extra, bool fakeClock = true)
    {
        var settings = _fakes.Settings();
        foreach (var (key, value) in extra) settings[key] = value;
        return new TestHost(_db, services: s =>
        {
            if (fakeClock) s.AddSingleton<TimeProvider>(_clock);
            s.AddSingleton<IChatMiddleware>(_gate);
        }, settings: settings);
    }

    private TestHost StartTimedHost() => StartHost(new()
    {
        ["Slack:ReplyBudget"] = "00:00:01",
        ["Slack:SocketMode:AckTimeout"] = "00:00:02",
    });

    private JsonObject Command(string text, string responseId) => new()
    {
        ["token"] = "x", ["team_id"] = "T1", ["team_domain"] = "t1", ["channel_id"] = "C1", ["channel_name"] = "general",
        ["user_id"] = "U1", ["user_name"] = "alice", ["command"] = "/ally", ["text"] = text, ["api_app_id"] = "A0COORDBOT",
        ["is_enterprise_install"] = "false", ["response_url"] = Slack.ResponseUrl(responseId).ToString(),
    };

    /// <summary>Steps the fake clock (in steps shorter than the gap between budget and ack deadline) until the ack comes.</summary>
    private async Task<JsonElement> StepUntilAckedAsync(Task<JsonElement> acked)
    {
        while (!acked.IsCompleted)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(250));
            await Task.WhenAny(acked, Task.Delay(20));
        }
        return await acked;
    }

    /// <summary>A round trip that is answered at once: everything the earlier command set off has been sent by the time its ack is read.</summary>
    private async Task BarrierAsync()
    {
        _gate.Hold = false;
        var ack = await Socket.SendEnvelopeAsync("slash_commands", Command("list", "barrier"));
        Assert.Equal(JsonValueKind.Object, ack.GetProperty("payload").ValueKind);
    }

    private void AssertDeliveredOnceThroughResponseUrl()
    {
        var responses = Slack.ResponsesPosted.Where(r => SlackText.Of(r).Contains("Added Jane Doe")).ToList();
        Assert.Single(responses);
        Assert.Empty(Slack.CallsTo("chat.postEphemeral"));
        Assert.Empty(Slack.CallsTo("chat.postMessage"));
    }

    [Fact]
    public async Task A_command_finishing_just_before_the_budget_is_answered_in_the_ack()
    {
        await using var host = StartTimedHost();
        await Socket.WaitForConnectionAsync(1);
        _gate.Hold = true;
        var acked = Socket.SendEnvelopeAsync("slash_commands", Command("add \"Jane Doe\"", "r1"));
        await _gate.Entered.WaitAsync(TimeSpan.FromSeconds(30));
        _clock.Advance(Budget - TimeSpan.FromMilliseconds(1));
        _gate.Release();

        var ack = await acked;
        JsonNode.Parse(ack.GetProperty("payload").GetRawText())!.AsObject().Shows("Added Jane Doe (A1)");
        await BarrierAsync();
        Assert.DoesNotContain(Slack.ResponsesPosted, r => SlackText.Of(r).Contains("Added Jane Doe"));
    }

    [Fact]
    public async Task A_command_finishing_after_the_budget_but_before_the_ack_deadline_is_sent_once_through_response_url()
    {
        await using var host = StartTimedHost();
        await Socket.WaitForConnectionAsync(1);
        _gate.Hold = true;
        var acked = Socket.SendEnvelopeAsync("slash_commands", Command("add \"Jane Doe\"", "r2"));
        await _gate.Entered.WaitAsync(TimeSpan.FromSeconds(30));

        var ack = await StepUntilAckedAsync(acked);   // the budget ran out: acknowledged bare, before the ack deadline
        Assert.False(ack.TryGetProperty("payload", out _));
        _gate.Release();

        (await Slack.WaitForResponseTo("r2")).Shows("Added Jane Doe (A1)");
        _clock.Advance(AckTimeout);
        await BarrierAsync();
        AssertDeliveredOnceThroughResponseUrl();
    }

    [Fact]
    public async Task A_command_finishing_after_the_ack_deadline_is_sent_once_through_response_url()
    {
        await using var host = StartTimedHost();
        await Socket.WaitForConnectionAsync(1);
        _gate.Hold = true;
        var acked = Socket.SendEnvelopeAsync("slash_commands", Command("add \"Jane Doe\"", "r3"));
        await _gate.Entered.WaitAsync(TimeSpan.FromSeconds(30));

        var ack = await StepUntilAckedAsync(acked);
        Assert.False(ack.TryGetProperty("payload", out _));
        _clock.Advance(AckTimeout + AckTimeout);   // well past the ack deadline
        _gate.Release();

        (await Slack.WaitForResponseTo("r3")).Shows("Added Jane Doe (A1)");
        await BarrierAsync();
        AssertDeliveredOnceThroughResponseUrl();
    }

    [Fact]
    public async Task Configured_socket_mode_options_take_effect_and_a_budget_too_close_to_the_ack_deadline_is_shortened()
    {
        await using var host = StartHost(new()
        {
            ["Slack:ReplyBudget"] = "00:00:02.5",
            ["Slack:SocketMode:AckTimeout"] = "00:00:01.5",
            ["Slack:SocketMode:MaxBackoff"] = "00:00:07",
        }, fakeClock: false);
        await Socket.WaitForConnectionAsync(1);

        var socketMode = host.Get<SocketModeOptions>();
        Assert.Equal(TimeSpan.FromSeconds(1.5), socketMode.AckTimeout);
        Assert.Equal(TimeSpan.FromSeconds(7), socketMode.MaxBackoff);
        Assert.Equal(TimeSpan.FromSeconds(0.9), host.Get<SlackOptions>().ReplyBudget);   // 1.5 s − the 0.5 s margin − 100 ms
    }

    [Fact]
    public async Task The_default_budget_leaves_the_margin_before_the_default_ack_deadline()
    {
        await using var host = StartHost([], fakeClock: false);
        await Socket.WaitForConnectionAsync(1);
        var budget = host.Get<SlackOptions>().ReplyBudget;
        Assert.True(budget + SocketModeOptions.ReplyMargin < host.Get<SocketModeOptions>().AckTimeout, $"budget {budget}");
    }

    [Fact]
    public void An_ack_timeout_no_longer_than_the_margin_is_refused()
    {
        var tight = new SocketModeOptions { AckTimeout = SocketModeOptions.ReplyMargin };
        Assert.Throws<InvalidOperationException>(() => tight.FitReplyBudget(TimeSpan.FromSeconds(1)));
        Assert.Throws<InvalidOperationException>(() => new SocketModeOptions().FitReplyBudget(TimeSpan.Zero));
        var standard = new SocketModeOptions { AckTimeout = TimeSpan.FromSeconds(2.5) };
        Assert.Equal(TimeSpan.FromSeconds(1.9), standard.FitReplyBudget(TimeSpan.FromSeconds(1.9)));   // 1.9 + 0.5 < 2.5
        Assert.Equal(TimeSpan.FromSeconds(1.9), standard.FitReplyBudget(TimeSpan.FromSeconds(2)));     // 2.0 + 0.5 = 2.5: shortened
        Assert.Equal(TimeSpan.FromSeconds(1.9), standard.FitReplyBudget(TimeSpan.FromSeconds(2.5)));
    }

    /// <summary>Holds each command (while <see cref="Hold"/>) until the test releases it.</summary>
    private sealed class GateMiddleware : IChatMiddleware
    {
        private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public volatile bool Hold;
        public Task Entered => _entered.Task;
        public void Release() => _release.TrySetResult();

        public async Task<Reply?> InvokeAsync(ChatRequest request, Func<ChatRequest, Task<Reply?>> next, CancellationToken ct)
        {
            if (Hold)
            {
                _entered.TrySetResult();
                await _release.Task;
            }
            return await next(request);
        }
    }
}
