using System.Text.Json.Nodes;
using CoordBot.Scheduling;
using CoordBot.Tests.Support;
using CoordBot.Workspaces;
using Xunit;

namespace CoordBot.Tests.Teams;

/// <summary>A Teams member's time zone comes from the <c>clientInfo</c> entity their client puts on each message.</summary>
public sealed class TeamsMemberZoneTests : TeamsHostTest
{
    private Task<ConnectorCall> PostedTo(string conversation, string containing) =>
        Connector.WaitForCallAsync(c => c.ConversationId == conversation && c.Method is "POST" or "PUT" && c.Body["attachments"] is not null &&
                                        c.Body.Card().Text().Contains(containing, StringComparison.OrdinalIgnoreCase));

    private JsonObject WithClientInfo(JsonObject message, JsonNode? timezone)
    {
        var entities = message["entities"] as JsonArray ?? [];
        message["entities"] = entities;
        entities.Add(new JsonObject { ["type"] = "clientInfo", ["locale"] = "en-IN", ["country"] = "IN", ["platform"] = "Web", ["timezone"] = timezone });
        return message;
    }

    [Fact]
    public async Task The_client_s_timezone_is_picked_up_from_a_message_and_moves_the_member_s_prompts()
    {
        await Teams.SendAsync(Teams.Message("checkin setup Vets --metric \"beds:beds:increase\" --every mon 09:00 --tz UTC"));
        await PostedTo("a:personal-alice", "Set up Vets (I1)");
        Assert.Equal(MemberZone.None, await Host.Get<MemberZoneStore>().GetAsync(Tenant, "29:alice"));

        await Teams.SendAsync(WithClientInfo(Teams.Message("checkin zone"), "Asia/Kolkata"));
        (await PostedTo("a:personal-alice", "Your time zone: Asia/Kolkata (from Teams)")).Body.Card().CardShows("next prompt", "(Asia/Kolkata)");
        Assert.Equal(new MemberZone("Asia/Kolkata", null), await Host.Get<MemberZoneStore>().GetAsync(Tenant, "29:alice"));
        var keys = (await Host.Get<IScheduledSends>().UpcomingAsync(Tenant, 50)).Select(s => s.Key).ToList();
        Assert.Contains("checkin:I1:prompt:Asia/Kolkata", keys);
        Assert.Contains("checkin:I1:prompt", keys);   // the initiative's own, for whoever joins without a zone

        // A forged, oversized or odd clientInfo changes nothing.
        foreach (JsonNode? forged in new JsonNode?[] { "Mars/Olympus_Mons", "../../etc/passwd", new string('A', 100_000), 42, new JsonObject { ["id"] = "Europe/Berlin" } })
            await Teams.SendAsync(WithClientInfo(Teams.Message("checkin status"), forged?.DeepClone()));
        // Messages of one conversation are handled in order: once the last is answered, every forged one was read.
        await Teams.SendAsync(Teams.Message("checkin list"));
        await PostedTo("a:personal-alice", "every Monday 09:00 (UTC)");
        Assert.Equal(new MemberZone("Asia/Kolkata", null), await Host.Get<MemberZoneStore>().GetAsync(Tenant, "29:alice"));
    }
}
