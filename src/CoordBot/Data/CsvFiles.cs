using CoordBot.Allies;
using CsvHelper;

namespace CoordBot.Data;

/// <summary>What every CSV import shares: the reader's limits, the messages for broken rows, formula cells read back.</summary>
public static class CsvFiles
{
    /// <summary>
    /// Reader options for an import: line numbers for messages, malformed rows reported into
    /// <paramref name="errors"/> (by line) and skipped rather than thrown, ragged rows allowed (checked per column).
    /// </summary>
    public static CsvReaderOptions ReaderOptions(List<CsvRowError> errors) => CsvReaderOptions.Default with
    {
        TrackLineNumbers = true,
        MalformedData = CsvMalformedDataHandling.Skip,
        FieldCountMismatch = CsvFieldCountHandling.Allow,
        MaxRecordSize = 256 * 1024,
        OnMalformedRecord = bad => errors.Add(new CsvRowError((int)bad.LineNumber, Malformed(bad.Reason))),
    };

    /// <summary>A reader over pasted or attached text (a leading byte-order mark is dropped).</summary>
    public static CsvReader Open(string text, List<CsvRowError> errors) => CsvReader.FromText(text.TrimStart('\uFEFF'), ReaderOptions(errors));

    /// <summary>A cell that an export protected from running as a formula (<c>'=…</c>) reads back as written.</summary>
    public static string Unescape(string value) =>
        value.Length > 1 && value[0] == '\'' && "=+-@".Contains(value[1]) ? value[1..] : value;

    private static string Malformed(CsvMalformedReason reason) => reason switch
    {
        CsvMalformedReason.UnterminatedQuote => "a quoted value is never closed.",
        CsvMalformedReason.StrayQuote => "a quote appears inside an unquoted value; quote the whole value and double the inner quotes.",
        CsvMalformedReason.TextAfterClosingQuote => "there is text after a closing quote.",
        _ => "the row is malformed.",
    };
}
