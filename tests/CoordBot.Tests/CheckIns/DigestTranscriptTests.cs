using System.Globalization;
using CoordBot.CheckIns;
using CoordBot.Chat;
using CoordBot.Outbox;
using CoordBot.Scheduling;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.CheckIns;

/// <summary>
/// Prompts, nudges and the digest composed by <see cref="CheckInSchedule"/> when its triggers fire, on
/// a real SQLite file with a hand-moved clock. The fires are driven directly here (the Quartz side
/// is covered by the host tests); what is checked is what lands in the outbox, and how often.
/// </summary>
public sealed class DigestTranscriptTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();
    // Monday 2027-01-04 08:00 UTC; the initiative runs Mondays 09:00 UTC, so its digest is Sundays 09:00.
    private readonly ManualClock _clock = new(DateTimeOffset.Parse("2027-01-04T08:00:00Z", CultureInfo.InvariantCulture));
    private CoreChat _chat = null!;

    public async ValueTask InitializeAsync() => _chat = await CoreChat.StartAsync(_db, _clock);

    public async ValueTask DisposeAsync()
    {
        await _chat.DisposeAsync();
        _db.Dispose();
    }

    private async Task<string> Say(string text, string user = "alice") => CoreChat.Plain(await _chat.Say("W", user, text));

    private static DateTimeOffset Monday(int week) => DateTimeOffset.Parse("2027-01-04T09:00:00Z", CultureInfo.InvariantCulture).AddDays(7 * (week - 1));

    private Task FireAsync(CheckInStage stage) =>
        _chat.Get<CheckInSchedule>().HandleAsync(new ScheduledSend($"checkin:I1:{stage.ToString().ToLowerInvariant()}", CheckInSchedule.KindName, "W",
            _clock.GetUtcNow(), new Dictionary<string, string> { ["initiative"] = "1", ["stage"] = stage.ToString().ToLowerInvariant() }), TimeSpan.Zero,
            CancellationToken.None);

    /// <summary>Everything queued so far, by key (the dispatcher does not run here, so nothing leaves the outbox).</summary>
    private async Task<Dictionary<string, OutboxMessage>> OutboxAsync()
    {
        var all = await _chat.Get<OutboxStore>().ClaimDueAsync(DateTimeOffset.MaxValue.AddYears(-1), TimeSpan.FromTicks(1), 10_000);
        return all.ToDictionary(m => m.Key);
    }

    /// <summary>Eleven weeks of history that balance, then week 12 where they do not, with answers from two of three members.</summary>
    private async Task TwelveWeeksAsync()
    {
        await Say("coord help");
        await Say("checkin setup Vets --template bfz --baseline 120 --target 0 --by 2027-12-31 --members @alice <@bob> <@carol>");
        var actively = 120.0;
        for (var week = 1; week <= 12; week++)
        {
            _clock.Set(Monday(week).AddHours(1));
            var (inflow, outflow) = (5 + week % 3, 8 + week % 2);
            var expected = actively + inflow - outflow;
            actively = week == 12 ? expected + 4 : expected;   // week 12: four people more than the flows explain
            Assert.Contains("Recorded", await Say(string.Create(CultureInfo.InvariantCulture, $"checkin submit \"actively homeless\"={actively}")));
            Assert.Contains("Recorded", await Say($"checkin submit inflow={inflow - 2} outflow={outflow - 3} --wins \"landlord {week} joined\"", "bob"));
            if (week < 12)
                Assert.Contains("Recorded", await Say("checkin submit inflow=2 outflow=3", "carol"));
            else
                Assert.Contains("Updated your 2027-W12 check-in for Vets (I1): actively homeless 94, inflow 2, outflow 3",
                    await Say("checkin submit inflow=2 outflow=3 --barriers \"no vouchers <!channel>\" --help-needed \"a landlord liaison\"", "alice"));
        }
    }

    [Fact]
    public async Task The_digest_has_values_changes_signals_progress_projection_response_answers_and_the_balance_check()
    {
        await TwelveWeeksAsync();
        _clock.Set(Monday(12).AddDays(6).AddMinutes(1));   // Sunday 09:01
        await FireAsync(CheckInStage.Digest);

        var outbox = await OutboxAsync();
        var digest = outbox["checkin-digest:I1:2027-W12"];
        Assert.Equal("C1", digest.Destination);   // the channel it was set up in
        var text = CoreChat.Plain(digest.Reply);
        Assert.Contains("Vets: weekly digest, 2027-W12", text);
        // Actively homeless fell from 120 to 93 over 11 weeks (inflow 5–7 against outflow 8–9), then rose to 94 in week 12.
        Assert.Contains("actively homeless (aim): 94 people (+1 from last week)", text);
        Assert.Matches("Last 12 weeks: [▁▂▃▄▅▆▇█]{12}", text);
        Assert.Contains("Progress: 22% of the way from 120 to 0", text);
        // Least squares over weeks 1–12 (117 116 112 110 108 105 102 101 97 95 93 94): slope −334/143 ≈ −2.3357 a week,
        // 91.32 at week 12, so 0 is 39.10 weeks (274 days) after Monday 2027-03-22: Tuesday 2027-12-21, in 2027-W51.
        // (A line through the first and last weeks, −23/11 a week, would say 2028-W05.)
        Assert.Contains("Projection: at the current pace, 0 around 2027-W51 (week of 2027-12-20), before the target date 2027-12-31", text);
        Assert.Contains("▲ Improvement: a trend of", text);
        Assert.Contains("inflow: 5 people (−2 from last week)", text);  // bob 3 + alice 2 (carol did not answer): a sum
        Assert.Contains("By member: @bob 3, @alice 2", text);          // the biggest part first
        Assert.Contains("Median: 103.5 over 12 weeks with values (of the last 26)", text);
        Assert.Contains("⚠ Warning: a shift of 6 weeks above the median (2027-W01–2027-W06)", text);
        Assert.Contains("Signal: too many runs (12; random variation gives 3 to 11 for 12 points)", text);   // outflow alternates 8, 9, 8, 9…
        Assert.Contains("⚠ Data quality: actively homeless is 94, but last week 93 + inflow 5 − outflow 8 = 90 (off by +4)", text);
        Assert.Contains("Checked in: 2 of 3 (67%)", text);
        Assert.Contains("Not yet: @carol", text);
        Assert.Contains("Wins\n• @bob — landlord 12 joined", text);
        Assert.Contains("no vouchers <!channel>", text);                // stored and shown as typed; renderers escape it per channel
        Assert.Contains("Help needed", text);
        var chart = digest.Reply.Blocks.OfType<Chart>().First();
        Assert.StartsWith("/charts/W/1/0/2027-W12.svg?weeks=26&exp=", chart.Url);
        Assert.Equal(3, digest.Reply.Blocks.OfType<Chart>().Count());

        // Posted once: the trigger firing again, and a manual digest, add nothing.
        await FireAsync(CheckInStage.Digest);
        Assert.Contains("already posted", await Say("checkin digest I1"));
        Assert.Single(await _chat.Get<OutboxStore>().PendingAsync("W", 100), e => e.Key.StartsWith("checkin-digest", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_balanced_week_says_so()
    {
        await Say("checkin setup Vets --template bfz --members @alice");
        _clock.Set(Monday(1).AddHours(1));
        await Say("checkin submit \"actively homeless\"=100 inflow=5 outflow=8");
        _clock.Set(Monday(2).AddHours(1));
        await Say("checkin submit \"actively homeless\"=97 inflow=4 outflow=7");
        var text = CoreChat.Plain(await _chat.Get<CheckInDigest>().BuildAsync("W", (await _chat.Get<InitiativeStore>().GetAsync("W", 1))!, "2027-W02", default));
        Assert.Contains("Balance check: last week 100 + inflow 4 − outflow 7 = 97, as reported. ✓", text);
        Assert.Contains("not enough data yet for run-chart rules", text);
        Assert.Contains("actively homeless (aim): 97 people (−3 from last week)", text);
    }

    [Fact]
    public async Task A_digest_with_partial_answers_and_a_missing_balance_input()
    {
        await Say("checkin setup Vets --template bfz --members @alice <@bob>");
        _clock.Set(Monday(1).AddHours(1));
        await Say("checkin submit inflow=5", "bob");
        var text = CoreChat.Plain(await _chat.Get<CheckInDigest>().BuildAsync("W", (await _chat.Get<InitiativeStore>().GetAsync("W", 1))!, "2027-W01", default));
        Assert.Contains("actively homeless (aim): no value this week", text);
        Assert.Contains("Balance check not possible this week: no last week's actively homeless, this week's actively homeless, outflow.", text);
        Assert.Contains("Checked in: 1 of 2 (50%)", text);
        Assert.Contains("Not yet: @alice", text);
    }

    [Fact]
    public async Task Prompts_go_to_members_not_away_nudges_once_to_those_who_have_not_answered()
    {
        await Say("checkin setup Vets --template bfz --members @alice <@bob> <@carol>");
        await Say("checkin away until 2027-01-20", "carol");
        _clock.Set(Monday(2).AddSeconds(5));
        await FireAsync(CheckInStage.Prompt);
        await FireAsync(CheckInStage.Prompt);              // a refire queues nothing new
        await Say("checkin submit inflow=3", "bob");
        _clock.Set(Monday(2).AddHours(24).AddSeconds(5));
        await FireAsync(CheckInStage.Nudge);
        await FireAsync(CheckInStage.Nudge);

        var keys = (await OutboxAsync()).Keys.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["checkin-nudge:I1:2027-W02:alice", "checkin-prompt:I1:2027-W02:alice", "checkin-prompt:I1:2027-W02:bob"], keys);
    }

    [Fact]
    public async Task The_prompt_has_a_button_that_opens_the_form_filled_with_this_weeks_answers()
    {
        await Say("checkin setup Vets --template bfz --members @alice");
        _clock.Set(Monday(1).AddSeconds(5));
        await FireAsync(CheckInStage.Prompt);
        var prompt = (await OutboxAsync())["checkin-prompt:I1:2027-W01:alice"];
        Assert.Equal("alice", prompt.Destination);
        Assert.Contains("Weekly check-in: Vets, 2027-W01", prompt.Reply.Text);
        Assert.Contains("The digest goes to the team Sun 2027-01-10 09:00 (UTC)", prompt.Reply.Text);
        var button = prompt.Reply.Blocks.OfType<Actions>().Single().Buttons.Single();
        Assert.Equal("checkin submit I1", button.Action.Command);

        await Say("checkin submit inflow=4 --wins \"two landlords\"");
        var reply = await _chat.Get<CommandRouter>().HandleAsync(new ChatRequest("slack", "W", "C1", "alice", null, button.Action));
        var form = reply!.Blocks.OfType<Form>().Single();
        Assert.Equal("4", form.Inputs.Single(i => i.Name == "inflow").Initial);
        Assert.Equal("two landlords", form.Inputs.Single(i => i.Name == "wins").Initial);
        Assert.Null(form.Inputs.Single(i => i.Name == "outflow").Initial);
    }

    [Fact]
    public async Task Late_prompts_are_dropped_skipped_weeks_send_nothing_and_paused_initiatives_are_quiet()
    {
        await Say("checkin setup Vets --template bfz --members @alice");
        _clock.Set(Monday(1).AddHours(25));                  // the host was down: the prompt is more than a day late
        await FireAsync(CheckInStage.Prompt);
        Assert.Empty(await OutboxAsync());

        await Say("checkin skip I1 2027-01-11");
        _clock.Set(Monday(2).AddSeconds(5));
        await FireAsync(CheckInStage.Prompt);
        _clock.Set(Monday(2).AddDays(6).AddSeconds(5));
        await FireAsync(CheckInStage.Digest);
        Assert.Empty(await OutboxAsync());

        await Say("checkin pause I1");
        _clock.Set(Monday(3).AddSeconds(5));
        await FireAsync(CheckInStage.Prompt);
        Assert.Empty(await OutboxAsync());
        Assert.DoesNotContain(await _chat.Get<IScheduledSends>().UpcomingAsync("W", 10), s => s.Key.StartsWith("checkin:I1:", StringComparison.Ordinal));
        await Say("checkin resume I1");
        Assert.Equal(3, (await _chat.Get<IScheduledSends>().UpcomingAsync("W", 10)).Count(s => s.Key.StartsWith("checkin:I1:", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task After_the_digest_check_ins_count_for_the_next_week_and_a_late_digest_is_still_posted()
    {
        await Say("checkin setup Vets --template bfz --members @alice");
        _clock.Set(Monday(1).AddHours(1));
        await Say("checkin submit inflow=1");
        _clock.Set(Monday(1).AddDays(6).AddHours(30));       // the digest is 30 hours late: still posted
        await FireAsync(CheckInStage.Digest);
        Assert.Contains("checkin-digest:I1:2027-W01", (await OutboxAsync()).Keys);

        _clock.Set(Monday(1).AddDays(6).AddHours(1));        // Sunday after the digest, before the next prompt
        var early = await Say("checkin submit inflow=2");
        Assert.Contains("Recorded your 2027-W02 check-in", early);
        Assert.Contains("The 2027-W01 digest is already posted, so this counts for 2027-W02", early);
        Assert.Equal(1, (await _chat.Get<CheckInStore>().WeekAsync("W", 1, "2027-W01")).Single().Values["inflow"]);
    }

    [Fact]
    public async Task Set_up_after_the_weeks_prompt_with_nobody_checked_in_there_is_no_digest_that_week_unless_asked()
    {
        _clock.Set(Monday(1).AddDays(1));                    // Tuesday: this week's prompt is past
        await Say("checkin setup Vets --template bfz --members @alice");
        _clock.Set(Monday(1).AddDays(6).AddSeconds(5));
        await FireAsync(CheckInStage.Digest);
        Assert.Empty(await OutboxAsync());
        Assert.Contains("Posting the 2027-W01 digest", await Say("checkin digest I1"));
        Assert.Contains("checkin-digest:I1:2027-W01", (await OutboxAsync()).Keys);
    }

    [Fact]
    public async Task Set_up_after_the_weeks_prompt_a_check_in_makes_the_digest_worth_posting()
    {
        _clock.Set(Monday(1).AddDays(1));
        await Say("checkin setup Vets --template bfz --members @alice");
        await Say("checkin submit inflow=2");
        _clock.Set(Monday(1).AddDays(6).AddSeconds(5));
        await FireAsync(CheckInStage.Digest);
        Assert.Contains("checkin-digest:I1:2027-W01", (await OutboxAsync()).Keys);
    }

    [Fact]
    public async Task The_report_has_the_run_chart_summary_and_participation()
    {
        await TwelveWeeksAsync();
        var report = await Say("checkin report I1 --weeks 12");
        Assert.Contains("Vets: 12 weeks to 2027-W12", report);
        Assert.Contains("Participation over the last 12 weeks", report);
        Assert.Contains("@alice | 12 of 12 | 100%", report.Replace("  ", " "));
        Assert.Contains("@carol | 11 of 12 | 92%", report.Replace("  ", " "));
        Assert.Contains("⚠ Data quality", report);
        Assert.Contains("--weeks is from 4 to 156", await Say("checkin report I1 --weeks 2"));
    }
}
