using System.Text.Json;
using CoordBot.Teams;
using CoordBot.Teams.Auth;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace CoordBot.Tests.Teams;

/// <summary>The channel and tenant rules of <see cref="TeamsActivityGate"/>, and how their settings bind.</summary>
public sealed class TeamsActivityGateTests
{
    private const string Tenant = "7d2e9c41-8f3a-4b6d-a2c5-1e9f0b3d6c72";
    private const string OtherTenant = "0b4f7a29-6c1d-4e8b-93a7-5d2c8e1f4a06";

    private static JsonElement Activity(string? channel = "msteams", string? channelDataTenant = Tenant, string? conversationTenant = Tenant)
    {
        var json = new System.Text.Json.Nodes.JsonObject { ["type"] = "message", ["conversation"] = new System.Text.Json.Nodes.JsonObject() };
        if (channel is not null) json["channelId"] = channel;
        if (channelDataTenant is not null) json["channelData"] = new System.Text.Json.Nodes.JsonObject { ["tenant"] = new System.Text.Json.Nodes.JsonObject { ["id"] = channelDataTenant } };
        if (conversationTenant is not null) json["conversation"]!["tenantId"] = conversationTenant;
        return JsonDocument.Parse(json.ToJsonString()).RootElement;
    }

    private static TeamsOptions Bind(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>("Teams:" + s.Key, s.Value)))
            .Build();
        return configuration.GetSection("Teams").Get<TeamsOptions>() ?? new TeamsOptions();
    }

    [Fact]
    public void Defaults_serve_msteams_only_and_no_entra_callers()
    {
        var options = Bind(("AppId", "a"), ("TenantId", Tenant));
        Assert.Equal(["msteams"], options.ChannelIds);
        Assert.False(options.AcceptsEntraTokens);
        var gate = new TeamsActivityGate(options);
        Assert.Null(gate.Refusal(Activity()));
        Assert.Equal(403, gate.Refusal(Activity("webchat"))?.Status);
        Assert.Equal(403, gate.Refusal(Activity(channel: null))?.Status);
    }

    [Fact]
    public void A_configured_channel_list_replaces_the_default()
    {
        var options = Bind(("TenantId", Tenant), ("AllowedChannelIds:0", "msteams"), ("AllowedChannelIds:1", "webchat"));
        Assert.Equal(["msteams", "webchat"], options.ChannelIds);
        Assert.Null(new TeamsActivityGate(options).Refusal(Activity("webchat")));
        Assert.Equal(403, new TeamsActivityGate(options).Refusal(Activity("directline"))?.Status);

        var callers = Bind(("TenantId", Tenant), ("AllowedCallerAppIds:0", "3f9a1c62-5d4e-4b7a-8c21-6e0d9b2f4a18"));
        Assert.True(callers.AcceptsEntraTokens);
        Assert.False((callers with { AppType = "MultiTenant" }).AcceptsEntraTokens);
        Assert.False((callers with { TenantId = null }).AcceptsEntraTokens);
    }

    [Fact]
    public void Tenants_must_agree_and_be_the_bots_when_single_tenant()
    {
        var single = new TeamsActivityGate(Bind(("TenantId", Tenant)));
        Assert.Null(single.Refusal(Activity(channelDataTenant: Tenant.ToUpperInvariant())));
        Assert.Null(single.Refusal(Activity(conversationTenant: null)));
        Assert.Equal(403, single.Refusal(Activity(channelDataTenant: OtherTenant, conversationTenant: OtherTenant))?.Status);
        Assert.Equal(403, single.Refusal(Activity(channelDataTenant: null, conversationTenant: OtherTenant))?.Status);
        Assert.Equal(403, single.Refusal(Activity(channelDataTenant: null, conversationTenant: null))?.Status);
        Assert.Equal(400, single.Refusal(Activity(conversationTenant: OtherTenant))?.Status);
        // Without Teams:TenantId a single-tenant bot has no tenant to serve.
        Assert.Equal(403, new TeamsActivityGate(Bind()).Refusal(Activity())?.Status);

        var multi = new TeamsActivityGate(Bind(("AppType", "MultiTenant"), ("TenantId", Tenant)));
        Assert.Null(multi.Refusal(Activity(channelDataTenant: OtherTenant, conversationTenant: OtherTenant)));
        Assert.Equal(400, multi.Refusal(Activity(conversationTenant: OtherTenant))?.Status);
    }
}
