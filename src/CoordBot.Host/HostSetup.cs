using Microsoft.AspNetCore.Http.Features;
using CoordBot.CheckIns;
using CoordBot.Dashboard;
using CoordBot.Data;
using CoordBot.Host.Dashboard;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using CoordBot.Elections;
using CoordBot.Host.Local;
using CoordBot.Outbox;
using CoordBot.Telemetry;
using CoordBot.Host.Slack;
using CoordBot.Slack;
using CoordBot.Host.Teams;
using CoordBot.Teams;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace CoordBot.Host;

/// <summary>The composition root's pieces: configuration, channels, health, limits.</summary>
public static class HostSetup
{
    /// <summary>Largest request body any endpoint accepts: larger ones get 413.</summary>
    public const long MaxBodyBytes = 1024 * 1024;

    /// <summary>Largest body of <c>POST /local/messages</c>: a 2 MB zip as base64 in its JSON (the local channel only).</summary>
    public const long MaxLocalMessageBytes = 3 * 1024 * 1024;

    public static WebApplicationBuilder AddCoordBotHost(this WebApplicationBuilder builder)
    {
        var options = HostSettings.Bind(builder.Configuration);
        // First, so its providers listen before the scheduler and the outbox start (a misfire found at start-up is counted).
        builder.AddCoordBotTelemetry();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(options.Bot);
        builder.Services.AddSingleton<HostSecrets>();
        builder.Services.AddSingleton(sp => new SignedLinks(
            new Lazy<byte[]>(() => sp.GetRequiredService<HostSecrets>().GetOrCreate("chart-links", SignedLinks.NewKey)), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(options.Dashboard);
        builder.Services.AddSingleton(sp => new DashboardSigner(new SignedLinks(
            new Lazy<byte[]>(() => sp.GetRequiredService<HostSecrets>().GetOrCreate("dashboard-links", SignedLinks.NewKey)), sp.GetRequiredService<TimeProvider>())));
        // A dashboard link's query string is a credential: the request lines ASP.NET Core logs at Information would keep it.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        builder.Services.AddSingleton<DashboardPages>();
        builder.Services.AddCoordBot(options.Storage, options.Outbox, options.Feeds, options.Scheduling);
        builder.Services.Configure<KestrelServerOptions>(o => o.Limits.MaxRequestBodySize = MaxBodyBytes);
        builder.Services.AddProxyTrust(options.ForwardedHeaders);

        builder.Services.AddSingleton(LocalChannel.Decide(options.Local, builder.Configuration, builder.Environment));
        builder.Services.AddSingleton<LocalMessageStore>();
        builder.Services.AddSingleton<IChannelSender, LocalSender>();
        builder.Services.AddKeyRing(options.Storage, options.DataProtection);

        builder.AddSlackChannel();
        builder.AddTeamsChannel();
        return builder;
    }

    /// <summary>Creates the database file if needed and applies pending migrations before anything is served.</summary>
    public static async Task PrepareDatabaseAsync(this WebApplication app)
    {
        await app.Services.GetRequiredService<Migrator>().ApplyAsync();
        await app.TrustStoredServiceUrlsAsync();
    }

    /// <summary>Every endpoint, in order: limits first, then health, the local chat, Slack and Teams.</summary>
    public static void MapCoordBot(this WebApplication app)
    {
        app.UseProxyTrust();
        app.UseRequestLimits();
        app.MapHealthChecks();
        app.MapDownloads();
        app.MapCharts();
        app.MapAboutPages();
        app.MapDashboard();
        app.MapLocalChat();
        app.MapSlack();
        app.MapTeams();
    }

    /// <summary>Refuses bodies over <see cref="MaxBodyBytes"/> with 413 before any endpoint reads them.</summary>
    public static void UseRequestLimits(this WebApplication app) => app.Use(async (context, next) =>
    {
        var limit = LimitFor(context.Request);
        if (context.Request.ContentLength > limit)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await context.Response.WriteAsJsonAsync(new { error = $"The request body is larger than {limit} bytes." });
            return;
        }
        if (limit != MaxBodyBytes && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = limit;
        await next();
    });

    /// <summary>The body limit of a request: <see cref="MaxLocalMessageBytes"/> for the local chat's messages, else <see cref="MaxBodyBytes"/>.</summary>
    public static long LimitFor(HttpRequest request) =>
        HttpMethods.IsPost(request.Method) && request.Path.Equals("/local/messages", StringComparison.Ordinal) ? MaxLocalMessageBytes : MaxBodyBytes;

    public static void MapHealthChecks(this WebApplication app)
    {
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.Services.GetRequiredService<OutboxBacklogGauges>();   // its gauges exist from the start
        // 503 only when this instance cannot work (database unreachable, outbox stopped); a backlog older than
        // Outbox:DegradedAfter is "degraded" with 200: more instances will not help a platform that throttles.
        app.MapGet("/readyz", async (Database database, OutboxDispatcher dispatcher, OutboxStore outbox, OutboxBacklogGauges backlog,
            OutboxOptions options, ILogger<OutboxBacklogGauges> logger, CancellationToken ct) =>
        {
            var databaseOk = false;
            try
            {
                await using var connection = await database.OpenAsync(ct);
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT COUNT(*) FROM schema_migrations";
                databaseOk = Convert.ToInt64(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture) > 0;
            }
            catch (Exception e) when (e is not OperationCanceledException) { }
            var dispatcherOk = dispatcher.ExecuteTask is { IsCompleted: false };
            OutboxBacklogGauges.Reading? reading = null;
            if (databaseOk)
            {
                try { reading = await backlog.ReadAsync(ct); }
                catch (Exception e) when (e is not OperationCanceledException) { logger.LogWarning(e, "/readyz could not read the outbox backlog"); }
            }
            var behind = reading is not null && reading.OldestDueAge > options.DegradedAfter;
            var status = !databaseOk || !dispatcherOk ? "unavailable" : behind ? "degraded" : "ok";
            // instance: which of several instances answered (its id in the outbox's claims and outbox_senders).
            var body = new
            {
                status,
                database = databaseOk ? "ok" : "unreachable",
                outbox = dispatcherOk ? "running" : "stopped",
                backlog = reading is null ? null : new
                {
                    due = reading.Backlog.Count,
                    oldestDueAgeSeconds = Math.Round(reading.OldestDueAge.TotalSeconds, 1),
                    degradedAfterSeconds = options.DegradedAfter.TotalSeconds,
                    reason = behind
                        ? $"the oldest due message has waited {Math.Round(reading.OldestDueAge.TotalMinutes, 1).ToString(System.Globalization.CultureInfo.InvariantCulture)} min, over Outbox:DegradedAfter"
                        : null,
                },
                instance = outbox.Instance,
            };
            return status == "unavailable" ? Results.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable) : Results.Ok(body);
        });
    }

    /// <summary>One start-up line per channel: on, or off with the configuration key it is missing.</summary>
    public static void LogChannels(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CoordBot.Channels");
        var local = app.Services.GetRequiredService<LocalChannel>();
        if (local is { Enabled: true, ExposedOn.Count: > 0 })
            logger.LogWarning("Channel local: on outside Development on {Urls} because Local:AllowNonLoopback=true: anyone who reaches it can act as any user",
                string.Join(", ", local.ExposedOn));
        else if (local.Enabled)
            logger.LogInformation("Channel local: on (chat page at /, API at /local/messages)");
        else
            logger.LogInformation("Channel local: off (set Local:Enabled=true, or run in the Development environment)");
        var slack = app.Services.GetRequiredService<SlackOptions>();
        SlackSetup.LogSlack(logger, slack);
        if (!string.IsNullOrEmpty(slack.ClientId) && app.Services.GetRequiredService<BotOptions>().PublicBase is null)
            logger.LogWarning("Slack OAuth install: off until Bot:PublicBaseUrl is set (Slack's redirect_uri is built only from it)");
        KeyRing.LogProtection(app.Services.GetRequiredService<HostSettings>().DataProtection, logger);
        TeamsSetup.LogTeams(logger, app.Services.GetRequiredService<TeamsOptions>());
        HostTelemetry.LogTelemetry(logger, app.Configuration);
    }
}
