using System.Net;
using System.Text.Json.Nodes;
using CoordBot.Chat;
using CoordBot.Dashboard;
using CoordBot.Slack.BlockKit;
using CoordBot.Teams.Cards;
using CoordBot.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CoordBot.Tests.Dashboard;

/// <summary>The dashboard's button where chat clients show it: Slack (a reply and the Home tab) and Teams cards.</summary>
public sealed class DashboardButtonTests : IAsyncLifetime
{
    private const string PublicBase = "https://coordbot.example.org";
    private readonly TestDatabase _db = new();
    private FakeSlackApi _slack = null!;
    private TestHost _host = null!;
    private SlackTestClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _slack = await FakeSlackApi.StartAsync();
        _slack.AddTeam(SlackHostTest.Team, SlackHostTest.BotToken);
        _slack.AddUser(SlackHostTest.Team, "U1", "alice", isAdmin: true);
        var settings = SlackHostTest.Settings(_slack);
        settings["Bot:PublicBaseUrl"] = PublicBase;
        _host = new TestHost(_db, settings: settings);
        _client = new SlackTestClient(_host.Http, SlackHostTest.SigningSecret, _slack);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        await _slack.DisposeAsync();
        _db.Dispose();
    }

    private static JsonObject UrlButton(JsonNode view) =>
        view["blocks"]!.AsArray().Where(b => b?["type"]?.GetValue<string>() == "actions")
            .SelectMany(b => b!["elements"]!.AsArray()).Select(e => e!.AsObject()).Single(e => e["url"] is not null);

    /// <summary>Opens a link's path on the host (as the browser would after Slack opened the public URL) and returns the redirect.</summary>
    private async Task<HttpResponseMessage> OpenAsync(string url)
    {
        Assert.StartsWith(PublicBase + "/dashboard/open?", url, StringComparison.Ordinal);
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = _host.BaseAddress };
        return await http.GetAsync(new Uri(url).PathAndQuery);
    }

    [Fact]
    public async Task Slack_gets_a_url_button_in_the_reply_and_its_click_needs_no_answer()
    {
        var reply = (await _client.CommandAsync(SlackHostTest.Team, "U1", "/coord", "dashboard")).Message();
        BlockKitLimits.AssertValidMessage(reply);
        Assert.Equal("ephemeral", reply["response_type"]?.GetValue<string>());
        var button = UrlButton(reply);
        Assert.Equal("Open the dashboard", button["text"]!["text"]!.GetValue<string>());
        Assert.StartsWith(BlockKitRenderer.LinkActionIdPrefix, button["action_id"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(button["value"]);
        Assert.Contains("w=T1&u=U1&", button["url"]!.GetValue<string>(), StringComparison.Ordinal);

        // Slack reports the click too; it runs nothing.
        // (users.info may still be looking the user's time zone up in the background: only answers count.)
        int Answers() => _slack.Calls.Count(c => c.Method != "users.info");
        var calls = Answers();
        var answer = await _client.PressAsync(SlackHostTest.Team, "U1", reply, "Open the dashboard");
        answer.Acknowledged();
        await _host.Get<WorkQueue>().WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(calls, Answers());

        using var opened = await OpenAsync(button["url"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.SeeOther, opened.StatusCode);
        Assert.Equal(1, await _host.Get<DashboardSessions>().CountAsync(SlackHostTest.Team));
    }

    [Fact]
    public async Task The_slack_home_tab_carries_a_fresh_link_for_its_user()
    {
        await _client.EventAsync(SlackHostTest.Team, new JsonObject { ["type"] = "app_home_opened", ["user"] = "U1", ["channel"] = "D1", ["tab"] = "home", ["event_ts"] = "1700000000.1" });
        var publish = await _slack.WaitForCallAsync("views.publish");
        var view = publish.Args["view"]!.AsObject();
        BlockKitLimits.AssertValidHome(view);
        view.Shows("Your allies due for contact", "Upcoming elections", "works for 12 hours");
        var url = UrlButton(view)["url"]!.GetValue<string>();
        Assert.Contains("w=T1&u=U1&", url, StringComparison.Ordinal);
        using var opened = await OpenAsync(url);
        Assert.Equal(HttpStatusCode.SeeOther, opened.StatusCode);
    }

    [Theory]
    [InlineData(PublicBase)]
    [InlineData(null)]
    public async Task Teams_cards_carry_an_open_url_action_when_the_link_is_absolute(string? publicBase)
    {
        using var db = new TestDatabase();
        await using var core = await CoreChat.StartAsync(db, configure: s => s.AddSingleton(new BotOptions { PublicBaseUrl = publicBase }));
        var reply = await core.Say("tenant-1", "29:alice", "coord dashboard");
        Assert.True(reply.Ephemeral);
        var card = Assert.Single(AdaptiveCardRenderer.Cards(reply));
        AdaptiveCardSchema.AssertValid(card);
        AdaptiveCardSchema.AssertInert(card);
        var json = card.ToJsonString();
        var slackJson = string.Join("", BlockKitRenderer.Messages(reply).Select(m => m.ToJsonString()));
        if (publicBase is null)
        {
            Assert.DoesNotContain("Action.OpenUrl", json, StringComparison.Ordinal);
            Assert.Contains("set Bot:PublicBaseUrl", json, StringComparison.Ordinal);
            Assert.DoesNotContain("\"url\"", slackJson, StringComparison.Ordinal);   // Slack cannot open a path on the host either
            return;
        }
        Assert.Contains("\"type\":\"Action.OpenUrl\"", json, StringComparison.Ordinal);
        Assert.Contains(PublicBase + "/dashboard/open?w=tenant-1\\u0026u=29%3Aalice", json, StringComparison.Ordinal);
    }
}
