using System.Globalization;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Allies;

/// <summary>Ally commands end to end: local chat API over HTTP, real host, real SQLite file.</summary>
public sealed class AllyTranscriptTests : HostTest
{
    private ChatUser _alice = null!;
    private ChatUser _bob = null!;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        _alice = Host.User("alice");
        _bob = Host.User("bob");
    }

    [Fact]
    public async Task Add_with_every_flag_then_show_them_all()
    {
        var added = await _alice.Says(
            "ally add \"Jane Doe\" --org \"City of Atlanta\" --role \"Housing Director\" --sector government --level career " +
            "--jurisdiction Atlanta --stance champion --email jane@atlanta.gov --phone \"+1 404 555 0100\" --tags Housing,budget " +
            "--owner @bob --notes \"Met at the summit\"").Expect("Added Jane Doe (A1)");
        Assert.True(added.Ephemeral);
        await _alice.Says("ally show A1").Expect(
            "Jane Doe (A1)", "Organization: City of Atlanta", "Role: Housing Director", "Sector: government", "Level: career",
            "Jurisdiction: Atlanta", "Stance: champion", "Email: jane@atlanta.gov", "Phone: +1 404 555 0100",
            "Tags: housing, budget", "Owner: @bob", "Notes: Met at the summit", "Last contact: never", "Connections: none recorded.");
    }

    [Fact]
    public async Task Add_accepts_typographic_quotes_inline_values_and_share()
    {
        var reply = await _alice.Says("ally add “Sam Lee” --org=\"City of Atlanta\" --level=elected --share").Expect("Added Sam Lee (A1)", "Organization: City of Atlanta", "Level: elected");
        Assert.False(reply.Ephemeral);
    }

    [Fact]
    public async Task Add_with_no_name_opens_the_form_and_the_form_adds()
    {
        var form = await _alice.Says("ally add").Expect("Add an ally");
        var inputs = form.Blocks("form").Single().GetProperty("inputs").EnumerateArray().Select(i => i.GetProperty("name").GetString()).ToList();
        Assert.Equal(["name", "org", "role", "sector", "level", "jurisdiction", "stance", "email", "phone", "tags", "notes"], inputs);
        await _alice.Submits("ally add", new() { ["name"] = "Jane \"JD\" Doe --level elected", ["org"] = "City of Atlanta", ["sector"] = "government", ["level"] = "", ["notes"] = "" })
            .Expect("Added Jane \"JD\" Doe --level elected (A1)", "Sector: government");
        var shown = await _alice.Says("ally show A1").Expect("Organization: City of Atlanta");
        Assert.DoesNotContain("Level:", shown.Plain);
        await _alice.Submits("ally add", new() { ["name"] = "X", ["sector"] = "govt" }).ExpectError("\"govt\" is not a valid --sector", "government, nonprofit");
        await _alice.Submits("ally add", new() { ["name"] = "X", ["colour"] = "red" }).ExpectError("--colour is not a flag of ally add");
    }

    [Theory]
    [InlineData("ally add Jane --sector gov", "\"gov\" is not a valid --sector. Accepted: government, nonprofit, business, philanthropy, community, academia, media, other.")]
    [InlineData("ally add Jane --level mayor", "\"mayor\" is not a valid --level. Accepted: elected, appointed, career, executive, staff, volunteer, resident, other.")]
    [InlineData("ally add Jane --stance fan", "\"fan\" is not a valid --stance. Accepted: champion, supporter, neutral, skeptic, opponent, unknown.")]
    [InlineData("ally add Jane --email nope", "\"nope\" doesn't look like an email address.")]
    [InlineData("ally add Jane --colour red", "--colour is not a flag of ally add. Accepted: --name, --org")]
    [InlineData("ally add Jane --org", "--org needs a value")]
    [InlineData("ally add Jane --org A --org B", "--org is given twice")]
    [InlineData("ally add \"Jane Doe --org X", "is never closed")]
    [InlineData("ally add A12", "looks like a reference")]
    [InlineData("ally add --org \"City of Atlanta\"", "The ally needs a name")]
    [InlineData("ally add Jane --owner \"@two words\"", "--owner needs a user like @alice")]
    [InlineData("ally add Jane --share=maybe", "--share is a switch")]
    public async Task Add_refuses_bad_input_naming_the_problem(string command, string expected)
    {
        await _alice.Says(command).ExpectError(expected);
        await _alice.Says("ally list").Expect("No allies yet");
    }

    [Fact]
    public async Task Add_warns_about_an_ally_with_the_same_name()
    {
        await _alice.Says("ally add \"Jane Doe\"");
        await _alice.Says("ally add \"jane  DOE\"").Expect("Added jane DOE (A2)", "Also named jane DOE: A1. If it is the same person, remove the duplicate: ally remove A2");
    }

    [Fact]
    public async Task Add_names_at_most_the_five_newest_allies_with_the_same_name()
    {
        for (var i = 0; i < 7; i++) await _alice.Says("ally add \"Jane Doe\"");
        await _alice.Says("ally add \"Sam Lee\"");
        await _alice.Says("ally add \"JANE doe\"").Expect("Added JANE doe (A9)",
            "Also named JANE doe: A3, A4, A5, A6, A7. If it is the same person, remove the duplicate: ally remove A9");
    }

    [Fact]
    public async Task Add_refuses_a_name_over_200_characters()
    {
        await _alice.Says($"ally add \"{new string('x', 201)}\"").ExpectError("The name is too long (201 characters; at most 200).");
    }

    [Fact]
    public async Task List_filters_by_every_flag_and_orders_least_recently_contacted_first()
    {
        await _alice.Says("ally add Ann --org \"City of Atlanta\" --sector government --level career --jurisdiction Atlanta --tags housing --owner @bob");
        await _alice.Says("ally add Ben --org \"Atlanta Housing Trust\" --sector nonprofit --level executive --jurisdiction atlanta --tags Housing,land");
        await _alice.Says("ally add Cal --org \"city of atlanta\" --sector government --level elected --jurisdiction Decatur");
        await _alice.Says("ally log Ben \"Lunch\" --on 100 days ago").Expect("Last contact:");
        await _alice.Says("ally log Cal \"Call\" --on yesterday --via call").Expect("Logged a call with Cal (A3)");

        var all = await _alice.Says("ally list").Expect("3 allies", "Page 1 of 1");
        Assert.Equal(["Ann (A1)", "Ben (A2)", "Cal (A3)"], all.ListTitles);
        Assert.Equal(["Ann (A1)", "Cal (A3)"], (await _alice.Says("ally list --sector government")).ListTitles);
        Assert.Equal(["Ben (A2)"], (await _alice.Says("ally list --level executive")).ListTitles);
        Assert.Equal(["Ann (A1)", "Cal (A3)"], (await _alice.Says("ally list --org \"CITY OF ATLANTA\"")).ListTitles);
        Assert.Equal(["Ann (A1)", "Ben (A2)"], (await _alice.Says("ally list --jurisdiction ATLANTA")).ListTitles);
        Assert.Equal(["Ann (A1)", "Ben (A2)"], (await _alice.Says("ally list --tag housing")).ListTitles);
        Assert.Equal(["Ben (A2)"], (await _alice.Says("ally list --tag land")).ListTitles);
        Assert.Equal(["Ann (A1)"], (await _alice.Says("ally list --owner @bob")).ListTitles);
        Assert.Equal(["Ann (A1)", "Ben (A2)"], (await _alice.Says("ally list --stale 60")).ListTitles);
        Assert.Equal(["Ann (A1)"], (await _alice.Says("ally list --sector government --stale 30 --jurisdiction atlanta")).ListTitles);
        await _alice.Says("ally list --sector media").Expect("No allies match those filters.");
        await _alice.Says("ally list --tag %").Expect("No allies match those filters.");
    }

    [Fact]
    public async Task List_pages_ten_at_a_time_with_buttons()
    {
        var csv = "name\n" + string.Join('\n', Enumerable.Range(1, 25).Select(i => $"Person {i:00}"));
        await _alice.Says("ally import\n" + csv).Expect("Imported 25 allies (A1–A25)");
        var first = await _alice.Says("ally list").Expect("Page 1 of 3", "25 allies");
        Assert.Equal(10, first.ListTitles.Count);
        Assert.Equal(["Next"], first.ButtonLabels);
        var second = await _alice.Presses(first, "Next").Expect("Page 2 of 3");
        Assert.Equal("Person 11 (A11)", second.ListTitles[0]);
        Assert.Equal(["Previous", "Next"], second.ButtonLabels);
        var third = await _alice.Presses(second, "Next").Expect("Page 3 of 3");
        Assert.Equal(5, third.ListTitles.Count);
        await _alice.Presses(third, "Previous").Expect("Page 2 of 3");
        await _alice.Says("ally list --page 4").ExpectError("There is no page 4; there are 3 pages.");
        await _alice.Says("ally list --page two").ExpectError("--page needs a whole number");
        await _alice.Says("ally list Person").ExpectError("ally list takes only flags", "ally find Person");
    }

    [Fact]
    public async Task List_counts_big_workspaces_only_a_thousand_ahead_when_filtered_and_exactly_when_not()
    {
        var csv = "name,sector\n" + string.Join('\n', Enumerable.Range(1, 1005).Select(i => $"Person {i:0000},government"));
        await _alice.Says("ally import\n" + csv).Expect("Imported 1,005 allies (A1–A1005)");
        var first = await _alice.Says("ally list --sector government").Expect("Page 1 of 100+ · 1,000+ allies");
        Assert.Equal("1,000+ allies, page 1 of 100+", first.Text);
        // The workspace's own count (ally_counts, kept by the database) is exact at any size.
        Assert.Equal("1,005 allies, page 1 of 101", (await _alice.Says("ally list").Expect("Page 1 of 101 · 1,005 allies")).Text);
        await _alice.Says("ally list --sector government --page 100").Expect("Page 100 of 101 · 1,005 allies");
        var last = await _alice.Says("ally list --page 101").Expect("Page 101 of 101 · 1,005 allies");
        Assert.Equal(["Person 1001 (A1001)", "Person 1002 (A1002)", "Person 1003 (A1003)", "Person 1004 (A1004)", "Person 1005 (A1005)"], last.ListTitles);
        Assert.Equal(["Previous"], last.ButtonLabels);
        await _alice.Says("ally list --page 102").ExpectError("There is no page 102; there are 101 pages.");
        await _alice.Says("ally map").Expect("Coalition map: 1,005 allies", "1,000+ allies with no contact in 60+ days (oldest 10 shown)");
    }

    [Fact]
    public async Task Find_searches_names_orgs_roles_tags_and_notes()
    {
        await _alice.Says("ally add \"Jane Doe\" --org \"City of Atlanta\" --role Planner --tags zoning");
        await _alice.Says("ally add \"José Núñez\" --org \"Fulton County\" --notes \"Knows the budget office\"");
        Assert.Equal(["Jane Doe (A1)"], (await _alice.Says("ally find jan")).ListTitles);
        Assert.Equal(["Jane Doe (A1)"], (await _alice.Says("ally find atlanta")).ListTitles);
        Assert.Equal(["Jane Doe (A1)"], (await _alice.Says("ally find planner")).ListTitles);
        Assert.Equal(["Jane Doe (A1)"], (await _alice.Says("ally find zoning")).ListTitles);
        Assert.Equal(["José Núñez (A2)"], (await _alice.Says("ally find budget")).ListTitles);
        Assert.Equal(["José Núñez (A2)"], (await _alice.Says("ally find jose nunez")).ListTitles);
        await _alice.Says("ally find \"jane fulton\"").Expect("No allies match \"jane fulton\".");
        await _alice.Says("ally find").ExpectError("What should I look for?");
        foreach (var hostile in new[] { "\"; DROP TABLE allies; --", "NEAR(jane doe)", "jane*", "\"\"\"", "a OR b AND NOT c", "^jane", "name:jane", "(", "-" })
        {
            var reply = await _alice.Says("ally find " + hostile);
            Assert.True(!reply.IsError || reply.Plain.Contains("is never closed"), reply.Plain);
        }
        await _alice.Says("ally list").Expect("2 allies");
    }

    [Fact]
    public async Task Show_resolves_refs_and_name_prefixes()
    {
        await _alice.Says("ally add \"Jane Doe\"");
        await _alice.Says("ally add \"Jane Roe\"");
        await _alice.Says("ally add \"Jan\"");
        await _alice.Says("ally show a2").Expect("Jane Roe (A2)");
        await _alice.Says("ally show \"jane d\"").Expect("Jane Doe (A1)");
        await _alice.Says("ally show jane r").Expect("Jane Roe (A2)");
        await _alice.Says("ally show jan").Expect("Jan (A3)");
        var ambiguous = await _alice.Says("ally show jane").ExpectError("\"jane\" matches several allies; use a reference:");
        Assert.Equal(["Jane Doe (A1)", "Jane Roe (A2)"], ambiguous.ListTitles);
        await _alice.Says("ally show A99").ExpectError("No ally matches \"A99\" in this workspace.");
        await _alice.Says("ally show zed").ExpectError("No ally matches \"zed\"", "Try: ally find zed");
        await _alice.Says("ally show").ExpectError("Which ally?");
    }

    [Fact]
    public async Task Edit_changes_and_clears_fields()
    {
        await _alice.Says("ally add \"Jane Doe\" --email jane@x.org --stance neutral");
        await _alice.Says("ally edit A1 --role \"Deputy Director\" --stance champion --email \"\" --name \"Jane Q. Doe\"")
            .Expect("Updated Jane Q. Doe (A1): role, stance, email, name", "Role: Deputy Director", "Stance: champion");
        var shown = await _alice.Says("ally show \"jane q\"").Expect("Jane Q. Doe (A1)");
        Assert.DoesNotContain("Email:", shown.Plain);
        Assert.Equal(["Jane Q. Doe (A1)"], (await _alice.Says("ally find deputy")).ListTitles);
        // Alone (the nudge's "Change owner" button): a form with the current values; saving it unchanged changes nothing.
        var form = Assert.Single((await _alice.Says("ally edit A1").Expect("Edit Jane Q. Doe")).Blocks("form"));
        Assert.Equal("ally edit A1", form.GetProperty("command").GetString());
        var initial = form.GetProperty("inputs").EnumerateArray().ToDictionary(i => i.GetProperty("name").GetString()!,
            i => i.TryGetProperty("initial", out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString()! : "");
        Assert.Equal("Deputy Director", initial["role"]);
        Assert.Equal("champion", initial["stance"]);
        await _alice.Submits("ally edit A1", initial).Expect("Updated Jane Q. Doe (A1)", "Role: Deputy Director", "Stance: champion");
        await _alice.Submits("ally edit A1", new(initial) { ["owner"] = "@bob" }).Expect("Owner: @bob");
        await _alice.Says("ally edit A99").ExpectError("No ally matches \"A99\"");
        await _alice.Says("ally edit --role X").ExpectError("Which ally?");
        await _alice.Says("ally edit A1 --stance fan").ExpectError("\"fan\" is not a valid --stance");
        await _alice.Says("ally edit A1 --name \"\"").ExpectError("The name can't be empty.");
        await _alice.Says("ally edit A7 --role X").ExpectError("No ally matches \"A7\"");
    }

    [Fact]
    public async Task Log_records_touchpoints_and_moves_last_contact_forward_only()
    {
        await _alice.Says("ally add \"Jane Doe\"");
        var today = DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await _alice.Says("ally log A1 Coffee about the levy --via meeting").Expect($"Logged a meeting with Jane Doe (A1) on {today}. Last contact: {today}.");
        await _alice.Says("ally log A1 \"Old call\" --on 2024-01-05 --via call").Expect("on 2024-01-05", $"Last contact: {today}.");
        await _alice.Says("ally log A1 --note \"From the form\" --on in 0 days").Expect("Logged a touchpoint");
        var shown = await _alice.Says("ally show A1").Expect("Coffee about the levy (by alice)", "2024-01-05 · call", "From the form");
        Assert.Contains($"Last contact: {today} (today)", shown.Plain);
        await _alice.Says("ally log A1 \"Future\" --on tomorrow").ExpectError("is in the future");
        await _alice.Says("ally log A1 \"Bad\" --on 2024-13-01").ExpectError("\"2024-13-01\" is not a date I can read for --on", "2027-11-02");
        await _alice.Says("ally log A1 \"Bad\" --via pigeon").ExpectError("\"pigeon\" is not a valid --via. Accepted: meeting, call, email, event, message.");
        await _alice.Says("ally log A1 --note \" \"").ExpectError("Add a note");
        var form = await _alice.Says("ally log A1").Expect("Log a touchpoint");   // alone (the due list's button): the form
        Assert.Equal("ally log A1", Assert.Single(form.Blocks("form")).GetProperty("command").GetString());
        await _alice.Says("ally log A99").ExpectError("No ally matches \"A99\"");
        await _alice.Says("ally log").ExpectError("Which ally, and what happened?");
        await _alice.Submits("ally log A1", new() { ["note"] = "Via form", ["on"] = today, ["via"] = "email" }).Expect("Logged a email with Jane Doe (A1)");
    }

    [Fact]
    public async Task Link_records_who_knows_whom()
    {
        await _alice.Says("ally add \"Jane Doe\"");
        await _alice.Says("ally add \"Sam Lee\"");
        await _alice.Says("ally link A1 \"Sam Lee\" --as \"former colleagues\"").Expect("Linked Jane Doe (A1) and Sam Lee (A2) (former colleagues).");
        await _alice.Says("ally link A2 A1 --as neighbours").Expect("were already linked; relation now \"neighbours\"");
        Assert.Contains("Sam Lee (A2)", (await _alice.Says("ally show A1")).ListTitles);
        Assert.Contains("Jane Doe (A1)", (await _alice.Says("ally show A2")).ListTitles);
        await _alice.Says("ally link A1 A1").ExpectError("Both references are Jane Doe (A1)");
        await _alice.Says("ally link A1").ExpectError("ally link needs exactly two allies, got 1");
        await _alice.Says("ally link A1 A9").ExpectError("No ally matches \"A9\"");
    }

    [Fact]
    public async Task Remove_asks_first_and_needs_the_creator_or_an_admin()
    {
        await _alice.Says("coord admins").Expect("@alice");              // alice is first, so admin
        await _bob.Says("ally add \"Jane Doe\"").Expect("Added Jane Doe (A1)");
        await _alice.Says("ally add \"Sam Lee\"").Expect("Added Sam Lee (A2)");
        await _bob.Says("ally log A1 \"Coffee\"");
        await _bob.Says("ally link A1 A2");

        await _bob.Says("ally remove A2").ExpectError("Only alice, who added Sam Lee (A2), or a workspace admin can remove it.");
        var confirm = await _bob.Says("ally remove A1").Expect("Remove Jane Doe (A1)? This also deletes 1 touchpoint and 1 connection.");
        await _bob.Says("ally show A1").Expect("Jane Doe (A1)");   // nothing removed yet
        await _bob.Presses(confirm, "Remove Jane Doe").Expect("Removed Jane Doe (A1).");
        await _bob.Says("ally show A1").ExpectError("No ally matches \"A1\"");
        Assert.DoesNotContain("Jane", (await _alice.Says("ally show A2")).Plain);

        await _bob.Says("ally add \"Kim Park\"").Expect("Added Kim Park (A3)");   // refs are never reused
        await _alice.Says("ally remove A3 --yes").Expect("Removed Kim Park (A3).");  // admin may remove anyone's
        await _alice.Says("ally remove A3 --yes").ExpectError("No ally matches \"A3\"");
    }

    [Fact]
    public async Task Map_counts_sectors_by_level_and_flags_stale_allies_and_turnover_gaps()
    {
        await _alice.Says("ally add Mayor --org \"City of Decatur\" --sector government --level elected --jurisdiction decatur");
        await _alice.Says("ally add Aide --org \"City of Decatur\" --sector government --level appointed --jurisdiction decatur");
        await _alice.Says("ally add Clerk --org \"City of Atlanta\" --sector government --level career --jurisdiction atlanta");
        await _alice.Says("ally add Chair --org \"City of Atlanta\" --sector government --level elected --jurisdiction atlanta");
        await _alice.Says("ally add Director --org \"Housing Trust\" --sector nonprofit --level executive --jurisdiction atlanta");
        await _alice.Says("ally log Director \"Lunch\"");
        var map = await _alice.Says("ally map").Expect(
            "Coalition map: 5 allies", "sector | elected | appointed | career | executive | total",
            "government | 2 | 1 | 1 | 0 | 4", "nonprofit | 0 | 0 | 0 | 1 | 1",
            "4 allies with no contact in 60+ days", "• City of Decatur — 2 allies, none career/executive/staff");
        Assert.DoesNotContain("Director (A5)", map.ListTitles);
        Assert.DoesNotContain("City of Atlanta", map.ListTitles);
        await _alice.Says("ally map --jurisdiction ATLANTA").Expect("Coalition map in ATLANTA: 3 allies", "Turnover gaps: none.");
        await _alice.Says("ally map --jurisdiction nowhere").Expect("No allies in nowhere yet.");
    }

    [Fact]
    public async Task Import_refuses_a_file_with_errors_unless_told_to_skip_them()
    {
        const string csv = """
            name,org,sector,level,email,last_contact,tags
            Jane Doe,City of Atlanta,government,career,jane@atl.gov,2026-01-02,"housing, budget"
            Bad Sector,X,gov,career,,,
            ,No Name,,,,,
            Sam Lee,"Quoted, Org",Government,Elected,,,
            Bad Mail,,,,not-an-email,,
            Bad Date,,,,,02/01/2026,
            """;
        var refused = await _alice.Says("ally import\n" + csv).ExpectError("Nothing imported: 4 rows with errors.", "2 good rows");
        Assert.Equal(["row 3", "row 4", "row 6", "row 7"], refused.ListTitles);
        Assert.Contains("\"gov\" is not a sector", refused.Plain);
        await _alice.Says("ally list").Expect("No allies yet");

        var imported = await _alice.Says("ally import --skip-bad\n" + csv).Expect("Imported 2 allies (A1–A2); skipped 4 rows with errors.");
        Assert.Equal(4, imported.ListTitles.Count);
        await _alice.Says("ally show A2").Expect("Sam Lee (A2)", "Organization: Quoted, Org", "Sector: government", "Level: elected");
        await _alice.Says("ally show A1").Expect("Last contact: 2026-01-02", "Tags: housing, budget");
    }

    [Theory]
    [InlineData("ally import", "Attach a CSV file, or paste the CSV")]
    [InlineData("ally import\nname,colour\nJane,red", "Nothing imported: unknown column \"colour\". Accepted: name, org")]
    [InlineData("ally import\norg,role\nX,Y", "no name column")]
    [InlineData("ally import\nname,name\nX,Y", "appears twice")]
    [InlineData("ally import\nname,org", "has a header but no rows")]
    [InlineData("ally import\nname,org\nJane,\"City of", "row 2")]
    [InlineData("ally import\nname,org\nJane,X,extra", "the row has 3 values but the header names 2 columns")]
    public async Task Import_explains_unusable_files(string command, string expected)
    {
        await _alice.Says(command).ExpectError(expected);
        await _alice.Says("ally list").Expect("No allies yet");
    }

    [Fact]
    public async Task Export_round_trips_through_import_and_defuses_formulas()
    {
        await _alice.Says("ally add \"=HYPERLINK(\"\"x\"\")\" --org \"City, of Atlanta\" --phone \"+1 404\" --owner @bob --tags a,b --notes \"line one\"");
        await _alice.Says("ally log A1 \"Coffee\" --on 2026-02-03");
        var export = await _alice.Says("ally export").Expect("Exported 1 ally.");
        var file = export.Blocks("file").Single();
        Assert.EndsWith(".csv", file.GetProperty("fileName").GetString());
        var content = file.GetProperty("content").GetString()!;
        Assert.StartsWith("ref,name,org,role,sector,level,jurisdiction,stance,email,phone,tags,owner,notes,last_contact", content);
        Assert.Contains("'=HYPERLINK", content);
        Assert.Contains("'+1 404", content);
        Assert.Contains("\"City, of Atlanta\"", content);

        await _alice.Says("ally import\n" + content).Expect("Imported 1 ally (A2)");
        await _alice.Says("ally show A2").Expect("=HYPERLINK(", "Organization: City, of Atlanta", "Phone: +1 404", "Owner: @bob", "Tags: a, b", "Last contact: 2026-02-03");
    }

    [Fact]
    public async Task Share_posts_lists_and_details_for_everyone_while_the_default_is_only_the_asker()
    {
        await _alice.Says("ally add \"Jane Doe\" --sector government");
        foreach (var command in new[] { "ally list", "ally find jane", "ally show A1", "ally map", "ally list --sector government" })
        {
            Assert.True((await _alice.Says(command)).Ephemeral, command);
            Assert.False((await _alice.Says(command + " --share")).Ephemeral, command + " --share");
        }
    }

    [Fact]
    public async Task Find_pages_through_many_matches()
    {
        var csv = "name,org\n" + string.Join('\n', Enumerable.Range(1, 12).Select(i => $"Person {i:00},Fulton County"));
        await _alice.Says("ally import\n" + csv).Expect("Imported 12 allies");
        var first = await _alice.Says("ally find fulton").Expect("Page 1 · more on the next page");
        Assert.Equal("10+ allies match \"fulton\"", first.Text);
        Assert.Equal(10, first.ListTitles.Count);
        var second = await _alice.Presses(first, "Next").Expect("Page 2");
        Assert.Equal(2, second.ListTitles.Count);
        Assert.Empty(second.ButtonLabels);
        await _alice.Says("ally find fulton --page 3").Expect("No more allies match \"fulton\".");
    }

    [Theory]
    [InlineData("ally export --all", "ally export takes no flags, but got --all.")]
    [InlineData("ally list --page 100001", "--page needs a whole number from 0 to 100000")]
    [InlineData("ally list --stale -5", "--stale needs a whole number from 0 to 100000, not \"-5\".")]
    [InlineData("coord settings UTC", "coord settings takes only flags, but got \"UTC\".")]
    [InlineData("ally import --skip-bad\nname,sector\n,x\nY,nope", "Nothing imported: the CSV has no valid rows.")]
    public async Task Other_refusals_name_the_problem(string command, string expected)
    {
        await _alice.Says(command).ExpectError(expected);
    }

    [Fact]
    public async Task Ambiguous_or_unknown_refs_in_two_ref_commands_are_named()
    {
        await _alice.Says("ally add \"Jane Doe\"");
        await _alice.Says("ally add \"Jane Roe\"");
        await _alice.Says("ally link jane A2").ExpectError("\"jane\" matches several allies");
        await _alice.Says("ally link A1 jo").ExpectError("No ally matches \"jo\"");
        await _alice.Says("ally log jane \"x\"").ExpectError("\"jane\" matches several allies");
    }

    [Fact]
    public async Task Help_is_available_for_every_command()
    {
        await _alice.Says("coord help").Expect("CoordBot commands", "ally add <name>", "ally map", "coord settings", "e.g. ally add \"Jane Doe\"");
        await _alice.Says("help").Expect("CoordBot commands");
        await _alice.Says("").Expect("CoordBot commands");
        await _alice.Says("ally").Expect("ally — track stakeholder allies", "ally add <name>", "ally export");
        await _alice.Says("/ally help").Expect("ally add <name>");
        var help = await _alice.Says("ally log help").Expect("ally log <ref> <note>", "--via meeting|call|email|event|message", "--on DATE");
        Assert.True(help.Ephemeral);
        await _alice.Says("ally list --help").Expect("--stale N", "--page N");
        await _alice.Says("dance").ExpectError("I don't know the command \"dance\".", "Commands: ally, election, checkin, coord");
        await _alice.Says("ally sing").ExpectError("ally has no subcommand \"sing\".", "add, list, find");
        foreach (var group in new[] { "ally", "coord" })
            foreach (var sub in Host.Get<CoordBot.Chat.CommandTable>().Group(group)!.Commands)
                await _alice.Says($"{group} {sub.Name} help").Expect(sub.Usage.Split(' ')[0]);
    }
}
