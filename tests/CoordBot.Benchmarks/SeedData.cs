using System.Globalization;
using CoordBot.Allies;

namespace CoordBot.Benchmarks;

/// <summary>
/// Deterministic, realistic-looking allies. The word lists are public so the benchmark can pick
/// search terms that are known to match seeded rows.
/// </summary>
public sealed class SeedData(int seed)
{
    public static readonly string[] FirstNames = Words("""
        James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph Jessica
        Thomas Sarah Christopher Karen Charles Lisa Daniel Nancy Matthew Betty Anthony Sandra Mark Margaret Donald Ashley
        Steven Kimberly Andrew Emily Paul Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah
        Timothy Stephanie Ronald Dorothy Jason Rebecca Edward Sharon Jeffrey Laura Ryan Cynthia Jacob Amy Gary Kathleen
        Nicholas Angela Eric Shirley Jonathan Brenda Stephen Emma Larry Anna Justin Pamela Scott Nicole Brandon Samantha
        Benjamin Katherine Samuel Christine Gregory Helen Alexander Debra Patrick Rachel Frank Carolyn Raymond Janet Jack
        Maria Dennis Catherine Jerry Heather Tyler Diane Aaron Olivia Jose Julie Adam Joyce Nathan Victoria Henry Ruth
        Zachary Virginia Douglas Lauren Peter Kelly Kyle Christina Noah Joan Ethan Evelyn Jeremy Judith Walter Andrea
        Christian Hannah Keith Megan Roger Cheryl Terry Jacqueline Austin Martha Sean Madison Gerald Teresa Carl Gloria
        Harold Sara Dylan Janice Arthur Ann Lawrence Kathryn Jordan Abigail Jesse Sophia Bryan Frances Billy Jean Bruce
        Alice Gabriel Judy Joe Isabella Logan Julia Alan Grace Juan Amber Albert Denise Willie Danielle Elijah Marilyn
        Wayne Beverly Randy Charlotte Vincent Natalie Mason Theresa Roy Diana Ralph Brittany Bobby Doris Russell Kayla
        Bradley Alexis Philip Lori Eugene Marie Priya Wei Aisha Omar Keisha Darnell Mei Luis Fatima Hiroshi
        """);

    public static readonly string[] LastNames = Words("""
        Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson
        Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young
        Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter
        Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers
        Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez
        Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez
        Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero
        Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson
        Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington
        Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez
        Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox
        Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn
        Kelley Spencer Hawkins Arnold Pierce Hansen Okafor Abernathy Delacroix Yamamoto Kowalski Lindqvist Oyelaran
        """);

    public static readonly string[] Cities = Words("""
        Atlanta Savannah Augusta Macon Athens Columbus Albany Valdosta Marietta Roswell Birmingham Montgomery Mobile
        Huntsville Nashville Memphis Knoxville Chattanooga Charlotte Raleigh Durham Greensboro Asheville Charleston
        Columbia Greenville Jacksonville Tampa Orlando Miami Tallahassee Pensacola Richmond Norfolk Louisville Lexington
        Cincinnati Cleveland Pittsburgh Baltimore Detroit Chicago Milwaukee Minneapolis Denver Phoenix Houston Dallas
        Austin Oakland
        """);

    /// <summary>Organization patterns, each with the sector it implies; cities × patterns gives ~500 orgs.</summary>
    private static readonly (string Pattern, string Sector)[] OrgPatterns =
    [
        ("City of {0}", "government"), ("{0} County Commission", "government"), ("{0} Housing Authority", "government"),
        ("{0} Public Schools", "government"), ("{0} Community Foundation", "philanthropy"), ("{0} Chamber of Commerce", "business"),
        ("{0} Tenants Union", "community"), ("University of {0}", "academia"), ("{0} Daily Ledger", "media"),
        ("{0} Habitat Partners", "nonprofit"),
    ];

    /// <summary>One word of each org pattern: each matches ~10% of allies, the broadest realistic search.</summary>
    public static readonly string[] OrgWords = ["city", "county", "housing", "schools", "foundation", "chamber", "tenants", "university", "ledger", "habitat"];

    public static readonly string[] Orgs = OrgPatterns.SelectMany(p => Cities.Select(c => string.Format(CultureInfo.InvariantCulture, p.Pattern, c))).ToArray();

    private static readonly Dictionary<string, string[]> Roles = new()
    {
        ["government"] = ["Council Member", "Mayor", "Deputy Director", "Chief of Staff", "Budget Analyst", "Planning Manager", "Commissioner", "Policy Advisor"],
        ["philanthropy"] = ["Program Officer", "President", "Grants Manager"],
        ["business"] = ["CEO", "Vice President", "Government Affairs Lead"],
        ["community"] = ["Organizer", "Board Chair", "Block Captain"],
        ["academia"] = ["Professor", "Dean", "Research Fellow"],
        ["media"] = ["Reporter", "Editor", "Columnist"],
        ["nonprofit"] = ["Executive Director", "Program Manager", "Volunteer Coordinator"],
    };

    /// <summary>Levels that make sense per sector, so "--sector government --level career" is a real slice.</summary>
    private static readonly Dictionary<string, string[]> LevelsBySector = new()
    {
        ["government"] = ["elected", "appointed", "career", "career", "staff"],
        ["other"] = ["executive", "staff", "volunteer", "resident", "other"],
    };

    public static readonly string[] Tags = Words("housing budget transit zoning schools health parks water energy equity jobs broadband safety climate youth seniors");

    public static readonly string[] NoteWords = Words("""
        met coffee levy housing budget hearing council vote support opposes concerned transit zoning reform downtown
        neighborhood meeting follow up grant proposal committee chair interested pilot program data affordable rents
        eviction shelter park bond election campaign priorities briefing testimony coalition partner introduced former
        colleague board retreat agenda quarterly report priority district ward residents survey feedback library
        """);

    private readonly Random _random = new(seed);

    public AllyFields Next(DateOnly today)
    {
        var orgIndex = _random.Next(Orgs.Length);
        var (_, sector) = OrgPatterns[orgIndex / Cities.Length];
        var city = Cities[orgIndex % Cities.Length];
        var levels = LevelsBySector.GetValueOrDefault(sector) ?? LevelsBySector["other"];
        var first = Pick(FirstNames);
        var last = Pick(LastNames);
        return new AllyFields
        {
            Name = $"{first} {last}",
            Org = Orgs[orgIndex],
            Role = Pick(Roles[sector]),
            Sector = sector,
            Level = Pick(levels),
            // Mostly the org's city; sometimes someone who works across the region.
            Jurisdiction = _random.Next(10) == 0 ? Pick(Cities) : city,
            Stance = Pick(AllyVocabulary.Stances),
            Email = $"{first}.{last}{_random.Next(1000)}@example.org".ToLowerInvariant(),
            Phone = _random.Next(3) == 0 ? null : $"+1 404 555 {_random.Next(10000):D4}",
            Tags = string.Join(',', Enumerable.Range(0, _random.Next(4)).Select(_ => Pick(Tags))),
            Notes = _random.Next(4) == 0 ? null : string.Join(' ', Enumerable.Range(0, 4 + _random.Next(12)).Select(_ => Pick(NoteWords))),
            // Spread over two years; ~15% never contacted, which list sorts first.
            LastContact = _random.Next(100) < 15 ? null : today.AddDays(-_random.Next(730)),
            // 40 relationship owners keep 70% of the allies; the rest are kept by whoever added them.
            Owner = _random.Next(10) < 7 ? Owners[_random.Next(Owners.Length)] : null,
        };
    }

    /// <summary>The users who own relationships: u01 … u40.</summary>
    public static readonly string[] Owners = [.. Enumerable.Range(1, 40).Select(i => $"u{i:D2}")];

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private static string[] Words(string text) => text.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);
}
