using CoordBot.Chat;
using CoordBot.Workspaces;

namespace CoordBot.CheckIns;

/// <summary>The three moments of an initiative's weekly check-in.</summary>
public enum CheckInStage { Prompt, Nudge, Digest }

/// <summary>
/// An initiative's weekly rhythm in its own time zone. The cycle of ISO week W starts with the prompt
/// on the initiative's weekday of W at its local time; the nudge follows <c>NudgeAfterHours</c> later
/// (wall-clock hours, so "24" is the same local time the next day, across a DST change too); the
/// digest closes the cycle the day before the next prompt, at the same local time. A check-in
/// belongs to the cycle whose prompt day is the latest on or before the member's local date.
/// </summary>
public sealed class CheckInCycle
{
    private readonly Initiative _initiative;

    /// <summary>
    /// The initiative's cycle in its own zone, or as a member in <paramref name="zone"/> lives it (their prompt and
    /// nudge at the initiative's weekday and time on their own clock; docs/features.md, "Each member's own time zone").
    /// </summary>
    public CheckInCycle(Initiative initiative, TimeZoneInfo? zone = null)
    {
        _initiative = initiative;
        Zone = zone ?? WorkspaceStore.FindZone(initiative.TimeZoneId) ?? TimeZoneInfo.Utc;
    }

    public TimeZoneInfo Zone { get; }

    /// <summary>The local date of the prompt of week <paramref name="week"/>.</summary>
    public DateOnly PromptDay(string week) => IsoWeeks.Monday(week).AddDays(((int)_initiative.Weekday + 6) % 7);

    /// <summary>Local date and time of a stage of the week's cycle.</summary>
    public DateTime LocalTime(CheckInStage stage, string week)
    {
        var prompt = PromptDay(week).ToDateTime(_initiative.At, DateTimeKind.Unspecified);
        return stage switch
        {
            CheckInStage.Prompt => prompt,
            CheckInStage.Nudge => prompt.AddHours(_initiative.NudgeAfterHours),
            _ => prompt.AddDays(6),
        };
    }

    /// <summary>
    /// The UTC instant of a stage: the first moment the local clock shows its time, as the zone's cron trigger
    /// fires. A time repeated by a DST change is its first occurrence; a time the change skips is the moment the
    /// clocks jump. (Any other choice puts the instant after the trigger's fire, and <see cref="Latest"/> would then
    /// take that fire for the previous week's.)
    /// </summary>
    public DateTimeOffset At(CheckInStage stage, string week)
    {
        var local = LocalTime(stage, week);
        if (Zone.IsAmbiguousTime(local))
            return new DateTimeOffset(local, Zone.GetAmbiguousTimeOffsets(local).Max()).ToUniversalTime();
        while (Zone.IsInvalidTime(local)) local = local.AddMinutes(1);   // gaps are whole minutes, at most a few hours
        return new DateTimeOffset(local, Zone.GetUtcOffset(local)).ToUniversalTime();
    }

    /// <summary>The week a check-in made at <paramref name="now"/> belongs to (before its digest is posted).</summary>
    public string WeekAt(DateTimeOffset now)
    {
        var today = DateWords.LocalDate(now, Zone);
        var sincePrompt = ((int)today.DayOfWeek - (int)_initiative.Weekday + 7) % 7;
        return IsoWeeks.Of(today.AddDays(-sincePrompt));
    }

    /// <summary>The week after <paramref name="week"/>.</summary>
    public static string Next(string week) => IsoWeeks.Of(IsoWeeks.Monday(week).AddDays(7));

    /// <summary>The week before <paramref name="week"/>.</summary>
    public static string Previous(string week) => IsoWeeks.Of(IsoWeeks.Monday(week).AddDays(-7));

    /// <summary>
    /// The latest occurrence of <paramref name="stage"/> at or before <paramref name="now"/>: its week and
    /// instant. A job that fires late (the host was down) learns from this which week it is for and how late it is.
    /// </summary>
    public (string Week, DateTimeOffset At) Latest(CheckInStage stage, DateTimeOffset now)
    {
        var week = Next(WeekAt(now));
        for (var i = 0; i < 3; i++, week = Previous(week))
            if (At(stage, week) <= now) return (week, At(stage, week));
        return (week, At(stage, week));
    }

    /// <summary>The local weekday and time of a stage (what its weekly trigger is set to).</summary>
    public (DayOfWeek Day, TimeOnly At) Weekly(CheckInStage stage)
    {
        var local = LocalTime(stage, "2026-W10");   // any week: the local weekday and time are the same every week
        return (local.DayOfWeek, TimeOnly.FromDateTime(local));
    }
}
