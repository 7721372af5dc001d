using CoordBot.Chat;
using CoordBot.CheckIns;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.CheckIns;

/// <summary>checkin export and checkin import through the router on a real SQLite file, with a fixed clock.</summary>
public sealed class CheckInCsvTests : IAsyncLifetime
{
    // Wednesday 18 February 2026, 15:00 UTC: week 2026-W08.
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 2, 18, 15, 0, 0, TimeSpan.Zero));
    private readonly TestDatabase _db = new();
    private CoreChat _chat = null!;

    public async ValueTask InitializeAsync() => _chat = await CoreChat.StartAsync(_db, _clock);

    public async ValueTask DisposeAsync()
    {
        await _chat.DisposeAsync();
        _db.Dispose();
    }

    private Task<Reply> Send(string text, string user = "alice", string workspace = "W") => _chat.Say(workspace, user, text);
    private async Task<string> Say(string text, string user = "alice", string workspace = "W") => CoreChat.Plain(await Send(text, user, workspace));

    private async Task<string> Ok(string text, string user = "alice", string workspace = "W")
    {
        var reply = await Send(text, user, workspace);
        Assert.False(reply.IsError, $"Expected a normal reply but got an error: {CoreChat.Plain(reply)}");
        return CoreChat.Plain(reply);
    }

    private async Task<string> Refused(string text, string user = "alice", string workspace = "W")
    {
        var reply = await Send(text, user, workspace);
        Assert.True(reply.IsError, $"Expected an error reply but got: {CoreChat.Plain(reply)}");
        return CoreChat.Plain(reply);
    }

    private Task<IReadOnlyList<CheckIn>> History(long initiativeId, string workspace = "W") =>
        _chat.Get<CheckInStore>().HistoryAsync(workspace, initiativeId);

    private async Task<string> ExportFile(string initiative, string user = "alice")
    {
        var reply = await Send($"checkin export {initiative}", user);
        Assert.False(reply.IsError, CoreChat.Plain(reply));
        Assert.True(reply.Ephemeral);
        var file = Assert.Single(reply.Blocks.OfType<FileAttachment>());
        Assert.Equal("text/csv", file.MediaType);
        Assert.EndsWith(".csv", file.FileName);
        return file.Content;
    }

    private static string Describe(CheckIn c) =>
        $"{c.Week} {c.Member} [{string.Join(";", c.Values.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}={v.Value:R}"))}] " +
        $"{c.Wins}|{c.Barriers}|{c.NextSteps}|{c.HelpNeeded}|{c.SubmittedAt:O}";

    private async Task SetUpVets(string members = "@alice <@bob>") => await Ok($"checkin setup Vets --template bfz --members {members}");

    [Fact]
    public async Task Export_then_import_into_another_initiative_is_equal()
    {
        await SetUpVets();
        await Ok("checkin import Vets\n" + """
            week,member,actively homeless,inflow,outflow,wins,barriers,next,help_needed,submitted_at
            2026-W05,bob,120,4,2,"Two landlords, finally",,"Call ""Ana"" back",,2026-01-30T10:15:00Z
            2026-W05,alice,119.5,,3,"line one
            line two",slow inspections,,more vouchers,2026-01-31T08:00:00.1234567Z
            2026-W06,@alice,5,1e3,0.1,,,,,
            """);
        _clock.Advance(TimeSpan.FromMinutes(5));
        await Ok("checkin submit Vets \"actively homeless\"=110 inflow=3 --wins \"a good week\"", user: "bob");
        var original = await History(1);
        Assert.Equal(4, original.Count);

        var content = await ExportFile("Vets");
        Assert.StartsWith("week,member,actively homeless,inflow,outflow,wins,barriers,next,help_needed,submitted_at\n", content.ReplaceLineEndings("\n"));
        Assert.Contains("2026-W06,alice,5,1000,0.1,", content);           // numbers in invariant form

        await Ok("checkin setup Copy --template bfz --members @alice");
        var imported = await Ok("checkin import I2\n" + content);
        Assert.Contains("Imported 4 check-ins into Copy (I2), weeks 2026-W05–2026-W08; 0 replaced existing ones; 2 are for non-members.", imported);
        Assert.Equal(original.Select(Describe), (await History(2)).Select(Describe));
        Assert.Equal(content, await ExportFile("Copy"));
    }

    [Fact]
    public async Task Export_of_an_initiative_without_check_ins_is_the_header()
    {
        await SetUpVets();
        var reply = await Ok("checkin export I1");
        Assert.Contains("Exported 0 check-ins of Vets (I1)", reply);
        Assert.Equal("week,member,actively homeless,inflow,outflow,wins,barriers,next,help_needed,submitted_at", (await ExportFile("I1")).TrimEnd());
    }

    [Fact]
    public async Task Weeks_as_iso_weeks_or_dates_and_headers_ignoring_case_and_spaces()
    {
        await SetUpVets();
        var reply = await Ok("checkin import I1\n" + """
             Week , ACTIVELY HOMELESS ,Inflow,Help Needed
            2026-W02,100,1,
            2026W03,99,2,
            2026-01-21,98,3,
            2026-01-01,97,4,keys
            2026-W7,96,5,
            """);
        Assert.Contains("Imported 5 check-ins into Vets (I1), weeks 2026-W01–2026-W07", reply);
        var history = await History(1);
        Assert.Equal(["2026-W01", "2026-W02", "2026-W03", "2026-W04", "2026-W07"], history.Select(c => c.Week));
        Assert.NotEmpty(history);
        Assert.All(history, c => Assert.Equal("alice", c.Member));                 // no member column: the importer
        Assert.Equal(97, history[0].Values["actively homeless"]);
        Assert.Equal("keys", history[0].HelpNeeded);
        Assert.False(history[1].Values.ContainsKey("outflow"));
    }

    [Fact]
    public async Task Later_rows_replace_earlier_ones_and_stored_check_ins()
    {
        await SetUpVets();
        await Ok("checkin submit Vets inflow=7 --wins \"typed in chat\"");   // alice, 2026-W08
        var reply = await Ok("checkin import I1\n" + """
            week,member,inflow,wins
            2026-W07,alice,1,first
            2026-W07,@alice,2,second
            2026-02-18,alice,3,from the file
            """);
        Assert.Contains("Imported 2 check-ins into Vets (I1), weeks 2026-W07–2026-W08; 1 replaced an existing one.", reply);
        Assert.Contains("1 row was replaced by a later row for the same week and member.", reply);
        var history = await History(1);
        Assert.Equal(["2026-W07 alice inflow=2 second", "2026-W08 alice inflow=3 from the file"],
            history.Select(c => $"{c.Week} {c.Member} inflow={c.Values["inflow"]} {c.Wins}"));

        Assert.Contains("2 replaced existing ones", await Ok("checkin import I1\nweek,inflow\n2026-W07,5\n2026-W08,6"));
        Assert.Equal([5.0, 6.0], (await History(1)).Select(c => c.Values["inflow"]));
    }

    [Fact]
    public async Task Rows_without_submitted_at_keep_the_file_order_within_a_week()
    {
        await SetUpVets("@alice <@bob> <@carol>");
        await Ok("checkin import I1\nweek,member,actively homeless\n2026-W07,carol,50\n2026-W07,alice,40\n2026-W07,bob,45");
        var week = await _chat.Get<CheckInStore>().WeekAsync("W", 1, "2026-W07");
        Assert.Equal(["carol", "alice", "bob"], week.Select(c => c.Member));
        Assert.Equal(45, Metric.BuiltForZero[0].WeekValue(week.Select(c => c.Values["actively homeless"])));
    }

    [Fact]
    public async Task A_file_with_errors_lists_them_by_row_and_imports_nothing()
    {
        await SetUpVets();
        await Ok("checkin import I1\nweek,inflow\n2026-W01,1");
        var before = (await History(1)).Select(Describe).ToList();

        var reply = await Send("checkin import I1\n" + """
            week,member,inflow,outflow,submitted_at
            2026-W02,alice,2,3,
            someday,alice,2,3,
            2026-W03,alice,lots,3,
            2026-W01,alice,9,9,

            2026-W09,alice,1,1,
            2026-W04,<@U1|x,1,1,
            2026-W04,bob,NaN,1,
            2026-W04,bob,1,1e13,
            2026-W04,bob,1,1,yesterday
            2026-W04,bob,1,1,2026-03-01T00:00:00Z
            ,bob,1,1,
            2026-W05,bob,1,1,,extra
            """);
        Assert.True(reply.IsError);
        var plain = CoreChat.Plain(reply);
        Assert.Contains("Nothing imported into Vets (I1): 10 rows with errors", plain);
        Assert.Equal(["row 3", "row 4", "row 7", "row 8", "row 9", "row 10", "row 11", "row 12", "row 13", "row 14"],
            reply.Blocks.OfType<ItemList>().Single().Items.Select(i => i.Title));
        Assert.Contains("week \"someday\" is not an ISO week like 2026-W07 or a date like 2026-02-16.", plain);
        Assert.Contains("inflow \"lots\" is not a number", plain);
        Assert.Contains("week 2026-W09 is in the future (this week is 2026-W08).", plain);
        Assert.Contains("member \"<@U1|x\" is not a user", plain);
        Assert.Contains("inflow \"NaN\" is not a number", plain);
        Assert.Contains("outflow \"1e13\" is not a number", plain);
        Assert.Contains("submitted_at \"yesterday\" is not a time", plain);
        Assert.Contains("submitted_at 2026-03-01 00:00 UTC is in the future.", plain);
        Assert.Contains("week is empty.", plain);
        Assert.Contains("the row has 6 values but the header names 5 columns.", plain);
        Assert.Equal(before, (await History(1)).Select(Describe));
    }

    [Theory]
    [InlineData("checkin import I1", "Attach a CSV file, or paste the CSV on the lines after checkin import I1.")]
    [InlineData("checkin import I1\n\n   \n", "Attach a CSV file")]
    [InlineData("checkin import I1\nweek,inflow", "Nothing imported: the CSV has a header but no rows.")]
    [InlineData("checkin import I1\nweek,inflow\n,\n", "Nothing imported: the CSV has a header but no rows.")]
    [InlineData("checkin import I1\nweek,colour,inflow\n2026-W01,red,1",
        "Nothing imported: unknown column \"colour\". The metrics of Vets (I1) are actively homeless, inflow, outflow; the other columns are week, member, wins")]
    [InlineData("checkin import I1\nmember,inflow\nalice,1", "no week column")]
    [InlineData("checkin import I1\nweek,inflow,INFLOW\n2026-W01,1,2", "the column \"INFLOW\" appears twice.")]
    [InlineData("checkin import I1\nweek,inflow\n2026-W01,\"1", "row 2")]
    [InlineData("checkin import", "Which initiative?")]
    [InlineData("checkin import Nope\nweek,inflow\n2026-W01,1", "No initiative \"Nope\"")]
    public async Task Unusable_files_are_refused(string command, string expected)
    {
        await SetUpVets();
        Assert.Contains(expected, await Refused(command));
        Assert.Empty(await History(1));
    }

    [Fact]
    public async Task Too_many_rows_are_refused()
    {
        await SetUpVets();
        var csv = "week,inflow\n" + string.Join('\n', Enumerable.Repeat("2026-W01,1", 20_001));
        Assert.Contains("more than 20000 rows", await Refused("checkin import I1\n" + csv));
        Assert.Empty(await History(1));
    }

    [Fact]
    public async Task The_future_is_this_week_in_the_initiatives_zone()
    {
        // Sunday 22 February 2026 noon UTC is already Monday in Auckland: 2026-W09 there, still 2026-W08 in UTC.
        _clock.Set(new DateTimeOffset(2026, 2, 22, 12, 0, 0, TimeSpan.Zero));
        await Ok("checkin setup Utc --template bfz");
        await Ok("checkin setup Kiwi --template bfz --tz Pacific/Auckland");
        Assert.Contains("week 2026-W09 is in the future (this week is 2026-W08)", await Refused("checkin import Utc\nweek,inflow\n2026-W09,1"));
        Assert.Contains("Imported 1 check-in into Kiwi (I2), week 2026-W09", await Ok("checkin import Kiwi\nweek,inflow\n2026-W09,1"));
    }

    [Fact]
    public async Task Only_the_creator_or_an_admin_imports()
    {
        await Say("coord help");                                       // alice is the first user, so an admin
        await Ok("checkin setup Vets --template bfz --members @bob <@carol>", user: "bob");
        Assert.Contains("Only bob, who set up Vets (I1), or a workspace admin can import", await Refused("checkin import I1\nweek,inflow\n2026-W01,1", user: "carol"));
        Assert.Empty(await History(1));
        Assert.Contains("Imported 1 check-in", await Ok("checkin import I1\nweek,inflow\n2026-W01,1", user: "bob"));
        Assert.Contains("1 replaced an existing one.", await Ok("checkin import I1\nweek,member,inflow\n2026-W01,bob,2", user: "alice"));
        Assert.Equal(2, Assert.Single(await History(1)).Values["inflow"]);
        var outsiders = await Ok("checkin import I1\nweek,member,inflow\n2026-W01,alice,3\n2026-W02,dave,1");
        Assert.Contains("2 are for non-members.", outsiders);
        Assert.Contains("Not members of Vets (I1): @alice, @dave.", outsiders);
        Assert.Contains("Exported 3 check-ins", await Ok("checkin export I1", user: "carol"));   // any member of the workspace can export
    }

    [Fact]
    public async Task Another_workspace_cannot_export_or_import_by_name_or_ref()
    {
        await SetUpVets();
        await Ok("checkin import I1\nweek,inflow,wins\n2026-W01,1,secret");
        foreach (var target in new[] { "I1", "Vets", "vets" })
        {
            Assert.Contains($"No initiative \"{target}\" in this workspace", await Refused($"checkin export {target}", user: "mallory", workspace: "X"));
            Assert.Contains($"No initiative \"{target}\"", await Refused($"checkin import {target}\nweek,inflow\n2026-W02,9", user: "mallory", workspace: "X"));
        }

        // The other workspace's own I1 is its own: its export and import never see or touch W's.
        await Ok("checkin setup Vets --template bfz", user: "mallory", workspace: "X");
        Assert.DoesNotContain("secret", await ExportFileIn("X", "mallory"));
        await Ok("checkin import I1\nweek,inflow\n2026-W01,5", user: "mallory", workspace: "X");
        Assert.Equal(1, Assert.Single(await History(1)).Values["inflow"]);
        var theirs = Assert.Single(await _chat.Get<InitiativeStore>().ListAsync("X"));
        Assert.Equal(5, Assert.Single(await History(theirs.Id, "X")).Values["inflow"]);
        Assert.Empty(await History(theirs.Id, "W"));
    }

    private async Task<string> ExportFileIn(string workspace, string user)
    {
        var reply = await Send("checkin export I1", user, workspace);
        Assert.False(reply.IsError, CoreChat.Plain(reply));
        return Assert.Single(reply.Blocks.OfType<FileAttachment>()).Content;
    }

    [Fact]
    public async Task Export_defuses_formulas_and_import_reads_them_back()
    {
        await SetUpVets();
        await Ok("checkin import I1\n" + """
            week,member,inflow,wins,barriers,next,help_needed
            2026-W01,alice,3,"=HYPERLINK(""http://x"",""y"")",+1 555 0100,-2 beds,@here
            """);
        var content = await ExportFile("I1");
        Assert.Contains("'=HYPERLINK", content);
        Assert.Contains("'+1 555 0100", content);
        Assert.Contains("'-2 beds", content);
        Assert.Contains("'@here", content);
        Assert.Contains("2026-W01,alice,,3,,", content);                  // a number is not text: no apostrophe

        await Ok("checkin setup Copy --template bfz");
        await Ok("checkin import I2\n" + content);
        var copy = Assert.Single(await History(2));
        Assert.Equal(["=HYPERLINK(\"http://x\",\"y\")", "+1 555 0100", "-2 beds", "@here"], new[] { copy.Wins!, copy.Barriers!, copy.NextSteps!, copy.HelpNeeded! });
        Assert.Equal(3, copy.Values["inflow"]);
    }

    [Fact]
    public async Task A_metric_named_like_a_column_round_trips()
    {
        await Ok("checkin setup Odd --metric \"next:steps:increase\" --metric \"-delta:people:decrease\"");
        await Ok("checkin import I1\nweek,next,-delta,next\n2026-W01,4,2,call the county");
        var content = await ExportFile("I1");
        Assert.StartsWith("week,member,next,", content);
        Assert.Contains("'-delta", content.Split('\n')[0]);
        Assert.EndsWith(",wins,barriers,next,help_needed,submitted_at", content.Split('\n')[0].TrimEnd('\r'));
        var stored = Assert.Single(await History(1));
        Assert.Equal(4, stored.Values["next"]);
        Assert.Equal("call the county", stored.NextSteps);

        await Ok("checkin setup Odd2 --metric \"next:steps:increase\" --metric \"-delta:people:decrease\"");
        await Ok("checkin import I2\n" + content);
        Assert.Equal(Describe(stored), Describe(Assert.Single(await History(2))));
    }
}
