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

    private const string AbsolutePng = "https://coordbot.example.org/charts/T1/3/0/2027-W05.png?weeks=26&exp=1800000000&sig=def_-";
    private const string RelativePng = "/charts/local/3/0/2027-W05.png?weeks=26&exp=1800000000&sig=def_-";
    private const string Alt = "Run chart of <b>Inflow</b>, 26 weeks to 2027-W05. Latest: 12 people in 2027-W05. Median 10. No signals.";

    [Fact]
    public void The_local_page_shows_the_png_sized_with_its_text_alternative_and_links_the_svg_on_its_own_origin()
    {
        var html = HtmlRenderer.Render(new Reply("", [new Chart(Title, Absolute, AbsolutePng, Alt)]));
        // Absolute links (a public address) become paths: the page's CSP loads images from 'self' only.
        Assert.Contains("<img src=\"/charts/T1/3/0/2027-W05.png?weeks=26&amp;exp=1800000000&amp;sig=def_-\" width=\"800\" height=\"400\"", html);
        Assert.Contains("alt=\"Run chart of &lt;b&gt;Inflow&lt;/b&gt;, 26 weeks", html);
        Assert.Contains("<a href=\"/charts/T1/3/0/2027-W05.svg?weeks=26&amp;exp=1800000000&amp;sig=abc_-\"", html);
        Assert.DoesNotContain("coordbot.example.org", html);
        Assert.DoesNotContain("<b>", html);
    }

    [Fact]
    public void Slack_gets_an_image_block_with_alt_text_and_title_for_an_https_png_and_keeps_the_link_button()
    {
        var message = BlockKitRenderer.Messages(new Reply("digest", [new Chart(Title, Absolute, AbsolutePng, Alt)]))[0];
        BlockKitLimits.AssertValidMessage(message);
        var blocks = message["blocks"]!.AsArray();
        Assert.Equal(Absolute, blocks[0]!["accessory"]!["url"]!.GetValue<string>());
        var image = blocks[1]!.AsObject();
        Assert.Equal("image", image["type"]!.GetValue<string>());
        Assert.Equal(AbsolutePng, image["image_url"]!.GetValue<string>());
        Assert.Equal(Alt, image["alt_text"]!.GetValue<string>());
        Assert.Equal("plain_text", image["title"]!["type"]!.GetValue<string>());
        Assert.StartsWith("Run chart: <!channel> *inflow*", image["title"]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://coordbot.example.org/charts/T1/3/0/2027-W05.png?weeks=26&exp=1&sig=x")]   // Slack and Teams fetch https only
    [InlineData(RelativePng)]                                                                     // no public address
    [InlineData("javascript:alert(1)")]
    public void No_image_block_or_element_without_an_absolute_https_png(string png)
    {
        var message = BlockKitRenderer.Messages(new Reply("digest", [new Chart(Title, Absolute, png, Alt)]))[0];
        BlockKitLimits.AssertValidMessage(message);
        Assert.DoesNotContain("\"image\"", message.ToJsonString());
        var card = AdaptiveCardRenderer.Cards(new Reply("digest", [new Chart(Title, Absolute, png, Alt)]))[0];
        AdaptiveCardSchema.AssertValid(card);
        Assert.DoesNotContain("\"Image\"", card.ToJsonString());
    }

    [Fact]
    public void A_long_alt_text_and_title_are_cut_to_slacks_limits_and_a_too_long_url_is_no_image()
    {
        var longAlt = string.Concat(Enumerable.Repeat("median 10; ", 400));
        var message = BlockKitRenderer.Messages(new Reply("digest", [new Chart(new string('t', 2500), Absolute, AbsolutePng, longAlt)]))[0];
        BlockKitLimits.AssertValidMessage(message);
        var image = message["blocks"]!.AsArray().Single(b => b!["type"]!.GetValue<string>() == "image")!;
        Assert.True(image["alt_text"]!.GetValue<string>().Length <= 2000);
        Assert.True(image["title"]!["text"]!.GetValue<string>().Length <= 2000);

        var huge = "https://coordbot.example.org/charts/T1/3/0/2027-W05.png?weeks=26&sig=" + new string('a', 1990);
        Assert.False(new Chart(Title, Absolute, huge, Alt).HasSafeImage);   // over 2,000: not emitted anywhere
        Assert.DoesNotContain("\"image\"", BlockKitRenderer.Messages(new Reply("digest", [new Chart(Title, Absolute, huge, Alt)]))[0].ToJsonString());
    }

    [Fact]
    public void Slack_says_the_chart_follows_when_the_sender_uploads_it()
    {
        var chart = new Chart(Title, Relative, RelativePng, Alt);
        var uploaded = BlockKitRenderer.Messages(new Reply("digest", [chart]), new HashSet<Chart> { chart })[0];
        BlockKitLimits.AssertValidMessage(uploaded);
        Assert.Contains(BlockKitRenderer.ChartUploadNote, uploaded.ToJsonString());
        Assert.DoesNotContain("set Bot:PublicBaseUrl", uploaded.ToJsonString());
    }

    [Fact]
    public void Teams_gets_an_image_with_alt_text_that_passes_the_1_5_schema_and_still_the_open_link()
    {
        var card = AdaptiveCardRenderer.Cards(new Reply("digest", [new Chart(Title, Absolute, AbsolutePng, Alt)]))[0];
        AdaptiveCardSchema.AssertValid(card);
        AdaptiveCardSchema.AssertInert(card);
        var image = Find(card, "Image").Single();
        Assert.Equal(AbsolutePng, image["url"]!.GetValue<string>());
        Assert.Equal(Alt.Replace("<", "<\u2060", StringComparison.Ordinal), image["altText"]!.GetValue<string>());
        Assert.Contains("\"type\":\"Action.OpenUrl\"", card.ToJsonString());

        var local = AdaptiveCardRenderer.Cards(new Reply("digest", [new Chart(Title, Relative, RelativePng, Alt)]))[0];
        AdaptiveCardSchema.AssertValid(local);
        Assert.Empty(Find(local, "Image"));
        Assert.Contains("set Bot:PublicBaseUrl", local.ToJsonString());
    }

    private static List<JsonObject> Find(JsonNode? node, string type) => node switch
    {
        JsonObject o when o["type"] is JsonValue v && v.GetValue<string>() == type => [o, .. o.SelectMany(p => Find(p.Value, type))],
        JsonObject o => [.. o.SelectMany(p => Find(p.Value, type))],
        JsonArray a => [.. a.SelectMany(n => Find(n, type))],
        _ => [],
    };
}
