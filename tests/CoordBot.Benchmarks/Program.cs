// In-process throughput of the ally commands on a large workspace, through the real router and the
// real SQLite store (no mocks, no hosted services).
//
//   dotnet run -c Release --project tests/CoordBot.Benchmarks [-- --allies N] [--iterations N] [--quick] [--keep-db]
//       [--postgres "Host=127.0.0.1;Username=postgres;Password=postgres;Database=postgres"]   (a fresh schema on that server instead)
//
// With --slack-load it instead drives the real host over HTTP with signed slash commands (SlackLoad.cs):
//
//   dotnet run -c Release --project tests/CoordBot.Benchmarks -- --slack-load [--seconds N] [--connections N] [--only list,add,mix]
//
// With --scheduler it measures the Quartz-backed schedule instead (SchedulerBench.cs):
//
//   dotnet run -c Release --project tests/CoordBot.Benchmarks -- --scheduler [--sends N] [--starts N]
//
// With --digest it measures the weekly check-in digest and report of a 40-member initiative with three years of history (DigestBench.cs):
//
//   dotnet run -c Release --project tests/CoordBot.Benchmarks -- --digest [--iterations N] [--keep-db]
//
// With --fanout it fans a weekly check-in prompt out to 100 workspaces × 100 members through the real host
// against fake Slack and Teams APIs that enforce the documented rate limits (FanOutBench.cs):
//
//   dotnet run -c Release --project tests/CoordBot.Benchmarks -- --fanout [--platform slack|teams|both] [--workspaces N] [--members N] [--scale F]
//
// With --claims it times the outbox's claims of 10,000 due messages (ClaimBench.cs):
//
//   dotnet run -c Release --project tests/CoordBot.Benchmarks -- --claims [--rows N] [--rounds N] [--postgres CONN]
//
// With --dashboard it times the web dashboard's initiative page of 3 metrics × 156 weeks and its chart PNG, in process (DashboardBench.cs):
//
//   dotnet run -c Release --project tests/CoordBot.Benchmarks -- --dashboard [--iterations N] [--keep-db]
//
// With --ical it times the iCalendar reader on 2 MB adversarial calendars and a realistic 5,000-event feed (CalendarBench.cs):
//
//   dotnet run -c Release --project tests/CoordBot.Benchmarks -- --ical [--iterations N]

using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using CoordBot;
using CoordBot.Allies;
using CoordBot.Benchmarks;
using CoordBot.Chat;
using CoordBot.Data;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

const string Workspace = "bench";
const string OtherWorkspace = "other";
const string User = "alice";
const int BatchSize = 5_000;

if (args.Contains("--slack-load"))
    return await SlackLoad.RunAsync(args);
if (args.Contains("--scheduler"))
    return await SchedulerBench.RunAsync(args);
if (args.Contains("--digest"))
    return await DigestBench.RunAsync(args);
if (args.Contains("--fanout-instance"))
    return await FanOutBench.InstanceAsync(args);
if (args.Contains("--fanout"))
    return await FanOutBench.RunAsync(args);
if (args.Contains("--claims"))
    return await ClaimBench.RunAsync(args);
if (args.Contains("--dashboard"))
    return await DashboardBench.RunAsync(args);
if (args.Contains("--ical"))
    return await CalendarBench.RunAsync(args);

var options = Options.Parse(args);
var dbPath = Path.Combine(Path.GetTempPath(), $"coordbot-bench-{Guid.NewGuid():N}.db");
var schema = $"bench_{Guid.NewGuid():N}";
var storage = options.Postgres is { } server
    ? new StorageOptions { Provider = "postgres", ConnectionString = new Npgsql.NpgsqlConnectionStringBuilder(server) { SearchPath = schema }.ToString() }
    : new StorageOptions { ConnectionString = $"Data Source={dbPath}" };
if (options.Postgres is { } admin)
{
    await using var setup = new Npgsql.NpgsqlConnection(admin);
    await setup.ExecuteAsync($"CREATE SCHEMA {schema}");
}

// Built exactly as the app builds its core (CoordBotServices), minus the hosted outbox dispatcher.
var provider = new ServiceCollection()
    .AddLogging()
    .AddCoordBot(storage)
    .BuildServiceProvider();
try
{
    await provider.GetRequiredService<Migrator>().ApplyAsync();
    var store = provider.GetRequiredService<AllyStore>();
    var router = provider.GetRequiredService<CommandRouter>();

    var (seedTime, otherAllies, sample) = await SeedAsync(store, options.Allies);
    if (options.Postgres is not null)
    {
        // Fresh statistics, as autovacuum would gather them shortly after a bulk load.
        await using var analyze = await provider.GetRequiredService<Database>().OpenAsync();
        await analyze.ExecuteAsync("ANALYZE allies, ally_links, touchpoints");
    }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Seeded {options.Allies:N0} allies in \"{Workspace}\" and {otherAllies:N0} in \"{OtherWorkspace}\" in {seedTime.TotalSeconds:F1} s " +
        $"({options.Allies / seedTime.TotalSeconds:N0} allies/s){(options.Postgres is null ? $"; database {new FileInfo(dbPath).Length / 1048576.0:F0} MB" : " on PostgreSQL")}."));

    var database = provider.GetRequiredService<Database>();
    // What any change of the workspace's allies does to ally_counts (migration 24): the kept list pages no longer match.
    async Task Changed()
    {
        await using var connection = await database.OpenAsync();
        await connection.ExecuteAsync("UPDATE ally_counts SET version = version + 1 WHERE workspace_id = @Workspace", new { Workspace });
    }
    var cases = Cases(options.Allies, sample, Changed);
    var runner = new BenchRunner(router, Workspace, User);
    // Enough warm-up for tiered JIT to promote the hot paths (30 calls, then a background compile).
    var warmup = Math.Max(50, options.Iterations / 5);
    var results = new List<BenchResult>();
    foreach (var bench in cases)
    {
        var result = await runner.MeasureAsync(bench, warmup, options.Iterations);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {result.Name}: median {result.MedianMs:F2} ms"));
        results.Add(result);
    }

    // Every keeper's weekly relationship nudge for the workspace, composed as the Monday trigger composes them (not queued).
    var nudges = provider.GetRequiredService<RelationshipNudges>();
    var nudgeToday = DateOnly.FromDateTime(DateTime.UtcNow);
    var nudgeSamples = new List<double>();
    var composed = 0;
    for (var i = 0; i < 20 + 50; i++)
    {
        var start = Stopwatch.GetTimestamp();
        var keepers = await nudges.KeeperZonesAsync(Workspace, TimeZoneInfo.Utc, default);
        composed = (await nudges.ComposeAsync(Workspace, TimeZoneInfo.Utc.Id, keepers, nudgeToday, default)).Count;
        if (i >= 20) nudgeSamples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }
    nudgeSamples.Sort();
    results.Add(new BenchResult($"weekly nudges of all {composed} keepers (find keepers and zones, compose each DM)", nudgeSamples.Count,
        nudgeSamples[nudgeSamples.Count / 2], nudgeSamples[(int)Math.Ceiling(0.95 * nudgeSamples.Count) - 1], nudgeSamples.Average()));

    await using var connection = await provider.GetRequiredService<Database>().OpenAsync();
    var engine = options.Postgres is null
        ? "SQLite " + await connection.ExecuteScalarAsync<string>("SELECT sqlite_version()")
        : await connection.ExecuteScalarAsync<string>("SELECT split_part(version(), ' on ', 1)");
    using var process = Process.GetCurrentProcess();
    Console.WriteLine();
    Console.WriteLine(BenchRunner.Table(results));
    Console.WriteLine();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"""
        - Allies: {options.Allies:N0} in "{Workspace}" (+{otherAllies:N0} in "{OtherWorkspace}"); seed {seedTime.TotalSeconds:F1} s; {options.Iterations} iterations after {warmup} warm-up, sequential
        - Machine: {Environment.ProcessorCount} logical processors, {RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture}
        - Runtime: {RuntimeInformation.FrameworkDescription}, {engine}, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC
        - Peak working set: {process.PeakWorkingSet64 / 1048576.0:F0} MB
        """));
}
finally
{
    await provider.DisposeAsync();
    SqliteConnection.ClearAllPools();
    if (options.Postgres is { } admin2 && !options.KeepDb)
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        await using var cleanup = new Npgsql.NpgsqlConnection(admin2);
        await cleanup.ExecuteAsync($"DROP SCHEMA {schema} CASCADE");
    }
    else if (options.KeepDb)
        Console.WriteLine($"Database kept at {dbPath}");
    else
        foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(dbPath + suffix);
}
return 0;

// Seeds through AllyStore.AddAsync in batches (one transaction each). The other workspace's allies are
// interleaved with the bench batches, so rows of both workspaces share pages and indexes as in a real
// multi-tenant database, and every query's workspace scoping has something to exclude (~1% of the
// bench count). Returns the first batch too, to draw search terms known to match.
static async Task<(TimeSpan Time, int OtherAllies, IReadOnlyList<AllyFields> Sample)> SeedAsync(AllyStore store, int allies)
{
    var data = new SeedData(seed: 42);
    var now = DateTimeOffset.UtcNow;
    var today = DateOnly.FromDateTime(now.UtcDateTime);
    var batches = (allies + BatchSize - 1) / BatchSize;
    var otherPerBatch = Math.Max(1, allies / 100 / batches);
    List<AllyFields>? sample = null;
    var start = Stopwatch.GetTimestamp();
    for (var added = 0; added < allies; added += BatchSize)
    {
        var batch = Enumerable.Range(0, Math.Min(BatchSize, allies - added)).Select(_ => data.Next(today)).ToList();
        await store.AddAsync(Workspace, batch, User, now);
        sample ??= batch;
        await store.AddAsync(OtherWorkspace, Enumerable.Range(0, otherPerBatch).Select(_ => data.Next(today)).ToList(), "bob", now);
    }
    return (Stopwatch.GetElapsedTime(start), otherPerBatch * batches, sample!);
}

// The commands under test. Search terms vary per iteration and are taken from seeded allies, so
// every find has matches at any --allies size (random words from the lists can miss at small sizes).
static List<BenchCase> Cases(int allies, IReadOnlyList<AllyFields> sample, Func<Task> changed)
{
    static T Pick<T>(Random r, IReadOnlyList<T> items) => items[r.Next(items.Count)];
    string LastName(Random r) => Pick(r, sample).Name!.Split(' ')[1];
    string City(Random r) => Pick(r, sample).Jurisdiction!.ToLowerInvariant();
    string FirstNameAndCityPrefix(Random r)
    {
        var ally = Pick(r, sample);
        return $"{ally.Name!.Split(' ')[0]} {ally.Jurisdiction![..4].ToLowerInvariant()}";
    }
    return
    [
        new("ally add", r => $"ally add \"{Pick(r, SeedData.FirstNames)} {Pick(r, SeedData.LastNames)}\" --org \"{Pick(r, SeedData.Orgs)}\" --sector government --level career", false),
        new("ally list", _ => "ally list", true, changed),
        new("ally list --sector government", _ => "ally list --sector government", true, changed),
        new("ally list --sector government --level career --page 3", _ => "ally list --sector government --level career --page 3", true, changed),
        new("ally find <last name>", r => $"ally find {LastName(r)}", true),
        new("ally find <city, e.g. atlanta>", r => $"ally find {City(r)}", true),
        // Not a target, but the worst realistic case: a word that one org in ten carries.
        new("ally find <org word, e.g. county>", r => $"ally find {Pick(r, SeedData.OrgWords)}", true),
        // A first name and a city prefix, like the help's "ally find jane atl", both from one ally so the pair matches.
        new("ally find <first name> <city prefix>", r => $"ally find {FirstNameAndCityPrefix(r)}", true),
        new("ally show A<n>", r => $"ally show A{r.Next(1, allies + 1)}", false),
        // Not targets: overviews that read the whole workspace.
        new("ally list --stale 60", _ => "ally list --stale 60", true, changed),
        new("ally due", _ => "ally due", true),
        new("ally due --owner @<one of 40>", r => $"ally due --owner @{Pick(r, SeedData.Owners)}", true),
        new("ally map", _ => "ally map", false),
    ];
}

/// <summary>Command-line options; --quick is a smoke run unless sizes are given explicitly.</summary>
internal sealed record Options(int Allies, int Iterations, bool KeepDb, string? Postgres)
{
    public static Options Parse(string[] args)
    {
        int? allies = null, iterations = null;
        bool quick = false, keepDb = false;
        string? postgres = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--allies": allies = Number(args, ++i); break;
                case "--iterations": iterations = Number(args, ++i); break;
                case "--quick": quick = true; break;
                case "--keep-db": keepDb = true; break;
                case "--postgres": postgres = ++i < args.Length ? args[i] : throw new ArgumentException("--postgres needs a connection string."); break;
                default: throw new ArgumentException($"Unknown argument {args[i]}. Use --allies N, --iterations N, --quick, --keep-db, --postgres CONNECTION.");
            }
        }
        return new Options(allies ?? (quick ? 10_000 : 100_000), iterations ?? (quick ? 50 : 300), keepDb, postgres);
    }

    private static int Number(string[] args, int i) =>
        i < args.Length && int.TryParse(args[i], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n : throw new ArgumentException($"{args[i - 1]} needs a positive whole number.");
}
