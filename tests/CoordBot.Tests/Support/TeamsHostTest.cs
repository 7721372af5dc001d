using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace CoordBot.Tests.Support;

/// <summary>
/// The real host configured for Teams against a fake Bot Framework on loopback: OpenID metadata and
/// signing keys (<see cref="FakeBotFrameworkIdentity"/>), and a token endpoint plus Connector
/// (<see cref="FakeBotConnector"/>).
/// </summary>
public abstract class TeamsHostTest : IAsyncLifetime
{
    public const string AppId = "0b3c6a4e-6f1d-4d2a-9a57-2f0c1d7e9b11";
    public const string AppPassword = "test-app-secret";
    public const string Tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    public const string BotId = "28:" + AppId;
    public const string PublicBaseUrl = "https://coordbot.example.org";

    protected TestDatabase Db { get; } = new();
    protected FakeBotFrameworkIdentity Identity { get; private set; } = null!;
    protected FakeBotConnector Connector { get; private set; } = null!;
    protected TestHost Host { get; private set; } = null!;
    protected TeamsTestClient Teams { get; private set; } = null!;

    /// <summary>Settings a test class adds to (or overrides in) the host's Teams configuration.</summary>
    protected virtual Dictionary<string, string?> ExtraSettings => [];

    public virtual async ValueTask InitializeAsync()
    {
        Identity = await FakeBotFrameworkIdentity.StartAsync();
        Connector = await FakeBotConnector.StartAsync();
        Connector.AddApp(AppId, AppPassword);
        var settings = new Dictionary<string, string?>
        {
            ["Teams:AppId"] = AppId,
            ["Teams:AppPassword"] = AppPassword,
            ["Teams:TenantId"] = Tenant,
            ["Teams:OpenIdMetadataUrl"] = Identity.MetadataUrl,
            ["Teams:EntraMetadataUrlTemplate"] = Identity.EntraMetadataUrlTemplate,
            ["Teams:TokenEndpoint"] = Connector.TokenEndpoint,
            ["Bot:PublicBaseUrl"] = PublicBaseUrl,
            // Files shared in tests are served on loopback, which the guarded fetcher refuses by default.
            ["Elections:AllowPrivateFeeds"] = "true",
        };
        foreach (var (key, value) in ExtraSettings) settings[key] = value;
        Host = new TestHost(Db, settings: settings);
        Teams = new TeamsTestClient(Host.Http, Identity, Connector.ServiceUrl);
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (Host is not null) await Host.DisposeAsync();
        if (Connector is not null) await Connector.DisposeAsync();
        if (Identity is not null) await Identity.DisposeAsync();
        Db.Dispose();
    }
}

/// <summary>Plays the Bot Framework Connector's part towards the host: activities shaped as Teams sends them, with a signed token.</summary>
public sealed class TeamsTestClient(HttpClient http, FakeBotFrameworkIdentity identity, string serviceUrl)
{
    private int _ids;

    public string ServiceUrl => serviceUrl;

    /// <summary>A message activity from a user; in a channel, with the bot's @mention as Teams sends it.</summary>
    public JsonObject Message(string text, string user = "29:alice", string userName = "Alice", string conversation = "a:personal-alice",
        string conversationType = "personal", JsonObject? value = null, string? replyToId = null)
    {
        var activity = Activity("message", user, userName, conversation, conversationType);
        activity["text"] = text;
        activity["textFormat"] = "plain";
        if (value is not null) activity["value"] = value;
        if (replyToId is not null) activity["replyToId"] = replyToId;
        if (text.Contains("<at>"))
            activity["entities"] = new JsonArray(new JsonObject
            {
                ["type"] = "mention", ["text"] = "<at>CoordBot</at>",
                ["mentioned"] = new JsonObject { ["id"] = TeamsHostTest.BotId, ["name"] = "CoordBot" },
            });
        return activity;
    }

    public JsonObject Activity(string type, string user = "29:alice", string userName = "Alice", string conversation = "a:personal-alice", string conversationType = "personal")
    {
        var channel = conversationType == "channel";
        return new JsonObject
        {
            ["type"] = type,
            ["id"] = $"1700000000{Interlocked.Increment(ref _ids):D3}",
            ["timestamp"] = "2026-11-29T12:00:00.000Z",
            ["serviceUrl"] = serviceUrl,
            ["channelId"] = "msteams",
            ["from"] = new JsonObject { ["id"] = user, ["name"] = userName, ["aadObjectId"] = Guid.NewGuid().ToString() },
            ["conversation"] = new JsonObject
            {
                ["id"] = conversation, ["conversationType"] = conversationType, ["tenantId"] = TeamsHostTest.Tenant, ["isGroup"] = conversationType != "personal",
            },
            ["recipient"] = new JsonObject { ["id"] = TeamsHostTest.BotId, ["name"] = "CoordBot" },
            ["channelData"] = channel
                ? new JsonObject
                {
                    ["tenant"] = new JsonObject { ["id"] = TeamsHostTest.Tenant },
                    ["team"] = new JsonObject { ["id"] = "19:team@thread.tacv2", ["name"] = "Housing Coalition" },
                    ["channel"] = new JsonObject { ["id"] = conversation, ["name"] = "General" },
                }
                : new JsonObject { ["tenant"] = new JsonObject { ["id"] = TeamsHostTest.Tenant } },
        };
    }

    /// <summary>An Action.Execute invoke for a card action's data.</summary>
    public JsonObject Execute(JsonNode data, string user = "29:alice", string conversation = "a:personal-alice", string conversationType = "personal")
    {
        var activity = Activity("invoke", user, "Alice", conversation, conversationType);
        activity["name"] = "adaptiveCard/action";
        activity["value"] = new JsonObject
        {
            ["action"] = new JsonObject { ["type"] = "Action.Execute", ["id"] = "a1", ["verb"] = "coordbot", ["data"] = data.DeepClone() },
            ["trigger"] = "manual",
        };
        return activity;
    }

    /// <summary>Posts an activity with a genuine token for it (or <paramref name="token"/> when given; "" for none).</summary>
    public async Task<(HttpStatusCode Status, string Body)> PostAsync(JsonObject activity, string? token = null)
    {
        token ??= identity.Token(TeamsHostTest.AppId, activity["serviceUrl"]?.GetValue<string>() ?? serviceUrl);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages")
        {
            Content = new StringContent(activity.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (token.Length > 0) request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Posts and expects the plain 200 acknowledgement of a non-invoke activity.</summary>
    public async Task SendAsync(JsonObject activity)
    {
        var (status, body) = await PostAsync(activity);
        Assert.True(status == HttpStatusCode.OK, $"expected 200, got {(int)status}: {body}");
    }
}

/// <summary>Reading what the bot posted to the Connector.</summary>
public static class TeamsCards
{
    /// <summary>The Adaptive Card in an activity the bot sent.</summary>
    public static JsonObject Card(this JsonObject activity) =>
        activity["attachments"]![0]!["content"]!.AsObject();

    /// <summary>All text in a card (TextBlocks, facts, action titles), for assertions.</summary>
    public static string Text(this JsonObject card)
    {
        var parts = new List<string>();
        void Walk(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var key in new[] { "text", "title", "value", "label" })
                        if (o[key] is JsonValue v && v.TryGetValue<string>(out var s)) parts.Add(s);
                    foreach (var (_, child) in o) Walk(child);
                    break;
                case JsonArray a:
                    foreach (var child in a) Walk(child);
                    break;
            }
        }
        Walk(card);
        return string.Join("\n", parts);
    }

    public static JsonObject CardShows(this JsonObject card, params string[] texts)
    {
        var text = card.Text();
        foreach (var t in texts) Assert.True(text.Contains(t, StringComparison.OrdinalIgnoreCase), $"expected \"{t}\" in:\n{text}");
        return card;
    }

    /// <summary>The data of the card action titled <paramref name="title"/> (Action.Execute or Action.Submit), searched everywhere in the card.</summary>
    public static JsonObject ActionData(this JsonObject card, string title)
    {
        JsonObject? found = null;
        void Walk(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    if (found is null && o["type"]?.GetValue<string>() is "Action.Execute" or "Action.Submit" && o["title"]?.GetValue<string>() == title)
                        found = o["data"]!.AsObject();
                    foreach (var (_, child) in o) Walk(child);
                    break;
                case JsonArray a:
                    foreach (var child in a) Walk(child);
                    break;
            }
        }
        Walk(card);
        return found ?? throw new Xunit.Sdk.XunitException($"no action \"{title}\" in:\n{card.ToJsonString()}");
    }
}
