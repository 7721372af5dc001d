using System.Collections.Concurrent;
using CoordBot.Data;
using CoordBot.Scheduling;
using CoordBot.Tests.Support;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Quartz;
using Xunit;

namespace CoordBot.Tests.Scheduling;

/// <summary>
/// The Quartz-backed schedule on a real SQLite file, through the core's services plus
/// AddCoordBotScheduling, with every hosted service started as the host starts them.
/// </summary>
public sealed class SchedulerTests : IDisposable
{
    private const string Kind = "test-send";
    private static readonly DateTimeOffset Monday = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private readonly TestDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public async Task A_send_fires_once_with_its_data_and_WAL_survives()
    {
        Assert.SkipWhen(_db.IsPostgres, "SQLite only: WAL mode of the database file");
        var clock = new FakeTimeProvider(Monday);
        await using var host = await SchedulerHost.StartAsync(_db, clock);
        var fireAt = clock.GetUtcNow().AddSeconds(1);
        await host.Sends.ScheduleAsync(Send("election-reminder:W1:E3", "W1", fireAt, ("election", "E3"), ("offset", "-30")));

        clock.Advance(TimeSpan.FromSeconds(1));
        await host.Handler.WaitForAsync(1);
        await host.WaitUntilGoneAsync("W1", "election-reminder:W1:E3");   // its job is deleted: it cannot fire again

        var (send, late) = Assert.Single(host.Handler.Fired);
        Assert.Equal("election-reminder:W1:E3", send.Key);
        Assert.Equal(Kind, send.Kind);
        Assert.Equal("W1", send.WorkspaceId);
        Assert.Equal(new Dictionary<string, string> { ["election"] = "E3", ["offset"] = "-30" }, send.Data);
        Assert.Equal(TimeSpan.Zero, late);   // fired when the scheduler's clock reached its time
        Assert.Empty(await host.Sends.UpcomingAsync("W1", 10));

        await using var connection = await host.Get<Database>().OpenAsync();
        Assert.Equal("wal", await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode"));
    }

    [Fact]
    public async Task Scheduling_the_same_key_again_replaces_it()
    {
        var clock = new FakeTimeProvider(Monday);
        await using var host = await SchedulerHost.StartAsync(_db, clock);
        var fireAt = clock.GetUtcNow().AddSeconds(1);
        await host.Sends.ScheduleAsync(Send("k1", "W1", fireAt, ("v", "1")));
        await host.Sends.ScheduleAsync(Send("k1", "W1", fireAt.AddMilliseconds(200), ("v", "2")));

        clock.Advance(TimeSpan.FromSeconds(1));   // the first time passes: it was replaced, nothing fires
        var upcoming = Assert.Single(await host.Sends.UpcomingAsync("W1", 10));
        Assert.Equal(("k1", fireAt.AddMilliseconds(200)), (upcoming.Key, upcoming.FireAt));
        clock.Advance(TimeSpan.FromMilliseconds(200));
        await host.Handler.WaitForAsync(1);
        await host.WaitUntilGoneAsync("W1", "k1");

        var (send, _) = Assert.Single(host.Handler.Fired);
        Assert.Equal("2", send.Data["v"]);
    }

    [Fact]
    public async Task Cancel_and_CancelWhere_prevent_firing()
    {
        var clock = new FakeTimeProvider(Monday);
        await using var host = await SchedulerHost.StartAsync(_db, clock);
        var fireAt = clock.GetUtcNow().AddSeconds(1);
        await host.Sends.ScheduleAsync(Send("single:W1", "W1", fireAt));
        await host.Sends.ScheduleAsync(Send("rem:W1:E1:1", "W1", fireAt));
        await host.Sends.ScheduleAsync(Send("rem:W1:E1:2", "W1", fireAt));
        await host.Sends.ScheduleAsync(Send("rem:W1:E2:1", "W1", fireAt));
        await host.Sends.ScheduleAsync(Send("rem:W1:E1:x", "W2", fireAt));   // same prefix, other workspace
        await host.Sends.ScheduleAsync(Send("single:W1", "W2", fireAt));     // same key, other workspace

        await host.Sends.CancelAsync("W1", "single:W1");
        await host.Sends.CancelAsync("W1", "no-such-key");
        await host.Sends.CancelWhereAsync("W1", "rem:W1:E1:");
        Assert.Equal(["rem:W1:E2:1"], (await host.Sends.UpcomingAsync("W1", 10)).Select(s => s.Key));

        clock.Advance(TimeSpan.FromSeconds(1));
        await host.Handler.WaitForAsync(3);
        await host.WaitUntilEmptyAsync();   // no job is left that could fire later
        Assert.Equal(["rem:W1:E1:x", "rem:W1:E2:1", "single:W1"], host.Handler.Fired.Select(f => f.Send.Key).Order(StringComparer.Ordinal));
        Assert.Equal("W2", host.Handler.Fired.Single(f => f.Send.Key == "single:W1").Send.WorkspaceId);
    }

    [Fact]
    public async Task Upcoming_lists_the_workspace_sends_soonest_first()
    {
        await using var host = await SchedulerHost.StartAsync(_db);
        var now = DateTimeOffset.UtcNow;
        await host.Sends.ScheduleAsync(Send("c", "W1", now.AddHours(3)));
        await host.Sends.ScheduleAsync(Send("a", "W1", now.AddHours(1), ("n", "1")));
        await host.Sends.ScheduleAsync(Send("b", "W1", now.AddHours(2)));
        await host.Sends.ScheduleAsync(Send("z", "W2", now.AddMinutes(30)));

        var upcoming = await host.Sends.UpcomingAsync("W1", 10);
        Assert.Equal(["a", "b", "c"], upcoming.Select(s => s.Key));
        Assert.Equal(now.AddHours(1).ToUnixTimeMilliseconds(), upcoming[0].FireAt.ToUnixTimeMilliseconds());
        Assert.Equal("1", upcoming[0].Data["n"]);
        Assert.NotEmpty(upcoming);
        Assert.All(upcoming, s => Assert.Equal(("W1", Kind), (s.WorkspaceId, s.Kind)));
        Assert.Equal(["a", "b"], (await host.Sends.UpcomingAsync("W1", 2)).Select(s => s.Key));
        Assert.Equal(["z"], (await host.Sends.UpcomingAsync("W2", 10)).Select(s => s.Key));
        Assert.Empty(await host.Sends.UpcomingAsync("W3", 10));
    }

    [Fact]
    public async Task A_send_missed_while_down_fires_once_on_the_next_start()
    {
        var clock = new FakeTimeProvider(Monday);
        var fireAt = clock.GetUtcNow().AddSeconds(2);
        await using (var first = await SchedulerHost.StartAsync(_db, clock))
        {
            await first.Sends.ScheduleAsync(Send("missed", "W1", fireAt, ("x", "y")));
        }
        clock.Advance(TimeSpan.FromSeconds(2.5));   // the time passes while no scheduler runs

        await using (var second = await SchedulerHost.StartAsync(_db, clock))
        {
            await second.Handler.WaitForAsync(1);
            await second.WaitUntilEmptyAsync();
            var (send, late) = Assert.Single(second.Handler.Fired);
            Assert.Equal("missed", send.Key);
            Assert.Equal("y", send.Data["x"]);
            Assert.Equal(TimeSpan.FromSeconds(0.5), late);
        }

        // Fired once: the next start finds nothing left to fire.
        await using var third = await SchedulerHost.StartAsync(_db, clock);
        Assert.Empty(await third.JobsAsync());
        Assert.Empty(third.Handler.Fired);
    }

    [Fact]
    public async Task A_fake_clock_drives_the_scheduler()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await SchedulerHost.StartAsync(_db, clock);
        await host.Sends.ScheduleAsync(Send("tomorrow", "W1", clock.GetUtcNow().AddDays(1)));
        // A send due now fires while the one due tomorrow waits (had it fired now, it would be a day early, below).
        await host.Sends.ScheduleAsync(Send("now", "W1", clock.GetUtcNow()));
        await host.Handler.WaitForAsync(1);

        clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        await host.Handler.WaitForAsync(2);
        Assert.Equal(["now", "tomorrow"], host.Handler.Fired.Select(f => f.Send.Key));
        var late = host.Handler.Fired[1].Late;
        Assert.InRange(late, TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task A_send_past_the_misfire_threshold_still_reports_how_late_it_is()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await SchedulerHost.StartAsync(_db, clock);
        var fireAt = clock.GetUtcNow().AddMinutes(1);
        await host.Sends.ScheduleAsync(Send("stale", "W1", fireAt));

        clock.Advance(TimeSpan.FromHours(2));   // far past Quartz's 60 s misfire threshold
        // The misfire handler runs on its own period of the scheduler's clock: keep time moving.
        for (var i = 0; i < 100 && host.Handler.Fired.Count == 0; i++)
        {
            await Task.Delay(50);
            clock.Advance(TimeSpan.FromSeconds(1));
        }
        var (send, late) = Assert.Single(host.Handler.Fired);
        Assert.True(late >= TimeSpan.FromMinutes(119), $"late was {late}");
    }

    [Fact]
    public async Task Migration_5_creates_every_Quartz_table_once()
    {
        Assert.SkipWhen(_db.IsPostgres, "SQLite only: on PostgreSQL, Quartz provisions its own tables");
        await using var host = await SchedulerHost.StartAsync(_db);
        await host.Get<Migrator>().ApplyAsync();   // a second run applies nothing
        await using var connection = await host.Get<Database>().OpenAsync();
        var tables = await connection.QueryAsync<string>(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'QRTZ!_%' ESCAPE '!' ORDER BY name");
        Assert.Equal(
        [
            "QRTZ_BLOB_TRIGGERS", "QRTZ_CALENDARS", "QRTZ_CRON_TRIGGERS", "QRTZ_EXECUTION_HISTORY", "QRTZ_FIRED_TRIGGERS",
            "QRTZ_JOB_DETAILS", "QRTZ_JOB_STATUS", "QRTZ_LOCKS", "QRTZ_MISFIRE_HISTORY", "QRTZ_PAUSED_JOB_GRPS",
            "QRTZ_PAUSED_TRIGGER_GRPS", "QRTZ_SCHEDULER_STATE", "QRTZ_SIMPLE_TRIGGERS", "QRTZ_SIMPROP_TRIGGERS", "QRTZ_TRIGGERS",
        ], tables);
        Assert.Equal(Migrations.All.Max(m => m.Version), await connection.ExecuteScalarAsync<long>("SELECT max(version) FROM schema_migrations"));
    }

    private static ScheduledSend Send(string key, string workspace, DateTimeOffset fireAt, params (string Name, string Value)[] data) =>
        new(key, Kind, workspace, fireAt, data.ToDictionary(d => d.Name, d => d.Value));

    /// <summary>Records what fired and how late.</summary>
    private sealed class RecordingHandler : IScheduledSendHandler
    {
        private readonly ConcurrentQueue<(ScheduledSend Send, TimeSpan Late)> _fired = new();
        private readonly SemaphoreSlim _signal = new(0);

        public string Kind => SchedulerTests.Kind;

        public IReadOnlyList<(ScheduledSend Send, TimeSpan Late)> Fired => _fired.ToList();

        public Task HandleAsync(ScheduledSend send, TimeSpan late, CancellationToken ct)
        {
            _fired.Enqueue((send, late));
            _signal.Release();
            return Task.CompletedTask;
        }

        public async Task<IReadOnlyList<(ScheduledSend Send, TimeSpan Late)>> WaitForAsync(int count)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (_fired.Count < count) await _signal.WaitAsync(timeout.Token);
            return Fired;
        }
    }

    /// <summary>The core plus the scheduler over one database file, in a generic host (hosted services started).</summary>
    private sealed class SchedulerHost : IAsyncDisposable
    {
        private readonly IHost _host;

        private SchedulerHost(IHost host) => _host = host;

        public RecordingHandler Handler => Get<RecordingHandler>();
        public IScheduledSends Sends => Get<IScheduledSends>();
        public T Get<T>() where T : notnull => _host.Services.GetRequiredService<T>();

        public static async Task<SchedulerHost> StartAsync(TestDatabase database, TimeProvider? clock = null)
        {
            var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            builder.Services
                .AddLogging(b => b.SetMinimumLevel(LogLevel.Warning))
                .AddCoordBot(database.Options);
            if (clock is not null) builder.Services.AddSingleton(clock);
            builder.Services.AddSingleton<RecordingHandler>();
            builder.Services.AddSingleton<IScheduledSendHandler>(sp => sp.GetRequiredService<RecordingHandler>());
            var host = new SchedulerHost(builder.Build());
            await host.Get<Migrator>().ApplyAsync();
            await host._host.StartAsync();
            return host;
        }

        /// <summary>Every job in the store: what could still fire.</summary>
        public async Task<IReadOnlyList<JobKey>> JobsAsync()
        {
            var scheduler = await Get<ISchedulerFactory>().GetScheduler();
            var jobs = await scheduler.QueryJobs(new JobQuery { Group = GroupMatcher<JobKey>.AnyGroup(), Take = PagedQuery.All });
            return jobs.Items.Select(j => j.Key).ToList();
        }

        /// <summary>Waits until Quartz has deleted the send's job (it does once its only trigger has fired and the job ended).</summary>
        public Task WaitUntilGoneAsync(string workspace, string key) =>
            WaitUntilAsync(async () => !(await JobsAsync()).Contains(new JobKey(key, workspace)));

        /// <summary>Waits until no job is left in the store.</summary>
        public Task WaitUntilEmptyAsync() => WaitUntilAsync(async () => (await JobsAsync()).Count == 0);

        /// <summary>Polls the store (Quartz finishes a job on its own threads) for up to 30 s.</summary>
        private static async Task WaitUntilAsync(Func<Task<bool>> condition)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (!await condition()) await Task.Delay(20, timeout.Token);
        }

        public async ValueTask DisposeAsync()
        {
            await _host.StopAsync();
            _host.Dispose();
        }
    }
}
