using System.Globalization;
using System.Text.RegularExpressions;
using CoordBot.CheckIns;
using CoordBot.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CoordBot.Tests.CheckIns;

/// <summary>
/// The Built for Zero method as members see it in their channel: the real host on loopback over a real SQLite file,
/// commands typed in the local chat or sent as signed Slack slash commands, digests posted with <c>checkin digest</c>
/// and read where they land (the local channel's messages, the fake Slack's chat.postMessage). The clock is moved by
/// hand to the week each digest is for. Every figure is worked out by hand in the comments (the same histories as
/// <see cref="BuiltForZeroTests"/>, which checks the router's reply objects; these check what each channel shows).
/// </summary>
public abstract partial class BuiltForZeroChannelTests : IAsyncLifetime
{
    protected ManualClock Clock { get; } = new(At("2027-01-06T15:00Z"));   // Wednesday of 2027-W01
    protected TestDatabase Db { get; } = new();

    public abstract ValueTask InitializeAsync();

    public virtual ValueTask DisposeAsync()
    {
        Db.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs one command as a user: what the channel shows, and whether it marks it an error (null when the channel does not say).</summary>
    protected abstract Task<(string Text, bool? IsError)> SayAsync(string user, string command);

    /// <summary>Runs a command that sends a file to the user: the file's name and content as the user gets them.</summary>
    protected abstract Task<(string Name, string Content)> FileAsync(string user, string command);

    /// <summary>Posts this week's digest with <c>checkin digest</c> (as alice) and returns what the initiative's channel shows.</summary>
    protected abstract Task<string> DigestAsync(string initiative);

    /// <summary>The rows of the tables in a message, cell by cell (an empty cell is "").</summary>
    protected abstract IEnumerable<string[]> TableRows(string text);

    /// <summary>How a user is named in <c>--members</c>.</summary>
    protected abstract string Mention(string user);

    /// <summary>How a user is written in a CSV's member column (the id the channel gives them).</summary>
    protected abstract string Id(string user);

    /// <summary>Points a host at the test's clock.</summary>
    protected void UseClock(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);

    private static DateTimeOffset At(string utc) => DateTimeOffset.Parse(utc, CultureInfo.InvariantCulture);

    private async Task<string> Ok(string command, string user = "alice")
    {
        var (text, isError) = await SayAsync(user, command);
        Assert.True(isError != true, $"{command}: {text}");
        return text;
    }

    private async Task<string> Refused(string command, string user = "alice")
    {
        var (text, isError) = await SayAsync(user, command);
        Assert.True(isError != false, $"{command} was not refused: {text}");
        return text;
    }

    /// <summary>Each fragment is in the text (checked one by one, so a failure names the missing one).</summary>
    private static void Shows(string text, params string[] fragments)
    {
        foreach (var fragment in fragments) Assert.True(text.Contains(fragment, StringComparison.Ordinal), $"expected \"{fragment}\" in:\n{text}");
    }

    private void HasRow(string text, params string[] cells) =>
        Assert.True(TableRows(text).Any(row => row.SequenceEqual(cells)), $"expected the row {string.Join(" | ", cells)} in:\n{text}");

    private string Csv(string csv) => csv.Replace(",alice,", $",{Id("alice")},", StringComparison.Ordinal);

    [Fact]
    public async Task An_imported_history_out_of_balance_in_two_weeks_is_kept_named_and_reported_as_of_its_latest_week()
    {
        await Ok($"checkin setup Vets --template bfz --baseline 130 --target 0 --members {Mention("alice")}");
        var imported = await Ok("checkin import I1\n" + Csv(BuiltForZeroTests.History26));
        Shows(imported, "Imported 26 check-ins into Vets (I1), weeks 2026-W27–2026-W52",
            "2026-W42: 108 reported, 93 expected (95 + 6 − 8), off by +15", "2026-W47: 92 reported, 95 expected (99 + 5 − 9), off by −3");

        // Now is 2027-W01, and neither it nor 2026-W53 has check-ins: everything is as of 2026-W52 (81, one fewer than W51's 82).
        var report = await Ok("checkin report I1");
        Shows(report, "As of 2026-W52 — no check-ins yet for 2027-W01.", "81 people (−1 from last week)",
            "Out of balance: 2 of the 25 weeks with the three numbers",
            "2026-W42: 108 reported, 93 expected (95 + 6 − 8), off by +15", "2026-W47: 92 reported, 95 expected (99 + 5 − 9), off by −3",
            "Data quality: 2 weeks out of balance (2026-W42, 2026-W47).", "2026-W42 ⚠ out of balance", "2026-W47 ⚠ out of balance");
        Assert.DoesNotContain("no value this week", report);

        // The digest the team reads: the same as-of week; W52 balances (82 + 7 − 8 = 81), the history's two breaks are named.
        var digest = await DigestAsync("I1");
        Shows(digest, "Vets: weekly digest, 2027-W01", "As of 2026-W52 — no check-ins yet for 2027-W01.",
            "Balance check: last week 82 + inflow 7 − outflow 8 = 81, as reported. ✓", "Data quality: 2 weeks out of balance (2026-W42, 2026-W47).");

        // A negative number is refused with the reason, in a message and in a file, and nothing is recorded.
        Shows(await Refused("checkin submit inflow=-2 outflow=3"), "inflow cannot be negative (you wrote -2).", "Nothing was recorded.");
        Shows(await Refused("checkin import I1\n" + Csv("week,member,actively homeless,inflow,outflow\n2026-W50,alice,100,5,7\n2026-W51,alice,98,-1,7")),
            "Nothing imported into Vets (I1): 1 row with errors", "inflow -1 is negative");
        Shows(await Ok("checkin status I1"), "0 of 1 checked in");
    }

    [Fact]
    public async Task A_detailed_history_sums_its_parts_into_the_totals_and_the_digest_shows_the_breakdown()
    {
        Clock.Set(At("2026-12-16T15:00Z"));   // Wednesday of 2026-W51
        await Ok($"checkin setup Vets --template bfz-detailed --members {Mention("alice")} {Mention("bob")}");
        // The parts only; the totals become their sums. W51: inflow 5 + 0 + 1 = 6, outflow 6 + 0 + 1 = 7, and 95 + 6 − 7 = 94.
        Shows(await Ok("checkin import I1\n" + Csv("""
            week,member,actively homeless,newly identified,returned from housing,returned from inactive,moved to housing,moved to inactive,no longer meets criteria
            2026-W48,alice,100,3,1,0,5,1,0
            2026-W49,alice,97,4,1,1,7,2,0
            2026-W50,alice,95,3,2,0,6,1,0
            2026-W51,alice,94,5,0,1,6,0,1
            """)), "Imported 4 check-ins into Vets (I1)");

        var digest = await DigestAsync("I1");
        Shows(digest, "Vets: weekly digest, 2026-W51", "inflow 6: newly identified 5, returned from inactive 1",
            "outflow 7: moved to housing 6, no longer meets criteria 1", "Balance check: last week 95 + inflow 6 − outflow 7 = 94, as reported. ✓");

        var report = await Ok("checkin report I1 --weeks 4");
        Shows(report, "moved to housing, week by week:");
        HasRow(report, "2026-W49", "97", "6", "9", "4", "1", "1", "7", "2", "0");
        HasRow(report, "2026-W51", "94", "6", "7", "5", "0", "1", "6", "0", "1");
        var (_, export) = await FileAsync("alice", "checkin export I1");
        Assert.StartsWith("week,member,actively homeless,inflow,outflow,newly identified,returned from housing,returned from inactive," +
                          "moved to housing,moved to inactive,no longer meets criteria,", export);
        Assert.Contains($"2026-W49,{Id("alice")},97,6,9,4,1,1,7,2,0,", export);

        // W51's digest is posted, so this counts for W52: bob gives one part, and is told which are missing.
        Shows(await Ok("checkin submit \"moved to housing\"=3", "bob"), "2026-W52",
            "outflow 3 from the parts given; not given: moved to inactive, no longer meets criteria.");
        Shows(await Ok("checkin submit \"actively homeless\"=92 inflow=2"),
            "inflow 2 kept; its parts are missing: newly identified, returned from housing, returned from inactive.");
    }

    [Fact]
    public async Task A_veterans_initiative_reaches_its_functional_zero_and_holds_it_week_after_week()
    {
        Clock.Set(At("2026-12-10T15:00Z"));   // Thursday of 2026-W50
        await Ok($"checkin setup Vets --template bfz-detailed --population veterans --members {Mention("alice")}");
        // From 2026-W31, 3 moved to housing and 1 newly identified a week: actively homeless falls by 2 a week from 52, to 14 in W50.
        // A week belongs to the month of its Thursday: September 4 weeks, October 5, November 4, so 12, 15 and 12 placements,
        // an average of 13, and the benchmark is fewer than 13 (12 at most): 2 to go.
        var rows = new List<string> { "week,member,actively homeless,newly identified,moved to housing" };
        for (var week = 31; week <= 50; week++)
            rows.Add(string.Create(CultureInfo.InvariantCulture, $"2026-W{week},{Id("alice")},{52 - 2 * (week - 31)},1,3"));
        await Ok("checkin import I1\n" + string.Join("\n", rows));
        const string Benchmark = "fewer than 13 (the average monthly housing placements over the last 3 months, Sep 2026 12, Oct 2026 15, Nov 2026 12: 13)";
        Shows(await DigestAsync("I1"), $"Functional zero (veterans): {Benchmark}; 14 actively homeless, 2 to go.");

        // Each week after, alice checks in 2 fewer, in the channel: 12 in W51 (reached), 10 in W52, 8 in W53 (Thursday 31 December,
        // still December, so the same three months): held for 1, 2 and 3 weeks.
        string[] weeks = ["2026-12-17", "2026-12-24", "2026-12-31"];
        for (var i = 0; i < weeks.Length; i++)
        {
            Clock.Set(At(weeks[i] + "T15:00Z"));
            var actively = 12 - 2 * i;
            Shows(await Ok($"checkin submit \"actively homeless\"={actively} \"newly identified\"=1 \"moved to housing\"=3"), "Recorded your");
            Shows(await DigestAsync("I1"),
                $"✓ Functional zero (veterans) reached: {actively} actively homeless, {Benchmark}; held for {i + 1} week{(i == 0 ? "" : "s")}.");
        }
        Shows(await Ok("checkin report I1"), "✓ Functional zero (veterans) reached: 8 actively homeless");
    }

    [Fact]
    public async Task A_rephase_turns_the_overlapping_signals_of_one_median_into_none_per_phase()
    {
        Clock.Set(At("2026-12-23T15:00Z"));   // Wednesday of 2026-W52
        await Ok($"checkin setup Vets --template bfz --members {Mention("alice")}");
        // W27–W38 around 100 (median 100.5), W39–W52 around 60 (median 60): each level varies at random on its own.
        double[] values = [101, 104, 99, 97, 102, 103, 98, 96, 100, 105, 99, 101, 60, 62, 61, 58, 59, 63, 57, 60, 58, 62, 61, 59, 57, 63];
        var rows = new List<string> { "week,member,actively homeless" };
        rows.AddRange(values.Select((v, i) => string.Create(CultureInfo.InvariantCulture, $"2026-W{27 + i},{Id("alice")},{v}")));
        await Ok("checkin import I1\n" + string.Join("\n", rows));

        // One median (63) over both: the first level a warning, the second an improvement, too few runs; a rephase is suggested.
        var before = await DigestAsync("I1");
        Shows(before, "Warning: a shift of 12 weeks above the median (2026-W27–2026-W38)", "too few runs (2; random variation gives 8 to 18 for 24 points)",
            "Improvement: a shift of 12 weeks below the median (2026-W39–2026-W51)",
            "start a new phase: checkin rephase I1 --from 2026-W39 --metric \"actively homeless\"");

        Shows(await Ok("checkin rephase I1 --from 2026-W39 --metric \"actively homeless\" --note \"landlord fund\""),
            "New phase of Vets (I1) from 2026-W39 for actively homeless (landlord fund)");
        Shows(await Refused("checkin rephase I1 --from 2026-W39", "bob"), "can change its phases");

        // Next week's digest (as of W52, nothing new): each level against its own median, no signal left, no suggestion.
        Clock.Set(At("2026-12-30T15:00Z"));
        var after = await DigestAsync("I1");
        Shows(after, "As of 2026-W52 — no check-ins yet for 2026-W53.", "Phases: from 2026-W27, median 100.5; from 2026-W39 (landlord fund), median 60",
            "Phase from 2026-W39: No signals: the variation looks random.");
        Assert.DoesNotContain("shift of", after);
        Assert.DoesNotContain("too few runs", after);
        Assert.DoesNotContain("Suggestion:", after);
    }

    [Fact]
    public async Task The_monthly_roll_up_puts_a_week_split_by_a_month_end_in_the_month_of_its_Thursday()
    {
        await Ok($"checkin setup Vets --template bfz-detailed --population veterans --members {Mention("alice")}");
        var rows = new List<string> { "week,member,actively homeless,newly identified,moved to housing" };
        for (var week = 31; week <= 53; week++)
            rows.Add(string.Create(CultureInfo.InvariantCulture, $"2026-W{week},{Id("alice")},{52 - 2 * (week - 31)},1,3"));
        await Ok("checkin import I1\n" + string.Join("\n", rows));

        // W40 runs Monday 28 September to Sunday 4 October; its Thursday, 1 October, puts it in October, with W41–W44 (Thursday
        // 29 October): October's actively homeless is W44's, 52 − 2 × 13 = 26; 5 weeks of 1 in and 3 out; 36 + 5 − 15 = 26.
        // W53 (Thursday 31 December) is December's, though 3 of its days are in January 2027.
        var report = await Ok("checkin report I1 --monthly --months 6");
        Shows(report, "Vets: by month, 2026-07 to 2026-12", "As of 2026-W53 — no check-ins yet for 2027-W01.");
        HasRow(report, "2026-12", "2026-W49–2026-W53", "8", "5", "15", "5", "", "", "15", "", "", "balanced", "reached");
        HasRow(report, "2026-10", "2026-W40–2026-W44", "26", "5", "15", "5", "", "", "15", "", "", "balanced", "not yet");
        HasRow(report, "2026-09", "2026-W36–2026-W39", "36", "4", "12", "4", "", "", "12", "", "", "balanced", "not yet");
        HasRow(report, "2026-07", "2026-W27–2026-W31", "52", "1", "3", "1", "", "", "3", "", "", "", "not yet");   // no June to balance against

        var (name, csv) = await FileAsync("alice", "checkin export I1 --monthly --months 6");
        Assert.StartsWith("monthly-I1-", name);
        var lines = csv.ReplaceLineEndings("\n").TrimEnd().Split('\n');
        Assert.Equal(7, lines.Length);
        Assert.Equal("2026-10,2026-W40–2026-W44,26,5,15,5,,,15,,,balanced,not yet", lines[4]);
        Assert.Equal("2026-12,2026-W49–2026-W53,8,5,15,5,,,15,,,balanced,reached", lines[6]);
        Shows(await Refused("checkin report I1 --monthly --months 37"), "--months is from 1 to 36.");
    }

    [GeneratedRegex(@"Posting the (\d{4}-W\d{2}) digest")]
    protected static partial Regex PostingRegex();
}

/// <summary>The Built for Zero transcripts through the local channel: <c>POST /local/messages</c>, digests read with <c>GET /local/messages</c>.</summary>
public sealed class BuiltForZeroLocalTests : BuiltForZeroChannelTests
{
    private TestHost _host = null!;

    public override ValueTask InitializeAsync()
    {
        _host = new TestHost(Db, UseClock);
        return ValueTask.CompletedTask;
    }

    public override async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        await base.DisposeAsync();
    }

    protected override async Task<(string Text, bool? IsError)> SayAsync(string user, string command)
    {
        var reply = await _host.User(user).Says(command);
        return (reply.Plain, reply.IsError);
    }

    protected override async Task<(string Name, string Content)> FileAsync(string user, string command)
    {
        var file = (await _host.User(user).Says(command).Expect()).Blocks("file").Single();
        return (file.GetProperty("fileName").GetString()!, file.GetProperty("content").GetString()!);
    }

    protected override async Task<string> DigestAsync(string initiative)
    {
        var seen = (await LocalDeliveries.MessagesAsync(_host, "alice")).Count;
        var posting = await _host.User("alice").Says($"checkin digest {initiative}").Expect("Posting the");
        var week = PostingRegex().Match(posting.Plain).Groups[1].Value;
        for (var attempt = 0; attempt < 400; attempt++)
        {
            var digest = (await LocalDeliveries.MessagesAsync(_host, "alice")).Skip(seen).FirstOrDefault(m => m.Plain.Contains($"weekly digest, {week}", StringComparison.Ordinal));
            if (digest is not null) return digest.Plain;
            await Task.Delay(25);
        }
        throw new Xunit.Sdk.XunitException($"the {week} digest did not reach the local channel");
    }

    /// <summary>The local rendering writes a table row as its cells between " | ".</summary>
    protected override IEnumerable<string[]> TableRows(string text) =>
        text.Split('\n').Where(line => line.Contains(" | ", StringComparison.Ordinal)).Select(line => line.Split(" | ").Select(c => c.Trim()).ToArray());

    protected override string Mention(string user) => "@" + user;

    protected override string Id(string user) => user;
}

/// <summary>
/// The Built for Zero transcripts through Slack: signed slash commands to the host, answers in the HTTP response (or
/// at the response_url when late), files uploaded to the asker's DM and the digest posted with chat.postMessage, all on
/// the fake Slack Web API.
/// </summary>
public sealed partial class BuiltForZeroSlackTests : BuiltForZeroChannelTests
{
    private static readonly Dictionary<string, string> Users = new() { ["alice"] = "U1", ["bob"] = "U2" };
    private FakeSlackApi _slack = null!;
    private TestHost _host = null!;
    private SlackTestClient _client = null!;

    public override async ValueTask InitializeAsync()
    {
        _slack = await FakeSlackApi.StartAsync();
        _slack.AddTeam(SlackHostTest.Team, SlackHostTest.BotToken);
        _slack.AddUser(SlackHostTest.Team, "U1", "alice", timeZone: "UTC", isAdmin: true);
        _slack.AddUser(SlackHostTest.Team, "U2", "bob", timeZone: "UTC");
        _host = new TestHost(Db, UseClock, SlackHostTest.Settings(_slack));
        _client = new SlackTestClient(_host.Http, SlackHostTest.SigningSecret, _slack, Clock);
    }

    public override async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        await _slack.DisposeAsync();
        await base.DisposeAsync();
    }

    protected override async Task<(string Text, bool? IsError)> SayAsync(string user, string command)
    {
        var space = command.IndexOf(' ', StringComparison.Ordinal);
        var answer = await _client.CommandAsync(SlackHostTest.Team, Users[user], "/" + command[..space], command[(space + 1)..]);
        Assert.Equal(System.Net.HttpStatusCode.OK, answer.Status);
        var message = answer.Body.Length > 0 ? answer.Json : await _slack.WaitForResponseTo(answer.ResponseUrlId!);
        BlockKitLimits.AssertValidMessage(message);
        return (SlackText.Of(message), null);   // Slack marks no message an error; the text says it
    }

    protected override async Task<(string Name, string Content)> FileAsync(string user, string command)
    {
        // Exports only: a digest's run charts are shared as files too (no public address here).
        IEnumerable<(string Channel, string FileName, string Content)> Exports() => _slack.Files.Where(f => !f.FileName.StartsWith("run-chart-", StringComparison.Ordinal));
        var before = Exports().Count();
        await SayAsync(user, command);
        for (var attempt = 0; attempt < 400 && Exports().Count() == before; attempt++) await Task.Delay(25);
        var (channel, name, content) = Assert.Single(Exports().Skip(before));
        Assert.StartsWith("D", channel);   // the asker's DM
        return (name, content);
    }

    protected override async Task<string> DigestAsync(string initiative)
    {
        var (posting, _) = await SayAsync("alice", $"checkin digest {initiative}");
        var week = PostingRegex().Match(posting).Groups[1].Value;
        Assert.True(week.Length > 0, posting);
        var post = await _slack.WaitForCallAsync("chat.postMessage", c => SlackText.Of(c.Message()).Contains($"weekly digest, {week}", StringComparison.Ordinal));
        Assert.Equal("C1", post.Arg("channel"));   // the channel the initiative was set up in
        BlockKitLimits.AssertValidMessage(post.Message());
        return SlackText.Of(post.Message());
    }

    /// <summary>
    /// Slack has no tables: a table comes as a code block of aligned columns under a line of dashes, one run per column.
    /// Each row is cut at the dash runs' columns.
    /// </summary>
    protected override IEnumerable<string[]> TableRows(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (!DashesRegex().IsMatch(lines[i])) continue;
            var columns = Regex.Matches(lines[i], "-+").Select(m => m.Index).ToArray();
            for (var r = i + 1; r < lines.Length && lines[r].Length > 0 && !lines[r].StartsWith("```", StringComparison.Ordinal); r++)
            {
                var line = lines[r];
                yield return columns.Select((start, k) => start >= line.Length ? ""
                    : (k + 1 < columns.Length ? line[start..Math.Min(columns[k + 1], line.Length)] : line[start..]).Trim()).ToArray();
            }
        }
    }

    [GeneratedRegex("^-+(  -+)+$")]
    private static partial Regex DashesRegex();

    protected override string Mention(string user) => $"<@{Users[user]}|{user}>";

    protected override string Id(string user) => Users[user];
}
