using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using CoordBot.Chat;
using CoordBot.Data;
using CoordBot.Host;
using CoordBot.Slack;
using CoordBot.Slack.Api;
using CoordBot.Teams.Connector;
using CoordBot.Tests.Support;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CoordBot.Benchmarks;

/// <summary>
/// A weekly check-in prompt fanned out to every member of many workspaces, through the real host
/// (Program's composition in a process of its own: outbox, dispatcher, SlackSender or TeamsSender,
/// Web API / Connector client with their limiters) against a fake Slack or Bot Connector on loopback
/// that enforces the documented limits and answers 429 over them (FakeSlackApi, FakeBotConnector).
/// Week 1 starts cold (no DM channel or 1:1 chat known yet), week 2 runs in a new instance on the same
/// database (warm). Each run reports its time against the lower bound the limits imply, the 429s the
/// fake answered, and the instance's peak memory; it checks that every prompt arrived exactly once.
/// </summary>
public static class FanOutBench
{
    private const string AppId = "00000000-0000-4000-8000-00000000be0c";
    private const string AppSecret = "bench~fanout~secret";

    private sealed record Settings(string[] Platforms, int Workspaces, int Members, double Scale, bool WarmOnly, bool Progress, bool KeepDb);

    private sealed record InstanceStats(long PeakWorkingSet, long HeapSize, long Allocated, double CpuSeconds, int Gen2);

    private sealed record Result(
        string Platform, string Week, int Messages, double Seconds, double Bound, string BoundWhy, int RateLimited, string Calls,
        int Sent, int Failed, int MaxAttempts, bool ExactlyOnce, InstanceStats Instance)
    {
        public bool Ok => ExactlyOnce && Failed == 0 && Sent == Messages;
    }

    // ---- the orchestrator: fakes, seeding, timing, checks ----

    public static async Task<int> RunAsync(string[] args)
    {
        var settings = Parse(args);
        var results = new List<Result>();
        foreach (var platform in settings.Platforms)
            results.AddRange(platform == "slack" ? await RunSlackAsync(settings) : await RunTeamsAsync(settings));
        Print(results, settings);
        return results.All(r => r.Ok) ? 0 : 1;
    }

    /// <summary>What a run needs from the fake: deliveries so far, 429s so far, the costly calls so far.</summary>
    private sealed record FakeView(Func<int> Delivered, Func<int> RateLimited, Func<int> SetUpCalls, string SetUpCallName);

    private static async Task<List<Result>> RunSlackAsync(Settings s)
    {
        var (folder, db) = await NewDatabaseAsync();
        await using var slack = await FakeSlackApi.StartAsync();
        slack.RecordCalls = false;
        var limits = new FakeSlackLimits { TimeScale = 1 / s.Scale };
        slack.Limits = limits;
        foreach (var (workspace, members) in Population(s, "slack").Concat(WarmUpPopulation("slack")))
        {
            slack.AddTeam(workspace, SlackToken(workspace));
            foreach (var member in members) slack.AddUser(workspace, member, "Member " + member);
        }
        await SeedDmChannelsAsync(db, s.WarmOnly ? Population(s, "slack").Concat(WarmUpPopulation("slack")) : WarmUpPopulation("slack"));
        var view = new FakeView(() => slack.MessageCount, () => slack.RateLimitedCalls.Values.Sum(),
            () => slack.CallCounts.GetValueOrDefault("conversations.open"), "conversations.open");
        var results = new List<Result>();
        try
        {
            foreach (var (week, cold) in Weeks(s))
            {
                var messagesBefore = -1;
                var result = await RunWeekAsync("slack", db, s, week, cold, ["--slack-api", slack.BaseUrl.ToString()], view,
                    beforeMeasured: () => messagesBefore = slack.MessageCount,
                    exactlyOnce: total =>
                    {
                        var perChannel = slack.Messages.Skip(messagesBefore).GroupBy(m => m.Channel).Select(g => g.Count()).ToList();
                        return perChannel.Count == total && perChannel.All(n => n == 1);
                    },
                    bound: SlackBound(s, limits, cold));
                results.Add(result);
            }
        }
        finally
        {
            Cleanup(folder, s.KeepDb);
        }
        return results;
    }

    private static async Task<List<Result>> RunTeamsAsync(Settings s)
    {
        var (folder, db) = await NewDatabaseAsync();
        await using var connector = await FakeBotConnector.StartAsync();
        connector.AddApp(AppId, AppSecret);
        connector.RecordCalls = false;
        var limits = TeamsFakeLimits(s.Scale);
        connector.Limits = limits;
        await using (var connection = new SqliteConnection($"Data Source={db}"))
        {
            await connection.OpenAsync();
            foreach (var (tenant, members) in Population(s, "teams").Concat(WarmUpPopulation("teams")))
            {
                // Each tenant has the team channel the bot was installed in: where a new 1:1 chat's serviceUrl and bot id come from.
                var channel = $"19:{tenant}-general@thread.tacv2";
                await InsertConversationAsync(connection, tenant, channel, "channel", connector.ServiceUrl, null);
                connector.RegisterConversation(channel, tenant);
                if (!s.WarmOnly && !tenant.StartsWith("warmup-", StringComparison.Ordinal)) continue;
                // As a previous week would have left them: every member's 1:1 chat, known to the fake.
                foreach (var member in members)
                {
                    await InsertConversationAsync(connection, tenant, "a:" + member[3..], "personal", connector.ServiceUrl, member);
                    connector.RegisterConversation("a:" + member[3..], tenant);
                }
            }
        }
        var view = new FakeView(() => connector.ActivityCount, () => connector.RateLimitedCalls, () => connector.CreatedConversations, "conversations created");
        var results = new List<Result>();
        try
        {
            foreach (var (week, cold) in Weeks(s))
            {
                var result = await RunWeekAsync("teams", db, s, week, cold, ["--token-endpoint", connector.TokenEndpoint], view,
                    beforeMeasured: () => { },
                    exactlyOnce: total =>
                    {
                        // Every measured member's 1:1 chat (as the sender stored it) holds exactly one prompt per week so far.
                        var personal = PersonalChats(db, Population(s, "teams").SelectMany(p => p.Members).ToHashSet());
                        var weeks = cold || s.WarmOnly ? 1 : 2;
                        return personal.Count == total && personal.Values.All(id => connector.Activities(id).Count(a => !IsWarmUp(a)) == weeks);
                    },
                    bound: TeamsBound(s, limits, cold));
                results.Add(result);
            }
        }
        finally
        {
            Cleanup(folder, s.KeepDb);
        }
        return results;
    }

    private static bool IsWarmUp(System.Text.Json.Nodes.JsonObject activity) => activity.ToJsonString().Contains("Warm-up", StringComparison.Ordinal);

    /// <summary>
    /// One week in a new instance: the instance starts and is warmed up with a small fan-out to other
    /// workspaces (JIT, connection pools: a fan-out in production happens in a process that has been
    /// running), then the week's prompts are queued; the time runs from their commit to the fake's
    /// last delivery.
    /// </summary>
    private static async Task<Result> RunWeekAsync(string platform, string db, Settings s, string week, bool cold, string[] extra, FakeView fake,
        Action beforeMeasured, Func<int, bool> exactlyOnce, (double Seconds, string Why) bound)
    {
        var warmUp = await SeedAsync(db, platform, week, WarmUpPopulation(platform), warmUp: true);
        var delivered0 = fake.Delivered();
        await using var instance = await Instance.StartAsync(platform, db, s, extra);
        await WaitAsync(() => fake.Delivered() - delivered0 >= warmUp, instance);
        await Task.Delay(TimeSpan.FromSeconds(5));   // tiered compilation of what the warm-up ran settles
        beforeMeasured();
        var (delivered1, limited1, setUp1) = (fake.Delivered(), fake.RateLimited(), fake.SetUpCalls());

        var total = await SeedAsync(db, platform, week, Population(s, platform), warmUp: false);
        var started = Stopwatch.GetTimestamp();
        using var progress = s.Progress ? new Timer(_ => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"    {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s: {fake.Delivered() - delivered1:N0} delivered, {fake.RateLimited() - limited1} × 429")),
            null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)) : null;
        await WaitAsync(() => fake.Delivered() - delivered1 >= total, instance);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var stats = await instance.StopAsync();

        var (sent, failed, maxAttempts) = await OutcomesAsync(db, week);
        var result = new Result(platform == "slack" ? "Slack" : "Teams",
            platform == "slack"
                ? cold ? "week 1 (cold: no DM channel known)" : "week 2 (warm: DM channels stored)"
                : cold ? "week 1 (cold: each 1:1 chat created)" : "week 2 (warm: 1:1 chats stored)",
            total, seconds, bound.Seconds, bound.Why, fake.RateLimited() - limited1, $"{fake.SetUpCalls() - setUp1:N0} {fake.SetUpCallName}",
            sent, failed, maxAttempts, exactlyOnce(total), stats);
        Report(result);
        return result;
    }

    private static async Task WaitAsync(Func<bool> done, Instance instance)
    {
        var deadline = Stopwatch.GetTimestamp() + 30 * 60 * Stopwatch.Frequency;
        while (!done())
        {
            if (Stopwatch.GetTimestamp() > deadline || instance.HasExited) throw new TimeoutException("The fan-out did not finish.");
            await Task.Delay(5);
        }
    }

    private static Task InsertConversationAsync(SqliteConnection connection, string tenant, string id, string type, string serviceUrl, string? user) =>
        connection.ExecuteAsync("""
            INSERT INTO teams_conversations (workspace_id, conversation_id, conversation_type, service_url, bot_id, user_id, team_id, active, updated_at)
            VALUES (@Tenant, @Id, @Type, @Url, @Bot, @User, NULL, 1, @At)
            """, new { Tenant = tenant, Id = id, Type = type, Url = serviceUrl, Bot = "28:" + AppId, User = user, At = Database.Stamp(DateTimeOffset.UtcNow) });

    /// <summary>Week 1 cold, then week 2 warm in a new instance; or only a warm week.</summary>
    private static (string Week, bool Cold)[] Weeks(Settings s) => s.WarmOnly ? [("2027-W06", false)] : [("2027-W05", true), ("2027-W06", false)];

    /// <summary>The DM channel ids a previous week would have stored (the fake takes any D… id).</summary>
    private static async Task SeedDmChannelsAsync(string db, IEnumerable<(string Workspace, string[] Members)> population)
    {
        await using var connection = new SqliteConnection($"Data Source={db}");
        await connection.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        foreach (var (workspace, members) in population)
            foreach (var member in members)
                await connection.ExecuteAsync(
                    "INSERT INTO slack_dm_channels (workspace_id, user_id, channel_id, updated_at) VALUES (@Workspace, @Member, @Channel, @At)",
                    new { Workspace = workspace, Member = member, Channel = "D" + member[1..], At = Database.Stamp(DateTimeOffset.UtcNow) }, tx);
        await tx.CommitAsync();
    }

    private static Dictionary<string, string> PersonalChats(string db, HashSet<string> members)
    {
        using var connection = new SqliteConnection($"Data Source={db}");
        var rows = connection.Query<(string User, string Conversation)>(
            "SELECT user_id, conversation_id FROM teams_conversations WHERE conversation_type = 'personal'");
        return rows.Where(r => members.Contains(r.User)).ToDictionary(r => r.User, r => r.Conversation);
    }

    /// <summary>
    /// Slack's bound, per workspace (the limits are per workspace, so workspaces run side by side). Warm:
    /// the members' posts at the workspace's chat.postMessage cap, B at once then one per interval:
    /// (m − B) × interval. Cold: first each member's conversations.open at Tier 3, (m − B₃) × interval₃,
    /// the post after it (the post cap is faster, so the opens bind). Each DM channel gets one message,
    /// so the 1-a-second channel limit never binds. The fake's 100 ms jitter allowance is ignored.
    /// </summary>
    private static (double Seconds, string Why) SlackBound(Settings s, FakeSlackLimits limits, bool cold)
    {
        double Interval(FakeRate rate) => 60 / rate.PerMinute * limits.TimeScale;
        var posts = Math.Max(0, s.Members - limits.PostMessagePerWorkspace.Burst) * Interval(limits.PostMessagePerWorkspace);
        if (!cold)
            return (posts, string.Create(CultureInfo.InvariantCulture,
                $"({s.Members} − {limits.PostMessagePerWorkspace.Burst}) posts × {Interval(limits.PostMessagePerWorkspace):0.###} s"));
        var opens = Math.Max(0, s.Members - limits.Tier3.Burst) * Interval(limits.Tier3);
        return (Math.Max(opens, posts), string.Create(CultureInfo.InvariantCulture,
            $"({s.Members} − {limits.Tier3.Burst}) conversations.open × {Interval(limits.Tier3):0.###} s"));
    }

    /// <summary>
    /// Teams' bound, per tenant (tenants run side by side): calls in order, the j-th (from 0) no earlier
    /// than ⌊j / N⌋ × T for the tenant's window of N per T. Warm: m sends, the last at ⌊(m − 1) / N⌋ × T.
    /// Cold: a create and a send per member, 2m calls, the last at ⌊(2m − 1) / N⌋ × T. A conversation
    /// gets at most two calls, so its own windows never bind.
    /// </summary>
    private static (double Seconds, string Why) TeamsBound(Settings s, FakeTeamsLimits limits, bool cold)
    {
        var (n, window) = limits.PerTenant[0];
        var calls = cold ? 2 * s.Members : s.Members;
        var t = window.TotalSeconds * limits.TimeScale;
        return (Math.Floor((calls - 1) / (double)n) * t, string.Create(CultureInfo.InvariantCulture, $"⌊({calls} − 1) / {n}⌋ × {t:0.###} s"));
    }

    /// <summary>Teams' documented throttling, its rates multiplied by <paramref name="scale"/> (fewer calls per window).</summary>
    private static FakeTeamsLimits TeamsFakeLimits(double scale)
    {
        int Scaled(int n) => Math.Max(1, (int)Math.Round(n * scale));
        var documented = new FakeTeamsLimits();
        return documented with
        {
            PerConversation = [.. documented.PerConversation.Select(w => (Scaled(w.Limit), w.Window))],
            PerTenant = [.. documented.PerTenant.Select(w => (Scaled(w.Limit), w.Window))],
        };
    }

    private static TeamsRateLimitOptions TeamsClientLimits(double scale)
    {
        var fake = TeamsFakeLimits(scale);
        return new TeamsRateLimitOptions
        {
            PerConversation = [.. fake.PerConversation.Select(w => new TeamsRateWindow(w.Limit, w.Window))],
            PerTenant = [.. fake.PerTenant.Select(w => new TeamsRateWindow(w.Limit, w.Window))],
        };
    }

    /// <summary>
    /// Queues one week's prompt to every member, workspace after workspace (as the check-in schedule
    /// queues an initiative's members), in one transaction with the outbox's own INSERT (seeding only:
    /// the claims, sends and records are the outbox's).
    /// </summary>
    private static async Task<int> SeedAsync(string db, string platform, string week, IEnumerable<(string Workspace, string[] Members)> population, bool warmUp)
    {
        var started = Stopwatch.GetTimestamp();
        await using var connection = new SqliteConnection($"Data Source={db}");
        await connection.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        var now = Database.Stamp(DateTimeOffset.UtcNow);
        var payload = ReplyJson.Serialize(Prompt(warmUp ? "Warm-up" : week));
        var count = 0;
        foreach (var (workspace, members) in population)
            foreach (var member in members)
            {
                count += await connection.ExecuteAsync("""
                    INSERT INTO outbox (workspace_id, idempotency_key, platform, destination, payload, not_before, created_at)
                    VALUES (@Workspace, @Key, @Platform, @Destination, @Payload, @At, @At)
                    """, new
                {
                    Workspace = workspace, Key = warmUp ? $"warm-up:{week}-{member}" : $"checkin-prompt:I1:{week}:{member}", Platform = platform,
                    Destination = member, Payload = payload, At = now,
                }, tx);
            }
        await tx.CommitAsync();
        if (!warmUp)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  queued {count:N0} {platform} prompts for {week} in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s"));
        return count;
    }

    /// <summary>The DM the check-in schedule sends (CheckInSchedule.Prompt's shape).</summary>
    private static Reply Prompt(string week)
    {
        const string due = "The digest goes to the team Fri 2027-02-05 16:00 (America/Chicago).";
        var heading = $"Weekly check-in: Voter outreach, {week}";
        return new Reply($"{heading}. {due}",
        [
            new Heading(heading),
            new Paragraph($"How did this week go? Your numbers (doors knocked, calls made) and a few words on wins, barriers and help needed. {due}"),
            new Actions([new Button("Check in", new ChatAction("checkin submit I1"), ButtonStyle.Primary)]),
            new Context("Or type: checkin submit I1 \"doors knocked\"=… \"calls made\"=… · away for a while? checkin away until YYYY-MM-DD"),
        ]);
    }

    private static async Task<(int Sent, int Failed, int MaxAttempts)> OutcomesAsync(string db, string week)
    {
        await using var connection = new SqliteConnection($"Data Source={db}");
        var rows = (await connection.QueryAsync<(string Status, long Count, long MaxAttempts)>(
            "SELECT status, COUNT(*), MAX(attempts) FROM outbox WHERE idempotency_key LIKE @Week GROUP BY status", new { Week = $"%:{week}:%" })).ToList();
        return ((int)rows.Where(r => r.Status == "sent").Sum(r => r.Count), (int)rows.Where(r => r.Status == "failed").Sum(r => r.Count),
            (int)rows.Select(r => r.MaxAttempts).DefaultIfEmpty(0).Max());
    }

    /// <summary>A host instance in a process of its own, driven over stdin/stdout.</summary>
    private sealed class Instance(Process process) : IAsyncDisposable
    {
        public bool HasExited => process.HasExited;

        public static async Task<Instance> StartAsync(string platform, string db, Settings s, string[] extra)
        {
            var start = new ProcessStartInfo { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            var self = Environment.ProcessPath!;
            if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            {
                start.FileName = self;
                start.ArgumentList.Add(typeof(FanOutBench).Assembly.Location);
            }
            else start.FileName = self;
            foreach (var arg in (string[])["--fanout-instance", "--platform", platform, "--db", db, "--scale", s.Scale.ToString(CultureInfo.InvariantCulture),
                         "--workspaces", s.Workspaces.ToString(CultureInfo.InvariantCulture), .. extra])
                start.ArgumentList.Add(arg);
            var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the instance.");
            while (await process.StandardOutput.ReadLineAsync() is { } line)
                if (line.StartsWith("READY", StringComparison.Ordinal)) return new Instance(process);
            throw new InvalidOperationException("The instance exited before it was ready.");
        }

        /// <summary>Stops the host and returns what it measured of itself.</summary>
        public async Task<InstanceStats> StopAsync()
        {
            await process.StandardInput.WriteLineAsync("STOP");
            process.StandardInput.Close();
            InstanceStats? stats = null;
            while (await process.StandardOutput.ReadLineAsync() is { } line)
                if (line.StartsWith("STATS ", StringComparison.Ordinal)) stats = JsonSerializer.Deserialize<InstanceStats>(line[6..]);
            await process.WaitForExitAsync();
            return stats ?? throw new InvalidOperationException("The instance reported no statistics.");
        }

        public ValueTask DisposeAsync()
        {
            if (!process.HasExited) process.Kill();
            process.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    // ---- the instance: the real host in a process of its own ----

    /// <summary>
    /// Runs the host as Program does (Production environment, Kestrel on loopback), pointed at the fake;
    /// Slack workspaces are installed as OAuth installs (encrypted tokens). Prints READY with its start
    /// time, runs until a line arrives on stdin, then prints its peak memory and CPU time.
    /// </summary>
    public static async Task<int> InstanceAsync(string[] args)
    {
        string Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{name} is missing");
        var platform = Arg("--platform");
        var scale = double.Parse(Arg("--scale"), CultureInfo.InvariantCulture);
        var settings = new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = $"Data Source={Arg("--db")}",
            ["Logging:LogLevel:Default"] = "Warning",
            // Stands in for Wake(): the check-in schedule queues in-process and wakes the dispatcher at
            // once; the benchmark queues from another process.
            ["Outbox:PollInterval"] = "00:00:00.05",
        };
        if (platform == "slack")
        {
            settings["Slack:SigningSecret"] = "bench-signing-secret";
            settings["Slack:ClientId"] = "1111.2222";
            settings["Slack:ClientSecret"] = "bench-client-secret";
            settings["Bot:PublicBaseUrl"] = "http://coordbot.bench";
            settings["Slack:ApiBaseUrl"] = Arg("--slack-api");
        }
        else
        {
            settings["Teams:AppId"] = AppId;
            settings["Teams:AppPassword"] = AppSecret;
            settings["Teams:AppType"] = "MultiTenant";
            settings["Teams:TokenEndpoint"] = Arg("--token-endpoint");
        }
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", Args = [] });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);   // stdout is the protocol
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.AddCoordBotHost();
        if (scale != 1)
        {
            if (platform == "slack")
                builder.Services.AddSingleton(sp => new SlackRateLimiter(sp.GetRequiredService<TimeProvider>(), new SlackRateLimitOptions { TimeScale = 1 / scale }));
            else
                builder.Services.AddSingleton(_ => new TeamsRateLimiter(TeamsClientLimits(scale)));
        }
        var app = builder.Build();
        await app.PrepareDatabaseAsync();
        app.MapCoordBot();
        if (platform == "slack")
        {
            var installs = app.Services.GetRequiredService<SlackInstallations>();
            foreach (var workspace in Workspaces(int.Parse(Arg("--workspaces"), CultureInfo.InvariantCulture), "slack").Concat(WarmUpPopulation("slack").Select(w => w.Workspace)))
                await installs.SaveAsync(new SlackInstallation(workspace, workspace, null, false, "Workspace " + workspace, "A0BENCH", "UBOT",
                    SlackToken(workspace), "chat:write,im:write", "UINSTALLER"), default);
        }
        await app.StartAsync();
        Console.WriteLine("READY");
        await Console.In.ReadLineAsync();
        await app.StopAsync();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var stats = new InstanceStats(process.PeakWorkingSet64, GC.GetGCMemoryInfo().HeapSizeBytes, GC.GetTotalAllocatedBytes(),
            process.TotalProcessorTime.TotalSeconds, GC.CollectionCount(2));
        Console.WriteLine("STATS " + JsonSerializer.Serialize(stats));
        await app.DisposeAsync();
        return 0;
    }

    // ---- helpers ----

    private static IEnumerable<string> Workspaces(Settings s, string platform) => Workspaces(s.Workspaces, platform);

    /// <summary>The measured workspaces and their members.</summary>
    private static IEnumerable<(string Workspace, string[] Members)> Population(Settings s, string platform) =>
        Workspaces(s, platform).Select(w => (w, Members(s, platform, w).ToArray()));

    /// <summary>
    /// The warm-up: 20 other workspaces of 60 members, past every burst so the pacing paths run too
    /// (about 6 s for Slack, 2 s for Teams). Their DM channels and 1:1 chats are known from the start,
    /// so the warm-up never waits for Tier 3.
    /// </summary>
    private static IEnumerable<(string Workspace, string[] Members)> WarmUpPopulation(string platform) =>
        Enumerable.Range(1, 20).Select(i => platform == "slack" ? $"W{i:D4}" : $"warmup-{i:D4}").Select(w =>
            (w, Enumerable.Range(1, 60).Select(m => platform == "slack" ? $"UW{w[1..]}{m:D2}" : $"29:{w}-member{m:D2}").ToArray()));

    private static IEnumerable<string> Workspaces(int count, string platform) =>
        Enumerable.Range(1, count).Select(i => platform == "slack" ? $"T{i:D4}" : $"tenant-{i:D4}");

    private static IEnumerable<string> Members(Settings s, string platform, string workspace) =>
        Enumerable.Range(1, s.Members).Select(m => platform == "slack" ? $"U{workspace[1..]}{m:D4}" : $"29:{workspace}-member{m:D4}");

    private static string SlackToken(string workspace) => $"xoxb-bench-{workspace}";

    private static int Count(IReadOnlyDictionary<string, int> counts, string key) => counts.GetValueOrDefault(key);

    private static async Task<(string Folder, string Db)> NewDatabaseAsync()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"coordbot-fanout-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        var db = Path.Combine(folder, "coordbot.db");
        await using var provider = new ServiceCollection().AddLogging().AddCoordBot(new StorageOptions { ConnectionString = $"Data Source={db}" }).BuildServiceProvider();
        await provider.GetRequiredService<Migrator>().ApplyAsync();
        return (folder, db);
    }

    private static void Cleanup(string folder, bool keep)
    {
        SqliteConnection.ClearAllPools();
        if (keep) Console.WriteLine($"  database kept in {folder}");
        else
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
    }

    private static void Report(Result r) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  {r.Platform} {r.Week}: {r.Messages:N0} in {r.Seconds:0.0} s (bound {r.Bound:0.0} s, ×{r.Seconds / Math.Max(r.Bound, 0.001):0.00}), " +
        $"{r.RateLimited} × 429, {r.Calls}, sent {r.Sent:N0}, failed {r.Failed}, max attempts {r.MaxAttempts}, " +
        $"exactly once: {(r.ExactlyOnce ? "yes" : "NO")}, peak working set {r.Instance.PeakWorkingSet / 1048576.0:0} MB"));

    private static void Print(List<Result> results, Settings s)
    {
        Console.WriteLine();
        Console.WriteLine("| run | prompts | time | lower bound | time / bound | 429s | calls | peak working set | GC heap at end | allocated | CPU |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |");
        foreach (var r in results)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Platform} {r.Week} | {r.Messages:N0} | {r.Seconds:0.0} s | {r.Bound:0.0} s ({r.BoundWhy}) | {r.Seconds / Math.Max(r.Bound, 0.001):0.00} | {r.RateLimited} | {r.Calls} | " +
                $"{r.Instance.PeakWorkingSet / 1048576.0:0} MB | {r.Instance.HeapSize / 1048576.0:0} MB | {r.Instance.Allocated / 1048576.0:N0} MB | {r.Instance.CpuSeconds:0.0} s |"));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"- {s.Workspaces} workspaces × {s.Members} members; limits at {(s.Scale == 1 ? "the documented figures" : $"{s.Scale:0.###} × the documented rates")}; " +
            $"{Environment.ProcessorCount} logical processors, fake and instance on the same machine"));
        foreach (var r in results.Where(r => !r.Ok))
            Console.WriteLine($"- FAILED: {r.Platform} {r.Week}: sent {r.Sent} of {r.Messages}, failed {r.Failed}, exactly once: {r.ExactlyOnce}");
    }

    private static Settings Parse(string[] args)
    {
        string? Value(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var platform = Value("--platform") ?? "both";
        return new Settings(
            platform == "both" ? ["slack", "teams"] : [platform],
            int.Parse(Value("--workspaces") ?? "100", CultureInfo.InvariantCulture),
            int.Parse(Value("--members") ?? "100", CultureInfo.InvariantCulture),
            double.Parse(Value("--scale") ?? "1", CultureInfo.InvariantCulture),
            args.Contains("--warm-only"),
            args.Contains("--progress"),
            args.Contains("--keep-db"));
    }
}
