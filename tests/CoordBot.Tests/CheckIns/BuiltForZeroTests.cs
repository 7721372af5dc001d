using System.Globalization;
using CoordBot.Chat;
using CoordBot.CheckIns;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.CheckIns;

/// <summary>
/// The Built for Zero method through the router on a real SQLite file: numbers as of the latest week with data,
/// the balance of every week, the data-quality summary, and negative values refused. Every expected figure is
/// worked out by hand in the comments.
/// </summary>
public sealed class BuiltForZeroTests : IAsyncLifetime
{
    // Wednesday 6 January 2027, 15:00 UTC: week 2027-W01 (2026 has 53 ISO weeks; W53 ran 28 Dec – 3 Jan).
    private readonly ManualClock _clock = new(new DateTimeOffset(2027, 1, 6, 15, 0, 0, TimeSpan.Zero));
    private readonly TestDatabase _db = new();
    private CoreChat _chat = null!;

    public async ValueTask InitializeAsync() => _chat = await CoreChat.StartAsync(_db, _clock);

    public async ValueTask DisposeAsync()
    {
        await _chat.DisposeAsync();
        _db.Dispose();
    }

    private async Task<string> Ok(string text, string user = "alice")
    {
        var reply = await _chat.Say("W", user, text);
        Assert.False(reply.IsError, $"{text}: {CoreChat.Plain(reply)}");
        return CoreChat.Plain(reply);
    }

    private async Task<string> Refused(string text, string user = "alice")
    {
        var reply = await _chat.Say("W", user, text);
        Assert.True(reply.IsError, $"{text}: {CoreChat.Plain(reply)}");
        return CoreChat.Plain(reply);
    }

    /// <summary>
    /// 26 weeks, 2026-W27 to 2026-W52, as a community exports them: inflow 5, 6, 7 and outflow 8, 9 in turn, every week
    /// balanced except two. W42: 95 (W41) + 6 − 8 = 93 expected, 108 reported, off by +15. W47: 99 (W46) + 5 − 9 = 95
    /// expected, 92 reported, off by −3. (The weeks after a break balance against the number reported, not the expected one.)
    /// </summary>
    internal const string History26 = """
        week,member,actively homeless,inflow,outflow
        2026-W27,alice,130,5,6
        2026-W28,alice,129,7,8
        2026-W29,alice,125,5,9
        2026-W30,alice,123,6,8
        2026-W31,alice,121,7,9
        2026-W32,alice,118,5,8
        2026-W33,alice,115,6,9
        2026-W34,alice,114,7,8
        2026-W35,alice,110,5,9
        2026-W36,alice,108,6,8
        2026-W37,alice,106,7,9
        2026-W38,alice,103,5,8
        2026-W39,alice,100,6,9
        2026-W40,alice,99,7,8
        2026-W41,alice,95,5,9
        2026-W42,alice,108,6,8
        2026-W43,alice,106,7,9
        2026-W44,alice,103,5,8
        2026-W45,alice,100,6,9
        2026-W46,alice,99,7,8
        2026-W47,alice,92,5,9
        2026-W48,alice,90,6,8
        2026-W49,alice,88,7,9
        2026-W50,alice,85,5,8
        2026-W51,alice,82,6,9
        2026-W52,alice,81,7,8
        """;

    [Fact]
    public async Task An_imported_history_is_kept_as_it_is_and_every_week_out_of_balance_is_named()
    {
        await Ok("checkin setup Vets --template bfz --baseline 130 --target 0 --members @alice");

        var imported = await Ok("checkin import I1\n" + History26);
        Assert.Contains("Imported 26 check-ins into Vets (I1), weeks 2026-W27–2026-W52; 0 replaced existing ones. 2 weeks are out of balance.", imported);
        Assert.Contains("⚠ 2 imported weeks are out of balance (actively homeless should be last week's + inflow − outflow); they were imported as they are:", imported);
        Assert.Contains("• 2026-W42: 108 reported, 93 expected (95 + 6 − 8), off by +15\n• 2026-W47: 92 reported, 95 expected (99 + 5 − 9), off by −3", imported);
        Assert.Equal(26, (await _chat.Get<CheckInStore>().HistoryAsync("W", 1)).Count);   // nothing was dropped or "corrected"

        // This week (2027-W01) and the last (2026-W53) have no check-ins: the report is as of 2026-W52, over its 26 weeks,
        // W27–W52, of which the 25 after the first can be checked against the week before.
        var report = await Ok("checkin report I1");
        Assert.Contains("Vets: 26 weeks to 2026-W52", report);
        Assert.Contains("As of 2026-W52 — no check-ins yet for 2027-W01.", report);
        Assert.Contains("actively homeless (aim): 81 people (−1 from last week)", report);   // 82 in W51
        Assert.Contains("⚠ Out of balance: 2 of the 25 weeks with the three numbers (actively homeless should be last week's + inflow − outflow):", report);
        Assert.Contains("• 2026-W47: 92 reported, 95 expected (99 + 5 − 9), off by −3\n• 2026-W42: 108 reported, 93 expected (95 + 6 − 8), off by +15", report);
        Assert.Contains("⚠ Data quality: 2 weeks out of balance (2026-W42, 2026-W47).", report);
        Assert.Contains("2026-W42 ⚠ out of balance", report);
        Assert.Contains("2026-W47 ⚠ out of balance", report);
        Assert.DoesNotContain("2026-W43 ⚠", report);
        Assert.DoesNotContain("no value this week", report);
    }

    [Fact]
    public async Task The_digest_of_a_week_without_check_ins_reports_the_latest_week_that_has_them()
    {
        await Ok("checkin setup Vets --template bfz --members @alice");
        await Ok("checkin import I1\n" + History26);
        var initiative = (await _chat.Get<InitiativeStore>().GetAsync("W", 1))!;

        var digest = await _chat.Get<CheckInDigest>().BuildAsync("W", initiative, "2027-W01", default);
        var text = CoreChat.Plain(digest);
        Assert.Contains("Vets: weekly digest, 2027-W01", text);
        Assert.Contains("As of 2026-W52 — no check-ins yet for 2027-W01.", text);
        Assert.StartsWith("Vets 2027-W01: as of 2026-W52, actively homeless 81 people (−1 from last week)", digest.Text);
        Assert.Contains("inflow: 7 people (+1 from last week)", text);
        Assert.Contains("Balance check: last week 82 + inflow 7 − outflow 8 = 81, as reported. ✓", text);
        Assert.Contains("⚠ Data quality: 2 weeks out of balance (2026-W42, 2026-W47).", text);
        // Its charts are the as-of week's.
        Assert.All(digest.Blocks.OfType<Chart>(), c => Assert.Contains("/2026-W52.svg?weeks=26", c.Url));
        Assert.NotEmpty(digest.Blocks.OfType<Chart>());

        // A week with even one number is its own week, partial as it is.
        _clock.Set(new DateTimeOffset(2027, 1, 4, 10, 0, 0, TimeSpan.Zero));
        await Ok("checkin submit inflow=4");
        var partial = CoreChat.Plain(await _chat.Get<CheckInDigest>().BuildAsync("W", initiative, "2027-W01", default));
        Assert.DoesNotContain("As of", partial);
        Assert.Contains("actively homeless (aim): no value this week", partial);
    }

    [Fact]
    public async Task The_data_quality_summary_names_gaps_and_astronomical_points()
    {
        await Ok("checkin setup Vets --template bfz --members @alice");
        // 14 weeks, W39–W52: inflow 5 and 6 in turn, outflow 7 and 8 in turn, except W50 with 60 of each (a mass move into and out
        // of a shelter, say), so actively homeless moves as smoothly as ever. Inflow: Q1 5, Q3 6, far-out fence 6 + 3 × 1 = 9,
        // and 60 is astronomical. Outflow is not judged at all: W45 has none, and of its 13 values six equal its median 8,
        // which leaves 7 useful points, fewer than the 10 the run-chart rules need. Every week that can be checked
        // balances (W46 too: W45's actively homeless is there).
        var rows = new List<string> { "week,member,actively homeless,inflow,outflow" };
        var actively = 100.0;
        for (var w = 39; w <= 52; w++)
        {
            var (inflow, outflow) = w == 50 ? (60, 60) : (w % 2 == 1 ? 5 : 6, w % 2 == 1 ? 7 : 8);
            if (w == 45) outflow = 0;
            if (w > 39) actively += inflow - outflow;
            rows.Add(string.Create(CultureInfo.InvariantCulture, $"2026-W{w},alice,{actively},{inflow},{(w == 45 ? "" : outflow)}"));
        }
        await Ok("checkin import I1\n" + string.Join("\n", rows));

        var report = await Ok("checkin report I1 --weeks 14");
        Assert.Contains("⚠ Data quality: 1 week with a metric missing (2026-W45: outflow); 1 astronomical point (inflow 60 in 2026-W50).", report);
        Assert.Contains("Balance: all 12 weeks with the three numbers balance (actively = last week's + inflow − outflow). ✓", report);   // W40–W52 but W45
    }

    [Fact]
    public async Task A_clean_window_says_so()
    {
        await Ok("checkin setup Vets --template bfz --members @alice");
        await Ok("checkin import I1\n" + string.Join("\n", History26.Split('\n').Take(15)));   // W27–W40: all balanced
        var report = await Ok("checkin report I1 --weeks 14");
        Assert.Contains("Data quality: every week has every metric, the 13 weeks with the three numbers balance, no astronomical points.", report);
    }

    [Fact]
    public async Task Negative_numbers_are_refused_at_every_door_and_change_nothing()
    {
        await Ok("checkin setup Vets --template bfz --members @alice");
        _clock.Set(new DateTimeOffset(2027, 1, 4, 10, 0, 0, TimeSpan.Zero));

        var typed = await Refused("checkin submit inflow=-2 outflow=3");
        Assert.Contains("inflow cannot be negative (you wrote -2).", typed);
        Assert.Contains("Nothing was recorded.", typed);
        var csv = await Refused("checkin import I1\nweek,member,actively homeless,inflow,outflow\n2026-W50,alice,100,5,7\n2026-W51,alice,98,-1,7");
        Assert.Contains("Nothing imported into Vets (I1): 1 row with errors", csv);
        Assert.Contains("inflow -1 is negative; every metric counts something, 0 or more.", csv);
        Assert.Empty(await _chat.Get<CheckInStore>().HistoryAsync("W", 1));

        await Ok("checkin submit inflow=0 outflow=3");   // zero is a count
    }

    [Fact]
    public async Task The_detailed_template_tracks_why_people_enter_and_leave_and_sums_the_parts()
    {
        var setup = await Ok("checkin setup Vets --template bfz-detailed --members @alice <@bob>");
        Assert.Contains("Set up Vets (I1)", setup);
        var form = (await _chat.Say("W", "alice", "checkin submit I1")).Blocks.OfType<Form>().Single();
        Assert.Equal(["actively homeless", "inflow", "outflow", "newly identified", "returned from housing", "returned from inactive",
            "moved to housing", "moved to inactive", "no longer meets criteria"], form.Inputs.Take(9).Select(i => i.Name));

        // Four weeks of history with the parts only (the totals are left empty and become their sums): W49 inflow 4 + 1 + 1 = 6,
        // outflow 7 + 2 + 0 = 9; actively 100 → 97 (100 + 6 − 9) → 95 (+ 5 − 7) → 94 (+ 6 − 7), every week balanced.
        await Ok("checkin import I1\n" + """
            week,member,actively homeless,newly identified,returned from housing,returned from inactive,moved to housing,moved to inactive,no longer meets criteria
            2026-W48,alice,100,3,1,0,5,1,0
            2026-W49,alice,97,4,1,1,7,2,0
            2026-W50,alice,95,3,2,0,6,1,0
            2026-W51,alice,94,5,0,1,6,0,1
            """);
        var weeks = await _chat.Get<CheckInStore>().HistoryAsync("W", 1);
        Assert.Equal([4.0, 6, 5, 6], weeks.Select(c => c.Values["inflow"]));
        Assert.Equal([6.0, 9, 7, 7], weeks.Select(c => c.Values["outflow"]));

        var initiative = (await _chat.Get<InitiativeStore>().GetAsync("W", 1))!;
        var digest = CoreChat.Plain(await _chat.Get<CheckInDigest>().BuildAsync("W", initiative, "2026-W49", default));
        Assert.Contains("inflow 6: newly identified 4, returned from housing 1, returned from inactive 1", digest);
        Assert.Contains("outflow 9: moved to housing 7, moved to inactive 2", digest);       // a part of 0 is not named
        Assert.DoesNotContain("moved to housing (", digest);                                 // no section of its own in the digest
        Assert.Contains("Balance check: last week 100 + inflow 6 − outflow 9 = 97, as reported. ✓", digest);

        // The report has every status week by week, and the table and the CSV carry its column.
        var report = await Ok("checkin report I1 --weeks 4");
        Assert.Contains("moved to housing, week by week:", report);
        Assert.Contains("week | actively homeless | inflow | outflow | newly identified | returned from housing | returned from inactive | moved to housing | moved to inactive | no longer meets criteria", report);
        Assert.Contains("2026-W51 | 94 | 6 | 7 | 5 | 0 | 1 | 6 | 0 | 1", report);
        var export = Assert.Single((await _chat.Say("W", "alice", "checkin export I1")).Blocks.OfType<FileAttachment>()).Content;
        Assert.StartsWith("week,member,actively homeless,inflow,outflow,newly identified,returned from housing,returned from inactive,moved to housing,moved to inactive,no longer meets criteria,", export);

        // This week: bob gives the outflow parts one at a time (the total follows them); alice gives only totals, and is told
        // which parts are missing, and her totals are kept.
        _clock.Set(new DateTimeOffset(2027, 1, 4, 10, 0, 0, TimeSpan.Zero));
        Assert.Contains("outflow 3 from the parts given; not given: moved to inactive, no longer meets criteria.",
            await Ok("checkin submit \"moved to housing\"=3", "bob"));
        await Ok("checkin submit \"moved to inactive\"=1 \"no longer meets criteria\"=0", "bob");
        Assert.Equal(4, (await _chat.Get<CheckInStore>().WeekAsync("W", 1, "2027-W01")).Single().Values["outflow"]);
        var totalsOnly = await Ok("checkin submit \"actively homeless\"=92 inflow=2");
        Assert.Contains("inflow 2 kept; its parts are missing: newly identified, returned from housing, returned from inactive.", totalsOnly);

        // Parts that do not make the total typed with them are kept as given and named in the data quality line.
        var mismatch = await Ok("checkin submit inflow=5 \"newly identified\"=1 \"returned from housing\"=1 \"returned from inactive\"=1", "bob");
        Assert.Contains("inflow 5, but its parts add up to 3: both kept as given; please check them.", mismatch);
        var now = CoreChat.Plain(await _chat.Get<CheckInDigest>().BuildAsync("W", initiative, "2027-W01", default));
        Assert.Contains("1 check-in whose parts do not add up (@bob 2027-W01: inflow 5, parts 3)", now);
        Assert.Contains("inflow 7: newly identified 1, returned from housing 1, returned from inactive 1 (the parts add up to 3)", now);   // alice 2 + bob 5
    }

    [Fact]
    public async Task A_veterans_initiative_reaches_its_functional_zero_and_holds_it()
    {
        await Ok("checkin setup Vets --template bfz-detailed --population veterans --members @alice");
        // Every week from 2026-W31 on: 3 moved to housing, 1 newly identified, so actively homeless falls by 2 a week from 52.
        // A week counts in the month of its Thursday: September has 4 (Thursdays 3, 10, 17, 24), October 5 (1 … 29),
        // November 4 (5 … 26), so the placements are 12, 15 and 12, an average of 13: the benchmark is fewer than 13.
        var rows = new List<string> { "week,member,actively homeless,newly identified,moved to housing" };
        for (var week = 31; week <= 53; week++)
            rows.Add(string.Create(CultureInfo.InvariantCulture, $"2026-W{week},alice,{52 - 2 * (week - 31)},1,3"));
        await Ok("checkin import I1\n" + string.Join("\n", rows));
        var initiative = (await _chat.Get<InitiativeStore>().GetAsync("W", 1))!;
        var digests = _chat.Get<CheckInDigest>();

        // W50 (Thursday 10 December): 52 − 2 × 19 = 14, and fewer than 13 means 12 at most: 2 to go.
        var before = CoreChat.Plain(await digests.BuildAsync("W", initiative, "2026-W50", default));
        Assert.Contains("Functional zero (veterans): fewer than 13 (the average monthly housing placements over the last 3 months, " +
                        "Sep 2026 12, Oct 2026 15, Nov 2026 12: 13); 14 actively homeless, 2 to go.", before);

        // W51 is 12, W52 10, W53 8 (Thursday 31 December, still December): reached in W51 and held since, 3 weeks.
        var after = CoreChat.Plain(await digests.BuildAsync("W", initiative, "2026-W53", default));
        Assert.Contains("✓ Functional zero (veterans) reached: 8 actively homeless, fewer than 13 (the average monthly housing placements over the " +
                        "last 3 months, Sep 2026 12, Oct 2026 15, Nov 2026 12: 13); held for 3 weeks.", after);
        Assert.Contains("✓ Functional zero (veterans) reached", await Ok("checkin report I1"));   // as of W53 in the report too
    }

    [Fact]
    public async Task Chronic_and_other_populations_use_their_own_benchmarks_and_bad_goals_are_refused()
    {
        await Ok("checkin setup Chronic --template bfz --population chronic --pit 4200 --members @alice");
        await Ok("checkin import I1\nweek,member,actively homeless,inflow,outflow\n2026-W51,alice,9,1,2\n2026-W52,alice,8,1,2");
        var chronic = (await _chat.Get<InitiativeStore>().GetAsync("W", 1))!;
        // 0.1% of 4,200 is 4.2, more than 3: no more than 4.2 actively homeless, so 4 at most; 8 − 4 = 4 to go.
        Assert.Contains("Functional zero (chronic): no more than 4.2 (the greater of 3 and 0.1% of the point-in-time count of 4200 (4.2)); 8 actively homeless, 4 to go.",
            CoreChat.Plain(await _chat.Get<CheckInDigest>().BuildAsync("W", chronic, "2026-W52", default)));

        await Ok("checkin setup Youth --template bfz --population youth --members @alice");
        await Ok("checkin import Youth\nweek,member,actively homeless\n2026-W52,alice,5");
        var youth = (await _chat.Get<InitiativeStore>().GetAsync("W", 2))!;
        Assert.Contains("Functional zero (youth): no published benchmark for youth; set one with checkin setup … --fz-benchmark N.",
            CoreChat.Plain(await _chat.Get<CheckInDigest>().BuildAsync("W", youth, "2026-W52", default)));
        await Ok("checkin setup Families --template bfz --population families --fz-benchmark 6 --members @alice");
        await Ok("checkin import Families\nweek,member,actively homeless\n2026-W52,alice,5");
        var families = (await _chat.Get<InitiativeStore>().GetAsync("W", 3))!;
        Assert.Contains("✓ Functional zero (families) reached: 5 actively homeless, no more than 6 (the benchmark set for this initiative); held for 1 week.",
            CoreChat.Plain(await _chat.Get<CheckInDigest>().BuildAsync("W", families, "2026-W52", default)));

        Assert.Contains("--template bfz-detailed, which tracks moved to housing", await Refused("checkin setup V2 --template bfz --population veterans"));
        Assert.Contains("use it with --population chronic", await Refused("checkin setup V3 --template bfz --population youth --pit 100"));
        Assert.Contains("--fz-benchmark is for populations without one", await Refused("checkin setup V4 --template bfz --population chronic --fz-benchmark 5"));
        Assert.Contains("set up with --template bfz or bfz-detailed", await Refused("checkin setup V5 --metric \"jobs:people:increase\" --population all"));
        Assert.Contains("--pit and --fz-benchmark go with --population", await Refused("checkin setup V6 --template bfz --pit 100"));
        Assert.Equal(3, (await _chat.Get<InitiativeStore>().ListAsync("W")).Count);   // nothing set up by the refused ones
    }

    [Fact]
    public async Task The_monthly_roll_up_counts_a_split_week_in_the_month_of_its_Thursday()
    {
        await Ok("checkin setup Vets --template bfz-detailed --population veterans --members @alice");
        var rows = new List<string> { "week,member,actively homeless,newly identified,moved to housing" };
        for (var week = 31; week <= 53; week++)
            rows.Add(string.Create(CultureInfo.InvariantCulture, $"2026-W{week},alice,{52 - 2 * (week - 31)},1,3"));
        await Ok("checkin import I1\n" + string.Join("\n", rows));

        // 2026-W36 runs Mon 31 August to Sun 6 September: its Thursday is 3 September, so it is September's (6 of its 7 days).
        // 2026-W40 runs 28 September to 4 October, Thursday 1 October: October's, though 3 of its days are September's.
        // 2026-W53 runs 28 December to 3 January 2027, Thursday 31 December: December's.
        // So July has W27–W31 (only W31 with numbers), August W32–W35, September W36–W39, October W40–W44, November W45–W48, December W49–W53.
        // Actively homeless is the month's last week (52 − 2 per week); the flows add up (1 in and 3 out a week):
        // October: W44 is 52 − 26 = 26, inflow 5, outflow 15, and 36 (September) + 5 − 15 = 26, balanced.
        var report = await Ok("checkin report I1 --monthly --months 6");
        Assert.Contains("Vets: by month, 2026-07 to 2026-12", report);
        Assert.Contains("As of 2026-W53 — no check-ins yet for 2027-W01.", report);
        Assert.Contains("month | weeks | actively homeless | inflow | outflow | newly identified | returned from housing | returned from inactive | " +
                        "moved to housing | moved to inactive | no longer meets criteria | balance | functional zero", report);
        Assert.Contains("2026-12 | 2026-W49–2026-W53 | 8 | 5 | 15 | 5 |  |  | 15 |  |  | balanced | reached", report);
        Assert.Contains("2026-11 | 2026-W45–2026-W48 | 18 | 4 | 12 | 4 |  |  | 12 |  |  | balanced | not yet", report);
        Assert.Contains("2026-10 | 2026-W40–2026-W44 | 26 | 5 | 15 | 5 |  |  | 15 |  |  | balanced | not yet", report);
        Assert.Contains("2026-09 | 2026-W36–2026-W39 | 36 | 4 | 12 | 4 |  |  | 12 |  |  | balanced | not yet", report);
        Assert.Contains("2026-08 | 2026-W32–2026-W35 | 44 | 4 | 12 | 4 |  |  | 12 |  |  | balanced | not yet", report);
        Assert.Contains("2026-07 | 2026-W27–2026-W31 | 52 | 1 | 3 | 1 |  |  | 3 |  |  |  | not yet", report);   // no June to balance against
        Assert.Contains("✓ Functional zero (veterans) reached: 8 actively homeless", report);

        var export = Assert.Single((await _chat.Say("W", "alice", "checkin export I1 --monthly --months 6")).Blocks.OfType<FileAttachment>());
        Assert.StartsWith("monthly-I1-", export.FileName);
        var lines = export.Content.ReplaceLineEndings("\n").TrimEnd().Split('\n');
        Assert.Equal(7, lines.Length);
        Assert.Equal("2026-07,2026-W27–2026-W31,52,1,3,1,,,3,,,,not yet", lines[1]);
        Assert.Equal("2026-12,2026-W49–2026-W53,8,5,15,5,,,15,,,balanced,reached", lines[6]);

        Assert.Contains("--months is from 1 to 36.", await Refused("checkin report I1 --monthly --months 37"));
        Assert.Contains("--months goes with --monthly.", await Refused("checkin report I1 --months 3"));
    }

    [Fact]
    public async Task A_rephase_judges_each_level_against_its_own_median()
    {
        await Ok("checkin setup Vets --template bfz --members @alice");
        // 2026-W27–W38 around 100 (median 100.5, 7 runs in 12 points), then 2026-W39–W52 around 60 (median 60, whose two
        // 60s are not useful; 7 runs in 12 points). Each level on its own varies at random.
        double[] first = [101, 104, 99, 97, 102, 103, 98, 96, 100, 105, 99, 101];
        double[] second = [60, 62, 61, 58, 59, 63, 57, 60, 58, 62, 61, 59, 57, 63];
        var rows = new List<string> { "week,member,actively homeless" };
        rows.AddRange(first.Concat(second).Select((v, i) => string.Create(CultureInfo.InvariantCulture, $"2026-W{27 + i},alice,{v}")));
        await Ok("checkin import I1\n" + string.Join("\n", rows));
        var initiative = (await _chat.Get<InitiativeStore>().GetAsync("W", 1))!;

        var before = CoreChat.Plain(await _chat.Get<CheckInDigest>().BuildAsync("W", initiative, "2026-W52", default));
        // One median for both levels (63: the 26 values' middle pair) calls the first level a warning and the second an
        // improvement, and the two long runs too few runs; the digest suggests a new phase where the level changed.
        Assert.Contains("• ⚠ Warning: a shift of 12 weeks above the median (2026-W27–2026-W38)", before);
        Assert.Contains("• Signal: too few runs (2; random variation gives 8 to 18 for 24 points)", before);
        Assert.Contains("• ▲ Improvement: a shift of 12 weeks below the median (2026-W39–2026-W51)", before);
        Assert.Contains("Suggestion: actively homeless has held a new level, in the wanted direction, since 2026-W39. To judge the coming weeks against it, " +
                        "start a new phase: checkin rephase I1 --from 2026-W39 --metric \"actively homeless\"", before);

        Assert.Contains("New phase of Vets (I1) from 2026-W39 for actively homeless (landlord fund)",
            await Ok("checkin rephase I1 --from 2026-W39 --metric \"actively homeless\" --note \"landlord fund\""));
        var after = CoreChat.Plain(await _chat.Get<CheckInDigest>().BuildAsync("W", initiative, "2026-W52", default));
        Assert.Contains("Phases: from 2026-W27, median 100.5; from 2026-W39 (landlord fund), median 60", after);
        Assert.Contains("Run chart: Phase from 2026-W39: No signals: the variation looks random.", after);
        Assert.DoesNotContain("• ", after.Split("Run chart: actively homeless")[0]);   // no signal left in either phase
        Assert.DoesNotContain("Suggestion:", after);

        Assert.Contains("Removed the phase of Vets (I1) from 2026-W39 (actively homeless)", await Ok("checkin rephase I1 --undo"));
        Assert.Contains("has no phase to remove", await Refused("checkin rephase I1 --undo"));
        Assert.Contains("no metric \"nope\"", await Refused("checkin rephase I1 --from 2026-W39 --metric nope"));
        Assert.Contains("is not a week", await Refused("checkin rephase I1 --from soon"));
        Assert.Contains("has not begun yet", await Refused("checkin rephase I1 --from 2027-W09"));
        Assert.Contains("can change its phases", await Refused("checkin rephase I1 --from 2026-W39", "bob"));
    }
}
