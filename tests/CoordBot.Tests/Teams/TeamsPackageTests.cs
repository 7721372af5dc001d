using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using CoordBot.Teams.Package;
using NJsonSchema;
using Xunit;

namespace CoordBot.Tests.Teams;

/// <summary>
/// The zip <see cref="TeamsPackage.Build"/> makes from manifests/teams, checked the way Teams would: the
/// manifest against the official schema (vendored in Schemas/, from @microsoft/app-manifest 1.1.2), the
/// icons by size and colours, and every file the manifest names present at the zip's root.
/// </summary>
public sealed class TeamsPackageTests
{
    private const string AppId = "6f1c2a9e-3b7d-4e58-a0c4-9d2e7b13f845";
    private const string Host = "coordbot.example.org";
    private const string SchemaVersion = "1.30";
    private const string SchemaUrl = $"https://developer.microsoft.com/json-schemas/teams/v{SchemaVersion}/MicrosoftTeams.schema.json";

    private static readonly string RepoRoot = FindRepoRoot();
    private static readonly string Folder = Path.Combine(RepoRoot, "manifests", "teams");
    private static readonly Lazy<Task<JsonSchema>> Schema = new(LoadSchema);

    [Fact]
    public async Task The_packaged_manifest_is_valid_against_the_official_schema()
    {
        var package = Open(TeamsPackage.Build(Folder, AppId, Host));
        var errors = (await Schema.Value).Validate(package.ManifestText);
        Assert.True(errors.Count == 0, "schema errors:\n" + string.Join("\n", errors.Select(e => $"{e.Path}: {e.Kind}")));
    }

    [Fact]
    public async Task The_manifest_version_and_schema_url_match_the_vendored_schema()
    {
        var schemaJson = JsonNode.Parse(await File.ReadAllTextAsync(SchemaFile))!;
        Assert.Equal(SchemaVersion, schemaJson["properties"]!["manifestVersion"]!["const"]!.GetValue<string>());

        var manifest = Open(TeamsPackage.Build(Folder, AppId, Host)).Manifest;
        Assert.Equal(SchemaVersion, manifest["manifestVersion"]!.GetValue<string>());
        Assert.Equal(SchemaUrl, manifest["$schema"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_committed_manifest_is_valid_as_it_is()
    {
        var errors = (await Schema.Value).Validate(File.ReadAllText(Path.Combine(Folder, "manifest.json")));
        Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => $"{e.Path}: {e.Kind}")));
    }

    [Fact]
    public void App_id_and_host_replace_every_placeholder()
    {
        var committed = File.ReadAllText(Path.Combine(Folder, "manifest.json"));
        Assert.Contains("00000000-0000-0000-0000-000000000000", committed);
        Assert.Contains("your-host.example.com", committed);

        var package = Open(TeamsPackage.Build(Folder, AppId.ToUpperInvariant(), Host));
        Assert.DoesNotContain("00000000-0000-0000-0000-000000000000", package.ManifestText);
        Assert.DoesNotContain("your-host.example.com", package.ManifestText);
        var m = package.Manifest;
        Assert.Equal(AppId, m["id"]!.GetValue<string>());
        Assert.Equal(AppId, m["bots"]![0]!["botId"]!.GetValue<string>());
        Assert.Equal([Host], m["validDomains"]!.AsArray().Select(d => d!.GetValue<string>()));
        foreach (var url in new[] { "websiteUrl", "privacyUrl", "termsOfUseUrl" })
            Assert.StartsWith($"https://{Host}/", m["developer"]![url]!.GetValue<string>());
        Assert.Equal("1.0.0", m["version"]!.GetValue<string>());
    }

    [Fact]
    public void A_given_version_replaces_the_manifests()
    {
        var m = Open(TeamsPackage.Build(Folder, AppId, Host, "2.3.4")).Manifest;
        Assert.Equal("2.3.4", m["version"]!.GetValue<string>());
    }

    [Fact]
    public void The_zip_holds_the_manifest_and_the_icons_it_names_at_its_root()
    {
        var package = Open(TeamsPackage.Build(Folder, AppId, Host));
        var icons = package.Manifest["icons"]!.AsObject().Select(i => i.Value!.GetValue<string>()).ToList();
        Assert.Equal(["color.png", "outline.png"], icons);
        Assert.Equal(["color.png", "manifest.json", "outline.png"], package.Files.Keys.Order(StringComparer.Ordinal));
        Assert.NotEmpty(icons);
        Assert.All(icons, icon => Assert.True(package.Files.ContainsKey(icon), $"{icon} is not in the zip"));
    }

    [Fact]
    public void The_same_input_gives_the_same_zip()
    {
        Assert.Equal(TeamsPackage.Build(Folder, AppId, Host), TeamsPackage.Build(Folder, AppId, Host));
    }

    [Fact]
    public void Icons_have_the_sizes_Teams_requires()
    {
        var files = Open(TeamsPackage.Build(Folder, AppId, Host)).Files;
        Assert.Equal((192, 192), Png.Size(files["color.png"]));
        Assert.Equal((32, 32), Png.Size(files["outline.png"]));
    }

    [Fact]
    public void The_outline_icon_is_only_white_or_fully_transparent_with_a_glyph()
    {
        var (width, height, pixels) = Png.Decode(Open(TeamsPackage.Build(Folder, AppId, Host)).Files["outline.png"]);
        Assert.Equal((32, 32), (width, height));
        Assert.NotEmpty(pixels);
        Assert.All(pixels, p => Assert.True(p.A == 0 || p is { R: 255, G: 255, B: 255, A: 255 }, $"pixel {p} is neither white nor transparent"));
        var white = pixels.Count(p => p.A == 255);
        Assert.InRange(white, 32, 32 * 32 / 2); // a glyph, not an empty or a filled square
        Assert.All(Edges(width, height), i => Assert.Equal(0, pixels[i].A)); // transparent margin
    }

    [Fact]
    public void The_color_icon_is_opaque_and_in_more_than_one_colour()
    {
        var (_, _, pixels) = Png.Decode(File.ReadAllBytes(Path.Combine(Folder, "color.png")));
        Assert.NotEmpty(pixels);
        Assert.All(pixels, p => Assert.Equal(255, p.A));
        Assert.True(pixels.Distinct().Count() > 3);
    }

    /// <summary>The committed icons are what <see cref="TeamsIcons"/> paints (set COORDBOT_WRITE_TEAMS_ICONS=1 to rewrite them).</summary>
    [Fact]
    public void Committed_icons_are_the_painted_ones()
    {
        if (Environment.GetEnvironmentVariable("COORDBOT_WRITE_TEAMS_ICONS") == "1") TeamsIcons.WriteTo(Folder);
        // Pixels, not bytes: the deflate output of ZLibStream may differ between runtimes.
        Assert.Equal(TeamsIcons.Color(), Png.Decode(File.ReadAllBytes(Path.Combine(Folder, "color.png"))).Pixels);
        Assert.Equal(TeamsIcons.Outline(), Png.Decode(File.ReadAllBytes(Path.Combine(Folder, "outline.png"))).Pixels);
    }

    [Fact]
    public void Each_scope_lists_the_main_commands_within_Teams_limits()
    {
        var bot = Open(TeamsPackage.Build(Folder, AppId, Host)).Manifest["bots"]!.AsArray().Single()!;
        Assert.Equal(["personal", "team", "groupChat"], Strings(bot["scopes"]));
        Assert.True(bot["supportsFiles"]!.GetValue<bool>());   // .ics and .csv files sent with election import / ally import
        Assert.False(bot["isNotificationOnly"]!.GetValue<bool>());

        var lists = bot["commandLists"]!.AsArray();
        Assert.Equal(["personal", "team", "groupChat"], lists.SelectMany(l => Strings(l!["scopes"])));
        foreach (var list in lists)
        {
            var commands = list!["commands"]!.AsArray().Select(c => (Title: c!["title"]!.GetValue<string>(), Description: c["description"]!.GetValue<string>())).ToList();
            Assert.InRange(commands.Count, 1, 10);
            Assert.NotEmpty(commands);
            Assert.All(commands, c =>
            {
                Assert.InRange(c.Title.Length, 1, 32);
                Assert.InRange(c.Description.Length, 1, 128);
                Assert.Contains(c.Title.Split(' ')[0], new[] { "ally", "election", "checkin", "coord" });
            });
            Assert.Subset(commands.Select(c => c.Title).ToHashSet(), new HashSet<string> { "ally add", "ally list", "ally find", "ally show", "election list", "checkin", "coord help" });
        }
    }

    /// <summary>The validation can fail: each of these breaks a rule of the schema.</summary>
    [Theory]
    [InlineData("unknown top-level field", "botName", "\"CoordBot\"")]
    [InlineData("older manifest version", "manifestVersion", "\"1.29\"")]
    [InlineData("colour name instead of #RRGGBB", "accentColor", "\"teal\"")]
    [InlineData("id that is not a GUID", "id", "\"coordbot\"")]
    [InlineData("short name over 30 characters", "name", "{\"short\":\"CoordBot, the coalition coordinator\"}")]
    [InlineData("bot without scopes", "bots", "[{\"botId\":\"6f1c2a9e-3b7d-4e58-a0c4-9d2e7b13f845\"}]")]
    public async Task A_manifest_with_a_wrong_field_fails_validation(string why, string field, string json)
    {
        var manifest = Open(TeamsPackage.Build(Folder, AppId, Host)).Manifest.AsObject();
        manifest[field] = JsonNode.Parse(json);
        var errors = (await Schema.Value).Validate(manifest.ToJsonString());
        Assert.True(errors.Count > 0, $"{why}: expected a schema error");
    }

    [Theory]
    [InlineData("not-a-guid", Host, null, "GUID")]
    [InlineData("00000000-0000-0000-0000-000000000000", Host, null, "all-zero")]
    [InlineData(AppId, "https://coordbot.example.org", null, "scheme")]
    [InlineData(AppId, "coordbot.example.org/api", null, "path")]
    [InlineData(AppId, "coordbot.example.org:8443", null, "port")]
    [InlineData(AppId, "localhost", null, "public")]
    [InlineData(AppId, "10.0.0.1", null, "IP")]
    [InlineData(AppId, "bad_host.example.org", null, "labels")]
    [InlineData(AppId, Host, "1.0", "MAJOR.MINOR.PATCH")]
    [InlineData(AppId, Host, "1.0.0-beta", "MAJOR.MINOR.PATCH")]
    [InlineData(AppId, Host, "01.0.0", "MAJOR.MINOR.PATCH")]
    public void Bad_arguments_are_refused_with_a_clear_message(string appId, string host, string? version, string hint)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => TeamsPackage.Build(Folder, appId, host, version));
        Assert.Contains(hint, e.Message);
    }

    [Theory]
    [InlineData(new string[0], "--app-id is required")]
    [InlineData(new[] { "--app-id", AppId }, "--host is required")]
    [InlineData(new[] { "--app-id", "nope", "--host", Host }, "GUID")]
    [InlineData(new[] { "--app-id", AppId, "--host", "https://" + Host }, "scheme")]
    [InlineData(new[] { "--app-id", AppId, "--host" }, "--host needs a value")]
    [InlineData(new[] { "--app-id", AppId, "--host", Host, "--colour", "red" }, "Unknown flag --colour")]
    [InlineData(new[] { "--app-id", AppId, "--host", Host, "--manifests", "/nonexistent/teams" }, "No manifest.json")]
    public void Run_with_missing_or_bad_arguments_exits_2_with_a_message(string[] args, string message)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        Assert.Equal(2, TeamsPackage.Run(args, output, error));
        Assert.Contains(message, error.ToString());
        Assert.Contains("usage: teams-package", error.ToString());
    }

    [Fact]
    public void Run_writes_the_zip_and_says_where()
    {
        var dir = Directory.CreateTempSubdirectory("coordbot-teams-");
        try
        {
            var zip = Path.Combine(dir.FullName, "out", "app.zip");
            var (output, error) = (new StringWriter(), new StringWriter());
            // No --manifests: found by walking up from the test's directory.
            var code = TeamsPackage.Run(["--app-id", AppId, "--host=" + Host, "--version", "1.2.3", "--out", zip], output, error);
            Assert.True(code == 0, error.ToString());
            Assert.Contains(zip, output.ToString());
            var package = Open(File.ReadAllBytes(zip));
            Assert.Equal("1.2.3", package.Manifest["version"]!.GetValue<string>());
            Assert.Equal(AppId, package.Manifest["id"]!.GetValue<string>());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_command_is_recognised_by_its_first_word()
    {
        Assert.True(TeamsPackage.IsCommand(["teams-package", "--host", Host]));
        Assert.False(TeamsPackage.IsCommand([]));
        Assert.False(TeamsPackage.IsCommand(["--urls", "http://localhost:5000"]));
    }

    private sealed record Package(Dictionary<string, byte[]> Files)
    {
        public string ManifestText => Encoding.UTF8.GetString(Files["manifest.json"]);
        public JsonObject Manifest => JsonNode.Parse(ManifestText)!.AsObject();
    }

    private static Package Open(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var entry in archive.Entries)
        {
            using var stream = entry.Open();
            using var bytes = new MemoryStream();
            stream.CopyTo(bytes);
            files.Add(entry.FullName, bytes.ToArray());
        }
        return new Package(files);
    }

    private static IEnumerable<string> Strings(JsonNode? array) => array!.AsArray().Select(n => n!.GetValue<string>());

    private static IEnumerable<int> Edges(int width, int height) =>
        Enumerable.Range(0, width * height).Where(i => i % width is 0 || i % width == width - 1 || i / width is 0 || i / width == height - 1);

    private static string SchemaFile => Path.Combine(AppContext.BaseDirectory, "Teams", "Schemas", $"MicrosoftTeams.v{SchemaVersion}.schema.json");

    /// <summary>
    /// The vendored schema file, with one local adjustment for NJsonSchema (a draft-04 validator). The file
    /// is draft-04 with only local references (<c>#/definitions/…</c>, <c>#/properties/…</c>), so nothing is
    /// fetched; but it uses the draft-06 keyword <c>const</c> (for <c>manifestVersion</c>), which NJsonSchema
    /// silently ignores, so each <c>const</c> becomes its draft-04 equivalent, a one-value <c>enum</c>.
    /// (The draft-07 <c>if</c>/<c>then</c> in the schema only concerns MCP plugin auth, which CoordBot does not use.)
    /// </summary>
    private static Task<JsonSchema> LoadSchema()
    {
        var schema = JsonNode.Parse(File.ReadAllText(SchemaFile))!.AsObject();
        ConstToEnum(schema);
        return JsonSchema.FromJsonAsync(schema.ToJsonString(), SchemaFile);
    }

    private static void ConstToEnum(JsonObject schema)
    {
        if (schema["const"] is { } value)
        {
            schema.Remove("const");
            schema["enum"] = new JsonArray(value.DeepClone());
        }
        foreach (var (key, child) in schema.ToList())
        {
            // These keywords hold maps of names to schemas; everything else holds a schema or a list of them.
            var isMap = key is "properties" or "definitions" or "patternProperties" or "dependencies";
            var schemas = child switch
            {
                JsonObject map when isMap => map.Select(p => p.Value),
                JsonObject one => [one],
                JsonArray many => many,
                _ => [],
            };
            foreach (var s in schemas.OfType<JsonObject>()) ConstToEnum(s);
        }
    }

    private static string FindRepoRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "CoordBot.sln"))) folder = folder.Parent;
        return folder?.FullName ?? throw new InvalidOperationException("CoordBot.sln not found above " + AppContext.BaseDirectory);
    }
}
