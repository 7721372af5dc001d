using Xunit;

namespace CoordBot.Tests.Support;

/// <summary>
/// The real host over a real SQLite file, configured for Slack against a <see cref="FakeSlackApi"/>
/// on loopback. Single-workspace mode by default (team T1 with a bot token); a test class can ask for
/// OAuth mode instead.
/// </summary>
public abstract class SlackHostTest : IAsyncLifetime
{
    public const string SigningSecret = "8f742231b10e8888abcd99yyyzzz85a5";
    public const string Team = "T1";
    public const string BotToken = "xoxb-t1-bot-token";

    protected TestDatabase Db { get; } = new();
    protected FakeSlackApi Slack { get; private set; } = null!;
    protected TestHost Host { get; set; } = null!;
    protected SlackTestClient Client { get; set; } = null!;

    /// <summary>Settings a test class adds to every host it starts (StartHost's <c>extra</c> come on top).</summary>
    protected virtual Dictionary<string, string?> HostSettings => [];

    /// <summary>Services a test class adds to every host it starts (e.g. telemetry exporters).</summary>
    protected virtual Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? HostServices => null;

    /// <summary>True to run with Slack:ClientId/ClientSecret (OAuth installs) instead of Slack:BotToken.</summary>
    protected virtual bool OAuth => false;

    /// <summary>The public base URL an OAuth-mode host is given.</summary>
    public const string OAuthPublicBaseUrl = "http://coordbot.test";

    public virtual async ValueTask InitializeAsync()
    {
        Slack = await FakeSlackApi.StartAsync();
        if (!OAuth) Slack.AddTeam(Team, BotToken);
        Slack.AddUser(Team, "U1", "alice", isAdmin: true);
        Slack.AddUser(Team, "U2", "bob");
        Host = StartHost();
        Client = new SlackTestClient(Host.Http, SigningSecret, Slack);
    }

    protected TestHost StartHost(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Slack:SigningSecret"] = SigningSecret,
            ["Slack:ApiBaseUrl"] = Slack.BaseUrl.ToString(),
            ["Slack:AuthorizeUrl"] = new Uri(Slack.BaseUrl, "/oauth/v2/authorize").ToString(),
        };
        if (OAuth)
        {
            settings["Slack:ClientId"] = Slack.ClientId;
            settings["Slack:ClientSecret"] = Slack.ClientSecret;
            // Slack's redirect_uri comes only from here; http, so the test browser sends the (then not Secure) state cookie back.
            settings["Bot:PublicBaseUrl"] = OAuthPublicBaseUrl;
        }
        else
        {
            settings["Slack:BotToken"] = BotToken;
        }
        foreach (var (key, value) in HostSettings) settings[key] = value;
        foreach (var (key, value) in extra ?? []) settings[key] = value;
        return new TestHost(Db, HostServices, settings);
    }

    /// <summary>The settings of a single-workspace host (team T1 with its bot token) against <paramref name="slack"/>.</summary>
    public static Dictionary<string, string?> Settings(FakeSlackApi slack) => new()
    {
        ["Slack:SigningSecret"] = SigningSecret,
        ["Slack:ApiBaseUrl"] = slack.BaseUrl.ToString(),
        ["Slack:BotToken"] = BotToken,
    };

    public virtual async ValueTask DisposeAsync()
    {
        if (Host is not null) await Host.DisposeAsync();
        if (Slack is not null) await Slack.DisposeAsync();
        Db.Dispose();
    }
}
