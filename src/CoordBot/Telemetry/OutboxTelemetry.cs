using System.Diagnostics;
using CoordBot.Outbox;

namespace CoordBot.Telemetry;

/// <summary>The outbox's span per send (<c>outbox send</c>) and its <c>coordbot.outbox.sends</c> counter (docs/observability.md).</summary>
public static class OutboxTelemetry
{
    /// <summary>A span around one send and the recording of its outcome; null when nothing listens.</summary>
    public static Activity? StartSend(string platform)
    {
        if (!CoordBotTelemetry.Source.HasListeners()) return null;
        var activity = CoordBotTelemetry.Source.StartActivity("outbox send", ActivityKind.Producer);
        activity?.SetTag(CoordBotTelemetry.PlatformTag, platform);
        return activity;
    }

    /// <summary>Records a send's outcome: sent, rate_limited, retry (a transient error, tried again) or failed (given up).</summary>
    public static void Sent(Activity? span, string platform, SendResult result, bool again)
    {
        if (span is null && !CoordBotTelemetry.OutboxSends.Enabled) return;
        var outcome = Outcome(result, again);
        span?.SetTag(CoordBotTelemetry.OutcomeTag, outcome);
        if (outcome == "failed") span?.SetStatus(ActivityStatusCode.Error);
        CoordBotTelemetry.OutboxSends.Add(1,
            new KeyValuePair<string, object?>(CoordBotTelemetry.PlatformTag, platform),
            new KeyValuePair<string, object?>(CoordBotTelemetry.OutcomeTag, outcome));
    }

    internal static string Outcome(SendResult result, bool again) => result switch
    {
        SendResult.SentResult => "sent",
        SendResult.RateLimited => "rate_limited",
        SendResult.Transient when again => "retry",
        _ => "failed",
    };
}
