using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CoordBot.Chat;
using CoordBot.Teams.Cards;
using CoordBot.Tests.Slack;
using CoordBot.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace CoordBot.Tests.Teams;

/// <summary>What Teams receives for each kind of reply, and what comes back from buttons and forms.</summary>
public sealed class AdaptiveCardRendererTests
{
    private const string Hostile = "[x](https://evil) <at>All</at> **bold** _it_ # h 1. list https://evil.example";
    private const char WordJoiner = '\u2060';

    // ---- the card ------------------------------------------------------------------------------

    [Fact]
    public void A_card_is_adaptive_card_1_5_full_width()
    {
        var card = Assert.Single(AdaptiveCardRenderer.Cards(Reply.Say("Added Jane Doe (A1).")));
        Assert.Equal("""
            {"$schema":"http://adaptivecards.io/schemas/adaptive-card.json","type":"AdaptiveCard","version":"1.5","msteams":{"width":"Full"},"body":[{"type":"TextBlock","text":"Added Jane Doe (A1).","wrap":true}],"actions":[]}
            """, card.ToJsonString());
        Assert.Equal("application/vnd.microsoft.card.adaptive", AdaptiveCardRenderer.ContentType);
        Assert.Equal("coordbot", AdaptiveCardRenderer.ExecuteVerb);

        // No blocks at all: the reply's text, else a dash.
        Assert.Equal("Nothing yet", Texts(Assert.Single(AdaptiveCardRenderer.Cards(new Reply("Nothing yet", [new Divider()])))).Single());
        AdaptiveCardSchema.AssertValid(Assert.Single(AdaptiveCardRenderer.Cards(new Reply(" ", []))));
    }

    // ---- one block type at a time ----------------------------------------------------------

    [Fact]
    public void A_heading_is_a_large_bold_text_block()
    {
        var body = Body(new Heading("Allies due for contact"));
        Assert.Equal("""{"type":"TextBlock","text":"Allies due for contact","wrap":true,"size":"Large","weight":"Bolder"}""", Json(body[0]));
    }

    [Fact]
    public void A_paragraph_is_a_text_block_per_line_with_blank_lines_kept_as_gaps()
    {
        var body = Body(new Paragraph("Added Jane Doe.\r\nOwner: you\n\n\nNext: call her"));
        Assert.Equal(["Added Jane Doe.", "Owner: you", "Next: call her"], body.Select(Text));
        Assert.Null(body[0]["spacing"]);
        Assert.Equal("None", (string?)body[1]["spacing"]);
        Assert.Equal("Medium", (string?)body[2]["spacing"]);
        Assert.NotEmpty(body);
        Assert.All(body, b => Assert.Equal(true, (bool?)b["wrap"]));
    }

    [Fact]
    public void Fields_are_a_fact_set_and_a_long_field_gets_a_label_and_paragraphs_in_place()
    {
        var body = Body(new Fields([new Field("Name", "Jane *Doe*"), new Field("Notes", "line 1\nline 2"), new Field("", "")]));
        var facts = Assert.Single(body)["facts"]!.AsArray();
        Assert.Equal("""{"title":"Name","value":"Jane \\*Doe\\*"}""", Json(facts[0]));
        Assert.Equal("line 1\n\nline 2", (string)facts[1]!["value"]!);   // a single \n is no line break in card markdown
        Assert.Equal("""{"title":"—","value":"—"}""", Json(facts[2]));

        var split = Body(new Fields([new Field("Name", "Jane"), new Field("Notes", new string('n', 4500)), new Field("Org", "ACME")]));
        Assert.Equal(["FactSet", "TextBlock", "TextBlock", "TextBlock", "TextBlock", "FactSet"], split.Select(b => (string)b["type"]!));
        Assert.Equal("Notes", Text(split[1]));
        Assert.Equal("Bolder", (string?)split[1]["weight"]);
        Assert.Equal(4500, split.Skip(2).Take(3).Sum(b => Text(b).Count(c => c == 'n')));

        var many = Body(new Fields([.. Enumerable.Range(0, 45).Select(i => new Field($"Label {i}", $"value {i}"))]));
        Assert.Equal([20, 20, 5], many.Select(b => b["facts"]!.AsArray().Count));
    }

    [Fact]
    public void A_list_item_is_a_bold_title_with_a_subtle_detail_below()
    {
        var body = Body(new ItemList([new ListItem("Jane Doe (A1)", "ACME · government"), new ListItem("Li Wei (A2)")]));
        Assert.Equal("""{"type":"TextBlock","text":"• Jane Doe (A1)","wrap":true,"weight":"Bolder"}""", Json(body[0]));
        Assert.Equal("""{"type":"TextBlock","text":"ACME · government","wrap":true,"isSubtle":true,"spacing":"None"}""", Json(body[1]));
        Assert.Equal("• Li Wei (A2)", Text(body[2]));
        Assert.Equal(3, body.Count);
    }

    [Fact]
    public void A_table_is_a_column_set_per_row_with_a_bold_header()
    {
        var body = Body(new Table(["Sector", "Level", "Count"], [["government", "career", "12"], ["labor", "political"]]));
        Assert.Equal(3, body.Count);
        Assert.NotEmpty(body);
        Assert.All(body, row => Assert.Equal("ColumnSet", (string)row["type"]!));
        Assert.Equal(["Sector", "Level", "Count"], Cells(body[0]));
        Assert.NotEmpty(body[0]["columns"]!.AsArray());
        Assert.All(body[0]["columns"]!.AsArray(), c => Assert.Equal("Bolder", (string?)c!["items"]![0]!["weight"]));
        Assert.Equal(["government", "career", "12"], Cells(body[1]));
        Assert.Equal(["labor", "political", ""], Cells(body[2]));   // a missing cell is an empty column
        Assert.Equal([10, 9, 5], body[1]["columns"]!.AsArray().Select(c => (int)c!["width"]!));
    }

    [Fact]
    public void A_long_table_repeats_its_header_on_every_card()
    {
        var rows = Enumerable.Range(0, 600).Select(i => (IReadOnlyList<string>)[$"row{i:D3}", "government", "career"]).ToList();
        var cards = Render(new Reply("t", [new Table(["Name", "Sector", "Level"], rows)]));
        Assert.True(cards.Count > 1);
        foreach (var card in cards)
            Assert.Equal(["Name", "Sector", "Level"], Cells(Elements(card)[0]));
        var cells = cards.SelectMany(Elements).Where(e => (string?)e["type"] == "ColumnSet").Select(e => Cells(e)[0]).ToList();
        Assert.Equal(rows.Select(r => r[0]), cells.Where(c => c != "Name"));
    }

    [Fact]
    public void A_row_too_wide_for_a_card_row_is_spelled_out_under_its_column_names()
    {
        var body = Body(new Table(["Name", "Notes"], [["Jane", new string('n', 20_000)], ["Li", "short"]]));
        Assert.Equal("ColumnSet", (string)body[0]["type"]!);
        Assert.Equal("Name", Text(body[1]));
        Assert.Equal(true, (bool?)body[1]["separator"]);
        Assert.Equal("Jane", Text(body[2]));
        Assert.Equal("Notes", Text(body[3]));
        Assert.Equal(20_000, body.Skip(4).Where(b => (string)b["type"]! == "TextBlock").Sum(b => Text(b).Count(c => c == 'n')));
        Assert.Equal(["Li", "short"], Cells(body[^1]));
    }

    [Fact]
    public void Buttons_are_action_execute_with_the_command_as_data()
    {
        var remove = new ChatAction("ally remove", new Dictionary<string, string> { ["id"] = "A1", ["yes"] = "true" });
        var body = Body(new Actions(
        [
            new Button("Remove", remove, ButtonStyle.Danger), new Button("Keep", new ChatAction("ally show A1"), ButtonStyle.Primary),
            new Button(new string('L', 150), new ChatAction("ally list")),
        ]));
        var actions = Assert.Single(body)["actions"]!.AsArray().Select(a => a!.AsObject()).ToList();
        Assert.Equal("""
            {"type":"Action.Execute","title":"Remove","verb":"coordbot","data":{"command":"ally remove","args":{"id":"A1","yes":"true"}},"associatedInputs":"None","style":"destructive","fallback":{"type":"Action.Submit","title":"Remove","data":{"command":"ally remove","args":{"id":"A1","yes":"true"}},"associatedInputs":"None","style":"destructive"}}
            """, Json(actions[0]));
        Assert.Equal("positive", (string?)actions[1]["style"]);
        Assert.Equal("""{"command":"ally show A1"}""", Json(actions[1]["data"]));
        Assert.Null(actions[2]["style"]);
        Assert.Equal(100, ((string)actions[2]["title"]!).Length);
        Assert.EndsWith("…", (string)actions[2]["title"]!);
    }

    [Fact]
    public void Many_buttons_go_five_to_a_row_and_a_button_too_big_for_a_card_says_to_type_it()
    {
        var buttons = Enumerable.Range(0, 12).Select(i => new Button($"Page {i}", new ChatAction("ally list", new Dictionary<string, string> { ["page"] = $"{i}" }))).ToList();
        var huge = new Button("Log it", new ChatAction("ally log", new Dictionary<string, string> { ["note"] = new string('x', 20_000) }));
        var body = Body(new Actions([.. buttons, huge]));
        Assert.Equal([5, 5, 2], body.Take(3).Select(b => b["actions"]!.AsArray().Count));
        Assert.Equal("“Log it” does not fit in a card button; type the command instead: ally log", Text(body[3]));
        Assert.Equal(true, (bool?)body[3]["isSubtle"]);
    }

    [Fact]
    public void A_form_has_one_input_per_field_and_a_submit_button()
    {
        var form = new Form("Add an ally", "ally add",
        [
            new Input("name", "Name", Required: true, Placeholder: "Jane Doe"),
            new Input("notes", "Notes", InputKind.LongText, Initial: "met at\nthe fair"),
            new Input("count", "Count", InputKind.Number, Initial: " +12.50"),
            new Input("bad", "Bad", InputKind.Number, Initial: "twelve"),
            new Input("on", "On", InputKind.Date, Initial: "2027-02-30"),
            new Input("since", "Since", InputKind.Date, Initial: "2026-11-02"),
            new Input("level", "Level", InputKind.Choice, Initial: "political", Choices: ["career", "political", "career", " "]),
            new Input("other", "Other", InputKind.Choice, Initial: "nope", Choices: ["a"]),
            new Input("", "No name"), new Input("name", "Repeat"), new Input("one", "One line", Initial: "a\nb"),
        ], "Add ally");
        var body = Body(form);
        Assert.Equal("""{"type":"TextBlock","text":"Add an ally","wrap":true,"size":"Medium","weight":"Bolder"}""", Json(body[0]));
        var inputs = body.Skip(1).Take(body.Count - 2).ToList();
        Assert.Equal(["input_name", "input_notes", "input_count", "input_bad", "input_on", "input_since", "input_level", "input_other", "input_one"],
            inputs.Select(i => (string)i["id"]!));
        Assert.Equal("""{"type":"Input.Text","id":"input_name","label":"Name","isRequired":true,"errorMessage":"Name is required.","placeholder":"Jane Doe"}""", Json(inputs[0]));
        Assert.Equal("""{"type":"Input.Text","id":"input_notes","label":"Notes","isMultiline":true,"value":"met at\nthe fair"}""", Json(inputs[1]));
        Assert.Equal("""{"type":"Input.Number","id":"input_count","label":"Count","value":12.50}""", Json(inputs[2]));
        Assert.Null(inputs[3]["value"]);
        Assert.Null(inputs[4]["value"]);   // 30 February is no date
        Assert.Equal("""{"type":"Input.Date","id":"input_since","label":"Since","value":"2026-11-02"}""", Json(inputs[5]));
        Assert.Equal("""
            {"type":"Input.ChoiceSet","id":"input_level","label":"Level","style":"compact","choices":[{"title":"career","value":"career"},{"title":"political","value":"political"}],"value":"political"}
            """, Json(inputs[6]));
        Assert.Null(inputs[7]["value"]);
        Assert.Equal("a b", (string?)inputs[8]["value"]);
        Assert.Equal("""
            {"type":"ActionSet","actions":[{"type":"Action.Submit","title":"Add ally","style":"positive","data":{"coordbot_form":"ally add"}}]}
            """, Json(body[^1]));
    }

    [Fact]
    public void Two_forms_never_share_a_card()
    {
        var form = new Form("Log", "ally log", [new Input("note", "Note")]);
        var cards = Render(new Reply("x", [new Heading("Two"), form, new Paragraph("between"), form]));
        Assert.Equal(2, cards.Count);
        Assert.NotEmpty(cards);
        Assert.All(cards, card => Assert.Single(Elements(card), e => (string?)e["id"] == "input_note"));
    }

    [Fact]
    public void A_form_too_big_for_a_card_loses_initial_values_then_placeholders_then_says_to_type_it()
    {
        var inputs = Enumerable.Range(0, 12).Select(i => new Input($"f{i}", $"Field {i}", Initial: new string('v', 5000), Placeholder: "e.g.")).ToList();
        var body = Body(new Form("Import", "ally import", inputs));
        Assert.Equal(12, body.Count(e => e.ContainsKey("id")));
        Assert.All(body.Where(e => e.ContainsKey("id")), e => Assert.Null(e["value"]));
        Assert.All(body.Where(e => e.ContainsKey("id")), e => Assert.Equal("e.g.", (string?)e["placeholder"]));

        var huge = new Form("Huge", "ally import", [.. Enumerable.Range(0, 300).Select(i => new Input($"field{i}", new string('l', 400)))]);
        Assert.Equal("“Huge” is too big to show here; type the command instead: ally import", Text(Assert.Single(Body(huge))));
    }

    [Fact]
    public void Context_divider_and_file_lines()
    {
        var body = Body(new Context("12 allies · page 1 of 2"), new Divider(), new FileAttachment("allies.csv", "text/csv", "name\nJane"));
        Assert.Equal("""{"type":"TextBlock","text":"12 allies · page 1 of 2","wrap":true,"isSubtle":true,"size":"Small"}""", Json(body[0]));
        Assert.Equal("📎 allies.csv — download link follows", Text(body[1]));
        Assert.Equal(true, (bool?)body[1]["separator"]);   // the divider
    }

    // ---- nothing typed can mention, link or format ------------------------------------------

    [Fact]
    public void Escape_breaks_links_mentions_emphasis_lists_headings_and_bare_urls()
    {
        Assert.Equal($"\\[x\\]\\(https:{WordJoiner}//evil) \\<at\\>All\\</at\\> \\*\\*bold\\*\\* \\_it\\_ # h 1. list https:{WordJoiner}//evil.example",
            AdaptiveCardRenderer.Escape(Hostile));
        Assert.Equal("\\# h\n1\\. list\n2\\) more\n\\- item\n\\+ x\n\\===\n\u00A0\u00A0\u00A0\u00A0code\n\\> quote\n\\`code\\` \\~\\~s\\~\\~ a\\|b \\\\ AT&T \\&amp; \\&#60; {\u2060{DATE(x)}} www\u2060.evil.com",
            AdaptiveCardRenderer.Escape("# h\r\n1. list\n2) more\n- item\n+ x\n===\n    code\n> quote\n`code` ~~s~~ a|b \\ AT&T &amp; &#60; {{DATE(x)}} www.evil.com"));
        // The native renderers' parser starts a block after ] and ), so markers there are escaped too.
        Assert.Equal("a) - b a)\\- c \\[\\-\\]", AdaptiveCardRenderer.Escape("a) - b a)- c [-]"));
        Assert.Equal("Jane Doe (A1), 2026-05-01, 12.5 × 3 – ok", AdaptiveCardRenderer.Escape("Jane Doe (A1), 2026-05-01, 12.5 × 3 – ok"));
        Assert.Equal("ab\uFFFD c", AdaptiveCardRenderer.Escape("a\0b\uD800\tc"));
        Assert.Empty(AdaptiveCardSchema.MarkdownProblems(AdaptiveCardRenderer.Escape(Hostile)));
    }

    [Fact]
    public void Hostile_text_is_inert_in_every_block_type()
    {
        var form = new Form(Hostile, Hostile,
        [
            new Input("name", Hostile, Required: true, Initial: Hostile, Placeholder: Hostile),
            new Input("level", Hostile, InputKind.Choice, Choices: [Hostile, "career"], Initial: Hostile),
        ], Hostile);
        var reply = new Reply(Hostile,
        [
            new Heading(Hostile), new Paragraph(Hostile + "\n" + Hostile), new Fields([new Field(Hostile, Hostile), new Field("Org", Hostile + "\n" + Hostile)]),
            new ItemList([new ListItem(Hostile, Hostile)]), new Table([Hostile, "n"], [[Hostile, "1"]]),
            new Actions([new Button(Hostile, new ChatAction(Hostile, new Dictionary<string, string> { [Hostile] = Hostile }))]), form, new Context(Hostile),
            new FileAttachment(Hostile, "text/csv", Hostile),
        ]);
        var cards = Render(reply);
        var escaped = AdaptiveCardRenderer.Escape(Hostile);
        var markdown = cards.SelectMany(Elements).Where(e => (string?)e["type"] == "TextBlock").Select(Text)
            .Concat(cards.SelectMany(Elements).Where(e => (string?)e["type"] == "FactSet").SelectMany(e => e["facts"]!.AsArray()).SelectMany(f => new[] { (string)f!["title"]!, (string)f["value"]! }))
            .ToList();
        Assert.True(markdown.Count(t => t.Contains(escaped, StringComparison.Ordinal)) >= 10);
        Assert.NotEmpty(markdown);
        Assert.All(markdown, t => Assert.DoesNotContain("https://", t, StringComparison.Ordinal));
        // Plain properties show the text as typed, with word joiners where it could link or mention.
        var plain = Hostile.Replace("](", "]\u2060(").Replace("://", ":\u2060//").Replace("<a", "<\u2060a").Replace("</", "<\u2060/");
        var input = cards.SelectMany(Elements).Single(e => (string?)e["id"] == "input_name");
        Assert.Equal(plain, (string?)input["label"]);
        Assert.Equal(plain, (string?)input["placeholder"]);
        Assert.Equal(Hostile, (string?)input["value"]);   // values go back as they are
        // Data carries the command exactly.
        var execute = cards.SelectMany(CardActions).Single(a => (string?)a["type"] == "Action.Execute");
        Assert.Equal(plain, (string?)execute["title"]);
        var back = AdaptiveCardRenderer.ParseSubmit(Element(execute["data"]!));
        Assert.Equal(Hostile, back?.Command);
        Assert.Equal(Hostile, back?.Args?[Hostile]);
    }

    [Fact]
    public void Inertness_and_validity_checks_fail_on_what_they_should()
    {
        static JsonObject Card(JsonObject element) => Assert.Single(AdaptiveCardRenderer.Cards(Reply.Say("x"))).Also(c => c["body"] = new JsonArray(element));
        static JsonObject Tb(string text) => new() { ["type"] = "TextBlock", ["text"] = text };
        foreach (var text in new[] { "[x](https://e)", "\\[x\\](y)", "<at>All</at>", "**b**", "_i_", "# h", "a\n- b", "1. x", "x\n    code", "see https://e", "www.e.com", "{{DATE(x)}}", "&lt;", "`c`", "~~s~~", "a|b" })
            Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AdaptiveCardSchema.AssertInert(Card(Tb(text))));
        foreach (var text in new[] { "plain (A1) - 12.5", "\\[x\\]\\(y)", "\\<at\\>", "a \\# b", "\\- x", "AT&T" })
            AdaptiveCardSchema.AssertInert(Card(Tb(text)));
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AdaptiveCardSchema.AssertInert(Card(new JsonObject
        {
            ["type"] = "FactSet", ["facts"] = new JsonArray(new JsonObject { ["title"] = "t", ["value"] = "**v**" }),
        })));
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AdaptiveCardSchema.AssertInert(Card(new JsonObject { ["type"] = "Input.Text", ["id"] = "i", ["label"] = "<at>All</at>" })));
        AdaptiveCardSchema.AssertInert(Card(new JsonObject { ["type"] = "Input.Text", ["id"] = "i", ["label"] = "**plain**", ["value"] = "<at>x</at> [x](https://y)" }));
    }

    public static TheoryData<string, Action<JsonObject>> Defects() => new()
    {
        { "an unknown element type", c => Body(c).Add(new JsonObject { ["type"] = "Carousel" }) },
        { "an unknown action type", c => Body(c).Add(new JsonObject { ["type"] = "ActionSet", ["actions"] = new JsonArray(new JsonObject { ["type"] = "Action.Http", ["title"] = "x" }) }) },
        { "an unknown property", c => Body(c)[0]!["colour"] = "good" },
        { "an unknown card property", c => c["speech"] = "hi" },
        { "an unknown Teams property", c => c["msteams"]!["height"] = "tall" },
        { "a TextBlock without text", c => Body(c)[0]!.AsObject().Remove("text") },
        { "a Fact without value", c => Body(c).Add(new JsonObject { ["type"] = "FactSet", ["facts"] = new JsonArray(new JsonObject { ["title"] = "t" }) }) },
        { "an input without id", c => Body(c).Add(new JsonObject { ["type"] = "Input.Text", ["label"] = "x" }) },
        { "a choice without title", c => Body(c).Add(new JsonObject { ["type"] = "Input.ChoiceSet", ["id"] = "c", ["choices"] = new JsonArray(new JsonObject { ["value"] = "v" }) }) },
        { "a choice set without choices", c => Body(c).Add(new JsonObject { ["type"] = "Input.ChoiceSet", ["id"] = "c" }) },
        { "an initial choice that is not a choice", c => Body(c).Add(new JsonObject { ["type"] = "Input.ChoiceSet", ["id"] = "c", ["value"] = "w", ["choices"] = new JsonArray(new JsonObject { ["title"] = "v", ["value"] = "v" }) }) },
        { "a bad size", c => Body(c)[0]!["size"] = "huge" },
        { "a bad spacing", c => Body(c)[0]!["spacing"] = "lots" },
        { "a bad weight", c => Body(c)[0]!["weight"] = "heavy" },
        { "a bad color", c => Body(c)[0]!["color"] = "red" },
        { "a bad font type", c => Body(c)[0]!["fontType"] = "serif" },
        { "a bad alignment", c => Body(c)[0]!["horizontalAlignment"] = "justify" },
        { "a bad action style", c => Body(c).Add(new JsonObject { ["type"] = "ActionSet", ["actions"] = new JsonArray(new JsonObject { ["type"] = "Action.Submit", ["style"] = "green" }) }) },
        { "a bad choice set style", c => Body(c).Add(new JsonObject { ["type"] = "Input.ChoiceSet", ["id"] = "c", ["style"] = "radio", ["choices"] = new JsonArray() }) },
        { "a string where a boolean goes", c => Body(c)[0]!["wrap"] = "yes" },
        { "a string where a number goes", c => Body(c).Add(new JsonObject { ["type"] = "Input.Number", ["id"] = "n", ["value"] = "12" }) },
        { "an impossible date", c => Body(c).Add(new JsonObject { ["type"] = "Input.Date", ["id"] = "d", ["value"] = "2027-02-30" }) },
        { "one id twice", c => { Body(c).Add(new JsonObject { ["type"] = "Input.Text", ["id"] = "a" }); Body(c).Add(new JsonObject { ["type"] = "Input.Text", ["id"] = "a" }); } },
        { "version 1.6", c => c["version"] = "1.6" },
        { "no version", c => c.Remove("version") },
        { "a version that is not one", c => c["version"] = "1.5.0" },
        { "Action.Execute in a 1.3 card", c => { c["body"] = new JsonArray(new JsonObject { ["type"] = "ActionSet", ["actions"] = new JsonArray(new JsonObject { ["type"] = "Action.Execute", ["verb"] = "v" }) }); c["version"] = "1.3"; } },
        { "a label in a 1.2 card", c => { c["body"] = new JsonArray(new JsonObject { ["type"] = "Input.Text", ["id"] = "i", ["label"] = "x" }); c["version"] = "1.2"; } },
        { "an ActionSet in a 1.1 card", c => { c["body"] = new JsonArray(new JsonObject { ["type"] = "ActionSet", ["actions"] = new JsonArray() }); c["version"] = "1.1"; } },
        { "Action.Execute without verb", c => Body(c).Add(new JsonObject { ["type"] = "ActionSet", ["actions"] = new JsonArray(new JsonObject { ["type"] = "Action.Execute", ["data"] = new JsonObject() }) }) },
        { "string data", c => Body(c).Add(new JsonObject { ["type"] = "ActionSet", ["actions"] = new JsonArray(new JsonObject { ["type"] = "Action.Submit", ["data"] = "hi" }) }) },
        { "a ShowCard as selectAction", c => Body(c).Add(new JsonObject { ["type"] = "Container", ["items"] = new JsonArray(), ["selectAction"] = new JsonObject { ["type"] = "Action.ShowCard" } }) },
        { "a non-AdaptiveCard type", c => c["type"] = "HeroCard" },
        { "a lone surrogate", c => Body(c)[0]!["text"] = "a\uD800" },
        { "more than 80 KB", c => Body(c).Add(new JsonObject { ["type"] = "TextBlock", ["text"] = new string('é', 7_000) }) },
    };

    [Theory]
    [MemberData(nameof(Defects))]
    public void The_schema_check_catches_each_class_of_defect(string defect, Action<JsonObject> spoil)
    {
        var card = Assert.Single(AdaptiveCardRenderer.Cards(new Reply("x",
            [new Paragraph("A card"), new Actions([new Button("Go", new ChatAction("ally list"))]), new Form("Form", "ally add", [new Input("name", "Name")])])));
        AdaptiveCardSchema.AssertValid(card);
        spoil(card);
        Assert.NotEmpty(defect);
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AdaptiveCardSchema.AssertValid(card));
    }

    [Fact]
    public void The_schema_check_passes_the_rest_of_the_1_5_vocabulary()
    {
        var card = Assert.Single(AdaptiveCardRenderer.Cards(Reply.Say("x")));
        Body(card).Add(JsonNode.Parse("""
            {"type":"Container","style":"emphasis","items":[
              {"type":"RichTextBlock","inlines":["plain",{"type":"TextRun","text":"run","italic":true}]},
              {"type":"Image","url":"https://example.com/a.png","altText":"a","size":"Small","height":"40px"},
              {"type":"ColumnSet","columns":[{"type":"Column","width":"auto","items":[]},{"width":2,"items":[]},{"width":"50px"}]},
              {"type":"Input.Time","id":"t","value":"09:30"},{"type":"Input.Toggle","id":"g","title":"On?","value":"true"},
              {"type":"ActionSet","actions":[{"type":"Action.OpenUrl","title":"Open","url":"https://example.com"},
                {"type":"Action.ToggleVisibility","title":"More","targetElements":["t",{"elementId":"g","isVisible":false}]},
                {"type":"Action.ShowCard","title":"Show","card":{"type":"AdaptiveCard","body":[{"type":"TextBlock","text":"inner","style":"heading"}]}},
                {"type":"Action.Execute","title":"Run","verb":"v","mode":"secondary","fallback":"drop"}]}]}
            """)!);
        AdaptiveCardSchema.AssertValid(card);

        var old = JsonNode.Parse("""{"type":"AdaptiveCard","version":"1.0","body":[{"type":"TextBlock","text":"x","wrap":true}]}""")!.AsObject();
        AdaptiveCardSchema.AssertValid(old);
    }

    // ---- long content is paged, never dropped -----------------------------------------------

    [Fact]
    public void A_2000_item_list_and_a_200000_character_paragraph_are_paged_without_losing_anything()
    {
        var items = Enumerable.Range(0, 2000).Select(i => new ListItem($"Ally-{i:D4}", $"detail of {i:D4}: " + new string('d', 40))).ToList();
        var words = Enumerable.Range(0, 20_000).Select(i => $"w{i:D5}").ToList();
        var paragraph = string.Join(" ", words.Select((w, i) => i % 997 == 996 ? w + "\n" : w)) + " " + new string('p', 60_000);
        Assert.True(paragraph.Length >= 200_000);
        var reply = new Reply("Allies", [new Heading("Allies"), new ItemList(items), new Paragraph(paragraph), new Context("2000 allies")]);

        var cards = Render(reply);
        Assert.True(cards.Count > 5, $"expected several cards, got {cards.Count}");
        Assert.NotEmpty(cards);
        Assert.All(cards, card => Assert.True(card.ToJsonString().Length <= AdaptiveCardSchema.MaxCardChars));
        Assert.Equal($"Part 1 of {cards.Count}", Text(Elements(cards[0])[^1]));

        var all = string.Join("\n", cards.SelectMany(Elements).Where(e => (string?)e["type"] == "TextBlock").Select(Text));
        var tokens = all.Split([' ', '\n', '\u00A0']).CountBy(t => t).ToDictionary();
        Assert.NotEmpty(items);
        Assert.All(items, item => Assert.Equal(1, tokens.GetValueOrDefault(item.Title)));
        Assert.NotEmpty(words);
        Assert.All(words, word => Assert.Equal(1, tokens.GetValueOrDefault(word)));
        Assert.Equal(2000 * 41, all.Count(c => c == 'd'));   // "detail" has a d of its own
        Assert.Equal(60_000, all.Count(c => c == 'p'));
        // In order: the items, then the paragraph, then the context line; a title never ends a card.
        Assert.True(all.IndexOf("Ally-1999") < all.IndexOf("w00000") && all.IndexOf("w19999") < all.IndexOf("2000 allies"));
        foreach (var card in cards.SkipLast(1))
            Assert.NotEqual("Bolder", (string?)Elements(card)[^2]["weight"]);
    }

    // ---- what comes back --------------------------------------------------------------------

    [Fact]
    public void A_submitted_form_parses_to_its_command_with_the_typed_values()
    {
        var form = new Form("Edit", "ally edit",
        [
            new Input("name", "Name"), new Input("notes", "Notes", InputKind.LongText), new Input("count", "Count", InputKind.Number),
            new Input("on", "On", InputKind.Date), new Input("level", "Level", InputKind.Choice, Choices: ["career", "political"]), new Input("empty", "Empty"),
        ]);
        var card = Assert.Single(AdaptiveCardRenderer.Cards(new Reply("x", [form, new Actions([new Button("Cancel", new ChatAction("ally list"))])])));
        var typed = new Dictionary<string, string>
        {
            ["name"] = "Jane <at>x</at> \"Doe\" -- --yes", ["notes"] = "line 1\nline 2", ["count"] = "-3.25", ["on"] = "2026-12-01", ["level"] = "political", ["empty"] = "",
        };
        // Teams sends an Action.Submit as a message whose value is the data merged with every input, keyed by id.
        var submit = CardActions(card).Single(a => (string?)a["type"] == "Action.Submit" && a["data"]!["coordbot_form"] is not null);
        var value = (JsonObject)submit["data"]!.DeepClone();
        foreach (var input in Elements(card).Where(e => ((string?)e["id"])?.StartsWith("input_") == true))
            value[(string)input["id"]!] = typed[((string)input["id"]!)["input_".Length..]];
        var parsed = AdaptiveCardRenderer.ParseSubmit(Element(value));
        Assert.NotNull(parsed);
        Assert.Equal("ally edit", parsed.Command);
        Assert.Equal(typed.Where(p => p.Value.Length > 0).OrderBy(p => p.Key), parsed.Args!.OrderBy(p => p.Key));

        // Numbers and booleans (as some clients send them) become their JSON text; other keys are ignored.
        var loose = AdaptiveCardRenderer.ParseSubmit(Element(JsonNode.Parse("""
            {"coordbot_form":"ally add","input_count":3,"input_flag":false,"input_":"x","input_obj":{},"input_null":null,"other":"y","command":"ignored"}
            """)!));
        Assert.Equal("ally add", loose?.Command);
        Assert.Equal("""{"command":"ally add","args":{"count":"3","flag":"false"}}""", Json(loose));
    }

    [Fact]
    public void A_pressed_button_parses_to_its_command_from_execute_or_submit()
    {
        var action = new ChatAction("ally edit", new Dictionary<string, string> { ["id"] = "A1", ["note"] = "say \"hi\" -- <at>x</at> 😀 é" });
        var card = Assert.Single(AdaptiveCardRenderer.Cards(new Reply("x", [new Actions([new Button("Edit", action), new Button("Help", new ChatAction("help"))])])));
        var execute = CardActions(card).Where(a => (string?)a["type"] == "Action.Execute").ToList();

        // Action.Execute: the invoke's value.action.data; Action.Submit fallback: the message's value.
        Assert.Equal(Json(action), Json(AdaptiveCardRenderer.ParseSubmit(Element(execute[0]["data"]!))));
        Assert.Equal(Json(action), Json(AdaptiveCardRenderer.ParseSubmit(Element(execute[0]["fallback"]!["data"]!))));
        Assert.Equal(Json(new ChatAction("help")), Json(AdaptiveCardRenderer.ParseSubmit(Element(execute[1]["data"]!))));
        // Inputs merged into the data (were the button to collect them) change nothing.
        var merged = (JsonObject)execute[0]["data"]!.DeepClone();
        merged["input_name"] = "Jane";
        Assert.Equal(Json(action), Json(AdaptiveCardRenderer.ParseSubmit(Element(merged))));
        Assert.Equal("""{"command":"x","args":{"n":"5","b":"true"}}""",
            Json(AdaptiveCardRenderer.ParseSubmit(Element(JsonNode.Parse("""{"command":"x","args":{"n":5,"b":true}}""")!))));
    }

    [Theory]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("5")]
    [InlineData("\"ally list\"")]
    [InlineData("{}")]
    [InlineData("""{"command":""}""")]
    [InlineData("""{"command":"  "}""")]
    [InlineData("""{"command":5}""")]
    [InlineData("""{"command":null}""")]
    [InlineData("""{"command":"x","args":[1]}""")]
    [InlineData("""{"command":"x","args":"a=b"}""")]
    [InlineData("""{"command":"x","args":{"a":null}}""")]
    [InlineData("""{"command":"x","args":{"a":{"b":"c"}}}""")]
    [InlineData("""{"coordbot_form":5,"input_a":"b"}""")]
    [InlineData("""{"coordbot_form":"","input_a":"b"}""")]
    [InlineData("""{"coordbot_form":null,"command":"x"}""")]
    [InlineData("""{"verb":"coordbot","action":{"data":{"command":"x"}}}""")]
    [InlineData("""{"msteams":{"type":"messageBack","text":"ally list"}}""")]
    public void Garbage_parses_to_null(string json)
    {
        Assert.Null(AdaptiveCardRenderer.ParseSubmit(JsonDocument.Parse(json).RootElement));
        Assert.Null(AdaptiveCardRenderer.ParseSubmit(default));
    }

    // ---- any reply at all ---------------------------------------------------------------------

    private static readonly string[] Pieces =
    [
        "[x](https://evil)", "<at>All</at>", "**", "*", "_", "~", "`", "```", "#", "# ", "- ", "+ ", "1. ", "2) ", "=", ">", "|", "\\", "&amp;", "&#60;",
        "{{DATE(2017-02-14T06:00:00Z)}}", "www.evil.com", "https://evil.example", "](", "[", "]", "(", ")", "\n", "\r\n", "\r", "\t", "    ",
        "\0", "\u0007", "\uD800", "\uDC00", "😀", "é", "\u202E", "\u2028", "\u00A0", " ", "a", "Jane Doe", "2026-05-01", "12.5", "<", "\"",
    ];

    private static Gen<string> Strings() =>
        Gen.Frequency(
            (12, Gen.ListOf(Gen.Elements(Pieces)).Select(p => string.Concat(p))),
            (6, ArbMap.Default.ArbFor<string>().Generator.Select(s => s ?? "")),
            (1, Gen.Choose(1, 9000).SelectMany(n => Gen.Elements(Pieces), (n, p) => string.Concat(Enumerable.Repeat(p + "x", n / (p.Length + 1) + 1)))));

    private static Gen<IReadOnlyList<T>> ListOf<T>(Gen<T> gen, int max) =>
        Gen.Choose(0, max).SelectMany(n => Gen.ListOf(gen, n), (_, list) => (IReadOnlyList<T>)list.ToList());

    private static Gen<ChatAction> ChatActions() =>
        Strings().SelectMany(_ => ListOf(Strings().SelectMany(_ => Strings(), (k, v) => (k, v)), 4),
            (command, args) => new ChatAction(command, args.GroupBy(a => a.k).ToDictionary(g => g.Key, g => g.First().v)));

    private static Gen<Input> Inputs() =>
        from name in Gen.Frequency((3, Gen.Elements("name", "org", "on", "", "x")), (1, Strings()))
        from label in Strings()
        from kind in Gen.Elements((InputKind[])[.. Enum.GetValues<InputKind>(), (InputKind)42])
        from required in Gen.Elements(true, false)
        from initial in Gen.Frequency((1, Gen.Constant<string?>(null)), (3, Strings().Select(s => (string?)s)))
        from placeholder in Gen.Frequency((1, Gen.Constant<string?>(null)), (2, Strings().Select(s => (string?)s)))
        from choices in Gen.Frequency((1, Gen.Constant<IReadOnlyList<string>?>(null)), (3, ListOf(Strings(), 120).Select(c => (IReadOnlyList<string>?)c)))
        select new Input(name, label, kind, required, initial, placeholder, choices);

    private static Gen<Form> Forms() =>
        from title in Strings()
        from command in Strings()
        from inputs in ListOf(Inputs(), 40)
        from submit in Strings()
        select new Form(title, command, inputs, submit);

    private static Gen<Block> AnyBlock() =>
        Gen.OneOf(
            Strings().Select(s => (Block)new Heading(s)),
            Strings().Select(s => (Block)new Paragraph(s)),
            ListOf(Strings().SelectMany(_ => Strings(), (l, v) => new Field(l, v)), 25).Select(f => (Block)new Fields(f)),
            ListOf(Strings().SelectMany(_ => Gen.Elements<string?>(null, "", "detail", Hostile), (t, d) => new ListItem(t, d)), 200).Select(i => (Block)new ItemList(i)),
            ListOf(Strings(), 6).SelectMany(_ => ListOf(ListOf(Strings(), 7), 60), (h, r) => (Block)new Table(h, r)),
            ListOf(from label in Strings() from action in ChatActions() from style in Gen.Elements(Enum.GetValues<ButtonStyle>()) select new Button(label, action, style), 30)
                .Select(b => (Block)new Actions(b)),
            Forms().Select(f => (Block)f),
            Strings().Select(s => (Block)new Context(s)),
            Gen.Constant((Block)new Divider()),
            Strings().Select(s => (Block)new FileAttachment(s, "text/csv", s)));

    private static Gen<Reply> Replies() =>
        from text in Strings()
        from blocks in ListOf(AnyBlock(), 30)
        select new Reply(text, blocks);

    [Fact]
    public void Any_reply_renders_valid_and_inert_cards()
    {
        Prop.ForAll(Arb.From(Replies()), reply =>
        {
            var cards = AdaptiveCardRenderer.Cards(reply);
            Assert.NotEmpty(cards);
            foreach (var card in cards)
            {
                AdaptiveCardSchema.AssertValid(card);
                AdaptiveCardSchema.AssertInert(card);
                foreach (var action in CardActions(card))
                    if (action["data"] is JsonObject data) AdaptiveCardRenderer.ParseSubmit(Element(data));
            }
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(200));
    }

    // ---- helpers ------------------------------------------------------------------------------

    /// <summary>Renders, checks every card, and returns the cards.</summary>
    private static IReadOnlyList<JsonObject> Render(Reply reply)
    {
        var cards = AdaptiveCardRenderer.Cards(reply);
        foreach (var card in cards)
        {
            AdaptiveCardSchema.AssertValid(card);
            AdaptiveCardSchema.AssertInert(card);
        }
        return cards;
    }

    /// <summary>The body elements of a one-card reply made of <paramref name="blocks"/>.</summary>
    private static List<JsonObject> Body(params Block[] blocks) =>
        Render(new Reply("test", blocks)).SelectMany(Elements).Where(e => !Text(e).StartsWith("Part ", StringComparison.Ordinal)).ToList();

    private static JsonArray Body(JsonObject card) => card["body"]!.AsArray();

    private static List<JsonObject> Elements(JsonObject card) => [.. card["body"]!.AsArray().Select(e => e!.AsObject())];

    /// <summary>Every action in a card, in body ActionSets and as fallbacks.</summary>
    private static IEnumerable<JsonObject> CardActions(JsonObject card) =>
        Elements(card).Where(e => (string?)e["type"] == "ActionSet").SelectMany(e => e["actions"]!.AsArray()).Select(a => a!.AsObject());

    private static IEnumerable<string> Texts(JsonObject card) => Elements(card).Select(Text);

    private static string Text(JsonObject element) => element["text"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    private static List<string> Cells(JsonObject columnSet) =>
        [.. columnSet["columns"]!.AsArray().Select(c => c!["items"]!.AsArray() is [{ } item, ..] ? (string)item["text"]! : "")];

    private static JsonElement Element(JsonNode node) => JsonDocument.Parse(node.ToJsonString()).RootElement;

    private static string Json(object? value) => value switch
    {
        JsonNode node => node.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }),
        _ => JsonSerializer.Serialize(value, ReplyJson.Options),
    };
}
