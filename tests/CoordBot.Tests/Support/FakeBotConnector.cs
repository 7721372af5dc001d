using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CoordBot.Tests.Support;

/// <summary>
/// One request the fake Connector answered: HTTP method, the raw (still escaped) path, the decoded
/// conversation id (for a created conversation, the new id), the activity id in the path, the JSON
/// body and the Bearer token. <see cref="Status"/> is what the fake answered.
/// </summary>
public sealed record ConnectorCall(string Method, string Path, string ConversationId, string? ActivityId, JsonObject Body, string? Token)
{
    public int Status { get; init; }

    /// <summary>When the fake answered it.</summary>
    public DateTimeOffset At { get; init; }

    public override string ToString() => $"{Method} {Path} → {Status}";
}

/// <summary>
/// The Bot Connector service and an Entra token endpoint on Kestrel (127.0.0.1, a free port).
/// The token endpoint grants client credentials (form fields or Basic auth) for apps added with
/// <see cref="AddApp"/> and scope <c>https://api.botframework.com/.default</c>; the Connector takes
/// only tokens it issued, stores activities per conversation (ids as Teams gives them), opens 1:1
/// conversations (one stable <c>a:…</c> id per bot and user), refuses bodies over 100 KB (as UTF-16)
/// with 413 MessageSizeTooBig, answers every call with an X-Correlating-OperationId, and plays
/// injected faults (429 with Retry-After, 5xx/4xx, a rejected token) in the order they were queued.
/// It enforces Teams' throttling (<see cref="Limits"/>, on by default) (<see cref="FakeTeamsLimits"/>) per
/// conversation and per tenant (a conversation's tenant is the one it was created in, or registered
/// with <see cref="RegisterConversation"/>), answering 429 and counting each in <see cref="RateLimitedCalls"/>.
/// A conversation belongs to its tenant: a 1:1 chat is per tenant, bot and member, and an activity addressed
/// for another tenant (<c>conversation.tenantId</c>) gets 403 BotNotInConversationRoster.
/// </summary>
public sealed class FakeBotConnector : IAsyncDisposable
{
    public const string Region = "amer";
    private const int MaxBodyBytes = 100 * 1024;
    private const string BotFrameworkScope = "https://api.botframework.com/.default";

    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _apps = new(StringComparer.Ordinal);            // app id → secret
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);          // token → app id
    private readonly List<string> _issued = [];
    private readonly List<ConnectorCall> _calls = [];
    private readonly Dictionary<string, List<JsonObject>> _activities = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Tenant, string Bot, string Member), string> _personal = [];
    private readonly Queue<Fault> _faults = new();
    private readonly List<Waiter> _waiters = [];
    private long _sequence;
    private int _tokenRequests;
    private Uri _root = null!;
    private readonly Dictionary<string, string> _tenantOf = new(StringComparer.Ordinal);   // conversation → tenant
    private readonly SlidingLogLimits _windows = new();
    private int _rateLimited;
    private int _activityCount;
    private TimeSpan _answerDelay;
    private int _created;

    private FakeBotConnector(WebApplication app) => _app = app;

    /// <summary>Starts the fake on a free loopback port.</summary>
    public static async Task<FakeBotConnector> StartAsync()
    {
        var app = Loopback.CreateApp();
        var fake = new FakeBotConnector(app);
        app.MapPost("/{tenant}/oauth2/v2.0/token", fake.HandleTokenAsync);
        app.MapPost($"/{Region}/v3/conversations", fake.HandleCreateConversationAsync);
        app.MapPost($"/{Region}/v3/conversations/{{conversationId}}/activities", fake.HandleActivityAsync);
        app.MapPost($"/{Region}/v3/conversations/{{conversationId}}/activities/{{activityId}}", fake.HandleActivityAsync);
        app.MapPut($"/{Region}/v3/conversations/{{conversationId}}/activities/{{activityId}}", fake.HandleActivityAsync);
        fake._root = await Loopback.StartAsync(app);
        return fake;
    }

    /// <summary>The tenant in <see cref="TokenEndpoint"/> (any tenant path is accepted).</summary>
    public string TenantId { get; } = Guid.NewGuid().ToString();

    /// <summary>A regional serviceUrl with a path and a trailing slash, as Teams sends them: <c>http://127.0.0.1:port/amer/</c>.</summary>
    public string ServiceUrl => new Uri(_root, Region + "/").ToString();

    /// <summary>The OAuth token endpoint: <c>http://127.0.0.1:port/{TenantId}/oauth2/v2.0/token</c>.</summary>
    public string TokenEndpoint => new Uri(_root, $"{TenantId}/oauth2/v2.0/token").ToString();

    /// <summary>Requests that reached the token endpoint, granted or not.</summary>
    public int TokenRequests => Volatile.Read(ref _tokenRequests);

    /// <summary>Every access token granted, oldest first.</summary>
    public IReadOnlyList<string> IssuedTokens { get { lock (_gate) return _issued.ToList(); } }

    /// <summary>Every Connector request answered, oldest first (faults and refusals included).</summary>
    public IReadOnlyList<ConnectorCall> Calls { get { lock (_gate) return _calls.ToList(); } }

    /// <summary>Teams' throttling to enforce: Teams' own by default (a test that fans out must stay within them); null for none.</summary>
    public FakeTeamsLimits? Limits { get; set; } = new();

    /// <summary>How many calls were answered 429 by <see cref="Limits"/> (injected faults not counted).</summary>
    public int RateLimitedCalls => Volatile.Read(ref _rateLimited);

    /// <summary>When false, calls are not kept for <see cref="Calls"/> (a long benchmark); activities still are.</summary>
    public bool RecordCalls { get; set; } = true;

    /// <summary>An existing conversation of a tenant (a 1:1 chat created earlier), so its sends count toward the tenant's limit.</summary>
    public void RegisterConversation(string conversationId, string tenantId)
    {
        lock (_gate)
        {
            _tenantOf[conversationId] = tenantId;
            _activities.TryAdd(conversationId, []);
        }
    }

    /// <summary>How many activities were sent (not updates) in all conversations.</summary>
    public int ActivityCount => Volatile.Read(ref _activityCount);

    /// <summary>How many 1:1 conversations were created (a repeated create for the same user counts again).</summary>
    public int CreatedConversations => Volatile.Read(ref _created);

    /// <summary>Lets <paramref name="appId"/> get tokens with <paramref name="secret"/>.</summary>
    public void AddApp(string appId, string secret)
    {
        lock (_gate) _apps[appId] = secret;
    }

    /// <summary>The activities stored in a conversation (sent, replies; updates replace in place), each with its <c>id</c>.</summary>
    public IReadOnlyList<JsonObject> Activities(string conversationId)
    {
        lock (_gate)
            return _activities.TryGetValue(conversationId, out var list) ? list.Select(a => a.DeepClone().AsObject()).ToList() : [];
    }

    /// <summary>The next <paramref name="times"/> Connector calls get 429 with <c>Retry-After: retryAfterSeconds</c>.</summary>
    public void TooManyRequestsNext(int retryAfterSeconds, int times = 1) => Enqueue(new Fault(429, "TooManyRequests", retryAfterSeconds), times);

    /// <summary>The next <paramref name="times"/> Connector calls get <paramref name="status"/> with a Connector error body.</summary>
    public void FailNext(int status, int times = 1) => Enqueue(new Fault(status, CodeFor(status), null), times);

    /// <summary>
    /// Activities sent from now on are stored at once and answered only after <paramref name="delay"/>
    /// (a slow Connector: the message is already in the chat when the sender hears back).
    /// </summary>
    public void AnswerSlowly(TimeSpan delay) => _answerDelay = delay;

    /// <summary>The next Connector call gets 401 whatever its token.</summary>
    public void RejectTokenNext() => Enqueue(new Fault(401, "Unauthorized", null), 1);

    /// <summary>Completes with the first call (already answered or still to come) that matches; throws listing the calls seen after the timeout (10 s).</summary>
    public async Task<ConnectorCall> WaitForCallAsync(Func<ConnectorCall, bool> match, TimeSpan? timeout = null)
    {
        Waiter waiter;
        lock (_gate)
        {
            foreach (var call in _calls)
                if (match(call)) return call;
            waiter = new Waiter(match, new TaskCompletionSource<ConnectorCall>(TaskCreationOptions.RunContinuationsAsynchronously));
            _waiters.Add(waiter);
        }
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        try
        {
            return await waiter.Done.Task.WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            lock (_gate)
            {
                _waiters.Remove(waiter);
                var seen = _calls.Count == 0 ? "(none)" : string.Join("\n  ", _calls);
                throw new TimeoutException($"No matching Connector call within {limit.TotalSeconds:0.#} s. Seen:\n  {seen}");
            }
        }
    }

    // ---- token endpoint ----

    private async Task HandleTokenAsync(HttpContext context)
    {
        Interlocked.Increment(ref _tokenRequests);
        var request = context.Request;
        if (!request.HasFormContentType)
        {
            await EntraErrorAsync(context, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.");
            return;
        }
        var form = await request.ReadFormAsync();
        string? clientId = form["client_id"], secret = form["client_secret"];
        if (BasicCredentials(request) is { } basic) (clientId, secret) = basic;

        if (form["grant_type"] != "client_credentials")
            await EntraErrorAsync(context, 400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.");
        else if (string.IsNullOrEmpty(clientId))
            await EntraErrorAsync(context, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.");
        else if (!((string?)form["scope"] ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(BotFrameworkScope))
            await EntraErrorAsync(context, 400, "invalid_scope", 70011, $"The provided value for the input parameter 'scope' is not valid. Expected '{BotFrameworkScope}'.");
        else
        {
            string? known;
            lock (_gate) known = _apps.GetValueOrDefault(clientId);
            if (known is null)
                await EntraErrorAsync(context, 401, "invalid_client", 700016, $"Application with identifier '{clientId}' was not found in the directory.");
            else if (!string.Equals(known, secret, StringComparison.Ordinal))
                await EntraErrorAsync(context, 401, "invalid_client", 7000215, $"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{clientId}'.");
            else
            {
                var token = $"fake-bf-token-{Interlocked.Increment(ref _sequence)}-{Guid.NewGuid():N}";
                lock (_gate)
                {
                    _tokens[token] = clientId;
                    _issued.Add(token);
                }
                await WriteJsonAsync(context, 200, new JsonObject
                {
                    ["token_type"] = "Bearer",
                    ["expires_in"] = 3600,
                    ["ext_expires_in"] = 3600,
                    ["access_token"] = token,
                });
            }
        }
    }

    private static (string Id, string Secret)? BasicCredentials(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
            var colon = pair.IndexOf(':');
            return colon < 0 ? null : (Uri.UnescapeDataString(pair[..colon]), Uri.UnescapeDataString(pair[(colon + 1)..]));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static Task EntraErrorAsync(HttpContext context, int status, string error, int aadsts, string description)
    {
        var trace = Guid.NewGuid().ToString();
        var at = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return WriteJsonAsync(context, status, new JsonObject
        {
            ["error"] = error,
            ["error_description"] = $"AADSTS{aadsts}: {description} Trace ID: {trace} Correlation ID: {trace} Timestamp: {at}",
            ["error_codes"] = new JsonArray(aadsts),
            ["timestamp"] = at,
            ["trace_id"] = trace,
            ["correlation_id"] = trace,
        });
    }

    // ---- Connector ----

    private async Task HandleActivityAsync(HttpContext context)
    {
        var conversationId = (string)context.Request.RouteValues["conversationId"]!;
        var activityId = context.Request.RouteValues["activityId"] as string;
        var (text, body, token) = await ReadAsync(context);
        var isUpdate = HttpMethods.IsPut(context.Request.Method);

        int status;
        JsonObject answer;
        int? retryAfter = null;
        lock (_gate)
        {
            if (Refusal(token) is { } refusal) (status, answer, retryAfter) = refusal;
            else if (Throttled(conversationId, _tenantOf.GetValueOrDefault(conversationId)) is { } throttled) (status, answer, retryAfter) = throttled;
            else if (body is null) (status, answer) = (400, ConnectorError("BadArgument", "The body is not a JSON object."));
            else if (text.Length * 2 > MaxBodyBytes) (status, answer) = (413, ConnectorError("MessageSizeTooBig", "Message size too big."));
            else if (body["type"]?.ToString() is not { Length: > 0 }) (status, answer) = (400, ConnectorError("BadArgument", "Activity must have a type."));
            else if (OtherTenant(conversationId, body)) (status, answer) = (403, ConnectorError("BotNotInConversationRoster", "The bot is not part of the conversation roster."));
            else
            {
                var list = _activities.TryGetValue(conversationId, out var found) ? found : _activities[conversationId] = [];
                var stored = body.DeepClone().AsObject();
                if (isUpdate)
                {
                    var index = list.FindIndex(a => a["id"]?.ToString() == activityId);
                    if (index < 0) (status, answer) = (404, ConnectorError("ActivityNotFound", "Unknown activity."));
                    else
                    {
                        stored["id"] = activityId;
                        list[index] = stored;
                        (status, answer) = (200, new JsonObject { ["id"] = activityId });
                    }
                }
                else
                {
                    var id = (1_700_000_000_000 + Interlocked.Increment(ref _sequence)).ToString(CultureInfo.InvariantCulture);
                    stored["id"] = id;
                    list.Add(stored);
                    _activityCount++;
                    (status, answer) = (201, new JsonObject { ["id"] = id });
                }
            }
            Record(new ConnectorCall(context.Request.Method, RawPath(context), conversationId, activityId, body ?? [], token) { Status = status });
        }
        if (status == 201 && _answerDelay > TimeSpan.Zero) await Task.Delay(_answerDelay);
        await AnswerAsync(context, status, answer, retryAfter);
    }

    private async Task HandleCreateConversationAsync(HttpContext context)
    {
        var (_, body, token) = await ReadAsync(context);
        int status;
        JsonObject answer;
        int? retryAfter = null;
        var conversationId = "";
        lock (_gate)
        {
            if (Refusal(token) is { } refusal) (status, answer, retryAfter) = refusal;
            else if (body is null) (status, answer) = (400, ConnectorError("BadArgument", "The body is not a JSON object."));
            else if (body["bot"]?["id"]?.ToString() is not { Length: > 0 } bot)
                (status, answer) = (400, ConnectorError("BadArgument", "Bot is required."));
            else if (body["members"] is not JsonArray { Count: 1 } members || members[0]?["id"]?.ToString() is not { Length: > 0 } member)
                (status, answer) = (400, ConnectorError("BadArgument", "Exactly one member is required for a 1:1 conversation."));
            else if (body["isGroup"]?.GetValueKind() == JsonValueKind.True)
                (status, answer) = (400, ConnectorError("BadArgument", "Bots cannot create group conversations."));
            else if ((body["tenantId"] ?? body["channelData"]?["tenant"]?["id"])?.ToString() is not { Length: > 0 } tenant)
                (status, answer) = (400, ConnectorError("BadArgument", "Tenant is required."));
            else if (Throttled(null, tenant) is { } throttled) (status, answer, retryAfter) = throttled;
            else
            {
                if (!_personal.TryGetValue((tenant, bot, member), out var id))
                    _personal[(tenant, bot, member)] = id = $"a:1{Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=').Replace('/', '_').Replace('+', '-')}";
                conversationId = id;
                _tenantOf[id] = tenant;
                _created++;
                _activities.TryAdd(id, []);
                (status, answer) = (201, new JsonObject { ["id"] = id, ["serviceUrl"] = ServiceUrl });
            }
            Record(new ConnectorCall(context.Request.Method, RawPath(context), conversationId, null, body ?? [], token) { Status = status });
        }
        await AnswerAsync(context, status, answer, retryAfter);
    }

    /// <summary>An activity addressed for a tenant (its <c>conversation.tenantId</c> or <c>channelData.tenant.id</c>) other than the conversation's.</summary>
    private bool OtherTenant(string conversationId, JsonObject body) =>
        _tenantOf.TryGetValue(conversationId, out var owner) &&
        (body["conversation"]?["tenantId"] ?? body["channelData"]?["tenant"]?["id"])?.ToString() is { Length: > 0 } named && named != owner;

    /// <summary>With <see cref="Limits"/>: a 429 when this call would exceed a conversation or tenant window, else null (and it is counted). Under the lock.</summary>
    private (int Status, JsonObject Answer, int? RetryAfter)? Throttled(string? conversationId, string? tenantId)
    {
        if (Limits is not { } limits) return null;
        var checks = new List<(string, int, TimeSpan)>();
        if (conversationId is not null)
            checks.AddRange(limits.PerConversation.Select(w => ($"conversation|{conversationId}", w.Limit, w.Window * limits.TimeScale)));
        if (tenantId is not null)
            checks.AddRange(limits.PerTenant.Select(w => ($"tenant|{tenantId}", w.Limit, w.Window * limits.TimeScale)));
        if (_windows.Check(DateTimeOffset.UtcNow, [.. checks]) is not { } wait) return null;
        _rateLimited++;   // under the lock, read with Volatile
        return (429, ConnectorError("TooManyRequests", "Too many requests."), limits.SendRetryAfter ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : null);
    }

    /// <summary>A queued fault, else 401 for a token this fake did not issue; null to go on. Call under the lock.</summary>
    private (int Status, JsonObject Answer, int? RetryAfter)? Refusal(string? token)
    {
        if (_faults.TryDequeue(out var fault))
            return (fault.Status, ConnectorError(fault.Code, $"Injected {fault.Status}."), fault.RetryAfter);
        if (token is null || !_tokens.ContainsKey(token))
            return (401, ConnectorError("Unauthorized", "Authorization has been denied for this request."), null);
        return null;
    }

    private static async Task<(string Text, JsonObject? Body, string? Token)> ReadAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
        var text = await new StreamReader(context.Request.Body, Encoding.UTF8).ReadToEndAsync();
        JsonObject? body = null;
        try
        {
            body = JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            // answered 400 by the caller
        }
        return (text, body, token);
    }

    private static string RawPath(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.ToString();
        var query = raw.IndexOf('?');
        return query < 0 ? raw : raw[..query];
    }

    private static Task AnswerAsync(HttpContext context, int status, JsonObject answer, int? retryAfterSeconds)
    {
        context.Response.Headers["X-Correlating-OperationId"] = Guid.NewGuid().ToString("N");
        if (retryAfterSeconds is { } seconds) context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return WriteJsonAsync(context, status, answer);
    }

    private static JsonObject ConnectorError(string code, string message) =>
        new() { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } };

    private static string CodeFor(int status) => status switch
    {
        400 => "BadArgument",
        401 => "Unauthorized",
        403 => "BotNotInConversationRoster",
        404 => "ConversationNotFound",
        408 => "RequestTimeout",
        412 => "PreconditionFailed",
        413 => "MessageSizeTooBig",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => "ServiceError",
    };

    private void Enqueue(Fault fault, int times)
    {
        lock (_gate)
            for (var i = 0; i < times; i++) _faults.Enqueue(fault);
    }

    private void Record(ConnectorCall call)
    {
        if (!RecordCalls) return;
        call = call with { At = DateTimeOffset.UtcNow };
        _calls.Add(call);
        foreach (var waiter in _waiters.ToList())
            if (waiter.Match(call))
            {
                _waiters.Remove(waiter);
                waiter.Done.TrySetResult(call);
            }
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, JsonObject body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(body.ToJsonString());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed record Fault(int Status, string Code, int? RetryAfter);
    private sealed record Waiter(Func<ConnectorCall, bool> Match, TaskCompletionSource<ConnectorCall> Done);
}
