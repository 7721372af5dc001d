using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CoordBot.Chat;
using CoordBot.Slack.BlockKit;
using CoordBot.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace CoordBot.Tests.Slack;

/// <summary>What Slack receives for each kind of reply, and what comes back from buttons and modals.</summary>
public sealed class BlockKitRendererTests
{
    private const string Hostile = "<!channel> <@U123> <https://x|y> & *bold* _i_ ~s~ `code` @here https://evil.example";

    // ---- one block type at a time ----------------------------------------------------------

    [Fact]
    public void A_heading_is_a_plain_text_header_cut_to_150()
    {
        var blocks = Blocks(new Heading("Allies due for contact"), new Heading(new string('h', 200)));
        Assert.Equal("""{"type":"header","text":{"type":"plain_text","text":"Allies due for contact","emoji":true}}""", blocks[0].ToJsonString());
        var cut = Text(blocks[1]["text"]);
        Assert.Equal(150, cut.Length);
        Assert.EndsWith("…", cut);
    }

    [Fact]
    public void A_paragraph_is_a_plain_text_section_keeping_line_breaks()
    {
        var blocks = Blocks(new Paragraph("Added Jane Doe (A1).\nOwner: you"));
        Assert.Equal("""{"type":"section","text":{"type":"plain_text","text":"Added Jane Doe (A1).\nOwner: you","emoji":true}}""", blocks[0].ToJsonString());
    }

    [Fact]
    public void Fields_have_a_bold_label_over_the_value_ten_to_a_section()
    {
        var fields = Enumerable.Range(1, 12).Select(i => new Field($"Label {i}", $"value {i}")).ToList();
        var blocks = Blocks(new Fields(fields));
        Assert.Equal(2, blocks.Count);
        Assert.Equal(10, blocks[0]["fields"]!.AsArray().Count);
        Assert.Equal(2, blocks[1]["fields"]!.AsArray().Count);
        Assert.Equal("""{"type":"mrkdwn","text":"*Label 1*\nvalue 1","verbatim":true}""", blocks[0]["fields"]![0]!.ToJsonString());

        // A value with styling characters loses the bold label rather than styling anything.
        var styled = Blocks(new Fields([new Field("Org", "*ACME* & Sons")]));
        Assert.Equal("""{"type":"plain_text","text":"Org\n*ACME* & Sons","emoji":true}""", Relaxed(styled[0]["fields"]![0]));
    }

    [Fact]
    public void A_field_too_long_for_a_field_gets_sections_of_its_own_in_place()
    {
        var blocks = Blocks(new Fields([new Field("Name", "Jane"), new Field("Notes", new string('n', 4500)), new Field("Org", "ACME")]));
        Assert.Equal(["section:fields", "section:text", "section:text", "section:fields"], blocks.Select(Shape));
        Assert.Equal(4500, blocks.Skip(1).Take(2).Sum(b => Text(b["text"]).Count(c => c == 'n')));
    }

    [Fact]
    public void A_list_is_bullets_with_bold_titles_and_the_detail_below()
    {
        var blocks = Blocks(new ItemList([new ListItem("Jane Doe (A1)", "ACME · government"), new ListItem("Li Wei (A2)")]));
        Assert.Single(blocks);
        Assert.Equal("""{"type":"mrkdwn","text":"• *Jane Doe (A1)*\nACME · government\n• *Li Wei (A2)*","verbatim":true}""", Relaxed(blocks[0]["text"]));

        var escaped = Blocks(new ItemList([new ListItem("Jane & co", "<@U1 or <!channel")]));
        Assert.Equal("""{"type":"mrkdwn","text":"• *Jane &amp; co*\n&lt;@U1 or &lt;!channel","verbatim":true}""", Relaxed(escaped[0]["text"]));
        // ">" could start a quote, so it goes out as plain_text, like the styling characters.
        Assert.Equal("plain_text", (string)Blocks(new ItemList([new ListItem("a", "> b")]))[0]["text"]!["type"]!);

        var styled = Blocks(new ItemList([new ListItem("snake_case", "x")]));
        Assert.Equal("""{"type":"plain_text","text":"• snake_case\nx","emoji":true}""", Relaxed(styled[0]["text"]));
    }

    [Fact]
    public void A_table_is_an_aligned_monospace_block()
    {
        var blocks = Blocks(new Table(["Sector", "Level", "Count"], [["government", "career", "12"], ["labor", "political", "3"]]));
        Assert.Equal("mrkdwn", blocks[0]["text"]!["type"]!.GetValue<string>());
        Assert.Equal("""
            ```
            Sector      Level      Count
            ----------  ---------  -----
            government  career     12
            labor       political  3
            ```
            """, Text(blocks[0]["text"]));

        // Styling characters in a cell: same alignment, as plain_text.
        var styled = Blocks(new Table(["a_b"], [["*"]]));
        Assert.Equal("""{"type":"plain_text","text":"a_b\n---\n*","emoji":false}""", Relaxed(styled[0]["text"]));
    }

    [Fact]
    public void A_big_table_repeats_its_header_in_every_section()
    {
        var rows = Enumerable.Range(0, 400).Select(i => (IReadOnlyList<string>)[$"row{i:D3}", "government", "career"]).ToList();
        var blocks = Blocks(new Table(["Name", "Sector", "Level"], rows));
        Assert.True(blocks.Count > 1);
        Assert.NotEmpty(blocks);
        Assert.All(blocks, b => Assert.StartsWith("```\nName    Sector      Level\n", Text(b["text"])));
        Assert.NotEmpty(rows);
        Assert.All(rows, row => Assert.Single(blocks, b => Text(b["text"]).Contains(row[0])));
    }

    [Fact]
    public void Buttons_carry_their_command_with_unique_action_ids_and_styles()
    {
        var yes = new ChatAction("ally remove", new Dictionary<string, string> { ["id"] = "A1", ["yes"] = "true" });
        var blocks = Blocks(
            new Actions([new Button("Remove", yes, ButtonStyle.Danger), new Button("Keep", new ChatAction("ally show A1"), ButtonStyle.Primary), new Button("Later", new ChatAction("ally list"))]),
            new Actions(Enumerable.Range(0, 30).Select(i => new Button($"Page {i}", new ChatAction("ally list", new Dictionary<string, string> { ["page"] = $"{i}" }))).ToList()));
        Assert.Equal(["actions", "actions", "actions"], blocks.Select(Shape));
        var buttons = blocks.SelectMany(b => b["elements"]!.AsArray()).Select(e => e!.AsObject()).ToList();
        Assert.Equal(33, buttons.Count);
        Assert.Equal(25, blocks[1]["elements"]!.AsArray().Count);
        Assert.Equal(Enumerable.Range(0, 33).Select(i => BlockKitRenderer.ActionIdPrefix + i), buttons.Select(b => (string)b["action_id"]!));
        Assert.Equal("danger", (string?)buttons[0]["style"]);
        Assert.Equal("primary", (string?)buttons[1]["style"]);
        Assert.False(buttons[2].ContainsKey("style"));
        Assert.Equal("""{"command":"ally remove","args":{"id":"A1","yes":"true"}}""", (string)buttons[0]["value"]!);

        var back = BlockKitRenderer.ParseAction((string)buttons[0]["value"]!);
        Assert.NotNull(back);
        Assert.Equal("ally remove", back.Command);
        Assert.Equal(yes.Args, back.Args);
    }

    [Fact]
    public void A_button_whose_command_is_too_big_says_to_type_it_instead()
    {
        var huge = new ChatAction("ally log", new Dictionary<string, string> { ["note"] = new string('x', 2500) });
        var blocks = Blocks(new Actions([new Button("Log it", huge), new Button("Cancel", new ChatAction("ally list"))]));
        Assert.Equal(["actions", "context"], blocks.Select(Shape));
        Assert.Single(blocks[0]["elements"]!.AsArray());
        Assert.Equal("“Log it” does not fit in a Slack button; type the command instead: ally log", Text(blocks[1]["elements"]![0]));
    }

    [Fact]
    public void A_form_is_its_title_with_a_button_that_opens_it()
    {
        var form = new Form("Add an ally", "ally add", [new Input("name", "Name", Required: true), new Input("level", "Level", InputKind.Choice, Choices: ["career", "political"])], "Add");
        var blocks = Blocks(form);
        var section = Assert.Single(blocks);
        Assert.Equal("Add an ally", Text(section["text"]));
        var button = section["accessory"]!;
        Assert.Equal(BlockKitRenderer.OpenFormActionId, (string)button["action_id"]!);
        Assert.Equal(Json(form), Json(BlockKitRenderer.ParseFormButton((string)button["value"]!)));
    }

    [Fact]
    public void Context_divider_and_file_lines()
    {
        var blocks = Blocks(new Context("12 allies · page 1 of 2"), new Divider(), new FileAttachment("allies.csv", "text/csv", "name\nJane"));
        Assert.Equal("""{"type":"context","elements":[{"type":"plain_text","text":"12 allies · page 1 of 2","emoji":true}]}""", Relaxed(blocks[0]));
        Assert.Equal("""{"type":"divider"}""", blocks[1].ToJsonString());
        Assert.Equal("📎 allies.csv — sent to you as a file", Text(blocks[2]["elements"]![0]));
    }

    [Fact]
    public void A_message_has_fallback_text_and_nothing_callers_add()
    {
        var message = Assert.Single(BlockKitRenderer.Messages(Reply.Say("Added <Jane> & co")));
        Assert.Equal("Added &lt;Jane&gt; &amp; co", (string)message["text"]!);
        Assert.False(message.ContainsKey("channel"));
        Assert.False(message.ContainsKey("response_type"));

        var empty = Assert.Single(BlockKitRenderer.Messages(new Reply("", [])));
        BlockKitLimits.AssertValidMessage(empty);

        var longText = Assert.Single(BlockKitRenderer.Messages(new Reply(new string('&', 5000), [new Divider()])));
        Assert.True(((string)longText["text"]!).Length <= 4000);
        Assert.EndsWith("&amp;…", (string)longText["text"]!);
    }

    [Fact]
    public void Mrkdwn_escape_touches_only_the_three_control_characters()
    {
        Assert.Equal("&lt;!channel&gt; &amp;amp; *b* _i_ \"q\" 'a'", Mrkdwn.Escape("<!channel> &amp; *b* _i_ \"q\" 'a'"));
    }

    // ---- nothing typed can mention, link or format ------------------------------------------

    [Fact]
    public void Hostile_text_is_inert_in_every_block_type_modal_and_home()
    {
        var form = new Form(Hostile, "ally add",
        [
            new Input("name", Hostile, Initial: Hostile, Placeholder: Hostile),
            new Input("level", Hostile, InputKind.Choice, Choices: [Hostile, "career"], Initial: Hostile),
        ], Hostile);
        var reply = new Reply(Hostile,
        [
            new Heading(Hostile), new Paragraph(Hostile), new Fields([new Field(Hostile, Hostile), new Field("Org", Hostile)]),
            new ItemList([new ListItem(Hostile, Hostile), new ListItem("Jane", Hostile)]), new Table([Hostile, "n"], [[Hostile, "1"]]),
            new Actions([new Button(Hostile, new ChatAction(Hostile))]), form, new Context(Hostile), new FileAttachment(Hostile, "text/csv", Hostile),
        ]);

        var payloads = BlockKitRenderer.Messages(reply).Cast<JsonNode>()
            .Append(BlockKitRenderer.Modal(form, "{}"))
            .Append(BlockKitRenderer.Home([reply]))
            .ToList();
        Assert.Equal(3, payloads.Count);
        foreach (var payload in payloads)
        {
            BlockKitLimits.AssertInert(payload);
            foreach (var text in TextObjects(payload))
            {
                var content = (string)text["text"]!;
                if (content.Contains("bold")) Assert.Equal("plain_text", (string)text["type"]!);
                Assert.DoesNotContain("https://", content, StringComparison.Ordinal);   // no auto-linking: the URL is broken with a word joiner
                Assert.DoesNotContain("@here", content, StringComparison.Ordinal);
            }
        }
        var fallback = (string)payloads[0]["text"]!;
        Assert.Equal("&lt;!channel&gt; &lt;@U123&gt; &lt;https:\u2060//x|y&gt; &amp; *bold* _i_ ~s~ `code` @\u2060here https:\u2060//evil.example", fallback);
        Assert.Equal(false, (bool?)payloads[0]["mrkdwn"]);
        // The header, paragraph, form title and context show the text as typed (plus the invisible word joiners).
        var shown = Hostile.Replace("://", ":\u2060//").Replace("@here", "@\u2060here");
        Assert.True(TextObjects(payloads[0]).Count(t => (string)t["text"]! == shown) >= 4);
    }

    [Fact]
    public void Control_characters_and_broken_surrogates_never_reach_slack()
    {
        var reply = new Reply("a\0b\uD800", [new Paragraph("x\u0007y\r\nz\uDC00"), new Heading("\0\0"), new Paragraph("\u0001")]);
        var message = Assert.Single(BlockKitRenderer.Messages(reply));
        BlockKitLimits.AssertValidMessage(message);
        Assert.Equal("ab\uFFFD", (string)message["text"]!);
        Assert.Equal("xy\nz\uFFFD", Text(message["blocks"]![0]!["text"]));
        Assert.Single(message["blocks"]!.AsArray());
    }

    // ---- long content is paged, never dropped -----------------------------------------------

    [Fact]
    public void A_400_item_list_and_a_20000_character_paragraph_are_paged_without_losing_anything()
    {
        var items = Enumerable.Range(0, 400).Select(i => new ListItem($"Ally-{i:D3}", $"detail of {i:D3}: " + new string('d', 400))).ToList();
        var words = Enumerable.Range(0, 2000).Select(i => $"w{i:D4}").ToList();
        var paragraph = string.Join(" ", words.Select((w, i) => i % 37 == 36 ? w + "\n" : w)) + " " + new string('p', 9000);
        Assert.True(paragraph.Length >= 20_000);
        var reply = new Reply("Allies", [new Heading("Allies"), new ItemList(items), new Paragraph(paragraph), new Context("400 allies")]);

        var messages = BlockKitRenderer.Messages(reply);
        Assert.True(messages.Count > 1, $"expected several messages, got {messages.Count}");
        foreach (var message in messages) BlockKitLimits.AssertValidMessage(message);
        Assert.Equal($"Allies (1/{messages.Count})", (string)messages[0]["text"]!);

        var all = string.Join("\n", messages.SelectMany(TextObjects).Select(t => (string)t["text"]!));
        Assert.NotEmpty(items);
        Assert.All(items, item => Assert.Single(Regex.Matches(all, item.Title)));
        Assert.NotEmpty(words);
        Assert.All(words, word => Assert.Single(Regex.Matches(all, word)));
        Assert.Equal(400 * 401, all.Count(c => c == 'd'));   // "detail of …" and 400 more in each item
        Assert.Equal(9000, all.Count(c => c == 'p'));
        // In order: the items, then the paragraph, then the context line.
        Assert.True(all.IndexOf("Ally-399") < all.IndexOf("w0000") && all.IndexOf("w1999") < all.IndexOf("400 allies"));
    }

    [Fact]
    public void A_page_never_ends_on_a_header()
    {
        var blocks = Enumerable.Range(0, 49).Select(i => (Block)new Paragraph($"p{i}")).Append(new Heading("Next")).Append(new Paragraph("after")).ToList();
        var messages = BlockKitRenderer.Messages(new Reply("x", blocks));
        Assert.Equal(2, messages.Count);
        Assert.Equal(49, messages[0]["blocks"]!.AsArray().Count);
        Assert.Equal("header", (string)messages[1]["blocks"]![0]!["type"]!);
    }

    // ---- modals -----------------------------------------------------------------------------

    [Fact]
    public void A_modal_has_one_input_per_field_with_the_name_as_block_id()
    {
        var form = new Form(new string('T', 130), "ally add",
        [
            new Input("name", "Name", Required: true, Placeholder: "Jane Doe"),
            new Input("notes", "Notes", InputKind.LongText, Initial: "met at\nthe fair"),
            new Input("count", "Count", InputKind.Number, Initial: " +12.50"),
            new Input("on", "On", InputKind.Date, Initial: "2027-02-30"),
            new Input("since", "Since", InputKind.Date, Initial: "2026-11-02"),
            new Input("level", "Level", InputKind.Choice, Initial: "political", Choices: ["career", "political"]),
        ], "Add ally");
        var modal = BlockKitRenderer.Modal(form, """{"command":"ally add"}""");
        BlockKitLimits.AssertValidModal(modal);

        Assert.Equal(BlockKitRenderer.FormCallbackId, (string)modal["callback_id"]!);
        Assert.Equal(new string('T', 23) + "…", Text(modal["title"]));
        Assert.Equal("Add ally", Text(modal["submit"]));
        Assert.Equal("Cancel", Text(modal["close"]));
        Assert.Equal("""{"command":"ally add"}""", (string)modal["private_metadata"]!);
        var inputs = modal["blocks"]!.AsArray().Select(b => b!.AsObject()).ToList();
        Assert.Equal(["name", "notes", "count", "on", "since", "level"], inputs.Select(b => (string)b["block_id"]!));
        Assert.Equal([false, true, true, true, true, true], inputs.Select(b => (bool)b["optional"]!));
        Assert.NotEmpty(inputs);
        Assert.All(inputs, b => Assert.Equal(BlockKitRenderer.InputActionId, (string)b["element"]!["action_id"]!));
        Assert.Equal(["plain_text_input", "plain_text_input", "number_input", "datepicker", "datepicker", "static_select"],
            inputs.Select(b => (string)b["element"]!["type"]!));
        Assert.Equal("Jane Doe", Text(inputs[0]["element"]!["placeholder"]));
        Assert.Equal(true, (bool?)inputs[1]["element"]!["multiline"]);
        Assert.Equal("met at\nthe fair", (string)inputs[1]["element"]!["initial_value"]!);
        Assert.Equal(true, (bool?)inputs[2]["element"]!["is_decimal_allowed"]);
        Assert.Equal("12.50", (string)inputs[2]["element"]!["initial_value"]!);
        Assert.Null(inputs[3]["element"]!["initial_date"]);                   // 30 February is no date
        Assert.Equal("2026-11-02", (string)inputs[4]["element"]!["initial_date"]!);
        Assert.Equal("political", (string)inputs[5]["element"]!["initial_option"]!["value"]!);
    }

    [Fact]
    public void Private_metadata_over_3000_characters_is_refused()
    {
        var form = new Form("Log", "ally log", [new Input("note", "Note")]);
        BlockKitLimits.AssertValidModal(BlockKitRenderer.Modal(form, new string('m', 3000)));
        var e = Assert.Throws<ArgumentException>(() => BlockKitRenderer.Modal(form, new string('m', 3001)));
        Assert.Equal("privateMetadata", e.ParamName);
    }

    [Fact]
    public void Modal_edge_cases_stay_valid()
    {
        var many = Enumerable.Range(0, 150).Select(i => $"choice {i}").ToList();
        var form = new Form("", "ally edit",
        [
            new Input("x", ""), new Input("x", "Repeat"), new Input("", "No name"), new Input(new string('n', 300), "Long name"),
            new Input("menu", "Menu", InputKind.Choice, Choices: many, Initial: "choice 3"),
            new Input("none", "None", InputKind.Choice, Choices: ["", new string('c', 151)]),
            new Input("n", "N", InputKind.Number, Initial: "twelve"),
            new Input("long", "Long", Initial: new string('i', 5000), Placeholder: new string('p', 400)),
        ], "");
        var modal = BlockKitRenderer.Modal(form, "");
        BlockKitLimits.AssertValidModal(modal);
        var inputs = modal["blocks"]!.AsArray();
        Assert.Equal(["x", "menu", "none", "n", "long"], inputs.Select(b => (string)b!["block_id"]!));
        Assert.Equal("plain_text_input", (string)inputs[1]!["element"]!["type"]!);   // 150 choices: typed, listed in the hint
        Assert.StartsWith("One of: choice 0, choice 1", Text(inputs[1]!["hint"]));

        var big = new Form("Big", "ally import", Enumerable.Range(0, 130).Select(i => new Input($"f{i}", $"Field {i}")).ToList());
        var bigModal = BlockKitRenderer.Modal(big, "{}");
        BlockKitLimits.AssertValidModal(bigModal);
        Assert.Equal("31 more fields do not fit here; to set them, type the command instead: ally import", Text(bigModal["blocks"]![99]!["elements"]![0]));

        var empty = BlockKitRenderer.Modal(new Form("Confirm", "ally remove", []), "{}");
        BlockKitLimits.AssertValidModal(empty);
    }

    [Fact]
    public void A_form_with_30_long_inputs_still_fits_its_button()
    {
        var inputs = Enumerable.Range(0, 30).Select(i => new Input($"field{i}", $"Field {i}", Initial: new string('v', 500), Placeholder: "e.g.")).ToList();
        var form = new Form("Import", "ally import", inputs);
        var message = Assert.Single(BlockKitRenderer.Messages(new Reply("Import", [form])));
        BlockKitLimits.AssertValidMessage(message);
        var value = (string)message["blocks"]![0]!["accessory"]!["value"]!;
        Assert.True(value.Length <= 2000);
        var back = BlockKitRenderer.ParseFormButton(value)!;
        Assert.Equal(inputs.Select(i => i.Name), back.Inputs.Select(i => i.Name));
        Assert.NotEmpty(back.Inputs);
        Assert.All(back.Inputs, i => Assert.Null(i.Initial));
        Assert.Equal("e.g.", back.Inputs[0].Placeholder);

        // Long placeholders go next; a form still too big says to type the command.
        var placeholders = form with { Inputs = [.. inputs.Select(i => i with { Placeholder = new string('p', 100) })] };
        var withoutPlaceholders = BlockKitRenderer.ParseFormButton((string)Blocks(placeholders)[0]["accessory"]!["value"]!)!;
        Assert.NotEmpty(withoutPlaceholders.Inputs);
        Assert.All(withoutPlaceholders.Inputs, i => Assert.Null(i.Placeholder));
        var huge = new Form("Huge", "ally import", Enumerable.Range(0, 300).Select(i => new Input($"field{i}", $"Field {i}")).ToList());
        var context = Assert.Single(Blocks(huge));
        Assert.Equal("“Huge” is too big to open from here; type the command instead: ally import", Text(context["elements"]![0]));
    }

    // ---- what comes back --------------------------------------------------------------------

    [Fact]
    public void Form_values_round_trip_for_every_input_kind()
    {
        var form = new Form("Edit", "ally edit",
        [
            new Input("name", "Name"), new Input("notes", "Notes", InputKind.LongText), new Input("count", "Count", InputKind.Number),
            new Input("on", "On", InputKind.Date), new Input("level", "Level", InputKind.Choice, Choices: ["career", "political"]),
            new Input("empty", "Empty"), new Input("unpicked", "Unpicked", InputKind.Choice, Choices: ["a"]), new Input("nodate", "No date", InputKind.Date),
        ]);
        var modal = BlockKitRenderer.Modal(form, "{}");
        var typed = new Dictionary<string, string>
        {
            ["name"] = "Jane <@U1> \"Doe\"", ["notes"] = "line 1\nline 2", ["count"] = "-3.25", ["on"] = "2026-12-01", ["level"] = "political",
        };
        var state = SlackState(modal, typed);

        var values = BlockKitRenderer.FormValues(JsonDocument.Parse(state.ToJsonString()).RootElement);
        Assert.Equal(typed.OrderBy(p => p.Key), values.OrderBy(p => p.Key));
    }

    [Theory]
    [InlineData("[]", "")]
    [InlineData("5", "")]
    [InlineData("null", "")]
    [InlineData("""{"a":5,"b":{"value":null},"c":{"value":{"type":"x"}},"d":{"x":[]},"e":{"x":{"selected_option":"s"}},"f":{"x":{"selected_option":{"value":7}}}}""", "")]
    [InlineData("""{"a":{"x":{"type":"plain_text_input","value":""}},"b":{"x":{"value":"kept"}},"b2":{"x":{"selected_date":"2026-01-01"}}}""", "b b2")]
    public void Form_values_skip_odd_shapes(string json, string kept)
    {
        var values = BlockKitRenderer.FormValues(JsonDocument.Parse(json).RootElement);
        Assert.Equal(kept.Split(' ', StringSplitOptions.RemoveEmptyEntries), values.Keys.Order(StringComparer.Ordinal));
        Assert.Empty(BlockKitRenderer.FormValues(default));
    }

    [Fact]
    public void Button_values_parse_back_and_garbage_parses_to_null()
    {
        var action = new ChatAction("ally edit", new Dictionary<string, string> { ["id"] = "A1", ["note"] = "say \"hi\" -- <@U1> 😀 é" });
        var message = BlockKitRenderer.Messages(new Reply("x", [new Actions([new Button("Edit", action)])]))[0];
        var back = BlockKitRenderer.ParseAction((string)message["blocks"]![0]!["elements"]![0]!["value"]!);
        Assert.Equal(Json(action), Json(back));
        Assert.Equal(Json(new ChatAction("help")), Json(BlockKitRenderer.ParseAction("""{"command":"help"}""")));

        string[] garbage = ["", "{", "null", "[]", "\"text\"", "5", "{}", """{"command":""}""", """{"command":5}""", """{"command":"x","args":{"a":null}}""",
            """{"command":"x","args":[1]}""", new string('{', 5_000_000), "{\"command\":\"" + new string('x', 5_000_000) + "\"}"];
        foreach (var value in garbage.Append<string?>(null))
        {
            Assert.Null(BlockKitRenderer.ParseAction(value));
            Assert.Null(BlockKitRenderer.ParseFormButton(value));
        }
        Assert.Null(BlockKitRenderer.ParseFormButton("""{"command":"x","title":"t","inputs":[{"name":"n","label":"l","kind":9}]}"""));
        Assert.Null(BlockKitRenderer.ParseFormButton("""{"command":"x","title":"t","inputs":[null]}"""));
        Assert.Null(BlockKitRenderer.ParseFormButton("""{"command":"x","title":"t"}"""));
        Assert.NotNull(BlockKitRenderer.ParseFormButton("""{"command":"x","title":"t","inputs":[]}"""));
    }

    // ---- Home tab ---------------------------------------------------------------------------

    [Fact]
    public void Home_sections_are_separated_by_dividers_and_cut_at_100_blocks()
    {
        var home = BlockKitRenderer.Home([Reply.Say("first"), new Reply("empty", []), new Reply("second", [new Heading("Coming up"), new Form("Log", "ally log", [])])]);
        BlockKitLimits.AssertValidHome(home);
        Assert.Equal("home", (string)home["type"]!);
        Assert.Equal(["section:text", "divider", "header", "section:text"], home["blocks"]!.AsArray().Select(b => Shape(b!.AsObject())));

        var busy = Enumerable.Range(0, 30).Select(i => new Reply("s", [new Heading($"Section {i}"), new Paragraph("a"), new Paragraph("b"), new Paragraph("c")])).ToList();
        var cut = BlockKitRenderer.Home(busy);
        BlockKitLimits.AssertValidHome(cut);
        var blocks = cut["blocks"]!.AsArray();
        Assert.True(blocks.Count <= 100);
        Assert.Contains("more than fits", Text(blocks[^1]!["elements"]![0]));

        BlockKitLimits.AssertValidHome(BlockKitRenderer.Home([]));
    }

    // ---- any reply at all ---------------------------------------------------------------------

    private static readonly string[] Pieces =
    [
        "<!channel>", "<@U123>", "<https://x|y>", "&", "&amp;", "&lt;", "*", "_", "~", "`", "```", ">", "> quote", "\n", "\r\n", "\r", "\t",
        "\0", "\u0007", "\uD800", "\uDC00", "😀", "@here", "https://evil.example", " ", "  ", "a", "Jane Doe", "é", "\u202E", ":smile:", "•", "—",
        "\u2028", "2026-05-01", "12.5", "-", ":",
    ];

    private static Gen<string> Strings() =>
        Gen.Frequency(
            (12, Gen.ListOf(Gen.Elements(Pieces)).Select(p => string.Concat(p))),
            (6, ArbMap.Default.ArbFor<string>().Generator.Select(s => s ?? "")),
            (1, Gen.Choose(1, 7000).SelectMany(n => Gen.Elements(Pieces), (n, p) => string.Concat(Enumerable.Repeat(p + "x", n / (p.Length + 1) + 1)))));

    private static Gen<IReadOnlyList<T>> ListOf<T>(Gen<T> gen, int max) =>
        Gen.Choose(0, max).SelectMany(n => Gen.ListOf(gen, n), (_, list) => (IReadOnlyList<T>)list.ToList());

    private static Gen<ChatAction> Actions() =>
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
            ListOf(from label in Strings() from action in Actions() from style in Gen.Elements(Enum.GetValues<ButtonStyle>()) select new Button(label, action, style), 30)
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
    public void Any_reply_renders_valid_and_inert_slack_payloads()
    {
        Prop.ForAll(Arb.From(Replies()), reply =>
        {
            var messages = BlockKitRenderer.Messages(reply);
            Assert.NotEmpty(messages);
            foreach (var message in messages)
            {
                BlockKitLimits.AssertValidMessage(message);
                BlockKitLimits.AssertInert(message);
            }
            foreach (var form in reply.Blocks.OfType<Form>())
            {
                var modal = BlockKitRenderer.Modal(form, "{}");
                BlockKitLimits.AssertValidModal(modal);
                BlockKitLimits.AssertInert(modal);
            }
            var home = BlockKitRenderer.Home([reply, Reply.Say(reply.Text), reply]);
            BlockKitLimits.AssertValidHome(home);
            BlockKitLimits.AssertInert(home);
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(200));
    }

    // ---- helpers ------------------------------------------------------------------------------

    private static List<JsonObject> Blocks(params Block[] blocks)
    {
        var messages = BlockKitRenderer.Messages(new Reply("test", blocks));
        foreach (var message in messages)
        {
            BlockKitLimits.AssertValidMessage(message);
            BlockKitLimits.AssertInert(message);
        }
        return messages.SelectMany(m => m["blocks"]!.AsArray()).Select(b => b!.AsObject()).ToList();
    }

    private static string Text(JsonNode? textObject) => (string)textObject!["text"]!;

    private static string Shape(JsonObject block) =>
        (string)block["type"]! + (block.ContainsKey("fields") ? ":fields" : block.ContainsKey("text") && (string)block["type"]! == "section" ? ":text" : "");

    private static string Relaxed(JsonNode? node) =>
        node!.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    private static string Json(object? value) => JsonSerializer.Serialize(value, ReplyJson.Options);

    /// <summary>Every text object (anything with a type of plain_text or mrkdwn) in a payload.</summary>
    private static IEnumerable<JsonObject> TextObjects(JsonNode? node) => node switch
    {
        JsonObject o when o["type"] is JsonValue t && (string?)t is "plain_text" or "mrkdwn" => [o],
        JsonObject o => o.SelectMany(p => TextObjects(p.Value)),
        JsonArray a => a.SelectMany(TextObjects),
        _ => [],
    };

    /// <summary>The view.state.values Slack would send for a modal after the user typed <paramref name="typed"/> (block_id → value).</summary>
    private static JsonObject SlackState(JsonObject modal, IReadOnlyDictionary<string, string> typed)
    {
        var values = new JsonObject();
        foreach (var block in modal["blocks"]!.AsArray().Select(b => b!.AsObject()).Where(b => (string)b["type"]! == "input"))
        {
            var id = (string)block["block_id"]!;
            var element = block["element"]!;
            var type = (string)element["type"]!;
            typed.TryGetValue(id, out var value);
            var state = new JsonObject { ["type"] = type };
            switch (type)
            {
                case "datepicker": state["selected_date"] = value; break;
                case "static_select":
                    state["selected_option"] = value is null ? null
                        : element["options"]!.AsArray().Single(o => (string)o!["value"]! == value)!.DeepClone();
                    break;
                default: state["value"] = value; break;
            }
            values[id] = new JsonObject { [(string)element["action_id"]!] = state };
        }
        return values;
    }
}
