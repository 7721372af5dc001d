using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using CoordBot.Chat;
using CoordBot.Chat.Rendering;
using CoordBot.CheckIns;
using CoordBot.Data;
using CoordBot.Slack.BlockKit;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CoordBot.Benchmarks;

/// <summary>
/// The weekly check-in digest of a large, long-running initiative: 40 members and three years of
/// weekly check-ins in a real SQLite file. The initiative is set up through the real router; the
/// history is loaded with <see cref="CheckInStore.ImportAsync"/> (what <c>checkin import</c> uses).
/// Measures <see cref="CheckInDigest.BuildAsync"/> for the last week, <c>checkin report</c> over 26
/// and 156 weeks, the 36-month roll-up and the 156-week chart as SVG and as PNG (with its size), then prints the digest as plain text. The
/// initiative uses the detailed Built for Zero template (nine metrics: the totals and their list statuses) and a
/// veterans functional-zero goal, the heaviest digest there is.
/// </summary>
public static class DigestBench
{
    private const string Workspace = "bench";
    private const string Creator = "U01";
    private const int Members = 40;
    private const int Weeks = 156;
    private const double Baseline = 400;
    private static readonly TimeSpan WarmupTime = TimeSpan.FromSeconds(2);

    internal sealed record Result(string Name, int Iterations, double MedianMs, double P95Ms, double MeanMs, double AllocatedKb);

    public static async Task<int> RunAsync(string[] args)
    {
        var iterations = Array.IndexOf(args, "--iterations") is var i and >= 0 && i + 1 < args.Length &&
            int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 200;
        var keepDb = args.Contains("--keep-db");
        var dbPath = Path.Combine(Path.GetTempPath(), $"coordbot-digest-{Guid.NewGuid():N}.db");

        // The core as the app composes it (CoordBotServices), as the ally benchmark builds it.
        var provider = new ServiceCollection()
            .AddLogging(b => b.SetMinimumLevel(LogLevel.Warning))
            .AddCoordBot(new StorageOptions { ConnectionString = $"Data Source={dbPath}" })
            .BuildServiceProvider();
        try
        {
            await provider.GetRequiredService<Migrator>().ApplyAsync();
            var router = provider.GetRequiredService<CommandRouter>();
            var digest = provider.GetRequiredService<CheckInDigest>();

            var members = Enumerable.Range(1, Members).Select(m => $"U{m:D2}").ToList();
            var setup = await router.HandleAsync(new ChatRequest("slack", Workspace, "C1", Creator,
                "checkin setup \"Veteran homelessness\" --template bfz-detailed --population veterans --baseline 400 --target 0 --by 2028-12-31 --members " +
                string.Join(' ', members.Select(m => $"<@{m}>"))));
            if (setup is null || setup.IsError) throw new InvalidOperationException($"checkin setup failed: {setup?.Text ?? "no reply"}");
            var initiative = await provider.GetRequiredService<InitiativeStore>().FindAsync(Workspace, "I1")
                ?? throw new InvalidOperationException("The initiative I1 was not created.");

            // The last week whose digest is due, as the digest job would post it.
            var cycle = new CheckInCycle(initiative);
            var week = cycle.Latest(CheckInStage.Digest, TimeProvider.System.GetUtcNow()).Week;
            var weeks = CheckInSummary.WeeksEndingWith(week, Weeks);
            var history = History(cycle, weeks, members);
            var start = Stopwatch.GetTimestamp();
            await provider.GetRequiredService<CheckInStore>().ImportAsync(Workspace, initiative.Id, history);
            var importTime = Stopwatch.GetElapsedTime(start);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Imported {history.Count:N0} check-ins ({Weeks} weeks × {Members} members, {weeks[0]} to {week}) in {importTime.TotalMilliseconds:F0} ms; " +
                $"database {DatabaseBytes(dbPath) / 1048576.0:F1} MB (with the WAL)."));

            // The digest must be the full one (everyone answered, the books balance), or the timing measures the wrong path.
            var built = await digest.BuildAsync(Workspace, initiative, week, default);
            var plain = PlainTextRenderer.Render(built);
            if (!plain.Contains($"{Members} of {Members} (100%)", StringComparison.Ordinal) || !plain.Contains("as reported. ✓", StringComparison.Ordinal))
                throw new InvalidOperationException("The digest is not the full, balanced one:" + Environment.NewLine + plain);

            var chart = await digest.ChartAsync(Workspace, initiative.Id, 0, week, Weeks, default) ?? throw new InvalidOperationException("no chart");
            var png = await digest.ChartPngAsync(Workspace, initiative.Id, 0, week, Weeks, default) ?? throw new InvalidOperationException("no chart");
            if (chart.Points.Count != Weeks || !chart.Points.Any(p => p.Highlight))
                throw new InvalidOperationException($"The chart should have {Weeks} weeks and a signal: {chart.AltText}");

            var warmup = Math.Max(50, iterations / 4);
            var store = provider.GetRequiredService<CheckInStore>();
            var results = new List<Result>
            {
                await MeasureAsync("digest (BuildAsync, 26-week charts)", () => digest.BuildAsync(Workspace, initiative, week, default), warmup, iterations),
                await MeasureAsync("report --weeks 26 (ReportAsync)", () => digest.ReportAsync(Workspace, initiative, week, 26, default), warmup, iterations),
                await MeasureAsync("report --weeks 156 (ReportAsync)", () => digest.ReportAsync(Workspace, initiative, week, Weeks, default), warmup, iterations),
                await MeasureAsync("monthly report, 36 months (MonthlyReportAsync)", () => digest.MonthlyReportAsync(Workspace, initiative, week, 36, default), warmup, iterations),
                await MeasureAsync("chart SVG, 156 weeks (ChartSvgAsync)",
                    async () => await digest.ChartSvgAsync(Workspace, initiative.Id, 0, week, Weeks, default) ?? throw new InvalidOperationException("no chart"),
                    warmup, iterations),
                await MeasureAsync("chart PNG 800×400, 156 weeks (ChartPngAsync)",
                    async () => await digest.ChartPngAsync(Workspace, initiative.Id, 0, week, Weeks, default) ?? throw new InvalidOperationException("no chart"),
                    warmup, iterations),
                await MeasureAsync("PNG drawing and encoding alone (RunChartPng.Render)",
                    () => Task.FromResult(RunChartPng.Render(chart.Title, chart.Unit, chart.Points, chart.Median, chart.Target, phases: chart.Phases)), warmup, iterations),
                // The store read each of them starts with, alone: how much of their time is SQLite and JSON.
                await MeasureAsync("store read alone: HistoryAsync, 26 weeks", () => store.HistoryAsync(Workspace, initiative.Id, weeks[^26], default), warmup, iterations),
                await MeasureAsync("store read alone: HistoryAsync, 156 weeks", () => store.HistoryAsync(Workspace, initiative.Id, weeks[0], default), warmup, iterations),
            };

            var messages = BlockKitRenderer.Messages(built);
            var blockKitChars = messages.Sum(m => m.ToJsonString().Length);
            var blocks = messages.Sum(m => m["blocks"]!.AsArray().Count);

            Console.WriteLine();
            Console.WriteLine("| Operation | Iterations | Median (ms) | p95 (ms) | Mean (ms) | Allocated (KB/op) |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|");
            foreach (var r in results)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {r.Name} | {r.Iterations} | {r.MedianMs:F2} | {r.P95Ms:F2} | {r.MeanMs:F2} | {r.AllocatedKb:N0} |"));
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
                - Chart PNG of the aim, {Weeks} weeks, 800×400: {png.Length / 1024.0:F1} KB ({png.Length:N0} bytes); its text alternative: "{chart.AltText}"
                - Digest rendered: Block Kit {messages.Count} message(s), {blocks} blocks, {blockKitChars:N0} characters of JSON; plain text {plain.Length:N0} characters
                - Data: {history.Count:N0} check-ins, {history.Count(c => c.Wins is not null):N0} with wins, {history.Count(c => c.Barriers is not null):N0} with barriers, {history.Count(c => c.HelpNeeded is not null):N0} with help needed; import {importTime.TotalMilliseconds:F0} ms
                - {iterations} iterations each after a warm-up of at least {warmup} calls and {WarmupTime.TotalSeconds:F0} s, sequential; allocation = GC.GetTotalAllocatedBytes around the timed loop / iterations
                - Machine: {Environment.ProcessorCount} logical processors, {RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture}{LoadAverage()}
                - Runtime: {RuntimeInformation.FrameworkDescription}, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC
                """));
            Console.WriteLine();
            Console.WriteLine("The digest as plain text:");
            Console.WriteLine();
            Console.WriteLine(plain);
            return 0;
        }
        finally
        {
            await provider.DisposeAsync();
            SqliteConnection.ClearAllPools();
            if (keepDb)
                Console.WriteLine($"Database kept at {dbPath}");
            else
                foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(dbPath + suffix);
        }
    }

    internal static async Task<Result> MeasureAsync<T>(string name, Func<Task<T>> run, int warmup, int iterations)
    {
        // Warm-up by count and by time: tiered JIT promotes a method after 30 calls plus a background compile, which
        // lags on a busy machine; with a count alone the first case measured ran about twice as slow as when measured
        // again at the end. Then a collection, so earlier garbage isn't billed here.
        var warmupStart = Stopwatch.GetTimestamp();
        for (var i = 0; i < warmup || Stopwatch.GetElapsedTime(warmupStart) < WarmupTime; i++) await run();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var samples = new double[iterations];
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < iterations; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await run();
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Array.Sort(samples);
        var result = new Result(name, iterations, Percentile(samples, 0.50), Percentile(samples, 0.95), samples.Average(), allocated / 1024.0 / iterations);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name}: median {result.MedianMs:F2} ms"));
        return result;
    }

    private static long DatabaseBytes(string path) =>
        new[] { "", "-wal" }.Sum(suffix => File.Exists(path + suffix) ? new FileInfo(path + suffix).Length : 0);

    /// <summary>The 1/5/15-minute load average where the OS shows it: other work on the machine skews the figures.</summary>
    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? "; load average " + string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "";

    /// <summary>Nearest-rank percentile of sorted samples.</summary>
    private static double Percentile(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>
    /// Three years of a Built for Zero community: actively homeless drifts from the baseline down by
    /// about 1.6 a week with noise; each week's inflow (about 40) and outflow are spread over the
    /// members so that they balance (actively = last week's + inflow − outflow). The ten data leads
    /// report the by-name list's count; everyone reports their part of the flows. A third of the
    /// check-ins carry each of the four answers.
    /// </summary>
    private static List<CheckIn> History(CheckInCycle cycle, IReadOnlyList<string> weeks, IReadOnlyList<string> members)
    {
        var random = new Random(42);
        var rows = new List<CheckIn>(weeks.Count * members.Count);
        var actively = Baseline;
        foreach (var week in weeks)
        {
            var next = Math.Max(0, Math.Round(Baseline - 1.6 * (rows.Count / members.Count + 1) + 6 * Gaussian(random)));
            var inflow = new int[members.Count];
            var outflow = new int[members.Count];
            var inflowTotal = 30 + random.Next(21);
            var outflowTotal = (int)(actively + inflowTotal - next);
            if (outflowTotal < 0) (inflowTotal, outflowTotal) = (inflowTotal - outflowTotal, 0);
            for (var k = 0; k < inflowTotal; k++) inflow[random.Next(members.Count)]++;
            for (var k = 0; k < outflowTotal; k++) outflow[random.Next(members.Count)]++;
            actively = next;

            var prompt = cycle.At(CheckInStage.Prompt, week);
            for (var m = 0; m < members.Count; m++)
            {
                var values = new Dictionary<string, double>(StringComparer.Ordinal) { ["inflow"] = inflow[m], ["outflow"] = outflow[m] };
                // The list statuses each flow is made of (the detailed template): every person in, and out, has one.
                Split(random, values, inflow[m], [("newly identified", 0.7), ("returned from housing", 0.15), ("returned from inactive", 0.15)]);
                Split(random, values, outflow[m], [("moved to housing", 0.6), ("moved to inactive", 0.35), ("no longer meets criteria", 0.05)]);
                if (m < 10) values["actively homeless"] = actively;
                string? Maybe(string[] phrases) => random.Next(3) == 0 ? Sentence(random, phrases) : null;
                rows.Add(new CheckIn(week, members[m], values, Maybe(WinPhrases), Maybe(BarrierPhrases), Maybe(NextPhrases), Maybe(HelpPhrases),
                    prompt.AddMinutes(random.Next(48 * 60)).AddTicks(random.Next(10_000_000))));
            }
        }
        return rows;
    }

    /// <summary>Gives each of <paramref name="count"/> people one of the statuses, with the given shares.</summary>
    private static void Split(Random random, Dictionary<string, double> values, int count, (string Status, double Share)[] statuses)
    {
        foreach (var (status, _) in statuses) values[status] = 0;
        for (var k = 0; k < count; k++)
        {
            var roll = random.NextDouble();
            var pick = statuses[^1].Status;
            foreach (var (status, share) in statuses)
            {
                if (roll < share) { pick = status; break; }
                roll -= share;
            }
            values[pick]++;
        }
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>About 100 characters: different phrases, as sentences, until the text is long enough.</summary>
    private static string Sentence(Random random, string[] phrases)
    {
        var picked = phrases.ToArray();
        random.Shuffle(picked);
        var text = picked[0] + ".";
        for (var i = 1; text.Length < 90 && i < picked.Length; i++) text += " " + picked[i] + ".";
        return text;
    }

    private static readonly string[] WinPhrases =
    [
        "Housed 3 veterans through HUD-VASH", "Two landlords on Elm Street agreed to hold units for referrals",
        "Case conferencing cleared 11 names from the by-name list", "SSVF rapid rehousing funds arrived a week early",
        "Outreach found the couple camping by the river and got them into bridge housing", "VA clinic now does same-day intake",
        "Move-in kits fully stocked thanks to the church drive", "Coordinated entry wait dropped to 9 days",
    ];

    private static readonly string[] BarrierPhrases =
    [
        "Vacancy rate under 2 percent", "Three clients lack ID and the DMV backlog is six weeks", "Security deposits exceed the SSVF cap",
        "Outreach team down one worker", "Landlords refusing vouchers in the north end", "HMIS data entry lagging at the shelter",
        "Two referrals lost contact after discharge from the hospital", "Bridge housing full since the cold snap",
    ];

    private static readonly string[] NextPhrases =
    [
        "Follow up with the housing authority on the voucher extension", "Schedule landlord breakfast for March",
        "Reconcile the by-name list with HMIS", "Train new outreach staff on the VI-SPDAT", "Draft MOU with the county jail re-entry team",
    ];

    private static readonly string[] HelpPhrases =
    [
        "Need a contact at the county DMV to speed up IDs", "Looking for furniture donations for four move-ins",
        "Could anyone share a landlord incentive template", "Need volunteer drivers for Thursday VA appointments",
        "Any bridge beds open for a veteran with a service dog", "Seeking a pro bono lawyer for an eviction record",
    ];
}
