using System.Text.RegularExpressions;
using CoordBot.Chat;
using CoordBot.Data;
using CoordBot.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CoordBot.Tests.Workspaces;

/// <summary>
/// Every command that takes a reference (an ally, an election, an initiative; by A3/E2/I2 or by name),
/// generated from the command table: typed in one workspace with a reference that exists only in another,
/// it answers that the reference is unknown, shows nothing of the other workspace, and changes none of
/// its rows. A new command with a reference is covered without touching this test.
/// </summary>
public sealed partial class WorkspaceReferenceTests : IAsyncLifetime
{
    private const string Home = "T1";
    private const string Other = "T2";
    private const string HomeMark = "t1mark";

    private readonly TestDatabase _db = new();
    private CoreChat _chat = null!;

    public async ValueTask InitializeAsync()
    {
        _chat = await CoreChat.StartAsync(_db, new ManualClock(new DateTimeOffset(2027, 1, 6, 15, 0, 0, TimeSpan.Zero)));
        // The same start in both workspaces; the home has more (A3 Carol, E2, I2 Jobs) and marks its text.
        foreach (var (ws, user, mark) in new[] { (Home, "hana", HomeMark), (Other, "otto", "t2mark") })
        {
            await Ok(ws, user, $"ally add \"Alice Ames\" --org \"City of Atlanta\" --level elected --sector government --jurisdiction Atlanta --email alice@{mark}.example");
            await Ok(ws, user, $"ally add \"Bob Burns\" --org \"City of Atlanta\" --level career --sector government --jurisdiction Atlanta --notes \"{mark}\"");
            await Ok(ws, user, $"election add Atlanta 2027-11-02 --name \"General {mark}\"");
            await Ok(ws, user, $"checkin setup Housing --metric \"housed {mark}:people:increase\" --baseline 10 --target 100 --by 2027-12-31");
        }
        await Ok(Home, "hana", $"ally add \"Carol Cole\" --org \"Housing Authority {HomeMark}\" --level career --jurisdiction Atlanta --notes {HomeMark}");
        await Ok(Home, "hana", "ally log A3 \"met at the council\" --via meeting");
        await Ok(Home, "hana", "ally link A3 A1 --as colleagues");
        await Ok(Home, "hana", $"election add Atlanta 2028-01-04 --name \"Runoff {HomeMark}\"");
        await Ok(Home, "hana", $"checkin setup Jobs --metric \"jobs {HomeMark}:people:increase\"");
        await Ok(Home, "hana", "checkin submit I2 \"jobs t1mark=5\"");
    }

    public async ValueTask DisposeAsync()
    {
        await _chat.DisposeAsync();
        _db.Dispose();
    }

    private async Task Ok(string workspace, string user, string text)
    {
        var reply = await _chat.Say(workspace, user, text);
        Assert.False(reply.IsError, $"{text}: {CoreChat.Plain(reply)}");
    }

    /// <summary>Each command with a reference, once by reference and once by name where names resolve too.</summary>
    public static TheoryData<string, string> Attempts()
    {
        // The command table as the host builds it (nothing is opened: the table only declares the commands).
        var provider = new ServiceCollection().AddLogging().AddCoordBot(new StorageOptions { ConnectionString = "Data Source=:memory:" }).BuildServiceProvider();
        var data = new TheoryData<string, string>();
        foreach (var spec in provider.GetRequiredService<CommandTable>().Groups.SelectMany(g => g.Commands))
        {
            if (Filled(spec, byName: false) is not { } byRef) continue;
            data.Add(spec.FullName, byRef);
            if (Filled(spec, byName: true) is { } byName && byName != byRef) data.Add(spec.FullName, byName);
        }
        provider.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return data;
    }

    [Theory]
    [MemberData(nameof(Attempts))]
    public async Task A_reference_to_another_workspace_is_unknown_here_and_changes_nothing_there(string command, string text)
    {
        var before = await WorkspaceRows.SnapshotAsync(_chat.Get<Database>(), Home);

        var reply = await _chat.Say(Other, "otto", text);

        var plain = CoreChat.Plain(reply);
        Assert.DoesNotContain(HomeMark, plain, StringComparison.OrdinalIgnoreCase);
        Assert.True(reply.IsError, $"{command}: «{text}» answered {plain}");
        Assert.Matches(@"A3|E2|I2|Carol|Jobs", plain);   // the answer names what it could not find
        Assert.Equal(before, await WorkspaceRows.SnapshotAsync(_chat.Get<Database>(), Home));

        // The same words in the home workspace do reach something: the answer above is the workspace's doing.
        Assert.NotEqual(plain, CoreChat.Plain(await _chat.Say(Home, "hana", text)));
    }

    [Fact]
    public void The_generated_attempts_cover_every_kind_of_reference()
    {
        var commands = Attempts().Select(row => row.Data.Item1).ToHashSet();
        Assert.Superset(new HashSet<string> { "ally show", "ally edit", "ally log", "ally link", "ally remove", "election show", "election remove",
            "election risk", "election preview", "election office", "checkin digest", "checkin skip", "checkin pause", "checkin remove", "checkin export",
            "checkin import", "checkin report", "checkin submit", "checkin status" }, commands);
    }

    /// <summary>
    /// The command as a user would type it with the other workspace's reference: its usage line with every
    /// reference placeholder filled (the first with A3/E2/I2 or Carol/Jobs, a second ally with A1, which both
    /// have), other placeholders with plain values, required flags with their first choice, optional parts left out.
    /// Null when the command takes no reference.
    /// </summary>
    private static string? Filled(CommandSpec spec, bool byName)
    {
        var usage = spec.Usage.Split("  (")[0].Split(" | ")[0];
        if (!ReferenceWord().IsMatch(usage)) return null;
        var ally = byName ? "Carol" : "A3";
        var refs = 0;
        var text = OptionalPart().Replace(usage, m => m.Value == "[<initiative>]" ? "<initiative>" : "");
        text = Placeholder().Replace(text, m => m.Groups[1].Value switch
        {
            "ref" when spec.Command == "election" => "E2",
            "ref" => refs++ == 0 ? ally : "A1",
            "ally ref" => ally,
            "initiative" => byName ? "Jobs" : "I2",
            "date" => "2027-01-11",
            "note" => "\"a note\"",
            var other => throw new InvalidOperationException($"{spec.FullName}: no value for <{other}>"),
        });
        text = RequiredChoice().Replace(text, m => $"--{m.Groups[1].Value} {m.Groups[2].Value}");
        text += spec.FullName switch
        {
            "ally remove" => " --yes",                  // past the confirmation
            "ally edit" => " --notes overwritten",      // something to change
            _ => "",
        };
        return MultipleSpaces().Replace(text, " ").Trim();
    }

    [GeneratedRegex(@"<(ref|ally ref|initiative)>")]
    private static partial Regex ReferenceWord();

    [GeneratedRegex(@"\[[^\[\]]*\](\.\.\.)?")]
    private static partial Regex OptionalPart();

    [GeneratedRegex(@"<([a-z ]+)>")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"--([a-z-]+) ([a-z]+)\|[a-z|]+")]
    private static partial Regex RequiredChoice();

    [GeneratedRegex(@"\s{2,}")]
    private static partial Regex MultipleSpaces();
}
