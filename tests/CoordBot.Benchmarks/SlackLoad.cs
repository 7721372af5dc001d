using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using CoordBot.Allies;
using CoordBot.Host;
using CoordBot.Slack;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CoordBot.Benchmarks;

/// <summary>
/// Sustained load of signed slash commands against the real host on Kestrel on loopback (the same
/// composition as Program.cs, Production environment), from many concurrent connections in the same
/// process. Every <c>/ally add</c> answered "Added" is checked afterwards in the database file.
/// </summary>
public static class SlackLoad
{
    private const string Secret = "bench-signing-secret";
    private const string Team = "TBENCH";

    public sealed record Phase(string Name, double AddShare);

    public sealed record PhaseResult(string Name, int Requests, int Failures, double Seconds, double P50Ms, double P99Ms, double MaxMs, int Adds)
    {
        public double PerSecond => Requests / Seconds;
    }

    public static Task<int> RunAsync(string[] args)
    {
        int Arg(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length &&
            int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : fallback;
        return RunAsync(TimeSpan.FromSeconds(Arg("--seconds", 10)), Arg("--connections", 32), Arg("--seed", 200));
    }

    public static async Task<int> RunAsync(TimeSpan duration, int connections, int seedAllies)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"coordbot-load-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        var dbPath = Path.Combine(folder, "coordbot.db");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", Args = [] });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = $"Data Source={dbPath}",
            ["Slack:SigningSecret"] = Secret,
            ["Slack:BotToken"] = "xoxb-bench",
            ["Slack:ApiBaseUrl"] = "http://127.0.0.1:9/api/",   // nothing answers there; the load never needs the Web API
        });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.AddCoordBotHost();
        var app = builder.Build();
        await app.PrepareDatabaseAsync();
        app.MapCoordBot();
        await app.StartAsync();
        var baseUrl = new Uri(app.Urls.First());

        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, UseCookies = false, AllowAutoRedirect = false })
                { BaseAddress = baseUrl };
            await SeedAsync(http, seedAllies);
            var phases = new[] { new Phase("/ally list", 0), new Phase("/ally add", 1), new Phase("90% /ally list, 10% /ally add", 0.1) };
            // Warm-up: JIT tiers, connection pool, SQLite page cache.
            var warmup = await RunPhaseAsync(http, new Phase("warm-up", 0.1), TimeSpan.FromSeconds(3), connections);
            var results = new List<PhaseResult>();
            foreach (var phase in phases)
            {
                GC.Collect();
                var result = await RunPhaseAsync(http, phase, duration, connections);
                results.Add(result);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {result.Name}: {result.PerSecond:N0} req/s, p50 {result.P50Ms:F2} ms, p99 {result.P99Ms:F2} ms, max {result.MaxMs:F1} ms, {result.Failures} failed"));
            }
            var expectedAdds = results.Sum(r => r.Adds) + warmup.Adds + seedAllies;
            await app.StopAsync();
            await app.DisposeAsync();

            // Durability: every acknowledged add is in the file, read through a fresh connection.
            SqliteConnection.ClearAllPools();
            await using var check = new SqliteConnection($"Data Source={dbPath};Mode=ReadOnly");
            await check.OpenAsync();
            await using var count = check.CreateCommand();
            count.CommandText = "SELECT COUNT(*) FROM allies WHERE workspace_id = $team";
            count.Parameters.AddWithValue("$team", Team);
            var stored = Convert.ToInt32(await count.ExecuteScalarAsync(), CultureInfo.InvariantCulture);

            Console.WriteLine();
            Console.WriteLine("| Load (signed slash commands) | req/s | p50 (ms) | p99 (ms) | max (ms) | failed |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|");
            foreach (var r in results)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {r.Name} | {r.PerSecond:N0} | {r.P50Ms:F2} | {r.P99Ms:F2} | {r.MaxMs:F1} | {r.Failures} |"));
            Console.WriteLine();
            Console.WriteLine($"- {connections} concurrent connections, {duration.TotalSeconds:F0} s per phase, {Environment.ProcessorCount} logical processors, load generator in the same process");
            Console.WriteLine($"- Adds acknowledged: {expectedAdds:N0} (with {seedAllies:N0} seeded); rows in the database file after shutdown: {stored:N0}");
            var durable = stored == expectedAdds;
            Console.WriteLine(durable ? "- Every acknowledged add is stored." : "- MISMATCH: acknowledged adds are missing from the database!");
            return durable && results.All(r => r.Failures == 0) ? 0 : 1;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task SeedAsync(HttpClient http, int allies)
    {
        for (var i = 0; i < allies; i++)
        {
            var (ok, _) = await SendAsync(http, Add($"Seed {i}", i), isAdd: true);
            if (!ok) throw new InvalidOperationException("seeding failed");
        }
    }

    private static async Task<PhaseResult> RunPhaseAsync(HttpClient http, Phase phase, TimeSpan duration, int connections)
    {
        var stop = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var samples = new List<double>[connections];
        var failures = 0;
        var adds = 0;
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            var mine = samples[worker] = new List<double>(100_000);
            var n = 0;
            while (Stopwatch.GetTimestamp() < stop)
            {
                var isAdd = random.NextDouble() < phase.AddShare;
                var body = isAdd ? Add($"Load {phase.Name.Length}-{worker}-{n++}", worker) : List(worker);
                var t0 = Stopwatch.GetTimestamp();
                var (ok, added) = await SendAsync(http, body, isAdd);
                mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                if (!ok) Interlocked.Increment(ref failures);
                if (added) Interlocked.Increment(ref adds);
            }
        })));
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var all = samples.SelectMany(s => s).ToArray();
        Array.Sort(all);
        double P(double p) => all.Length == 0 ? 0 : all[Math.Clamp((int)Math.Ceiling(p * all.Length) - 1, 0, all.Length - 1)];
        return new PhaseResult(phase.Name, all.Length, failures, seconds, P(0.50), P(0.99), all.Length == 0 ? 0 : all[^1], adds);
    }

    private static byte[] List(int worker) => Form("/ally", "list", $"U{worker % 50}");

    private static byte[] Add(string name, int worker) => Form("/ally", $"add \"{name}\" --org \"City of Atlanta\" --sector government --level career", $"U{worker % 50}");

    private static byte[] Form(string command, string text, string user) => Encoding.UTF8.GetBytes(
        $"token=x&team_id={Team}&team_domain=bench&channel_id=C1&channel_name=general&user_id={user}&user_name={user}" +
        $"&command={Uri.EscapeDataString(command)}&text={Uri.EscapeDataString(text)}&api_app_id=A1&is_enterprise_install=false" +
        "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1%2F1%2Fx");

    /// <summary>Signs as Slack does (timestamp now), posts, and reads whether it was an "Added" answer.</summary>
    private static async Task<(bool Ok, bool Added)> SendAsync(HttpClient http, byte[] body, bool isAdd)
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/slack/commands") { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/x-www-form-urlencoded");
        request.Headers.TryAddWithoutValidation("X-Slack-Request-Timestamp", timestamp);
        request.Headers.TryAddWithoutValidation("X-Slack-Signature", Encoding.ASCII.GetString(SlackSignature.Compute(Secret, timestamp, body)));
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var added = response.StatusCode == HttpStatusCode.OK && text.Contains("Added ", StringComparison.Ordinal);
        var listed = response.StatusCode == HttpStatusCode.OK && text.Contains(", page ", StringComparison.Ordinal);
        return (isAdd ? added : listed, added);
    }
}
