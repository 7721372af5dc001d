using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace CoordBot.Chat;

/// <summary>Drops input from bots (the bot's own posts included), so the bot never answers itself.</summary>
public sealed class IgnoreBotsMiddleware : IChatMiddleware
{
    public Task<Reply?> InvokeAsync(ChatRequest request, Func<ChatRequest, Task<Reply?>> next, CancellationToken ct) =>
        request.FromBot ? Task.FromResult<Reply?>(null) : next(request);
}

/// <summary>
/// Opens a logging scope per input and turns an unexpected exception into a friendly reply with an
/// id to find the log line, so a bug never surfaces as a crash or a silent bot. The log names the
/// command words only, never its arguments (names, contact details, notes).
/// </summary>
public sealed class ErrorBoundaryMiddleware(ILogger<ErrorBoundaryMiddleware> logger) : IChatMiddleware
{
    public async Task<Reply?> InvokeAsync(ChatRequest request, Func<ChatRequest, Task<Reply?>> next, CancellationToken ct)
    {
        using var scope = logger.BeginScope("{Platform} {Workspace} {User}", request.Platform, request.WorkspaceId, request.UserId);
        try
        {
            return await next(request);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var id = NewErrorId();
            Telemetry.CommandTelemetry.Current?.Failed(id);
            logger.LogError(e, "Command failed ({ErrorId}) on {Platform}: {Command}", id, request.Platform, request.CommandName);
            return Reply.Error($"Sorry, something went wrong on my side (error {id}). Please try again; if it keeps happening, give your admin that error id.");
        }
    }

    private const string Alphabet = "abcdefghjkmnpqrstuvwxyz23456789";   // no 0/o, 1/l/i: read aloud or typed back

    /// <summary>Ten random characters (about 49 bits): ids of errors that happen at the same moment still differ.</summary>
    public static string NewErrorId() => RandomNumberGenerator.GetString(Alphabet, 10);
}
