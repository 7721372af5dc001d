using System.Globalization;

namespace CoordBot.Allies.OpenStates;

/// <summary>
/// Turns an Open States person into ally fields: the current role as a title ("State Senator, District E"),
/// the organization named from the jurisdiction ("Alaska Legislature", "State of Alaska", "City of Anchorage"),
/// the jurisdiction kept as its Open Civic Data id, level elected, sector government, party as a tag.
/// </summary>
public static class OpenStatesAllies
{
    public static AllyFields Fields(OpenStatesPerson person, OpenStatesRole role) => new()
    {
        Name = person.Name,
        Role = Title(role),
        Org = Org(role),
        Sector = "government",
        Level = "elected",
        Jurisdiction = role.Jurisdiction,
        Email = person.Email,
        Phone = person.Phone,
        Tags = PartyTag(person.Party),
        ExternalId = person.Id,
        TermEnds = role.End,
    };

    /// <summary>The party as a tag ("Democratic" → "democratic", "Working Families" → "working-families").</summary>
    public static string? PartyTag(string? party) =>
        AllyVocabulary.Squash(party) is { } p ? p.ToLowerInvariant().Replace(' ', '-').Replace(",", "") : null;

    public static string Title(OpenStatesRole role)
    {
        var title = role.Type switch
        {
            "upper" => "State Senator",
            "lower" => "State Representative",
            "legislature" => "Legislator",
            "governor" => "Governor",
            "lt_governor" => "Lieutenant Governor",
            "mayor" => "Mayor",
            "council" or "councilmember" => "Council member",
            _ => Humanize(role.Type),
        };
        return role.District is { } district ? $"{title}, District {district}" : title;
    }

    public static string Org(OpenStatesRole role)
    {
        // ocd-jurisdiction/country:us/state:ak[/place:anchorage]/government: the last division names the body.
        var parts = role.Jurisdiction.Split('/');
        var divisions = parts[1..^1].Select(p => p.Split(':', 2)).Where(p => p.Length == 2).ToList();
        var (kind, id) = divisions.Count > 0 ? (divisions[^1][0], divisions[^1][1]) : ("country", "us");
        var state = divisions.FirstOrDefault(d => d[0] is "state" or "district" or "territory")?[1];
        var stateName = state is not null && States.TryGetValue(state, out var n) ? n : state?.ToUpperInvariant();
        var place = Humanize(id.Replace('~', ' ').Replace('-', ' '), everyWord: true);
        return kind switch
        {
            "state" or "district" or "territory" when role.Type is "upper" or "lower" or "legislature" => $"{stateName} Legislature",
            "state" or "district" or "territory" => $"State of {stateName}",
            "place" => $"City of {place}",
            "county" => $"{place} County",
            _ => place,
        };
    }

    private static string Humanize(string text, bool everyWord = false)
    {
        var words = text.Replace('_', ' ');
        return everyWord ? CultureInfo.InvariantCulture.TextInfo.ToTitleCase(words) : char.ToUpperInvariant(words[0]) + words[1..];
    }

    private static readonly Dictionary<string, string> States = new(StringComparer.Ordinal)
    {
        ["al"] = "Alabama", ["ak"] = "Alaska", ["az"] = "Arizona", ["ar"] = "Arkansas", ["ca"] = "California", ["co"] = "Colorado",
        ["ct"] = "Connecticut", ["de"] = "Delaware", ["dc"] = "District of Columbia", ["fl"] = "Florida", ["ga"] = "Georgia",
        ["hi"] = "Hawaii", ["id"] = "Idaho", ["il"] = "Illinois", ["in"] = "Indiana", ["ia"] = "Iowa", ["ks"] = "Kansas",
        ["ky"] = "Kentucky", ["la"] = "Louisiana", ["me"] = "Maine", ["md"] = "Maryland", ["ma"] = "Massachusetts",
        ["mi"] = "Michigan", ["mn"] = "Minnesota", ["ms"] = "Mississippi", ["mo"] = "Missouri", ["mt"] = "Montana",
        ["ne"] = "Nebraska", ["nv"] = "Nevada", ["nh"] = "New Hampshire", ["nj"] = "New Jersey", ["nm"] = "New Mexico",
        ["ny"] = "New York", ["nc"] = "North Carolina", ["nd"] = "North Dakota", ["oh"] = "Ohio", ["ok"] = "Oklahoma",
        ["or"] = "Oregon", ["pa"] = "Pennsylvania", ["pr"] = "Puerto Rico", ["ri"] = "Rhode Island", ["sc"] = "South Carolina",
        ["sd"] = "South Dakota", ["tn"] = "Tennessee", ["tx"] = "Texas", ["ut"] = "Utah", ["vt"] = "Vermont", ["va"] = "Virginia",
        ["wa"] = "Washington", ["wv"] = "West Virginia", ["wi"] = "Wisconsin", ["wy"] = "Wyoming",
    };
}
