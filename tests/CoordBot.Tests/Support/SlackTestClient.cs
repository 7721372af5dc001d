using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CoordBot.Slack;
using Xunit;

namespace CoordBot.Tests.Support;

/// <summary>
/// Plays Slack's part towards the host: builds slash-command, interactivity and Events API requests
/// the way Slack does (form or JSON bodies, <c>v0</c> signature over the exact bytes) and posts them.
/// </summary>
public sealed class SlackTestClient(HttpClient http, string signingSecret, FakeSlackApi slack, TimeProvider? clock = null)
{
    private int _events;
    private int _responseUrls;

    public FakeSlackApi Slack => slack;

    /// <summary>A person typing <c>/command text</c> in a channel of a team.</summary>
    public async Task<SlackAnswer> CommandAsync(string team, string user, string command, string text = "", string channel = "C1",
        string? enterprise = null, bool withTrigger = true)
    {
        var responseId = $"cmd{Interlocked.Increment(ref _responseUrls)}";
        var fields = new Dictionary<string, string>
        {
            ["token"] = "legacy-verification-token",
            ["team_id"] = team,
            ["team_domain"] = team.ToLowerInvariant(),
            ["channel_id"] = channel,
            ["channel_name"] = channel.StartsWith('D') ? "directmessage" : "general",
            ["user_id"] = user,
            ["user_name"] = user.ToLowerInvariant(),
            ["command"] = command,
            ["text"] = text,
            ["api_app_id"] = "A0COORDBOT",
            ["is_enterprise_install"] = "false",
            ["response_url"] = slack.ResponseUrl(responseId).ToString(),
        };
        if (enterprise is not null) fields["enterprise_id"] = enterprise;
        if (withTrigger) fields["trigger_id"] = slack.IssueTriggerId();
        var answer = await PostAsync("/slack/commands", Form(fields), "application/x-www-form-urlencoded");
        return answer with { ResponseUrlId = responseId };
    }

    /// <summary>An interactivity payload (block_actions, view_submission, …), form-encoded as <c>payload=</c>.</summary>
    public Task<SlackAnswer> InteractAsync(JsonObject payload) =>
        PostAsync("/slack/interactivity", Form(new() { ["payload"] = payload.ToJsonString() }), "application/x-www-form-urlencoded");

    /// <summary>An Events API callback around <paramref name="inner"/>; returns the event id used.</summary>
    public async Task<(SlackAnswer Answer, string EventId)> EventAsync(string team, JsonObject inner, string? eventId = null, int? retryNum = null,
        string botUserId = "UBOT")
    {
        eventId ??= $"Ev{Interlocked.Increment(ref _events):D6}";
        var body = new JsonObject
        {
            ["token"] = "legacy-verification-token",
            ["team_id"] = team,
            ["api_app_id"] = "A0COORDBOT",
            ["type"] = "event_callback",
            ["event_id"] = eventId,
            ["event_time"] = Now().ToUnixTimeSeconds(),
            ["event"] = inner,
            ["authorizations"] = new JsonArray(new JsonObject { ["team_id"] = team, ["user_id"] = botUserId, ["is_bot"] = true, ["is_enterprise_install"] = false }),
        };
        var headers = retryNum is { } n ? new Dictionary<string, string> { ["X-Slack-Retry-Num"] = n.ToString(CultureInfo.InvariantCulture), ["X-Slack-Retry-Reason"] = "http_timeout" } : null;
        return (await PostAsync("/slack/events", Encoding.UTF8.GetBytes(body.ToJsonString()), "application/json", headers: headers), eventId);
    }

    /// <summary>Presses the button labelled <paramref name="label"/> in a message, as Slack reports it (block_actions).</summary>
    public async Task<SlackAnswer> PressAsync(string team, string user, JsonObject message, string label, string channel = "C1")
    {
        var button = Elements(message).FirstOrDefault(e => e["type"]?.GetValue<string>() == "button" && e["text"]?["text"]?.GetValue<string>() == label)
            ?? throw new Xunit.Sdk.XunitException($"no button \"{label}\" in:\n{message.ToJsonString()}");
        var responseId = $"btn{Interlocked.Increment(ref _responseUrls)}";
        var payload = new JsonObject
        {
            ["type"] = "block_actions",
            ["team"] = new JsonObject { ["id"] = team, ["domain"] = team.ToLowerInvariant() },
            ["user"] = new JsonObject { ["id"] = user, ["username"] = user.ToLowerInvariant(), ["team_id"] = team },
            ["api_app_id"] = "A0COORDBOT",
            ["trigger_id"] = slack.IssueTriggerId(),
            ["container"] = new JsonObject { ["type"] = "message", ["channel_id"] = channel, ["is_ephemeral"] = true },
            ["channel"] = new JsonObject { ["id"] = channel, ["name"] = "general" },
            ["response_url"] = slack.ResponseUrl(responseId).ToString(),
            ["actions"] = new JsonArray(new JsonObject
            {
                ["type"] = "button",
                ["action_id"] = button["action_id"]?.DeepClone(),
                ["block_id"] = "b1",
                ["text"] = button["text"]?.DeepClone(),
                ["value"] = button["value"]?.DeepClone(),
                ["action_ts"] = Now().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            }),
        };
        return await InteractAsync(payload) with { ResponseUrlId = responseId };
    }

    /// <summary>
    /// Submits a modal the bot opened with the given input values (by block_id), as Slack reports a
    /// view_submission: each value in the state shape of its element type.
    /// </summary>
    public Task<SlackAnswer> SubmitViewAsync(string team, string user, JsonObject view, Dictionary<string, string> values)
    {
        var state = new JsonObject();
        foreach (var block in view["blocks"]!.AsArray().OfType<JsonObject>().Where(b => b["type"]?.GetValue<string>() == "input"))
        {
            var blockId = block["block_id"]!.GetValue<string>();
            var element = block["element"]!.AsObject();
            var type = element["type"]!.GetValue<string>();
            values.TryGetValue(blockId, out var value);
            JsonObject elementState = type switch
            {
                "datepicker" => new() { ["type"] = type, ["selected_date"] = value },
                "static_select" => new() { ["type"] = type, ["selected_option"] = value is null ? null
                    : new JsonObject { ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = value }, ["value"] = value } },
                _ => new() { ["type"] = type, ["value"] = value },
            };
            state[blockId] = new JsonObject { [element["action_id"]!.GetValue<string>()] = elementState };
        }
        var submitted = (JsonObject)view.DeepClone();
        submitted["id"] = "V123";
        submitted["team_id"] = team;
        submitted["state"] = new JsonObject { ["values"] = state };
        return InteractAsync(new JsonObject
        {
            ["type"] = "view_submission",
            ["team"] = new JsonObject { ["id"] = team, ["domain"] = team.ToLowerInvariant() },
            ["user"] = new JsonObject { ["id"] = user, ["username"] = user.ToLowerInvariant(), ["team_id"] = team },
            ["api_app_id"] = "A0COORDBOT",
            ["view"] = submitted,
        });
    }

    /// <summary>Every interactive element of a message: actions blocks' elements and section accessories.</summary>
    public static IEnumerable<JsonObject> Elements(JsonObject message) =>
        message["blocks"]!.AsArray().OfType<JsonObject>()
            .SelectMany(b => (b["elements"] as JsonArray ?? []).OfType<JsonObject>().Concat(b["accessory"] is JsonObject a ? [a] : []));

    /// <summary>Posts a body signed the way Slack signs it; <paramref name="sign"/> can replace the signature headers to forge one.</summary>
    public async Task<SlackAnswer> PostAsync(string path, byte[] body, string contentType, Func<byte[], (string? Timestamp, string? Signature)>? sign = null,
        Dictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        var (timestamp, signature) = sign is null ? Sign(body) : sign(body);
        if (timestamp is not null) request.Headers.TryAddWithoutValidation("X-Slack-Request-Timestamp", timestamp);
        if (signature is not null) request.Headers.TryAddWithoutValidation("X-Slack-Signature", signature);
        foreach (var (name, value) in headers ?? []) request.Headers.TryAddWithoutValidation(name, value);
        // A large body waits for the server's go-ahead, so a 413 arrives as a response, not as a reset connection.
        if (body.Length > 64 * 1024) request.Headers.ExpectContinue = true;
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new SlackAnswer(response.StatusCode, text);
    }

    /// <summary>The genuine timestamp and signature for a body, at <paramref name="at"/> (default now).</summary>
    public (string Timestamp, string Signature) Sign(byte[] body, DateTimeOffset? at = null)
    {
        var timestamp = (at ?? Now()).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return (timestamp, Encoding.ASCII.GetString(SlackSignature.Compute(signingSecret, timestamp, body)));
    }

    public static byte[] Form(Dictionary<string, string> fields) =>
        Encoding.UTF8.GetBytes(string.Join('&', fields.Select(kv => $"{Uri.EscapeDataString(kv.Key)}={Uri.EscapeDataString(kv.Value)}")));

    private DateTimeOffset Now() => (clock ?? TimeProvider.System).GetUtcNow();
}

/// <summary>The host's HTTP answer to one Slack request.</summary>
public sealed record SlackAnswer(HttpStatusCode Status, string Body, string? ResponseUrlId = null)
{
    public JsonObject Json => JsonNode.Parse(Body)?.AsObject() ?? throw new InvalidOperationException("empty body");

    /// <summary>The answer is a 200 with a message body (a slash command answered in time).</summary>
    public JsonObject Message()
    {
        Assert.True(Status == HttpStatusCode.OK, $"expected 200, got {(int)Status}: {Body}");
        Assert.False(string.IsNullOrEmpty(Body), "expected a message in the HTTP response, got an empty acknowledgement");
        return Json;
    }

    /// <summary>A bare acknowledgement: 200 with no body.</summary>
    public void Acknowledged() => Assert.True(Status == HttpStatusCode.OK && Body.Length == 0, $"expected an empty 200, got {(int)Status}: {Body}");
}

/// <summary>What a Slack message shows, flattened to text for assertions (plain_text and mrkdwn alike).</summary>
public static class SlackText
{
    public static string Of(JsonNode? message)
    {
        var parts = new List<string>();
        Collect(message?["blocks"], parts);
        return string.Join("\n", parts);
    }

    private static void Collect(JsonNode? node, List<string> parts)
    {
        switch (node)
        {
            case JsonObject o:
                if (o["type"]?.GetValue<string>() is "plain_text" or "mrkdwn" && o["text"] is JsonValue v) parts.Add(v.GetValue<string>());
                foreach (var (_, child) in o) Collect(child, parts);
                break;
            case JsonArray a:
                foreach (var child in a) Collect(child, parts);
                break;
        }
    }

    /// <summary>Asserts that each line appears in the message's text.</summary>
    public static JsonObject Shows(this JsonObject message, params string[] lines)
    {
        var text = Of(message) + "\n" + (message["text"] is JsonValue fallback ? fallback.GetValue<string>() : "");
        foreach (var line in lines) Assert.True(text.Contains(line, StringComparison.OrdinalIgnoreCase), $"expected \"{line}\" in:\n{text}");
        return message;
    }
}

public static class FakeSlackApiExtensions
{
    /// <summary>The message a chat.* call carried (text and blocks), as a payload to check against Block Kit limits.</summary>
    public static JsonObject Message(this SlackCall call) => new()
    {
        ["text"] = call.Args["text"]?.DeepClone(),
        ["blocks"] = call.Args["blocks"]?.DeepClone(),
    };

    /// <summary>The next message posted to the response_url with this id (see <see cref="FakeSlackApi.ResponseUrl"/>).</summary>
    public static Task<JsonObject> WaitForResponseTo(this FakeSlackApi slack, string responseUrlId) =>
        slack.WaitForResponseAsync(r => r["url_id"]?.GetValue<string>() == responseUrlId);
}
