using System.Diagnostics;
using System.Globalization;
using System.Text;
using CoordBot.Elections;

namespace CoordBot.Benchmarks;

/// <summary>
/// <c>--ical</c>: times <see cref="ICalendarReader"/> on 2 MB calendars built to be hard to read (deep nesting
/// of distinctly named components, one very long folded line, a line of many parameters, millions of escapes,
/// hundreds of thousands of tiny properties) and on a realistic 5,000-event feed of about the same size.
/// Reports the median of <c>--iterations</c> runs (default 7) after one warm-up; the target is under 200 ms each.
/// </summary>
public static class CalendarBench
{
    private const int Size = ICalendarReader.MaxBytes - 1024;

    public static Task<int> RunAsync(string[] args)
    {
        var iterations = args.SkipWhile(a => a != "--iterations").Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(7);
        Console.WriteLine("| calendar | size | outcome | median (ms) | max (ms) |");
        Console.WriteLine("| --- | ---: | --- | ---: | ---: |");
        var worst = 0.0;
        foreach (var (name, text) in Calendars())
        {
            var (events, error) = ICalendarReader.Read(text);
            var outcome = error is null ? $"{events.Count.ToString(CultureInfo.InvariantCulture)} events" : $"refused at line {error.Line.ToString(CultureInfo.InvariantCulture)}";
            var samples = new double[iterations];
            for (var i = 0; i < iterations; i++)
            {
                var start = Stopwatch.GetTimestamp();
                ICalendarReader.Read(text);
                samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
            Array.Sort(samples);
            worst = Math.Max(worst, samples[iterations / 2]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {Encoding.UTF8.GetByteCount(text) / 1024.0 / 1024.0:F2} MB | {outcome} | {samples[iterations / 2]:F1} | {samples[^1]:F1} |"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Slowest median: {worst:F1} ms (target: under 200 ms)."));
        return Task.FromResult(worst < 200 ? 0 : 1);
    }

    /// <summary>The adversarial calendars and the realistic one, each just under the 2 MB cap.</summary>
    public static IEnumerable<(string Name, string Text)> Calendars()
    {
        yield return ("nested, distinct names", Nested(Size));
        yield return ("one long folded line", Wrap(Folded(Size - 200)));
        yield return ("many parameters", Wrap("X-P" + string.Concat(Enumerable.Repeat(";A=\"b:c;d\"", (Size - 200) / 10)) + ":v\r\n"));
        yield return ("millions of escapes", Wrap(Event("E1", "SUMMARY:" + string.Concat(Enumerable.Repeat("\\,", (Size - 400) / 2)))));
        yield return ("tiny properties", Wrap(string.Concat(Enumerable.Repeat("X:1\r\n", (Size - 200) / 5))));
        yield return ("5,000 realistic events", Realistic(5_000));
    }

    /// <summary>BEGIN:X1 … BEGIN:Xn then the ENDs in reverse: each END names a different component.</summary>
    public static string Nested(int size)
    {
        var builder = new StringBuilder("BEGIN:VCALENDAR\r\n");
        var depth = 0;
        while (2 * builder.Length + 40 < size)
            builder.Append("BEGIN:X").Append((++depth).ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        for (var i = depth; i > 0; i--) builder.Append("END:X").Append(i.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        return builder.Append("END:VCALENDAR\r\n").ToString();
    }

    private static string Folded(int size)
    {
        var builder = new StringBuilder("X-LONG:");
        while (builder.Length < size) builder.Append("\r\n ").Append('a', 72);
        return builder.Append("\r\n").ToString();
    }

    private static string Wrap(string body) => "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + body + "END:VCALENDAR\r\n";

    private static string Event(string uid, string line) =>
        $"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART;VALUE=DATE:20261103\r\n{line}\r\nEND:VEVENT\r\n";

    /// <summary>A county clerk's feed: a time zone, then events with times, locations, descriptions, categories and alarms.</summary>
    public static string Realistic(int events)
    {
        var builder = new StringBuilder("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//County Clerk//Elections//EN\r\n")
            .Append("BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nBEGIN:STANDARD\r\nDTSTART:19701101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\n")
            .Append("RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700308T020000\r\nTZOFFSETFROM:-0500\r\n")
            .Append("TZOFFSETTO:-0400\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n");
        var day = new DateOnly(2027, 1, 5);
        for (var i = 0; i < events; i++)
        {
            var date = day.AddDays(i % 700);
            builder.Append("BEGIN:VEVENT\r\nUID:election-").Append(i.ToString(CultureInfo.InvariantCulture)).Append("@clerk.example.gov\r\n")
                .Append("DTSTART;TZID=America/New_York:").Append(date.ToString("yyyyMMdd", CultureInfo.InvariantCulture)).Append("T070000\r\n")
                .Append("SUMMARY:Municipal election, precinct ").Append((i % 97).ToString(CultureInfo.InvariantCulture)).Append("\r\n")
                .Append("LOCATION:City of Springfield\\, Ward ").Append((i % 12).ToString(CultureInfo.InvariantCulture)).Append("\r\n")
                .Append("DESCRIPTION:Polls open 7 a.m. to 7 p.m.\\nBring a photo ID.\\nSee the clerk's site for sample ballots and\r\n  early voting locations.\r\n")
                .Append("CATEGORIES:Election,General\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-P1D\r\nEND:VALARM\r\nEND:VEVENT\r\n");
        }
        return builder.Append("END:VCALENDAR\r\n").ToString();
    }
}
