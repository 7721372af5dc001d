using System.Net;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Host;

public sealed class RestartAndChannelTests
{
    [Fact]
    public async Task Data_survives_a_restart_of_the_host()
    {
        using var db = new TestDatabase();
        await using (var first = new TestHost(db))
        {
            await first.User("alice").Says("ally add \"Jane Doe\" --org \"City of Atlanta\"").Expect("Added Jane Doe (A1)");
            await first.User("alice").Says("ally log A1 \"Coffee\" --on 2026-01-05").Expect("Last contact: 2026-01-05");
        }
        await using var second = new TestHost(db);
        await second.User("alice").Says("ally show jane").Expect("Jane Doe (A1)", "Organization: City of Atlanta", "2026-01-05");
        await second.User("alice").Says("ally add \"Sam Lee\"").Expect("Added Sam Lee (A2)");
        await second.User("bob").Says("coord admins").Expect("@alice");
        Assert.True(db.IsPostgres || File.Exists(db.FilePath));
    }

    [Fact]
    public async Task Local_channel_is_off_outside_development_unless_enabled()
    {
        using var db = new TestDatabase();
        await using (var off = new TestHost(db, settings: new() { ["Local:Enabled"] = "false" }))
        {
            using var response = await off.Http.PostAsync("/local/messages", new StringContent("{}"));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Contains("local chat page is off", await off.Http.GetStringAsync("/"));
        }
        await using var on = new TestHost(db, settings: new() { ["Local:Enabled"] = "true" });
        await on.User("alice").Says("ally list").Expect("No allies yet");
    }
}
