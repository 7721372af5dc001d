using System.Text.Json.Nodes;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Slack;

/// <summary>The limit checks catch what Slack would refuse, so a passing renderer test means something.</summary>
public sealed class BlockKitLimitsTests
{
    private static JsonObject Plain(string text) => new() { ["type"] = "plain_text", ["text"] = text };

    private static JsonObject Section(string text) => new() { ["type"] = "section", ["text"] = Plain(text) };

    private static JsonObject Button(string id, string text = "Go", string value = "v") =>
        new() { ["type"] = "button", ["action_id"] = id, ["text"] = Plain(text), ["value"] = value };

    private static JsonObject Message(params JsonObject[] blocks) => new() { ["text"] = "fallback", ["blocks"] = new JsonArray(blocks) };

    private static JsonObject Modal(params JsonObject[] blocks) => new()
    {
        ["type"] = "modal", ["title"] = Plain("Title"), ["submit"] = Plain("Save"), ["blocks"] = new JsonArray(blocks),
    };

    private static JsonObject Input(string blockId, JsonObject element) =>
        new() { ["type"] = "input", ["block_id"] = blockId, ["label"] = Plain("Label"), ["element"] = element };

    private static JsonObject Select(int options, string? initial = null)
    {
        var select = new JsonObject
        {
            ["type"] = "static_select", ["action_id"] = "value",
            ["options"] = new JsonArray([.. Enumerable.Range(0, options).Select(i => (JsonNode)new JsonObject { ["text"] = Plain($"o{i}"), ["value"] = $"o{i}" })]),
        };
        if (initial is not null) select["initial_option"] = new JsonObject { ["text"] = Plain(initial), ["value"] = initial };
        return select;
    }

    public static TheoryData<string, JsonObject> BadMessages() => new()
    {
        { "51 blocks", Message([.. Enumerable.Range(0, 51).Select(_ => new JsonObject { ["type"] = "divider" })]) },
        { "no blocks", Message() },
        { "a 4001-character fallback", new JsonObject { ["text"] = new string('t', 4001), ["blocks"] = new JsonArray(Section("x")) } },
        { "a 3001-character section", Message(Section(new string('s', 3001))) },
        { "an empty text", Message(Section("")) },
        { "a blank text", Message(Section("  \n ")) },
        { "a section without text", Message(new JsonObject { ["type"] = "section" }) },
        { "11 fields", Message(new JsonObject { ["type"] = "section", ["fields"] = new JsonArray([.. Enumerable.Range(0, 11).Select(_ => (JsonNode)Plain("f"))]) }) },
        { "a 2001-character field", Message(new JsonObject { ["type"] = "section", ["fields"] = new JsonArray(Plain(new string('f', 2001))) }) },
        { "a 151-character header", Message(new JsonObject { ["type"] = "header", ["text"] = Plain(new string('h', 151)) }) },
        { "a mrkdwn header", Message(new JsonObject { ["type"] = "header", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = "h" } }) },
        { "11 context elements", Message(new JsonObject { ["type"] = "context", ["elements"] = new JsonArray([.. Enumerable.Range(0, 11).Select(_ => (JsonNode)Plain("c"))]) }) },
        { "26 buttons", Message(new JsonObject { ["type"] = "actions", ["elements"] = new JsonArray([.. Enumerable.Range(0, 26).Select(i => (JsonNode)Button($"a{i}"))]) }) },
        { "a 76-character button", Message(new JsonObject { ["type"] = "actions", ["elements"] = new JsonArray(Button("a", new string('b', 76))) }) },
        { "a 2001-character button value", Message(new JsonObject { ["type"] = "actions", ["elements"] = new JsonArray(Button("a", value: new string('v', 2001))) }) },
        { "a 256-character action_id", Message(new JsonObject { ["type"] = "actions", ["elements"] = new JsonArray(Button(new string('i', 256))) }) },
        { "one action_id twice in a block", Message(new JsonObject { ["type"] = "actions", ["elements"] = new JsonArray(Button("a"), Button("a")) }) },
        { "one block_id twice", Message(new JsonObject { ["type"] = "divider", ["block_id"] = "b" }, new JsonObject { ["type"] = "divider", ["block_id"] = "b" }) },
        { "a button style Slack does not have", Message(new JsonObject { ["type"] = "actions", ["elements"] = new JsonArray(new JsonObject { ["type"] = "button", ["action_id"] = "a", ["text"] = Plain("x"), ["style"] = "green" }) }) },
        { "verbatim on plain_text", Message(new JsonObject { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = "x", ["verbatim"] = true } }) },
        { "an unknown block", Message(new JsonObject { ["type"] = "carousel" }) },
        { "a lone surrogate", Message(Section("a\uD800")) },
        { "more text than chat.postMessage takes", Message([.. Enumerable.Range(0, 5).Select(_ => Section(new string('x', 3000)))]) },
    };

    [Theory]
    [MemberData(nameof(BadMessages))]
    public void Messages_slack_would_refuse_fail(string problem, JsonObject message)
    {
        Assert.NotEmpty(problem);
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => BlockKitLimits.AssertValidMessage(message));
    }

    public static TheoryData<string, JsonObject> BadModals() => new()
    {
        { "a 25-character title", new JsonObject { ["type"] = "modal", ["title"] = Plain(new string('t', 25)), ["blocks"] = new JsonArray(Section("x")) } },
        { "inputs without submit", new JsonObject { ["type"] = "modal", ["title"] = Plain("t"), ["blocks"] = new JsonArray(Input("a", new JsonObject { ["type"] = "plain_text_input", ["action_id"] = "value" })) } },
        { "101 blocks", Modal([.. Enumerable.Range(0, 101).Select(_ => new JsonObject { ["type"] = "divider" })]) },
        { "3001 characters of private_metadata", Modal(Section("x")).Also(m => m["private_metadata"] = new string('m', 3001)) },
        { "101 options", Modal(Input("a", Select(101))) },
        { "an initial option that is not an option", Modal(Input("a", Select(3, initial: "o7"))) },
        { "a 151-character option value", Modal(Input("a", new JsonObject { ["type"] = "static_select", ["action_id"] = "value", ["options"] = new JsonArray(new JsonObject { ["text"] = Plain("x"), ["value"] = new string('v', 151) }) })) },
        { "a 76-character option text", Modal(Input("a", new JsonObject { ["type"] = "static_select", ["action_id"] = "value", ["options"] = new JsonArray(new JsonObject { ["text"] = Plain(new string('x', 76)), ["value"] = "v" }) })) },
        { "an impossible date", Modal(Input("a", new JsonObject { ["type"] = "datepicker", ["action_id"] = "value", ["initial_date"] = "2027-02-30" })) },
        { "a number that is not one", Modal(Input("a", new JsonObject { ["type"] = "number_input", ["action_id"] = "value", ["is_decimal_allowed"] = true, ["initial_value"] = "twelve" })) },
        { "a number input without is_decimal_allowed", Modal(Input("a", new JsonObject { ["type"] = "number_input", ["action_id"] = "value" })) },
        { "a 151-character placeholder", Modal(Input("a", new JsonObject { ["type"] = "plain_text_input", ["action_id"] = "value", ["placeholder"] = Plain(new string('p', 151)) })) },
        { "a 3001-character initial value", Modal(Input("a", new JsonObject { ["type"] = "plain_text_input", ["action_id"] = "value", ["initial_value"] = new string('i', 3001) })) },
        { "an input without action_id", Modal(Input("a", new JsonObject { ["type"] = "plain_text_input" })) },
        { "two inputs with one block_id", Modal(Input("a", new JsonObject { ["type"] = "datepicker", ["action_id"] = "value" }), Input("a", new JsonObject { ["type"] = "datepicker", ["action_id"] = "value" })) },
        { "a view over 250 kB", Modal([.. Enumerable.Range(0, 100).Select(_ => Section(new string('é', 2900)))]) },
    };

    [Theory]
    [MemberData(nameof(BadModals))]
    public void Modals_slack_would_refuse_fail(string problem, JsonObject modal)
    {
        Assert.NotEmpty(problem);
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => BlockKitLimits.AssertValidModal(modal));
    }

    [Fact]
    public void Valid_payloads_pass_and_a_home_tab_has_its_own_rules()
    {
        BlockKitLimits.AssertValidMessage(Message(Section("hi"), new JsonObject { ["type"] = "actions", ["elements"] = new JsonArray(Button("a"), Button("b")) }));
        BlockKitLimits.AssertValidModal(Modal(Input("a", Select(100, initial: "o7")), Input("b", new JsonObject { ["type"] = "number_input", ["action_id"] = "value", ["is_decimal_allowed"] = false, ["initial_value"] = "-12" })));
        BlockKitLimits.AssertValidHome(new JsonObject { ["type"] = "home", ["blocks"] = new JsonArray([.. Enumerable.Range(0, 100).Select(_ => Section("x"))]) });

        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => BlockKitLimits.AssertValidHome(new JsonObject { ["type"] = "home", ["blocks"] = new JsonArray([.. Enumerable.Range(0, 101).Select(_ => Section("x"))]) }));
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => BlockKitLimits.AssertValidHome(new JsonObject { ["type"] = "modal", ["blocks"] = new JsonArray(Section("x")) }));
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => BlockKitLimits.AssertValidHome(new JsonObject { ["type"] = "home", ["title"] = Plain("t"), ["blocks"] = new JsonArray(Section("x")) }));
    }

    [Fact]
    public void Inertness_catches_mentions_links_and_parsed_mrkdwn()
    {
        static JsonObject Md(string text, bool verbatim = true) =>
            Message(new JsonObject { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = text, ["verbatim"] = verbatim } });
        BlockKitLimits.AssertInert(Md("&lt;!channel&gt; &amp; *bold*"));
        BlockKitLimits.AssertInert(Message(Section("<!channel> plain_text is never parsed")));
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => BlockKitLimits.AssertInert(Md("<!channel>")));
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => BlockKitLimits.AssertInert(Md("<https://x|y>")));
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => BlockKitLimits.AssertInert(Md("&lt;!here&gt;", verbatim: false)));
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => BlockKitLimits.AssertInert(Md("a &#60; b")));
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => BlockKitLimits.AssertInert(new JsonObject { ["text"] = "<@U123>", ["blocks"] = new JsonArray(Section("x")) }));
    }
}

internal static class JsonObjectTestExtensions
{
    public static JsonObject Also(this JsonObject o, Action<JsonObject> change)
    {
        change(o);
        return o;
    }
}
