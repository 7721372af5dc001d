using System.Globalization;
using CoordBot.Allies;

namespace CoordBot.Elections;

/// <summary>An election in a jurisdiction: when, what is at stake, and when the winners take office.</summary>
public sealed record Election(
    long Id, long RefNo, string Jurisdiction, string JurisdictionKey, DateOnly Date, string? Name, string? Kind,
    string? Offices, DateOnly? TakesOffice, string? Uid, string CreatedBy)
{
    public string Ref => $"E{RefNo}";
    public string Title => Name ?? $"{Place} {Kind ?? "election"}";

    /// <summary>The jurisdiction for display: an OCD id as its place name, a name typed in lower case capitalised.</summary>
    public string Place => Jurisdiction.StartsWith("ocd-division/", StringComparison.OrdinalIgnoreCase) || Jurisdiction == Jurisdiction.ToLowerInvariant()
        ? CultureInfo.InvariantCulture.TextInfo.ToTitleCase(JurisdictionKey)
        : Jurisdiction;
    public string Label => $"{Title} ({Ref})";
}

/// <summary>The fields of an election as typed or imported.</summary>
public sealed record ElectionFields(string Jurisdiction, DateOnly Date, string? Name = null, string? Kind = null,
    string? Offices = null, DateOnly? TakesOffice = null, string? Uid = null);

/// <summary>A channel's reminder subscription: days before (leads) and after each election, optionally one jurisdiction.</summary>
public sealed record ElectionSubscription(string ChannelId, string Platform, IReadOnlyList<int> Leads, IReadOnlyList<int> Afters, string? JurisdictionKey)
{
    /// <summary>Every reminder offset in days relative to election day: leads negative, afters positive.</summary>
    public IEnumerable<int> Offsets => Leads.Select(d => -d).Concat(Afters);
}

public static class ElectionVocabulary
{
    public static readonly IReadOnlyList<string> Kinds = ["primary", "general", "runoff", "special"];
    public static readonly IReadOnlyList<int> DefaultLeads = [180, 90, 30, 7, 1];
    public static readonly IReadOnlyList<int> DefaultAfters = [1, 30];

    /// <summary>Continuity levels: they stay through an election.</summary>
    public static readonly IReadOnlyList<string> Continuity = ["career", "executive", "staff"];

    /// <summary>The comparable form of a jurisdiction (<see cref="AllyVocabulary.JurisdictionKey"/>), shared with allies.</summary>
    public static string? JurisdictionKey(string? text) => AllyVocabulary.JurisdictionKey(text);

    /// <summary>Parses "180,90,30" into distinct whole days in 1..730, largest first; null with a message when bad.</summary>
    public static (IReadOnlyList<int>? Days, string? Error) ParseDays(string text, string flag)
    {
        var days = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var d) || d < 1 || d > 730)
                return (null, $"--{flag} takes whole days from 1 to 730, separated by commas (e.g. 180,90,30); \"{part}\" is not one.");
            if (!days.Contains(d)) days.Add(d);
        }
        if (days.Count == 0) return (null, $"--{flag} needs at least one number of days, e.g. 30.");
        if (days.Count > 12) return (null, $"--{flag} takes at most 12 values.");
        return (days.OrderDescending().ToList(), null);
    }
}
