using System.Text.Json.Nodes;
using CoordBot.Tests.Allies;
using CoordBot.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CoordBot.Tests.Slack;

/// <summary>
/// <c>ally import --format openstates</c> through Slack: a zip of a state's folder and .yml files shared in a DM with
/// the command (downloaded with the bot token from the fake Slack), a re-import on a later day that updates in place,
/// a malformed file answered with its line and field, and a file from another workspace refused.
/// </summary>
public sealed class SlackOpenStatesImportTests : IAsyncLifetime
{
    private const string Team = SlackHostTest.Team;
    private readonly ManualClock _clock = new(new DateTimeOffset(2021, 3, 1, 17, 0, 0, TimeSpan.Zero));
    private readonly TestDatabase _db = new();
    private FakeSlackApi _slack = null!;
    private TestHost _host = null!;
    private SlackTestClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _slack = await FakeSlackApi.StartAsync();
        _slack.AddTeam(Team, SlackHostTest.BotToken);
        _slack.AddUser(Team, "U1", "alice", isAdmin: true);
        _host = new TestHost(_db, s => s.AddSingleton<TimeProvider>(_clock), SlackHostTest.Settings(_slack));
        _client = new SlackTestClient(_host.Http, SlackHostTest.SigningSecret, _slack, _clock);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        await _slack.DisposeAsync();
        _db.Dispose();
    }

    private const string Andi = "ak/legislature/Andi-Story-7db414a5-dd7e-48a9-aba2-9c0204f93a5c.yml";
    private const string Cathy = "ak/legislature/Cathy-Giessel-4ac9a4bf-e2d9-4257-a360-9e91dc234deb.yml";
    private const string BerkowitzMayor = "ak/municipalities/Ethan-Berkowitz-5ca659f8-6061-4d91-a4ed-d10255569906.yml";
    private const string BerkowitzRetired = "ak/retired/Ethan-Berkowitz-5ca659f8-6061-4d91-a4ed-d10255569906.yml";

    private static JsonObject Dm(string text, params JsonObject[] files) => new()
    {
        ["type"] = "message", ["subtype"] = "file_share", ["channel"] = "D1", ["channel_type"] = "im", ["user"] = "U1", ["text"] = text,
        ["files"] = new JsonArray(files), ["ts"] = "1700000000.000300",
    };

    private async Task<JsonObject> DmReplyAsync(string contains)
    {
        var post = await _slack.WaitForCallAsync("chat.postMessage", c => c.Arg("channel") == "D1" && SlackText.Of(c.Args).Contains(contains, StringComparison.Ordinal));
        BlockKitLimits.AssertValidMessage(post.Message());
        return post.Message();
    }

    [Fact]
    public async Task A_shared_zip_imports_officials_and_a_later_one_updates_them_in_place()
    {
        await _client.EventAsync(Team, Dm("ally import --format openstates",
            _slack.ShareFile(Team, "ak.zip", OpenStatesImportTests.Zip(Andi, Cathy, BerkowitzMayor), "application/zip")));
        (await DmReplyAsync("Open States import")).Shows("Open States import: added 2 allies (A1–A2).", "Skipped 1 person who holds no office now");
        (await _client.CommandAsync(Team, "U1", "/ally", "show A1")).Message().Shows("State Representative, District 34", "Alaska Legislature");

        _clock.Set(new DateTimeOffset(2023, 2, 1, 17, 0, 0, TimeSpan.Zero));
        await _client.EventAsync(Team, Dm("ally import --format openstates",
            _slack.ShareFile(Team, "ak.zip", OpenStatesImportTests.Zip(Andi, Cathy, BerkowitzRetired), "application/zip")));
        (await DmReplyAsync("added 1 ally")).Shows("Open States import: added 1 ally (A3), updated 2.", "left office on 2021-04-06");
        (await _client.CommandAsync(Team, "U1", "/ally", "show A1")).Message()
            .Shows("State Representative, District 3", "Role history (1)", "State Representative, District 34, Alaska Legislature");
        (await _client.CommandAsync(Team, "U1", "/ally", "list")).Message().Shows("3 allies");
    }

    [Fact]
    public async Task Several_yml_files_in_one_message_are_read_and_a_malformed_one_stops_the_import()
    {
        _clock.Set(new DateTimeOffset(2026, 12, 4, 17, 0, 0, TimeSpan.Zero));
        var bad = OpenStatesImportTests.Fixture(Andi).Replace("- start_date: 2023-01-17", "- start_date: 2023-13-17");
        await _client.EventAsync(Team, Dm("ally import --format openstates",
            _slack.ShareFile(Team, "Cathy-Giessel.yml", OpenStatesImportTests.Fixture(Cathy), "text/yaml"),
            _slack.ShareFile(Team, "Andi-Story.yml", bad, "text/yaml")));
        (await DmReplyAsync("Nothing imported")).Shows("Andi-Story.yml line 12", "roles[0].start_date \"2023-13-17\" is not a date like 2023-01-17.");
        (await _client.CommandAsync(Team, "U1", "/ally", "list")).Message().Shows("No allies yet");

        await _client.EventAsync(Team, Dm("ally import --format openstates",
            _slack.ShareFile(Team, "Cathy-Giessel.yml", OpenStatesImportTests.Fixture(Cathy), "text/yaml"),
            _slack.ShareFile(Team, "Andi-Story.yml", OpenStatesImportTests.Fixture(Andi), "text/yaml")));
        (await DmReplyAsync("added 2 allies")).Shows("Open States import: added 2 allies (A1–A2).");

        // A file shared in another workspace is not downloadable with this one's token: refused, nothing changes.
        await _client.EventAsync(Team, Dm("ally import --format openstates",
            _slack.ShareFile("T-OTHER", "ak.zip", OpenStatesImportTests.Zip(BerkowitzMayor), "application/zip")));
        await DmReplyAsync("I could not read ak.zip");
        // Together over 2 MB: refused before any download.
        await _client.EventAsync(Team, Dm("ally import --format openstates",
            _slack.ShareFile(Team, "a.zip", new byte[1_500_000], "application/zip"), _slack.ShareFile(Team, "b.zip", new byte[1_500_000], "application/zip")));
        await DmReplyAsync("more than 2 MB together");
        (await _client.CommandAsync(Team, "U1", "/ally", "list")).Message().Shows("2 allies");
    }
}
