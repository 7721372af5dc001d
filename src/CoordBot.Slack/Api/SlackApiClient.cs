using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace CoordBot.Slack.Api;

/// <summary>
/// The Slack Web API over <see cref="HttpClient"/>: every method is a form-encoded POST to
/// <c>{ApiBaseUrl}{method}</c> with a Bearer token (nested args JSON-stringified, as node-slack-sdk
/// does, because some read methods refuse JSON bodies). Calls are paced by a
/// <see cref="SlackRateLimiter"/>; HTTP 429 is waited out when its <c>Retry-After</c> is short,
/// 5xx/timeouts/network errors are retried twice; <c>ok:false</c> becomes a
/// <see cref="SlackApiException"/>. Tokens are never logged nor put into exception messages.
/// </summary>
public sealed class SlackApiClient
{
    private const string HooksHost = "hooks.slack.com";
    private static readonly TimeSpan DmCacheFor = TimeSpan.FromHours(1);
    private static readonly string[] ResponseOnlyKeys = ["response_type", "replace_original", "delete_original"];

    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger<SlackApiClient> _logger;
    private readonly SlackRateLimiter _limiter;
    private readonly Uri _apiBase;
    private readonly ConcurrentDictionary<(string Token, string User), (string Channel, DateTimeOffset Until)> _dms = new();

    public SlackApiClient(HttpClient http, SlackOptions options, TimeProvider time, ILogger<SlackApiClient> logger, SlackRateLimiter? limiter = null)
    {
        _http = http;
        _time = time;
        _logger = logger;
        _limiter = limiter ?? new SlackRateLimiter(time);
        var baseUrl = options.ApiBaseUrl.EndsWith('/') ? options.ApiBaseUrl : options.ApiBaseUrl + "/";
        _apiBase = new Uri(baseUrl, UriKind.Absolute);
    }

    /// <summary>Calls any Web API method; returns the whole response (cloned) when Slack answers <c>ok:true</c>.</summary>
    public Task<JsonElement> CallAsync(string method, string? token, JsonObject args, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(method) || !method.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_'))
            throw new ArgumentException("Not a Slack Web API method name.", nameof(method));
        var channel = SlackRateLimiter.TierOf(method) == SlackTier.PostMessage ? args["channel"]?.ToString() : null;
        var form = FormFields(args);
        return CallCoreAsync(method, token, channel, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_apiBase, method)) { Content = new FormUrlEncodedContent(form) };
            if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return request;
        }, ct);
    }

    /// <summary>chat.postMessage; returns the new message's <c>ts</c>. Response-only keys (response_type, replace_original) are dropped.</summary>
    public async Task<string> PostMessageAsync(string token, string channel, JsonObject message, CancellationToken ct = default)
    {
        var response = await CallAsync("chat.postMessage", token, MessageArgs(message, channel, mrkdwn: true), ct);
        return Required(response, "chat.postMessage", "ts");
    }

    /// <summary>
    /// chat.postEphemeral: a message only <paramref name="user"/> sees, in <paramref name="channel"/>. The method takes
    /// no <c>mrkdwn</c> argument (https://docs.slack.dev/reference/methods/chat.postEphemeral), so it is left out.
    /// </summary>
    public async Task PostEphemeralAsync(string token, string channel, string user, JsonObject message, CancellationToken ct = default)
    {
        var args = MessageArgs(message, channel, mrkdwn: false);
        args["user"] = user;
        await CallAsync("chat.postEphemeral", token, args, ct);
    }

    /// <summary>chat.update: replaces the text and blocks of the message <paramref name="ts"/> (chat.update takes no <c>mrkdwn</c> either).</summary>
    public async Task UpdateMessageAsync(string token, string channel, string ts, JsonObject message, CancellationToken ct = default)
    {
        var args = MessageArgs(message, channel, mrkdwn: false);
        args["ts"] = ts;
        await CallAsync("chat.update", token, args, ct);
    }

    /// <summary>views.open with a trigger_id (valid 3 s, once); returns the view id.</summary>
    public async Task<string> OpenViewAsync(string token, string triggerId, JsonObject view, CancellationToken ct = default)
    {
        var response = await CallAsync("views.open", token, new JsonObject { ["trigger_id"] = triggerId, ["view"] = view.DeepClone() }, ct);
        return Required(response, "views.open", "view", "id");
    }

    /// <summary>views.update of an open modal by its id.</summary>
    public async Task UpdateViewAsync(string token, string viewId, JsonObject view, CancellationToken ct = default) =>
        await CallAsync("views.update", token, new JsonObject { ["view_id"] = viewId, ["view"] = view.DeepClone() }, ct);

    /// <summary>views.publish: the user's App Home tab.</summary>
    public async Task PublishHomeAsync(string token, string userId, JsonObject view, CancellationToken ct = default) =>
        await CallAsync("views.publish", token, new JsonObject { ["user_id"] = userId, ["view"] = view.DeepClone() }, ct);

    /// <summary>conversations.open with one user: the id of the bot's DM with them (remembered for an hour).</summary>
    public async Task<string> OpenDmAsync(string token, string userId, CancellationToken ct = default)
    {
        var key = (SlackRateLimiter.KeyOf(token), userId);
        var now = _time.GetUtcNow();
        if (_dms.TryGetValue(key, out var cached) && cached.Until > now) return cached.Channel;
        var response = await CallAsync("conversations.open", token, new JsonObject { ["users"] = userId }, ct);
        var channel = Required(response, "conversations.open", "channel", "id");
        _dms[key] = (channel, now + DmCacheFor);
        return channel;
    }

    /// <summary>
    /// conversations.history with <c>include_all_metadata</c>: the newest messages of a channel (at most
    /// <paramref name="limit"/>, none before <paramref name="oldest"/>), with the metadata apps attached to them.
    /// </summary>
    public async Task<IReadOnlyList<SlackMessageMetadata>> HistoryMetadataAsync(string token, string channel, DateTimeOffset oldest, int limit,
        CancellationToken ct = default)
    {
        var response = await CallAsync("conversations.history", token, new JsonObject
        {
            ["channel"] = channel,
            ["oldest"] = (oldest.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000000", CultureInfo.InvariantCulture),
            ["limit"] = limit,
            ["include_all_metadata"] = true,
        }, ct);
        if (!response.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            throw new SlackApiException("conversations.history", "invalid_response");
        var found = new List<SlackMessageMetadata>();
        foreach (var message in messages.EnumerateArray())
            if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
                && NonEmpty(metadata, "event_type") is { } type && metadata.TryGetProperty("event_payload", out var payload) && payload.ValueKind == JsonValueKind.Object)
                found.Add(new SlackMessageMetadata(NonEmpty(message, "ts"), type, payload.Clone()));
        return found;
    }

    /// <summary>users.info: display name, IANA time zone and admin flag of a user.</summary>
    public async Task<SlackUser> UserInfoAsync(string token, string userId, CancellationToken ct = default)
    {
        var response = await CallAsync("users.info", token, new JsonObject { ["user"] = userId }, ct);
        if (!response.TryGetProperty("user", out var user) || user.ValueKind != JsonValueKind.Object)
            throw new SlackApiException("users.info", "invalid_response");
        var profile = user.TryGetProperty("profile", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        var name = NonEmpty(profile, "display_name") ?? NonEmpty(user, "real_name") ?? NonEmpty(profile, "real_name") ?? NonEmpty(user, "name");
        return new SlackUser(
            NonEmpty(user, "id") ?? userId,
            name,
            NonEmpty(user, "tz"),
            Flag(user, "is_admin") || Flag(user, "is_owner"),
            Flag(user, "is_bot"));
    }

    /// <summary>auth.test: which workspace, Grid org and bot user a token belongs to.</summary>
    public async Task<SlackAuth> AuthTestAsync(string token, CancellationToken ct = default)
    {
        var response = await CallAsync("auth.test", token, [], ct);
        return new SlackAuth(
            Required(response, "auth.test", "team_id"),
            NonEmpty(response, "user_id"),
            NonEmpty(response, "bot_id"),
            NonEmpty(response, "enterprise_id"),
            NonEmpty(response, "url"));
    }

    /// <summary>
    /// Shares a text file in a channel the current way: files.getUploadURLExternal (name, byte
    /// length), a POST of the UTF-8 bytes to the returned URL, then files.completeUploadExternal.
    /// </summary>
    public async Task UploadFileAsync(string token, string channel, string fileName, string content, string? title, CancellationToken ct = default)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        var ticket = await GetUploadUrlAsync(token, fileName, bytes.Length, altText: null, ct);
        await UploadBytesAsync(ticket, bytes, "application/octet-stream", ct);
        await CompleteUploadAsync(token, channel, ticket.FileId, title ?? fileName, ct);
    }

    /// <summary>
    /// files.getUploadURLExternal (https://docs.slack.dev/reference/methods/files.getUploadURLExternal): a file id and a
    /// pre-signed URL to POST <paramref name="length"/> bytes to. The file is nowhere until it is completed.
    /// </summary>
    /// <param name="altText">The image's description for screen readers (<c>alt_txt</c>; Slack takes at most 1,000 characters).</param>
    public async Task<SlackUploadTicket> GetUploadUrlAsync(string token, string fileName, long length, string? altText, CancellationToken ct = default)
    {
        var args = new JsonObject { ["filename"] = fileName, ["length"] = length };
        if (!string.IsNullOrEmpty(altText)) args["alt_txt"] = altText;
        var ticket = await CallAsync("files.getUploadURLExternal", token, args, ct);
        var fileId = Required(ticket, "files.getUploadURLExternal", "file_id");
        if (!Uri.TryCreate(Required(ticket, "files.getUploadURLExternal", "upload_url"), UriKind.Absolute, out var uploadUrl)
            || !(uploadUrl.Scheme == Uri.UriSchemeHttps || SameOriginAsApi(uploadUrl)))
            throw new SlackApiException("files.getUploadURLExternal", "invalid_response");
        return new SlackUploadTicket(fileId, uploadUrl);
    }

    /// <summary>POSTs a file's bytes to its pre-signed upload URL (no token goes to it); Slack answers 200 when it has them.</summary>
    public async Task UploadBytesAsync(SlackUploadTicket ticket, byte[] bytes, string mediaType, CancellationToken ct = default) =>
        await SendAsync("upload_url", null, null, limited: false, () => new HttpRequestMessage(HttpMethod.Post, ticket.UploadUrl)
        {
            Content = new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue(mediaType) } },
        }, ct);

    /// <summary>files.completeUploadExternal (https://docs.slack.dev/reference/methods/files.completeUploadExternal): shares an uploaded file in <paramref name="channel"/>.</summary>
    public async Task CompleteUploadAsync(string token, string channel, string fileId, string title, CancellationToken ct = default)
    {
        var files = new JsonArray(new JsonObject { ["id"] = fileId, ["title"] = title });
        await CallAsync("files.completeUploadExternal", token, new JsonObject { ["files"] = files, ["channel_id"] = channel }, ct);
    }

    /// <summary>
    /// conversations.history: the ids of the files shared in the channel's newest messages (at most <paramref name="limit"/>
    /// messages, none before <paramref name="oldest"/>).
    /// </summary>
    public async Task<IReadOnlySet<string>> HistoryFileIdsAsync(string token, string channel, DateTimeOffset oldest, int limit, CancellationToken ct = default)
    {
        var response = await CallAsync("conversations.history", token, new JsonObject
        {
            ["channel"] = channel,
            ["oldest"] = (oldest.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000000", CultureInfo.InvariantCulture),
            ["limit"] = limit,
        }, ct);
        if (!response.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            throw new SlackApiException("conversations.history", "invalid_response");
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var message in messages.EnumerateArray())
            if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("files", out var files) && files.ValueKind == JsonValueKind.Array)
                foreach (var file in files.EnumerateArray())
                    if (NonEmpty(file, "id") is { } id) ids.Add(id);
        return ids;
    }

    /// <summary>
    /// POSTs a JSON message to a slash-command/interaction response_url. Only Slack's
    /// hooks.slack.com (or the configured API host, for tests) is trusted; the URL is a credential
    /// and is never logged.
    /// </summary>
    /// <exception cref="SlackApiException">Error <c>untrusted_response_url</c> (nothing sent), or what Slack answered.</exception>
    public async Task RespondAsync(string responseUrl, JsonObject message, CancellationToken ct = default)
    {
        if (!Uri.TryCreate(responseUrl, UriKind.Absolute, out var url) || !IsTrustedResponseUrl(url))
            throw new SlackApiException("response_url", "untrusted_response_url");
        var json = message.ToJsonString();
        var body = await SendAsync("response_url", null, null, limited: false, () => new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        }, ct);
        if (ErrorIn(body) is { } error) throw new SlackApiException("response_url", error);
    }

    /// <summary>
    /// Downloads a file a user shared with the bot (its <c>url_private_download</c>), with the bot token.
    /// Only from files.slack.com (or the configured API host, for tests), at most <paramref name="maxBytes"/>;
    /// Slack answers a request it will not serve with an HTML sign-in page, which is refused here.
    /// </summary>
    public async Task<string> DownloadFileAsync(string token, string url, long maxBytes, CancellationToken ct = default) =>
        Encoding.UTF8.GetString(await DownloadFileBytesAsync(token, url, maxBytes, ct));

    /// <summary>As <see cref="DownloadFileAsync"/>, the bytes as they are (a zip).</summary>
    public async Task<byte[]> DownloadFileBytesAsync(string token, string url, long maxBytes, CancellationToken ct = default)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) ||
            !((uri.Scheme == Uri.UriSchemeHttps && string.Equals(uri.Host, "files.slack.com", StringComparison.OrdinalIgnoreCase)) || SameOriginAsApi(uri)))
            throw new SlackApiException("file_download", "untrusted_file_url");
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri) { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) } };
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (!response.IsSuccessStatusCode) throw new SlackApiException("file_download", $"http_{(int)response.StatusCode}");
            if (response.Content.Headers.ContentType?.MediaType == "text/html") throw new SlackApiException("file_download", "not_authorized");
            if (response.Content.Headers.ContentLength > maxBytes) throw new SlackApiException("file_download", "file_too_large");
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            using var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(chunk, ct)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > maxBytes) throw new SlackApiException("file_download", "file_too_large");
            }
            return buffer.ToArray();
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            // A dropped connection or the client's own time limit: a download error, never an escaping exception.
            throw new SlackApiException("file_download", e is OperationCanceledException ? "timeout" : "network_error", e);
        }
    }

    /// <summary>oauth.v2.access: exchanges an install's code for the bot token (client credentials by HTTP Basic auth).</summary>
    public Task<JsonElement> OAuthAccessAsync(string clientId, string clientSecret, string code, string? redirectUri, CancellationToken ct = default)
    {
        var form = new List<KeyValuePair<string, string>> { new("code", code) };
        if (redirectUri is not null) form.Add(new("redirect_uri", redirectUri));
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{clientSecret}"));
        return CallCoreAsync("oauth.v2.access", clientId, null, () => new HttpRequestMessage(HttpMethod.Post, new Uri(_apiBase, "oauth.v2.access"))
        {
            Content = new FormUrlEncodedContent(form),
            Headers = { Authorization = new AuthenticationHeaderValue("Basic", basic) },
        }, ct);
    }

    /// <summary>apps.connections.open with the app-level token (xapp-…): a fresh Socket Mode WebSocket URL.</summary>
    public async Task<Uri> OpenSocketConnectionAsync(string appToken, CancellationToken ct = default)
    {
        var response = await CallAsync("apps.connections.open", appToken, [], ct);
        return Uri.TryCreate(Required(response, "apps.connections.open", "url"), UriKind.Absolute, out var url)
            ? url
            : throw new SlackApiException("apps.connections.open", "invalid_response");
    }

    // ---- transport ----

    private async Task<JsonElement> CallCoreAsync(string method, string? limitToken, string? channel, Func<HttpRequestMessage> build, CancellationToken ct)
    {
        var body = await SendAsync(method, limitToken, channel, limited: true, build, ct);
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(body);
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new SlackApiException(method, "invalid_response");
        }
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("ok", out var ok) || ok.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            throw new SlackApiException(method, "invalid_response");
        if (ok.ValueKind == JsonValueKind.False)
        {
            var error = NonEmpty(root, "error") ?? "unknown_error";
            var details = Details(root);
            if (details.Length > 0) _logger.LogWarning("Slack {Method} answered {Error}: {Details}", method, error, details);
            else _logger.LogDebug("Slack {Method} answered {Error}", method, error);
            throw new SlackApiException(method, error);
        }
        if (NonEmpty(root, "warning") is { } warning) _logger.LogDebug("Slack {Method} warned {Warning}", method, warning);
        return root;
    }

    /// <summary>
    /// Sends one request (rebuilt for every attempt) and returns the body of a 2xx answer, after
    /// waiting for the limiter, waiting out short 429s and retrying transient failures.
    /// </summary>
    private async Task<string> SendAsync(string method, string? limitToken, string? channel, bool limited, Func<HttpRequestMessage> build, CancellationToken ct)
    {
        var options = _limiter.Options;
        var rateLimitRetries = 0;
        var transientRetries = 0;
        while (true)
        {
            if (limited) await _limiter.AcquireAsync(method, limitToken, channel, ct);

            HttpResponseMessage response;
            try
            {
                using var request = build();
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            }
            catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                var error = e is HttpRequestException ? "network_error" : "timeout";
                if (transientRetries >= options.MaxTransientRetries) throw new SlackApiException(method, error, e);
                await BackOffAsync(method, error, ++transientRetries, ct);
                continue;
            }

            using (response)
            {
                var status = (int)response.StatusCode;
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    CoordBot.Telemetry.CoordBotTelemetry.TooManyRequests("slack");
                    var retryAfter = RetryAfter(response) ?? TimeSpan.FromSeconds(1);
                    if (limited) _limiter.Penalize(method, limitToken, channel, retryAfter);
                    if (retryAfter > options.MaxWait || rateLimitRetries >= options.MaxRateLimitRetries)
                    {
                        _logger.LogWarning("Slack {Method} is rate limited for {RetryAfter}; giving up after {Retries} retries", method, retryAfter, rateLimitRetries);
                        throw new SlackRateLimitedException(method, retryAfter, local: false);
                    }
                    rateLimitRetries++;
                    _logger.LogWarning("Slack {Method} answered 429; retrying after {RetryAfter} (retry {Retry} of {MaxRetries})",
                        method, retryAfter, rateLimitRetries, options.MaxRateLimitRetries);
                    if (!limited) await _limiter.DelayAsync(retryAfter, ct); // limited calls wait in AcquireAsync
                    continue;
                }
                if (status >= 500)
                {
                    var error = $"http_{status}";
                    if (transientRetries >= options.MaxTransientRetries) throw new SlackApiException(method, error);
                    await BackOffAsync(method, error, ++transientRetries, ct);
                    continue;
                }
                var body = await response.Content.ReadAsStringAsync(ct);
                if (!response.IsSuccessStatusCode) throw new SlackApiException(method, ErrorIn(body) ?? $"http_{status}");
                return body;
            }
        }
    }

    private Task BackOffAsync(string method, string error, int retry, CancellationToken ct)
    {
        var delay = _limiter.Options.TransientBackoff * Math.Pow(2, retry - 1);
        _logger.LogWarning("Slack {Method} failed with {Error}; retrying after {Delay} (retry {Retry} of {MaxRetries})",
            method, error, delay, retry, _limiter.Options.MaxTransientRetries);
        return _limiter.DelayAsync(delay, ct);
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - _time.GetUtcNow() is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero,
        _ => null,
    };

    private bool IsTrustedResponseUrl(Uri url) =>
        (url.Scheme == Uri.UriSchemeHttps && url.IsDefaultPort && string.Equals(url.Host, HooksHost, StringComparison.OrdinalIgnoreCase))
        || SameOriginAsApi(url);

    private bool SameOriginAsApi(Uri url) =>
        url.Scheme == _apiBase.Scheme && url.Port == _apiBase.Port && string.Equals(url.Host, _apiBase.Host, StringComparison.OrdinalIgnoreCase);

    // ---- payload helpers ----

    /// <summary>
    /// A copy of a message for <paramref name="channel"/> without the keys only a response_url understands,
    /// and without <c>mrkdwn</c> unless the method takes it (<paramref name="mrkdwn"/>).
    /// </summary>
    private static JsonObject MessageArgs(JsonObject message, string channel, bool mrkdwn)
    {
        var args = message.DeepClone().AsObject();
        foreach (var key in ResponseOnlyKeys) args.Remove(key);
        if (!mrkdwn) args.Remove("mrkdwn");
        args["channel"] = channel;
        return args;
    }

    /// <summary>Form fields: strings as they are, numbers and booleans as JSON literals, objects and arrays JSON-stringified.</summary>
    private static List<KeyValuePair<string, string>> FormFields(JsonObject args)
    {
        var form = new List<KeyValuePair<string, string>>(args.Count);
        foreach (var (name, value) in args)
        {
            if (value is null) continue;
            switch (value.GetValueKind())
            {
                case JsonValueKind.Null or JsonValueKind.Undefined: continue;
                case JsonValueKind.String: form.Add(new(name, value.GetValue<string>())); break;
                default: form.Add(new(name, value.ToJsonString())); break;
            }
        }
        return form;
    }

    /// <summary>The error of a JSON <c>{"ok":false,"error":…}</c> body, or a bare error word (response_url answers those as text).</summary>
    private static string? ErrorIn(string body)
    {
        var text = body.Trim();
        if (text.StartsWith('{'))
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                var root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.False)
                    return NonEmpty(root, "error") ?? "unknown_error";
            }
            catch (JsonException) { }
            return null;
        }
        return text.Length is > 0 and <= 64 && text.All(c => char.IsAsciiLetterLower(c) || c == '_') && text != "ok" ? text : null;
    }

    private static string[] Details(JsonElement root) =>
        root.TryGetProperty("response_metadata", out var meta) && meta.ValueKind == JsonValueKind.Object
            ? new[] { "messages", "warnings" }
                .Where(k => meta.TryGetProperty(k, out var a) && a.ValueKind == JsonValueKind.Array)
                .SelectMany(k => meta.GetProperty(k).EnumerateArray())
                .Where(m => m.ValueKind == JsonValueKind.String)
                .Select(m => m.GetString()!)
                .ToArray()
            : [];

    private static string Required(JsonElement root, string method, params string[] path)
    {
        var node = root;
        foreach (var name in path)
            if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(name, out node))
                throw new SlackApiException(method, "invalid_response");
        return node.ValueKind == JsonValueKind.String && node.GetString() is { Length: > 0 } value
            ? value
            : throw new SlackApiException(method, "invalid_response");
    }

    private static string? NonEmpty(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : null;

    private static bool Flag(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;
}
