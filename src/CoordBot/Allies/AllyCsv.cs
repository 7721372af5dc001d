using System.Globalization;
using CoordBot.Chat;
using CoordBot.Data;
using CsvHelper;

namespace CoordBot.Allies;

/// <summary>A CSV row that could not be imported, with its line number (the header is row 1).</summary>
public sealed record CsvRowError(int Row, string Message);

public sealed record CsvImport(IReadOnlyList<AllyFields> Rows, IReadOnlyList<CsvRowError> Errors, string? FileError);

/// <summary>Reads and writes allies as CSV; the columns are the flag names of <c>ally add</c>.</summary>
public sealed class AllyCsv
{
    public static readonly IReadOnlyList<string> ImportColumns =
        ["name", "org", "role", "sector", "level", "jurisdiction", "stance", "email", "phone", "tags", "owner", "notes", "last_contact"];

    /// <summary>Columns that export writes and import accepts but does not use (a new import gets new references).</summary>
    private static readonly IReadOnlyList<string> IgnoredColumns = ["ref", "role_history"];

    private const int MaxRows = 20_000;
    private const int MaxField = 4000;

    public CsvImport Read(string text)
    {
        var errors = new List<CsvRowError>();
        var rows = new List<AllyFields>();
        using var reader = CsvFiles.Open(text, errors);
        string[] header;
        try
        {
            header = reader.Headers.Select(h => h.Trim().ToLowerInvariant().Replace(' ', '_').Replace('-', '_')).ToArray();
        }
        catch (CsvFormatException)
        {
            return new([], [], "the header row can't be read (an unclosed quote?).");
        }
        if (header.Length == 0 || header.All(h => h.Length == 0))
            return new([], [], "the CSV is empty; the first row must name the columns.");
        var unknown = header.Where(h => !ImportColumns.Contains(h) && !IgnoredColumns.Contains(h)).ToList();
        if (unknown.Count > 0)
            return new([], [], $"unknown column{(unknown.Count == 1 ? "" : "s")} {string.Join(", ", unknown.Select(u => $"\"{Short(u)}\""))}. Accepted: {string.Join(", ", ImportColumns)}.");
        if (!header.Contains("name")) return new([], [], "the header row has no name column (the only required one).");
        var duplicate = header.GroupBy(h => h).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) return new([], [], $"the column \"{duplicate.Key}\" appears twice.");

        try
        {
            while (reader.Read())
            {
                var line = (int)reader.LineNumber;
                if (rows.Count + errors.Count >= MaxRows)
                    return new([], [], $"the file has more than {MaxRows} rows; split it into smaller files.");
                var extra = Enumerable.Range(header.Length, Math.Max(0, reader.FieldCount - header.Length)).Any(i => !reader.IsEmpty(i));
                if (extra)
                {
                    errors.Add(new CsvRowError(line, $"the row has {reader.FieldCount} values but the header names {header.Length} columns."));
                    continue;
                }
                var values = new Dictionary<string, string>();
                for (var i = 0; i < header.Length; i++)
                {
                    var value = UserText.Stored(reader.GetString(i)).Trim();
                    value = CsvFiles.Unescape(value);
                    values[header[i]] = value;
                }
                if (values.Values.All(string.IsNullOrEmpty)) continue;
                var (fields, problem) = ToFields(values);
                if (problem is not null) errors.Add(new CsvRowError(line, problem));
                else rows.Add(fields!);
            }
        }
        catch (CsvFormatException e)
        {
            errors.Add(new CsvRowError((int)e.LineNumber, "the row can't be read (a quoted value that is too long or never closed)."));
        }
        if (rows.Count == 0 && errors.Count == 0) return new([], [], "the CSV has a header but no rows.");
        errors.Sort((a, b) => a.Row.CompareTo(b.Row));
        return new(rows, errors, null);
    }

    private static (AllyFields? Fields, string? Problem) ToFields(Dictionary<string, string> v)
    {
        string? Get(string column) => v.TryGetValue(column, out var s) && s.Length > 0 ? s : null;
        string? Lower(string column) => Get(column)?.ToLowerInvariant();
        var tooLong = v.FirstOrDefault(kv => kv.Value.Length > MaxField);
        if (tooLong.Key is not null) return (null, $"{tooLong.Key} is too long ({tooLong.Value.Length} characters; at most {MaxField}).");
        if (Get("name") is null) return (null, "name is empty.");
        string? owner = null;
        if (Get("owner") is { } ownerText && !UserRef.TryParse(ownerText, out owner!))
            return (null, $"owner \"{Short(ownerText)}\" is not a user like @alice.");
        DateOnly? lastContact = null;
        if (Get("last_contact") is { } dateText)
        {
            if (!DateOnly.TryParseExact(dateText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
                return (null, $"last_contact \"{Short(dateText)}\" is not an ISO date like 2026-03-01.");
            lastContact = d;
        }
        var fields = new AllyFields
        {
            Name = Get("name"), Org = Get("org"), Role = Get("role"), Sector = Lower("sector"), Level = Lower("level"),
            Jurisdiction = Get("jurisdiction"), Stance = Lower("stance"), Email = Get("email"), Phone = Get("phone"),
            Tags = Get("tags"), Owner = owner, Notes = Get("notes"), LastContact = lastContact,
        };
        return AllyVocabulary.Validate(fields) is { } problem ? (null, problem.Message) : (fields, null);
    }

    /// <summary>Writes allies as CSV. Cells that a spreadsheet would run as a formula get a leading apostrophe.</summary>
    /// <summary>Every ally as CSV, with its role history last ("Council member, City of Atlanta (elected, atlanta), 2022-01-03 – 2026-01-05 | …").</summary>
    public async Task<(string Content, int Count)> WriteAsync(IAsyncEnumerable<Ally> allies, IReadOnlyDictionary<long, List<RoleEntry>> roles, CancellationToken ct)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture);
        var count = 0;
        await using (var writer = CsvWriter.Create(text, CsvWriterOptions.Default with { Injection = CsvInjection.Escape }, leaveOpen: true))
        {
            foreach (var column in ImportColumns.Prepend("ref").Append("role_history")) writer.WriteField(column);
            writer.EndRecord();
            await foreach (var a in allies.WithCancellation(ct))
            {
                string?[] cells =
                [
                    a.Ref, a.Name, a.Org, a.Role, a.Sector, a.Level, a.Jurisdiction, a.Stance, a.Email, a.Phone,
                    string.Join(',', a.Tags), a.Owner is null ? null : "@" + a.Owner, a.Notes,
                    a.LastContact?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    roles.TryGetValue(a.Id, out var history) ? string.Join(" | ", history.Select(r => r.Text)) : null,
                ];
                foreach (var cell in cells) writer.WriteField(cell ?? "");
                await writer.EndRecordAsync(ct);
                count++;
            }
            await writer.FlushAsync(ct);
        }
        return (text.ToString(), count);
    }

    private static string Short(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
