using CoordBot.Allies;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Allies;

/// <summary>Linking the same pair from several places at once: one link, and exactly one person is told it is new.</summary>
public sealed class AllyLinkRaceTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();
    private CoreChat _chat = null!;

    public async ValueTask InitializeAsync() => _chat = await CoreChat.StartAsync(_db, new ManualClock(new DateTimeOffset(2026, 12, 1, 15, 0, 0, TimeSpan.Zero)));

    public async ValueTask DisposeAsync()
    {
        await _chat.DisposeAsync();
        _db.Dispose();
    }

    [Fact]
    public async Task Concurrent_links_of_one_pair_make_one_link_and_one_new_answer()
    {
        await _chat.Say("T1", "alice", "ally add \"Jane Doe\"");
        await _chat.Say("T1", "alice", "ally add \"Sam Lee\"");

        var replies = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            Task.Run(() => _chat.Say("T1", "alice", i % 2 == 0 ? "ally link A1 A2" : "ally link A2 A1"))));

        Assert.NotEmpty(replies);
        Assert.All(replies, r => Assert.False(r.IsError, r.Text));
        Assert.Single(replies, r => r.Text.StartsWith("Linked ", StringComparison.Ordinal));
        Assert.Equal(15, replies.Count(r => r.Text.Contains("already linked", StringComparison.Ordinal)));
        var jane = (await _chat.Get<AllyStore>().GetAsync("T1", 1))!;
        Assert.Single(await _chat.Get<AllyStore>().ConnectionsAsync("T1", jane.Id));
    }

    [Fact]
    public async Task A_relation_given_later_updates_the_link_and_one_left_out_keeps_it()
    {
        await _chat.Say("T1", "alice", "ally add \"Jane Doe\"");
        await _chat.Say("T1", "alice", "ally add \"Sam Lee\"");
        var store = _chat.Get<AllyStore>();
        var jane = (await store.GetAsync("T1", 1))!;
        var sam = (await store.GetAsync("T1", 2))!;
        Assert.True(await store.LinkAsync("T1", jane.Id, sam.Id, null, "alice", DateTimeOffset.UnixEpoch));
        Assert.False(await store.LinkAsync("T1", sam.Id, jane.Id, "neighbours", "bob", DateTimeOffset.UnixEpoch));
        Assert.False(await store.LinkAsync("T1", jane.Id, sam.Id, null, "bob", DateTimeOffset.UnixEpoch));
        Assert.Equal("neighbours", Assert.Single(await store.ConnectionsAsync("T1", jane.Id)).Relation);
        Assert.Empty(await store.ConnectionsAsync("T2", jane.Id));   // another workspace sees no link, whatever id it names
    }

    [Fact]
    public async Task An_add_whose_namesakes_have_later_ids_is_still_answered_with_the_new_ally()
    {
        // As when other instances on PostgreSQL commit namesakes meanwhile: six Jane Does with ids above any new one.
        for (var i = 0; i < 6; i++) await _chat.Say("T1", "alice", "ally add \"Jane Doe\"");
        await using (var connection = await _chat.Get<CoordBot.Data.Database>().OpenAsync())
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE allies SET id = id + 1000000 WHERE workspace_id = 'T1'");

        var (ally, namesakes) = await _chat.Get<AllyStore>().AddOneAsync("T1", new AllyFields { Name = "jane doe", Org = "Seventh" }, "alice", DateTimeOffset.UnixEpoch);

        Assert.Equal((7L, "Seventh"), (ally.RefNo, ally.Org));
        Assert.Equal(5, namesakes.Count);
        Assert.DoesNotContain(namesakes, a => a.Id == ally.Id);
    }
}
