using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests;

public sealed class SmokeTests
{
    [Fact]
    public async Task Host_answers_over_loopback()
    {
        using var db = new TestDatabase();
        await using var host = new TestHost(db);
        var alice = host.User("alice");
        await alice.Says("ally add \"Jane Doe\" --org \"City of Atlanta\"").Expect("Added Jane Doe (A1)");
        Assert.StartsWith("http://127.0.0.1", host.BaseAddress.ToString());
    }
}
