using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;

namespace CoordBot.Tests.Support;

/// <summary>
/// Transcript-style helper over the local channel's HTTP API:
/// <c>await alice.Says("ally add \"Jane Doe\"").Expect("Added Jane Doe (A1)")</c>.
/// </summary>
public sealed class ChatUser(HttpClient http, string name)
{
    public string Name => name;

    public Task<BotReply> Says(string text) => Post(new { user = name, text });

    /// <summary>A command with files attached, as the chat page sends them (base64 in <c>files</c>).</summary>
    public Task<BotReply> Sends(string text, params (string Name, byte[] Content)[] files) =>
        Post(new { user = name, text, files = files.Select(f => new { name = f.Name, content = Convert.ToBase64String(f.Content) }) });

    /// <summary>Presses a button of a reply (by its label).</summary>
    public Task<BotReply> Presses(BotReply reply, string label)
    {
        var action = reply.Button(label);
        return Post(new { user = name, value = new { command = action.GetProperty("command").GetString(), args = Args(action) } });
    }

    /// <summary>Submits a form with the given field values.</summary>
    public Task<BotReply> Submits(string command, Dictionary<string, string> fields) =>
        Post(new { user = name, value = new { command, args = fields } });

    private static Dictionary<string, string> Args(JsonElement action) =>
        action.TryGetProperty("args", out var args) ? args.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!) : [];

    private async Task<BotReply> Post(object body)
    {
        using var response = await http.PostAsJsonAsync("/local/messages", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST /local/messages answered {(int)response.StatusCode}: {text}");
        var replies = JsonDocument.Parse(text).RootElement.GetProperty("replies");
        Assert.Equal(1, replies.GetArrayLength());
        return new BotReply(replies[0].Clone());
    }
}

/// <summary>One reply as the local API returns it: text, the neutral card, its plain and HTML renderings.</summary>
public sealed class BotReply(JsonElement json)
{
    public JsonElement Json => json;
    public string Text => json.GetProperty("text").GetString()!;
    public string Plain => json.GetProperty("plain").GetString()!;
    public string Html => json.GetProperty("html").GetString()!;
    public JsonElement Card => json.GetProperty("card");
    public bool IsError => Card.TryGetProperty("isError", out var e) && e.GetBoolean();
    public bool Ephemeral => Card.TryGetProperty("ephemeral", out var e) && e.GetBoolean();

    public IEnumerable<JsonElement> Blocks(string type) =>
        Card.GetProperty("blocks").EnumerateArray().Where(b => b.GetProperty("type").GetString() == type);

    public IReadOnlyList<string> ButtonLabels =>
        Blocks("actions").SelectMany(a => a.GetProperty("buttons").EnumerateArray()).Select(b => b.GetProperty("label").GetString()!).ToList();

    public JsonElement Button(string label) =>
        Blocks("actions").SelectMany(a => a.GetProperty("buttons").EnumerateArray())
            .FirstOrDefault(b => b.GetProperty("label").GetString() == label) is { ValueKind: JsonValueKind.Object } b
            ? b.GetProperty("action")
            : throw new Xunit.Sdk.XunitException($"No button \"{label}\" in: {Plain}");

    public IReadOnlyList<string> ListTitles =>
        Blocks("list").SelectMany(l => l.GetProperty("items").EnumerateArray()).Select(i => i.GetProperty("title").GetString()!).ToList();

    public override string ToString() => Plain;
}

public static class ReplyAssertions
{
    /// <summary>The reply's plain text contains every fragment, and it is not an error.</summary>
    public static async Task<BotReply> Expect(this Task<BotReply> pending, params string[] fragments)
    {
        var reply = await pending;
        Assert.False(reply.IsError, $"Expected a normal reply but got an error: {reply.Plain}");
        foreach (var fragment in fragments) Assert.True(reply.Plain.Contains(fragment), $"Expected \"{fragment}\" in:\n{reply.Plain}");
        return reply;
    }

    /// <summary>The reply is an error whose plain text contains every fragment.</summary>
    public static async Task<BotReply> ExpectError(this Task<BotReply> pending, params string[] fragments)
    {
        var reply = await pending;
        Assert.True(reply.IsError, $"Expected an error reply but got: {reply.Plain}");
        foreach (var fragment in fragments) Assert.True(reply.Plain.Contains(fragment), $"Expected \"{fragment}\" in:\n{reply.Plain}");
        return reply;
    }
}
