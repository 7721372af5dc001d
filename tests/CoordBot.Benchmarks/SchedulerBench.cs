using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using CoordBot.Data;
using CoordBot.Scheduling;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;

namespace CoordBot.Benchmarks;

/// <summary>
/// The persistent schedule at size: seeds pending sends through <see cref="IScheduledSends"/> into a
/// fresh SQLite file, then restarts a host on it several times and measures how long until the
/// scheduler runs and a workspace's <c>Upcoming</c> has been answered (what <c>coord status</c> needs).
/// </summary>
public static class SchedulerBench
{
    private const int Workspaces = 10;

    public static async Task<int> RunAsync(string[] args)
    {
        int Arg(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length &&
            int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : fallback;
        var sends = Arg("--sends", 10_000);
        var starts = Arg("--starts", 5);

        var folder = Path.Combine(Path.GetTempPath(), $"coordbot-scheduler-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        var storage = new StorageOptions { ConnectionString = $"Data Source={Path.Combine(folder, "coordbot.db")}" };
        try
        {
            // Seed: one host, sends spread over the next 30 days and over ten workspaces, one call each.
            var now = DateTimeOffset.UtcNow;
            TimeSpan seedTime;
            using (var host = await StartAsync(storage))
            {
                var schedule = host.Services.GetRequiredService<IScheduledSends>();
                var start = Stopwatch.GetTimestamp();
                for (var i = 0; i < sends; i++)
                {
                    var workspace = $"W{i % Workspaces}";
                    await schedule.ScheduleAsync(new ScheduledSend(
                        $"election-reminder:{workspace}:E{i}:-30", "election-reminder", workspace,
                        now.AddDays(1).AddSeconds(i * 250), new Dictionary<string, string> { ["election"] = $"E{i}", ["offset"] = "-30" }));
                }
                seedTime = Stopwatch.GetElapsedTime(start);
                await host.StopAsync();
            }

            // Restarts: build and start a host, wait for the scheduler to run, answer one Upcoming.
            var toRunning = new List<double>();
            var toUpcoming = new List<double>();
            var upcomingOnly = new List<double>();
            for (var run = 0; run < starts; run++)
            {
                SqliteConnection.ClearAllPools();
                var start = Stopwatch.GetTimestamp();
                using var host = await StartAsync(storage);
                var scheduler = await host.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
                while (scheduler.Status != SchedulerStatus.Running) await Task.Delay(1);
                toRunning.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                var before = Stopwatch.GetTimestamp();
                var upcoming = await host.Services.GetRequiredService<IScheduledSends>().UpcomingAsync($"W{run % Workspaces}", 10);
                upcomingOnly.Add(Stopwatch.GetElapsedTime(before).TotalMilliseconds);
                toUpcoming.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                if (upcoming.Count != 10) throw new InvalidOperationException($"Upcoming answered {upcoming.Count} sends, expected 10.");
                await host.StopAsync();
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""

                | Scheduler ({sends:N0} pending sends, {Workspaces} workspaces) | Median | Min | Max |
                |---|---:|---:|---:|
                | Schedule all {sends:N0} (sequential ScheduleAsync), total | {seedTime.TotalSeconds:F2} s | | |
                | Per ScheduleAsync | {seedTime.TotalMilliseconds / sends:F2} ms | | |
                | Host start → scheduler running ({starts} starts) | {Median(toRunning):F0} ms | {toRunning.Min():F0} ms | {toRunning.Max():F0} ms |
                | Host start → first Upcoming answered | {Median(toUpcoming):F0} ms | {toUpcoming.Min():F0} ms | {toUpcoming.Max():F0} ms |
                | First Upcoming(10) alone ({sends / Workspaces:N0} sends in the workspace) | {Median(upcomingOnly):F1} ms | {upcomingOnly.Min():F1} ms | {upcomingOnly.Max():F1} ms |

                - Database: {new FileInfo(Path.Combine(folder, "coordbot.db")).Length / 1048576.0:F1} MB (+ WAL); host start includes building the container and the migration check
                - Machine: {Environment.ProcessorCount} logical processors, {RuntimeInformation.OSDescription}; {RuntimeInformation.FrameworkDescription}
                """));
            return 0;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>A host as the app composes the core and the scheduler, with migrations applied first.</summary>
    private static async Task<IHost> StartAsync(StorageOptions storage)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning)).AddCoordBot(storage);
        var host = builder.Build();
        await host.Services.GetRequiredService<Migrator>().ApplyAsync();
        await host.StartAsync();
        return host;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
