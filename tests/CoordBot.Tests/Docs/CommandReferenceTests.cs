#if !POSTGRES_LEG
using CoordBot.Chat;
using CoordBot.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CoordBot.Tests.Docs;

/// <summary>
/// docs/commands.md is generated from the routing table: these tests fail when the committed page is stale.
/// Regenerate it with <c>COORDBOT_UPDATE_DOCS=1 dotnet test tests/CoordBot.Tests --filter "FullyQualifiedName~CommandReference"</c>.
/// </summary>
public sealed class CommandReferenceTests : IDisposable
{
    private const string UpdateVariable = "COORDBOT_UPDATE_DOCS";
    private readonly TestDatabase _db = new();

    public void Dispose() => _db.Dispose();

    /// <summary>The routing table exactly as the host builds it, from the core's real service registrations.</summary>
    private async Task<CommandTable> RealTable()
    {
        await using var provider = new ServiceCollection().AddLogging().AddCoordBot(_db.Options).BuildServiceProvider();
        return provider.GetRequiredService<CommandTable>();
    }

    [Fact]
    public async Task The_committed_command_reference_matches_the_routing_table()
    {
        var path = Path.Combine(RepoRoot(), "docs", "commands.md");
        var committed = File.Exists(path) ? File.ReadAllText(path).ReplaceLineEndings("\n") : "";
        var expected = CommandReference.Splice(committed, CommandReference.Markdown(await RealTable()));
        if (expected == committed) return;

        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(path, expected);
            return;
        }
        var line = FirstDifference(committed, expected);
        Assert.Fail($"docs/commands.md is stale (first difference at line {line}). Regenerate it with: " +
                    $"{UpdateVariable}=1 dotnet test tests/CoordBot.Tests --filter \"FullyQualifiedName~CommandReference\" and commit the file.");
    }

    [Fact]
    public async Task Every_command_flag_and_choice_of_the_table_is_in_the_reference()
    {
        var table = await RealTable();
        var markdown = CommandReference.Markdown(table);
        Assert.StartsWith(CommandReference.Begin, markdown);
        Assert.EndsWith(CommandReference.End + "\n", markdown);
        Assert.Equal(["ally", "election", "checkin", "coord"], table.Groups.Select(g => g.Name));
        foreach (var group in table.Groups)
        {
            Assert.Contains($"\n## {group.Name}\n", markdown);
            foreach (var spec in group.Commands)
            {
                Assert.Contains($"\n### {spec.FullName}\n", markdown);
                Assert.Contains($"](#{spec.Command}-{spec.Name})", markdown);
                Assert.Contains(spec.Usage, markdown);
                foreach (var flag in spec.Flags)
                    Assert.Contains($"`--{flag.Name}`", Section(markdown, spec.FullName));
                foreach (var choice in spec.Flags.SelectMany(f => f.Choices ?? []))
                    Assert.Contains($"`{choice}`", Section(markdown, spec.FullName));
                foreach (var example in spec.Examples)
                    Assert.Contains(example, Section(markdown, spec.FullName));
            }
        }
        Assert.Contains("| `--sector` | one of `government`, ", markdown);
        Assert.Contains("| `--metric` | text; may be repeated |", markdown);
    }

    [Fact]
    public void User_text_cannot_break_the_tables_or_become_html()
    {
        var spec = new CommandSpec("demo", "run", "demo run <x> [--mode a|b]", "Runs <b>bold</b> | pipes * and _under_.",
            [new FlagSpec("mode", FlagKind.Text, "a|b or `code`")], ["demo run ``` fenced"], (_, _) => Task.FromResult(Reply.Say("ok")));
        var markdown = CommandReference.Markdown(new CommandTable([new CommandGroup("demo", "a | demo", [spec])]));

        Assert.Contains("| [`demo run`](#demo-run) | Runs &lt;b&gt;bold&lt;/b&gt; \\| pipes \\* and \\_under\\_. |", markdown);
        Assert.Contains("| `--mode` | text | a\\|b or \\`code\\` |", markdown);
        Assert.Contains("````\ndemo run ``` fenced\n````", markdown);   // the fence outlasts the backticks inside
        Assert.Contains("```\ndemo run <x> [--mode a|b]\n```", markdown);
    }

    [Fact]
    public void Splicing_keeps_the_hand_written_text_around_the_generated_part()
    {
        var file = $"# Intro\n\nhand-written\n\n{CommandReference.Begin}\nold\n{CommandReference.End}\n\n## After\n";
        var spliced = CommandReference.Splice(file, $"{CommandReference.Begin}\nnew\n{CommandReference.End}\n");
        Assert.Equal($"# Intro\n\nhand-written\n\n{CommandReference.Begin}\nnew\n{CommandReference.End}\n\n## After\n", spliced);
    }

    /// <summary>The text of one command's section, up to the next heading.</summary>
    private static string Section(string markdown, string fullName)
    {
        var start = markdown.IndexOf($"\n### {fullName}\n", StringComparison.Ordinal);
        var next = markdown.IndexOf("\n#", start + 5, StringComparison.Ordinal);
        return next < 0 ? markdown[start..] : markdown[start..next];
    }

    private static int FirstDifference(string a, string b)
    {
        var la = a.Split('\n');
        var lb = b.Split('\n');
        for (var i = 0; i < Math.Min(la.Length, lb.Length); i++)
            if (la[i] != lb[i]) return i + 1;
        return Math.Min(la.Length, lb.Length) + 1;
    }

    /// <summary>The folder holding CoordBot.sln, found by walking up from the test's output folder.</summary>
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CoordBot.sln"))) return dir.FullName;
        throw new InvalidOperationException($"CoordBot.sln not found above {AppContext.BaseDirectory}.");
    }
}
#endif
