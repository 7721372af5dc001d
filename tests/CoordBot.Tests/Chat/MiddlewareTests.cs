using CoordBot.Chat;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace CoordBot.Tests.Chat;

public sealed class MiddlewareTests
{
    [Fact]
    public async Task An_exception_in_a_handler_becomes_a_friendly_reply_with_an_error_id()
    {
        var boundary = new ErrorBoundaryMiddleware(NullLogger<ErrorBoundaryMiddleware>.Instance, new Support.ManualClock(DateTimeOffset.FromUnixTimeMilliseconds(0xabcdef)));
        var reply = await boundary.InvokeAsync(new ChatRequest("local", "local", "general", "alice", "ally list"),
            _ => throw new InvalidOperationException("database is locked"), default);
        Assert.NotNull(reply);
        Assert.True(reply.IsError);
        Assert.StartsWith("Sorry, something went wrong on my side (error abcdef).", reply.Text);
        Assert.DoesNotContain("database is locked", reply.Text);
    }

    [Fact]
    public async Task Bots_are_ignored_and_people_are_not()
    {
        var ignore = new IgnoreBotsMiddleware();
        var next = (ChatRequest _) => Task.FromResult<Reply?>(Reply.Say("hi"));
        Assert.Null(await ignore.InvokeAsync(new ChatRequest("slack", "T", "C", "B", "x", FromBot: true), next, default));
        Assert.NotNull(await ignore.InvokeAsync(new ChatRequest("slack", "T", "C", "U", "x"), next, default));
    }
}
