using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
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
/// composition as Program.cs, Production environment, plus the benchmark's no-op command), from many
/// concurrent connections of a load generator in a process of its own. Every phase is set against a
/// no-op phase of the same run: the same endpoint, signature check and form parsing, answering a
/// fixed small JSON (<see cref="NoOpSlackInbound"/>). Every <c>/ally add</c> answered "Added" is
/// checked afterwards in the database file.
/// </summary>
/// <remarks>
/// Allocations per request are the host process's own: <see cref="GC.GetTotalAllocatedBytes(bool)"/>
/// (precise) before and after a phase, divided by the phase's requests. The load generator runs in a
/// child process (this executable with <c>--slack-load-client</c>) precisely so that its allocations
/// (request bodies, signatures, response strings) are not in that figure; it reports its own. The host's
/// background services (outbox dispatcher, scheduler) are in it, as they are in production.
/// </remarks>
public static class SlackLoad
{
    private const string Secret = "bench-signing-secret";
    private const string Team = "TBENCH";

    /// <summary>A phase: what the load generator sends (<c>noop</c>, <c>list</c>, <c>add</c> or <c>mix</c>: 90% list, 10% add).</summary>
    public sealed record Phase(string Kind, string Name);

    /// <summary>What the load generator measured of one phase.</summary>
    public sealed record ClientResult(int Requests, int Failures, double Seconds, double P50Ms, double P99Ms, double MaxMs, int Adds, long ClientBytes);

    /// <summary>One phase as the host saw it, with the load generator's figures.</summary>
    public sealed record PhaseResult(Phase Phase, ClientResult Client, long ServerBytes, double ServerCpuSeconds, WriterResult Writer)
    {
        public double PerSecond => Client.Requests / Client.Seconds;
        public double ServerBytesPerRequest => Client.Requests == 0 ? 0 : (double)ServerBytes / Client.Requests;
        public double ServerCpuMicrosPerRequest => Client.Requests == 0 ? 0 : ServerCpuSeconds * 1e6 / Client.Requests;
        public double ClientBytesPerRequest => Client.Requests == 0 ? 0 : (double)Client.ClientBytes / Client.Requests;
    }

    /// <summary>
    /// The group commit's single writer during a phase, from CoordBot's own metrics (<c>coordbot.store.group_commit.*</c>):
    /// groups committed, writes in them, and the writer's time running them and committing them.
    /// </summary>
    public sealed record WriterResult(long Groups, long Writes, double WorkSeconds, double CommitSeconds)
    {
        public WriterResult Minus(WriterResult before) =>
            new(Groups - before.Groups, Writes - before.Writes, WorkSeconds - before.WorkSeconds, CommitSeconds - before.CommitSeconds);

        public string Describe(double phaseSeconds) => Groups == 0 ? "no writes" : string.Create(CultureInfo.InvariantCulture,
            $"{Groups:N0} groups of {(double)Writes / Groups:F1} writes on average; per group {WorkSeconds * 1e3 / Groups:F2} ms running the writes and " +
            $"{CommitSeconds * 1e3 / Groups:F2} ms committing; the writer busy {(WorkSeconds + CommitSeconds) / phaseSeconds:P0} of the phase");
    }

    /// <summary>Sums the group-commit measurements as they are recorded.</summary>
    private sealed class WriterMeter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _groups, _writes, _workTicks, _commitTicks;

        public WriterMeter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == Telemetry.CoordBotTelemetry.Name && instrument.Name.StartsWith("coordbot.store.group_commit.", StringComparison.Ordinal))
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<int>((_, writes, _, _) =>
            {
                Interlocked.Increment(ref _groups);
                Interlocked.Add(ref _writes, writes);
            });
            _listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
            {
                var commit = tags.Length > 0 && tags[0].Value is "commit";
                Interlocked.Add(ref commit ? ref _commitTicks : ref _workTicks, TimeSpan.FromSeconds(seconds).Ticks);
            });
            _listener.Start();
        }

        public WriterResult Now() => new(Interlocked.Read(ref _groups), Interlocked.Read(ref _writes),
            TimeSpan.FromTicks(Interlocked.Read(ref _workTicks)).TotalSeconds, TimeSpan.FromTicks(Interlocked.Read(ref _commitTicks)).TotalSeconds);

        public void Dispose() => _listener.Dispose();
    }

    private static readonly Phase[] Phases =
    [
        new("noop", "no-op (signed, parsed, fixed JSON)"),
        new("list", "/ally list"),
        new("add", "/ally add"),
        new("mix", "90% /ally list, 10% /ally add"),
    ];

    public static Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--slack-load-client")) return ClientAsync(args);
        int Arg(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length &&
            int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : fallback;
        // --only list,add: those phases after the no-op (for profiling one path).
        var only = Array.IndexOf(args, "--only") is var o and >= 0 && o + 1 < args.Length ? args[o + 1].Split(',') : null;
        var phases = Phases.Where(p => p.Kind == "noop" || only is null || only.Contains(p.Kind)).ToArray();
        return RunAsync(TimeSpan.FromSeconds(Arg("--seconds", 10)), Arg("--connections", 32), Arg("--seed", 200), phases);
    }

    public static async Task<int> RunAsync(TimeSpan duration, int connections, int seedAllies, IReadOnlyList<Phase> phases)
    {
        var loadBefore = File.Exists("/proc/loadavg") ? (await File.ReadAllTextAsync("/proc/loadavg")).Split(' ')[0] : "?";
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
        NoOpSlackInbound.Register(builder.Services);
        var app = builder.Build();
        await app.PrepareDatabaseAsync();
        app.MapCoordBot();
        await app.StartAsync();
        var baseUrl = app.Urls.First();

        try
        {
            await using var client = await LoadClient.StartAsync(baseUrl, connections);
            await client.SeedAsync(seedAllies);
            // Warm-up: JIT tiers of both processes, connection pool, SQLite page cache.
            await client.RunAsync("noop", TimeSpan.FromSeconds(1));
            var warmup = await client.RunAsync("mix", TimeSpan.FromSeconds(3));
            var results = new List<PhaseResult>();
            using var self = Process.GetCurrentProcess();
            using var writer = new WriterMeter();
            foreach (var phase in phases)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                self.Refresh();
                var cpu = self.TotalProcessorTime;
                var allocated = GC.GetTotalAllocatedBytes(precise: true);
                var writes = writer.Now();
                var measured = await client.RunAsync(phase.Kind, duration);
                var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
                self.Refresh();
                var result = new PhaseResult(phase, measured, bytes, (self.TotalProcessorTime - cpu).TotalSeconds, writer.Now().Minus(writes));
                results.Add(result);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {phase.Name}: {result.PerSecond:N0} req/s, p50 {measured.P50Ms:F2} ms, p99 {measured.P99Ms:F2} ms, max {measured.MaxMs:F1} ms, " +
                    $"{result.ServerBytesPerRequest:N0} B/req allocated by the host, {result.ServerCpuMicrosPerRequest:N0} µs host CPU/req, {measured.Failures} failed"));
                if (result.Writer.Groups > 0) Console.WriteLine($"    group commit: {result.Writer.Describe(measured.Seconds)}");
            }
            var expectedAdds = results.Sum(r => r.Client.Adds) + warmup.Adds + seedAllies;
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

            var noop = results[0];
            Console.WriteLine();
            Console.WriteLine("| Load (signed slash commands) | req/s | × no-op | p50 (ms) | p99 (ms) | p99 ÷ no-op's | max (ms) | host alloc/req | host CPU/req | failed |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var r in results)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {r.Phase.Name} | {r.PerSecond:N0} | {r.PerSecond / noop.PerSecond:F2} | {r.Client.P50Ms:F2} | {r.Client.P99Ms:F2} | {r.Client.P99Ms / noop.Client.P99Ms:F2} | " +
                    $"{r.Client.MaxMs:F1} | {r.ServerBytesPerRequest / 1024:N1} KB | {r.ServerCpuMicrosPerRequest:N0} µs | {r.Client.Failures} |"));
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"- {connections} concurrent connections, {duration.TotalSeconds:F0} s per phase, {Environment.ProcessorCount} logical processors, " +
                $"load generator in a process of its own on the same machine; 1-minute load average before the run {loadBefore}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"- The load generator allocated {string.Join(", ", results.Select(r => $"{r.ClientBytesPerRequest / 1024:N1} KB"))} per request in these phases (not in the host's figures)"));
            Console.WriteLine($"- Adds acknowledged: {expectedAdds:N0} (with {seedAllies:N0} seeded); rows in the database file after shutdown: {stored:N0}");
            Console.WriteLine("RATIOS " + JsonSerializer.Serialize(results.Select(r => new
            {
                r.Phase.Kind, r.PerSecond, Fraction = r.PerSecond / noop.PerSecond, r.Client.P50Ms, r.Client.P99Ms,
                P99Ratio = r.Client.P99Ms / noop.Client.P99Ms, r.ServerBytesPerRequest, r.ServerCpuMicrosPerRequest,
            })));
            var durable = stored == expectedAdds;
            Console.WriteLine(durable ? "- Every acknowledged add is stored." : "- MISMATCH: acknowledged adds are missing from the database!");
            return durable && results.All(r => r.Client.Failures == 0) ? 0 : 1;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The load generator as a child process, driven over stdin/stdout one line at a time.</summary>
    private sealed class LoadClient(Process process) : IAsyncDisposable
    {
        public static async Task<LoadClient> StartAsync(string baseUrl, int connections)
        {
            var start = new ProcessStartInfo { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            // Workstation GC: the load generator should not take a GC heap and thread per core from the host it loads.
            start.Environment["DOTNET_gcServer"] = "0";
            var self = Environment.ProcessPath!;
            start.FileName = self;
            if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
                start.ArgumentList.Add(typeof(SlackLoad).Assembly.Location);
            foreach (var arg in (string[])["--slack-load", "--slack-load-client", baseUrl, connections.ToString(CultureInfo.InvariantCulture)])
                start.ArgumentList.Add(arg);
            var client = new LoadClient(Process.Start(start) ?? throw new InvalidOperationException("Could not start the load generator."));
            await client.AskAsync("HELLO");
            return client;
        }

        public async Task SeedAsync(int allies) => await AskAsync($"SEED {allies.ToString(CultureInfo.InvariantCulture)}");

        public async Task<ClientResult> RunAsync(string kind, TimeSpan duration) =>
            JsonSerializer.Deserialize<ClientResult>(await AskAsync($"RUN {kind} {duration.TotalSeconds.ToString(CultureInfo.InvariantCulture)}"))!;

        private async Task<string> AskAsync(string line)
        {
            await process.StandardInput.WriteLineAsync(line);
            await process.StandardInput.FlushAsync();
            while (await process.StandardOutput.ReadLineAsync() is { } answer)
            {
                if (answer.StartsWith("OK ", StringComparison.Ordinal)) return answer[3..];
                if (answer.StartsWith("FAILED ", StringComparison.Ordinal)) throw new InvalidOperationException($"The load generator failed: {answer[7..]}");
            }
            throw new InvalidOperationException("The load generator exited.");
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                process.StandardInput.Close();
                if (!process.WaitForExit(5000)) process.Kill();
            }
            await Task.CompletedTask;
            process.Dispose();
        }
    }

    // ---- the load generator: a process of its own ----

    private static async Task<int> ClientAsync(string[] args)
    {
        var at = Array.IndexOf(args, "--slack-load-client");
        var baseUrl = new Uri(args[at + 1]);
        var connections = int.Parse(args[at + 2], CultureInfo.InvariantCulture);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, UseCookies = false, AllowAutoRedirect = false })
            { BaseAddress = baseUrl };
        while (Console.ReadLine() is { } line)
        {
            var words = line.Split(' ');
            try
            {
                switch (words[0])
                {
                    case "HELLO":
                        Console.WriteLine("OK ready");
                        break;
                    case "SEED":
                        var allies = int.Parse(words[1], CultureInfo.InvariantCulture);
                        for (var i = 0; i < allies; i++)
                            if (!(await SendAsync(http, Add($"Seed {i}", i), "add")).Ok) throw new InvalidOperationException("seeding failed");
                        Console.WriteLine("OK seeded");
                        break;
                    case "RUN":
                        var result = await RunPhaseAsync(http, words[1], TimeSpan.FromSeconds(double.Parse(words[2], CultureInfo.InvariantCulture)), connections);
                        Console.WriteLine("OK " + JsonSerializer.Serialize(result));
                        break;
                    default:
                        Console.WriteLine("FAILED unknown request");
                        break;
                }
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or IOException)
            {
                Console.WriteLine("FAILED " + e.Message.ReplaceLineEndings(" "));
            }
        }
        return 0;
    }

    private static async Task<ClientResult> RunPhaseAsync(HttpClient http, string kind, TimeSpan duration, int connections)
    {
        GC.Collect();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
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
                var one = kind switch
                {
                    "mix" => random.NextDouble() < 0.1 ? "add" : "list",
                    _ => kind,
                };
                var body = one switch
                {
                    "add" => Add($"Load {kind}-{worker}-{n++}", worker),
                    "noop" => Form(NoOpSlackInbound.Command, "", $"U{worker % 50}"),
                    _ => List(worker),
                };
                var t0 = Stopwatch.GetTimestamp();
                var (ok, added) = await SendAsync(http, body, one);
                mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                if (!ok) Interlocked.Increment(ref failures);
                if (added) Interlocked.Increment(ref adds);
            }
        })));
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        var all = samples.SelectMany(s => s).ToArray();
        Array.Sort(all);
        double P(double p) => all.Length == 0 ? 0 : all[Math.Clamp((int)Math.Ceiling(p * all.Length) - 1, 0, all.Length - 1)];
        return new ClientResult(all.Length, failures, seconds, P(0.50), P(0.99), all.Length == 0 ? 0 : all[^1], adds, bytes);
    }

    private static byte[] List(int worker) => Form("/ally", "list", $"U{worker % 50}");

    private static byte[] Add(string name, int worker) => Form("/ally", $"add \"{name}\" --org \"City of Atlanta\" --sector government --level career", $"U{worker % 50}");

    private static byte[] Form(string command, string text, string user) => Encoding.UTF8.GetBytes(
        $"token=x&team_id={Team}&team_domain=bench&channel_id=C1&channel_name=general&user_id={user}&user_name={user}" +
        $"&command={Uri.EscapeDataString(command)}&text={Uri.EscapeDataString(text)}&api_app_id=A1&is_enterprise_install=false" +
        "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1%2F1%2Fx");

    /// <summary>Signs as Slack does (timestamp now), posts, and reads whether it was the answer expected (and an "Added" one).</summary>
    private static async Task<(bool Ok, bool Added)> SendAsync(HttpClient http, byte[] body, string kind)
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/slack/commands") { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/x-www-form-urlencoded");
        request.Headers.TryAddWithoutValidation("X-Slack-Request-Timestamp", timestamp);
        request.Headers.TryAddWithoutValidation("X-Slack-Signature", Encoding.ASCII.GetString(SlackSignature.Compute(Secret, timestamp, body)));
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var ok = response.StatusCode == HttpStatusCode.OK;
        var added = ok && text.Contains("Added ", StringComparison.Ordinal);
        return kind switch
        {
            "add" => (added, added),
            "noop" => (ok && text.Contains(NoOpSlackInbound.Answer, StringComparison.Ordinal), false),
            _ => (ok && text.Contains(", page ", StringComparison.Ordinal), false),
        };
    }
}

/// <summary>
/// The benchmark's no-op slash command: the ceiling every other phase is measured against. It answers
/// <see cref="Command"/> with a fixed small JSON after the host's real endpoint has read the body,
/// checked Slack's signature and parsed the form; every other input goes to the real handler.
/// </summary>
/// <remarks>
/// Why a decorator registered here rather than a route or a setting in the host: it exists only in
/// this benchmark's assembly and only in the composition <see cref="SlackLoad"/> builds, so no
/// configuration, environment or request can turn it on in production, where <c>/noop</c> reaches the
/// router like any other text and gets its "I don't know the command" answer (a test checks that). And
/// it runs behind the very endpoint production uses (<c>POST /slack/commands</c>), so the no-op pays
/// for exactly the work every command pays before the router: Kestrel, the body read, HMAC, form parsing,
/// writing the JSON answer.
/// </remarks>
public sealed class NoOpSlackInbound(ISlackInbound inner) : ISlackInbound
{
    /// <summary>The slash command the no-op answers.</summary>
    public const string Command = "/noop";

    /// <summary>The text of the fixed answer.</summary>
    public const string Answer = "no-op";

    /// <summary>Puts the no-op in front of the host's real <see cref="ISlackInbound"/> (call after <c>AddCoordBotHost</c>).</summary>
    public static void Register(IServiceCollection services) =>
        services.AddSingleton<ISlackInbound>(sp => new NoOpSlackInbound(sp.GetRequiredService<SlackHandler>()));

    public Task<SlackAck> CommandAsync(IReadOnlyDictionary<string, string> fields, CancellationToken ct) =>
        fields.TryGetValue("command", out var command) && command == Command
            ? Task.FromResult(new SlackAck(200, new JsonObject { ["response_type"] = "ephemeral", ["text"] = Answer }))
            : inner.CommandAsync(fields, ct);

    public Task<SlackAck> InteractionAsync(JsonElement payload, CancellationToken ct) => inner.InteractionAsync(payload, ct);

    public Task<SlackAck> EventAsync(JsonElement body, int? retryNum, CancellationToken ct) => inner.EventAsync(body, retryNum, ct);

    public Task AnsweredLateAsync(string envelopeType, JsonElement payload, JsonNode body, CancellationToken ct) =>
        inner.AnsweredLateAsync(envelopeType, payload, body, ct);
}
