using System.Net;
using System.Text.RegularExpressions;
using CoordBot.Data;
using CoordBot.Tests.Support;
using SkiaSharp;
using Xunit;

namespace CoordBot.Tests.CheckIns;

/// <summary><c>checkin chart</c> through the local channel: the chart as a sized image with its text alternative, and bad input refused without a change.</summary>
public sealed class ChartCommandLocalTests : HostTest
{
    private async Task<ChatUser> SetUpAsync()
    {
        var alice = Host.User("alice");
        await alice.Says("checkin setup \"Veteran homelessness\" --template bfz --baseline 120 --target 80 --members @alice").Expect("Set up Veteran homelessness (I1)");
        await alice.Says("checkin submit I1 \"actively homeless\"=112 inflow=4 outflow=9").Expect("Recorded your");
        return alice;
    }

    [Fact]
    public async Task One_metrics_chart_is_a_sized_png_with_its_text_alternative_shown_only_to_the_asker()
    {
        var alice = await SetUpAsync();
        var reply = await alice.Says("checkin chart I1 --metric \"Actively Homeless\" --weeks 52")
            .Expect("Veteran homelessness: run chart, 52 weeks to", "Run chart of actively homeless, 52 weeks", "Latest: 112 people");
        Assert.True(reply.Ephemeral);
        var images = Regex.Matches(reply.Html, "<img src=\"([^\"]+)\" width=\"800\" height=\"400\" alt=\"([^\"]+)\"");
        var image = Assert.Single(images);
        var src = WebUtility.HtmlDecode(image.Groups[1].Value);
        Assert.StartsWith("/charts/local/1/0/", src, StringComparison.Ordinal);
        Assert.Contains(".png?weeks=52&exp=", src, StringComparison.Ordinal);
        Assert.StartsWith("Run chart of actively homeless, 52 weeks", WebUtility.HtmlDecode(image.Groups[2].Value), StringComparison.Ordinal);
        using var png = await Host.Http.GetAsync(src);
        Assert.Equal(HttpStatusCode.OK, png.StatusCode);
        using var bitmap = SKBitmap.Decode(await png.Content.ReadAsByteArrayAsync());
        Assert.Equal((800, 400), (bitmap.Width, bitmap.Height));

        // Without --metric: each metric's chart; with no initiative named, the asker's only one.
        var all = await alice.Says("checkin chart").Expect("run charts, 26 weeks to", "Run chart of inflow", "Run chart of outflow");
        Assert.Equal(3, Regex.Matches(all.Html, "<figure class=\"chart\"><img ").Count);
    }

    [Theory]
    [InlineData("checkin chart I9", "No initiative \"I9\" in this workspace")]
    [InlineData("checkin chart I1 --metric housed", "Veteran homelessness (I1) has no metric \"housed\"", "Its metrics: actively homeless, inflow, outflow")]
    [InlineData("checkin chart I1 --metric \"<img src=x onerror=alert(1)>\"", "has no metric \"<img src=x onerror=alert(1)>\"")]
    [InlineData("checkin chart I1 --weeks 0", "--weeks is from 1 to 520")]
    [InlineData("checkin chart I1 --weeks 521", "--weeks is from 1 to 520")]
    [InlineData("checkin chart I1 --weeks 99999999999999999999", "--weeks needs a whole number")]
    [InlineData("checkin chart I1 --weeks -3", "--weeks needs a whole number")]
    [InlineData("checkin chart I1 --weeks 2.5", "--weeks needs a whole number")]
    [InlineData("checkin chart I1 --weeks ten", "--weeks needs a whole number")]
    public async Task Bad_input_gets_a_clear_message_and_changes_nothing(string command, params string[] expected)
    {
        var alice = await SetUpAsync();
        var before = await WorkspaceRows.SnapshotAsync(Host.Get<Database>(), "local");
        var reply = await alice.Says(command).ExpectError(expected);
        Assert.DoesNotContain("<img src=x", reply.Html, StringComparison.Ordinal);   // escaped
        Assert.DoesNotContain("/charts/", reply.Html, StringComparison.Ordinal);
        Assert.Equal(before, await WorkspaceRows.SnapshotAsync(Host.Get<Database>(), "local"));
    }
}

/// <summary><c>checkin chart</c> across workspaces: an initiative of another workspace is not found, whatever its reference or id.</summary>
public sealed class ChartCommandWorkspaceTests : CoreTest
{
    [Fact]
    public async Task Another_workspaces_initiative_is_not_found_and_no_link_to_it_is_made()
    {
        Assert.Contains("Set up Housing (I1)", CoreChat.Plain(await Chat.Say("W", "alice", "checkin setup Housing --template bfz")));
        Assert.Contains("Set up Jobs (I2)", CoreChat.Plain(await Chat.Say("W", "alice", "checkin setup Jobs --template bfz")));
        Assert.Contains("Set up Other (I1)", CoreChat.Plain(await Chat.Say("X", "mallory", "checkin setup Other --template bfz")));
        var before = await WorkspaceRows.SnapshotAsync(Chat.Get<Database>(), "W");

        foreach (var reference in new[] { "I2", "Jobs", "2", "Housing" })
        {
            var reply = await Chat.Say("X", "mallory", $"checkin chart {reference}");
            Assert.True(reply.IsError, CoreChat.Plain(reply));
            Assert.Contains("in this workspace", CoreChat.Plain(reply));
            Assert.DoesNotContain("/charts/", CoreChat.Plain(reply));
        }
        // X's own I1 is X's: its links name X, never W.
        var own = await Chat.Say("X", "mallory", "checkin chart I1 --metric inflow");
        Assert.False(own.IsError, CoreChat.Plain(own));
        var chart = Assert.Single(own.Blocks.OfType<CoordBot.Chat.Chart>());
        Assert.StartsWith("/charts/X/", chart.Url, StringComparison.Ordinal);
        Assert.StartsWith("/charts/X/", chart.ImageUrl, StringComparison.Ordinal);
        Assert.Equal(before, await WorkspaceRows.SnapshotAsync(Chat.Get<Database>(), "W"));
    }
}
