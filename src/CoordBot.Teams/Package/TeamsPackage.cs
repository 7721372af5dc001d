using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CoordBot.Teams.Package;

/// <summary>
/// The <c>teams-package</c> command: turns <c>manifests/teams/</c> (a valid manifest with the all-zero
/// GUID and <c>your-host.example.com</c> as placeholders, plus its two icons) into the zip that Teams installs (see docs/deployment.md).
/// The host calls <see cref="Run"/> before building the web application when <see cref="IsCommand"/> is true.
/// </summary>
public static partial class TeamsPackage
{
    /// <summary>The first command-line word that selects this command.</summary>
    public const string CommandName = "teams-package";

    /// <summary>The zip written when <c>--out</c> is not given (in the current directory).</summary>
    public const string DefaultOutput = "coordbot-teams.zip";

    private const string ManifestFile = "manifest.json";
    // The committed manifest is valid as it is, with these two values standing in for the real ones.
    private const string AppIdPlaceholder = "00000000-0000-0000-0000-000000000000";
    private const string HostPlaceholder = "your-host.example.com";

    /// <summary>The pixel size Teams requires of each icon the manifest names (a wrong size fails upload).</summary>
    private static readonly Dictionary<string, int> IconSizes = new(StringComparer.Ordinal)
    {
        ["color"] = 192,
        ["outline"] = 32,
        ["color32x32"] = 32,
    };

    // A fixed entry time keeps the zip byte-for-byte reproducible (and keeps the clock out of it).
    private static readonly DateTimeOffset EntryTime = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private const string Usage =
        "usage: teams-package --app-id <guid> --host <host> [--version 1.0.0] [--out coordbot-teams.zip] [--manifests <folder>]\n" +
        "  --app-id     the bot's Microsoft App ID (Entra application id), e.g. 0b5c6a2e-1f1d-4b8e-9a53-2d1c4e0f7a61\n" +
        "  --host       the public host name the bot is reached at, e.g. bot.example.org (no https://, port or path)\n" +
        "  --version    the app version, MAJOR.MINOR.PATCH; bump it on every upload (default: the manifest's)\n" +
        "  --out        the zip to write (default: coordbot-teams.zip)\n" +
        "  --manifests  the folder with manifest.json, color.png and outline.png (default: manifests/teams found\n" +
        "               above the current directory or the program's directory)";

    /// <summary>True when the command line asks for this command: <c>args[0] == "teams-package"</c>.</summary>
    public static bool IsCommand(string[] args) => args.Length > 0 && args[0] == CommandName;

    /// <summary>
    /// Builds the installable zip: <c>manifest.json</c> with the placeholders replaced (and <c>version</c> set
    /// when given) and the icons it names, all at the zip's root.
    /// </summary>
    /// <param name="manifestFolder">Folder holding <c>manifest.json</c> and its icons.</param>
    /// <param name="appId">The bot's app id: a GUID, used as the app id and the bot id.</param>
    /// <param name="host">A bare host name such as <c>bot.example.org</c>.</param>
    /// <param name="version">MAJOR.MINOR.PATCH, or null to keep the manifest's own version.</param>
    /// <exception cref="ArgumentException">The app id, host or version is not acceptable.</exception>
    /// <exception cref="FileNotFoundException">The manifest or an icon it names is missing.</exception>
    /// <exception cref="InvalidDataException">The manifest or an icon is malformed (unknown placeholder, no version, wrong icon size).</exception>
    public static byte[] Build(string manifestFolder, string appId, string host, string? version = null)
    {
        ArgumentNullException.ThrowIfNull(manifestFolder);
        var id = ParseAppId(appId);
        var hostName = ParseHost(host);
        if (version is not null && !IsSemVer(version))
            throw new ArgumentException($"The version must be MAJOR.MINOR.PATCH without leading zeros, such as 1.0.0 (got '{version}').", nameof(version));

        var manifestPath = Path.Combine(manifestFolder, ManifestFile);
        if (!File.Exists(manifestPath))
            throw new FileNotFoundException($"No {ManifestFile} in '{Path.GetFullPath(manifestFolder)}'.", manifestPath);

        // The values were validated above and hold no JSON-special characters, so a text replacement is safe.
        var text = File.ReadAllText(manifestPath)
            .Replace(AppIdPlaceholder, id, StringComparison.Ordinal)
            .Replace(HostPlaceholder, hostName, StringComparison.Ordinal);

        var manifest = JsonNode.Parse(text) as JsonObject
            ?? throw new InvalidDataException($"{manifestPath} is not a JSON object.");
        if (version is not null) manifest["version"] = version;
        else if (manifest["version"]?.GetValue<string>() is not { } own || !IsSemVer(own))
            throw new InvalidDataException($"{manifestPath} has no MAJOR.MINOR.PATCH version; pass --version.");

        var icons = manifest["icons"] as JsonObject
            ?? throw new InvalidDataException($"{manifestPath} names no icons.");

        using var zipBytes = new MemoryStream();
        using (var zip = new ZipArchive(zipBytes, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(zip, ManifestFile, Encoding.UTF8.GetBytes(manifest.ToJsonString(Indented) + "\n"));
            foreach (var (kind, value) in icons)
            {
                var name = value?.GetValue<string>() ?? throw new InvalidDataException($"icons.{kind} is empty.");
                if (name.Contains('/') || name.Contains('\\') || name is "." or "..")
                    throw new InvalidDataException($"icons.{kind} must be a file at the package root (got '{name}').");
                var iconPath = Path.Combine(manifestFolder, name);
                if (!File.Exists(iconPath))
                    throw new FileNotFoundException($"The icon '{name}' (icons.{kind}) is not in '{Path.GetFullPath(manifestFolder)}'.", iconPath);
                var png = File.ReadAllBytes(iconPath);
                CheckIcon(kind, name, png);
                Add(zip, name, png);
            }
        }
        return zipBytes.ToArray();
    }

    /// <summary>
    /// Runs <c>teams-package</c> with the words after the command name: writes the zip and says where.
    /// Returns 0, or 2 with a usage or validation message on <paramref name="error"/>.
    /// </summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args is ["--help" or "-h" or "help", ..])
        {
            output.WriteLine(Usage);
            return 0;
        }
        if (!TryParse(args, out var flags, out var problem))
            return Fail(error, problem);
        if (!flags.TryGetValue("app-id", out var appId)) return Fail(error, "--app-id is required.");
        if (!flags.TryGetValue("host", out var host)) return Fail(error, "--host is required.");
        flags.TryGetValue("version", out var version);
        var outPath = Path.GetFullPath(flags.GetValueOrDefault("out") ?? DefaultOutput);

        string? folder = flags.GetValueOrDefault("manifests") ?? FindManifestFolder();
        if (folder is null)
            return Fail(error, "Could not find manifests/teams above the current directory or the program's directory; pass --manifests <folder>.");

        byte[] zip;
        try
        {
            zip = Build(folder, appId, host, version);
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or JsonException or InvalidOperationException)
        {
            return Fail(error, e.Message);
        }

        try
        {
            if (Path.GetDirectoryName(outPath) is { Length: > 0 } outFolder) Directory.CreateDirectory(outFolder);
            File.WriteAllBytes(outPath, zip);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(error, $"Could not write {outPath}: {e.Message}");
        }
        output.WriteLine($"Wrote {outPath} ({zip.Length} bytes): upload it in Teams (Apps > Manage your apps > Upload an app) or the Teams admin center.");
        return 0;
    }

    /// <summary>
    /// <c>manifests/teams</c> (holding a manifest.json) in the current directory or one above it, else in
    /// the program's directory or one above it; null when there is none.
    /// </summary>
    public static string? FindManifestFolder()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                var candidate = Path.Combine(folder.FullName, "manifests", "teams");
                if (File.Exists(Path.Combine(candidate, ManifestFile))) return candidate;
            }
        }
        return null;
    }

    private static int Fail(TextWriter error, string message)
    {
        error.WriteLine($"teams-package: {message}");
        error.WriteLine(Usage);
        return 2;
    }

    /// <summary><c>--name value</c> or <c>--name=value</c>, each known flag at most once.</summary>
    private static bool TryParse(string[] args, out Dictionary<string, string> flags, out string problem)
    {
        string[] known = ["app-id", "host", "version", "out", "manifests"];
        flags = new Dictionary<string, string>(StringComparer.Ordinal);
        problem = "";
        for (var i = 0; i < args.Length; i++)
        {
            var word = args[i];
            if (!word.StartsWith("--", StringComparison.Ordinal))
            {
                problem = $"Unexpected '{word}'; every value follows its flag.";
                return false;
            }
            var name = word[2..];
            string? value = null;
            if (name.IndexOf('=') is var eq and >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            if (!known.Contains(name))
            {
                problem = $"Unknown flag --{name}; accepted: {string.Join(", ", known.Select(k => "--" + k))}.";
                return false;
            }
            if (value is null)
            {
                if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    problem = $"--{name} needs a value.";
                    return false;
                }
                value = args[++i];
            }
            if (string.IsNullOrWhiteSpace(value))
            {
                problem = $"--{name} needs a value.";
                return false;
            }
            if (!flags.TryAdd(name, value))
            {
                problem = $"--{name} is given twice.";
                return false;
            }
        }
        return true;
    }

    private static string ParseAppId(string appId)
    {
        ArgumentNullException.ThrowIfNull(appId);
        if (!Guid.TryParseExact(appId.Trim(), "D", out var guid))
            throw new ArgumentException($"The app id must be a GUID such as 0b5c6a2e-1f1d-4b8e-9a53-2d1c4e0f7a61 (got '{appId}').", nameof(appId));
        if (guid == Guid.Empty)
            throw new ArgumentException("The app id is the all-zero GUID; use the bot's Microsoft App ID (Entra application id).", nameof(appId));
        return guid.ToString("D");
    }

    private static string ParseHost(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        string Problem(string what) => $"The host must be a bare host name such as bot.example.org, {what} (got '{host}').";
        if (host.Contains("://", StringComparison.Ordinal)) throw new ArgumentException(Problem("without a scheme"), nameof(host));
        if (host.Contains('/') || host.Contains('?') || host.Contains('#')) throw new ArgumentException(Problem("without a path"), nameof(host));
        if (host.Contains(':')) throw new ArgumentException(Problem("without a port"), nameof(host));
        if (!HostName().IsMatch(host) || host.Length > 253)
            throw new ArgumentException(Problem("made of dot-separated labels of letters, digits and inner hyphens"), nameof(host));
        if (!host.Contains('.') || Uri.CheckHostName(host) != UriHostNameType.Dns)
            throw new ArgumentException(Problem("a public DNS name rather than a single label or an IP address"), nameof(host));
        return host.ToLowerInvariant();
    }

    /// <summary>Teams wants MAJOR.MINOR.PATCH (the manifest schema's <c>semver</c> definition has no pre-release part).</summary>
    private static bool IsSemVer(string version) => SemVer().IsMatch(version);

    /// <summary>A PNG of the size Teams requires for that icon, judged by its IHDR chunk.</summary>
    private static void CheckIcon(string kind, string name, byte[] png)
    {
        ReadOnlySpan<byte> signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (png.Length < 24 || !png.AsSpan(0, 8).SequenceEqual(signature) || !png.AsSpan(12, 4).SequenceEqual("IHDR"u8))
            throw new InvalidDataException($"The icon '{name}' (icons.{kind}) is not a PNG.");
        var width = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16));
        var height = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20));
        if (IconSizes.TryGetValue(kind, out var size) && (width != size || height != size))
            throw new InvalidDataException($"The icon '{name}' (icons.{kind}) is {width}x{height}; Teams requires {size}x{size}.");
    }

    private static void Add(ZipArchive zip, string name, byte[] content)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        entry.LastWriteTime = EntryTime;
        using var stream = entry.Open();
        stream.Write(content);
    }

    // Dot-separated labels of letters, digits and inner hyphens.
    [GeneratedRegex(@"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$", RegexOptions.CultureInvariant)]
    private static partial Regex HostName();

    [GeneratedRegex(@"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$", RegexOptions.CultureInvariant)]
    private static partial Regex SemVer();
}
