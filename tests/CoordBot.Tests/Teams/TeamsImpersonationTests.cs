using System.Net;
using System.Text.Json.Nodes;
using CoordBot.Allies;
using CoordBot.Teams;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Teams;

/// <summary>
/// Acting as someone else over <c>POST /api/messages</c>: each way in is refused with 401 or 403, writes
/// nothing (allies, conversation references) and reveals nothing; the same activity with a genuine
/// Bot Framework token works, so each refusal is the check's doing and not the test's.
/// </summary>
public sealed class TeamsImpersonationTests : TeamsHostTest
{
    private const string OtherTenant = "0b4f7a29-6c1d-4e8b-93a7-5d2c8e1f4a06";
    private const string AttackerApp = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";

    private static readonly JsonObject RemoveJane = new() { ["command"] = "ally remove", ["args"] = new JsonObject { ["ref"] = "A1", ["yes"] = "true" } };

    /// <summary>Alice (the workspace's first user, so its admin) records Jane Doe from her 1:1 chat.</summary>
    private async Task<JsonObject> SeedAsync()
    {
        await Teams.SendAsync(Teams.Message("ally add \"Jane Doe\" --email jane@example.org"));
        await Teams.SendAsync(Teams.Message("ally remove A1"));
        var ask = await Connector.WaitForCallAsync(c => c.Body["attachments"] is not null && c.Body.Card().Text().Contains("Remove Jane Doe (A1)?"));
        return ask.Body.Card().ActionData("Remove Jane Doe");
    }

    private async Task AssertNothingChangedAsync(string tenant = Tenant)
    {
        var (allies, _, _) = await Host.Get<AllyStore>().ListAsync(tenant, new AllyFilter(), 1, 10);
        Assert.Equal(tenant == Tenant ? ["Jane Doe"] : [], allies.Select(a => a.Name));
        var stored = await Host.Get<TeamsConversations>().GetAsync(Tenant, "a:personal-alice", CancellationToken.None);
        Assert.Equal(Teams.ServiceUrl, stored?.ServiceUrl);
        Assert.Null(await Host.Get<TeamsConversations>().AnyAsync(OtherTenant, CancellationToken.None));
    }

    private static void RevealsNothing(string body)
    {
        Assert.DoesNotContain("Jane", body);
        Assert.DoesNotContain("jane@example.org", body);
        Assert.DoesNotContain("Removed", body);
    }

    public static TheoryData<string, string> Attacks => new()
    {
        { "remove", "empty serviceUrl" }, { "remove", "no serviceUrl" },
        { "list", "empty serviceUrl" }, { "list", "no serviceUrl" },
        { "add", "empty serviceUrl" }, { "add", "no serviceUrl" },
    };

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task An_entra_token_from_the_bots_own_tenant_cannot_act_as_another_user(string command, string serviceUrl)
    {
        var removeData = await SeedAsync();
        var callsBefore = Connector.Calls.Count;

        // Any tenant member can get this token from an app they register: no serviceurl claim, their own app as caller.
        var token = Identity.EntraToken(Tenant, AppId, caller: AttackerApp);
        var activity = command switch
        {
            "remove" => Teams.Execute(removeData),
            "list" => Teams.Execute(new JsonObject { ["command"] = "ally list" }),
            _ => Teams.Message("ally add \"Mallory\" --notes planted"),
        };
        if (serviceUrl == "empty serviceUrl") activity["serviceUrl"] = "";
        else activity.Remove("serviceUrl");

        var (status, body) = await Teams.PostAsync(activity, token);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        RevealsNothing(body);
        await AssertNothingChangedAsync();
        Assert.Equal(callsBefore, Connector.Calls.Count);
    }

    [Fact]
    public async Task The_same_entra_token_with_the_real_serviceUrl_is_refused_too()
    {
        var removeData = await SeedAsync();
        var (status, body) = await Teams.PostAsync(Teams.Execute(removeData), Identity.EntraToken(Tenant, AppId, caller: AttackerApp));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        RevealsNothing(body);
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task A_genuine_token_without_a_serviceUrl_in_the_activity_is_refused()
    {
        var removeData = await SeedAsync();
        var activity = Teams.Execute(removeData);
        activity["serviceUrl"] = "";
        var (status, body) = await Teams.PostAsync(activity, Identity.Token(AppId, ""));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("serviceUrl", body);
        RevealsNothing(body);
        await AssertNothingChangedAsync();
    }

    [Theory]
    [InlineData("webchat")]
    [InlineData("directline")]
    [InlineData("emulator")]
    public async Task Activities_of_other_channels_are_forbidden_even_with_an_endorsed_key(string channel)
    {
        var removeData = await SeedAsync();
        Identity.SetEndorsements("msteams", channel);
        Identity.RotateKey();   // the host fetches the new endorsements for the new key id
        var activity = Teams.Execute(removeData);
        activity["channelId"] = channel;

        var (status, body) = await Teams.PostAsync(activity);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        RevealsNothing(body);
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task A_single_tenant_bot_refuses_an_activity_naming_another_tenant()
    {
        await SeedAsync();
        var activity = Teams.Message("ally add \"Mallory\"", conversation: "a:personal-mallory");
        activity["conversation"]!["tenantId"] = OtherTenant;
        activity["channelData"]!["tenant"]!["id"] = OtherTenant;

        var (status, body) = await Teams.PostAsync(activity);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("tenant", body);
        await AssertNothingChangedAsync(OtherTenant);
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task An_activity_whose_two_tenant_fields_disagree_is_refused()
    {
        var removeData = await SeedAsync();
        var activity = Teams.Execute(removeData);
        activity["conversation"]!["tenantId"] = OtherTenant;   // channelData still names the bot's tenant

        var (status, body) = await Teams.PostAsync(activity);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        RevealsNothing(body);
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task The_same_activities_with_a_genuine_token_still_work()
    {
        var removeData = await SeedAsync();

        var (listStatus, listBody) = await Teams.PostAsync(Teams.Execute(new JsonObject { ["command"] = "ally list" }));
        Assert.Equal(HttpStatusCode.OK, listStatus);
        Assert.Contains("Jane Doe", listBody);

        var (status, body) = await Teams.PostAsync(Teams.Execute(removeData));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("Removed Jane Doe (A1).", body);
        var (allies, _, _) = await Host.Get<AllyStore>().ListAsync(Tenant, new AllyFilter(), 1, 10);
        Assert.Empty(allies);
    }
}
