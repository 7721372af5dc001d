using Microsoft.Extensions.Logging;
using Quartz;

namespace CoordBot.Scheduling;

/// <summary>
/// The one Quartz job: rebuilds the send from its job data and hands it to the handler of its kind.
/// Failures are logged, never rethrown, so a broken send does not refire for ever.
/// </summary>
public sealed class ScheduledSendJob(IEnumerable<IScheduledSendHandler> handlers, TimeProvider time, ILogger<ScheduledSendJob> logger) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        // A one-time send's own time: after a misfire Quartz reports the moved trigger time, not the one the send was due.
        var scheduledAt = QuartzScheduledSends.StoredFireAt(context.MergedJobDataMap) ?? context.ScheduledFireTimeUtc ?? context.FireTimeUtc;
        var send = QuartzScheduledSends.ToSend(context.JobDetail.Key, context.JobDetail.JobDataMap, scheduledAt);
        var handler = handlers.FirstOrDefault(h => string.Equals(h.Kind, send.Kind, StringComparison.Ordinal));
        if (handler is null)
        {
            logger.LogWarning("No handler for scheduled send {Key} of kind {Kind}; dropped", send.Key, send.Kind);
            return;
        }
        var late = time.GetUtcNow() - scheduledAt;
        try
        {
            await handler.HandleAsync(send, late, cancellationToken);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            logger.LogError(ex, "Scheduled send {Key} of kind {Kind} failed", send.Key, send.Kind);
        }
    }
}
