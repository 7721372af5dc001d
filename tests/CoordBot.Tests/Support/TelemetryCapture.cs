using System.Diagnostics;
using System.Diagnostics.Metrics;
using CoordBot.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace CoordBot.Tests.Support;

/// <summary>
/// What a host with telemetry on exports, kept in memory: OpenTelemetry's in-memory exporter for spans and
/// metrics, added next to the host's OTLP exporter. <see cref="WaitUntilAsync"/> re-checks its condition
/// whenever a span ends or a CoordBot instrument records, so tests wait on signals rather than sleeps.
/// </summary>
public sealed class TelemetryCapture : IDisposable
{
    private readonly Locked<Activity> _spans = new();
    private readonly Locked<MetricSnapshot> _metrics = new();
    private readonly SemaphoreSlim _pulse = new(0);
    private readonly MeterListener _listener = new();

    public TelemetryCapture()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == CoordBotTelemetry.Name) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((_, _, _, _) => Pulse());
        _listener.SetMeasurementEventCallback<double>((_, _, _, _) => Pulse());
        _listener.Start();
    }

    /// <summary>Adds the in-memory exporters to a host's services (its telemetry must be on: Telemetry:Otlp set).</summary>
    public void Register(IServiceCollection services)
    {
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(_spans).AddProcessor(new PulseProcessor(this)));
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddInMemoryExporter(_metrics));
    }

    public IReadOnlyList<Activity> Spans => _spans.Snapshot();

    /// <summary>Collects every metric of <paramref name="host"/> now and returns everything exported so far.</summary>
    public IReadOnlyList<MetricSnapshot> Collect(TestHost host)
    {
        host.Get<MeterProvider>().ForceFlush();
        return _metrics.Snapshot();
    }

    public IReadOnlyList<MetricSnapshot> Metrics => _metrics.Snapshot();

    /// <summary>Waits until <paramref name="condition"/> holds, checking it again after every span and measurement.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        while (!condition())
        {
            try { await _pulse.WaitAsync(limit.Token); }
            catch (OperationCanceledException) { throw new TimeoutException($"Waited in vain for {what}."); }
        }
    }

    private void Pulse()
    {
        if (_pulse.CurrentCount < 1000) _pulse.Release();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _pulse.Dispose();
    }

    /// <summary>The last cumulative value of a long counter's points whose tags include every one of <paramref name="tags"/>.</summary>
    public static long Sum(IReadOnlyList<MetricSnapshot> metrics, string name, params (string Key, string Value)[] tags) =>
        Points(metrics, name, tags).Sum(p => p.GetSumLong());

    /// <summary>How many values a histogram recorded, over its points that carry <paramref name="tags"/>.</summary>
    public static long HistogramCount(IReadOnlyList<MetricSnapshot> metrics, string name, params (string Key, string Value)[] tags) =>
        Points(metrics, name, tags).Sum(p => p.GetHistogramCount());

    /// <summary>The points of the last export of <paramref name="name"/> (cumulative, so the last export has the totals).</summary>
    public static IEnumerable<MetricPoint> Points(IReadOnlyList<MetricSnapshot> metrics, string name, params (string Key, string Value)[] tags)
    {
        var last = metrics.LastOrDefault(m => m.Name == name);
        if (last is null) return [];
        return last.MetricPoints.Where(p => tags.All(t => TagsOf(p).Any(kv => kv.Key == t.Key && Equals(kv.Value?.ToString(), t.Value)))).ToList();
    }

    public static List<KeyValuePair<string, object?>> TagsOf(MetricPoint point)
    {
        var tags = new List<KeyValuePair<string, object?>>();
        foreach (var tag in point.Tags) tags.Add(tag);
        return tags;
    }

    private sealed class PulseProcessor(TelemetryCapture capture) : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data) => capture.Pulse();
    }

    /// <summary>A list the exporters may add to from any thread while a test reads it.</summary>
    private sealed class Locked<T> : ICollection<T>
    {
        private readonly List<T> _items = [];
        private readonly Lock _gate = new();

        public List<T> Snapshot() { lock (_gate) return [.. _items]; }
        public void Add(T item) { lock (_gate) _items.Add(item); }
        public void Clear() { lock (_gate) _items.Clear(); }
        public bool Contains(T item) { lock (_gate) return _items.Contains(item); }
        public void CopyTo(T[] array, int arrayIndex) { lock (_gate) _items.CopyTo(array, arrayIndex); }
        public bool Remove(T item) { lock (_gate) return _items.Remove(item); }
        public int Count { get { lock (_gate) return _items.Count; } }
        public bool IsReadOnly => false;
        public IEnumerator<T> GetEnumerator() => Snapshot().GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
