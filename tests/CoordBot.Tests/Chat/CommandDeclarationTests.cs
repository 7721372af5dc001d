using System.Text.RegularExpressions;
using CoordBot.Chat;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Chat;

/// <summary>A command's usage line and its declared flags cannot drift apart: each names exactly the other's flags.</summary>
public sealed class CommandDeclarationTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();
    private CoreChat _chat = null!;

    public async ValueTask InitializeAsync() => _chat = await CoreChat.StartAsync(_db);

    public async ValueTask DisposeAsync()
    {
        await _chat.DisposeAsync();
        _db.Dispose();
    }

    [Fact]
    public void Every_usage_names_its_declared_flags_and_no_others()
    {
        var problems = new List<string>();
        foreach (var spec in _chat.Get<CommandTable>().Groups.SelectMany(g => g.Commands))
        {
            var inUsage = Regex.Matches(spec.Usage, @"--([a-z][a-z-]*)").Select(m => m.Groups[1].Value).ToHashSet();
            var declared = spec.Flags.Where(f => f != FlagSpec.Share).Select(f => f.Name).ToHashSet();
            foreach (var missing in declared.Except(inUsage)) problems.Add($"{spec.FullName}: --{missing} is declared but not in the usage \"{spec.Usage}\"");
            foreach (var extra in inUsage.Except(declared)) problems.Add($"{spec.FullName}: the usage names --{extra}, which is not declared");
            if (!spec.Usage.StartsWith(spec.FullName, StringComparison.Ordinal)) problems.Add($"{spec.FullName}: the usage does not start with the command");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
