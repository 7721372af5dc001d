using System.Globalization;
using System.Reflection;
using CoordBot.Dashboard;

namespace CoordBot.Host.Dashboard;

/// <summary>
/// The read-only web dashboard (docs/security.md, "Dashboard"): <c>GET /dashboard/open?…</c> turns a signed link from
/// <c>coord dashboard</c> into a session cookie and redirects to a clean URL; every other page needs that session and
/// reads only its workspace. Server-rendered HTML under a strict CSP: no scripts, no outside resources.
/// </summary>
public static class DashboardEndpoints
{
    public const string CookieName = "coordbot_dashboard";
    public const string StylesheetPath = "/dashboard/dashboard.css";
    public const string SignOutPath = "/dashboard/signout";

    /// <summary>Longest query string a dashboard URL may have (a link's is about 200 characters).</summary>
    public const int MaxQueryLength = 2048;

    public const string ContentSecurityPolicy =
        "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private static readonly Lazy<byte[]> Stylesheet = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("CoordBot.Host.Dashboard.dashboard.css")
            ?? throw new InvalidOperationException("The dashboard stylesheet is not embedded.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static void MapDashboard(this WebApplication app)
    {
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/dashboard"), branch => branch.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers.CacheControl = "no-store";
            headers["Referrer-Policy"] = "no-referrer";
            if (context.Request.QueryString.Value?.Length > MaxQueryLength)
            {
                await Page(StatusCodes.Status414UriTooLong, "This address is too long", "Open the dashboard from chat: coord dashboard").ExecuteAsync(context);
                return;
            }
            await next();
        }));

        app.MapGet(DashboardSessions.OpenPath, OpenAsync);
        app.MapGet(StylesheetPath, () => Results.Bytes(Stylesheet.Value, "text/css; charset=utf-8"));
        app.MapPost(SignOutPath, SignOutAsync);
        app.MapGet("/dashboard", (HttpContext context, DashboardSessions sessions, DashboardPages pages, CancellationToken ct) =>
            WithSessionAsync(context, sessions, async session => Html(await pages.InitiativesAsync(session, ct)), ct));
        app.MapGet("/dashboard/initiatives/{refNo}", (string refNo, HttpContext context, DashboardSessions sessions, DashboardPages pages, CancellationToken ct) =>
            WithSessionAsync(context, sessions, async session =>
                Id(refNo) is not { } id ? NotFound()
                : Weeks(context) is not { } weeks ? Page(StatusCodes.Status400BadRequest, "Not a number of weeks", $"weeks is a whole number from {DashboardPages.MinWeeks} to {DashboardPages.MaxWeeks}.")
                : await pages.InitiativeAsync(session, id, weeks, context.Request.Query["print"] == "1", ct) is { } page ? Html(page) : NotFound(), ct));
        app.MapGet("/dashboard/initiatives/{refNo}/charts/{metric}.png", (string refNo, string metric, HttpContext context, DashboardSessions sessions,
                DashboardPages pages, CancellationToken ct) =>
            WithSessionAsync(context, sessions, async session =>
                Id(refNo) is not { } id || !int.TryParse(metric, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index > 100 ? NotFound()
                : Weeks(context) is not { } weeks ? Page(StatusCodes.Status400BadRequest, "Not a number of weeks", $"weeks is a whole number from {DashboardPages.MinWeeks} to {DashboardPages.MaxWeeks}.")
                : await pages.ChartAsync(session, id, index, weeks, ct) is { } png ? Results.Bytes(png, "image/png") : NotFound(), ct));
        app.MapGet("/dashboard/coalition", (HttpContext context, DashboardSessions sessions, DashboardPages pages, CancellationToken ct) =>
            WithSessionAsync(context, sessions, async session => Html(await pages.CoalitionAsync(session, ct)), ct));
        app.MapGet("/dashboard/elections", (HttpContext context, DashboardSessions sessions, DashboardPages pages, CancellationToken ct) =>
            WithSessionAsync(context, sessions, async session => Html(await pages.ElectionsAsync(session, ct)), ct));
        app.MapGet("/dashboard/allies/{refNo}", (string refNo, HttpContext context, DashboardSessions sessions, DashboardPages pages, CancellationToken ct) =>
            WithSessionAsync(context, sessions, async session =>
                Id(refNo) is { } id && await pages.AllyAsync(session, id, ct) is { } page ? Html(page) : NotFound(), ct));
        // Any other path under /dashboard: the same short page as a missing record, never the framework's.
        app.MapFallback("/dashboard/{**rest}", () => NotFound());
    }

    /// <summary>Checks the link, starts a session and redirects to the dashboard without the link's query (it is a credential).</summary>
    private static async Task<IResult> OpenAsync(HttpContext context, DashboardSessions sessions, BotOptions bot, ILoggerFactory logs, CancellationToken ct)
    {
        var q = context.Request.Query;
        var (cookie, refusal) = await sessions.OpenAsync(Single(q["w"]), Single(q["u"]), Single(q["g"]), Single(q["exp"]), Single(q["sig"]), ct);
        if (cookie is null)
        {
            logs.CreateLogger("CoordBot.Dashboard").LogInformation("Dashboard link refused: {Refusal}", refusal);
            return refusal switch
            {
                LinkRefusal.Expired => Page(StatusCodes.Status403Forbidden, "This dashboard link has expired", "Ask CoordBot for a fresh one in chat: coord dashboard"),
                LinkRefusal.Revoked => Page(StatusCodes.Status403Forbidden, "This dashboard link was revoked",
                    "An admin ended every dashboard link and session of this workspace. Ask CoordBot for a fresh one in chat: coord dashboard"),
                _ => Page(StatusCodes.Status403Forbidden, "This is not a valid dashboard link", "Open the dashboard from chat: coord dashboard"),
            };
        }
        context.Response.Cookies.Append(CookieName, cookie, new CookieOptions
        {
            HttpOnly = true,
            Secure = context.Request.IsHttps || bot.IsHttps,
            SameSite = SameSiteMode.Lax,
            Path = "/dashboard",
            MaxAge = sessions.Lifetime,
            IsEssential = true,
        });
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = "/dashboard";
        return Results.Empty;
    }

    private static async Task<IResult> SignOutAsync(HttpContext context, DashboardSessions sessions, CancellationToken ct)
    {
        var cookie = context.Request.Cookies[CookieName];
        if (await sessions.LookupAsync(cookie, ct) is { } session) await sessions.EndAsync(session, cookie!, ct);
        context.Response.Cookies.Delete(CookieName, new CookieOptions { Path = "/dashboard" });
        return Page(StatusCodes.Status200OK, "Signed out", "To open the dashboard again, ask CoordBot in chat: coord dashboard");
    }

    private static async Task<IResult> WithSessionAsync(HttpContext context, DashboardSessions sessions, Func<DashboardSession, Task<IResult>> page, CancellationToken ct) =>
        await sessions.LookupAsync(context.Request.Cookies[CookieName], ct) is { } session
            ? await page(session)
            : Page(StatusCodes.Status401Unauthorized, "Open the dashboard from chat",
                "There is no dashboard session in this browser, or it has ended. Ask CoordBot for a link in chat: coord dashboard");

    private static string? Single(Microsoft.Extensions.Primitives.StringValues values) => values.Count == 1 ? values[0] : null;

    private static long? Id(string text) =>
        text.Length is > 0 and <= 18 && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0 ? id : null;

    private static int? Weeks(HttpContext context) =>
        context.Request.Query["weeks"] is { Count: 0 } ? DashboardPages.DefaultWeeks
        : context.Request.Query["weeks"] is { Count: 1 } given && given[0] is { Length: > 0 and <= 3 } text &&
          int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= DashboardPages.MinWeeks and <= DashboardPages.MaxWeeks ? n : null;

    private static IResult Html(string html) => Results.Content(html, "text/html; charset=utf-8");

    private static IResult NotFound() => Page(StatusCodes.Status404NotFound, "Not found", "There is no such page, initiative or ally in this workspace.");

    /// <summary>A short human page with a status code.</summary>
    internal static IResult Page(int status, string title, string text)
    {
        var html = new Html().Raw("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>")
            .Text(title).Raw("</title><link rel=\"stylesheet\" href=\"").Raw(StylesheetPath).Raw("\"></head><body><main class=\"refused card\">")
            .El("h1", title).El("p", text).Raw("</main></body></html>");
        return Results.Content(html.ToString(), "text/html; charset=utf-8", statusCode: status);
    }
}
