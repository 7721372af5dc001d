using System.Buffers.Text;
using CoordBot.Dashboard;
using CoordBot.Data;
using CoordBot.Tests.Support;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CoordBot.Tests.Dashboard;

/// <summary>The dashboard's session store on the real database (SQLite here, PostgreSQL in that leg), without HTTP.</summary>
public sealed class DashboardSessionStoreTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 25, 15, 0, 0, TimeSpan.Zero));
    private CoreChat _core = null!;

    public async ValueTask InitializeAsync() =>
        _core = await CoreChat.StartAsync(_db, _clock, s => s.AddSingleton(new DashboardOptions { LinkLifetime = TimeSpan.FromHours(2) }));

    public async ValueTask DisposeAsync()
    {
        await _core.DisposeAsync();
        _db.Dispose();
    }

    private DashboardSessions Sessions => _core.Get<DashboardSessions>();

    private static (string W, string U, string G, string Exp, string Sig) Parse(string link)
    {
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri("http://x" + link).Query);
        return (query["w"]!, query["u"]!, query["g"]!, query["exp"]!, query["sig"]!);
    }

    private async Task<(string? Cookie, LinkRefusal Refusal)> OpenAsync(string link)
    {
        var (w, u, g, exp, sig) = Parse(link);
        return await Sessions.OpenAsync(w, u, g, exp, sig);
    }

    [Fact]
    public async Task A_session_is_stored_by_the_hash_of_its_id_and_lasts_the_link_lifetime()
    {
        var (cookie, refusal) = await OpenAsync(await Sessions.LinkAsync("T1", "alice"));
        Assert.Equal(LinkRefusal.None, refusal);
        var token = cookie!.Split('.')[1];
        Assert.Equal(32, Base64Url.DecodeFromChars(token).Length);   // 256 random bits

        await using (var connection = await _core.Get<Database>().OpenAsync())
        {
            var stored = (await connection.QueryAsync<(string Workspace, string Hash, string User)>(
                "SELECT workspace_id, id_hash, user_id FROM dashboard_sessions")).Single();
            Assert.Equal(("T1", "alice"), (stored.Workspace, stored.User));
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Base64Url.DecodeFromChars(token))), stored.Hash);
            Assert.DoesNotContain(token, stored.Hash, StringComparison.Ordinal);
        }

        var session = await Sessions.LookupAsync(cookie);
        Assert.Equal(new DashboardSession("T1", "alice", _clock.GetUtcNow().AddHours(2)), session);
        _clock.Advance(TimeSpan.FromHours(2));
        Assert.Null(await Sessions.LookupAsync(cookie));
        // The next session opened in the workspace clears the expired one.
        Assert.NotNull((await OpenAsync(await Sessions.LinkAsync("T1", "bob"))).Cookie);
        await using var check = await _core.Get<Database>().OpenAsync();
        Assert.Equal(1, await check.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM dashboard_sessions"));
    }

    [Fact]
    public async Task Revoking_one_workspace_leaves_the_others_alone()
    {
        var t1 = (await OpenAsync(await Sessions.LinkAsync("T1", "alice"))).Cookie;
        var t2 = (await OpenAsync(await Sessions.LinkAsync("T2", "alice"))).Cookie;
        var t1Link = await Sessions.LinkAsync("T1", "carol");
        var t2Link = await Sessions.LinkAsync("T2", "carol");

        Assert.Equal(1, await Sessions.RevokeAsync("T1", "admin"));
        Assert.Null(await Sessions.LookupAsync(t1));
        Assert.Equal((null, LinkRefusal.Revoked), await OpenAsync(t1Link));
        Assert.Equal("T2", (await Sessions.LookupAsync(t2))?.WorkspaceId);
        Assert.NotNull((await OpenAsync(t2Link)).Cookie);

        // A second revocation moves the generation on again: links of the first generation stay dead.
        var second = await Sessions.LinkAsync("T1", "carol");
        Assert.Contains("&g=1&", second, StringComparison.Ordinal);
        Assert.Equal(0, await Sessions.RevokeAsync("T1", "admin"));
        Assert.Equal((null, LinkRefusal.Revoked), await OpenAsync(second));
        Assert.NotNull((await OpenAsync(await Sessions.LinkAsync("T1", "carol"))).Cookie);
    }

    [Fact]
    public async Task A_session_that_slipped_in_beside_a_revocation_is_refused()
    {
        var (cookie, _) = await OpenAsync(await Sessions.LinkAsync("T1", "alice"));
        // As if the session's insert had committed after a revocation that read no sessions: it keeps the old generation.
        await using (var connection = await _core.Get<Database>().OpenAsync())
            await connection.ExecuteAsync("""
                INSERT INTO dashboard_generations (workspace_id, generation, revoked_at, revoked_by) VALUES ('T1', 1, '2026-11-25T15:00:00.0000000Z', 'admin')
                """);
        Assert.Null(await Sessions.LookupAsync(cookie));
    }

    [Fact]
    public async Task Malformed_input_is_refused_and_writes_nothing()
    {
        var link = await Sessions.LinkAsync("T1", "alice");
        var (w, u, g, exp, sig) = Parse(link);
        var attempts = new (string?, string?, string?, string?, string?)[]
        {
            (null, u, g, exp, sig), (w, null, g, exp, sig), (w, u, null, exp, sig), (w, u, g, null, sig), (w, u, g, exp, null),
            ("", u, g, exp, sig), (new string('w', 201), u, g, exp, sig), (w, u, "-1", exp, sig), (w, u, "1e3", exp, sig),
            (w, u, g, "12345678901234567890", sig), (w, u, g, "-5", sig), (w, u, g, exp, new string('A', 65)), (w, u, g, exp, sig + "A"),
            ("T2", u, g, exp, sig), (w, "bob", g, exp, sig),
        };
        foreach (var (aw, au, ag, aexp, asig) in attempts)
            Assert.NotEqual(LinkRefusal.None, (await Sessions.OpenAsync(aw, au, ag, aexp, asig)).Refusal);
        foreach (var cookie in new[] { null, "", ".", "a.b.c", "!!!.???", "VDE." + new string('A', 43), new string('x', 600) })
            Assert.Null(await Sessions.LookupAsync(cookie));
        await using var connection = await _core.Get<Database>().OpenAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM dashboard_sessions"));
    }
}
