using System.Globalization;
using CoordBot.CheckIns;
using Xunit;

namespace CoordBot.Tests.CheckIns;

/// <summary>The weekly rhythm in an initiative's zone: instants across DST, the week a moment belongs to, late fires.</summary>
public sealed class CheckInCycleTests
{
    private static Initiative Vets(DayOfWeek day = DayOfWeek.Monday, int hour = 9, string zone = "America/Chicago", int nudge = 24) =>
        new(1, 1, "Vets", Metric.BuiltForZero, 120, 0, null, day, new TimeOnly(hour, 0), zone, nudge, RunChartRules.PerlaProvostMurray,
            "#general", "local", false, "alice", ["alice", "bob"]);

    [Theory]
    // Chicago springs forward on 2027-03-14 (CST −6 → CDT −5) and falls back on 2026-11-01.
    [InlineData("2027-W10", CheckInStage.Prompt, "2027-03-08T15:00:00Z")]
    [InlineData("2027-W10", CheckInStage.Nudge, "2027-03-09T15:00:00Z")]
    [InlineData("2027-W10", CheckInStage.Digest, "2027-03-14T14:00:00Z")]    // Sunday 09:00, the day the clocks change
    [InlineData("2027-W11", CheckInStage.Prompt, "2027-03-15T14:00:00Z")]
    [InlineData("2026-W44", CheckInStage.Prompt, "2026-10-26T14:00:00Z")]
    [InlineData("2026-W44", CheckInStage.Digest, "2026-11-01T15:00:00Z")]    // Sunday 09:00 CST, after the fall back at 02:00
    [InlineData("2026-W45", CheckInStage.Prompt, "2026-11-02T15:00:00Z")]
    public void Moments_are_at_the_local_time_on_both_sides_of_a_DST_change(string week, CheckInStage stage, string utc) =>
        Assert.Equal(DateTimeOffset.Parse(utc, CultureInfo.InvariantCulture), new CheckInCycle(Vets()).At(stage, week));

    [Fact]
    public void A_nudge_after_36_hours_is_wall_clock_hours_and_the_digest_closes_the_day_before_the_next_prompt()
    {
        var cycle = new CheckInCycle(Vets(DayOfWeek.Wednesday, 14, "Europe/London", 36));
        Assert.Equal(new DateTime(2027, 3, 26, 2, 0, 0), cycle.LocalTime(CheckInStage.Nudge, "2027-W12"));    // Wed 14:00 + 36 h
        Assert.Equal(new DateTime(2027, 3, 30, 14, 0, 0), cycle.LocalTime(CheckInStage.Digest, "2027-W12"));  // the Tuesday after
        Assert.Equal((DayOfWeek.Friday, new TimeOnly(2, 0)), cycle.Weekly(CheckInStage.Nudge));
        Assert.Equal((DayOfWeek.Tuesday, new TimeOnly(14, 0)), cycle.Weekly(CheckInStage.Digest));
    }

    [Theory]
    // A Wednesday cycle runs Wednesday to Tuesday: the Monday and Tuesday after still belong to the week it started in.
    [InlineData("2027-01-13T12:00:00Z", "2027-W02")]   // Wednesday
    [InlineData("2027-01-18T12:00:00Z", "2027-W02")]   // the next Monday
    [InlineData("2027-01-19T23:00:00Z", "2027-W02")]   // Tuesday evening
    [InlineData("2027-01-20T00:30:00Z", "2027-W03")]   // Wednesday (UTC); the zone is UTC here
    public void A_moment_belongs_to_the_cycle_of_the_latest_prompt_day(string now, string week) =>
        Assert.Equal(week, new CheckInCycle(Vets(DayOfWeek.Wednesday, 9, "UTC")).WeekAt(DateTimeOffset.Parse(now, CultureInfo.InvariantCulture)));

    [Fact]
    public void The_week_follows_the_local_date_not_the_UTC_one()
    {
        var cycle = new CheckInCycle(Vets(zone: "Pacific/Auckland"));
        // Sunday 2027-01-17 20:00 UTC is already Monday 09:00 in Auckland (+13): the new cycle.
        Assert.Equal("2027-W03", cycle.WeekAt(DateTimeOffset.Parse("2027-01-17T20:00:00Z", CultureInfo.InvariantCulture)));
        Assert.Equal("2027-W02", cycle.WeekAt(DateTimeOffset.Parse("2027-01-17T10:00:00Z", CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Latest_occurrence_tells_a_late_fire_which_week_it_stands_for()
    {
        var cycle = new CheckInCycle(Vets());
        var prompt = DateTimeOffset.Parse("2027-03-15T14:00:00Z", CultureInfo.InvariantCulture);   // W11 prompt
        Assert.Equal(("2027-W11", prompt), cycle.Latest(CheckInStage.Prompt, prompt));
        Assert.Equal(("2027-W11", prompt), cycle.Latest(CheckInStage.Prompt, prompt.AddHours(30)));
        Assert.Equal(("2027-W10", DateTimeOffset.Parse("2027-03-08T15:00:00Z", CultureInfo.InvariantCulture)), cycle.Latest(CheckInStage.Prompt, prompt.AddSeconds(-1)));
        Assert.Equal(("2027-W10", DateTimeOffset.Parse("2027-03-14T14:00:00Z", CultureInfo.InvariantCulture)), cycle.Latest(CheckInStage.Digest, prompt.AddDays(3)));
        Assert.Equal("2027-W12", CheckInCycle.Next("2027-W11"));
        Assert.Equal("2026-W53", CheckInCycle.Previous("2027-W01"));
    }

    [Fact]
    public void Weekly_cron_is_quartz_syntax() =>
        Assert.Equal("0 30 14 ? * WED", CoordBot.Scheduling.QuartzScheduledSends.WeeklyCron(DayOfWeek.Wednesday, new TimeOnly(14, 30)));
}
