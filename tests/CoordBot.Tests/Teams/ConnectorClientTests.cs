using System.Diagnostics;
using System.Text.Json.Nodes;
using CoordBot.Teams;
using CoordBot.Teams.Connector;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Teams;

/// <summary>ConnectorClient with the real MsalTokenProvider, both against the fake Bot Connector over real HTTP.</summary>
public sealed class ConnectorClientTests : IAsyncLifetime
{
    private const string AppId = "00000000-0000-4000-8000-0000000000b0";
    private const string Secret = "fake~secret~VALUE";
    private const string Personal = "a:1personal-chat";
    private const string Channel = "19:abc@thread.tacv2;messageid=42";

    /// <summary>Back-off at a twenty-fifth: the transient-failure tests take milliseconds, not seconds.</summary>
    private static readonly ConnectorRetryOptions Fast = new() { BaseDelay = TimeSpan.FromMilliseconds(20) };

    private FakeBotConnector Connector { get; set; } = null!;
    private HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(5) };
    private TrustedServiceUrls Trusted { get; } = new();
    private ListLogger<ConnectorClient> Log { get; } = new();
    private ListLogger<MsalTokenProvider> TokenLog { get; } = new();

    public async ValueTask InitializeAsync()
    {
        Connector = await FakeBotConnector.StartAsync();
        Connector.AddApp(AppId, Secret);
        Trusted.Trust(Connector.ServiceUrl);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Connector.DisposeAsync();
    }

    private MsalTokenProvider Tokens(string secret = Secret) => new(new TeamsOptions
    {
        AppId = AppId,
        AppPassword = secret,
        TenantId = Connector.TenantId,
        TokenEndpoint = Connector.TokenEndpoint,
    }, Http, TokenLog);

    private ConnectorClient Client(ITeamsTokenProvider? tokens = null, ConnectorRetryOptions? retry = null) =>
        new(Http, tokens ?? Tokens(), Trusted, TimeProvider.System, Log, retry ?? Fast);

    private static JsonObject Message(string text) => new() { ["text"] = text, ["timestamp"] = "2026-01-01T00:00:00Z" };

    [Fact]
    public async Task Create_send_reply_and_update_reach_the_right_paths_with_one_token()
    {
        var client = Client();

        var conversation = await client.CreateConversationAsync(Connector.ServiceUrl, "tenant-1", "28:" + AppId, "29:alice");
        var sent = await client.SendAsync(Connector.ServiceUrl, conversation, Message("Hello Alice"));
        var reply = await client.ReplyAsync(Connector.ServiceUrl.TrimEnd('/'), Channel, "1700000000042", Message("In the thread"));
        await client.UpdateAsync(Connector.ServiceUrl, conversation, sent!, Message("Hello again"));

        var token = Assert.Single(Connector.IssuedTokens);
        Assert.Equal(1, Connector.TokenRequests);
        var calls = Connector.Calls;
        Assert.NotEmpty(calls);
        Assert.All(calls, c => Assert.Equal(token, c.Token));
        Assert.Equal(
            [
                "POST /amer/v3/conversations",
                $"POST /amer/v3/conversations/{Uri.EscapeDataString(conversation)}/activities",
                "POST /amer/v3/conversations/19%3Aabc%40thread.tacv2%3Bmessageid%3D42/activities/1700000000042",
                $"PUT /amer/v3/conversations/{Uri.EscapeDataString(conversation)}/activities/{sent}",
            ],
            calls.Select(c => $"{c.Method} {c.Path}"));

        var create = calls[0].Body;
        Assert.StartsWith("a:", conversation);
        Assert.Equal(conversation, calls[0].ConversationId);
        Assert.False(create["isGroup"]!.GetValue<bool>());
        Assert.Equal("28:" + AppId, create["bot"]!["id"]!.GetValue<string>());
        Assert.Equal("29:alice", Assert.Single(create["members"]!.AsArray())!["id"]!.GetValue<string>());
        Assert.Equal("tenant-1", create["tenantId"]!.GetValue<string>());
        Assert.Equal("tenant-1", create["channelData"]!["tenant"]!["id"]!.GetValue<string>());

        Assert.Equal(Channel, calls[2].ConversationId);
        Assert.Equal("1700000000042", calls[2].ActivityId);
        Assert.Equal("1700000000042", calls[2].Body["replyToId"]!.GetValue<string>());
        Assert.NotNull(reply);

        var stored = Assert.Single(Connector.Activities(conversation));
        Assert.Equal(sent, stored["id"]!.GetValue<string>());
        Assert.Equal("Hello again", stored["text"]!.GetValue<string>());
        Assert.Equal("message", stored["type"]!.GetValue<string>());
        Assert.Null(stored["timestamp"]);
    }

    [Fact]
    public async Task A_conversation_belongs_to_its_tenant_and_refuses_an_activity_sent_for_another()
    {
        var client = Client();
        var inOne = await client.CreateConversationAsync(Connector.ServiceUrl, "tenant-1", "28:" + AppId, "29:alice");
        var inTwo = await client.CreateConversationAsync(Connector.ServiceUrl, "tenant-2", "28:" + AppId, "29:alice");
        Assert.NotEqual(inOne, inTwo);   // the same member id in two tenants: two chats

        await client.SendAsync(Connector.ServiceUrl, inOne, Message("for tenant one"), tenantId: "tenant-1");
        var e = await Assert.ThrowsAsync<ConnectorException>(() => client.SendAsync(Connector.ServiceUrl, inOne, Message("for tenant two"), tenantId: "tenant-2"));
        Assert.Equal((403, "BotNotInConversationRoster", true), (e.Status, e.Code, e.IsPermanent));

        var sent = Assert.Single(Connector.Activities(inOne));
        Assert.Equal("for tenant one", sent["text"]?.ToString());
        Assert.Equal("tenant-1", sent["conversation"]?["tenantId"]?.ToString());
        Assert.Empty(Connector.Activities(inTwo));
    }

    [Fact]
    public async Task The_token_is_fetched_once_and_reused_by_later_calls()
    {
        var tokens = Tokens();
        await Client(tokens).SendAsync(Connector.ServiceUrl, Personal, Message("one"));
        await Client(tokens).SendAsync(Connector.ServiceUrl, Personal, Message("two"));
        await Client(tokens).SendAsync(Connector.ServiceUrl, Personal, Message("three"));

        Assert.Equal(1, Connector.TokenRequests);
        Assert.Equal(3, Connector.Activities(Personal).Count);
        Assert.Single(Connector.Calls.Select(c => c.Token).Distinct());
    }

    [Theory]
    [InlineData("https://evil.example.com/amer/")]
    [InlineData("http://127.0.0.1:1/amer/")]
    [InlineData("other-path")]
    public async Task An_untrusted_service_url_is_refused_before_anything_is_sent(string serviceUrl)
    {
        if (serviceUrl == "other-path") serviceUrl = Connector.ServiceUrl.Replace("/amer/", "/emea/");

        var e = await Assert.ThrowsAsync<ConnectorException>(() => Client().SendAsync(serviceUrl, Personal, Message("secret plans")));

        Assert.Equal((0, "untrusted_service_url", true), (e.Status, e.Code, e.IsPermanent));
        Assert.Empty(Connector.Calls);
        Assert.Equal(0, Connector.TokenRequests);
    }

    [Fact]
    public void Service_urls_match_by_scheme_host_port_and_path()
    {
        var trusted = new TrustedServiceUrls();
        trusted.Trust("https://smba.trafficmanager.net/amer/tenant-1/");
        trusted.Trust("http://teams.example.com/plain/");       // plain http off loopback is never trusted
        trusted.Trust("not a url");

        Assert.True(trusted.IsTrusted("https://SMBA.TrafficManager.net/amer/tenant-1"));
        Assert.True(trusted.IsTrusted("https://smba.trafficmanager.net:443/amer/tenant-1/"));
        Assert.False(trusted.IsTrusted("https://smba.trafficmanager.net/amer/tenant-2/"));
        Assert.False(trusted.IsTrusted("https://smba.trafficmanager.net:8443/amer/tenant-1/"));
        Assert.False(trusted.IsTrusted("http://smba.trafficmanager.net/amer/tenant-1/"));
        Assert.False(trusted.IsTrusted("https://smba.trafficmanager.net/amer/tenant-1/?x=1"));
        Assert.False(trusted.IsTrusted("http://teams.example.com/plain/"));
    }

    [Fact]
    public async Task A_429_is_waited_out_for_its_Retry_After_and_retried()
    {
        var client = Client();
        await client.SendAsync(Connector.ServiceUrl, Personal, Message("warm-up"));   // the token is fetched before the watch starts
        Connector.TooManyRequestsNext(retryAfterSeconds: 1);

        var watch = Stopwatch.StartNew();
        var id = await client.SendAsync(Connector.ServiceUrl, Personal, Message("after the wait"));

        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.95), $"retried after {watch.Elapsed}");
        Assert.NotNull(id);
        Assert.Equal([201, 429, 201], Connector.Calls.Select(c => c.Status));
        Assert.Equal(2, Connector.Activities(Personal).Count);
    }

    [Fact]
    public async Task A_Retry_After_longer_than_MaxWait_ends_the_call_with_the_wait_asked()
    {
        Connector.TooManyRequestsNext(retryAfterSeconds: 60);

        var e = await Assert.ThrowsAsync<ConnectorException>(() => Client().SendAsync(Connector.ServiceUrl, Personal, Message("later")));

        Assert.Equal((429, "TooManyRequests", false), (e.Status, e.Code, e.IsPermanent));
        Assert.Equal(TimeSpan.FromSeconds(60), e.RetryAfter);
        Assert.Single(Connector.Calls);
    }

    [Fact]
    public async Task A_503_then_success_is_retried()
    {
        Connector.FailNext(503);

        var id = await Client().SendAsync(Connector.ServiceUrl, Personal, Message("eventually"));

        Assert.NotNull(id);
        Assert.Equal([503, 201], Connector.Calls.Select(c => c.Status));
        Assert.Contains(Log.Lines, l => l.Contains("503") && l.Contains("ServiceUnavailable"));
    }

    [Fact]
    public async Task Four_500s_give_up_with_a_transient_error()
    {
        Connector.FailNext(500, times: 4);

        var e = await Assert.ThrowsAsync<ConnectorException>(() => Client().SendAsync(Connector.ServiceUrl, Personal, Message("never")));

        Assert.Equal((500, "InternalServerError", false), (e.Status, e.Code, e.IsPermanent));
        Assert.NotNull(e.RetryAfter);
        Assert.Equal(4, Connector.Calls.Count);
        Assert.Empty(Connector.Activities(Personal));
    }

    [Fact]
    public async Task A_404_is_permanent_and_not_retried()
    {
        Connector.FailNext(404);

        var e = await Assert.ThrowsAsync<ConnectorException>(() => Client().SendAsync(Connector.ServiceUrl, Personal, Message("nobody")));

        Assert.Equal((404, "ConversationNotFound", true), (e.Status, e.Code, e.IsPermanent));
        Assert.Null(e.RetryAfter);
        Assert.Single(Connector.Calls);
    }

    [Fact]
    public async Task A_message_over_100_KB_is_refused_as_too_big()
    {
        var e = await Assert.ThrowsAsync<ConnectorException>(() =>
            Client().SendAsync(Connector.ServiceUrl, Personal, Message(new string('x', 51 * 1024))));

        Assert.Equal((413, "MessageSizeTooBig", true), (e.Status, e.Code, e.IsPermanent));
        Assert.Single(Connector.Calls);
    }

    [Fact]
    public async Task A_rejected_token_is_replaced_once_and_the_call_succeeds()
    {
        var client = Client();
        await client.SendAsync(Connector.ServiceUrl, Personal, Message("first"));
        Connector.RejectTokenNext();

        await client.SendAsync(Connector.ServiceUrl, Personal, Message("second"));

        Assert.Equal(2, Connector.TokenRequests);
        var calls = Connector.Calls;
        Assert.Equal([201, 401, 201], calls.Select(c => c.Status));
        Assert.Equal(calls[0].Token, calls[1].Token);
        Assert.NotEqual(calls[1].Token, calls[2].Token);
        Assert.Equal(Connector.IssuedTokens[1], calls[2].Token);
    }

    [Fact]
    public async Task A_token_refused_twice_is_a_permanent_401()
    {
        Connector.RejectTokenNext();
        Connector.RejectTokenNext();

        var e = await Assert.ThrowsAsync<ConnectorException>(() => Client().SendAsync(Connector.ServiceUrl, Personal, Message("no")));

        Assert.Equal((401, "Unauthorized", true), (e.Status, e.Code, e.IsPermanent));
        Assert.Equal(2, Connector.Calls.Count);
    }

    [Fact]
    public async Task A_wrong_app_secret_is_a_clear_permanent_error()
    {
        var e = await Assert.ThrowsAsync<ConnectorException>(() =>
            Client(Tokens("wrong-secret")).SendAsync(Connector.ServiceUrl, Personal, Message("hi")));

        Assert.Equal((401, "invalid_client", true), (e.Status, e.Code, e.IsPermanent));
        Assert.Contains("AADSTS7000215", e.Message);
        Assert.Contains(AppId, e.Message);
        Assert.DoesNotContain("wrong-secret", e.Message);
        Assert.Empty(Connector.Calls);
        Assert.DoesNotContain(TokenLog.Lines, l => l.Contains("wrong-secret"));
    }

    [Fact]
    public async Task Neither_tokens_nor_message_text_are_logged()
    {
        Connector.FailNext(503);
        var client = Client();
        await client.SendAsync(Connector.ServiceUrl, Personal, Message("very private words"));

        var lines = Log.Lines.Concat(TokenLog.Lines).ToList();
        Assert.NotEmpty(lines);
        var token = Assert.Single(Connector.IssuedTokens);
        Assert.DoesNotContain(lines, l => l.Contains(token) || l.Contains("very private words") || l.Contains(Secret));
    }

    [Fact]
    public async Task Only_message_activities_are_sent()
    {
        var activity = new JsonObject { ["type"] = "typing" };
        await Assert.ThrowsAsync<ArgumentException>(() => Client().SendAsync(Connector.ServiceUrl, Personal, activity));
        Assert.Empty(Connector.Calls);
    }

    [Fact]
    public void A_plain_http_token_endpoint_off_loopback_is_refused()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new MsalTokenProvider(new TeamsOptions
        {
            AppId = AppId,
            AppPassword = Secret,
            TenantId = "t",
            TokenEndpoint = "http://login.example.com/t/oauth2/v2.0/token",
        }, Http, TokenLog));
        Assert.Contains("loopback", e.Message);
    }
}
