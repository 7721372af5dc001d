using CoordBot.Chat;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Chat;

/// <summary>Help works the same way for every command group and every command, whichever way it is asked for.</summary>
public sealed class HelpTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();
    private CoreChat _chat = null!;

    public async ValueTask InitializeAsync() => _chat = await CoreChat.StartAsync(_db, new ManualClock(new DateTimeOffset(2026, 12, 1, 15, 0, 0, TimeSpan.Zero)));

    public async ValueTask DisposeAsync()
    {
        await _chat.DisposeAsync();
        _db.Dispose();
    }

    public static TheoryData<string> Groups => ["ally", "election", "checkin", "coord"];

    [Theory]
    [MemberData(nameof(Groups))]
    public async Task A_group_alone_or_with_help_or_dash_dash_help_lists_its_commands(string group)
    {
        var commands = _chat.Get<CommandTable>().Group(group)!.Commands.Select(c => c.Name).ToList();
        foreach (var asked in new[] { group, $"{group} --help", $"{group} /help", $"{group.ToUpperInvariant()} --HELP" })
        {
            var reply = await _chat.Say("T1", "alice", asked);
            Assert.False(reply.IsError, $"{asked}: {reply.Text}");
            var text = CoreChat.Plain(reply);
            Assert.NotEmpty(commands);
            Assert.All(commands, name => Assert.Contains($"{group} {name}", text));
        }
    }

    [Theory]
    [MemberData(nameof(Groups))]
    public async Task Every_command_explains_itself_with_help_or_dash_dash_help(string group)
    {
        foreach (var spec in _chat.Get<CommandTable>().Group(group)!.Commands.Where(c => c.Name != "help"))
            foreach (var asked in new[] { $"{group} {spec.Name} --help", $"{group} {spec.Name} help" })
            {
                var reply = await _chat.Say("T1", "alice", asked);
                Assert.False(reply.IsError, $"{asked}: {reply.Text}");
                Assert.Contains(spec.Usage, CoreChat.Plain(reply));
            }
    }

    [Fact]
    public async Task Coord_help_is_everything()
    {
        var text = CoreChat.Plain(await _chat.Say("T1", "alice", "coord help"));
        foreach (var group in new[] { "ally add", "election add", "checkin setup", "coord status" }) Assert.Contains(group, text);
    }
}
