using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using CoordBot.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CoordBot.Tests.Allies;

/// <summary>
/// <c>ally import --format openstates</c> end to end through the local channel, with real Open States files
/// (public domain; Allies/OpenStates/SOURCES.md) and a clock the test moves so the same published files
/// describe different moments: an import, a re-import where one role changed and one person left office,
/// malformed files answered with the file, line and field at fault and nothing imported, and hostile input.
/// </summary>
public sealed class OpenStatesImportTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2021, 3, 1, 17, 0, 0, TimeSpan.Zero));
    private TestHost _host = null!;
    private ChatUser _alice = null!;

    public ValueTask InitializeAsync()
    {
        _host = new TestHost(_db, s => s.AddSingleton<TimeProvider>(_clock));
        _alice = _host.User("alice");
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        _db.Dispose();
    }

    private const string Andi = "ak/legislature/Andi-Story-7db414a5-dd7e-48a9-aba2-9c0204f93a5c.yml";
    private const string Cathy = "ak/legislature/Cathy-Giessel-4ac9a4bf-e2d9-4257-a360-9e91dc234deb.yml";
    private const string Dunleavy = "ak/executive/Mike-Dunleavy-80f0f5f8-976d-427b-b980-ce3a23a23e84.yml";
    private const string LaFrance = "ak/municipalities/Suzanne-LaFrance-f18dfad6-bd62-483d-a9f3-a70a7757419b.yml";
    private const string BerkowitzMayor = "ak/municipalities/Ethan-Berkowitz-5ca659f8-6061-4d91-a4ed-d10255569906.yml";
    private const string BerkowitzRetired = "ak/retired/Ethan-Berkowitz-5ca659f8-6061-4d91-a4ed-d10255569906.yml";
    private const string Committee = "ak/committees/lower-Finance-ecc5b652-8fae-4277-8bbc-e6078100bc3b.yml";

    internal static string Fixture(string path) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Allies", "OpenStates", "people", path));

    /// <summary>A zip of fixture files under their repository paths, as zipping a state's folder gives.</summary>
    internal static byte[] Zip(params string[] paths) => ZipOf(paths.Select(p => (p, Fixture(p))).ToArray());

    internal static byte[] ZipOf(params (string Path, string Text)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (path, text) in entries)
            {
                using var writer = new StreamWriter(zip.CreateEntry(path).Open());
                writer.Write(text);
            }
        return buffer.ToArray();
    }

    [Fact]
    public async Task A_state_folder_is_imported_then_updated_in_place_with_role_history_and_leaving_office()
    {
        // 2021-03-01: Andi Story holds House district 34; Cathy Giessel is between terms; Dunleavy is in his first term;
        // Berkowitz is mayor (the older contact_details format). The committee file is skipped.
        var first = await _alice.Sends("ally import --format openstates", ("ak.zip", Zip(Andi, Cathy, Dunleavy, BerkowitzMayor, Committee)))
            .Expect("Open States import: added 3 allies (A1–A3).", "Skipped 1 person who holds no office now (not added)");
        Assert.True(first.Ephemeral);
        await _alice.Says("ally show A1").Expect("Andi Story (A1)", "Organization: Alaska Legislature", "Role: State Representative, District 34",
            "Sector: government", "Level: elected", "Term ends: 2023-01-16", "Jurisdiction: ocd-jurisdiction/country:us/state:ak/government",
            "Email: representative.andi.story@akleg.gov", "Phone: 907-465-3744", "Tags: democratic", "Open States id: ocd-person/7db414a5-dd7e-48a9-aba2-9c0204f93a5c");
        await _alice.Says("ally show A2").Expect("Mike Dunleavy (A2)", "Role: Governor", "Organization: State of Alaska", "In this role since: 2018-12-03",
            "Term ends: 2022-12-05", "Phone: 907-465-3500", "Tags: republican");
        await _alice.Says("ally show A3").Expect("Ethan Berkowitz (A3)", "Role: Mayor", "Organization: City of Anchorage", "Email: mayor@muni.org", "Phone: 907-343-7100",
            "Jurisdiction: ocd-jurisdiction/country:us/state:ak/place:anchorage/government");

        // The Open Civic Data ids match election jurisdictions: the state's election puts the legislator and the governor at risk, not the mayor.
        await _alice.Says("election add ocd-division/country:us/state:ak 2022-11-08 --name \"Alaska general\"").Expect("E1");
        var risk = await _alice.Says("election risk E1").Expect("Andi Story (A1)", "Mike Dunleavy (A2)");
        Assert.DoesNotContain("Berkowitz", risk.Plain);
        await _alice.Says("ally list --jurisdiction ak").Expect("2 allies");

        // 2023-02-01: the same published files. Andi now holds district 3 (history keeps 34), Cathy holds a seat again (added),
        // Dunleavy's second term (term end updated), Berkowitz's file is now in retired/ (he left office on 2021-04-06).
        _clock.Set(new DateTimeOffset(2023, 2, 1, 17, 0, 0, TimeSpan.Zero));
        var second = await _alice.Sends("ally import --format openstates", ("ak.zip", Zip(Andi, Cathy, Dunleavy, BerkowitzRetired, Committee)))
            .Expect("Open States import: added 1 ally (A4), updated 3.",
                "Andi Story (A1)", "State Representative, District 34, Alaska Legislature → State Representative, District 3, Alaska Legislature",
                "Mike Dunleavy (A2)", "contact details, party or term updated",
                "Ethan Berkowitz (A3)", "left office on 2021-04-06");
        Assert.DoesNotContain("Skipped", second.Text);
        var andi = await _alice.Says("ally show A1").Expect("Role: State Representative, District 3", "In this role since: 2023-01-17", "Role history (1):",
            "State Representative, District 34, Alaska Legislature (elected, ocd-jurisdiction/country:us/state:ak/government), 2021-03-01 – 2023-01-17");
        Assert.DoesNotContain("Term ends", andi.Plain);   // district 34's term ended; district 3's end is not given
        await _alice.Says("ally show A2").Expect("Term ends: 2026-12-07");
        await _alice.Says("ally show A3").Expect("Left office: 2021-04-06 (former officeholder)", "Mayor, City of Anchorage");
        await _alice.Says("ally show A4").Expect("Cathy Giessel (A4)", "Role: State Senator, District E", "In this role since: 2023-01-17", "Phone: 907-465-4843");
        await _alice.Says("ally list").Expect("4 allies");

        // The same files once more change nothing and add nobody.
        await _alice.Sends("ally import --format openstates", ("ak.zip", Zip(Andi, Cathy, Dunleavy, BerkowitzRetired)))
            .Expect("Open States import: 4 unchanged.");
        await _alice.Says("ally list").Expect("4 allies");
        await _alice.Says("ally show A1").Expect("Role history (1):");
    }

    [Fact]
    public async Task Person_files_can_be_pasted_several_at_a_time_or_attached_as_yml()
    {
        _clock.Set(new DateTimeOffset(2026, 12, 4, 17, 0, 0, TimeSpan.Zero));
        await _alice.Says("ally import --format openstates\n" + Fixture(Andi) + "---\n" + Fixture(LaFrance))
            .Expect("Open States import: added 2 allies (A1–A2).");
        await _alice.Says("ally show A2").Expect("Suzanne LaFrance (A2)", "Role: Mayor", "Organization: City of Anchorage", "Term ends: 2027-06-30", "Email: mayor@anchorageak.gov");
        await _alice.Sends("ally import --format openstates", ("Cathy-Giessel.yml", System.Text.Encoding.UTF8.GetBytes(Fixture(Cathy))),
                ("Andi-Story.yml", System.Text.Encoding.UTF8.GetBytes(Fixture(Andi))))
            .Expect("Open States import: added 1 ally (A3), 1 unchanged.");
        // User edits survive: a tag and notes are the coalition's own, and a re-import does not undo them.
        await _alice.Says("ally edit A1 --tags \"housing,democratic\" --notes \"Co-chairs the housing caucus\" --stance champion").Expect("Updated");
        await _alice.Sends("ally import --format openstates", ("a.yml", System.Text.Encoding.UTF8.GetBytes(Fixture(Andi)))).Expect("1 unchanged");
        await _alice.Says("ally show A1").Expect("Tags: housing, democratic", "Co-chairs the housing caucus", "Stance: champion");
        await _alice.Says("ally import --format openstates").ExpectError("Attach Open States person files");
    }

    [Fact]
    public async Task A_malformed_file_is_answered_with_file_line_and_field_and_nothing_is_imported()
    {
        _clock.Set(new DateTimeOffset(2026, 12, 4, 17, 0, 0, TimeSpan.Zero));
        // Line 12 of Andi Story's file is her current role's start_date.
        var badDate = Fixture(Andi).Replace("- start_date: 2023-01-17", "- start_date: 2023-13-17");
        await _alice.Says("ally import --format openstates\n" + badDate)
            .ExpectError("Nothing imported: 1 problem", "the pasted text line 12", "roles[0].start_date \"2023-13-17\" is not a date like 2023-01-17.");

        // In a zip: each file named by its path; a file with no name and one that is not YAML at all; the good files wait.
        var noName = Fixture(Cathy).Replace("name: Cathy Giessel\n", "");
        var broken = Fixture(Dunleavy).Replace("roles:\n- start_date: '2022-12-05'", "roles:\n- start_date: '2022-12-05\n  [");
        var wrongType = Fixture(LaFrance).Replace("  type: mayor", "  type: 42 Mayor!");
        var reply = await _alice.Sends("ally import --format openstates", ("ak.zip", ZipOf((Andi, Fixture(Andi)), (Cathy, noName), (Dunleavy, broken), (LaFrance, wrongType))))
            .ExpectError("Nothing imported: 3 problems", $"{Cathy} line 1", "name is missing.", $"{Dunleavy} line", "the YAML can't be read",
                $"{LaFrance} line 8", "roles[0].type is missing or not a role type");
        Assert.Contains("import the 1 good person with --skip-bad", reply.Plain);
        await _alice.Says("ally list").Expect("No allies yet");

        // --skip-bad imports the good person and says what it skipped.
        await _alice.Sends("ally import --format openstates --skip-bad", ("ak.zip", ZipOf((Andi, Fixture(Andi)), (Cathy, noName))))
            .Expect("added 1 ally (A1)", "Skipped 1 problem (--skip-bad)", "name is missing.");

        // Other shapes refused by field: a person without roles, a role without an OCD jurisdiction, a bad id, the same person twice.
        await _alice.Says("ally import --format openstates\nid: ocd-person/7db414a5-dd7e-48a9-aba2-9c0204f93a5c\nname: Andi Story\n")
            .ExpectError("line 1", "roles is missing");
        await _alice.Says("ally import --format openstates\nid: ocd-person/7db414a5-dd7e-48a9-aba2-9c0204f93a5c\nname: X\nroles:\n- type: lower\n  jurisdiction: Alaska\n")
            .ExpectError("line 5", "roles[0].jurisdiction is not an Open Civic Data jurisdiction");
        await _alice.Says("ally import --format openstates\nid: A12\nname: X\n").ExpectError("line 1", "id \"A12\" is not an Open States person id");
        await _alice.Says("ally import --format openstates\n" + Fixture(Cathy) + "---\n" + Fixture(Cathy))
            .ExpectError("the pasted text line 51", "is also in the pasted text line 1");
        await _alice.Says("ally list").Expect("1 ally");
    }

    [Fact]
    public async Task Hostile_input_is_refused_and_changes_nothing()
    {
        _clock.Set(new DateTimeOffset(2026, 12, 4, 17, 0, 0, TimeSpan.Zero));
        // A zip bomb: 40 MB of one letter compresses to a few kilobytes; reading stops at 1 MB.
        var bomb = ZipOf((Andi, Fixture(Andi) + "notes: " + new string('a', 40 * 1024 * 1024) + "\n"));
        Assert.True(bomb.Length < 100_000);
        await _alice.Sends("ally import --format openstates", ("bomb.zip", bomb)).ExpectError("larger than 1 MB once unzipped");
        // Nesting deep enough to overflow a recursive reader, an alias expansion ("billion laughs"), a zip that is not one.
        await _alice.Says("ally import --format openstates\nid: " + new string('[', 50_000)).ExpectError("nested more than 16 deep");
        await _alice.Says("ally import --format openstates\na: &a [x, x]\nb: [*a, *a]\n").ExpectError("line 1", "anchors");
        await _alice.Sends("ally import --format openstates", ("ak.zip", "PK\u0003\u0004 not really"u8.ToArray())).ExpectError("ak.zip", "not a zip");
        // A script in a name is stored as text and escaped when shown.
        await _alice.Says("ally import --format openstates\n" + Fixture(Andi).Replace("name: Andi Story", "name: <script>alert(1)</script>")).Expect("added 1 ally (A1)");
        var shown = await _alice.Says("ally show A1");
        Assert.DoesNotContain("<script>", shown.Html);
        Assert.Contains("&lt;script&gt;", shown.Html);

        // The local API: more than 2 MB of files, bad base64, files without a command, too many files.
        var http = _host.Http;
        var tooBig = Convert.ToBase64String(new byte[2 * 1024 * 1024 + 1]);
        await AssertBad(http, new { user = "alice", text = "ally import --format openstates", files = new[] { new { name = "a.zip", content = tooBig } } }, "more than 2 MB");
        await AssertBad(http, new { user = "alice", text = "ally import --format openstates", files = new[] { new { name = "a.zip", content = "not base64!" } } }, "not base64");
        await AssertBad(http, new { user = "alice", value = new { command = "ally import" }, files = new[] { new { name = "a.yml", content = "" } } }, "go with a command");
        await AssertBad(http, new { user = "alice", text = "x", files = Enumerable.Range(0, 11).Select(i => new { name = $"{i}.yml", content = "" }) }, "At most 10 files");
        await AssertBad(http, new { user = "alice", text = "x", files = new[] { new { name = "", content = "" } } }, "files[0].name");
        await _alice.Says("ally list").Expect("1 ally");
    }

    private static async Task AssertBad(HttpClient http, object body, string problem)
    {
        using var response = await http.PostAsJsonAsync("/local/messages", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Contains(problem, text);
    }
}
