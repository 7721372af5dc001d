using CoordBot.Chat;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace CoordBot.Tests.Chat;

public sealed class MiddlewareTests
{
    [Fact]
    public async Task An_exception_in_a_handler_becomes_a_friendly_reply_with_an_error_id_and_a_log_line_without_the_arguments()
    {
        var log = new Support.ListLogger<ErrorBoundaryMiddleware>();
        var boundary = new ErrorBoundaryMiddleware(log);
        var reply = await boundary.InvokeAsync(
            new ChatRequest("local", "local", "general", "alice", "ally add \"Jane Doe\" --email jane@example.org --notes \"divorce pending\""),
            _ => throw new InvalidOperationException("database is locked"), default);
        Assert.NotNull(reply);
        Assert.True(reply.IsError);
        var id = System.Text.RegularExpressions.Regex.Match(reply.Text, @"^Sorry, something went wrong on my side \(error ([a-z2-9]{10})\)\.").Groups[1].Value;
        Assert.NotEmpty(id);
        Assert.DoesNotContain("database is locked", reply.Text);

        var line = Assert.Single(log.Lines);
        Assert.Contains(id, line);
        Assert.Contains("ally add", line);
        Assert.DoesNotContain("Jane", line);
        Assert.DoesNotContain("jane@example.org", line);
        Assert.DoesNotContain("divorce", line);
    }

    [Fact]
    public void Error_ids_made_at_the_same_instant_differ()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => ErrorBoundaryMiddleware.NewErrorId()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.NotEmpty(ids);
        Assert.All(ids, id => Assert.Matches("^[a-z2-9]{10}$", id));
    }

    [Theory]
    [InlineData("ally add \"Jane Doe\" --email jane@example.org", "ally add")]
    [InlineData("checkin submit I1 homeless=12", "checkin submit")]
    [InlineData("ally\nName,Email\nJane,jane@example.org", "ally")]
    [InlineData("Jane Doe's phone is 555-0100", "? ?")]
    [InlineData("", "(empty)")]
    public void The_command_name_never_carries_arguments(string text, string name) =>
        Assert.Equal(name, new ChatRequest("local", "local", "general", "alice", text).CommandName);

    [Fact]
    public async Task Bots_are_ignored_and_people_are_not()
    {
        var ignore = new IgnoreBotsMiddleware();
        var next = (ChatRequest _) => Task.FromResult<Reply?>(Reply.Say("hi"));
        Assert.Null(await ignore.InvokeAsync(new ChatRequest("slack", "T", "C", "B", "x", FromBot: true), next, default));
        Assert.NotNull(await ignore.InvokeAsync(new ChatRequest("slack", "T", "C", "U", "x"), next, default));
    }
}
