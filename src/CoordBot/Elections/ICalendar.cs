using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using static System.FormattableString;

namespace CoordBot.Elections;

/// <summary>One VEVENT of an election calendar, reduced to what an election needs.</summary>
/// <param name="Uid">The event's UID, or a stable one derived from DTSTART and SUMMARY when the feed has none
/// (see <see cref="ICalendarReader.DerivedUid"/>).</param>
/// <param name="Date">The event's local date in its own time zone (UTC events: the UTC date, or the date in the
/// reader's default zone when one is given).</param>
/// <param name="Line">The 1-based line number of the event's BEGIN:VEVENT.</param>
public sealed record CalendarEvent(
    string Uid, DateOnly Date, string Summary, string? Location, string? Description, IReadOnlyList<string> Categories, int Line);

/// <summary>Why a calendar was refused, and the 1-based line where the problem is.</summary>
public sealed record CalendarError(int Line, string Message);

/// <summary>
/// Reads the RFC 5545 subset that election calendars use: VCALENDAR with VEVENTs (UID, DTSTART, SUMMARY, LOCATION,
/// DESCRIPTION, CATEGORIES); every other component (VTIMEZONE, VALARM, VTODO...) is checked for balance and skipped.
/// All or nothing: a malformed file gives an error with its line number and no events. Never throws.
/// </summary>
public static class ICalendarReader
{
    /// <summary>Larger input is refused rather than read.</summary>
    public const int MaxBytes = 2 * 1024 * 1024;

    /// <summary>A feed with more events than this is refused.</summary>
    public const int MaxEvents = 5_000;

    /// <summary>
    /// Components nested deeper than this are refused. Real calendars nest three deep (VCALENDAR, VEVENT, VALARM);
    /// the cap keeps every check against the open components constant-time, so no crafted nesting costs more than
    /// a flat file of the same size.
    /// </summary>
    public const int MaxDepth = 16;

    /// <summary>Reads <paramref name="text"/>; <paramref name="defaultZone"/> turns UTC start times into local dates.</summary>
    public static (IReadOnlyList<CalendarEvent> Events, CalendarError? Error) Read(string text, TimeZoneInfo? defaultZone = null)
    {
        if (text is null)
            return Fail(1, "There is no calendar text to read.");
        if (text.Length > MaxBytes || Encoding.UTF8.GetByteCount(text) > MaxBytes)
            return Fail(1, $"The calendar is larger than {MaxBytes / (1024 * 1024)} MB; CoordBot reads smaller feeds only.");

        var lines = Unfold(text, out var foldError);
        if (foldError is not null)
            return (Array.Empty<CalendarEvent>(), foldError);

        var reader = new Parser(defaultZone);
        foreach (var line in lines)
        {
            if (reader.Accept(line) is { } error)
                return (Array.Empty<CalendarEvent>(), error);
        }
        if (reader.Finish() is { } endError)
            return (Array.Empty<CalendarEvent>(), endError);
        return (reader.Events, null);
    }

    /// <summary>
    /// The UID given to an event that has none: "coordbot-" and the first 16 bytes (hex) of the SHA-256 of the raw
    /// DTSTART value, a newline and the unescaped SUMMARY, so re-importing the same feed gives the same UIDs.
    /// </summary>
    public static string DerivedUid(string dtstart, string summary)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(dtstart + "\n" + summary));
        return "coordbot-" + Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }

    private static (IReadOnlyList<CalendarEvent>, CalendarError?) Fail(int line, string message) =>
        (Array.Empty<CalendarEvent>(), new CalendarError(line, message));

    /// <summary>A content line after unfolding, with the line number of its first physical line.</summary>
    private readonly record struct LogicalLine(int Number, string Text);

    /// <summary>
    /// Splits on CRLF, LF or a lone CR, drops a BOM and blank lines, and joins folded lines (RFC 5545 §3.1).
    /// One pass; a line that is not folded is one substring, a folded one one builder.
    /// </summary>
    private static List<LogicalLine> Unfold(string text, out CalendarError? error)
    {
        error = null;
        var result = new List<LogicalLine>();
        var (currentStart, currentLength, currentNumber) = (-1, 0, 0);   // the pending line, while it is one physical line
        StringBuilder? folded = null;                                     // the pending line, once a continuation joined it
        var number = 0;
        var position = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;

        void Flush()
        {
            if (folded is not null) result.Add(new LogicalLine(currentNumber, folded.ToString()));
            else if (currentStart >= 0) result.Add(new LogicalLine(currentNumber, text.Substring(currentStart, currentLength)));
            (currentStart, folded) = (-1, null);
        }

        while (position <= text.Length)
        {
            var end = text.AsSpan(position).IndexOfAny('\r', '\n') is var found and >= 0 ? position + found : text.Length;
            number++;
            var physical = text.AsSpan(position, end - position);
            if (physical.Length > 0 && (physical[0] == ' ' || physical[0] == '\t'))
            {
                if (currentStart < 0)
                {
                    // Whitespace before anything else, or after a blank line: accept a blank-looking line, refuse content.
                    if (!physical.IsWhiteSpace())
                    {
                        error = new CalendarError(number, "This line starts with a space, so it continues the line before, but there is no line before it to continue.");
                        return result;
                    }
                }
                else
                {
                    folded ??= new StringBuilder().Append(text, currentStart, currentLength);
                    folded.Append(physical[1..]);
                }
            }
            else
            {
                Flush();
                if (physical.Length > 0) (currentStart, currentLength, currentNumber) = (position, physical.Length, number);
            }
            if (end >= text.Length)
                break;
            position = end + (text[end] == '\r' && end + 1 < text.Length && text[end + 1] == '\n' ? 2 : 1);
        }
        Flush();
        return result;
    }

    private static readonly IReadOnlyDictionary<string, string> NoParameters = new Dictionary<string, string>();

    /// <summary>A parsed content line: NAME;PARAM=value:VALUE.</summary>
    private sealed record Property(string Name, IReadOnlyDictionary<string, string> Parameters, string Value);

    /// <summary>Splits a content line; the value starts after the first colon that is not inside double quotes.</summary>
    private static Property? ParseProperty(LogicalLine line, out CalendarError? error)
    {
        error = null;
        var text = line.Text;
        var inQuotes = false;
        var colon = -1;
        List<int>? separators = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"')
                inQuotes = !inQuotes;
            else if (!inQuotes && c == ';')
                (separators ??= []).Add(i);
            else if (!inQuotes && c == ':')
            {
                colon = i;
                break;
            }
        }
        if (colon < 0)
        {
            error = new CalendarError(line.Number, inQuotes
                ? $"\"{Shorten(text)}\" has a quote that is never closed, so the value is missing."
                : $"\"{Shorten(text)}\" is not a calendar property: it has no colon between the name and the value.");
            return null;
        }

        var nameEnd = separators is { Count: > 0 } ? separators[0] : colon;
        var name = text[..nameEnd];
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            error = new CalendarError(line.Number, $"\"{Shorten(text)}\" does not start with a property name (letters, digits and dashes).");
            return null;
        }

        if (separators is null)
            return new Property(name.ToUpperInvariant(), NoParameters, text[(colon + 1)..]);
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var p = 0; p < separators.Count; p++)
        {
            var from = separators[p] + 1;
            var to = p + 1 < separators.Count ? separators[p + 1] : colon;
            var part = text[from..to];
            var equals = part.IndexOf('=');
            if (equals <= 0)
            {
                error = new CalendarError(line.Number, $"The parameter \"{Shorten(part)}\" of {name.ToUpperInvariant()} is not NAME=value.");
                return null;
            }
            var value = part[(equals + 1)..];
            if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
                value = value[1..^1];
            parameters[part[..equals]] = value;
        }
        return new Property(name.ToUpperInvariant(), parameters, text[(colon + 1)..]);
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";

    /// <summary>Undoes TEXT escaping: \n and \N are newlines; \, \; and \\ are the character itself.</summary>
    private static string Unescape(string value)
    {
        if (!value.Contains('\\'))
            return value;
        var builder = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\\' && i + 1 < value.Length)
            {
                var next = value[i + 1];
                switch (next)
                {
                    case 'n' or 'N':
                        builder.Append('\n');
                        i++;
                        continue;
                    case ',' or ';' or '\\':
                        builder.Append(next);
                        i++;
                        continue;
                }
            }
            builder.Append(c);
        }
        return builder.ToString();
    }

    /// <summary>Splits a TEXT list on commas that are not escaped, then unescapes each item.</summary>
    private static IEnumerable<string> SplitList(string value)
    {
        var start = 0;
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\')
                i++;
            else if (value[i] == ',')
            {
                yield return Unescape(value[start..i]);
                start = i + 1;
            }
        }
        yield return Unescape(value[start..]);
    }

    /// <summary>The state machine over content lines: a stack of open components and the VEVENT being read.</summary>
    private sealed class Parser(TimeZoneInfo? defaultZone)
    {
        private readonly List<(string Name, int Line)> _open = [];
        private EventBuilder? _event;
        private bool _sawCalendar;

        public List<CalendarEvent> Events { get; } = [];

        public CalendarError? Accept(LogicalLine line)
        {
            var property = ParseProperty(line, out var error);
            if (property is null)
                return error;

            if (!_sawCalendar && !(property.Name == "BEGIN" && IsComponent(property, "VCALENDAR")))
                return new CalendarError(line.Number, "This is not an iCalendar file: it must start with BEGIN:VCALENDAR.");

            return property.Name switch
            {
                "BEGIN" => Begin(line, property.Value.Trim().ToUpperInvariant()),
                "END" => End(line, property.Value.Trim().ToUpperInvariant()),
                _ => Content(line, property),
            };
        }

        public CalendarError? Finish()
        {
            if (!_sawCalendar)
                return new CalendarError(1, "This is not an iCalendar file: there is no BEGIN:VCALENDAR.");
            if (_open.Count > 0)
            {
                var (name, line) = _open[^1];
                return new CalendarError(line, $"BEGIN:{name} is never closed: END:{name} is missing.");
            }
            return null;
        }

        private static bool IsComponent(Property property, string name) =>
            string.Equals(property.Value.Trim(), name, StringComparison.OrdinalIgnoreCase);

        private CalendarError? Begin(LogicalLine line, string name)
        {
            if (name.Length == 0)
                return new CalendarError(line.Number, "BEGIN has no component name.");
            if (_open.Count >= MaxDepth)
                return new CalendarError(line.Number, $"BEGIN:{Shorten(name)} nests components more than {MaxDepth} deep; calendars nest three or four deep.");
            if (name == "VCALENDAR")
            {
                if (_open.Count > 0)
                    return Unclosed(line, "BEGIN:VCALENDAR");
                _sawCalendar = true;
            }
            else if (_open.Count == 0)
            {
                return new CalendarError(line.Number, $"BEGIN:{name} is outside BEGIN:VCALENDAR ... END:VCALENDAR.");
            }
            else if (name == "VEVENT")
            {
                if (_open.Count != 1)
                    return Unclosed(line, "BEGIN:VEVENT");
                if (Events.Count >= MaxEvents)
                    return new CalendarError(line.Number, Invariant($"The calendar has more than {MaxEvents:N0} events; CoordBot reads smaller feeds only."));
                _event = new EventBuilder(line.Number);
            }
            _open.Add((name, line.Number));
            return null;
        }

        /// <summary>The innermost open component should have been closed before this line.</summary>
        private CalendarError Unclosed(LogicalLine line, string found)
        {
            var (name, opened) = _open[^1];
            return new CalendarError(opened, $"BEGIN:{name} is never closed: {found} comes on line {line.Number} before END:{name}.");
        }

        private CalendarError? End(LogicalLine line, string name)
        {
            if (_open.Count == 0 || (_open[^1].Name != name && !_open.Any(o => o.Name == name)))
                return new CalendarError(line.Number, $"END:{(name.Length == 0 ? "(nothing)" : name)} has no matching BEGIN:{name}.");
            if (_open[^1].Name != name)
                return Unclosed(line, $"END:{name}");
            _open.RemoveAt(_open.Count - 1);
            if (name == "VEVENT" && _event is not null)
            {
                var result = _event.Build(defaultZone, out var error);
                _event = null;
                if (result is null)
                    return error;
                Events.Add(result);
            }
            return null;
        }

        private CalendarError? Content(LogicalLine line, Property property)
        {
            if (_open.Count == 0)
                return new CalendarError(line.Number, $"{property.Name} is outside BEGIN:VCALENDAR ... END:VCALENDAR.");
            // Only the VEVENT's own properties matter; VALARM, VTIMEZONE and the calendar's properties are skipped.
            if (_event is null || _open[^1].Name != "VEVENT")
                return null;
            return _event.Add(line, property);
        }
    }

    /// <summary>Collects one VEVENT's properties and checks them when END:VEVENT arrives.</summary>
    private sealed class EventBuilder(int line)
    {
        private string? _uid;
        private string? _summary;
        private string? _location;
        private string? _description;
        private (Property Property, int Line)? _start;
        private readonly List<string> _categories = [];

        public CalendarError? Add(LogicalLine at, Property property)
        {
            switch (property.Name)
            {
                case "UID":
                    _uid = property.Value.Trim();
                    break;
                case "SUMMARY":
                    _summary = Unescape(property.Value).Trim();
                    break;
                case "LOCATION":
                    _location = Unescape(property.Value).Trim();
                    break;
                case "DESCRIPTION":
                    _description = Unescape(property.Value);
                    break;
                case "CATEGORIES":
                    _categories.AddRange(SplitList(property.Value).Select(c => c.Trim()).Where(c => c.Length > 0));
                    break;
                case "DTSTART":
                    if (_start is not null)
                        return new CalendarError(at.Number, $"The event that begins on line {line} has more than one DTSTART.");
                    _start = (property, at.Number);
                    break;
            }
            return null;
        }

        public CalendarEvent? Build(TimeZoneInfo? defaultZone, out CalendarError? error)
        {
            error = null;
            if (_start is not { } start)
            {
                error = new CalendarError(line, "This event has no DTSTART, so it has no date.");
                return null;
            }
            if (string.IsNullOrEmpty(_summary))
            {
                error = new CalendarError(line, "This event has no SUMMARY, so it has no name.");
                return null;
            }
            if (ParseDate(start.Property, defaultZone) is not { } date)
            {
                error = new CalendarError(start.Line,
                    $"DTSTART \"{Shorten(start.Property.Value)}\" is not a valid date (YYYYMMDD) or date-time (YYYYMMDDTHHMMSS, optionally ending in Z).");
                return null;
            }
            var uid = string.IsNullOrEmpty(_uid) ? DerivedUid(start.Property.Value.Trim(), _summary) : _uid;
            return new CalendarEvent(uid, date, _summary, NullIfEmpty(_location), NullIfEmpty(_description), _categories.ToArray(), line);
        }

        private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
    }

    /// <summary>
    /// The local date of a DTSTART. A DATE is itself; a DATE-TIME with a TZID or floating is written in local time
    /// already, so its date part is the local date in its own zone (no zone lookup needed, and an unknown TZID is
    /// harmless); a UTC DATE-TIME is converted to <paramref name="defaultZone"/> when given.
    /// </summary>
    private static DateOnly? ParseDate(Property property, TimeZoneInfo? defaultZone)
    {
        var value = property.Value.Trim();
        property.Parameters.TryGetValue("VALUE", out var kind);
        var isDateOnly = string.Equals(kind, "DATE", StringComparison.OrdinalIgnoreCase);
        if (kind is not null && !isDateOnly && !string.Equals(kind, "DATE-TIME", StringComparison.OrdinalIgnoreCase))
            return null;

        if (value.Length < 8 || !DateOnly.TryParseExact(value.AsSpan(0, 8), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            return null;
        if (value.Length == 8)
            return date;
        if (isDateOnly)
            return null;

        var rest = value.AsSpan(8);
        var utc = rest.Length == 8 && (rest[7] == 'Z' || rest[7] == 'z');
        if (!(rest.Length == 7 || utc) || (rest[0] != 'T' && rest[0] != 't') || !TryTime(rest.Slice(1, 6), out var time))
            return null;
        if (!utc || defaultZone is null)
            return date;

        var instant = date.ToDateTime(time, DateTimeKind.Utc);
        var offset = defaultZone.GetUtcOffset(instant);
        var ticks = instant.Ticks + offset.Ticks;
        return ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks ? date : DateOnly.FromDateTime(new DateTime(ticks));
    }

    private static bool TryTime(ReadOnlySpan<char> digits, out TimeOnly time)
    {
        time = default;
        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
                return false;
        }
        var hour = (digits[0] - '0') * 10 + digits[1] - '0';
        var minute = (digits[2] - '0') * 10 + digits[3] - '0';
        var second = (digits[4] - '0') * 10 + digits[5] - '0';
        if (hour > 23 || minute > 59 || second > 60)
            return false;
        time = new TimeOnly(hour, minute, Math.Min(second, 59));
        return true;
    }
}
