using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CoordBot.Chat;
using CoordBot.Slack;
using CoordBot.Slack.Api;
using Microsoft.AspNetCore.WebUtilities;

namespace CoordBot.Host.Slack;

/// <summary>
/// Slack's HTTP endpoints (docs/security.md#slack): verify the signature on the raw body, translate, hand to
/// <see cref="ISlackInbound"/>, answer. Nothing is read or changed before the signature checks out.
/// </summary>
public static class SlackEndpoints
{
    private const string StateCookie = "coordbot_slack_oauth_state";

    public static void MapSlack(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<SlackOptions>();
        if (!string.IsNullOrEmpty(options.SigningSecret))
        {
            app.MapPost("/slack/commands", CommandsAsync);
            app.MapPost("/slack/interactivity", InteractivityAsync);
            app.MapPost("/slack/events", EventsAsync);
        }
        if (!string.IsNullOrEmpty(options.ClientId) && !string.IsNullOrEmpty(options.ClientSecret))
        {
            app.MapGet("/slack/install", Install);
            app.MapGet("/slack/oauth/callback", CallbackAsync);
        }
    }

    private static async Task<IResult> CommandsAsync(HttpRequest request, ISlackInbound inbound, SlackOptions options, TimeProvider time, CancellationToken ct)
    {
        var (body, refusal) = await VerifiedBodyAsync(request, options, time, ct);
        if (refusal is not null) return refusal;
        var fields = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body)).ToDictionary(kv => kv.Key, kv => kv.Value.ToString());
        if (!fields.ContainsKey("command")) return Bad("The slash command has no command field.");
        return Answer(await inbound.CommandAsync(fields, ct));
    }

    private static async Task<IResult> InteractivityAsync(HttpRequest request, ISlackInbound inbound, SlackOptions options, TimeProvider time, CancellationToken ct)
    {
        var (body, refusal) = await VerifiedBodyAsync(request, options, time, ct);
        if (refusal is not null) return refusal;
        var form = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body));
        if (!form.TryGetValue("payload", out var payload) || payload.Count != 1) return Bad("The interaction has no payload field.");
        if (Parse(payload.ToString()) is not { } json) return Bad("The interaction payload is not a JSON object.");
        using (json) return Answer(await inbound.InteractionAsync(json.RootElement, ct));
    }

    private static async Task<IResult> EventsAsync(HttpRequest request, ISlackInbound inbound, SlackOptions options, TimeProvider time, CancellationToken ct)
    {
        var (body, refusal) = await VerifiedBodyAsync(request, options, time, ct);
        if (refusal is not null) return refusal;
        if (Parse(Encoding.UTF8.GetString(body)) is not { } json) return Bad("The event body is not a JSON object.");
        int? retry = int.TryParse(request.Headers["X-Slack-Retry-Num"], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;
        using (json) return Answer(await inbound.EventAsync(json.RootElement, retry, ct));
    }

    /// <summary>Reads the raw body (413 over 1 MB) and checks Slack's signature on exactly those bytes (401 if wrong).</summary>
    private static async Task<(byte[] Body, IResult? Refusal)> VerifiedBodyAsync(HttpRequest request, SlackOptions options, TimeProvider time, CancellationToken ct)
    {
        var read = await RequestBody.ReadAsync(request, HostSetup.MaxBodyBytes, ct, allowEmpty: true);
        if (read.Error is not null) return ([], read.Error);
        var problem = SlackSignature.Check(options.SigningSecret!, request.Headers["X-Slack-Request-Timestamp"], request.Headers["X-Slack-Signature"], read.Bytes, time.GetUtcNow());
        if (problem is not null)
            return ([], Results.Json(new { error = $"Slack signature refused: {problem}." }, statusCode: StatusCodes.Status401Unauthorized));
        return read.Bytes.Length == 0 ? ([], Bad("The request body is empty.")) : (read.Bytes, null);
    }

    private static JsonDocument? Parse(string text)
    {
        try
        {
            var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
            if (document.RootElement.ValueKind == JsonValueKind.Object) return document;
            document.Dispose();
            return null;
        }
        catch (JsonException) { return null; }
    }

    private static IResult Answer(SlackAck ack) => ack.Body is null ? Results.StatusCode(ack.Status) : new JsonAnswer(ack.Body, ack.Status);

    /// <summary>
    /// A JSON body written as UTF-8 straight from the node (the bytes <c>ToJsonString</c> would give, without the string
    /// and its re-encoding), with its Content-Length.
    /// </summary>
    private sealed class JsonAnswer(JsonNode body, int status) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            using var buffer = new PooledBuffer();
            using (var writer = new Utf8JsonWriter(buffer)) body.WriteTo(writer);
            var response = context.Response;
            response.StatusCode = status;
            response.ContentType = "application/json; charset=utf-8";
            response.ContentLength = buffer.Written.Length;
            await response.Body.WriteAsync(buffer.Written, context.RequestAborted);
        }
    }

    /// <summary>An <see cref="IBufferWriter{T}"/> over arrays rented from the shared pool, returned on dispose.</summary>
    private sealed class PooledBuffer : IBufferWriter<byte>, IDisposable
    {
        private byte[] _array = ArrayPool<byte>.Shared.Rent(4096);
        private int _count;

        public ReadOnlyMemory<byte> Written => _array.AsMemory(0, _count);

        public void Advance(int count) => _count += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => Ensure(sizeHint).AsMemory(_count);

        public Span<byte> GetSpan(int sizeHint = 0) => Ensure(sizeHint).AsSpan(_count);

        private byte[] Ensure(int sizeHint)
        {
            if (_array.Length - _count >= Math.Max(sizeHint, 1)) return _array;
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_array.Length * 2, _count + sizeHint));
            _array.AsSpan(0, _count).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_array);
            return _array = larger;
        }

        public void Dispose() => ArrayPool<byte>.Shared.Return(_array);
    }

    private static IResult Bad(string reason) => Results.Json(new { error = reason }, statusCode: StatusCodes.Status400BadRequest);

    /// <summary><c>GET /slack/install</c>: binds a random state to this browser in a cookie, then sends it to Slack.</summary>
    private static IResult Install(HttpContext context, SlackOptions options, BotOptions bot)
    {
        if (RedirectUri(bot) is not { } redirectUri) return NoPublicBase();
        var state = Base64UrlTextEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        context.Response.Cookies.Append(StateCookie, state, new CookieOptions
        {
            HttpOnly = true, Secure = bot.IsHttps, SameSite = SameSiteMode.Lax, MaxAge = TimeSpan.FromMinutes(10), Path = "/slack/oauth",
        });
        var url = QueryHelpers.AddQueryString(options.AuthorizeUrl, new Dictionary<string, string?>
        {
            ["client_id"] = options.ClientId,
            ["scope"] = string.Join(',', SlackScopes.Bot),
            ["redirect_uri"] = redirectUri,
            ["state"] = state,
        });
        return Results.Redirect(url);
    }

    /// <summary><c>GET /slack/oauth/callback</c>: checks the state against the cookie, exchanges the code, stores the encrypted token.</summary>
    private static async Task<IResult> CallbackAsync(HttpContext context, SlackOptions options, BotOptions bot, SlackApiClient api,
        SlackInstallations installations, ILogger<SlackInstallations> logger, CancellationToken ct)
    {
        if (RedirectUri(bot) is not { } redirectUri) return NoPublicBase();
        var query = context.Request.Query;
        if (query["error"].ToString() is { Length: > 0 } denied)
            return Page(400, "CoordBot was not installed", $"Slack said: {denied}. You can start again from the install link.");
        var state = query["state"].ToString();
        var cookie = context.Request.Cookies[StateCookie];
        context.Response.Cookies.Delete(StateCookie, new CookieOptions { Path = "/slack/oauth" });
        if (string.IsNullOrEmpty(state) || string.IsNullOrEmpty(cookie) ||
            !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(state), Encoding.UTF8.GetBytes(cookie)))
            return Page(400, "Install link expired", "This install did not start in this browser, or took longer than 10 minutes. Start again from /slack/install.");
        if (query["code"].ToString() is not { Length: > 0 } code)
            return Page(400, "CoordBot was not installed", "Slack sent no code. Start again from /slack/install.");

        JsonElement result;
        try { result = await api.OAuthAccessAsync(options.ClientId!, options.ClientSecret!, code, redirectUri); }
        catch (SlackApiException e)
        {
            logger.LogWarning("Slack install failed: {Error}", e.Error);
            return Page(400, "CoordBot was not installed", $"Slack refused the install ({e.Error}). Start again from /slack/install.");
        }
        string? Get(params string[] path) => JsonRead.Str(result, path);
        var enterpriseInstall = result.TryGetProperty("is_enterprise_install", out var e1) && e1.ValueKind == JsonValueKind.True;
        var team = Get("team", "id");
        var enterprise = Get("enterprise", "id");
        if (Get("access_token") is not { } token || (team is null && enterprise is null))
            return Page(502, "CoordBot was not installed", "Slack's answer had no bot token. Start again from /slack/install.");
        var workspace = SlackInstallations.WorkspaceOf(team, enterprise, enterpriseInstall);
        await installations.SaveAsync(new SlackInstallation(workspace, team, enterprise, enterpriseInstall, Get("team", "name") ?? Get("enterprise", "name"),
            Get("app_id"), Get("bot_user_id"), token, Get("scope"), Get("authed_user", "id")), ct);
        logger.LogInformation("CoordBot installed in Slack workspace {Workspace}", workspace);
        return Page(200, "CoordBot is installed", $"CoordBot is now in {Get("team", "name") ?? Get("enterprise", "name") ?? workspace}. Type /coord help in any channel.");
    }

    /// <summary>Built only from Bot:PublicBaseUrl, never from the request's Host header (which a caller can forge).</summary>
    private static string? RedirectUri(BotOptions bot) => bot.PublicBase is { } publicBase ? publicBase + "/slack/oauth/callback" : null;

    private static IResult NoPublicBase() => Page(503, "Slack install is not set up",
        "This server has no public address (Bot:PublicBaseUrl), which Slack's install needs for its redirect. Ask the operator to set it.");

    private static IResult Page(int status, string title, string text) => Results.Content(
        $"<!doctype html><meta charset=utf-8><title>{System.Net.WebUtility.HtmlEncode(title)}</title><h1>{System.Net.WebUtility.HtmlEncode(title)}</h1><p>{System.Net.WebUtility.HtmlEncode(text)}</p>",
        "text/html; charset=utf-8", statusCode: status);
}
