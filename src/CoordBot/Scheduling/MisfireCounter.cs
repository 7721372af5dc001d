using CoordBot.Telemetry;
using Quartz;

namespace CoordBot.Scheduling;

/// <summary>
/// Counts Quartz's misfires (<c>coordbot.scheduler.misfires</c>, docs/observability.md): a trigger found
/// more than Quartz's misfire threshold late, because the host was down or too busy to fire it. The
/// send still goes (once, at start-up); the count tells an operator it went late.
/// </summary>
public sealed class MisfireCounter : ITriggerListener
{
    public string Name => "coordbot-misfires";

    public ValueTask TriggerMisfired(ITrigger trigger, IScheduler scheduler, CancellationToken cancellationToken = default)
    {
        CoordBotTelemetry.Misfire(trigger is ICronTrigger ? "weekly" : "once");
        return ValueTask.CompletedTask;
    }

    public ValueTask TriggerFired(ITrigger trigger, IJobExecutionContext context, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask<bool> VetoJobExecution(ITrigger trigger, IJobExecutionContext context, CancellationToken cancellationToken = default) => ValueTask.FromResult(false);

    public ValueTask TriggerComplete(ITrigger trigger, IJobExecutionContext context, SchedulerInstruction triggerInstructionCode,
        CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
