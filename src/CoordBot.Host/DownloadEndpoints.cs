using System.Text;
using CoordBot.Downloads;

namespace CoordBot.Host;

/// <summary><c>GET /downloads/{token}</c>: a file a channel could only offer as a link (Teams exports).</summary>
public static class DownloadEndpoints
{
    public static void MapDownloads(this WebApplication app) => app.MapGet("/downloads/{token}", async (string token, DownloadStore downloads, HttpContext context, CancellationToken ct) =>
    {
        if (token.Length != 43 || !token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') || await downloads.GetAsync(token, ct) is not { } file)
            return Results.Json(new { error = "This download link is unknown or has expired (links last one hour). Run the export again." }, statusCode: StatusCodes.Status404NotFound);
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return Results.File(Encoding.UTF8.GetBytes(file.Content), file.MediaType, file.FileName);
    });
}
