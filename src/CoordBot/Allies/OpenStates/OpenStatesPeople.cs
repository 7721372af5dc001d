using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using CoordBot.Chat;

namespace CoordBot.Allies.OpenStates;

/// <summary>A role from an Open States person file (<c>roles:</c>): the office, its district and jurisdiction, and its dates.</summary>
public sealed record OpenStatesRole(string Type, string? District, string Jurisdiction, DateOnly? Start, DateOnly? End)
{
    /// <summary>Whether the role is held on <paramref name="day"/>: begun (or no start given) and not yet ended.</summary>
    public bool HeldOn(DateOnly day) => (Start is null || Start <= day) && (End is null || End >= day);
}

/// <summary>One person from Open States people data (https://github.com/openstates/people, public domain, CC0).</summary>
public sealed record OpenStatesPerson(
    string Source, int Line, string Id, string Name, string? Email, string? Phone,
    string? Party, IReadOnlyList<string> FormerParties, IReadOnlyList<OpenStatesRole> Roles)
{
    /// <summary>The role held on <paramref name="day"/> (the first listed, as Open States lists the current one first), or null.</summary>
    public OpenStatesRole? CurrentRole(DateOnly day) => Roles.FirstOrDefault(r => r.HeldOn(day));

    /// <summary>The day the last role ended, for a person who holds none now.</summary>
    public DateOnly? LastEnd => Roles.Select(r => r.End).Max();
}

/// <summary>A problem with one file or person: where (file and line), and what, naming the field.</summary>
public sealed record ImportProblem(string Source, int Line, string Message)
{
    public string Where => Line > 0 ? $"{Source} line {Line.ToString(CultureInfo.InvariantCulture)}" : Source;
}

/// <summary>What was read: the people, the problems, and how many files were not people (committees, lists).</summary>
public sealed record OpenStatesRead(IReadOnlyList<OpenStatesPerson> People, IReadOnlyList<ImportProblem> Problems, int NotPeople);

/// <summary>
/// Reads Open States people files (docs/features.md, "Officials from Open States"): YAML person files,
/// pasted (several separated by <c>---</c>) or attached, or a zip of a state's folder. Only the fields
/// CoordBot uses are read and checked; anything else in a file is ignored.
/// </summary>
public static partial class OpenStatesPeople
{
    /// <summary>Largest zip accepted, and most bytes read out of one (a zip bomb stops here).</summary>
    public const int MaxZipBytes = 2 * 1024 * 1024;
    public const int MaxUnzippedBytes = 32 * 1024 * 1024;
    public const int MaxPeople = 5_000;
    private const int MaxFileBytes = 1024 * 1024;

    [GeneratedRegex(@"^ocd-person/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    private static partial Regex PersonIdRegex();

    [GeneratedRegex(@"^ocd-jurisdiction/country:[a-z]{2}(/[a-z_]+:[^/\s]+)*/[a-z_]+$")]
    private static partial Regex JurisdictionRegex();

    /// <summary>Reads pasted text (its lines counted from the first line after the command) and attached files.</summary>
    public static OpenStatesRead Read(string? pasted, IReadOnlyList<SharedFile> files)
    {
        var sources = new List<(string Name, string Text, bool FromZip)>();
        var problems = new List<ImportProblem>();
        if (!string.IsNullOrWhiteSpace(pasted)) sources.Add(("the pasted text", pasted, false));
        foreach (var file in files)
        {
            if (file.Name.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
            {
                var (entries, problem) = Unzip(file);
                if (problem is not null) problems.Add(problem);
                sources.AddRange(entries.Select(e => (e.Name, e.Text, true)));
            }
            else sources.Add((file.Name, Text(file.Content), false));
        }

        var people = new List<OpenStatesPerson>();
        var notPeople = 0;
        foreach (var (name, text, fromZip) in sources)
        {
            IReadOnlyList<YamlNode> documents;
            try { documents = YamlTree.Read(text, MaxPeople); }
            catch (YamlTreeException e)
            {
                problems.Add(new ImportProblem(name, e.Line, e.Message));
                continue;
            }
            foreach (var document in documents)
            {
                // A state's folder also holds committees and lists of municipalities: skipped, not refused.
                if (fromZip && !(document is YamlMap m && m["id"] is YamlScalar id && id.Value.StartsWith("ocd-person/", StringComparison.Ordinal)))
                {
                    notPeople++;
                    continue;
                }
                var (person, problem) = Person(name, document);
                if (problem is not null) problems.Add(problem);
                else people.Add(person!);
                if (people.Count > MaxPeople)
                    return new([], [new ImportProblem(name, 0, $"more than {MaxPeople} people; import a state's folder at a time.")], notPeople);
            }
        }
        foreach (var twice in people.GroupBy(p => p.Id).Where(g => g.Count() > 1))
        {
            var first = twice.First();
            foreach (var again in twice.Skip(1))
                problems.Add(new ImportProblem(again.Source, again.Line, $"id {again.Id} is also in {new ImportProblem(first.Source, first.Line, "").Where}; each person once."));
        }
        return new(people, problems, notPeople);
    }

    private static string Text(byte[] bytes)
    {
        var text = Encoding.UTF8.GetString(bytes);
        return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
    }

    /// <summary>The YAML files of a zip (committee folders left out), each read to at most 1 MB and all to 32 MB.</summary>
    private static (IReadOnlyList<(string Name, string Text)> Entries, ImportProblem? Problem) Unzip(SharedFile file)
    {
        if (file.Content.Length > MaxZipBytes) return ([], new ImportProblem(file.Name, 0, "the zip is larger than 2 MB; zip one state's folder (or part of it)."));
        var entries = new List<(string, string)>();
        try
        {
            using var zip = new ZipArchive(new MemoryStream(file.Content), ZipArchiveMode.Read);
            long total = 0;
            foreach (var entry in zip.Entries)
            {
                var path = entry.FullName.Replace('\\', '/');
                if (path.EndsWith('/') || path.StartsWith("__MACOSX/", StringComparison.Ordinal) || path.Contains("/committees/", StringComparison.Ordinal)
                    || !(path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase)))
                    continue;
                if (entries.Count == MaxPeople) return ([], new ImportProblem(file.Name, 0, $"the zip holds more than {MaxPeople} files."));
                using var stream = entry.Open();
                var buffer = new MemoryStream();
                var chunk = new byte[16 * 1024];
                int read;
                while ((read = stream.Read(chunk)) > 0)
                {
                    buffer.Write(chunk, 0, read);
                    total += read;
                    if (buffer.Length > MaxFileBytes) return ([], new ImportProblem(path, 0, "the file is larger than 1 MB once unzipped."));
                    if (total > MaxUnzippedBytes) return ([], new ImportProblem(file.Name, 0, "the zip unpacks to more than 32 MB."));
                }
                entries.Add((path, Text(buffer.ToArray())));
            }
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or IOException)
        {
            // Not a zip, a damaged one, or one packed with a method or encryption .NET does not read.
            return ([], new ImportProblem(file.Name, 0, "the file is not a zip that can be read (zip the folder again, without a password)."));
        }
        return (entries, null);
    }

    /// <summary>One person document, checked field by field; the first problem names its line and field.</summary>
    private static (OpenStatesPerson? Person, ImportProblem? Problem) Person(string source, YamlNode document)
    {
        ImportProblem Problem(YamlNode? at, string message) => new(source, at?.Line ?? document.Line, message);
        if (document is not YamlMap map) return (null, Problem(document, "an Open States person file is a mapping (id: …, name: …, roles: …)."));

        var id = Scalar(map, "id");
        if (id is null) return (null, Problem(map, "id is missing; an Open States person file starts with id: ocd-person/…"));
        if (!PersonIdRegex().IsMatch(id.Value)) return (null, Problem(id, $"id \"{Short(id.Value)}\" is not an Open States person id like ocd-person/4ac9a4bf-e2d9-4257-a360-9e91dc234deb."));
        var name = Scalar(map, "name");
        if (name is null || string.IsNullOrWhiteSpace(name.Value)) return (null, Problem(name ?? (YamlNode)map, "name is missing."));
        if (name.Value.Length > AllyVocabulary.MaxNameLength) return (null, Problem(name, $"name is too long (at most {AllyVocabulary.MaxNameLength} characters)."));

        string? email = null;
        if (map["email"] is { } emailNode)
        {
            if (emailNode is not YamlScalar e || !AllyVocabulary.IsEmail(e.Value)) return (null, Problem(emailNode, "email is not an email address."));
            email = e.Value;
        }
        string? phone = null;
        foreach (var listName in new[] { "offices", "contact_details" })
        {
            if (map[listName] is not { } list) continue;
            if (list is not YamlList offices) return (null, Problem(list, $"{listName} must be a list."));
            // The capitol or primary office first, as a coalition calls there.
            foreach (var office in offices.Items.OrderBy(o => o is YamlMap om && Scalar(om, "classification")?.Value is "capitol" or "primary" ? 0 : 1))
            {
                if (office is not YamlMap o) return (null, Problem(office, $"each of {listName} must be a mapping (classification, address, voice)."));
                phone ??= Scalar(o, "voice")?.Value;
                email ??= Scalar(o, "email")?.Value is { } officeEmail && AllyVocabulary.IsEmail(officeEmail) ? officeEmail : null;
            }
        }
        if (phone is { Length: > 40 }) phone = null;

        string? party = null;
        var formerParties = new List<string>();
        if (map["party"] is { } partyNode)
        {
            if (partyNode is not YamlList parties) return (null, Problem(partyNode, "party must be a list like - name: Democratic."));
            for (var i = 0; i < parties.Items.Count; i++)
            {
                if (parties.Items[i] is not YamlMap p || Scalar(p, "name") is not { } partyName || partyName.Value.Length is 0 or > 100)
                    return (null, Problem(parties.Items[i], $"party[{i}].name is missing."));
                var (ended, problem) = Day(p, "end_date", $"party[{i}]");
                if (problem is not null) return (null, Problem(problem.Value.At, problem.Value.Message));
                if (ended is null) party ??= partyName.Value;
                else formerParties.Add(partyName.Value);
            }
        }

        if (map["roles"] is not { } rolesNode) return (null, Problem(map, "roles is missing; a person needs at least one role."));
        if (rolesNode is not YamlList roleList || roleList.Items.Count == 0) return (null, Problem(rolesNode, "roles must be a list with at least one role."));
        var roles = new List<OpenStatesRole>();
        for (var i = 0; i < roleList.Items.Count; i++)
        {
            var field = $"roles[{i}]";
            if (roleList.Items[i] is not YamlMap r) return (null, Problem(roleList.Items[i], $"{field} must be a mapping (type, jurisdiction, district, start_date, end_date)."));
            var type = Scalar(r, "type");
            if (type is null || !TypeRegex().IsMatch(type.Value)) return (null, Problem(type ?? (YamlNode)r, $"{field}.type is missing or not a role type like upper, lower, governor, mayor."));
            var jurisdiction = Scalar(r, "jurisdiction");
            if (jurisdiction is null || !JurisdictionRegex().IsMatch(jurisdiction.Value) || jurisdiction.Value.Length > 200)
                return (null, Problem(jurisdiction ?? (YamlNode)r, $"{field}.jurisdiction is not an Open Civic Data jurisdiction like ocd-jurisdiction/country:us/state:ak/government."));
            var district = r["district"];
            if (district is not (null or YamlScalar) || district is YamlScalar { Value.Length: > 100 })
                return (null, Problem(district, $"{field}.district must be short text like 12 or E."));
            var (start, startProblem) = Day(r, "start_date", field);
            if (startProblem is not null) return (null, Problem(startProblem.Value.At, startProblem.Value.Message));
            var (end, endProblem) = Day(r, "end_date", field);
            if (endProblem is not null) return (null, Problem(endProblem.Value.At, endProblem.Value.Message));
            if (start is not null && end is not null && end < start) return (null, Problem(r["end_date"], $"{field}.end_date is before its start_date."));
            roles.Add(new OpenStatesRole(type.Value, (district as YamlScalar)?.Value is { Length: > 0 } d ? d : null, jurisdiction.Value, start, end));
        }
        return (new OpenStatesPerson(source, map.Line, id.Value, AllyVocabulary.Squash(name.Value)!, email, phone, party, formerParties, roles), null);
    }

    [GeneratedRegex("^[a-z][a-z_]{0,40}$")]
    private static partial Regex TypeRegex();

    private static YamlScalar? Scalar(YamlMap map, string key) => map[key] as YamlScalar is { Value: not ("" or "~" or "null") } s ? s : null;

    private static (DateOnly? Day, (YamlNode At, string Message)? Problem) Day(YamlMap map, string key, string field)
    {
        if (map[key] is not { } node) return (null, null);
        if (node is YamlScalar s && DateOnly.TryParseExact(s.Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)) return (day, null);
        // Open States also writes a year and month alone (2019-01) or a year (2019) where the day is unknown.
        if (node is YamlScalar partial && DateOnly.TryParseExact(partial.Value, ["yyyy-MM", "yyyy"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var first))
            return (first, null);
        return (null, (node, $"{field}.{key} \"{Short((node as YamlScalar)?.Value ?? "(a list)")}\" is not a date like 2023-01-17."));
    }

    private static string Short(string s) => s.Length <= 60 ? s : s[..60] + "…";
}
