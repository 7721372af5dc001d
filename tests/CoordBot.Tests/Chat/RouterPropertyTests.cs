using CoordBot.Chat;
using CoordBot.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace CoordBot.Tests.Chat;

/// <summary>Whatever is typed, the tokenizer and the router never throw and always answer.</summary>
public sealed class RouterPropertyTests : CoreTest
{

    /// <summary>Words users type, and the characters that break naive parsers.</summary>
    private static readonly string[] Vocabulary =
    [
        "ally", "coord", "/ally", "add", "list", "find", "show", "edit", "log", "link", "remove", "map", "import", "export",
        "help", "settings", "admins", "status", "--org", "--sector", "--level", "--on", "--page", "--stale", "--yes", "--share",
        "--tz", "--as", "--via", "--tags", "--owner", "--=", "--", "-", "government", "career", "A1", "A0", "a999999999999",
        "in", "3", "days", "ago", "tomorrow", "2027-02-30", "\"", "“", "”", "„", "'", "@", "<@U1|x>", "<!channel>", "=", ",",
        "\n", "\t", "\0", "\u202E", "\uD800", "😀", "%", "_", "\\", "*", "NEAR(", "OR", "-1", "99999999999", "name,org\nx,y",
    ];

    private static Gen<string> Commands() =>
        Gen.Frequency(
            (3, Gen.ListOf(Gen.Elements(Vocabulary), 12).Select(words => string.Join(" ", words))),
            (2, Gen.ListOf(Gen.Elements(Vocabulary), 8).Select(words => string.Concat(words))),
            (1, ArbMap.Default.ArbFor<string>().Generator.Select(s => s ?? "")));

    [Fact]
    public void Tokenizer_never_throws()
    {
        Prop.ForAll(Arb.From(Commands()), text =>
        {
            var ok = Tokenizer.TryTokenize(text, out var tokens, out var error);
            return ok ? error is null && tokens.All(t => t.Text is not null) : error is { Length: > 0 };
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(2000));
    }

    [Fact]
    public void Router_always_answers_with_a_reply()
    {
        var router = Chat.Get<CommandRouter>();
        Prop.ForAll(Arb.From(Commands()), text =>
        {
            var reply = router.HandleAsync(new ChatRequest("slack", "T1", "C1", "U1", text)).GetAwaiter().GetResult();
            return reply is not null && !string.IsNullOrEmpty(reply.Text) && reply.Blocks.Count > 0 && !reply.Text.StartsWith("Sorry, something went wrong");
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(400));
    }

    [Fact]
    public void Buttons_and_forms_with_arbitrary_arguments_always_answer()
    {
        var router = Chat.Get<CommandRouter>();
        var actions = Gen.Elements(Vocabulary).SelectMany(command => Gen.ListOf(Gen.Elements(Vocabulary), 4),
            (command, words) => (Command: "ally " + command, Args: words.GroupBy(w => w.TrimStart('-')).ToDictionary(g => g.Key, g => g.First())));
        Prop.ForAll(Arb.From(actions), action =>
        {
            var reply = router.HandleAsync(new ChatRequest("slack", "T1", "C1", "U1", null, new ChatAction(action.Command, action.Args))).GetAwaiter().GetResult();
            return reply is not null && !reply.Text.StartsWith("Sorry, something went wrong");
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }
}
