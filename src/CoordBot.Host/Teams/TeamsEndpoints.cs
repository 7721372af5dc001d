using System.Text.Json;
using CoordBot.Chat;
using CoordBot.Teams;
using CoordBot.Teams.Auth;

namespace CoordBot.Host.Teams;

/// <summary>
/// <c>POST /api/messages</c>: the Bot Framework token is checked against the activity's serviceUrl and
/// channel, then the activity against the channels and tenant this bot serves, before anything else
/// happens (see docs/security.md); only then does it go to <see cref="TeamsHandler"/>, which is the only
/// place that stores conversation references. A refusal writes nothing and answers only its reason.
/// </summary>
public static class TeamsEndpoints
{
    public static void MapTeams(this WebApplication app)
    {
        if (string.IsNullOrEmpty(app.Services.GetRequiredService<TeamsOptions>().AppId)) return;
        app.MapPost("/api/messages", MessagesAsync);
    }

    private static async Task<IResult> MessagesAsync(HttpRequest request, BotFrameworkAuthenticator auth, TeamsActivityGate gate, TeamsHandler handler,
        CancellationToken ct)
    {
        var read = await RequestBody.ReadAsync(request, HostSetup.MaxBodyBytes, ct);
        if (read.Error is not null) return read.Error;
        JsonDocument document;
        try { document = JsonDocument.Parse(read.Bytes, new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException)
        {
            // Unauthenticated callers learn nothing about parsing: the token is checked first either way.
            var anonymous = await auth.AuthenticateTokenAsync(request.Headers.Authorization, ct);
            return anonymous.Succeeded ? Bad("The activity is not valid JSON.") : RefuseToken(anonymous);
        }
        using (document)
        {
            var activity = document.RootElement;
            if (activity.ValueKind != JsonValueKind.Object)
            {
                var anonymous = await auth.AuthenticateTokenAsync(request.Headers.Authorization, ct);
                return anonymous.Succeeded ? Bad("The activity must be a JSON object.") : RefuseToken(anonymous);
            }
            var token = await auth.AuthenticateAsync(request.Headers.Authorization, JsonRead.Str(activity, "serviceUrl"), JsonRead.Str(activity, "channelId"), ct);
            if (!token.Succeeded) return RefuseToken(token);
            if (gate.Refusal(activity) is { } refusal) return Refuse(refusal);
            var ack = await handler.HandleAsync(activity, ct);
            return ack.Body is null
                ? Results.StatusCode(ack.Status)
                : Results.Text(ack.Body.ToJsonString(), "application/json; charset=utf-8", statusCode: ack.Status);
        }
    }

    private static IResult RefuseToken(TeamsAuthResult result) =>
        Results.Json(new { error = $"Bot Framework token refused: {result.Reason}." }, statusCode: result.Status);

    private static IResult Refuse(TeamsAuthResult result) =>
        Results.Json(new { error = $"Activity refused: {result.Reason}." }, statusCode: result.Status);

    private static IResult Bad(string reason) => Results.Json(new { error = reason }, statusCode: StatusCodes.Status400BadRequest);
}
