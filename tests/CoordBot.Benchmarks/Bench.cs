using System.Diagnostics;
using System.Globalization;
using CoordBot.Chat;

namespace CoordBot.Benchmarks;

/// <summary>
/// One measured command. <paramref name="Command"/> gets a per-case random source so the terms vary
/// across iterations (a single repeated query would be flattered by caches). <paramref name="Before"/>, when
/// given, runs before each run, untimed: <c>ally list</c> keeps pages until the workspace changes, so its
/// cases change it first and time the list a user sees after a change.
/// </summary>
public sealed record BenchCase(string Name, Func<Random, string> Command, bool ExpectItems, Func<Task>? Before = null);

public sealed record BenchResult(string Name, int Iterations, double MedianMs, double P95Ms, double MeanMs)
{
    public double OpsPerSecond => 1000 / MeanMs;
}

/// <summary>Runs commands through the real router, sequentially, one at a time (what one chat user sees).</summary>
public sealed class BenchRunner(CommandRouter router, string workspace, string user)
{
    public async Task<BenchResult> MeasureAsync(BenchCase bench, int warmup, int iterations)
    {
        var random = new Random(bench.Name.Length * 7919);
        for (var i = 0; i < warmup; i++) await RunAsync(bench, bench.Command(random));

        // A collection before each case, so garbage from the previous case isn't billed to this one.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var samples = new double[iterations];
        for (var i = 0; i < iterations; i++) samples[i] = await RunAsync(bench, bench.Command(random));

        Array.Sort(samples);
        return new BenchResult(bench.Name, iterations, Percentile(samples, 0.50), Percentile(samples, 0.95), samples.Average());
    }

    /// <summary>Times one command and checks the reply outside the timed region.</summary>
    private async Task<double> RunAsync(BenchCase bench, string command)
    {
        if (bench.Before is { } before) await before();
        var request = new ChatRequest("local", workspace, "general", user, command);
        var start = Stopwatch.GetTimestamp();
        var reply = await router.HandleAsync(request);
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;

        // A benchmark of error replies or empty results would measure the wrong code path.
        if (reply is null || reply.IsError)
            throw new InvalidOperationException($"\"{command}\" failed: {reply?.Text ?? "no reply"}");
        if (bench.ExpectItems && !reply.Blocks.OfType<ItemList>().Any(l => l.Items.Count > 0))
            throw new InvalidOperationException($"\"{command}\" returned no items: {reply.Text}");
        return elapsed;
    }

    /// <summary>Nearest-rank percentile of sorted samples.</summary>
    private static double Percentile(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    public static string Table(IEnumerable<BenchResult> results)
    {
        var lines = new List<string>
        {
            "| Command | Iterations | Median (ms) | p95 (ms) | Mean (ms) | ops/s |",
            "|---|---:|---:|---:|---:|---:|",
        };
        lines.AddRange(results.Select(r => string.Create(CultureInfo.InvariantCulture,
            $"| `{r.Name}` | {r.Iterations} | {r.MedianMs:F2} | {r.P95Ms:F2} | {r.MeanMs:F2} | {r.OpsPerSecond:F0} |")));
        return string.Join(Environment.NewLine, lines);
    }
}
