using System.Globalization;

namespace CoordBot.CheckIns;

/// <summary>
/// An initiative's functional-zero goal: the population it serves, the latest point-in-time count (chronic),
/// or a benchmark set by hand (populations without a published one).
/// </summary>
public sealed record ZeroGoal(string Population, double? Pit = null, double? Benchmark = null);

/// <summary>Where a week stands against the goal: the line to show, whether it is reached, and for how many weeks in a row.</summary>
public sealed record ZeroStatus(string Text, bool Reached, int HeldWeeks);

/// <summary>
/// Functional zero as Community Solutions defines it (https://community.solutions/functional-zero/, docs/built-for-zero.md):
/// veterans, fewer actively homeless than the community has proven it can house in a month, with a minimum of 3 (here:
/// the average monthly "moved to housing" of the last three complete months); chronic, zero or no more than 3 or 0.1% of
/// the latest point-in-time count, whichever is greater. Other populations have no published benchmark: one set with
/// <c>--fz-benchmark</c> is "no more than N".
/// </summary>
public static class FunctionalZero
{
    public static readonly IReadOnlyList<string> Populations = ["veterans", "chronic", "youth", "families", "singles", "all"];

    /// <summary>How many complete months of housing placements make a veterans benchmark.</summary>
    public const int PlacementMonths = 3;

    /// <summary>The smallest benchmark Community Solutions allows.</summary>
    public const double Minimum = 3;

    /// <summary>Weeks of history an evaluation wants: three months before the week's month, and room for a streak.</summary>
    public const int HistoryWeeks = 40;

    /// <summary>The month an ISO week is counted in: the month of its Thursday (where 4 or more of its 7 days fall), as ISO 8601 gives weeks to years.</summary>
    public static (int Year, int Month) MonthOf(string week)
    {
        var thursday = IsoWeeks.Monday(week).AddDays(3);
        return (thursday.Year, thursday.Month);
    }

    /// <summary>The goal as typed at set-up, or the problem with it.</summary>
    public static (ZeroGoal? Goal, string? Problem) Parse(string? population, double? pit, double? benchmark, IReadOnlyList<Metric> metrics)
    {
        if (population is null)
            return pit is null && benchmark is null ? (null, null) : (null, "--pit and --fz-benchmark go with --population.");
        if (!metrics.Any(m => m.Name == "actively homeless"))
            return (null, "A functional-zero goal is about the number actively homeless: set up with --template bfz or bfz-detailed.");
        if (pit is not null && population != "chronic") return (null, "--pit is the point-in-time count that the chronic benchmark is based on: use it with --population chronic.");
        if (benchmark is not null && population is "veterans" or "chronic")
            return (null, $"The {population} benchmark is Community Solutions' own (see checkin help setup); --fz-benchmark is for populations without one.");
        if (pit is < 0 || benchmark is < 0) return (null, "--pit and --fz-benchmark are counts of people: 0 or more.");
        if (population == "veterans" && !metrics.Any(m => m.Name == "moved to housing"))
            return (null, "The veterans benchmark is the housing placements of a month: set up with --template bfz-detailed, which tracks moved to housing.");
        return (new ZeroGoal(population, pit, benchmark), null);
    }

    /// <summary>
    /// The goal's status at the last of <paramref name="weeks"/>; null without a goal. <paramref name="movedToHousing"/> is
    /// the weekly "moved to housing" (veterans), aligned with <paramref name="weeks"/>.
    /// </summary>
    public static ZeroStatus? Evaluate(ZeroGoal? goal, IReadOnlyList<string> weeks, IReadOnlyList<double?> actively, IReadOnlyList<double?> movedToHousing)
    {
        if (goal is null || weeks.Count == 0) return null;
        var label = $"Functional zero ({goal.Population})";
        var last = weeks.Count - 1;
        if (Threshold(goal, weeks, movedToHousing, last) is not { } now)
            return new ZeroStatus(goal.Population == "veterans"
                ? $"{label}: no benchmark yet — it needs a complete month of moved to housing."
                : $"{label}: no published benchmark for {goal.Population}; set one with checkin setup … --fz-benchmark N.", false, 0);
        if (actively[last] is not { } current) return new ZeroStatus($"{label}: {now.Rule} ({now.How}); no actively homeless this week.", false, 0);

        var held = 0;
        for (var i = last; i >= 0; i--)
        {
            if (actively[i] is not { } value) continue;
            if (Threshold(goal, weeks, movedToHousing, i) is not { } then || !then.Holds(value)) break;
            held++;
        }
        if (now.Holds(current))
            return new ZeroStatus($"✓ {label} reached: {Number(current)} actively homeless, {now.Rule} ({now.How}); held for {Weeks(held)}.", true, held);
        return new ZeroStatus($"{label}: {now.Rule} ({now.How}); {Number(current)} actively homeless, {Number(now.ToGo(current))} to go.", false, 0);
    }

    private sealed record Benchmark(double Value, bool FewerThan, string How)
    {
        public string Rule => FewerThan ? $"fewer than {Number(Value)}" : $"no more than {Number(Value)}";
        public bool Holds(double actively) => FewerThan ? actively < Value : actively <= Value;

        /// <summary>How many fewer people actively homeless would reach it (whole people).</summary>
        public double ToGo(double actively) => actively - (FewerThan ? Math.Ceiling(Value) - 1 : Math.Floor(Value));
    }

    private static Benchmark? Threshold(ZeroGoal goal, IReadOnlyList<string> weeks, IReadOnlyList<double?> movedToHousing, int at)
    {
        switch (goal.Population)
        {
            case "veterans":
                var (year, month) = MonthOf(weeks[at]);
                var first = new DateOnly(year, month, 1);
                var months = new List<(DateOnly Month, double Placed)>();
                for (var k = PlacementMonths; k >= 1; k--)
                {
                    var m = first.AddMonths(-k);
                    var inMonth = Enumerable.Range(0, at + 1).Where(i => MonthOf(weeks[i]) == (m.Year, m.Month)).ToList();
                    // A month counts when its weeks are all in the history (it does not start before it) and have a value.
                    if (inMonth.Count == 0 || inMonth[0] == 0 && !StartsMonth(weeks[0])) continue;
                    if (inMonth.Any(i => movedToHousing[i] is null)) continue;
                    months.Add((m, inMonth.Sum(i => movedToHousing[i]!.Value)));
                }
                if (months.Count == 0) return null;
                var average = months.Average(m => m.Placed);
                var named = string.Join(", ", months.Select(m => $"{m.Month.ToString("MMM yyyy", CultureInfo.InvariantCulture)} {Number(m.Placed)}"));
                return new Benchmark(Math.Max(Minimum, average), true,
                    $"the average monthly housing placements over the last {(months.Count == 1 ? "month" : $"{months.Count} months")}, {named}: " +
                    $"{Number(average)}{(average < Minimum ? ", raised to the minimum of 3" : "")}");
            case "chronic":
                var share = (goal.Pit ?? 0) * 0.001;
                return new Benchmark(Math.Max(Minimum, share), false, goal.Pit is { } pit
                    ? $"the greater of 3 and 0.1% of the point-in-time count of {Number(pit)} ({Number(share)})"
                    : "3: no point-in-time count given (--pit N)");
            default:
                return goal.Benchmark is { } benchmark ? new Benchmark(benchmark, false, "the benchmark set for this initiative") : null;
        }
    }

    /// <summary>Whether a week's Monday is the first Monday whose week counts for its month (so the month is whole from it on).</summary>
    private static bool StartsMonth(string week) => MonthOf(IsoWeeks.Of(IsoWeeks.Monday(week).AddDays(-7))) != MonthOf(week);

    private static string Weeks(int n) => n == 1 ? "1 week" : $"{n} weeks";

    private static string Number(double value) => CheckInSummary.Number(value);
}
