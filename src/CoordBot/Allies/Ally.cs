using System.Globalization;
using System.Text.RegularExpressions;

namespace CoordBot.Allies;

/// <summary>A stakeholder ally: a person in or around government, and how the coalition relates to them.</summary>
public sealed record Ally(
    long Id,
    long RefNo,
    string Name,
    string? Org,
    string? Role,
    string? Sector,
    string? Level,
    string? Jurisdiction,
    string Stance,
    string? Email,
    string? Phone,
    IReadOnlyList<string> Tags,
    string? Owner,
    string? Notes,
    DateOnly? LastContact,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateOnly? LeftOffice = null,
    int? ContactEvery = null,
    DateOnly? DueOn = null,
    DateOnly? RoleSince = null,
    string? ExternalId = null,
    DateOnly? TermEnds = null)
{
    /// <summary>When the current role began: the last change of role, organization, level or jurisdiction, else the day the ally was added.</summary>
    public DateOnly CurrentSince => RoleSince ?? DateOnly.FromDateTime(CreatedAt.UtcDateTime);

    /// <summary>The person who keeps this relationship warm: the owner, else whoever added the ally.</summary>
    public string Keeper => Owner ?? CreatedBy;

    public string Ref => $"A{RefNo}";
    public string Label => $"{Name} ({Ref})";
}

/// <summary>The editable fields of an ally, as typed (flag name → value). Null means "not given".</summary>
public sealed record AllyFields
{
    public string? Name { get; init; }
    public string? Org { get; init; }
    public string? Role { get; init; }
    public string? Sector { get; init; }
    public string? Level { get; init; }
    public string? Jurisdiction { get; init; }
    public string? Stance { get; init; }
    public string? Email { get; init; }
    public string? Phone { get; init; }
    public string? Tags { get; init; }
    public string? Owner { get; init; }
    public string? Notes { get; init; }
    public DateOnly? LastContact { get; init; }

    /// <summary>The person's id in an outside source (<c>ocd-person/…</c> from Open States); set when the ally is added.</summary>
    public string? ExternalId { get; init; }

    /// <summary>The day the current term ends, where the source gives it.</summary>
    public DateOnly? TermEnds { get; init; }

    /// <summary>The day the current role began, where the source gives it (else the day the ally is added).</summary>
    public DateOnly? RoleSince { get; init; }

    /// <summary>The ally's own contact interval in days (0: none); <see cref="LevelCadence"/> goes back to its level's. Null: not given.</summary>
    public int? Every { get; init; }

    /// <summary>The <see cref="Every"/> value that clears the ally's own interval, so its level's applies.</summary>
    public const int LevelCadence = -1;
}

/// <summary>The words of the ally commands (docs/commands.md#ally-add), and the checks shared by commands and CSV import.</summary>
public static partial class AllyVocabulary
{
    public static readonly IReadOnlyList<string> Sectors = ["government", "nonprofit", "business", "philanthropy", "community", "academia", "media", "other"];
    public static readonly IReadOnlyList<string> Levels = ["elected", "appointed", "career", "executive", "staff", "volunteer", "resident", "other"];
    public static readonly IReadOnlyList<string> Stances = ["champion", "supporter", "neutral", "skeptic", "opponent", "unknown"];
    public static readonly IReadOnlyList<string> Channels = ["meeting", "call", "email", "event", "message"];

    /// <summary>Levels that turn over at an election in their jurisdiction.</summary>
    public static readonly IReadOnlyList<string> AtRisk = ["elected", "appointed"];

    public const int MaxNameLength = 200;

    [GeneratedRegex(@"^[Aa](\d{1,9})$")]
    private static partial Regex RefRegex();

    [GeneratedRegex(@"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")]
    private static partial Regex EmailRegex();

    public static long? ParseRef(string text) => RefRegex().Match(text.Trim()) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    public static bool IsEmail(string text) => text.Length <= 254 && EmailRegex().IsMatch(text);

    /// <summary>Lower-case, trimmed, de-duplicated tags from "a, b,c".</summary>
    public static IReadOnlyList<string> ParseTags(string? text) =>
        (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(t => t.ToLowerInvariant()).Distinct().ToList();

    /// <summary>Trims and collapses runs of whitespace ("Jane  Doe " → "Jane Doe").</summary>
    public static string? Squash(string? text) => string.IsNullOrWhiteSpace(text) ? null : string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>The case-insensitive key used for name prefixes, org and jurisdiction matches.</summary>
    public static string? Key(string? text) => Squash(text)?.ToLowerInvariant();

    /// <summary>
    /// The comparable form of a jurisdiction: case and spacing folded, and an Open Civic Data id reduced to
    /// its last division's name, so the id and the plain name match the same allies and elections:
    /// <c>ocd-division/country:us/state:ga/place:atlanta</c> and
    /// <c>ocd-jurisdiction/country:us/state:ga/place:atlanta/government</c> both give <c>atlanta</c>.
    /// </summary>
    public static string? JurisdictionKey(string? text)
    {
        if (Squash(text) is not { } squashed) return null;
        var jurisdiction = squashed.StartsWith("ocd-jurisdiction/", StringComparison.OrdinalIgnoreCase);
        if (jurisdiction || squashed.StartsWith("ocd-division/", StringComparison.OrdinalIgnoreCase))
        {
            var parts = squashed.Split('/', StringSplitOptions.RemoveEmptyEntries);
            // An ocd-jurisdiction id ends in the kind of body (government, legislature) after its division.
            var last = parts.Length > (jurisdiction ? 2 : 1) ? parts[jurisdiction ? ^2 : ^1] : parts[^1];
            var colon = last.IndexOf(':');
            squashed = (colon >= 0 ? last[(colon + 1)..] : last).Replace('_', ' ').Replace('~', ' ');
        }
        return Key(squashed);
    }

    /// <summary>Checks typed fields; returns the first problem, naming the field and what is accepted, or null.</summary>
    public static (string Field, string Message)? Validate(AllyFields f)
    {
        if (f.Name is not null && string.IsNullOrWhiteSpace(f.Name)) return ("name", "The name can't be empty.");
        if (f.Name is { Length: > MaxNameLength }) return ("name", $"The name is too long ({f.Name.Length} characters; at most {MaxNameLength}).");
        if (f.Name is not null && ParseRef(f.Name) is not null) return ("name", $"\"{f.Name}\" looks like a reference (A12); give the ally a real name.");
        if (!OneOf(f.Sector, Sectors)) return ("sector", $"\"{f.Sector}\" is not a sector. Accepted: {string.Join(", ", Sectors)}.");
        if (!OneOf(f.Level, Levels)) return ("level", $"\"{f.Level}\" is not a level. Accepted: {string.Join(", ", Levels)}.");
        if (!OneOf(f.Stance, Stances)) return ("stance", $"\"{f.Stance}\" is not a stance. Accepted: {string.Join(", ", Stances)}.");
        if (!string.IsNullOrEmpty(f.Email) && !IsEmail(f.Email)) return ("email", $"\"{f.Email}\" doesn't look like an email address.");
        if (f.Phone is { Length: > 40 }) return ("phone", "The phone number is too long (at most 40 characters).");
        return null;
    }

    private static bool OneOf(string? value, IReadOnlyList<string> choices) => string.IsNullOrEmpty(value) || choices.Contains(value);
}
