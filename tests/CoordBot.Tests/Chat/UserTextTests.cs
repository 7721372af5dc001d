using CoordBot.Chat;
using Xunit;

namespace CoordBot.Tests.Chat;

/// <summary>The one text-cleaning helper every channel builds its escaping on.</summary>
public sealed class UserTextTests
{
    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("line one\r\nline two\rthree\u0085four\u2028five\u2029six", "line one\nline two\nthree\nfour\nfive\nsix")]
    [InlineData("tab\there", "tab\there")]
    [InlineData("bell\u0007 null\u0000 del\u007F c1\u009B", "bell null del c1")]
    [InlineData("emoji 🗳️ kept", "emoji 🗳️ kept")]
    public void Display_normalises_line_breaks_drops_controls_and_mends_surrogates(string input, string expected) =>
        Assert.Equal(expected, UserText.Display(input));

    [Fact]
    public void Display_can_make_tabs_spaces_and_returns_clean_text_itself()
    {
        Assert.Equal("a b", UserText.Display("a\tb", tabsAsSpaces: true));
        const string clean = "Jane Doe (A1), City of Atlanta";
        Assert.Same(clean, UserText.Display(clean));
        Assert.Equal("", UserText.Display(null));
        Assert.Equal("lone \uFFFD high and \uFFFD low", UserText.Display("lone \uD800 high and \uDC00 low"));
    }

    [Theory]
    [InlineData("a\u202Eevil\u202C", "a evil ")]                 // right-to-left override and pop
    [InlineData("zero\u200Bwidth\u200Djoin\uFEFF", "zero width join ")]
    [InlineData("isolate\u2066x\u2069", "isolate x ")]
    [InlineData("keep\nlines\tand tabs\r\n", "keep\nlines\tand tabs\n")]
    public void Stored_text_keeps_nothing_invisible(string input, string expected) => Assert.Equal(expected, UserText.Stored(input));

    [Fact]
    public void Values_come_back_exactly_but_for_what_json_cannot_carry()
    {
        const string value = "ally log A1 \"Coffee\" --on 2026-01-05\n\tindented";
        Assert.Same(value, UserText.Value(value));
        Assert.Equal("a\uFFFDb", UserText.Value("a\uD800b"));
        Assert.Equal("a\u0007b", UserText.Value("a\u0007b"));
        Assert.Equal("ab\n", UserText.Value("a\u0007b\n", dropControls: true));
    }

    [Fact]
    public void Long_input_is_cleaned_in_one_pass()
    {
        var input = string.Concat(Enumerable.Repeat("x\u0000\u202E\r\n", 250_000));
        Assert.Equal(string.Concat(Enumerable.Repeat("x\n", 250_000)), UserText.Display(input).Replace("\u202E", ""));
        Assert.Equal(string.Concat(Enumerable.Repeat("x  \n", 250_000)), UserText.Stored(input));
    }
}
