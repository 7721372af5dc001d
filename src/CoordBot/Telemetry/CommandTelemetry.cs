using System.Diagnostics;
using CoordBot.Chat;

namespace CoordBot.Telemetry;

/// <summary>
/// One chat command's span (<c>command {name}</c>) and measurements (<c>coordbot.commands</c>,
/// <c>coordbot.command.duration</c>). Started by the router only when something listens; the command's
/// name is set once the router has matched it against the command table, so a typo or a pasted
/// sentence is never a tag: unmatched input is "unknown", help is "help".
/// </summary>
public sealed class CommandTelemetry
{
    private static readonly AsyncLocal<CommandTelemetry?> CurrentCommand = new();

    private readonly string _channel;
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly Activity? _activity;
    private string _command = "unknown";
    private bool _failed;

    private CommandTelemetry(string channel, TimeProvider time, Activity? activity)
    {
        _channel = channel;
        _time = time;
        _started = time.GetTimestamp();
        _activity = activity;
    }

    /// <summary>The command being handled on this async flow, when it is measured.</summary>
    public static CommandTelemetry? Current => CurrentCommand.Value;

    /// <summary>True when a span or a measurement of a command would be kept (telemetry is on).</summary>
    public static bool Listening =>
        CoordBotTelemetry.Source.HasListeners() || CoordBotTelemetry.Commands.Enabled || CoordBotTelemetry.CommandDuration.Enabled;

    /// <summary>Starts measuring a command from <paramref name="channel"/> (the platform), or returns null when nothing listens.</summary>
    public static CommandTelemetry? Start(string channel, TimeProvider time)
    {
        if (!Listening) return null;
        var traced = CoordBotTelemetry.Source.HasListeners();
        var activity = traced ? CoordBotTelemetry.Source.StartActivity("command") : null;
        activity?.SetTag(CoordBotTelemetry.ChannelTag, channel);
        var command = new CommandTelemetry(channel, time, activity);
        CurrentCommand.Value = command;
        return command;
    }

    /// <summary>Names the command (a name from the command table, never user text) on the span and the measurements.</summary>
    public void Matched(string command)
    {
        _command = command;
        if (_activity is null) return;
        _activity.DisplayName = "command " + command;
        _activity.SetTag(CoordBotTelemetry.CommandTag, command);
    }

    /// <summary>The command failed with an unexpected error (its reply is an apology with an error id).</summary>
    public void Failed(string? errorId)
    {
        _failed = true;
        _activity?.SetStatus(ActivityStatusCode.Error, errorId is null ? "error" : "error " + errorId);
    }

    /// <summary>Ends the span and records the count and duration, with the outcome read from <paramref name="reply"/>.</summary>
    public void Stop(Reply? reply)
    {
        var outcome = _failed ? "error" : reply is null ? "none" : reply.IsError ? "refused" : "ok";
        var tags = new TagList
        {
            { CoordBotTelemetry.CommandTag, _command },
            { CoordBotTelemetry.ChannelTag, _channel },
        };
        CoordBotTelemetry.CommandDuration.Record(_time.GetElapsedTime(_started).TotalSeconds, tags);
        tags.Add(CoordBotTelemetry.OutcomeTag, outcome);
        CoordBotTelemetry.Commands.Add(1, tags);
        if (_activity is not null)
        {
            _activity.SetTag(CoordBotTelemetry.OutcomeTag, outcome);
            _activity.Dispose();
        }
        CurrentCommand.Value = null;
    }
}
