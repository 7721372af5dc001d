using System.Globalization;
using CoordBot.Chat;
using CoordBot.Data;
using CoordBot.Downloads;
using CoordBot.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace CoordBot.Tests.Host;

public sealed class DownloadStoreTests : IDisposable
{
    private readonly TestDatabase _db = new();

    [Fact]
    public async Task A_link_works_for_an_hour_and_tokens_are_unguessable()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-11-29T12:00:00Z", CultureInfo.InvariantCulture));
        var database = new Database(_db.Options);
        await new Migrator(database, clock, NullLogger<Migrator>.Instance).ApplyAsync();
        var downloads = new DownloadStore(database, clock);
        var file = new FileAttachment("allies.csv", "text/csv", "name\nJane Doe\n");

        var token = await downloads.CreateAsync("T1", "29:alice", file);
        var other = await downloads.CreateAsync("T1", "29:alice", file);
        Assert.NotEqual(token, other);
        Assert.Equal(43, token.Length);
        Assert.Equal(file, await downloads.GetAsync(token));

        clock.Advance(TimeSpan.FromMinutes(59));
        Assert.NotNull(await downloads.GetAsync(token));
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(await downloads.GetAsync(token));
        Assert.Null(await downloads.GetAsync("not-a-token"));
    }

    public void Dispose() => _db.Dispose();
}
