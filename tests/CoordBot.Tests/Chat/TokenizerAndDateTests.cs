using System.Globalization;
using CoordBot.Chat;
using CoordBot.Chat.Rendering;
using Xunit;

namespace CoordBot.Tests.Chat;

public sealed class TokenizerAndDateTests
{
    private static List<(string, bool)> Tokens(string line)
    {
        Assert.True(Tokenizer.TryTokenize(line, out var tokens, out var error), error);
        return tokens.Select(t => (t.Text, t.IsFlag)).ToList();
    }

    [Fact]
    public void Quotes_group_words_and_quoted_flags_are_words()
    {
        Assert.Equal([("ally", false), ("add", false), ("Jane Doe", false), ("--org", true), ("City of Atlanta", false)],
            Tokens("ally add \"Jane Doe\" --org “City of Atlanta”"));
        Assert.Equal([("--org=City of Atlanta", true)], Tokens("--org=\"City of Atlanta\""));
        Assert.Equal([("--not-a-flag", false)], Tokens("\"--not-a-flag\""));
        Assert.Equal([("O'Brien", false), ("", false)], Tokens("O'Brien \"\""));
        Assert.Equal([("a", false), ("b", false)], Tokens("  a\t\tb  "));
        Assert.Equal([("--", false), ("-x", false)], Tokens("-- -x"));
    }

    [Fact]
    public void An_unclosed_quote_is_reported()
    {
        Assert.False(Tokenizer.TryTokenize("ally add \"Jane Doe --org X", out _, out var error));
        Assert.StartsWith("The quote opened at \"Jane Doe --org X… is never closed.", error);
    }

    [Fact]
    public void Invisible_and_control_characters_become_spaces()
    {
        Assert.Equal("a b c d e\nf", UserText.Stored("a\u0000b\u202Ec\u200Bd\u0007e\r\nf"));
    }

    [Theory]
    [InlineData("2027-11-02", "2027-11-02")]
    [InlineData("today", "2026-11-22")]
    [InlineData("Tomorrow", "2026-11-23")]
    [InlineData("yesterday", "2026-11-21")]
    [InlineData("in 3 days", "2026-11-25")]
    [InlineData("in 1 week", "2026-11-29")]
    [InlineData("in  2   weeks", "2026-12-06")]
    [InlineData("5 days ago", "2026-11-17")]
    [InlineData("2 weeks ago", "2026-11-08")]
    public void Dates_are_read(string text, string expected)
    {
        Assert.True(DateWords.TryParse(text, new DateOnly(2026, 11, 22), out var date));
        Assert.Equal(expected, date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("2027-02-30")]
    [InlineData("11/02/2027")]
    [InlineData("in three days")]
    [InlineData("in 3 months")]
    [InlineData("in 10000 days")]
    [InlineData("")]
    public void Bad_dates_are_refused(string text)
    {
        Assert.False(DateWords.TryParse(text, new DateOnly(2026, 11, 22), out _));
    }

    [Fact]
    public void Renderers_escape_user_text_for_their_target()
    {
        var reply = new Reply("<b>x</b> & y",
        [
            new Heading("<h1>"), new Paragraph("a\nb <i>"), new Fields([new Field("<k>", "<v>")]), new ItemList([new ListItem("<t>", "<d>")]),
            new Table(["<h>"], [["<c>"]]), new Actions([new Button("<btn>", new ChatAction("ally show \"<x>\""))]),
            new Form("<form>", "ally add", [new Input("name", "<label>", Initial: "\"><script>")]), new Context("<ctx>"),
            new FileAttachment("<f>.csv", "text/csv", "<csv>"),
        ]);
        var html = HtmlRenderer.Render(reply);
        Assert.DoesNotContain("<h1>", html);
        Assert.DoesNotContain("<script>", html);
        Assert.DoesNotContain("<i>", html);
        foreach (var tag in new[] { "&lt;h1&gt;", "a<br>b &lt;i&gt;", "&lt;k&gt;", "&lt;v&gt;", "&lt;t&gt;", "&lt;d&gt;", "&lt;h&gt;", "&lt;c&gt;", "&lt;btn&gt;", "&lt;label&gt;", "&quot;&gt;&lt;script&gt;", "&lt;ctx&gt;" })
            Assert.Contains(tag, html);
        Assert.Contains("data-action=\"{&quot;command&quot;:&quot;ally show \\u0022\\u003Cx\\u003E\\u0022&quot;}\"", html);

        var plain = PlainTextRenderer.Render(reply);
        Assert.Equal("""
            <h1>
            a
            b <i>
            <k>: <v>
            • <t> — <d>
            <h>
            <c>
            [<btn>]
            <form>: <label>
            <ctx>
            File: <f>.csv
            """.ReplaceLineEndings("\n"), plain.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Replies_round_trip_through_json()
    {
        var reply = new Reply("t", [new Heading("h"), new Actions([new Button("b", new ChatAction("ally list", new Dictionary<string, string> { ["page"] = "2" }), ButtonStyle.Danger)]),
            new Form("f", "ally add", [new Input("sector", "Sector", InputKind.Choice, Choices: ["a", "b"])])], Ephemeral: true);
        var json = ReplyJson.Serialize(reply);
        Assert.Contains("\"type\":\"actions\"", json);
        Assert.Contains("\"style\":\"Danger\"", json);
        var back = ReplyJson.Deserialize(json);
        Assert.Equal(json, ReplyJson.Serialize(back));
    }
}
