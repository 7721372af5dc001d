using System.Net;
using System.Text.Json.Nodes;
using CoordBot.Allies;
using CoordBot.Data;
using CoordBot.Tests.Support;
using Dapper;
using Xunit;

namespace CoordBot.Tests.Teams;

/// <summary>
/// What the Bot Framework did not vouch for never reaches the router, through the real host over
/// HTTP: forged Entra tokens (the impersonation attack), activities without a serviceUrl, other
/// channels and other tenants are refused, write nothing and reveal nothing; real Teams traffic works.
/// </summary>
public sealed class TeamsInboundSecurityTests : TeamsHostTest
{
    private const string OtherTenant = "0b4f7a29-6c1d-4e8b-93a7-5d2c8e1f4a06";
    // Some app any member of the bot's tenant registered for themselves.
    private const string MembersOwnApp = "c4d2e8a1-7b3f-4e6c-9a05-1f8b6d3e2c90";

    public static TheoryData<string, string> AttackCommands => new()
    {
        { "ally remove A1 --yes", "" }, { "ally remove A1 --yes", "absent" },
        { "ally add \"Mallory\"", "" }, { "ally add \"Mallory\"", "absent" },
        { "ally list", "" }, { "ally list", "absent" },
    };

    [Theory]
    [MemberData(nameof(AttackCommands))]
    public async Task An_entra_token_from_the_bots_own_tenant_cannot_act_as_anyone(string command, string serviceUrl)
    {
        await GivenJaneDoeAsync();
        var before = await SnapshotAsync();

        // The exact attack: an Entra token for the bot's app id, from the bot's tenant, asked for by another app;
        // no serviceurl claim; the activity's serviceUrl empty or absent; an admin's id and any tenant in the body.
        var attack = Teams.Execute(new JsonObject { ["command"] = command });
        if (serviceUrl == "absent") attack.Remove("serviceUrl"); else attack["serviceUrl"] = serviceUrl;
        var token = Identity.EntraToken(Tenant, AppId, callerAppId: MembersOwnApp);
        var (status, body) = await Teams.PostAsync(attack, token);

        Assert.True(status == HttpStatusCode.Unauthorized, $"{(int)status} {body}");
        Assert.Contains("Bot Framework token refused", body);
        await AssertNothingChangedAsync(before, body);
    }

    [Theory]
    [InlineData("")]
    [InlineData("absent")]
    [InlineData(" ")]
    public async Task An_activity_without_a_serviceUrl_is_refused_even_with_a_bot_framework_token(string serviceUrl)
    {
        await GivenJaneDoeAsync();
        var before = await SnapshotAsync();

        foreach (var claim in new[] { null, Teams.ServiceUrl })
        {
            var activity = Teams.Execute(new JsonObject { ["command"] = "ally remove A1 --yes" });
            if (serviceUrl == "absent") activity.Remove("serviceUrl"); else activity["serviceUrl"] = serviceUrl;
            var (status, body) = await Teams.PostAsync(activity, Identity.Token(AppId, claim));
            Assert.True(status == HttpStatusCode.Unauthorized, $"{(int)status} {body}");
            Assert.Contains("the activity has no serviceUrl", body);
            await AssertNothingChangedAsync(before, body);
        }
    }

    [Theory]
    [InlineData("webchat")]
    [InlineData("directline")]
    [InlineData("emulator")]
    [InlineData("MSTEAMS")]
    public async Task Other_channels_are_forbidden_even_when_the_key_is_endorsed_for_them(string channel)
    {
        Identity.SetEndorsements("msteams", channel);   // before the host's first key fetch
        await GivenJaneDoeAsync();
        var before = await SnapshotAsync();

        foreach (var activity in new[] { Teams.Execute(new JsonObject { ["command"] = "ally remove A1 --yes" }), Teams.Message("ally add \"Mallory\"") })
        {
            activity["channelId"] = channel;
            var (status, body) = await Teams.PostAsync(activity);
            Assert.True(status == HttpStatusCode.Forbidden, $"{(int)status} {body}");
            Assert.Contains($"channel '{channel}' is not served", body);
            await AssertNothingChangedAsync(before, body);
        }
    }

    [Fact]
    public async Task A_single_tenant_bot_refuses_activities_of_another_tenant()
    {
        await GivenJaneDoeAsync();
        var before = await SnapshotAsync();

        var foreign = Teams.Message("ally add \"Mallory\"", conversation: "a:personal-foreign");
        foreign["channelData"]!["tenant"]!["id"] = OtherTenant;
        foreign["conversation"]!["tenantId"] = OtherTenant;
        var (status, body) = await Teams.PostAsync(foreign);
        Assert.True(status == HttpStatusCode.Forbidden, $"{(int)status} {body}");
        Assert.Contains("not this bot's tenant", body);

        // Only one of the two fields, either way round.
        var onlyConversation = Teams.Execute(new JsonObject { ["command"] = "ally list" }, conversation: "a:personal-foreign");
        onlyConversation.Remove("channelData");
        onlyConversation["conversation"]!["tenantId"] = OtherTenant;
        (status, body) = await Teams.PostAsync(onlyConversation);
        Assert.True(status == HttpStatusCode.Forbidden, $"{(int)status} {body}");
        Assert.Contains("not this bot's tenant", body);
        await AssertNothingChangedAsync(before, body);
    }

    [Fact]
    public async Task An_activity_naming_two_tenants_is_refused()
    {
        await GivenJaneDoeAsync();
        var before = await SnapshotAsync();

        var split = Teams.Execute(new JsonObject { ["command"] = "ally remove A1 --yes" });
        split["conversation"]!["tenantId"] = OtherTenant;   // channelData.tenant.id stays the bot's tenant
        var (status, body) = await Teams.PostAsync(split);
        Assert.True(status == HttpStatusCode.BadRequest, $"{(int)status} {body}");
        Assert.Contains("different tenants", body);
        await AssertNothingChangedAsync(before, body);
    }

    [Fact]
    public async Task Normal_teams_traffic_still_works_end_to_end()
    {
        await GivenJaneDoeAsync();

        var (status, body) = await Teams.PostAsync(Teams.Execute(new JsonObject { ["command"] = "ally list" }));
        Assert.Equal(HttpStatusCode.OK, status);
        JsonNode.Parse(body)!["value"]!.AsObject().CardShows("Jane Doe");

        // The same command data the attack sent does what it says when the Bot Framework sends it.
        (status, body) = await Teams.PostAsync(Teams.Execute(new JsonObject { ["command"] = "ally remove A1 --yes" }));
        Assert.Equal(HttpStatusCode.OK, status);
        JsonNode.Parse(body)!["value"]!.AsObject().CardShows("Removed Jane Doe (A1)");
        var (allies, _, _) = await Host.Get<AllyStore>().ListAsync(Tenant, new AllyFilter(), 1, 10);
        Assert.Empty(allies);
    }

    [Fact]
    public async Task A_stored_conversation_only_ever_gets_a_usable_serviceUrl()
    {
        var conversations = Host.Get<CoordBot.Teams.TeamsConversations>();
        var good = new CoordBot.Teams.TeamsConversation(Tenant, "a:x", "personal", Teams.ServiceUrl, BotId, "29:x", null);
        await conversations.SaveAsync(good, default);
        await Assert.ThrowsAsync<ArgumentException>(() => conversations.SaveAsync(good with { ServiceUrl = "" }, default));
        await Assert.ThrowsAsync<ArgumentException>(() => conversations.SaveAsync(good with { ServiceUrl = " " }, default));
        Assert.Equal(Teams.ServiceUrl, (await conversations.GetAsync(Tenant, "a:x", default))?.ServiceUrl);
    }

    /// <summary>Alice (the workspace's first user, so its admin) adds Jane Doe as A1 through real Teams traffic.</summary>
    private async Task GivenJaneDoeAsync()
    {
        await Teams.SendAsync(Teams.Message("ally add \"Jane Doe\" --org \"City of Atlanta\""));
        await Connector.WaitForCallAsync(c => c.Body.ToJsonString().Contains("Added Jane Doe (A1)"));
    }

    private sealed record Snapshot(string[] Allies, string[] Conversations, int ConnectorCalls);

    private async Task<Snapshot> SnapshotAsync()
    {
        var (allies, _, _) = await Host.Get<AllyStore>().ListAsync(Tenant, new AllyFilter(), 1, 50);
        await using var connection = await Host.Get<Database>().OpenAsync(default);
        var conversations = await connection.QueryAsync<string>(
            "SELECT workspace_id || '|' || conversation_id || '|' || service_url || '|' || active || '|' || updated_at FROM teams_conversations ORDER BY workspace_id, conversation_id");
        return new Snapshot([.. allies.Select(a => $"{a.Id}|{a.Name}")], [.. conversations], Connector.Calls.Count);
    }

    /// <summary>Nothing written, nothing sent, and the refusal names no ally.</summary>
    private async Task AssertNothingChangedAsync(Snapshot before, string body)
    {
        var after = await SnapshotAsync();
        Assert.Equal(before.Allies, after.Allies);
        Assert.Equal(before.Conversations, after.Conversations);
        Assert.Equal(before.ConnectorCalls, after.ConnectorCalls);
        Assert.DoesNotContain("Jane", body);
        Assert.DoesNotContain("Atlanta", body);
        Assert.DoesNotContain("statusCode", body);
    }
}

/// <summary>
/// The opt-in Entra route (<c>Teams:AllowedCallerAppIds</c>): an Entra token for the bot's tenant is
/// accepted from a listed caller only; any other app of the same tenant is still refused.
/// </summary>
public sealed class TeamsAllowedCallerTests : TeamsHostTest
{
    private const string AllowedCaller = "3f9a1c62-5d4e-4b7a-8c21-6e0d9b2f4a18";
    private const string MembersOwnApp = "c4d2e8a1-7b3f-4e6c-9a05-1f8b6d3e2c90";

    protected override Dictionary<string, string?> ExtraSettings => new() { ["Teams:AllowedCallerAppIds:0"] = AllowedCaller };

    [Fact]
    public async Task An_allowed_caller_with_the_bots_tenant_is_accepted()
    {
        var token = Identity.EntraToken(Tenant, AppId, callerAppId: AllowedCaller);
        var (status, body) = await Teams.PostAsync(Teams.Message("ally add \"Jane Doe\""), token);
        Assert.True(status == HttpStatusCode.OK, $"{(int)status} {body}");
        await Connector.WaitForCallAsync(c => c.Body.ToJsonString().Contains("Added Jane Doe (A1)"));

        (status, body) = await Teams.PostAsync(Teams.Execute(new JsonObject { ["command"] = "ally list" }),
            Identity.EntraToken(Tenant, AppId, v1Issuer: true, callerAppId: AllowedCaller));
        Assert.True(status == HttpStatusCode.OK, $"{(int)status} {body}");
        JsonNode.Parse(body)!["value"]!.AsObject().CardShows("Jane Doe");
    }

    [Theory]
    [InlineData("other app")]
    [InlineData("no caller")]
    [InlineData("foreign tid")]
    [InlineData("empty serviceUrl")]
    public async Task Other_entra_tokens_are_refused_and_change_nothing(string forgery)
    {
        var activity = Teams.Message("ally add \"Mallory\"");
        var token = forgery switch
        {
            "other app" => Identity.EntraToken(Tenant, AppId, callerAppId: MembersOwnApp),
            "no caller" => Identity.EntraToken(Tenant, AppId),
            "foreign tid" => Identity.EntraToken(Tenant, AppId, callerAppId: AllowedCaller, tid: "0b4f7a29-6c1d-4e8b-93a7-5d2c8e1f4a06"),
            "empty serviceUrl" => Identity.EntraToken(Tenant, AppId, callerAppId: AllowedCaller),
            _ => throw new ArgumentOutOfRangeException(nameof(forgery)),
        };
        if (forgery == "empty serviceUrl") activity["serviceUrl"] = "";
        var (status, body) = await Teams.PostAsync(activity, token);

        Assert.True(status == HttpStatusCode.Unauthorized, $"{forgery}: {(int)status} {body}");
        Assert.Contains(forgery switch
        {
            "foreign tid" => "tid is not this bot's tenant",
            "empty serviceUrl" => "the activity has no serviceUrl",
            _ => "caller app is not on Teams:AllowedCallerAppIds",
        }, body);
        Assert.Empty(Connector.Calls);
        var (allies, _, _) = await Host.Get<AllyStore>().ListAsync(Tenant, new AllyFilter(), 1, 10);
        Assert.Empty(allies);
        await using var connection = await Host.Get<Database>().OpenAsync(default);
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM teams_conversations"));
    }
}
