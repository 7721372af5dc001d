using System.Globalization;
using CoordBot.Allies;
using CoordBot.Chat;
using CoordBot.Data;
using CsvHelper;

namespace CoordBot.CheckIns;

/// <summary>
/// A check-in CSV as read: one check-in per week and member (a later row for the same week and
/// member replaces an earlier one; <paramref name="Superseded"/> counts the rows so replaced), the
/// rows with errors, or a problem with the whole file.
/// </summary>
public sealed record CheckInImport(IReadOnlyList<CheckIn> Rows, int Superseded, IReadOnlyList<CsvRowError> Errors, string? FileError);

/// <summary>
/// Reads and writes an initiative's check-ins as CSV: <c>week</c>, <c>member</c>, one column per
/// metric (in the initiative's order), then the four answers and <c>submitted_at</c>.
/// </summary>
public sealed class CheckInCsv
{
    /// <summary>The columns before the metrics.</summary>
    public static readonly IReadOnlyList<string> LeadingColumns = ["week", "member"];

    /// <summary>The columns after the metrics: the answers of the check-in form and when it was submitted.</summary>
    public static readonly IReadOnlyList<string> TrailingColumns = ["wins", "barriers", "next", "help_needed", "submitted_at"];

    private const int MaxRows = 20_000;
    private const int MaxField = 4000;
    private const double MaxValue = 1e12;

    /// <summary>A header cell: one of the fixed columns, or a metric of the initiative.</summary>
    private readonly record struct Column(string? Fixed, Metric? Metric)
    {
        public string Key => Fixed ?? "metric:" + Metric!.Name;
    }

    /// <summary>
    /// Reads check-ins for <paramref name="initiative"/>. Rows without a member column (or with an
    /// empty member cell) are <paramref name="importer"/>'s; rows without <c>submitted_at</c> are
    /// stamped <paramref name="now"/>, a tick apart in file order so that "the last value of the
    /// week" follows the file. A week after <paramref name="thisWeek"/> is an error.
    /// </summary>
    public CheckInImport Read(string text, Initiative initiative, string importer, DateTimeOffset now, string thisWeek)
    {
        var errors = new List<CsvRowError>();
        using var reader = CsvFiles.Open(text, errors);
        string[] header;
        try
        {
            header = reader.Headers.Select(h => CsvFiles.Unescape(UserText.Stored(h).Trim())).ToArray();
        }
        catch (CsvFormatException)
        {
            return Refused("the header row can't be read (an unclosed quote?).");
        }
        if (header.Length == 0 || header.All(h => h.Length == 0))
            return Refused("the CSV is empty; the first row must name the columns.");

        var (columns, problem) = Columns(header, initiative);
        if (problem is not null) return Refused(problem);

        // Keyed by week and member; a later row replaces an earlier one.
        var rows = new Dictionary<(string Week, string Member), (int Order, CheckIn CheckIn)>();
        var read = 0;
        var superseded = 0;
        try
        {
            while (reader.Read())
            {
                var line = (int)reader.LineNumber;
                if (read + errors.Count >= MaxRows)
                    return Refused($"the file has more than {MaxRows} rows; split it into smaller files.");
                var extra = Enumerable.Range(header.Length, Math.Max(0, reader.FieldCount - header.Length)).Any(i => !reader.IsEmpty(i));
                if (extra)
                {
                    errors.Add(new CsvRowError(line, $"the row has {reader.FieldCount} values but the header names {header.Length} columns."));
                    continue;
                }
                var values = new string[header.Length];
                for (var i = 0; i < header.Length; i++) values[i] = CsvFiles.Unescape(UserText.Stored(reader.GetString(i)).Trim());
                if (values.All(v => v.Length == 0)) continue;
                var (checkIn, rowProblem) = ToCheckIn(columns, values, importer, now.AddTicks(read - MaxRows), now, thisWeek, initiative.Metrics);
                if (rowProblem is not null)
                {
                    errors.Add(new CsvRowError(line, rowProblem));
                    continue;
                }
                read++;
                if (rows.Remove((checkIn!.Week, checkIn.Member))) superseded++;
                rows[(checkIn.Week, checkIn.Member)] = (read, checkIn);
            }
        }
        catch (CsvFormatException e)
        {
            errors.Add(new CsvRowError((int)e.LineNumber, "the row can't be read (a quoted value that is too long or never closed)."));
        }
        if (rows.Count == 0 && errors.Count == 0) return Refused("the CSV has a header but no rows.");
        errors.Sort((a, b) => a.Row.CompareTo(b.Row));
        return new(rows.Values.OrderBy(r => r.Order).Select(r => r.CheckIn).ToList(), superseded, errors, null);
    }

    private static CheckInImport Refused(string problem) => new([], 0, [], problem);

    /// <summary>
    /// What each header cell names. A metric may share a fixed column's name (a metric called
    /// "next"): export writes week and member before the metrics and the answers after them, so the
    /// first such column is the fixed one for week and member, and the metric for the others.
    /// </summary>
    private static (Column[] Columns, string? Problem) Columns(string[] header, Initiative initiative)
    {
        var columns = new Column[header.Length];
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        var unknown = new List<string>();
        for (var i = 0; i < header.Length; i++)
        {
            var key = header[i].ToLowerInvariant().Replace(' ', '_').Replace('-', '_');
            var fixedName = LeadingColumns.Contains(key) || TrailingColumns.Contains(key) ? key : null;
            var metric = initiative.Metrics.FirstOrDefault(m => string.Equals(m.Name, header[i], StringComparison.OrdinalIgnoreCase));
            Column? asFixed = fixedName is null ? null : new Column(fixedName, null);
            Column? asMetric = metric is null ? null : new Column(null, metric);
            if (asFixed is null && asMetric is null)
            {
                unknown.Add(header[i]);
                continue;
            }
            Column?[] candidates = LeadingColumns.Contains(key) ? [asFixed, asMetric] : [asMetric, asFixed];
            var free = candidates.FirstOrDefault(c => c is { } col && !claimed.Contains(col.Key));
            if (free is not { } column) return ([], $"the column \"{Short(header[i])}\" appears twice.");
            claimed.Add(column.Key);
            columns[i] = column;
        }
        if (unknown.Count > 0)
            return ([], $"unknown column{(unknown.Count == 1 ? "" : "s")} {string.Join(", ", unknown.Select(u => $"\"{Short(u)}\""))}. " +
                        $"The metrics of {initiative.Label} are {string.Join(", ", initiative.Metrics.Select(m => m.Name))}; " +
                        $"the other columns are {string.Join(", ", LeadingColumns.Concat(TrailingColumns))}.");
        if (!claimed.Contains("week")) return ([], "the header row has no week column (the only required one).");
        return (columns, null);
    }

    private static (CheckIn? CheckIn, string? Problem) ToCheckIn(Column[] columns, string[] cells, string importer, DateTimeOffset stamp,
        DateTimeOffset now, string thisWeek, IReadOnlyList<Metric> metrics)
    {
        for (var i = 0; i < cells.Length; i++)
            if (cells[i].Length > MaxField)
                return (null, $"{Name(columns[i])} is too long ({cells[i].Length} characters; at most {MaxField}).");

        string? Get(string column)
        {
            var i = Array.FindIndex(columns, c => c.Fixed == column);
            return i >= 0 && cells[i].Length > 0 ? cells[i] : null;
        }

        if (Get("week") is not { } weekText) return (null, "week is empty.");
        if (IsoWeeks.Parse(weekText) is not { } monday || monday.Year < 1900)
            return (null, $"week \"{Short(weekText)}\" is not an ISO week like 2026-W07 or a date like 2026-02-16.");
        var week = IsoWeeks.Of(monday);
        if (string.CompareOrdinal(week, thisWeek) > 0) return (null, $"week {week} is in the future (this week is {thisWeek}).");

        var member = importer;
        if (Get("member") is { } memberText && !UserRef.TryParse(memberText, out member))
            return (null, $"member \"{Short(memberText)}\" is not a user like U123 or @U123.");

        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var i = 0; i < columns.Length; i++)
        {
            if (columns[i].Metric is not { } metric || cells[i].Length == 0) continue;
            if (!double.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) || Math.Abs(value) > MaxValue)
                return (null, $"{metric.Name} \"{Short(cells[i])}\" is not a number like 42 or 3.5 (at most 10^12).");
            if (value < 0) return (null, $"{metric.Name} {Short(cells[i])} is negative; every metric counts something, 0 or more.");
            values[metric.Name] = value;
        }
        Metric.CompleteTotals(metrics, values);   // an inflow or outflow left empty is the sum of its parts

        if (Get("submitted_at") is { } atText)
        {
            if (!DateTimeOffset.TryParse(atText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) || at.Year < 1900)
                return (null, $"submitted_at \"{Short(atText)}\" is not a time like 2026-02-16T09:30:00Z.");
            if (at > now) return (null, $"submitted_at {at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC is in the future.");
            stamp = at.ToUniversalTime();
        }
        return (new CheckIn(week, member, values, Get("wins"), Get("barriers"), Get("next"), Get("help_needed"), stamp), null);
    }

    private static string Name(Column c) => c.Fixed ?? c.Metric!.Name;

    /// <summary>Writes the check-ins as CSV. Text cells that a spreadsheet would run as a formula get a leading apostrophe; numbers stay numbers.</summary>
    public string Write(Initiative initiative, IReadOnlyList<CheckIn> checkIns)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var writer = CsvWriter.Create(text, CsvWriterOptions.Default with { Injection = CsvInjection.Escape }, leaveOpen: true))
        {
            foreach (var column in LeadingColumns.Concat(initiative.Metrics.Select(m => m.Name)).Concat(TrailingColumns)) writer.WriteField(column);
            writer.EndRecord();
            foreach (var c in checkIns)
            {
                writer.WriteField(c.Week);
                writer.WriteField(c.Member);
                foreach (var metric in initiative.Metrics)
                {
                    if (c.Values.TryGetValue(metric.Name, out var value)) writer.WriteField(value, "", CultureInfo.InvariantCulture);
                    else writer.WriteField("");
                }
                foreach (var answer in new[] { c.Wins, c.Barriers, c.NextSteps, c.HelpNeeded }) writer.WriteField(answer ?? "");
                writer.WriteField(c.SubmittedAt.UtcDateTime, "O");
                writer.EndRecord();
            }
            writer.Flush();
        }
        return text.ToString();
    }

    /// <summary>A table as CSV (header, then rows), with formula-like text defused as in <see cref="Write"/>.</summary>
    public static string WriteRows(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var writer = CsvWriter.Create(text, CsvWriterOptions.Default with { Injection = CsvInjection.Escape }, leaveOpen: true))
        {
            foreach (var column in header) writer.WriteField(column);
            writer.EndRecord();
            foreach (var row in rows)
            {
                foreach (var cell in row) writer.WriteField(cell);
                writer.EndRecord();
            }
            writer.Flush();
        }
        return text.ToString();
    }

    private static string Short(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
