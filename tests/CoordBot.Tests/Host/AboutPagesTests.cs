using System.Net;
using System.Text.Json.Nodes;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Host;

/// <summary>The pages the Teams manifest links to exist on the host.</summary>
public sealed class AboutPagesTests : HostTest
{
    [Fact]
    public async Task Every_developer_url_path_in_the_teams_manifest_is_served()
    {
        var folder = CoordBot.Teams.Package.TeamsPackage.FindManifestFolder()!;
        var developer = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json")))!["developer"]!.AsObject();
        foreach (var key in new[] { "privacyUrl", "termsOfUseUrl" })
        {
            var path = new Uri(developer[key]!.GetValue<string>()).AbsolutePath;
            var response = await Host.Http.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{key} {path}: {(int)response.StatusCode}");
            Assert.Contains("CoordBot", await response.Content.ReadAsStringAsync());
        }
    }
}
