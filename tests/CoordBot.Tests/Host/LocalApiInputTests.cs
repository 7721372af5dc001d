using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Host;

/// <summary>Bad input to the local API: each gets a 4xx with a reason or a clear reply, and stores nothing wrong.</summary>
public sealed class LocalApiInputTests : HostTest
{

    private async Task<(HttpStatusCode Status, string Error)> PostRaw(string body, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/local/messages") { Content = new StringContent(body, Encoding.UTF8, contentType) };
        // As curl does for large bodies: the server can refuse (413) before the body is sent, instead of
        // resetting a connection the client is still writing to.
        request.Headers.ExpectContinue = true;
        using var response = await Host.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var error = text.Length > 0 && text.TrimStart().StartsWith('{') && JsonDocument.Parse(text).RootElement.TryGetProperty("error", out var e) ? e.GetString()! : text;
        return (response.StatusCode, error);
    }

    [Theory]
    [InlineData("{\"user\": \"alice\", \"text\": ", "The body is not valid JSON")]
    [InlineData("not json at all", "The body is not valid JSON")]
    [InlineData("[1, 2]", "The body must be a JSON object")]
    [InlineData("{\"user\": \"alice\", \"text\": \"ally list\", \"admin\": true}", "Unknown field \"admin\". Accepted fields: user, text, value, channel, files.")]
    [InlineData("{\"text\": \"ally list\"}", "user is required")]
    [InlineData("{\"user\": \"\", \"text\": \"ally list\"}", "user is required")]
    [InlineData("{\"user\": 42, \"text\": \"ally list\"}", "user must be a string, not number.")]
    [InlineData("{\"user\": \"al\\u0000ice\", \"text\": \"ally list\"}", "user may contain only letters")]
    [InlineData("{\"user\": \"alice smith\", \"text\": \"ally list\"}", "user may contain only letters")]
    [InlineData("{\"user\": \"alice\"}", "Give \"text\" (a command) or \"value\"")]
    [InlineData("{\"user\": \"alice\", \"text\": \"x\", \"value\": {\"command\": \"ally list\"}}", "not both")]
    [InlineData("{\"user\": \"alice\", \"value\": \"ally list\"}", "value must be an object")]
    [InlineData("{\"user\": \"alice\", \"value\": {\"args\": {}}}", "value.command is required")]
    [InlineData("{\"user\": \"alice\", \"value\": {\"command\": \"ally add\", \"args\": {\"name\": {\"x\": 1}}}}", "value.args.name must be a string.")]
    [InlineData("{\"user\": \"alice\", \"value\": {\"command\": \"ally add\", \"extra\": 1}}", "Unknown field \"value.extra\"")]
    public async Task Malformed_bodies_get_400_with_a_reason(string body, string reason)
    {
        var (status, error) = await PostRaw(body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(reason, error);
        await AssertNothingStored();
    }

    [Fact]
    public async Task Empty_body_gets_400()
    {
        var (status, error) = await PostRaw("");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("The request body is empty.", error);
    }

    [Fact]
    public async Task Deeply_nested_json_gets_400_not_500()
    {
        var (status, error) = await PostRaw("{\"user\":\"alice\",\"value\":" + new string('[', 5000) + new string(']', 5000) + "}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("not valid JSON", error);
    }

    [Fact]
    public async Task A_message_over_three_megabytes_gets_413()
    {
        // The local messages route takes up to 3 MB (a 2 MB zip as base64); every other route 1 MB.
        var text = "ally add \"" + new string('x', 3 * 1024 * 1024) + "\"";
        var (status, error) = await PostRaw(JsonSerializer.Serialize(new { user = "alice", text }));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("larger than 3145728 bytes", error);

        // Chunked (no Content-Length) is cut off at the limit too.
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { user = "alice", text })));
        using var content = new StreamContent(stream);
        content.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/local/messages") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.ExpectContinue = true;
        using var response = await Host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await AssertNothingStored();
    }

    [Fact]
    public async Task Control_and_invisible_characters_are_not_stored()
    {
        var alice = Host.User("alice");
        await alice.Says("ally add \"Jane\u0007 Doe\u202E\" --org \"City\u0000 of\u200B Atlanta\"").Expect("Added Jane Doe (A1)");
        var shown = await alice.Says("ally show A1");
        Assert.DoesNotContain(shown.Plain, c => c is '\u0007' or '\u0000' or '\u202E' or '\u200B');
    }

    [Fact]
    public async Task Sql_looking_names_are_stored_verbatim_and_harm_nothing()
    {
        var alice = Host.User("alice");
        const string name = "Robert'); DROP TABLE allies;--";
        await alice.Says($"ally add \"{name}\" --org \"' OR 1=1 --\"").Expect($"Added {name} (A1)");
        await alice.Says("ally add \"%_\\\"").Expect("(A2)");
        await alice.Says("ally show robert'").Expect(name, "Organization: ' OR 1=1 --");
        await alice.Says("ally list --org \"' OR 1=1 --\"").Expect("1 ally");
        await alice.Says("ally show %").Expect("(A2)");
        await alice.Says("ally list").Expect("2 allies");
    }

    [Fact]
    public async Task User_text_is_escaped_in_the_html_rendering()
    {
        var alice = Host.User("alice");
        var reply = await alice.Says("ally add \"<script>alert(1)</script>\" --org \"<b onmouseover=x>\" --notes \"a & b\"");
        Assert.DoesNotContain("<script>", reply.Html);
        Assert.DoesNotContain("<b onmouseover", reply.Html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", reply.Html);
        Assert.Contains("a &amp; b", reply.Html);
        Assert.Contains("<script>alert(1)</script>", reply.Text); // the plain text keeps it as typed
    }

    [Fact]
    public async Task Get_messages_checks_its_query()
    {
        using var noUser = await Host.Http.GetAsync("/local/messages");
        Assert.Equal(HttpStatusCode.BadRequest, noUser.StatusCode);
        Assert.Contains("user is required", await noUser.Content.ReadAsStringAsync());
        using var badAfter = await Host.Http.GetAsync("/local/messages?user=alice&after=x");
        Assert.Equal(HttpStatusCode.BadRequest, badAfter.StatusCode);
        var ok = await Host.Http.GetFromJsonAsync<JsonElement>("/local/messages?user=alice");
        Assert.Equal(0, ok.GetProperty("replies").GetArrayLength());
    }

    [Fact]
    public async Task Health_endpoints_answer()
    {
        Assert.Equal("ok", await Host.Http.GetStringAsync("/healthz"));
        var ready = await Host.Http.GetFromJsonAsync<JsonElement>("/readyz");
        Assert.Equal("ok", ready.GetProperty("database").GetString());
        Assert.Equal("running", ready.GetProperty("outbox").GetString());
    }

    [Fact]
    public async Task Chat_page_and_its_assets_are_served()
    {
        var page = await Host.Http.GetStringAsync("/");
        Assert.Contains("<title>CoordBot — local chat</title>", page);
        Assert.Contains("addEventListener", await Host.Http.GetStringAsync("/local/chat.js"));
        Assert.Contains(".card", await Host.Http.GetStringAsync("/local/chat.css"));
    }

    private async Task AssertNothingStored()
    {
        var reply = await Host.User("checker").Says("ally list");
        Assert.Contains("No allies yet", reply.Plain);
    }
}
