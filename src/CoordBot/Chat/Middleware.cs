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
/// id to find the log line, so a bug never surfaces as a crash or a silent bot.
/// </summary>
public sealed class ErrorBoundaryMiddleware(ILogger<ErrorBoundaryMiddleware> logger, TimeProvider time) : IChatMiddleware
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
            var id = time.GetUtcNow().ToUnixTimeMilliseconds().ToString("x");
            logger.LogError(e, "Command failed ({ErrorId}) on {Platform}: {Command}", id, request.Platform,
                request.Action?.Command ?? request.Text?.Split('\n')[0]);
            return Reply.Error($"Sorry, something went wrong on my side (error {id}). Please try again; if it keeps happening, give your admin that error id.");
        }
    }
}
