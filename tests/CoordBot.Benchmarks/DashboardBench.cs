using System.Globalization;
using System.Runtime.InteropServices;
using CoordBot.Chat;
using CoordBot.CheckIns;
using CoordBot.Dashboard;
using CoordBot.Data;
using CoordBot.Host.Dashboard;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CoordBot.Benchmarks;

/// <summary>
/// The web dashboard's server time: the page of one Built for Zero initiative (3 metrics) with 156 weeks of run chart,
/// 40 members and three years of weekly check-ins in a real SQLite file, rendered in process by the host's
/// <see cref="DashboardPages"/> (the store reads, the report's computations and the HTML), and each chart PNG the page
/// links to, separately. The session lookup that precedes each request is measured too. Target: under 100 ms median for the page.
/// </summary>
public static class DashboardBench
{
    private const string Workspace = "bench";
    private const string Creator = "U01";
    private const int Members = 40;
    private const int Weeks = 156;

    public static async Task<int> RunAsync(string[] args)
    {
        var iterations = Array.IndexOf(args, "--iterations") is var i and >= 0 && i + 1 < args.Length &&
            int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 200;
        var keepDb = args.Contains("--keep-db");
        var dbPath = Path.Combine(Path.GetTempPath(), $"coordbot-dashboard-{Guid.NewGuid():N}.db");
        var provider = new ServiceCollection()
            .AddLogging(b => b.SetMinimumLevel(LogLevel.Warning))
            .AddCoordBot(new StorageOptions { ConnectionString = $"Data Source={dbPath}" })
            .AddSingleton<DashboardPages>()
            .BuildServiceProvider();
        try
        {
            await provider.GetRequiredService<Migrator>().ApplyAsync();
            var router = provider.GetRequiredService<CommandRouter>();
            var members = Enumerable.Range(1, Members).Select(m => $"U{m:D2}").ToList();
            var setup = await router.HandleAsync(new ChatRequest("slack", Workspace, "C1", Creator,
                "checkin setup \"Veteran homelessness\" --template bfz --baseline 400 --target 0 --by 2028-12-31 --members " + string.Join(' ', members.Select(m => $"<@{m}>"))));
            if (setup is null || setup.IsError) throw new InvalidOperationException($"checkin setup failed: {setup?.Text ?? "no reply"}");
            var initiative = await provider.GetRequiredService<InitiativeStore>().FindAsync(Workspace, "I1") ?? throw new InvalidOperationException("no I1");
            var cycle = new CheckInCycle(initiative);
            var weeks = CheckInSummary.WeeksEndingWith(cycle.WeekAt(TimeProvider.System.GetUtcNow()), Weeks);
            var history = History(cycle, weeks, members);
            await provider.GetRequiredService<CheckInStore>().ImportAsync(Workspace, initiative.Id, history);

            // A real session, as the browser's cookie finds it.
            var sessions = provider.GetRequiredService<DashboardSessions>();
            var link = await sessions.LinkAsync(Workspace, Creator);
            var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(link[link.IndexOf('?')..]);
            var (cookie, refusal) = await sessions.OpenAsync(query["w"], query["u"], query["g"], query["exp"], query["sig"]);
            var session = await sessions.LookupAsync(cookie) ?? throw new InvalidOperationException($"no session: {refusal}");

            var pages = provider.GetRequiredService<DashboardPages>();
            var page = await pages.InitiativeAsync(session, initiative.RefNo, Weeks, print: false, default) ?? throw new InvalidOperationException("no page");
            var charts = page.Split("<img").Length - 1;
            if (charts != 3 || !page.Contains("Balance check", StringComparison.Ordinal) || !page.Contains($"{Weeks} weeks to", StringComparison.Ordinal))
                throw new InvalidOperationException($"The page is not the full one ({charts} charts).");
            var png = await pages.ChartAsync(session, initiative.RefNo, 0, Weeks, default) ?? throw new InvalidOperationException("no chart");

            var warmup = Math.Max(50, iterations / 4);
            var results = new List<DigestBench.Result>
            {
                await DigestBench.MeasureAsync($"initiative page, 3 metrics × {Weeks} weeks (data + HTML)",
                    async () => await pages.InitiativeAsync(session, initiative.RefNo, Weeks, print: false, default) ?? throw new InvalidOperationException("no page"), warmup, iterations),
                await DigestBench.MeasureAsync($"print view, {Weeks} weeks", async () => await pages.InitiativeAsync(session, initiative.RefNo, Weeks, print: true, default) ?? "", warmup, iterations),
                await DigestBench.MeasureAsync("Initiatives page (26 weeks)", () => pages.InitiativesAsync(session, default), warmup, iterations),
                await DigestBench.MeasureAsync($"chart PNG 800×400, {Weeks} weeks (one per metric)",
                    async () => await pages.ChartAsync(session, initiative.RefNo, 0, Weeks, default) ?? throw new InvalidOperationException("no chart"), warmup, iterations),
                await DigestBench.MeasureAsync("session lookup (cookie → session)", async () => await sessions.LookupAsync(cookie) ?? throw new InvalidOperationException("no session"),
                    warmup, iterations),
            };
            Console.WriteLine();
            Console.WriteLine("| Operation | Iterations | Median (ms) | p95 (ms) | Mean (ms) | Allocated (KB/op) |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|");
            foreach (var r in results)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Name} | {r.Iterations} | {r.MedianMs:F2} | {r.P95Ms:F2} | {r.MeanMs:F2} | {r.AllocatedKb:N0} |"));
            var pageMs = results[0].MedianMs;
            var chartMs = results[3].MedianMs;
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
                - Initiative page: {page.Length:N0} characters of HTML, {charts} charts; with its 3 chart PNGs fetched one after another the server time is about {pageMs + 3 * chartMs:F0} ms (page {pageMs:F1} + 3 × {chartMs:F1}); target < 100 ms for the page: {(pageMs < 100 ? "met" : "NOT met")}
                - Chart PNG: {png.Length / 1024.0:F1} KB
                - Data: {history.Count:N0} check-ins ({Weeks} weeks × {Members} members)
                - {iterations} iterations each after a warm-up of at least {warmup} calls and 2 s, sequential
                - Machine: {Environment.ProcessorCount} logical processors, {RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture}{DigestBench.LoadAverage()}
                - Runtime: {RuntimeInformation.FrameworkDescription}, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC
                """));
            return pageMs < 100 ? 0 : 1;
        }
        finally
        {
            await provider.DisposeAsync();
            SqliteConnection.ClearAllPools();
            if (keepDb) Console.WriteLine($"Database kept at {dbPath}");
            else foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(dbPath + suffix);
        }
    }

    /// <summary>Three years of the three Built for Zero numbers, balanced: ten data leads report actively homeless, everyone their part of the flows.</summary>
    private static List<CheckIn> History(CheckInCycle cycle, IReadOnlyList<string> weeks, IReadOnlyList<string> members)
    {
        var random = new Random(42);
        var rows = new List<CheckIn>(weeks.Count * members.Count);
        var actively = 400.0;
        foreach (var (week, w) in weeks.Select((x, w) => (x, w)))
        {
            var inflow = new int[members.Count];
            var outflow = new int[members.Count];
            var inflowTotal = 30 + random.Next(21);
            var outflowTotal = Math.Max(0, inflowTotal + 1 + random.Next(-4, 5));
            if (actively + inflowTotal - outflowTotal < 0) outflowTotal = (int)actively + inflowTotal;
            for (var k = 0; k < inflowTotal; k++) inflow[random.Next(members.Count)]++;
            for (var k = 0; k < outflowTotal; k++) outflow[random.Next(members.Count)]++;
            actively += inflowTotal - outflowTotal;
            var prompt = cycle.At(CheckInStage.Prompt, week);
            for (var m = 0; m < members.Count; m++)
            {
                var values = new Dictionary<string, double>(StringComparer.Ordinal) { ["inflow"] = inflow[m], ["outflow"] = outflow[m] };
                if (m < 10) values["actively homeless"] = actively;
                rows.Add(new CheckIn(week, members[m], values, null, null, null, null, prompt.AddMinutes(random.Next(48 * 60)).AddSeconds(m)));
            }
        }
        return rows;
    }
}
