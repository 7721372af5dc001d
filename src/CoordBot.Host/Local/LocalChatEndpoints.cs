using System.Globalization;
using System.Reflection;
using System.Text.Json;
using CoordBot.Chat;
using CoordBot.Host;

namespace CoordBot.Host.Local;

/// <summary>
/// The local channel (docs/security.md#the-local-channel): <c>POST /local/messages</c> runs a command as a local user,
/// <c>GET /local/messages</c> returns proactive messages, and <c>GET /</c> serves the chat page.
/// </summary>
public static class LocalChatEndpoints
{
    private const int MaxUserLength = 64;

    public static void MapLocalChat(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<LocalChannel>().Enabled)
        {
            app.MapGet("/", () => Results.Text("CoordBot is running. The local chat page is off (Local:Enabled=false).\n"));
            return;
        }
        app.MapGet("/", () => Asset("chat.html", "text/html; charset=utf-8"));
        app.MapGet("/local/chat.js", () => Asset("chat.js", "text/javascript; charset=utf-8"));
        app.MapGet("/local/chat.css", () => Asset("chat.css", "text/css; charset=utf-8"));
        app.MapPost("/local/messages", PostAsync);
        app.MapGet("/local/messages", GetAsync);
    }

    /// <summary><c>POST /local/messages</c> with <c>{"user", "text"}</c> or <c>{"user", "value": {"command", "args"}}</c>.</summary>
    private static async Task<IResult> PostAsync(HttpRequest request, CommandRouter router, CancellationToken ct)
    {
        var body = await RequestBody.ReadAsync(request, HostSetup.MaxLocalMessageBytes, ct);
        if (body.Error is { } error) return error;

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.Bytes, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            return Bad($"The body is not valid JSON: {e.Message.Split(" Path:")[0]}");
        }
        using (document)
        {
            var (input, problem) = ParseInput(document.RootElement);
            if (problem is not null) return Bad(problem);
            // Local channels are "#name", the form proactive messages to a channel are stored under.
            var channel = input!.Channel.StartsWith('#') ? input.Channel : "#" + input.Channel;
            var chat = new ChatRequest(LocalChannel.Platform, LocalChannel.Workspace, channel, input.User, input.Text, input.Action, UserName: input.User, Files: input.Files);
            var reply = await router.HandleAsync(chat, ct);
            using var span = CoordBot.Telemetry.CoordBotTelemetry.StartReply(LocalChannel.Platform);
            return Results.Json(new { replies = reply is null ? [] : new[] { LocalChannel.Render(reply) } }, ReplyJson.Options);
        }
    }

    /// <summary><c>GET /local/messages?user=alice[&amp;after=ID]</c>: proactive messages, oldest first.</summary>
    private static async Task<IResult> GetAsync(string? user, string? after, LocalMessageStore store, CancellationToken ct)
    {
        if (CheckUser(user) is { } problem) return Bad(problem);
        long afterId = 0;
        if (after is not null && (!long.TryParse(after, NumberStyles.Integer, CultureInfo.InvariantCulture, out afterId) || afterId < 0))
            return Bad("after must be a message id (a whole number).");
        var messages = await store.ForUserAsync(user!, afterId, ct);
        return Results.Json(new { replies = messages.Select(m => LocalChannel.Render(m.Reply, m.Id)) }, ReplyJson.Options);
    }

    private sealed record Input(string User, string? Text, ChatAction? Action, string Channel, IReadOnlyList<SharedFile> Files);

    private static readonly string[] Fields = ["user", "text", "value", "channel", "files"];

    /// <summary>At most this many files with one message, together at most 2 MB once decoded (as Slack's shared files).</summary>
    private const int MaxFiles = 10;
    private const long MaxFileBytes = 2 * 1024 * 1024;

    private static (Input? Input, string? Problem) ParseInput(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) return (null, "The body must be a JSON object like {\"user\": \"alice\", \"text\": \"ally list\"}.");
        string? user = null, text = null, channel = null;
        ChatAction? action = null;
        IReadOnlyList<SharedFile> files = [];
        foreach (var property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "user": if (!TryString(property, out user, out var e1)) return (null, e1); break;
                case "text": if (!TryString(property, out text, out var e2)) return (null, e2); break;
                case "channel": if (!TryString(property, out channel, out var e3)) return (null, e3); break;
                case "value":
                    var (parsed, e4) = ParseAction(property.Value);
                    if (e4 is not null) return (null, e4);
                    action = parsed;
                    break;
                case "files":
                    var (read, e5) = ParseFiles(property.Value);
                    if (e5 is not null) return (null, e5);
                    files = read!;
                    break;
                default:
                    return (null, $"Unknown field \"{Short(property.Name)}\". Accepted fields: {string.Join(", ", Fields)}.");
            }
        }
        if (CheckUser(user) is { } userProblem) return (null, userProblem);
        if (text is null && action is null) return (null, "Give \"text\" (a command) or \"value\" (a button or form submission).");
        if (text is not null && action is not null) return (null, "Give either \"text\" or \"value\", not both.");
        if (channel is not null && (channel.Length is 0 or > 80 || channel.Any(char.IsControl)))
            return (null, "channel must be 1 to 80 characters without control characters.");
        if (files.Count > 0 && text is null) return (null, "\"files\" go with a command in \"text\", e.g. ally import --format openstates.");
        return (new Input(user!, text, action, channel ?? LocalChannel.DefaultChannel, files), null);
    }

    /// <summary><c>"files": [{"name": "ak.zip", "content": "&lt;base64&gt;"}]</c>: the files sent with a command.</summary>
    private static (IReadOnlyList<SharedFile>? Files, string? Problem) ParseFiles(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array) return (null, "files must be a list like [{\"name\": \"ak.zip\", \"content\": \"<base64>\"}].");
        if (value.GetArrayLength() > MaxFiles) return (null, $"At most {MaxFiles} files with one message.");
        var files = new List<SharedFile>();
        long total = 0;
        foreach (var (item, i) in value.EnumerateArray().Select((item, i) => (item, i)))
        {
            string? name = null, content = null;
            if (item.ValueKind != JsonValueKind.Object) return (null, $"files[{i}] must be an object with name and content.");
            foreach (var property in item.EnumerateObject())
            {
                if (property.Name is not ("name" or "content")) return (null, $"files[{i}] has an unknown field \"{Short(property.Name)}\"; accepted: name, content.");
                if (property.Value.ValueKind != JsonValueKind.String) return (null, $"files[{i}].{property.Name} must be a string.");
                if (property.Name == "name") name = property.Value.GetString(); else content = property.Value.GetString();
            }
            if (name is null || name.Length is 0 or > 200 || name.Any(char.IsControl)) return (null, $"files[{i}].name must be 1 to 200 characters without control characters.");
            if (content is null) return (null, $"files[{i}].content is missing (the file's bytes as base64).");
            var bytes = new byte[content.Length / 4 * 3 + 3];
            if (!Convert.TryFromBase64String(content, bytes, out var length)) return (null, $"files[{i}].content is not base64.");
            total += length;
            if (total > MaxFileBytes) return (null, "The files come to more than 2 MB together.");
            files.Add(new SharedFile(name, bytes[..length]));
        }
        return (files, null);
    }

    private static (ChatAction? Action, string? Problem) ParseAction(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object) return (null, "value must be an object like {\"command\": \"ally add\", \"args\": {\"name\": \"Jane Doe\"}}.");
        string? command = null;
        var args = new Dictionary<string, string>();
        foreach (var property in value.EnumerateObject())
        {
            switch (property.Name)
            {
                case "command":
                    if (!TryString(property, out command, out var e)) return (null, "value." + e);
                    break;
                case "args":
                    if (property.Value.ValueKind != JsonValueKind.Object) return (null, "value.args must be an object of names to strings.");
                    foreach (var arg in property.Value.EnumerateObject())
                    {
                        if (arg.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False))
                            return (null, $"value.args.{Short(arg.Name)} must be a string.");
                        args[arg.Name] = arg.Value.ValueKind == JsonValueKind.String ? arg.Value.GetString()! : arg.Value.GetRawText();
                    }
                    break;
                default:
                    return (null, $"Unknown field \"value.{Short(property.Name)}\". Accepted: command, args.");
            }
        }
        if (string.IsNullOrWhiteSpace(command)) return (null, "value.command is required (the command the button or form runs).");
        return (new ChatAction(command, args), null);
    }

    private static bool TryString(JsonProperty property, out string? value, out string? problem)
    {
        value = null;
        problem = null;
        if (property.Value.ValueKind == JsonValueKind.Null) return true;
        if (property.Value.ValueKind != JsonValueKind.String)
        {
            problem = $"{property.Name} must be a string, not {property.Value.ValueKind.ToString().ToLowerInvariant()}.";
            return false;
        }
        value = property.Value.GetString();
        return true;
    }

    private static string? CheckUser(string? user) => user switch
    {
        null or "" => "user is required: the name of the local user sending the message.",
        { Length: > MaxUserLength } => $"user is too long (at most {MaxUserLength} characters).",
        _ when !UserRef.TryParse(user, out var id) || id != user => "user may contain only letters, digits, '.', '_' and '-'.",
        _ => null,
    };

    private static IResult Bad(string reason) => Results.Json(new { error = reason }, statusCode: StatusCodes.Status400BadRequest);

    private static string Short(string s) => s.Length <= 40 ? s : s[..40] + "…";

    private static IResult Asset(string name, string contentType)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"CoordBot.Host.Local.{name}")
            ?? throw new InvalidOperationException($"missing embedded asset {name}");
        using var reader = new StreamReader(stream);
        return Results.Text(reader.ReadToEnd(), contentType);
    }
}
