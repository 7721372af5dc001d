using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using CoordBot.Data;
using CoordBot.Tests.Support;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CoordBot.Tests.CheckIns;

/// <summary>
/// The weekly check-in cycle end to end through the local channel: the real host over HTTP, Quartz's
/// persistent store and the outbox in one SQLite file, and a fake clock the test moves. Expected
/// instants are computed here by hand (Chicago is UTC−6 until the spring-forward on Sunday
/// 2027-03-14 at 02:00, UTC−5 from then), not with the product's time-zone code.
/// </summary>
public sealed class CheckInScheduleTests : IDisposable
{
    private const string Setup = "checkin setup \"Veteran homelessness\" --template bfz --baseline 120 --target 80 --by 2027-12-31 " +
                                 "--every mon 09:00 --tz America/Chicago --members @alice @bob";

    /// <summary>Monday of ISO week 2027-W08, the first week of every scenario.</summary>
    private static readonly DateOnly FirstMonday = new(2027, 2, 22);

    private static readonly TimeSpan Step = LocalDeliveries.Step;
    private static readonly TimeSpan Before = LocalDeliveries.Before;
    private static readonly TimeSpan Within = LocalDeliveries.Within;

    private readonly TestDatabase _db = new();
    private readonly FakeTimeProvider _clock = new(Chicago(FirstMonday, 6));

    /// <summary>What the local channel delivered, against every key it should have delivered so far.</summary>
    private readonly LocalDeliveries _watch;

    public CheckInScheduleTests() => _watch = new LocalDeliveries(_clock);

    public void Dispose() => _db.Dispose();

    private TestHost StartHost() =>
        new(_db, services: s => s.AddSingleton<TimeProvider>(_clock), settings: new() { ["Outbox:PollInterval"] = "00:00:00.250" });

    /// <summary>A local time in Chicago as a UTC instant, by the 2027 US rule (no time-zone database involved).</summary>
    private static DateTimeOffset Chicago(DateOnly day, int hour = 9) =>
        new DateTimeOffset(day.ToDateTime(new TimeOnly(hour, 0)), TimeSpan.FromHours(day < new DateOnly(2027, 3, 14) ? -6 : -5)).ToUniversalTime();

    private static string Week(int index) => $"2027-W{8 + index:00}";

    private static string PromptKey(string week, string member) => $"checkin-prompt:I1:{week}:{member}";
    private static string NudgeKey(string week, string member) => $"checkin-nudge:I1:{week}:{member}";
    private static string DigestKey(string week) => $"checkin-digest:I1:{week}";

    // ---- 1. Ten weeks across the spring-forward ----

    private sealed record Plan(bool AliceAnswers = false, bool BobAnswers = false, bool Skipped = false, bool BobAway = false, bool AliceAnsweredEarly = false);

    [Fact]
    public async Task Ten_weeks_across_the_DST_change_prompt_nudge_and_digest_at_local_time_each_exactly_once()
    {
        Plan[] plans =
        [
            new(AliceAnswers: true),                        // W08: alice types her numbers; bob is nudged
            new(BobAnswers: true),                          // W09: bob uses the form; alice is nudged
            new(AliceAnswers: true, BobAnswers: true),      // W10: nobody nudged; digest on the spring-forward Sunday
            new(AliceAnsweredEarly: true),                  // W11 (CDT): alice checked in after the W10 digest, so counts here
            new(Skipped: true),                             // W12: skipped, nothing at all
            new(),                                          // W13: both nudged
            new(BobAway: true),                             // W14: bob away until Tuesday: no prompt, no nudge
            new(AliceAnswers: true, BobAnswers: true),      // W15
            new(AliceAnswers: true),                        // W16
            new(BobAnswers: true),                          // W17
        ];

        await using var host = StartHost();
        var alice = host.User("alice");
        var bob = host.User("bob");
        await alice.Says(Setup).Expect("Set up", "every Monday at 09:00 (America/Chicago)", "every Sunday at 09:00, in this channel", "First prompt: 2027-02-22 09:00");

        for (var i = 0; i < plans.Length; i++)
        {
            var (plan, week, monday) = (plans[i], Week(i), FirstMonday.AddDays(7 * i));
            string[] members = plan.Skipped ? [] : plan.BobAway ? ["alice"] : ["alice", "bob"];

            await _watch.ExpectAsync(host, Chicago(monday), [.. members.Select(m => PromptKey(week, m))]);
            if (i == 3) await alice.Says("checkin skip I1 2027-03-24").Expect("skips 2027-W12");
            if (plan.AliceAnswers)
                await alice.Says($"checkin submit I1 \"actively homeless\"={120 - i} --wins \"week {i}\"").Expect($"Recorded your {week} check-in");
            if (plan.BobAnswers)
                await bob.Submits("checkin submit I1", new() { ["actively homeless"] = $"{120 - i}", ["inflow"] = "3", ["barriers"] = "" })
                    .Expect($"Recorded your {week} check-in");

            var answered = new HashSet<string>();
            if (plan.AliceAnswers || plan.AliceAnsweredEarly) answered.Add("alice");
            if (plan.BobAnswers) answered.Add("bob");
            await _watch.ExpectAsync(host, Chicago(monday.AddDays(1)), [.. members.Where(m => !answered.Contains(m)).Select(m => NudgeKey(week, m))]);

            await _watch.ExpectAsync(host, Chicago(monday.AddDays(6)), plan.Skipped ? [] : [DigestKey(week)]);
            if (i == 2)
                await alice.Says("checkin submit I1 \"actively homeless\"=117").Expect("Recorded your 2027-W11 check-in", "The 2027-W10 digest is already posted");
            if (i == 5)
                await bob.Says("checkin away until 2027-04-06").Expect("No check-in prompts for you until 2027-04-06");
        }

        // What each person sees: every prompt, nudge and digest once, with the local times right on both sides of the change.
        var aliceSees = await LocalDeliveries.TextsAsync(host, "alice");
        var bobSees = await LocalDeliveries.TextsAsync(host, "bob");
        Assert.Equal(aliceSees.Count, aliceSees.Distinct().Count());
        Assert.Equal(bobSees.Count, bobSees.Distinct().Count());
        Assert.Equal(_watch.Expected.Keys.Count(k => k.EndsWith(":alice", StringComparison.Ordinal) || k.StartsWith("checkin-digest:", StringComparison.Ordinal)), aliceSees.Count);
        Assert.Equal(_watch.Expected.Keys.Count(k => k.EndsWith(":bob", StringComparison.Ordinal) || k.StartsWith("checkin-digest:", StringComparison.Ordinal)), bobSees.Count);
        Assert.Equal(9 + 4 + 9, aliceSees.Count);    // prompts and digests every week but W12; nudges W09 W13 W14 W17
        Assert.Equal(8 + 4 + 9, bobSees.Count);      // no prompt W12 W14; nudges W08 W11 W13 W16
        Assert.Contains(aliceSees, t => t.StartsWith("Weekly check-in: Veteran homelessness, 2027-W10.", StringComparison.Ordinal) &&
                                        t.Contains("The digest goes to the team Sun 2027-03-14 09:00 (America/Chicago)", StringComparison.Ordinal));
        Assert.Contains(aliceSees, t => t.StartsWith("Weekly check-in: Veteran homelessness, 2027-W11.", StringComparison.Ordinal) &&
                                        t.Contains("Sun 2027-03-21 09:00", StringComparison.Ordinal));
        Assert.DoesNotContain(aliceSees.Concat(bobSees), t => t.Contains("2027-W12", StringComparison.Ordinal));
        Assert.DoesNotContain(bobSees, t => t.StartsWith("Weekly check-in: Veteran homelessness, 2027-W14", StringComparison.Ordinal) ||
                                            t.Contains("Reminder: your 2027-W14", StringComparison.Ordinal));

        var digests = await DigestsAsync(host, "bob");
        Assert.Equal(9, digests.Count);
        Assert.Contains("1 of 2 (50%) checked in", digests[Week(0)].Text);
        Assert.Contains("2 of 2 (100%) checked in", digests[Week(2)].Text);
        Assert.Contains("1 of 2 (50%) checked in", digests[Week(3)].Text);
        Assert.Contains("0 of 1 (0%) checked in", digests[Week(6)].Text);
        Assert.Contains("Away: @bob", digests[Week(6)].Plain);
        await _watch.AssertDeliveredAsync(host);
    }

    // ---- 1b. A check-in time that the DST change skips or repeats ----

    /// <summary>
    /// Sunday 02:30 does not exist in Chicago on 2027-03-14 (02:00 CST jumps to 03:00 CDT at 08:00Z): the prompt comes
    /// when the clocks jump. Sunday 01:30 happens twice on 2027-11-07 (06:30Z CDT, 07:30Z CST): the prompt comes once,
    /// at the first. Either way it is that week's prompt, followed by its nudge and digest.
    /// </summary>
    [Theory]
    [InlineData("2027-03-13T12:00:00Z", "sun 02:30", "2027-W10", "2027-03-14T08:00:00Z", "2027-03-15T07:30:00Z", "2027-03-20T07:30:00Z", "Sat 2027-03-20 02:30")]
    [InlineData("2027-11-06T12:00:00Z", "sun 01:30", "2027-W44", "2027-11-07T06:30:00Z", "2027-11-08T07:30:00Z", "2027-11-13T07:30:00Z", "Sat 2027-11-13 01:30")]
    public async Task A_prompt_time_skipped_or_repeated_by_the_DST_change_is_sent_once_for_its_week(
        string setupAt, string every, string week, string promptAt, string nudgeAt, string digestAt, string digestLocal)
    {
        _clock.SetUtcNow(DateTimeOffset.Parse(setupAt, CultureInfo.InvariantCulture));
        await using var host = StartHost();
        await host.User("alice").Says($"checkin setup Shelter --metric \"beds:beds:increase\" --every {every} --tz America/Chicago --members @alice").Expect("Set up");

        await _watch.ExpectAsync(host, DateTimeOffset.Parse(promptAt, CultureInfo.InvariantCulture), [PromptKey(week, "alice")]);
        Assert.Contains($"The digest goes to the team {digestLocal} (America/Chicago)", (await LocalDeliveries.TextsAsync(host, "alice")).Single());
        await _watch.ExpectAsync(host, DateTimeOffset.Parse(promptAt, CultureInfo.InvariantCulture).AddHours(1), []);
        await _watch.ExpectAsync(host, DateTimeOffset.Parse(nudgeAt, CultureInfo.InvariantCulture), [NudgeKey(week, "alice")]);
        await _watch.ExpectAsync(host, DateTimeOffset.Parse(digestAt, CultureInfo.InvariantCulture), [DigestKey(week)]);
    }

    // ---- 2. A restart mid-week ----

    [Fact]
    public async Task A_restart_mid_week_sends_nothing_twice_and_loses_nothing()
    {
        var week = Week(0);
        await using (var first = StartHost())
        {
            await first.User("alice").Says(Setup).Expect("Set up");
            await _watch.ExpectAsync(first, Chicago(FirstMonday), [PromptKey(week, "alice"), PromptKey(week, "bob")]);
        }

        await using (var second = StartHost())
        {
            // Back at once: the prompt that already went out does not go out again.
            await _watch.IdleAsync(TimeSpan.FromMinutes(3));
            await second.User("alice").Says("checkin submit I1 \"actively homeless\"=119").Expect($"Recorded your {week} check-in");
            await _watch.ExpectAsync(second, Chicago(FirstMonday.AddDays(1)), [NudgeKey(week, "bob")]);
            // Down just before the digest, over its time by a few seconds.
            _clock.SetUtcNow(Chicago(FirstMonday.AddDays(6)) - Before);
            await _watch.IdleAsync(Step);
            await _watch.AssertDeliveredAsync(second);
        }
        _clock.Advance(TimeSpan.FromSeconds(45));

        _watch.Expected[DigestKey(week)] = Chicago(FirstMonday.AddDays(6));
        await using (var third = StartHost())
        {
            Assert.True(await _watch.ArrivesAsync(third, DigestKey(week), Within),
                "the digest whose time passed during the restart was not posted");
            await _watch.AssertDeliveredAsync(third);
        }

        await using var fourth = StartHost();
        await _watch.IdleAsync(TimeSpan.FromMinutes(2));
        await _watch.ExpectAsync(fourth, Chicago(FirstMonday.AddDays(7)), [PromptKey(Week(1), "alice"), PromptKey(Week(1), "bob")]);
        await _watch.AssertDeliveredAsync(fourth);
        foreach (var (user, nudged) in new[] { ("alice", false), ("bob", true) })
        {
            var texts = await LocalDeliveries.TextsAsync(fourth, user);
            Assert.Single(texts, t => t.StartsWith($"Weekly check-in: Veteran homelessness, {week}.", StringComparison.Ordinal));
            Assert.Single(texts, t => t.StartsWith($"Veteran homelessness {week}:", StringComparison.Ordinal));
            Assert.Equal(nudged ? 1 : 0, texts.Count(t => t.StartsWith($"Reminder: your {week} check-in", StringComparison.Ordinal)));
            Assert.Single(texts, t => t.StartsWith($"Weekly check-in: Veteran homelessness, {Week(1)}.", StringComparison.Ordinal));
            Assert.Equal(3 + (nudged ? 1 : 0), texts.Count);   // two prompts, the digest, bob's nudge
        }
    }

    // ---- 3. Down over the prompt ----

    [Fact]
    public async Task Down_over_the_prompt_by_more_than_a_day_no_late_prompt_but_the_digest_comes_on_time()
    {
        await using (var first = StartHost())
        {
            await first.User("alice").Says(Setup).Expect("Set up");
        }
        // Down from Monday 06:00 to Wednesday 10:00: the prompt is 49 hours late, the nudge 25.
        _clock.SetUtcNow(Chicago(FirstMonday.AddDays(2), 10));

        await using var second = StartHost();
        await _watch.IdleAsync(TimeSpan.FromMinutes(3));
        await _watch.AssertDeliveredAsync(second);
        await second.User("alice").Says("checkin submit I1 \"actively homeless\"=119").Expect($"Recorded your {Week(0)} check-in");
        await _watch.ExpectAsync(second, Chicago(FirstMonday.AddDays(6)), [DigestKey(Week(0))]);
        Assert.Contains("1 of 2 (50%) checked in", (await DigestsAsync(second, "alice"))[Week(0)].Text);
        await _watch.ExpectAsync(second, Chicago(FirstMonday.AddDays(7)), [PromptKey(Week(1), "alice"), PromptKey(Week(1), "bob")]);
        await _watch.AssertDeliveredAsync(second);
    }

    [Fact]
    public async Task Down_over_the_whole_week_the_missed_digest_is_posted_on_start_up_and_the_next_prompt_is_on_time()
    {
        await using (var first = StartHost())
        {
            await first.User("alice").Says(Setup).Expect("Set up");
            await first.User("bob").Says("checkin submit I1 \"actively homeless\"=118").Expect($"Recorded your {Week(0)} check-in");
        }
        // Back the next Monday at 08:00: W08's prompt and nudge are days late, its digest 23 hours.
        var back = Chicago(FirstMonday.AddDays(7), 8);
        _clock.SetUtcNow(back);

        _watch.Expected[DigestKey(Week(0))] = back;
        await using var second = StartHost();
        Assert.True(await _watch.ArrivesAsync(second, DigestKey(Week(0)), Within),
            "the digest missed while the host was down was not posted on start-up");
        await _watch.IdleAsync(TimeSpan.FromMinutes(1));
        await _watch.AssertDeliveredAsync(second);
        Assert.Contains("1 of 2 (50%) checked in", (await DigestsAsync(second, "alice"))[Week(0)].Text);

        await _watch.ExpectAsync(second, Chicago(FirstMonday.AddDays(7)), [PromptKey(Week(1), "alice"), PromptKey(Week(1), "bob")]);
        await _watch.AssertDeliveredAsync(second);
    }

    // ---- 4. A person's week, and the chart link ----

    [Fact]
    public async Task Prompt_form_status_digest_and_its_signed_chart_link_through_the_local_channel()
    {
        await using var host = StartHost();
        var alice = host.User("alice");
        await alice.Says(Setup).Expect("Set up");
        await alice.Says("checkin import I1\nweek,member,actively homeless,inflow,outflow\n2027-W05,alice,124,5,3\n2027-W06,alice,123,4,5\n2027-W07,alice,121,4,6")
            .Expect("Imported 3 check-ins");
        await _watch.ExpectAsync(host, Chicago(FirstMonday), [PromptKey(Week(0), "alice"), PromptKey(Week(0), "bob")]);

        var prompt = (await LocalDeliveries.MessagesAsync(host, "alice")).Single(m => m.Text.StartsWith("Weekly check-in", StringComparison.Ordinal));
        var form = await alice.Presses(prompt, "Check in");
        var fields = Assert.Single(form.Blocks("form"));
        var command = fields.GetProperty("command").GetString()!;
        Assert.Equal("checkin submit I1", command);
        await alice.Submits(command, new()
        {
            ["actively homeless"] = "118", ["inflow"] = "3", ["outflow"] = "6",
            ["wins"] = "Two landlords joined", ["barriers"] = "", ["next"] = "", ["help-needed"] = "",
        }).Expect($"Recorded your {Week(0)} check-in for Veteran homelessness (I1)", "actively homeless 118");

        await alice.Says("checkin status").Expect($"{Week(0)}: 1 of 2 checked in", "Checked in: @alice", "Not yet: @bob");
        await alice.Says("checkin digest I1").Expect($"Posting the {Week(0)} digest");
        _watch.Expected[DigestKey(Week(0))] = _clock.GetUtcNow();
        Assert.True(await _watch.ArrivesAsync(host, DigestKey(Week(0)), Within), "the digest did not arrive");
        var digest = (await DigestsAsync(host, "alice"))[Week(0)];
        Assert.Contains("Two landlords joined", digest.Plain);
        Assert.Contains("1 of 2 (50%)", digest.Plain);

        // The chart block's link (the SVG), and its PNG in the HTML rendering's <img>, the SVG as the link beside it.
        var link = digest.Blocks("chart").First().GetProperty("url").GetString()!;
        Assert.StartsWith("/charts/local/", link, StringComparison.Ordinal);
        var pngLink = digest.Blocks("chart").First().GetProperty("imageUrl").GetString()!;
        var img = Regex.Match(digest.Html, "<img src=\"([^\"]+)\"");
        Assert.True(img.Success, digest.Html);
        Assert.Equal(pngLink, WebUtility.HtmlDecode(img.Groups[1].Value));
        Assert.Contains("<a href=\"" + WebUtility.HtmlEncode(link) + "\"", digest.Html, StringComparison.Ordinal);

        using (var chart = await host.Http.GetAsync(link))
        {
            var body = await chart.Content.ReadAsStringAsync();
            Assert.True(chart.StatusCode == HttpStatusCode.OK, $"{(int)chart.StatusCode}: {body}");
            Assert.Equal("image/svg+xml", chart.Content.Headers.ContentType?.MediaType);
            Assert.StartsWith("<?xml", body, StringComparison.Ordinal);
            Assert.Contains("<svg xmlns=\"http://www.w3.org/2000/svg\"", body);
            Assert.Contains("actively homeless", body);
            Assert.EndsWith("</svg>", body.TrimEnd());
        }

        // The same chart as a PNG at its own signed link, with a text alternative that states the latest value and the signals.
        var chartBlock = digest.Blocks("chart").First();
        var png = chartBlock.GetProperty("imageUrl").GetString()!;
        Assert.StartsWith($"/charts/local/", png, StringComparison.Ordinal);
        Assert.Contains($"/{Week(0)}.png?weeks=26&exp=", png);
        Assert.StartsWith("Run chart of actively homeless, 26 weeks to " + Week(0) + ". Latest: 118 people in " + Week(0) + ".",
            chartBlock.GetProperty("altText").GetString());
        using (var image = await host.Http.GetAsync(png))
        {
            Assert.Equal(HttpStatusCode.OK, image.StatusCode);
            Assert.Equal("image/png", image.Content.Headers.ContentType?.MediaType);
            Assert.Equal("nosniff", image.Headers.GetValues("X-Content-Type-Options").Single());
            using var bitmap = SkiaSharp.SKBitmap.Decode(await image.Content.ReadAsByteArrayAsync());
            Assert.Equal((800, 400), (bitmap.Width, bitmap.Height));
        }
        // Each signature covers its extension: the SVG's link does not open the PNG, nor the PNG's the SVG.
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(host, link.Replace(".svg?", ".png?", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(host, png.Replace(".png?", ".svg?", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(host, png.Replace("/charts/local/", "/charts/T2/", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusAsync(host, Regex.Replace(png, "weeks=\\d+", "weeks=99999999999")));

        var sig = Regex.Match(link, "[?&]sig=([^&]+)");
        var oneCharOff = link[..sig.Groups[1].Index] + (link[sig.Groups[1].Index] == 'A' ? 'B' : 'A') + link[(sig.Groups[1].Index + 1)..];
        var otherMetric = Regex.Replace(link, "^(/charts/local/\\d+/)0/", "${1}1/");
        Assert.NotEqual(link, otherMetric);
        var otherWeeks = Regex.Replace(link, "weeks=\\d+", "weeks=4");
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(host, oneCharOff));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(host, otherMetric));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(host, otherWeeks));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(host, link[..sig.Index]));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(host, link.Replace("/charts/local/", "/charts/T2/", StringComparison.Ordinal)));   // another workspace
        Assert.Equal(HttpStatusCode.BadRequest, await StatusAsync(host, link.Replace($"/{Week(0)}.svg", "/2027-W99.svg", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusAsync(host, Regex.Replace(link, "weeks=\\d+", "weeks=lots")));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusAsync(host, Regex.Replace(link, "^/charts/local/\\d+/", "/charts/local/I1/")));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(host, link));

        // The week is closed by the digest posted by hand: no nudge for it, and its scheduled digest is not posted again.
        await _watch.ExpectAsync(host, Chicago(FirstMonday.AddDays(1)), []);
        await _watch.ExpectAsync(host, Chicago(FirstMonday.AddDays(6)), []);
        Assert.Single(await DigestsAsync(host, "bob"));

        _clock.Advance(TimeSpan.FromDays(31));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(host, link));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(host, png));
    }

    // ---- helpers ----

    private static async Task<HttpStatusCode> StatusAsync(TestHost host, string url)
    {
        using var response = await host.Http.GetAsync(url);
        return response.StatusCode;
    }

    /// <summary>The digests in the channel, by week.</summary>
    private static async Task<Dictionary<string, BotReply>> DigestsAsync(TestHost host, string user) =>
        (await LocalDeliveries.MessagesAsync(host, user))
            .Select(m => (Match: Regex.Match(m.Card.GetProperty("blocks")[0].GetProperty("text").GetString() ?? "", @"weekly digest, (\d{4}-W\d{2})$"), Reply: m))
            .Where(x => x.Match.Success)
            .ToDictionary(x => x.Match.Groups[1].Value, x => x.Reply);
}
