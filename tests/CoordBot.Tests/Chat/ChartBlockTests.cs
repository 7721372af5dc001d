using System.Text.Json.Nodes;
using CoordBot.Chat;
using CoordBot.Chat.Rendering;
using CoordBot.Slack.BlockKit;
using CoordBot.Teams.Cards;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Chat;

/// <summary>A chart block in each channel: an image on the local page, a link in Slack and Teams, nothing clickable from a bad URL.</summary>
public sealed class ChartBlockTests
{
    private const string Absolute = "https://coordbot.example.org/charts/T1/3/0/2027-W05.svg?weeks=26&exp=1800000000&sig=abc_-";
    private const string Relative = "/charts/local/3/0/2027-W05.svg?weeks=26&exp=1800000000&sig=abc_-";
    private const string Title = "Run chart: <!channel> *inflow* [x](https://evil.example)";

    [Fact]
    public void The_local_page_shows_the_chart_inline_with_everything_escaped()
    {
        var html = HtmlRenderer.Render(new Reply("", [new Chart(Title, Relative)]));
        Assert.Contains("<img src=\"/charts/local/3/0/2027-W05.svg?weeks=26&amp;exp=1800000000&amp;sig=abc_-\"", html);
        Assert.Contains("alt=\"Run chart: &lt;!channel&gt; *inflow* [x](https://evil.example)\"", html);
        Assert.DoesNotContain("<!channel>", html);
    }

    [Theory]
    [InlineData("javascript:alert(1)")]
    [InlineData("//evil.example/x.svg")]
    [InlineData("data:image/svg+xml,<svg onload=alert(1)>")]
    [InlineData("")]
    public void A_url_that_is_not_http_or_a_host_path_is_never_a_link(string url)
    {
        var chart = new Chart("Run chart", url);
        Assert.False(chart.IsSafeUrl);
        Assert.DoesNotContain("<img", HtmlRenderer.Render(new Reply("", [chart])));
        Assert.DoesNotContain("\"url\"", BlockKitRenderer.Messages(new Reply("x", [chart]))[0].ToJsonString());
        Assert.DoesNotContain("Action.OpenUrl", AdaptiveCardRenderer.Cards(new Reply("x", [chart]))[0].ToJsonString());
        Assert.Contains("(no link)", PlainTextRenderer.Render(new Reply("", [chart])));
    }

    [Fact]
    public void Slack_gets_a_link_button_when_the_host_has_a_public_address_and_a_note_otherwise()
    {
        var message = BlockKitRenderer.Messages(new Reply("digest", [new Chart(Title, Absolute)]))[0];
        BlockKitLimits.AssertValidMessage(message);
        var section = message["blocks"]![0]!.AsObject();
        Assert.Equal("plain_text", section["text"]!["type"]!.GetValue<string>());
        Assert.Equal(Absolute, section["accessory"]!["url"]!.GetValue<string>());
        Assert.Equal(BlockKitRenderer.ChartLinkActionId, section["accessory"]!["action_id"]!.GetValue<string>());

        var relative = BlockKitRenderer.Messages(new Reply("digest", [new Chart(Title, Relative)]))[0];
        Assert.Contains("set Bot:PublicBaseUrl", relative.ToJsonString());
        Assert.DoesNotContain("\"url\"", relative.ToJsonString());
    }

    [Fact]
    public void Teams_gets_an_open_url_action_and_inert_text()
    {
        var card = AdaptiveCardRenderer.Cards(new Reply("digest", [new Chart(Title, Absolute)]))[0];
        AdaptiveCardSchema.AssertValid(card);
        AdaptiveCardSchema.AssertInert(card);
        var open = card.ToJsonString();
        Assert.Contains("\"type\":\"Action.OpenUrl\"", open);
        Assert.Contains(JsonValue.Create(Absolute)!.ToJsonString(), open);
        Assert.DoesNotContain("Action.OpenUrl", AdaptiveCardRenderer.Cards(new Reply("digest", [new Chart(Title, Relative)]))[0].ToJsonString());
    }
}
