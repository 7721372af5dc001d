using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CoordBot.Outbox;
using Microsoft.Extensions.Logging;

namespace CoordBot.Teams.Connector;

/// <summary>
/// The Bot Connector REST API
/// (learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-api-reference)
/// for what CoordBot sends: new messages, replies,
/// updates and 1:1 conversations. Every call goes only to a serviceUrl in
/// <see cref="TrustedServiceUrls"/>, carries the Bearer token from <see cref="ITeamsTokenProvider"/>,
/// is paced by a <see cref="TeamsRateLimiter"/> (per conversation, and per tenant when the caller
/// names it), waits out 429s (Retry-After, else back-off) and retries 5xx/408/412/network failures
/// with exponential back-off and jitter (Teams asks for that, B4 throttling); a 401 gets one fresh
/// token. Failures end as <see cref="ConnectorException"/>. Tokens and message text are never logged.
/// </summary>
public sealed class ConnectorClient(
    HttpClient http, ITeamsTokenProvider tokens, TrustedServiceUrls trusted, TimeProvider time, ILogger<ConnectorClient> logger,
    ConnectorRetryOptions? retry = null, TeamsRateLimiter? limiter = null)
{
    private const string CorrelationHeader = "X-Correlating-OperationId";

    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ConnectorRetryOptions _retry = retry ?? new ConnectorRetryOptions();
    private readonly TeamsRateLimiter _limiter = limiter ?? new TeamsRateLimiter();

    /// <summary>
    /// Sends a message to a conversation (POST …/activities); returns the new activity's id when the service gives one.
    /// <paramref name="tenantId"/>, when given, paces the call within the tenant's limit too.
    /// </summary>
    public async Task<string?> SendAsync(string serviceUrl, string conversationId, JsonObject activity, CancellationToken ct = default, string? tenantId = null)
    {
        var body = Outgoing(activity, conversationId, tenantId);
        var answer = await CallAsync(HttpMethod.Post, serviceUrl, $"v3/conversations/{Id(conversationId)}/activities", body, "send", (tenantId, conversationId), ct);
        return IdOf(answer);
    }

    /// <summary>Replies to an activity (POST …/activities/{replyToId}); returns the new activity's id when the service gives one.</summary>
    public async Task<string?> ReplyAsync(string serviceUrl, string conversationId, string replyToId, JsonObject activity, CancellationToken ct = default,
        string? tenantId = null)
    {
        var body = Outgoing(activity, conversationId, tenantId);
        body["replyToId"] = replyToId;
        var answer = await CallAsync(HttpMethod.Post, serviceUrl,
            $"v3/conversations/{Id(conversationId)}/activities/{Id(replyToId)}", body, "reply", (tenantId, conversationId), ct);
        return IdOf(answer);
    }

    /// <summary>Replaces a message the bot sent earlier (PUT …/activities/{activityId}).</summary>
    public async Task UpdateAsync(string serviceUrl, string conversationId, string activityId, JsonObject activity, CancellationToken ct = default,
        string? tenantId = null)
    {
        var body = Outgoing(activity, conversationId, tenantId);
        body["id"] = activityId;
        await CallAsync(HttpMethod.Put, serviceUrl, $"v3/conversations/{Id(conversationId)}/activities/{Id(activityId)}", body, "update",
            (tenantId, conversationId), ct);
    }

    /// <summary>
    /// Opens (or finds) the bot's 1:1 chat with a user (POST /v3/conversations); returns its id. <paramref name="botId"/>
    /// is <c>28:{appId}</c>, <paramref name="memberId"/> the user's <c>29:…</c> id. The app must already be installed for the user.
    /// </summary>
    public async Task<string> CreateConversationAsync(string serviceUrl, string tenantId, string botId, string memberId, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(botId);
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        // Both tenantId and channelData.tenant.id: botbuilder and the Teams docs disagree on where it goes.
        var parameters = new JsonObject
        {
            ["isGroup"] = false,
            ["bot"] = new JsonObject { ["id"] = botId },
            ["members"] = new JsonArray(new JsonObject { ["id"] = memberId }),
            ["tenantId"] = tenantId,
            ["channelData"] = new JsonObject { ["tenant"] = new JsonObject { ["id"] = tenantId } },
        };
        var answer = await CallAsync(HttpMethod.Post, serviceUrl, "v3/conversations", parameters, "create conversation", (tenantId, null), ct);
        return IdOf(answer) ?? throw new ConnectorException(200, "invalid_response", "The Connector created a conversation without an id.");
    }

    // ---- transport ----

    /// <summary>A copy of the caller's activity fit to send: type <c>message</c> (the only kind we send), no <c>timestamp</c> (the service sets it).</summary>
    /// <summary>
    /// The activity as sent: a message, without client timestamps, addressed to its conversation with the tenant it
    /// belongs to (as a Bot Framework conversation reference is applied), so the service can refuse a conversation of another tenant.
    /// </summary>
    private static JsonObject Outgoing(JsonObject activity, string conversationId, string? tenantId)
    {
        ArgumentNullException.ThrowIfNull(activity);
        var copy = activity.DeepClone().AsObject();
        if (tenantId is not null) copy["conversation"] = new JsonObject { ["id"] = conversationId, ["tenantId"] = tenantId };
        var type = copy["type"] is JsonValue v && v.TryGetValue<string>(out var t) ? t : null;
        if (type is null) copy["type"] = "message";
        else if (type != "message") throw new ArgumentException($"Only message activities are sent, not '{type}'.", nameof(activity));
        copy.Remove("timestamp");
        copy.Remove("localTimestamp");
        return copy;
    }

    private static string Id(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return Uri.EscapeDataString(id);
    }

    private static string? IdOf(JsonNode? answer) =>
        answer is JsonObject o && o["id"] is JsonValue v && v.TryGetValue<string>(out var id) && id.Length > 0 ? id : null;

    /// <summary>One API call with its retries, each paced on <paramref name="pace"/>; returns the parsed JSON answer (null for an empty body).</summary>
    private async Task<JsonNode?> CallAsync(HttpMethod method, string serviceUrl, string path, JsonObject body, string operation,
        (string? Tenant, string? Conversation) pace, CancellationToken ct)
    {
        if (!trusted.IsTrusted(serviceUrl))
        {
            logger.LogWarning("Refusing to {Operation} at serviceUrl {ServiceUrl}: it never arrived in a validated activity", operation, serviceUrl);
            throw new ConnectorException(0, "untrusted_service_url", $"The serviceUrl '{serviceUrl}' is not trusted.");
        }
        var url = new Uri(serviceUrl.Trim().TrimEnd('/') + "/" + path);
        var json = body.ToJsonString(Json);
        var waited = TimeSpan.Zero;
        var refreshed = false;
        for (var attempt = 1; ; attempt++)
        {
            var token = await tokens.GetTokenAsync(ct);
            ConnectorException failure;
            TimeSpan delay;
            // The permit counts from when the call ends (see TeamsRateLimiter), so it is held until the answer is in.
            var permit = await _limiter.AcquireAsync(pace.Tenant, pace.Conversation, ct);
            try
            {
                using var request = new HttpRequestMessage(method, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                using var response = await SendPacedAsync(request, permit, ct);
                var status = (int)response.StatusCode;
                var correlation = response.Headers.TryGetValues(CorrelationHeader, out var values) ? string.Join(",", values) : null;
                var text = await response.Content.ReadAsStringAsync(ct);
                if (response.IsSuccessStatusCode)
                {
                    logger.LogDebug("Connector {Operation} answered {Status} (operation {CorrelationId})", operation, status, correlation);
                    return Parse(text, status);
                }

                var (code, message) = ErrorOf(text, response);
                logger.LogWarning("Connector {Operation} answered {Status} {Code} (operation {CorrelationId}, attempt {Attempt})",
                    operation, status, code, correlation, attempt);
                if (response.StatusCode == HttpStatusCode.Unauthorized && !refreshed)
                {
                    // An expired or revoked token: one fresh token and one more try, not counted as an attempt.
                    refreshed = true;
                    tokens.Invalidate(token);
                    attempt--;
                    continue;
                }
                if (response.StatusCode == HttpStatusCode.TooManyRequests) CoordBot.Telemetry.CoordBotTelemetry.TooManyRequests("teams");
                failure = new ConnectorException(status, code, $"Connector {operation} failed: {status} {code}: {message}");
                if (failure.IsPermanent) throw failure;
                delay = response.StatusCode == HttpStatusCode.TooManyRequests && RetryAfter(response) is { } asked ? asked : Backoff(attempt);
            }
            catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                var code = e is HttpRequestException ? "network_error" : "timeout";
                logger.LogWarning("Connector {Operation} failed with {Error} (attempt {Attempt})", operation, code, attempt);
                failure = new ConnectorException(0, code, $"Connector {operation} failed: {e.Message}");
                delay = Backoff(attempt);
            }

            if (attempt >= _retry.MaxAttempts || waited + delay > _retry.MaxWait)
            {
                logger.LogWarning("Connector {Operation} gave up after {Attempts} attempts; try again after {RetryAfter}", operation, attempt, delay);
                throw new ConnectorException(failure.Status, failure.Code, failure.Message, delay);
            }
            waited += delay;
            await OutboxPacing.DelayAsync(delay, time, ct);   // an outbox send gives its slot up meanwhile
        }
    }

    private async Task<HttpResponseMessage> SendPacedAsync(HttpRequestMessage request, IDisposable permit, CancellationToken ct)
    {
        using (permit) return await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
    }

    /// <summary>Exponential back-off with jitter: BaseDelay × 2^(attempt−1) × a random factor in [0.5, 1).</summary>
    private TimeSpan Backoff(int attempt) =>
        _retry.BaseDelay * Math.Pow(2, attempt - 1) * (0.5 + Random.Shared.NextDouble() / 2);

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (retryAfter?.Date is { } date) return date - time.GetUtcNow() is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero;
        return null;
    }

    private static JsonNode? Parse(string text, int status)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            throw new ConnectorException(status, "invalid_response", "The Connector answered with a body that is not JSON.");
        }
    }

    /// <summary>The Connector's <c>{"error":{"code","message"}}</c>, or <c>http_{status}</c> and the reason phrase.</summary>
    private static (string Code, string Message) ErrorOf(string text, HttpResponseMessage response)
    {
        string? code = null, message = null;
        try
        {
            if (JsonNode.Parse(text) is JsonObject { } root && root["error"] is JsonObject error)
            {
                code = error["code"] is JsonValue c && c.TryGetValue<string>(out var cs) ? cs : null;
                message = error["message"] is JsonValue m && m.TryGetValue<string>(out var ms) ? ms : null;
            }
        }
        catch (JsonException)
        {
            // not JSON: fall back to the status
        }
        return (code is { Length: > 0 } ? code : $"http_{(int)response.StatusCode}", message ?? response.ReasonPhrase ?? "");
    }
}
