using System.Net;
using System.Text.Json.Nodes;
using CoordBot.Allies;
using CoordBot.Slack;
using CoordBot.Tests.Support;
using Microsoft.AspNetCore.WebUtilities;
using Xunit;

namespace CoordBot.Tests.Slack;

/// <summary>Many workspaces through OAuth v2: install, CSRF state, encrypted tokens, data kept apart, uninstall.</summary>
public sealed class SlackOAuthTests : SlackHostTest
{
    protected override bool OAuth => true;

    /// <summary>A browser: keeps cookies, does not follow redirects (Slack's authorize page is the fake's).</summary>
    private HttpClient Browser() => new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = Host.BaseAddress };

    private async Task<HttpResponseMessage> InstallAsync(HttpClient browser, string team, string name, string token, Func<string, string>? tamperState = null)
    {
        var start = await browser.GetAsync("/slack/install");
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var authorize = start.Headers.Location!;
        var query = QueryHelpers.ParseQuery(authorize.Query);
        Assert.Equal(Slack.ClientId, query["client_id"].ToString());
        Assert.Equal(string.Join(',', SlackScopes.Bot), query["scope"].ToString());
        Assert.Equal(OAuthPublicBaseUrl + "/slack/oauth/callback", query["redirect_uri"].ToString());
        var state = query["state"].ToString();
        Assert.True(state.Length >= 32);

        // The person approves on Slack's page; Slack redirects back with a one-time code and the state.
        var code = Slack.IssueOAuthCode(team, name, token);
        return await browser.GetAsync($"/slack/oauth/callback?code={Uri.EscapeDataString(code)}&state={Uri.EscapeDataString(tamperState?.Invoke(state) ?? state)}");
    }

    [Fact]
    public async Task The_same_user_id_in_two_workspaces_gets_each_workspaces_messages_in_that_workspaces_own_dm()
    {
        var installations = Host.Get<SlackInstallations>();
        foreach (var (team, token) in new[] { ("T1", "xoxb-one"), ("T2", "xoxb-two") })
        {
            Slack.AddTeam(team, token);
            Slack.AddUser(team, "W5", "sam");   // an Enterprise Grid user has one id in every workspace of the org
            await installations.SaveAsync(new SlackInstallation(team, team, null, false, "Team " + team, "A1", "UBOT", token, "chat:write,im:write", "U1"), default);
        }
        var outbox = Host.Get<CoordBot.Outbox.OutboxStore>();
        var now = DateTimeOffset.UtcNow;
        var posts = new List<(string Team, SlackCall Call)>();
        foreach (var round in new[] { 1, 2 })
            foreach (var team in new[] { "T1", "T2" })
            {
                var text = $"{team} prompt {round}";
                Assert.True(await outbox.EnqueueAsync(team, $"prompt-{round}", "slack", "W5", CoordBot.Chat.Reply.Say(text), now, now));
                posts.Add((team, await Slack.WaitForCallAsync("chat.postMessage", c => c.Arg("text") == text, TimeSpan.FromSeconds(30))));
            }

        // Each workspace's bot opened its own DM once (the second round used the stored id) and posted only there.
        Assert.Empty(Slack.RefusedChannels);
        Assert.Equal(["xoxb-one", "xoxb-two"], Slack.CallsTo("conversations.open").Select(c => c.Token).Order(StringComparer.Ordinal));
        var dmOf = posts.GroupBy(p => p.Team).ToDictionary(g => g.Key, g => Assert.Single(g.Select(p => p.Call.Arg("channel")).Distinct()));
        Assert.NotEqual(dmOf["T1"], dmOf["T2"]);
        Assert.All(posts, p => Assert.Equal(p.Team == "T1" ? "xoxb-one" : "xoxb-two", p.Call.Token));
    }

    [Fact]
    public async Task Two_workspaces_install_each_uses_its_own_token_and_their_data_stay_apart()
    {
        using var browser = Browser();
        var one = await InstallAsync(browser, "T1", "Team One", "xoxb-one");
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Contains("CoordBot is installed", await one.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await InstallAsync(Browser(), "T2", "Team Two", "xoxb-two")).StatusCode);

        // Tokens are stored encrypted, and each workspace gets its own back.
        var installations = Host.Get<SlackInstallations>();
        var stored = await installations.StoredTokenTextAsync("T1", default);
        Assert.NotNull(stored);
        Assert.DoesNotContain("xoxb-one", stored);
        Assert.Equal("xoxb-one", await installations.BotTokenAsync("T1", default));
        Assert.Equal("xoxb-two", await installations.BotTokenAsync("T2", default));

        (await Client.CommandAsync("T1", "U1", "/ally", "add \"Only In One\"")).Message().Shows("Added Only In One (A1)");
        (await Client.CommandAsync("T2", "U7", "/ally", "add \"Only In Two\"")).Message().Shows("Added Only In Two (A1)");
        (await Client.CommandAsync("T2", "U7", "/ally", "find Only")).Message().Shows("Only In Two");
        Assert.DoesNotContain("Only In One", SlackText.Of((await Client.CommandAsync("T2", "U7", "/ally", "list")).Message()));
        Assert.DoesNotContain("Only In Two", SlackText.Of((await Client.CommandAsync("T1", "U1", "/ally", "list")).Message()));

        // Web API calls for a workspace use that workspace's token.
        await Client.EventAsync("T2", new JsonObject { ["type"] = "app_mention", ["user"] = "U7", ["channel"] = "C7", ["text"] = "<@UBOT> ally list --share", ["ts"] = "1.1" });
        Assert.Equal("xoxb-two", (await Slack.WaitForCallAsync("chat.postMessage")).Token);

        // T1 uninstalls: its token is forgotten, T2 is untouched, T1's data stay.
        await Client.EventAsync("T1", new JsonObject { ["type"] = "app_uninstalled", ["event_ts"] = "1.2" });
        for (var i = 0; i < 100 && await installations.BotTokenAsync("T1", default) is not null; i++) await Task.Delay(50);
        Assert.Null(await installations.BotTokenAsync("T1", default));
        Assert.Equal("xoxb-two", await installations.BotTokenAsync("T2", default));
        var (kept, _, _) = await Host.Get<AllyStore>().ListAsync("T1", new AllyFilter(), 1, 10);
        Assert.Equal(["Only In One"], kept.Select(a => a.Name));

        // Reinstalling brings it back.
        Assert.Equal(HttpStatusCode.OK, (await InstallAsync(Browser(), "T1", "Team One", "xoxb-one-again")).StatusCode);
        Assert.Equal("xoxb-one-again", await installations.BotTokenAsync("T1", default));
    }

    [Fact]
    public async Task A_callback_whose_state_does_not_match_this_browser_is_refused()
    {
        var tampered = await InstallAsync(Browser(), "T1", "Team One", "xoxb-one", state => state[..^2] + "xx");
        Assert.Equal(HttpStatusCode.BadRequest, tampered.StatusCode);
        Assert.Null(await Host.Get<SlackInstallations>().BotTokenAsync("T1", default));

        // A callback in a browser that never started an install (CSRF: a link sent to a victim).
        var code = Slack.IssueOAuthCode("T1", "Team One", "xoxb-one");
        var forged = await Browser().GetAsync($"/slack/oauth/callback?code={code}&state=whatever");
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Null(await Host.Get<SlackInstallations>().BotTokenAsync("T1", default));
        Assert.DoesNotContain(Slack.Calls, c => c.Method == "oauth.v2.access");
    }

    [Fact]
    public async Task A_refused_code_or_a_denied_install_explains_itself()
    {
        using var browser = Browser();
        var start = await browser.GetAsync("/slack/install");
        var state = QueryHelpers.ParseQuery(start.Headers.Location!.Query)["state"].ToString();
        var bad = await browser.GetAsync($"/slack/oauth/callback?code=not-a-code&state={Uri.EscapeDataString(state)}");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("invalid_code", await bad.Content.ReadAsStringAsync());

        var denied = await Browser().GetAsync("/slack/oauth/callback?error=access_denied&state=x");
        Assert.Equal(HttpStatusCode.BadRequest, denied.StatusCode);
        Assert.Contains("access_denied", await denied.Content.ReadAsStringAsync());
    }
}
