using System.Diagnostics.Metrics;
using CoordBot.Outbox;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CoordBot.Telemetry;

/// <summary>
/// The outbox backlog across all workspaces, read from the outbox table at most once per
/// <see cref="CacheFor"/>, and the two gauges that publish it (docs/observability.md):
/// <c>coordbot.outbox.backlog</c> (messages due and not sent) and <c>coordbot.outbox.oldest_due_age</c>
/// (seconds the oldest of them has waited past its time). The gauges are read only when a metrics
/// exporter collects them; <c>/readyz</c> reads the same figures.
/// </summary>
public sealed class OutboxBacklogGauges : IDisposable
{
    /// <summary>How long one reading of the table is reused.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    private readonly OutboxStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly SemaphoreSlim _reading = new(1, 1);
    private volatile Reading? _last;

    /// <summary>One reading: the backlog, and when it was read.</summary>
    public sealed record Reading(OutboxStore.Backlog Backlog, DateTimeOffset At)
    {
        /// <summary>How long the oldest due message had waited past its time when read (zero when none is waiting).</summary>
        public TimeSpan OldestDueAge => Backlog.OldestDue is { } due && At > due ? At - due : TimeSpan.Zero;
    }

    public OutboxBacklogGauges(OutboxStore store, TimeProvider time, IMeterFactory? meters = null, ILogger<OutboxBacklogGauges>? logger = null)
    {
        _store = store;
        _time = time;
        _logger = logger ?? NullLogger<OutboxBacklogGauges>.Instance;
        _ownsMeter = meters is null;
        _meter = meters?.Create(CoordBotTelemetry.Name) ?? new Meter(CoordBotTelemetry.Name);
        _meter.CreateObservableGauge("coordbot.outbox.backlog", () => Observe(r => r.Backlog.Count), "{message}",
            "Outbox messages due and not sent yet (being sent included), across all workspaces.");
        _meter.CreateObservableGauge("coordbot.outbox.oldest_due_age", () => Observe(r => r.OldestDueAge.TotalSeconds), "s",
            "How long the oldest due outbox message has waited past its time, across all workspaces (0 when none waits).");
    }

    /// <summary>The backlog, from a reading at most <see cref="CacheFor"/> old.</summary>
    public async Task<Reading> ReadAsync(CancellationToken ct = default)
    {
        if (Fresh(_last) is { } cached) return cached;
        await _reading.WaitAsync(ct);
        try
        {
            if (Fresh(_last) is { } again) return again;
            var now = _time.GetUtcNow();
            var reading = new Reading(await _store.BacklogAsync(now, ct), now);
            _last = reading;
            return reading;
        }
        finally
        {
            _reading.Release();
        }
    }

    private Reading? Fresh(Reading? reading) => reading is not null && _time.GetUtcNow() - reading.At < CacheFor ? reading : null;

    /// <summary>A gauge's callback (on the exporter's thread): one measurement, or none when the table cannot be read.</summary>
    private IEnumerable<Measurement<T>> Observe<T>(Func<Reading, T> value) where T : struct
    {
        Reading reading;
        try
        {
            reading = ReadAsync().GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Could not read the outbox backlog for its gauges");
            return [];
        }
        return [new Measurement<T>(value(reading))];
    }

    public void Dispose()
    {
        if (_ownsMeter) _meter.Dispose();
        _reading.Dispose();
    }
}
