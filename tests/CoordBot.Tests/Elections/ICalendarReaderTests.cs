using CoordBot.Elections;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace CoordBot.Tests.Elections;

public sealed class ICalendarReaderTests
{
    private static readonly TimeZoneInfo LosAngeles = TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles");

    /// <summary>Wraps VEVENT lines in a calendar, joined with CRLF as RFC 5545 asks.</summary>
    private static string Calendar(params string[] lines) =>
        string.Join("\r\n", ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//EN", .. lines, "END:VCALENDAR"]) + "\r\n";

    private static string Event(params string[] properties) =>
        string.Join("\r\n", ["BEGIN:VEVENT", .. properties, "END:VEVENT"]);

    private static IReadOnlyList<CalendarEvent> Events(string text, TimeZoneInfo? zone = null)
    {
        var (events, error) = ICalendarReader.Read(text, zone);
        Assert.Null(error);
        return events;
    }

    private static CalendarEvent Single(string text, TimeZoneInfo? zone = null) => Assert.Single(Events(text, zone));

    private static CalendarError Error(string text)
    {
        var (events, error) = ICalendarReader.Read(text);
        Assert.Empty(events);
        Assert.NotNull(error);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        return error;
    }

    [Fact]
    public void An_all_day_event_is_its_date()
    {
        var e = Single(Calendar(Event("UID:g1", "DTSTART;VALUE=DATE:20261103", "SUMMARY:General Election", "LOCATION:Fulton County")));
        Assert.Equal(new CalendarEvent("g1", new DateOnly(2026, 11, 3), "General Election", "Fulton County", null, [], 4) with { Categories = e.Categories }, e);
        Assert.Empty(e.Categories);
    }

    [Theory]
    [InlineData("DTSTART;TZID=America/Chicago:20261103T230000")]
    [InlineData("DTSTART;TZID=Europe/Berlin:20261103T003000")]
    [InlineData("DTSTART;TZID=Eastern Standard Time:20261103T070000")]
    [InlineData("DTSTART;TZID=\"America/New_York\":20261103T070000")]
    [InlineData("DTSTART;TZID=\"Custom: Clerk's Zone\":20261103T070000")]
    [InlineData("DTSTART;TZID=Mars/Olympus_Mons:20261103T235959")]
    [InlineData("DTSTART:20261103T235959")]
    [InlineData("DTSTART;VALUE=DATE-TIME;TZID=America/Chicago:20261103T000000")]
    public void A_local_time_is_the_date_in_its_own_zone(string dtstart)
    {
        var e = Single(Calendar(Event("UID:x", dtstart, "SUMMARY:Election")), LosAngeles);
        Assert.Equal(new DateOnly(2026, 11, 3), e.Date);
    }

    [Fact]
    public void A_utc_time_is_the_utc_date_or_the_date_in_the_default_zone()
    {
        var text = Calendar(Event("UID:x", "DTSTART:20261103T030000Z", "SUMMARY:Election"));
        Assert.Equal(new DateOnly(2026, 11, 3), Single(text).Date);
        Assert.Equal(new DateOnly(2026, 11, 2), Single(text, LosAngeles).Date);
        Assert.Equal(new DateOnly(2026, 11, 3), Single(text, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin")).Date);
    }

    [Fact]
    public void A_vtimezone_is_skipped_and_its_name_accepted()
    {
        var text = Calendar(
            "BEGIN:VTIMEZONE", "TZID:Clerk Standard Time",
            "BEGIN:STANDARD", "DTSTART:19701101T020000", "TZOFFSETFROM:-0400", "TZOFFSETTO:-0500", "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU", "END:STANDARD",
            "BEGIN:DAYLIGHT", "DTSTART:19700308T020000", "TZOFFSETFROM:-0500", "TZOFFSETTO:-0400", "END:DAYLIGHT",
            "END:VTIMEZONE",
            Event("UID:x", "DTSTART;TZID=Clerk Standard Time:20270511T070000", "SUMMARY:Primary"));
        var e = Single(text);
        Assert.Equal(new DateOnly(2027, 5, 11), e.Date);
        Assert.Equal(18, e.Line);
    }

    [Fact]
    public void Folded_lines_are_joined_including_dtstart_and_multibyte_text()
    {
        // Folds split "Élection" right after a two-byte character and "🗳" between its surrogates' neighbours.
        var text = Calendar(Event(
            "UID:folded-1",
            "DTSTART;TZID=America/Ch",
            " icago:2026110",
            "\t3T070000",
            "SUMMARY:Municipal É",
            " lection 🗳",
            "  ballot",
            "DESCRIPTION:Polls open 7am–7pm\\n",
            " Bring ID"));
        var e = Single(text);
        Assert.Equal(new DateOnly(2026, 11, 3), e.Date);
        Assert.Equal("Municipal Élection 🗳 ballot", e.Summary);
        Assert.Equal("Polls open 7am–7pm\nBring ID", e.Description);
    }

    [Theory]
    [InlineData("\r\n")]
    [InlineData("\n")]
    [InlineData("\r")]
    public void Any_line_ending_is_read_and_lines_are_counted(string newline)
    {
        var text = string.Join(newline, "BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", "UID:a", "DTSTART:20261103", "SUMMARY:One", "END:VEVENT",
            "BEGIN:VEVENT", "UID:b", "DTSTART:20261201", "SUMMARY:Two", "END:VEVENT", "END:VCALENDAR");
        Assert.Equal([("a", 3), ("b", 8)], Events(text).Select(e => (e.Uid, e.Line)));
    }

    [Fact]
    public void A_byte_order_mark_is_ignored()
    {
        var e = Single("\uFEFF" + Calendar(Event("UID:x", "DTSTART:20261103", "SUMMARY:Election")));
        Assert.Equal("x", e.Uid);
    }

    [Fact]
    public void Text_is_unescaped_and_categories_split_on_unescaped_commas()
    {
        var e = Single(Calendar(Event(
            "UID:x", "DTSTART:20261103",
            @"SUMMARY:Runoff\, District 4\; Seat B \\ final",
            @"DESCRIPTION:Line one\nLine two\NLine three",
            @"LOCATION:Hall A\, Room 2",
            @"CATEGORIES:Election,Runoff\, special,Local",
            "CATEGORIES:Extra")));
        Assert.Equal(@"Runoff, District 4; Seat B \ final", e.Summary);
        Assert.Equal("Line one\nLine two\nLine three", e.Description);
        Assert.Equal("Hall A, Room 2", e.Location);
        Assert.Equal(["Election", "Runoff, special", "Local", "Extra"], e.Categories);
    }

    [Fact]
    public void A_valarm_inside_an_event_is_skipped()
    {
        var e = Single(Calendar(Event(
            "UID:x", "DTSTART:20261103", "SUMMARY:General",
            "BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:Reminder", "TRIGGER:-P1D", "SUMMARY:Not the event", "END:VALARM",
            "LOCATION:County")));
        Assert.Equal(("General", null, "County"), (e.Summary, e.Description, e.Location));
    }

    [Fact]
    public void An_event_without_uid_gets_a_stable_derived_one()
    {
        var text = Calendar(Event("DTSTART:20261103", "SUMMARY:General"), Event("DTSTART:20261103", "SUMMARY:Other"));
        var first = Events(text);
        var again = Events(text);
        Assert.Equal(first.Select(e => e.Uid), again.Select(e => e.Uid));
        Assert.NotEqual(first[0].Uid, first[1].Uid);
        Assert.StartsWith("coordbot-", first[0].Uid);
        Assert.Equal(ICalendarReader.DerivedUid("20261103", "General"), first[0].Uid);
    }

    [Fact]
    public void A_county_clerk_feed_reads_every_election()
    {
        const string feed = """
            BEGIN:VCALENDAR
            VERSION:2.0
            PRODID:-//Springfield County Clerk//Elections 2026//EN
            CALSCALE:GREGORIAN
            METHOD:PUBLISH
            X-WR-CALNAME:Springfield County Elections
            X-WR-TIMEZONE:America/Chicago
            BEGIN:VTIMEZONE
            TZID:America/Chicago
            BEGIN:DAYLIGHT
            TZOFFSETFROM:-0600
            TZOFFSETTO:-0500
            DTSTART:19700308T020000
            RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
            TZNAME:CDT
            END:DAYLIGHT
            BEGIN:STANDARD
            TZOFFSETFROM:-0500
            TZOFFSETTO:-0600
            DTSTART:19701101T020000
            RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
            TZNAME:CST
            END:STANDARD
            END:VTIMEZONE
            BEGIN:VEVENT
            UID:2026-primary@clerk.springfield.example
            DTSTAMP:20260105T150000Z
            DTSTART;TZID=America/Chicago:20260317T060000
            DTEND;TZID=America/Chicago:20260317T190000
            SUMMARY:General Primary Election
            LOCATION:Springfield County
            DESCRIPTION:Polls open 6:00 a.m. to 7:00 p.m.\nOffices: Mayor\, City Coun
             cil (Wards 1–5)\, County Board
            CATEGORIES:Election,Primary
            URL:https://clerk.springfield.example/elections/2026-primary
            END:VEVENT
            BEGIN:VEVENT
            UID:2026-runoff@clerk.springfield.example
            DTSTAMP:20260105T150000Z
            DTSTART;TZID=America/Chicago:20260414T060000
            SUMMARY:Primary Runoff Election
            LOCATION:Springfield County
            CATEGORIES:Election,Runoff
            BEGIN:VALARM
            ACTION:DISPLAY
            DESCRIPTION:Runoff tomorrow
            TRIGGER:-PT24H
            END:VALARM
            END:VEVENT
            BEGIN:VEVENT
            UID:2026-general@clerk.springfield.example
            DTSTAMP:20260105T150000Z
            DTSTART;VALUE=DATE:20261103
            DTEND;VALUE=DATE:20261104
            SUMMARY:General Election
            LOCATION:Springfield County
            CATEGORIES:Election,General
            END:VEVENT
            BEGIN:VEVENT
            UID:2026-vbm-deadline@clerk.springfield.example
            DTSTAMP:20260105T150000Z
            DTSTART:20261028T045900Z
            SUMMARY:Last day to request a mail ballot
            CATEGORIES:Deadline
            END:VEVENT
            END:VCALENDAR
            """;
        var events = Events(feed, TimeZoneInfo.FindSystemTimeZoneById("America/Chicago"));
        Assert.Equal(
            [
                ("2026-primary@clerk.springfield.example", new DateOnly(2026, 3, 17), "General Primary Election", 25),
                ("2026-runoff@clerk.springfield.example", new DateOnly(2026, 4, 14), "Primary Runoff Election", 37),
                ("2026-general@clerk.springfield.example", new DateOnly(2026, 11, 3), "General Election", 50),
                ("2026-vbm-deadline@clerk.springfield.example", new DateOnly(2026, 10, 27), "Last day to request a mail ballot", 59),
            ],
            events.Select(e => (e.Uid, e.Date, e.Summary, e.Line)));
        Assert.Equal("Polls open 6:00 a.m. to 7:00 p.m.\nOffices: Mayor, City Council (Wards 1–5), County Board", events[0].Description);
        Assert.Equal(["Election", "Primary"], events[0].Categories);
        Assert.Null(events[3].Location);
    }

    [Fact]
    public void A_missing_end_vevent_names_the_event_line()
    {
        var text = Calendar(Event("UID:a", "DTSTART:20261103", "SUMMARY:One"), "BEGIN:VEVENT", "UID:b", "DTSTART:20261201", "SUMMARY:Two");
        var error = Error(text);
        Assert.Equal(9, error.Line);
        Assert.Contains("END:VEVENT", error.Message);
    }

    [Fact]
    public void A_missing_end_before_the_next_event_names_the_unclosed_event()
    {
        var text = Calendar("BEGIN:VEVENT", "UID:a", "DTSTART:20261103", "SUMMARY:One", Event("UID:b", "DTSTART:20261201", "SUMMARY:Two"));
        var error = Error(text);
        Assert.Equal(4, error.Line);
        Assert.Contains("line 8", error.Message);
    }

    [Theory]
    [InlineData("DTSTART:20261399")]
    [InlineData("DTSTART:2026-11-03")]
    [InlineData("DTSTART:20261103T250000")]
    [InlineData("DTSTART:20261103T0700")]
    [InlineData("DTSTART;VALUE=DATE:20261103T070000")]
    [InlineData("DTSTART;VALUE=PERIOD:20261103T070000Z/PT1H")]
    public void A_bad_date_names_its_line(string dtstart)
    {
        var error = Error(Calendar(Event("UID:a", "SUMMARY:One", dtstart)));
        Assert.Equal(7, error.Line);
        Assert.Contains("not a valid date", error.Message);
    }

    [Fact]
    public void A_line_without_a_colon_names_its_line()
    {
        var error = Error(Calendar(Event("UID:a", "DTSTART:20261103", "SUMMARY One")));
        Assert.Equal(7, error.Line);
        Assert.Contains("no colon", error.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_calendar_is_refused()
    {
        Assert.Equal(1, Error("BEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\n").Line);
        Assert.Equal(1, Error("name,date\nGeneral,2026-11-03\n").Line);
        Assert.Equal(1, Error("").Line);
        Assert.Contains("BEGIN:VCALENDAR", Error("\r\n\r\n").Message);
    }

    [Fact]
    public void Events_without_dtstart_or_summary_are_refused_at_their_line()
    {
        Assert.Contains("DTSTART", Error(Calendar(Event("UID:a", "SUMMARY:One"))).Message);
        var error = Error(Calendar(Event("UID:a", "DTSTART:20261103", "SUMMARY:One"), Event("UID:b", "DTSTART:20261103")));
        Assert.Equal((9, true), (error.Line, error.Message.Contains("SUMMARY")));
    }

    [Fact]
    public void Unbalanced_components_are_refused()
    {
        Assert.Equal(4, Error(Calendar("END:VALARM")).Line);
        Assert.Equal(8, Error(Calendar("BEGIN:VEVENT", "UID:a", "DTSTART:20261103", "SUMMARY:One", "BEGIN:VALARM", "END:VEVENT")).Line);
        Assert.Equal(1, Error("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n").Line);
        Assert.Equal(3, Error("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\nSUMMARY:stray\r\n").Line);
    }

    /// <summary>BEGIN:X1 … BEGIN:Xn inside the calendar, each closed in turn: every component has its own name.</summary>
    private static string Nested(int depth, string innermost = "")
    {
        var begins = Enumerable.Range(1, depth).Select(i => $"BEGIN:X{i}");
        var ends = Enumerable.Range(1, depth).Reverse().Select(i => $"END:X{i}");
        return Calendar([.. begins, .. innermost.Length > 0 ? [innermost] : Array.Empty<string>(), .. ends]);
    }

    [Fact]
    public void Components_nested_up_to_the_cap_are_read_and_deeper_ones_refused_at_the_line_that_goes_too_deep()
    {
        // The calendar is one level; 15 more reach the cap, and a VEVENT must sit directly in the calendar anyway.
        Assert.Empty(Events(Nested(ICalendarReader.MaxDepth - 1)));
        var deeper = Error(Nested(ICalendarReader.MaxDepth));
        Assert.Equal(4 + ICalendarReader.MaxDepth - 1, deeper.Line);   // BEGIN:VCALENDAR, VERSION, PRODID, then X1…X15 fit
        Assert.Contains($"more than {ICalendarReader.MaxDepth} deep", deeper.Message);
        Assert.Contains("BEGIN:X16", deeper.Message);
    }

    [Fact]
    public void A_two_megabyte_nesting_attack_is_refused_by_the_depth_cap()
    {
        var depth = 0;
        var attack = Nested(1);
        while (attack.Length < ICalendarReader.MaxBytes - 200_000) attack = Nested(depth += 20_000);
        var error = Error(attack);
        Assert.Equal(4 + ICalendarReader.MaxDepth - 1, error.Line);
        Assert.Contains("deep", error.Message);
    }

    [Fact]
    public void Adversarial_shapes_within_the_size_cap_read_exactly()
    {
        var size = ICalendarReader.MaxBytes - 1024;

        // One property folded over 27,000 physical lines: one logical line, the event still read.
        var folded = string.Concat(Enumerable.Repeat("\r\n " + new string('a', 72), (size - 400) / 75));
        var longDescription = Single(Calendar(Event("UID:f1", "DTSTART;VALUE=DATE:20261103", "SUMMARY:Folded", "DESCRIPTION:" + folded)));
        Assert.Equal((size - 400) / 75 * 72, longDescription.Description!.Length);

        // Millions of escapes unescape to the characters themselves.
        var escapes = Single(Calendar(Event("UID:e1", "DTSTART;VALUE=DATE:20261103", "SUMMARY:" + string.Concat(Enumerable.Repeat("\\,", (size - 400) / 2)))));
        Assert.Equal((size - 400) / 2, escapes.Summary.Length);
        Assert.NotEmpty(escapes.Summary);
        Assert.All(escapes.Summary, c => Assert.Equal(',', c));

        // A line of many parameters (quoted colons and semicolons inside) is one property, skipped outside events.
        Assert.Empty(Events(Calendar("X-P" + string.Concat(Enumerable.Repeat(";A=\"b:c;d\"", (size - 400) / 10)) + ":v")));

        // Hundreds of thousands of tiny properties.
        Assert.Empty(Events(Calendar(Enumerable.Repeat("X:1", (size - 400) / 5).ToArray())));
    }

    [Fact]
    public void Oversized_input_and_too_many_events_are_refused()
    {
        Assert.Contains("MB", Error(Calendar(Event("UID:a", "DTSTART:20261103", "DESCRIPTION:" + new string('x', 2 * 1024 * 1024), "SUMMARY:x"))).Message);
        var many = Calendar(Enumerable.Range(0, 5_001).Select(i => Event("UID:" + i, "DTSTART:20261103", "SUMMARY:E")).ToArray());
        var error = Error(many);
        Assert.Contains("5,000", error.Message);
        Assert.Equal(4 + 5_000 * 5, error.Line);
        Assert.Equal(5_000, Events(Calendar(Enumerable.Range(0, 5_000).Select(i => Event("UID:" + i, "DTSTART:20261103", "SUMMARY:E")).ToArray())).Count);
    }

    private static readonly string ValidFeed = Calendar(
        "BEGIN:VTIMEZONE", "TZID:America/Chicago", "BEGIN:STANDARD", "DTSTART:19701101T020000", "TZOFFSETTO:-0600", "END:STANDARD", "END:VTIMEZONE",
        Event("UID:p", "DTSTART;TZID=America/Chicago:20260317T060000", "SUMMARY:Primary\\, Springfield", "LOCATION:County", "CATEGORIES:A,B\\,C"),
        Event("UID:r", "DTSTART;TZID=\"Eastern Standard Time\":20260414T060000", "SUMMARY:Runoff", "DESCRIPTION:long de", " scription",
            "BEGIN:VALARM", "TRIGGER:-P1D", "END:VALARM"),
        Event("DTSTART:20261103T030000Z", "SUMMARY:General 🗳", "LOCATION:Élan"));

    private static void ReadIsAllOrNothing(string text, TimeZoneInfo? zone)
    {
        var (events, error) = ICalendarReader.Read(text, zone);
        Assert.True(error is null ? events is not null : events.Count == 0 && error.Line >= 1 && error.Message.Length > 0);
    }

    [Fact]
    public void The_valid_feed_used_for_mutations_reads()
    {
        Assert.Equal(3, Events(ValidFeed).Count);
    }

    [Fact]
    public void Arbitrary_text_never_throws()
    {
        var vocabulary = new[]
        {
            "BEGIN:VCALENDAR", "END:VCALENDAR", "BEGIN:VEVENT", "END:VEVENT", "BEGIN:VALARM", "END:VALARM", "DTSTART:", "20261103",
            "T030000Z", ";TZID=", "\"", ":", ";", ",", "\\", "\\n", "\r\n", "\n", "\r", " ", "\t", "\uFEFF", "SUMMARY:", "UID:", "CATEGORIES:",
            "\uD800", "😀", "=", "VALUE=DATE", "BEGIN:", "END:",
        };
        var texts = Gen.Frequency(
            (3, Gen.ListOf(Gen.Elements(vocabulary), 40).Select(parts => string.Concat(parts))),
            (1, ArbMap.Default.ArbFor<string>().Generator.Select(s => s ?? "")));
        Prop.ForAll(Arb.From(texts), text =>
        {
            ReadIsAllOrNothing(text, null);
            ReadIsAllOrNothing(text, LosAngeles);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(2000));
    }

    [Fact]
    public void Mutations_of_a_valid_feed_never_throw()
    {
        var lines = ValidFeed.Split("\r\n");
        // Each mutation: (kind, line index, cut point); kinds drop, duplicate, truncate, or swap with the next line.
        var mutation =
            from kind in Gen.Choose(0, 3)
            from at in Gen.Choose(0, lines.Length - 1)
            from cut in Gen.Choose(0, 40)
            select (Kind: kind, At: at, Cut: cut);
        Prop.ForAll(Arb.From(Gen.Choose(1, 6).SelectMany(count => Gen.ListOf(mutation, count))), mutations =>
        {
            var mutated = lines.ToList();
            foreach (var (kind, at, cut) in mutations)
            {
                var index = Math.Min(at, mutated.Count - 1);
                if (index < 0)
                    break;
                switch (kind)
                {
                    case 0: mutated.RemoveAt(index); break;
                    case 1: mutated.Insert(index, mutated[index]); break;
                    case 2: mutated[index] = mutated[index][..Math.Min(cut, mutated[index].Length)]; break;
                    default:
                        if (index + 1 < mutated.Count)
                            (mutated[index], mutated[index + 1]) = (mutated[index + 1], mutated[index]);
                        break;
                }
            }
            ReadIsAllOrNothing(string.Join("\r\n", mutated), LosAngeles);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(3000));
    }
}
