using CoordBot.Slack;
using CoordBot.Slack.Api;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Slack;

/// <summary>A test class with its own <see cref="FakeSlackApi"/> (team T1, bot token, Alice) and clients pointed at it.</summary>
public abstract class SlackApiTest : IAsyncLifetime
{
    protected const string Token = "xoxb-111-222-SECRETbotTOKEN";
    protected const string AppToken = "xapp-1-A0FAKEAPP-333-SECRETappTOKEN";

    /// <summary>Slack's timing at a hundredth: limiter spacing, Retry-After and backoff waits all run 100× faster.</summary>
    protected static readonly SlackRateLimitOptions Fast = new() { TimeScale = 0.01 };

    protected FakeSlackApi Slack { get; private set; } = null!;
    protected HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(5) };
    protected ListLogger<SlackApiClient> Log { get; } = new();

    public async ValueTask InitializeAsync()
    {
        Slack = await FakeSlackApi.StartAsync();
        Slack.AddTeam("T1", Token, enterpriseId: "E1");
        Slack.AddUser("T1", "U1", "Alice Doe", "Europe/Berlin", isAdmin: true);
        Slack.AddUser("T1", "U2", "Bob Roe");
        Slack.AddAppToken(AppToken);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Slack.DisposeAsync();
    }

    protected SlackApiClient Client(SlackRateLimitOptions? limits = null, HttpClient? http = null, string? baseUrl = null) =>
        Client(new SlackRateLimiter(TimeProvider.System, limits ?? Fast), http, baseUrl);

    protected SlackApiClient Client(SlackRateLimiter limiter, HttpClient? http = null, string? baseUrl = null) =>
        new(http ?? Http, new SlackOptions { ApiBaseUrl = baseUrl ?? Slack.BaseUrl.ToString() }, TimeProvider.System, Log, limiter);
}
