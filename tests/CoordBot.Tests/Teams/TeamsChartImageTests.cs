using System.Net;
using System.Text.Json.Nodes;
using CoordBot.Tests.Support;
using SkiaSharp;
using Xunit;

namespace CoordBot.Tests.Teams;

/// <summary>Run charts inside Teams (issue 15): the digest card carries an Adaptive Card Image per chart, with altText, fetched from the host's public address.</summary>
public sealed class TeamsChartImageTests : TeamsHostTest
{
    private const string Channel = "19:general@thread.tacv2";

    private Task<ConnectorCall> PostedTo(string conversation, string containing) =>
        Connector.WaitForCallAsync(c => c.ConversationId == conversation && c.Method is "POST" or "PUT" && c.Body["attachments"] is not null &&
                                        c.Body.Card().Text().Contains(containing, StringComparison.OrdinalIgnoreCase));

    private JsonObject InChannel(string text) => Teams.Message("<at>CoordBot</at> " + text, conversation: Channel, conversationType: "channel");

    [Fact]
    public async Task The_digest_card_carries_an_image_per_chart_with_alt_text_that_passes_the_1_5_schema_and_loads_as_an_800_by_400_png()
    {
        var setup = InChannel("checkin setup Vets --template bfz --members <at>Alice</at>");
        setup["entities"]!.AsArray().Add(new JsonObject
        {
            ["type"] = "mention", ["text"] = "<at>Alice</at>", ["mentioned"] = new JsonObject { ["id"] = "29:alice", ["name"] = "Alice" },
        });
        await Teams.SendAsync(setup);
        await PostedTo(Channel, "Set up Vets (I1)");
        await Teams.SendAsync(Teams.Message("checkin submit I1 \"actively homeless\"=42 inflow=3 outflow=5"));
        await PostedTo("a:personal-alice", "Recorded");
        await Teams.SendAsync(InChannel("checkin digest I1"));

        var card = (await PostedTo(Channel, "weekly digest")).Body.Card();
        AdaptiveCardSchema.AssertValid(card);
        AdaptiveCardSchema.AssertInert(card);
        var images = Find(card, "Image");
        Assert.Equal(3, images.Count);   // actively homeless, inflow, outflow
        foreach (var image in images)
        {
            var url = image["url"]!.GetValue<string>();
            Assert.StartsWith(PublicBaseUrl + "/charts/" + Tenant + "/1/", url, StringComparison.Ordinal);
            Assert.Contains(".png?weeks=", url, StringComparison.Ordinal);
            Assert.StartsWith("Run chart of ", image["altText"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Contains("Latest: ", image["altText"]!.GetValue<string>(), StringComparison.Ordinal);
            // What Teams would fetch (the public address is this host).
            using var response = await Host.Http.GetAsync(new Uri(url).PathAndQuery);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
            using var bitmap = SKBitmap.Decode(await response.Content.ReadAsByteArrayAsync());
            Assert.Equal((800, 400), (bitmap.Width, bitmap.Height));
        }
        // Each chart keeps its open-link action (the SVG).
        Assert.Equal(3, Find(card, "Action.OpenUrl").Count(a => a["url"]!.GetValue<string>().Contains(".svg?", StringComparison.Ordinal)));
    }

    private static List<JsonObject> Find(JsonNode? node, string type) => node switch
    {
        JsonObject o when o["type"] is JsonValue v && v.GetValue<string>() == type => [o, .. o.SelectMany(p => Find(p.Value, type))],
        JsonObject o => [.. o.SelectMany(p => Find(p.Value, type))],
        JsonArray a => [.. a.SelectMany(n => Find(n, type))],
        _ => [],
    };
}
