using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CoordBot.Tests.Support;

/// <summary>One Web API call the fake answered: method, token (Bearer or <c>token</c> field), arguments with blocks/view/files parsed back to JSON, arrival time.</summary>
public sealed record SlackCall(string Method, string? Token, JsonObject Args, DateTimeOffset At)
{
    public string? Arg(string name) => Args[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : Args[name]?.ToJsonString();

    public override string ToString() => $"{At:HH:mm:ss.fff} {Method} {Args.ToJsonString()}";
}

/// <summary>
/// A Slack Web API on Kestrel (127.0.0.1, a free port) with Slack's request and response shapes:
/// bearer or <c>token</c>-field auth, form or JSON bodies, <c>ok:false</c> errors, Block Kit limits,
/// one-time 3-second trigger ids, response_urls good for 5 posts in 30 minutes, the three-step
/// file upload, OAuth v2 code exchange and apps.connections.open. Faults can be injected per method
/// (also for <c>"response_url"</c> and <c>"upload_url"</c>); everything it receives can be read back.
/// Calls are recorded when they are answered (with their arrival time). It enforces Slack's rate limits
/// (<see cref="Limits"/>, on by default) (<see cref="FakeSlackLimits"/>) and answers HTTP 429 with
/// <c>Retry-After</c> to a call over them, counting each in <see cref="RateLimitedCalls"/>.
/// Channels belong to one team, as Slack's ids are global: a channel is the team's that created it
/// (<see cref="AddChannel"/>, conversations.open) or first posted to it, and any other team's call that names it
/// gets <c>channel_not_found</c>; a channel the bot was not added to answers posts with <c>not_in_channel</c>.
/// </summary>
public sealed class FakeSlackApi : IAsyncDisposable
{
    private static readonly TimeSpan TriggerLifetime = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan ResponseUrlLifetime = TimeSpan.FromMinutes(30);
    private const int ResponseUrlUses = 5;
    private const int MaxMessageBlocks = 50;
    private const int MaxViewBlocks = 100;
    private const int MaxTitleLength = 24;
    private const string AppId = "A0FAKEAPP";

    private static readonly HashSet<string> KnownMethods =
    [
        "auth.test", "chat.postMessage", "chat.postEphemeral", "chat.update", "views.open", "views.update", "views.publish",
        "conversations.open", "users.info", "files.getUploadURLExternal", "files.completeUploadExternal", "oauth.v2.access",
        "apps.connections.open", "conversations.history",
    ];

    private readonly WebApplication _app;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly List<SlackCall> _calls = [];
    private readonly List<JsonObject> _responses = [];
    private readonly List<(string Channel, JsonObject Message)> _messages = [];
    private readonly List<(string Channel, string FileName, string Content)> _files = [];
    private readonly Dictionary<string, Team> _teams = new(StringComparer.Ordinal);          // by bot token
    private readonly Dictionary<(string Team, string User), User> _users = [];
    private readonly HashSet<string> _appTokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OAuthGrant> _codes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _triggers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _usedTriggers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ResponseHook> _responseUrls = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JsonObject> _views = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JsonObject> _homes = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Team, string Users), string> _dms = [];
    private readonly Dictionary<string, string> _channelTeams = new(StringComparer.Ordinal);   // channel id → team id
    private readonly HashSet<string> _channelsWithoutBot = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _refusedChannels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PendingFile> _uploads = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PendingFile> _completed = new(StringComparer.Ordinal);
    private readonly List<SharedFile> _shares = [];
    private readonly Dictionary<string, HashSet<string>> _withoutScopes = new(StringComparer.Ordinal);   // bot token → scopes not granted
    private readonly Dictionary<string, Queue<Fault>> _faults = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<TimeSpan>> _delays = new(StringComparer.Ordinal);
    private readonly List<Waiter<SlackCall>> _callWaiters = [];
    private readonly List<Waiter<JsonObject>> _responseWaiters = [];
    private readonly long _startSeconds;
    private long _lastTsSeconds;
    private long _sequence;
    private Uri _root = null!;
    private CellRateLimits? _cells;
    private FakeSlackLimits? _limits;
    private readonly Dictionary<string, int> _rateLimited = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _answered = new(StringComparer.Ordinal);

    private FakeSlackApi(WebApplication app, TimeProvider time)
    {
        _app = app;
        _time = time;
        _startSeconds = time.GetUtcNow().ToUnixTimeSeconds();
    }

    /// <summary>Starts the fake on a free loopback port.</summary>
    public static async Task<FakeSlackApi> StartAsync(TimeProvider? time = null)
    {
        var app = Loopback.CreateApp();
        var fake = new FakeSlackApi(app, time ?? TimeProvider.System);
        app.Map("/api/{method}", fake.HandleApiAsync);
        app.Map("/upload/{id}", fake.HandleUploadAsync);
        app.Map("/response/{id}", fake.HandleResponseUrlAsync);
        app.MapGet("/files-pri/{id}/{name}", fake.HandleSharedFile);
        app.MapGet("/files-pri/{id}/download/{name}", fake.HandleSharedFile);
        fake.Limits = new FakeSlackLimits();
        fake._root = await Loopback.StartAsync(app);
        fake.SocketUrl = new Uri($"wss://wss-primary.slack.com/link/?ticket=fake-{Guid.NewGuid():N}&app_id={AppId}");
        return fake;
    }

    /// <summary>The Web API base (ends with <c>/api/</c>): use it as <c>Slack:ApiBaseUrl</c>.</summary>
    public Uri BaseUrl => new(_root, "api/");

    public string ClientId { get; } = "1111111111.2222222222";
    public string ClientSecret { get; } = "fake-client-secret-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>When set, oauth.v2.access refuses another <c>redirect_uri</c> with bad_redirect_uri.</summary>
    public string? RedirectUri { get; set; }

    /// <summary>Slack's rate limits to enforce: Slack's own by default (a test that fans out must stay within them); null for none.</summary>
    public FakeSlackLimits? Limits
    {
        get { lock (_gate) return _limits; }
        set
        {
            lock (_gate)
            {
                _limits = value;
                _cells = value is null ? null : new CellRateLimits(value.Tolerance);
            }
        }
    }

    /// <summary>How many calls were answered 429 by <see cref="Limits"/>, per method (injected faults not counted).</summary>
    public IReadOnlyDictionary<string, int> RateLimitedCalls { get { lock (_gate) return new Dictionary<string, int>(_rateLimited); } }

    /// <summary>How many calls of each method were answered, whatever the answer (counted even when <see cref="RecordCalls"/> is off).</summary>
    public IReadOnlyDictionary<string, int> CallCounts { get { lock (_gate) return new Dictionary<string, int>(_answered); } }

    /// <summary>How many messages were posted (chat.postMessage and postEphemeral).</summary>
    public int MessageCount { get { lock (_gate) return _messages.Count; } }

    /// <summary>When false, calls are not kept for <see cref="Calls"/> (a long benchmark); messages still are.</summary>
    public bool RecordCalls { get; set; } = true;

    /// <summary>What apps.connections.open returns.</summary>
    public Uri SocketUrl { get; set; } = null!;

    /// <summary>When set, each apps.connections.open answers a fresh URL from it (a Socket Mode server's single-use tickets).</summary>
    public Func<Uri>? SocketUrls { get; set; }

    // ---- set-up ----

    public void AddTeam(string teamId, string botToken, string? enterpriseId = null, string botUserId = "UBOT")
    {
        lock (_gate) _teams[botToken] = new Team(teamId, teamId, botToken, enterpriseId, botUserId, "B" + botUserId.TrimStart('U'));
    }

    /// <summary>A channel of the team; with <paramref name="botIsMember"/> false, posting there answers <c>not_in_channel</c> (CoordBot has no chat:write.public).</summary>
    public void AddChannel(string teamId, string channelId, bool botIsMember = true)
    {
        lock (_gate)
        {
            _channelTeams[channelId] = teamId;
            if (botIsMember) _channelsWithoutBot.Remove(channelId);
            else _channelsWithoutBot.Add(channelId);
        }
    }

    /// <summary>How many calls named a channel of another team (answered channel_not_found) or one without the bot (not_in_channel), by error.</summary>
    public IReadOnlyDictionary<string, int> RefusedChannels { get { lock (_gate) return new Dictionary<string, int>(_refusedChannels); } }

    public void AddUser(string teamId, string userId, string name, string timeZone = "America/Chicago", bool isAdmin = false)
    {
        lock (_gate) _users[(teamId, userId)] = new User(userId, name, timeZone, isAdmin);
    }

    private readonly Dictionary<string, (string TeamId, byte[] Content)> _shared = new(StringComparer.Ordinal);

    /// <summary>
    /// A file a user shared with the bot, as a message event's <c>files[]</c> entry: its
    /// <c>url_private_download</c> answers only with the team's bot token, as Slack's does.
    /// </summary>
    public JsonObject ShareFile(string teamId, string name, string content, string mimetype = "text/plain", long? declaredSize = null) =>
        ShareFile(teamId, name, Encoding.UTF8.GetBytes(content), mimetype, declaredSize);

    /// <summary>As <see cref="ShareFile(string, string, string, string, long?)"/>, with the file's bytes (a zip).</summary>
    public JsonObject ShareFile(string teamId, string name, byte[] content, string mimetype, long? declaredSize = null)
    {
        var id = NextId("F");
        lock (_gate) _shared[id] = (teamId, content);
        return new JsonObject
        {
            ["id"] = id, ["name"] = name, ["title"] = name, ["mimetype"] = mimetype, ["filetype"] = Path.GetExtension(name).TrimStart('.'),
            ["size"] = declaredSize ?? content.Length, ["url_private"] = new Uri(_root, $"files-pri/{id}/{name}").ToString(),
            ["url_private_download"] = new Uri(_root, $"files-pri/{id}/download/{name}").ToString(),
        };
    }

    private readonly Dictionary<string, int> _sharedFaults = new(StringComparer.Ordinal);

    /// <summary>Every later download of the shared file <paramref name="fileId"/> answers this HTTP status (404: deleted, 403: access withdrawn, …).</summary>
    public void BreakSharedFile(string fileId, int status)
    {
        lock (_gate) _sharedFaults[fileId] = status;
    }

    private IResult HandleSharedFile(HttpContext context, string id)
    {
        lock (_gate)
            if (_sharedFaults.TryGetValue(id, out var status)) return Results.StatusCode(status);
        var auth = context.Request.Headers.Authorization.ToString();
        var token = auth.StartsWith("Bearer ", StringComparison.Ordinal) ? auth[7..] : null;
        lock (_gate)
        {
            // Slack answers an unauthenticated file request with its sign-in page (HTML), not an error code.
            if (!_shared.TryGetValue(id, out var file)) return Results.NotFound();
            if (token is null || !_teams.TryGetValue(token, out var team) || team.TeamId != file.TeamId)
                return Results.Content("<!DOCTYPE html><title>Slack</title>Sign in", "text/html");
            return Results.Bytes(file.Content, "application/octet-stream");
        }
    }

    public void AddAppToken(string appToken)
    {
        lock (_gate) _appTokens.Add(appToken);
    }

    /// <summary>A one-time code that oauth.v2.access exchanges for <paramref name="botToken"/> (which then works).</summary>
    public string IssueOAuthCode(string teamId, string teamName, string botToken, string? enterpriseId = null, bool enterpriseInstall = false,
        string authedUserId = "UINSTALLER")
    {
        var code = $"{NextId("")}.{Guid.NewGuid():N}";
        lock (_gate) _codes[code] = new OAuthGrant(teamId, teamName, botToken, enterpriseId, enterpriseInstall, authedUserId);
        return code;
    }

    /// <summary>A trigger_id good for one views.open within 3 seconds.</summary>
    public string IssueTriggerId()
    {
        var id = $"{NextId("")}.{_startSeconds}.{Guid.NewGuid():N}";
        lock (_gate) _triggers[id] = _time.GetUtcNow();
        return id;
    }

    /// <summary>A response_url on this fake (5 posts within 30 minutes from now); posts land in <see cref="ResponsesPosted"/>.</summary>
    public Uri ResponseUrl(string id)
    {
        lock (_gate) _responseUrls.TryAdd(id, new ResponseHook(_time.GetUtcNow()));
        return new Uri(_root, $"response/{Uri.EscapeDataString(id)}");
    }

    // ---- fault injection ----

    /// <summary>The next <paramref name="times"/> calls of the method answer <c>ok:false</c> with this error.</summary>
    public void FailNext(string method, string error, int times = 1) => AddFault(method, new Fault(200, error, null), times);

    /// <summary>The next calls answer HTTP 429 with <c>Retry-After: seconds</c>.</summary>
    public void RateLimitNext(string method, int retryAfterSeconds, int times = 1) => AddFault(method, new Fault(429, "ratelimited", retryAfterSeconds), times);

    /// <summary>The next calls answer this HTTP status with a non-JSON body.</summary>
    public void HttpErrorNext(string method, int status, int times = 1) => AddFault(method, new Fault(status, null, null), times);

    /// <summary>The next call of the method is answered only after <paramref name="delay"/>.</summary>
    public void DelayNext(string method, TimeSpan delay)
    {
        lock (_gate)
        {
            if (!_delays.TryGetValue(method, out var queue)) _delays[method] = queue = new Queue<TimeSpan>();
            queue.Enqueue(delay);
        }
    }

    private void AddFault(string method, Fault fault, int times)
    {
        lock (_gate)
        {
            if (!_faults.TryGetValue(method, out var queue)) _faults[method] = queue = new Queue<Fault>();
            for (var i = 0; i < times; i++) queue.Enqueue(fault);
        }
    }

    // ---- observation ----

    public IReadOnlyList<SlackCall> Calls { get { lock (_gate) return _calls.ToList(); } }

    public IReadOnlyList<SlackCall> CallsTo(string method) { lock (_gate) return _calls.Where(c => c.Method == method).ToList(); }

    /// <summary>Bodies posted to response URLs (accepted ones), each with <c>url_id</c> added.</summary>
    public IReadOnlyList<JsonObject> ResponsesPosted { get { lock (_gate) return _responses.ToList(); } }

    /// <summary>Posted messages in order (chat.update edits them in place); ephemeral ones carry <c>ephemeral:true</c>.</summary>
    public IReadOnlyList<(string Channel, JsonObject Message)> Messages { get { lock (_gate) return _messages.ToList(); } }

    /// <summary>The DM channel conversations.open gave for the bot and one user, or null when none was opened.</summary>
    public string? DmOf(string teamId, string userId) { lock (_gate) return _dms.GetValueOrDefault((teamId, userId)); }

    /// <summary>Every file share files.completeUploadExternal made, in order, with the bytes uploaded (a file completed twice is there twice).</summary>
    public IReadOnlyList<SharedFile> SharedFiles { get { lock (_gate) return _shares.ToList(); } }

    /// <summary>Calls with <paramref name="botToken"/> to methods that need one of <paramref name="scopes"/> answer <c>missing_scope</c>.</summary>
    public void WithoutScopes(string botToken, params string[] scopes)
    {
        lock (_gate)
        {
            if (!_withoutScopes.TryGetValue(botToken, out var missing)) _withoutScopes[botToken] = missing = new HashSet<string>(StringComparer.Ordinal);
            missing.UnionWith(scopes);
        }
    }

    /// <summary>Files shared by files.completeUploadExternal, with their UTF-8 content.</summary>
    public IReadOnlyList<(string Channel, string FileName, string Content)> Files { get { lock (_gate) return _files.ToList(); } }

    /// <summary>The last Home view published for the user, or null.</summary>
    public JsonObject? Home(string userId) { lock (_gate) return _homes.GetValueOrDefault(userId)?.DeepClone().AsObject(); }

    /// <summary>Completes with the first call of <paramref name="method"/> (already answered or still to come) that matches.</summary>
    public Task<SlackCall> WaitForCallAsync(string method, Func<SlackCall, bool>? match = null, TimeSpan? timeout = null) =>
        WaitAsync(_calls, _callWaiters, c => c.Method == method && (match?.Invoke(c) ?? true), timeout,
            $"a {method} call", () => string.Join("\n  ", _calls));

    /// <summary>Completes with the first body posted to a response_url (already or still to come) that matches.</summary>
    public Task<JsonObject> WaitForResponseAsync(Func<JsonObject, bool>? match = null, TimeSpan? timeout = null) =>
        WaitAsync(_responses, _responseWaiters, r => match?.Invoke(r) ?? true, timeout,
            "a response_url post", () => string.Join("\n  ", _responses.Select(r => r.ToJsonString())));

    private async Task<T> WaitAsync<T>(List<T> seen, List<Waiter<T>> waiters, Func<T, bool> match, TimeSpan? timeout, string what, Func<string> describe)
    {
        Waiter<T> waiter;
        lock (_gate)
        {
            foreach (var item in seen)
                if (match(item)) return item;
            waiter = new Waiter<T>(match, new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously));
            waiters.Add(waiter);
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
                waiters.Remove(waiter);
                throw new TimeoutException($"No {what} matched within {limit.TotalSeconds:0.#} s. Seen:\n  {describe()}");
            }
        }
    }

    private static void Notify<T>(List<Waiter<T>> waiters, T item)
    {
        foreach (var waiter in waiters.ToList())
            if (waiter.Match(item))
            {
                waiters.Remove(waiter);
                waiter.Done.TrySetResult(item);
            }
    }

    // ---- HTTP ----

    private async Task HandleApiAsync(HttpContext context)
    {
        var at = _time.GetUtcNow();
        var method = (string)context.Request.RouteValues["method"]!;
        var (args, token, basic, badJson) = await ReadRequestAsync(context.Request);
        var call = new SlackCall(method, token, args, at);

        if (await ApplyFaultsAsync(context, method, () => Record(call))) return;

        JsonObject answer;
        TimeSpan? limited;
        lock (_gate)
        {
            limited = OverLimit(method, token, args, at);
            if (limited is not null)
            {
                _rateLimited[method] = _rateLimited.GetValueOrDefault(method) + 1;
                Record(call);
            }
        }
        if (limited is { } wait)
        {
            // Slack's Retry-After is whole seconds.
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await WriteJsonAsync(context, 429, Error("ratelimited"));
            return;
        }
        lock (_gate)
        {
            try
            {
                if (badJson) throw new SlackError("invalid_json");
                answer = Dispatch(method, token, basic, args);
                answer = new JsonObject { ["ok"] = true }.Merge(answer);
            }
            catch (SlackError e)
            {
                answer = new JsonObject { ["ok"] = false, ["error"] = e.Error };
            }
            Record(call);
        }
        await WriteJsonAsync(context, 200, answer);
    }

    private async Task HandleUploadAsync(HttpContext context)
    {
        var id = (string)context.Request.RouteValues["id"]!;
        if (await ApplyFaultsAsync(context, "upload_url", () => { })) return;
        byte[] content;
        if (context.Request.HasFormContentType)
        {
            var form = await context.Request.ReadFormAsync();
            if (form.Files.Count == 0) { await WriteTextAsync(context, 400, "no file"); return; }
            using var buffer = new MemoryStream();
            await form.Files[0].CopyToAsync(buffer);
            content = buffer.ToArray();
        }
        else
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            content = buffer.ToArray();
        }
        lock (_gate)
        {
            if (!_uploads.TryGetValue(id, out var pending)) { context.Response.StatusCode = 404; return; }
            // The bytes must be what files.getUploadURLExternal was told (its length argument).
            if (content.Length != pending.Length) { context.Response.StatusCode = 400; return; }
            _uploads[id] = pending with { Content = content, UploadCount = pending.UploadCount + 1 };
        }
        await WriteTextAsync(context, 200, $"OK - {content.Length}");
    }

    private async Task HandleResponseUrlAsync(HttpContext context)
    {
        var id = (string)context.Request.RouteValues["id"]!;
        if (await ApplyFaultsAsync(context, "response_url", () => { })) return;
        JsonObject? body = null;
        try
        {
            body = JsonNode.Parse(await new StreamReader(context.Request.Body).ReadToEndAsync()) as JsonObject;
        }
        catch (JsonException) { }

        int status;
        JsonObject answer;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (!_responseUrls.TryGetValue(id, out var hook)) (status, answer) = (404, Error("invalid_url"));
            else if (now - hook.IssuedAt > ResponseUrlLifetime) (status, answer) = (404, Error("expired_url"));
            else if (hook.Uses >= ResponseUrlUses) (status, answer) = (404, Error("used_url"));
            else if (body is null) (status, answer) = (400, Error("invalid_payload"));
            else
            {
                _responseUrls[id] = hook with { Uses = hook.Uses + 1 };
                var posted = body.DeepClone().AsObject();
                posted["url_id"] = id;
                _responses.Add(posted);
                Notify(_responseWaiters, posted);
                (status, answer) = (200, new JsonObject { ["ok"] = true });
            }
        }
        await WriteJsonAsync(context, status, answer);
    }

    /// <summary>Answers an injected fault (after an injected delay) and says whether it did.</summary>
    private async Task<bool> ApplyFaultsAsync(HttpContext context, string method, Action record)
    {
        TimeSpan? delay = null;
        Fault? fault = null;
        lock (_gate)
        {
            if (_delays.TryGetValue(method, out var delays) && delays.Count > 0) delay = delays.Dequeue();
            if (_faults.TryGetValue(method, out var faults) && faults.Count > 0) fault = faults.Dequeue();
        }
        if (delay is { } d)
        {
            try { await Task.Delay(d, _time, context.RequestAborted); }
            catch (OperationCanceledException) { }
        }
        if (fault is null) return false;
        lock (_gate) record();
        if (fault.RetryAfter is { } seconds) context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        if (fault.Error is null) await WriteTextAsync(context, fault.Status, $"<html><body>{fault.Status} fake failure</body></html>", "text/html");
        else await WriteJsonAsync(context, fault.Status, Error(fault.Error));
        return true;
    }

    /// <summary>With <see cref="Limits"/>: how long until this call would be within them, or null when it is (and it is counted). Under the lock.</summary>
    private TimeSpan? OverLimit(string method, string? token, JsonObject args, DateTimeOffset at)
    {
        if (_cells is null || _limits is not { } limits || token is null || !_teams.TryGetValue(token, out var team)) return null;
        TimeSpan Interval(FakeRate rate) => TimeSpan.FromMinutes(1) / rate.PerMinute * limits.TimeScale;
        if (method == "chat.postMessage" && Str(args, "channel") is { } channel)
            return _cells.Check(at,
                ($"{team.TeamId}|post", Interval(limits.PostMessagePerWorkspace), limits.PostMessagePerWorkspace.Burst),
                ($"{team.TeamId}|post|{channel}", Interval(limits.PostMessagePerChannel), limits.PostMessagePerChannel.Burst));
        if (FakeSlackLimits.Tier3Methods.Contains(method))
            return _cells.Check(at, ($"{team.TeamId}|{method}", Interval(limits.Tier3), limits.Tier3.Burst));
        return null;
    }

    private void Record(SlackCall call)
    {
        _answered[call.Method] = _answered.GetValueOrDefault(call.Method) + 1;
        if (!RecordCalls) return;
        _calls.Add(call);
        Notify(_callWaiters, call);
    }

    private static async Task<(JsonObject Args, string? Token, (string Id, string Secret)? Basic, bool BadJson)> ReadRequestAsync(HttpRequest request)
    {
        var args = new JsonObject();
        foreach (var (key, value) in request.Query) args[key] = value.ToString();
        var badJson = false;
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync();
            foreach (var (key, value) in form) args[key] = value.ToString();
        }
        else if (request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true)
        {
            try
            {
                if (JsonNode.Parse(await new StreamReader(request.Body).ReadToEndAsync()) is JsonObject json)
                    foreach (var (key, value) in json) args[key] = value?.DeepClone();
                else badJson = true;
            }
            catch (JsonException) { badJson = true; }
        }

        foreach (var key in new[] { "blocks", "view", "files", "attachments", "metadata" })
            if (args[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            {
                try { args[key] = JsonNode.Parse(v.GetValue<string>()); }
                catch (JsonException) { }
            }

        string? token = null;
        (string, string)? basic = null;
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.Ordinal)) token = authorization["Bearer ".Length..].Trim();
        else if (authorization.StartsWith("Basic ", StringComparison.Ordinal))
        {
            try
            {
                var pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
                var colon = pair.IndexOf(':');
                if (colon > 0) basic = (pair[..colon], pair[(colon + 1)..]);
            }
            catch (FormatException) { }
        }
        if (args["token"] is JsonValue t)
        {
            token ??= t.ToString();
            args.Remove("token");
        }
        return (args, token, basic, badJson);
    }

    private static Task WriteJsonAsync(HttpContext context, int status, JsonObject body) =>
        WriteTextAsync(context, status, body.ToJsonString(), "application/json; charset=utf-8");

    private static async Task WriteTextAsync(HttpContext context, int status, string text, string contentType = "text/plain; charset=utf-8")
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        await context.Response.WriteAsync(text);
    }

    private static JsonObject Error(string error) => new() { ["ok"] = false, ["error"] = error };

    // ---- the methods (called under _gate) ----

    private JsonObject Dispatch(string method, string? token, (string Id, string Secret)? basic, JsonObject args)
    {
        if (!KnownMethods.Contains(method)) throw new SlackError("unknown_method");
        if (method == "oauth.v2.access") return OAuthAccess(basic, args);
        if (string.IsNullOrEmpty(token)) throw new SlackError("not_authed");
        if (method == "apps.connections.open")
        {
            if (_appTokens.Contains(token)) return new JsonObject { ["url"] = (SocketUrls?.Invoke() ?? SocketUrl).ToString() };
            throw new SlackError(_teams.ContainsKey(token) ? "not_allowed_token_type" : "invalid_auth");
        }
        if (!_teams.TryGetValue(token, out var team))
            throw new SlackError(_appTokens.Contains(token) ? "not_allowed_token_type" : "invalid_auth");
        if (ScopeOf(method, args) is { } scope && _withoutScopes.TryGetValue(token, out var missing) && missing.Contains(scope))
            throw new SlackError("missing_scope");

        return method switch
        {
            "auth.test" => AuthTest(team),
            "chat.postMessage" => PostMessage(team, args),
            "chat.postEphemeral" => PostEphemeral(team, args),
            "chat.update" => UpdateMessage(team, args),
            "views.open" => OpenView(team, args),
            "views.update" => UpdateView(team, args),
            "views.publish" => PublishHome(team, args),
            "conversations.open" => OpenConversation(team, args),
            "conversations.history" => History(team, args),
            "users.info" => UserInfo(team, args),
            "files.getUploadURLExternal" => GetUploadUrl(team, args),
            "files.completeUploadExternal" => CompleteUpload(team, args),
            _ => throw new SlackError("unknown_method"),
        };
    }

    /// <summary>The bot scope a method needs (https://docs.slack.dev/reference/methods), where a test may take it away.</summary>
    private static string? ScopeOf(string method, JsonObject args) => method switch
    {
        "chat.postMessage" or "chat.postEphemeral" or "chat.update" => "chat:write",
        "files.getUploadURLExternal" or "files.completeUploadExternal" => "files:write",
        "conversations.history" => (Str(args, "channel") ?? "") switch
        {
            var c when c.StartsWith('D') => "im:history",
            var c when c.StartsWith('G') => "groups:history",
            _ => "channels:history",
        },
        "users.info" => "users:read",
        _ => null,
    };

    private static JsonObject AuthTest(Team team)
    {
        var answer = new JsonObject
        {
            ["url"] = $"https://{team.TeamId.ToLowerInvariant()}.slack.com/",
            ["team"] = team.Name,
            ["user"] = "coordbot",
            ["team_id"] = team.TeamId,
            ["user_id"] = team.BotUserId,
            ["bot_id"] = team.BotId,
            ["is_enterprise_install"] = false,
        };
        if (team.EnterpriseId is not null) answer["enterprise_id"] = team.EnterpriseId;
        return answer;
    }

    private JsonObject PostMessage(Team team, JsonObject args)
    {
        var channel = Channel(team, args, posting: true);
        CheckMessage(args);
        CheckMetadata(args);
        var ts = NextTs();
        var stored = Without(args, "channel");
        stored["ts"] = ts;
        stored["user"] = team.BotUserId;
        _messages.Add((channel, stored));
        var message = new JsonObject
        {
            ["type"] = "message",
            ["user"] = team.BotUserId,
            ["bot_id"] = team.BotId,
            ["app_id"] = AppId,
            ["text"] = Str(args, "text") ?? "",
            ["ts"] = ts,
        };
        if (args["blocks"] is JsonArray blocks) message["blocks"] = blocks.DeepClone();
        if (Str(args, "thread_ts") is { } thread) message["thread_ts"] = thread;
        return new JsonObject { ["channel"] = channel, ["ts"] = ts, ["message"] = message };
    }

    /// <summary>The arguments chat.postEphemeral takes (https://docs.slack.dev/reference/methods/chat.postEphemeral); a strict typed client refuses any other.</summary>
    private static readonly HashSet<string> EphemeralArguments = new(StringComparer.Ordinal)
    {
        "channel", "user", "text", "blocks", "attachments", "as_user", "icon_emoji", "icon_url", "link_names", "markdown_text", "parse", "thread_ts", "username",
    };

    private JsonObject PostEphemeral(Team team, JsonObject args)
    {
        if (args.Select(a => a.Key).FirstOrDefault(k => !EphemeralArguments.Contains(k)) is not null) throw new SlackError("invalid_arguments");
        var channel = Channel(team, args, posting: true);
        Need(args, "user");
        CheckMessage(args);
        var ts = NextTs();
        var stored = Without(args, "channel");
        stored["ts"] = ts;
        stored["ephemeral"] = true;
        _messages.Add((channel, stored));
        return new JsonObject { ["message_ts"] = ts };
    }

    private JsonObject UpdateMessage(Team team, JsonObject args)
    {
        var channel = Channel(team, args);
        var ts = Need(args, "ts");
        CheckMessage(args);
        var index = _messages.FindIndex(m => m.Channel == channel && Str(m.Message, "ts") == ts);
        if (index < 0) throw new SlackError("message_not_found");
        if (_messages[index].Message["ephemeral"] is not null) throw new SlackError("cant_update_message");
        var stored = Without(args, "channel");
        stored["edited"] = true;
        _messages[index] = (channel, stored);
        var message = new JsonObject { ["type"] = "message", ["user"] = team.BotUserId, ["bot_id"] = team.BotId, ["text"] = Str(args, "text") ?? "" };
        if (args["blocks"] is JsonArray blocks) message["blocks"] = blocks.DeepClone();
        return new JsonObject { ["channel"] = channel, ["ts"] = ts, ["text"] = Str(args, "text") ?? "", ["message"] = message };
    }

    private JsonObject OpenView(Team team, JsonObject args)
    {
        var trigger = Need(args, "trigger_id");
        var view = CheckView(args, "modal");
        if (_usedTriggers.Contains(trigger)) throw new SlackError("expired_trigger_id");
        if (!_triggers.TryGetValue(trigger, out var issued)) throw new SlackError("invalid_trigger_id");
        if (_time.GetUtcNow() - issued > TriggerLifetime) throw new SlackError("expired_trigger_id");
        _triggers.Remove(trigger);
        _usedTriggers.Add(trigger);
        var stored = StoreView(team, NextId("V"), view);
        _views[Str(stored, "id")!] = stored;
        return new JsonObject { ["view"] = stored.DeepClone() };
    }

    private JsonObject UpdateView(Team team, JsonObject args)
    {
        var view = CheckView(args, "modal");
        var id = Str(args, "view_id");
        if (id is null && Str(args, "external_id") is { } external)
            id = _views.Values.Where(v => Str(v, "external_id") == external).Select(v => Str(v, "id")).FirstOrDefault() ?? throw new SlackError("not_found");
        if (id is null) throw new SlackError("invalid_arguments");
        if (!_views.TryGetValue(id, out var current)) throw new SlackError("not_found");
        if (Str(args, "hash") is { } hash && hash != Str(current, "hash")) throw new SlackError("hash_conflict");
        var stored = StoreView(team, id, view);
        _views[id] = stored;
        return new JsonObject { ["view"] = stored.DeepClone() };
    }

    private JsonObject PublishHome(Team team, JsonObject args)
    {
        var user = Need(args, "user_id");
        var view = CheckView(args, "home");
        var id = _homes.TryGetValue(user, out var current) ? Str(current, "id")! : NextId("V");
        if (current is not null && Str(args, "hash") is { } hash && hash != Str(current, "hash")) throw new SlackError("hash_conflict");
        var stored = StoreView(team, id, view);
        _homes[user] = stored;
        return new JsonObject { ["view"] = stored.DeepClone() };
    }

    private JsonObject OpenConversation(Team team, JsonObject args)
    {
        var users = Str(args, "users");
        if (string.IsNullOrEmpty(users))
            return Str(args, "channel") is { } existing ? new JsonObject { ["channel"] = new JsonObject { ["id"] = existing } } : throw new SlackError("invalid_arguments");
        var ids = users.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (var id in ids)
            if (id != team.BotUserId && !_users.ContainsKey((team.TeamId, id))) throw new SlackError("user_not_found");
        var key = (team.TeamId, string.Join(',', ids.Order(StringComparer.Ordinal)));
        if (!_dms.TryGetValue(key, out var channel))
        {
            _dms[key] = channel = NextId(ids.Length == 1 ? "D" : "G");
            _channelTeams[channel] = team.TeamId;
        }
        return new JsonObject { ["channel"] = new JsonObject { ["id"] = channel } };
    }

    /// <summary>
    /// conversations.history: the channel's messages newest first, after <c>oldest</c>, at most <c>limit</c>
    /// (default 100); apps' metadata only with <c>include_all_metadata=true</c>. Ephemeral messages are not history.
    /// </summary>
    private JsonObject History(Team team, JsonObject args)
    {
        var channel = Channel(team, args);
        var oldest = Str(args, "oldest") is { } o ? decimal.Parse(o, CultureInfo.InvariantCulture) : 0m;
        var limit = Str(args, "limit") is { } l ? int.Parse(l, CultureInfo.InvariantCulture) : 100;
        if (limit is < 1 or > 999) throw new SlackError("invalid_limit");
        var withMetadata = Str(args, "include_all_metadata") is "true" or "1";
        var messages = new JsonArray();
        // Posted messages and file shares (a file share is a message with files[]), newest first.
        var all = _messages.Where(m => m.Channel == channel && m.Message["ephemeral"] is null)
            .Select(m => (Ts: Str(m.Message, "ts")!, Stored: (JsonObject?)m.Message, Share: (SharedFile?)null))
            .Concat(_shares.Where(f => f.Channel == channel).Select(f => (f.Ts, Stored: (JsonObject?)null, Share: (SharedFile?)f)))
            .OrderByDescending(m => decimal.Parse(m.Ts, CultureInfo.InvariantCulture));
        foreach (var (ts, stored, share) in all)
        {
            if (decimal.Parse(ts, CultureInfo.InvariantCulture) <= oldest) break;
            var message = new JsonObject { ["type"] = "message", ["user"] = team.BotUserId, ["text"] = "", ["ts"] = ts };
            if (stored is not null)
            {
                message["user"] = Str(stored, "user");
                message["text"] = Str(stored, "text") ?? "";
                if (withMetadata && stored["metadata"] is JsonObject metadata) message["metadata"] = metadata.DeepClone();
            }
            else
            {
                message["subtype"] = "file_share";
                message["files"] = new JsonArray(new JsonObject { ["id"] = share!.FileId, ["name"] = share.FileName, ["title"] = share.Title });
            }
            messages.Add(message);
            if (messages.Count == limit) break;
        }
        return new JsonObject { ["messages"] = messages, ["has_more"] = false };
    }

    /// <summary>chat.postMessage <c>metadata</c>: an object with a snake_case <c>event_type</c> and an object <c>event_payload</c>.</summary>
    private static void CheckMetadata(JsonObject args)
    {
        if (args["metadata"] is null) return;
        if (args["metadata"] is not JsonObject metadata) throw new SlackError("invalid_metadata_format");
        if (Str(metadata, "event_type") is not { Length: > 0 } type || !type.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_')
            || metadata["event_payload"] is not JsonObject)
            throw new SlackError("invalid_metadata_schema");
    }

    private JsonObject UserInfo(Team team, JsonObject args)
    {
        var id = Need(args, "user");
        if (id == team.BotUserId)
            return new JsonObject { ["user"] = UserJson(team, id, "coordbot", "America/Los_Angeles", isAdmin: false, isBot: true) };
        if (!_users.TryGetValue((team.TeamId, id), out var user)) throw new SlackError("user_not_found");
        return new JsonObject { ["user"] = UserJson(team, id, user.Name, user.TimeZone, user.IsAdmin, isBot: false) };
    }

    private JsonObject UserJson(Team team, string id, string name, string timeZone, bool isAdmin, bool isBot)
    {
        var offset = TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out var zone) ? zone.GetUtcOffset(_time.GetUtcNow()) : TimeSpan.Zero;
        return new JsonObject
        {
            ["id"] = id,
            ["team_id"] = team.TeamId,
            ["name"] = name.ToLowerInvariant().Replace(' ', '.'),
            ["deleted"] = false,
            ["real_name"] = name,
            ["tz"] = timeZone,
            ["tz_label"] = zone?.StandardName ?? timeZone,
            ["tz_offset"] = (int)offset.TotalSeconds,
            ["is_admin"] = isAdmin,
            ["is_owner"] = false,
            ["is_bot"] = isBot,
            ["profile"] = new JsonObject { ["real_name"] = name, ["display_name"] = name },
        };
    }

    private JsonObject GetUploadUrl(Team team, JsonObject args)
    {
        var fileName = Need(args, "filename");
        if (!long.TryParse(Str(args, "length") ?? args["length"]?.ToJsonString(), NumberStyles.None, CultureInfo.InvariantCulture, out var length) || length <= 0)
            throw new SlackError("invalid_arguments");
        var alt = Str(args, "alt_txt");
        if (alt is { Length: > 1000 }) throw new SlackError("alt_txt_too_large");
        var id = NextId("F");
        _uploads[id] = new PendingFile(fileName, length, null, team.TeamId, alt);
        return new JsonObject { ["upload_url"] = new Uri(_root, $"upload/{id}").ToString(), ["file_id"] = id };
    }

    private JsonObject CompleteUpload(Team team, JsonObject args)
    {
        if (args["files"] is not JsonArray { Count: > 0 } files) throw new SlackError("invalid_arguments");
        var channel = Str(args, "channel_id") is null ? null : Channel(team, args, "channel_id", posting: true);
        var done = new JsonArray();
        foreach (var file in files)
        {
            var id = file is JsonObject o ? Str(o, "id") : null;
            if (id is null) throw new SlackError("invalid_arguments");
            // An unknown id, another team's, or one whose bytes never arrived. A file completed already is shared again:
            // Slack's documentation does not say what a second completion does, and that is the answer a test must survive.
            if (!(_uploads.TryGetValue(id, out var pending) || _completed.TryGetValue(id, out pending)) || pending.Content is null || pending.TeamId != team.TeamId)
                throw new SlackError("file_not_found");
            if (pending.Content.Length != pending.Length) throw new SlackError("invalid_arguments"); // declared length must be the byte count
            _uploads.Remove(id);
            _completed[id] = pending;
            var title = Str((JsonObject)file!, "title") ?? pending.FileName;
            _files.Add((channel ?? "", pending.FileName, Encoding.UTF8.GetString(pending.Content)));
            _shares.Add(new SharedFile(channel ?? "", id, pending.FileName, title, pending.AltText, pending.Content, NextTs()));
            done.Add(new JsonObject { ["id"] = id, ["title"] = title, ["name"] = pending.FileName });
        }
        return new JsonObject { ["files"] = done };
    }

    private JsonObject OAuthAccess((string Id, string Secret)? basic, JsonObject args)
    {
        var (clientId, secret) = basic ?? (Str(args, "client_id") ?? "", Str(args, "client_secret") ?? "");
        if (clientId != ClientId) throw new SlackError("invalid_client_id");
        if (secret != ClientSecret) throw new SlackError("bad_client_secret");
        var code = Need(args, "code");
        if (!_codes.Remove(code, out var grant)) throw new SlackError("invalid_code");
        if (RedirectUri is not null && Str(args, "redirect_uri") != RedirectUri) throw new SlackError("bad_redirect_uri");

        var installedId = grant.EnterpriseInstall && grant.EnterpriseId is not null ? grant.EnterpriseId : grant.TeamId;
        _teams[grant.BotToken] = new Team(installedId, grant.TeamName, grant.BotToken, grant.EnterpriseId, "UBOT", "BBOT");
        return new JsonObject
        {
            ["app_id"] = AppId,
            ["authed_user"] = new JsonObject { ["id"] = grant.AuthedUserId },
            ["scope"] = string.Join(',', CoordBot.Slack.SlackScopes.Bot),
            ["token_type"] = "bot",
            ["access_token"] = grant.BotToken,
            ["bot_user_id"] = "UBOT",
            ["team"] = grant.EnterpriseInstall ? null : new JsonObject { ["id"] = grant.TeamId, ["name"] = grant.TeamName },
            ["enterprise"] = grant.EnterpriseId is null ? null : new JsonObject { ["id"] = grant.EnterpriseId, ["name"] = grant.TeamName },
            ["is_enterprise_install"] = grant.EnterpriseInstall,
        };
    }

    // ---- validation and helpers ----

    private static void CheckMessage(JsonObject args)
    {
        var blocks = args["blocks"];
        if (Str(args, "text") is null && blocks is null && args["attachments"] is null) throw new SlackError("invalid_arguments");
        if (blocks is null) return;
        if (blocks is not JsonArray array || array.Count > MaxMessageBlocks || array.Any(b => b is not JsonObject o || Str(o, "type") is null))
            throw new SlackError("invalid_blocks");
    }

    private static JsonObject CheckView(JsonObject args, string type)
    {
        if (args["view"] is not JsonObject view) throw new SlackError("invalid_arguments");
        if (Str(view, "type") != type) throw new SlackError("invalid_arguments");
        if (view["blocks"] is not JsonArray blocks || blocks.Count > MaxViewBlocks || blocks.Any(b => b is not JsonObject o || Str(o, "type") is null))
            throw new SlackError("invalid_arguments");
        if (type == "modal")
        {
            var title = view["title"] is JsonObject t ? Str(t, "text") : null;
            if (string.IsNullOrEmpty(title) || title.Length > MaxTitleLength) throw new SlackError("invalid_arguments");
        }
        return view;
    }

    private JsonObject StoreView(Team team, string id, JsonObject view)
    {
        var stored = view.DeepClone().AsObject();
        stored["id"] = id;
        stored["team_id"] = team.TeamId;
        stored["app_id"] = AppId;
        stored["bot_id"] = team.BotId;
        stored["hash"] = $"{_startSeconds}.{NextId("")}";
        stored["state"] = new JsonObject { ["values"] = new JsonObject() };
        stored["root_view_id"] = id;
        return stored;
    }

    /// <summary>
    /// The channel a call names, checked as Slack does: another team's channel is not found (ids are global, a bot
    /// sees its own workspace's), and posting needs the bot in the channel. A user id is the user's DM with the bot.
    /// An id nobody has used yet becomes this team's (tests name channels freely).
    /// </summary>
    private string Channel(Team team, JsonObject args, string name = "channel", bool posting = false)
    {
        var channel = Need(args, name);
        if (channel.StartsWith('U') || channel.StartsWith('W'))
            return _users.ContainsKey((team.TeamId, channel)) ? channel : Refuse("channel_not_found");
        if (!_channelTeams.TryGetValue(channel, out var owner)) _channelTeams[channel] = owner = team.TeamId;
        if (owner != team.TeamId) return Refuse("channel_not_found");
        if (posting && _channelsWithoutBot.Contains(channel)) return Refuse("not_in_channel");
        return channel;
    }

    private string Refuse(string error)
    {
        _refusedChannels[error] = _refusedChannels.GetValueOrDefault(error) + 1;
        throw new SlackError(error);
    }

    private static string Need(JsonObject args, string name) =>
        Str(args, name) is { Length: > 0 } value ? value : throw new SlackError("invalid_arguments");

    private static string? Str(JsonObject o, string name) =>
        o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static JsonObject Without(JsonObject args, params string[] names)
    {
        var copy = args.DeepClone().AsObject();
        foreach (var name in names) copy.Remove(name);
        return copy;
    }

    private string NextTs()
    {
        var n = Interlocked.Increment(ref _sequence);
        // Seconds from the clock (as Slack's are), never going back; the sequence keeps every ts unique and ordered.
        _lastTsSeconds = Math.Max(_lastTsSeconds, _time.GetUtcNow().ToUnixTimeSeconds());
        return $"{_lastTsSeconds}.{n % 1_000_000:D6}";
    }

    private string NextId(string prefix) => $"{prefix}0{Interlocked.Increment(ref _sequence):D8}";

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed record Team(string TeamId, string Name, string BotToken, string? EnterpriseId, string BotUserId, string BotId);
    private sealed record User(string Id, string Name, string TimeZone, bool IsAdmin);
    private sealed record OAuthGrant(string TeamId, string TeamName, string BotToken, string? EnterpriseId, bool EnterpriseInstall, string AuthedUserId);
    private sealed record ResponseHook(DateTimeOffset IssuedAt, int Uses = 0);
    private sealed record PendingFile(string FileName, long Length, byte[]? Content, string? TeamId = null, string? AltText = null, int UploadCount = 0);
    private sealed record Fault(int Status, string? Error, int? RetryAfter);
    private sealed record Waiter<T>(Func<T, bool> Match, TaskCompletionSource<T> Done);
    private sealed class SlackError(string error) : Exception(error)
    {
        public string Error { get; } = error;
    }
}

internal static class JsonObjectMerge
{
    /// <summary>Appends the properties of <paramref name="more"/> (moved, not copied) to <paramref name="first"/>.</summary>
    public static JsonObject Merge(this JsonObject first, JsonObject more)
    {
        foreach (var key in more.Select(p => p.Key).ToList())
        {
            var value = more[key];
            more.Remove(key);
            first[key] = value;
        }
        return first;
    }
}

/// <summary>A file shared by files.completeUploadExternal: where, under which id, name and title, its alt text and bytes, and its message's ts.</summary>
public sealed record SharedFile(string Channel, string FileId, string FileName, string Title, string? AltText, byte[] Bytes, string Ts);
