using System.Net;
using System.Text.Json;
using CoordBot.Data;
using CoordBot.Outbox;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Telemetry;

/// <summary>
/// <c>/readyz</c>: ok; degraded (still 200) when the oldest due outbox message has waited longer than
/// Outbox:DegradedAfter; 503 only when the database or the outbox dispatcher is down.
/// </summary>
public sealed class ReadinessTests : IDisposable
{
    private readonly TestDatabase _db = new();

    public void Dispose() => _db.Dispose();

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ReadyAsync(TestHost host)
    {
        using var response = await host.Http.GetAsync("/readyz");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        return (response.StatusCode, body);
    }

    [Fact]
    public async Task A_running_host_with_nothing_waiting_is_ok()
    {
        await using var host = new TestHost(_db);
        var (status, body) = await ReadyAsync(host);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ok", body.GetProperty("status").GetString());
        Assert.Equal("ok", body.GetProperty("database").GetString());
        Assert.Equal("running", body.GetProperty("outbox").GetString());
        Assert.Equal(0, body.GetProperty("backlog").GetProperty("due").GetInt64());
        Assert.Equal(600, body.GetProperty("backlog").GetProperty("degradedAfterSeconds").GetDouble());
    }

    [Fact]
    public async Task A_backlog_older_than_the_threshold_is_degraded_but_still_ready()
    {
        var now = DateTimeOffset.UtcNow;
        await using (var host = new TestHost(_db))
            await TelemetryTests.InsertStuckAsync(host.Get<Database>(), "stuck-1", now.AddMinutes(-20), now.AddHours(1));

        await using (var host = new TestHost(_db))
        {
            var (status, body) = await ReadyAsync(host);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("degraded", body.GetProperty("status").GetString());
            Assert.Equal("running", body.GetProperty("outbox").GetString());
            var backlog = body.GetProperty("backlog");
            Assert.Equal(1, backlog.GetProperty("due").GetInt64());
            Assert.InRange(backlog.GetProperty("oldestDueAgeSeconds").GetDouble(), 20 * 60 - 1, 30 * 60);
            Assert.Contains("Outbox:DegradedAfter", backlog.GetProperty("reason").GetString());
        }

        // The threshold is a setting: at an hour the same backlog is ok.
        await using (var patient = new TestHost(_db, settings: new() { ["Outbox:DegradedAfter"] = "01:00:00" }))
        {
            var (status, body) = await ReadyAsync(patient);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("ok", body.GetProperty("status").GetString());
            Assert.Equal(1, body.GetProperty("backlog").GetProperty("due").GetInt64());
            Assert.Equal(JsonValueKind.Null, body.GetProperty("backlog").GetProperty("reason").ValueKind);
        }
    }

    [Fact]
    public async Task A_stopped_dispatcher_is_unavailable()
    {
        await using var host = new TestHost(_db);
        await host.Get<OutboxDispatcher>().StopAsync(CancellationToken.None);
        var (status, body) = await ReadyAsync(host);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("unavailable", body.GetProperty("status").GetString());
        Assert.Equal("stopped", body.GetProperty("outbox").GetString());
        Assert.Equal("ok", body.GetProperty("database").GetString());
    }

    [Fact]
    public async Task An_unreachable_database_is_unavailable()
    {
        await using var host = new TestHost(_db);
        Assert.Equal(HttpStatusCode.OK, (await ReadyAsync(host)).Status);
        await using (await BreakDatabaseAsync())
        {
            // A connection the outbox was using while the pools were cleared returns to the pool afterwards, still
            // holding the moved SQLite file open; clear again until no such connection is left to answer the probe.
            var (status, body) = await ReadyAsync(host);
            for (var attempt = 0; status != HttpStatusCode.ServiceUnavailable && attempt < 50; attempt++)
            {
                if (!_db.IsPostgres) Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                else Npgsql.NpgsqlConnection.ClearAllPools();
                (status, body) = await ReadyAsync(host);
            }
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal("unavailable", body.GetProperty("status").GetString());
            Assert.Equal("unreachable", body.GetProperty("database").GetString());
            Assert.Equal(JsonValueKind.Null, body.GetProperty("backlog").ValueKind);
        }
    }

    [Fact]
    public void A_threshold_that_is_not_a_positive_time_span_fails_start_up_naming_the_key()
    {
        foreach (var bad in new[] { "soon", "00:00:00", "-00:01:00" })
        {
            var error = Assert.ThrowsAny<Exception>(() => new TestHost(_db, settings: new() { ["Outbox:DegradedAfter"] = bad }));
            Assert.Contains("Outbox:DegradedAfter", Host.SafeDefaultsTests.Innermost(error).Message);
        }
    }

    /// <summary>Takes the database away from the running host (the SQLite file moved; the PostgreSQL schema renamed) until disposed.</summary>
    private async Task<IAsyncDisposable> BreakDatabaseAsync()
    {
        if (_db.IsPostgres)
        {
            var schema = new Npgsql.NpgsqlConnectionStringBuilder(_db.ConnectionString).SearchPath!;
            Npgsql.NpgsqlConnection.ClearAllPools();
            PostgresLeg.Execute(PostgresLeg.Server!, $"ALTER SCHEMA {schema} RENAME TO {schema}_away");
            return new Restore(() => PostgresLeg.Execute(PostgresLeg.Server!, $"ALTER SCHEMA {schema}_away RENAME TO {schema}"));
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var moved = Path.GetDirectoryName(_db.FilePath)! + "-away";
        Directory.CreateDirectory(moved);
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(_db.FilePath)!))
            File.Move(file, Path.Combine(moved, Path.GetFileName(file)));
        await Task.CompletedTask;
        return new Restore(() => Directory.Delete(moved, recursive: true));
    }

    private sealed class Restore(Action undo) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            undo();
            return ValueTask.CompletedTask;
        }
    }
}
