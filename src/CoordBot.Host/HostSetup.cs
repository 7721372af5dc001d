using CoordBot.CheckIns;
using CoordBot.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using CoordBot.Elections;
using CoordBot.Host.Local;
using CoordBot.Outbox;
using CoordBot.Host.Slack;
using CoordBot.Slack;
using CoordBot.Host.Teams;
using CoordBot.Teams;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace CoordBot.Host;

/// <summary>The composition root's pieces: configuration, channels, health, limits.</summary>
public static class HostSetup
{
    /// <summary>Largest request body any endpoint accepts (SPEC §1): larger ones get 413.</summary>
    public const long MaxBodyBytes = 1024 * 1024;

    public static WebApplicationBuilder AddCoordBotHost(this WebApplicationBuilder builder)
    {
        var storage = builder.Configuration.GetSection("Storage").Get<StorageOptions>() ?? new StorageOptions();
        var outbox = builder.Configuration.GetSection("Outbox").Get<OutboxOptions>() ?? new OutboxOptions();
        var feeds = builder.Configuration.GetSection("Elections").Get<FeedFetcherOptions>() ?? new FeedFetcherOptions();
        var scheduling = builder.Configuration.GetSection("Scheduling").Get<CoordBot.Scheduling.SchedulingOptions>();
        builder.Services.AddCoordBot(storage, outbox, feeds, scheduling);
        builder.Services.Configure<KestrelServerOptions>(o => o.Limits.MaxRequestBodySize = MaxBodyBytes);

        var local = LocalChannel.Decide(builder.Configuration, builder.Environment);
        if (local.Refusal is { } refusal) throw new InvalidOperationException(refusal);
        builder.Services.AddSingleton(local);
        builder.Services.AddSingleton<LocalMessageStore>();
        builder.Services.AddSingleton<IChannelSender, LocalSender>();
        // Secrets at rest (Slack bot tokens, the chart-link key) are encrypted with Data Protection keys. The key ring lives
        // beside the SQLite file, or in the PostgreSQL database that every instance shares; with DataProtection:CertificatePath
        // the keys themselves are encrypted with that certificate (docs/security.md#secrets-at-rest).
        var dataProtection = builder.Services.AddDataProtection().SetApplicationName("CoordBot");
        if (string.Equals(storage.Provider, "postgres", StringComparison.OrdinalIgnoreCase)) DatabaseKeyRing.Use(builder.Services);
        else if (KeysFolder(storage.ConnectionString) is { } keys) dataProtection.PersistKeysToFileSystem(new DirectoryInfo(keys));
        var keyRing = builder.Configuration.GetSection("DataProtection").Get<KeyRingOptions>() ?? new KeyRingOptions();
        if (keyRing.Certificate() is { } certificate) dataProtection.ProtectKeysWithCertificate(certificate);
        builder.Services.AddSingleton(keyRing);
        builder.AddForwardedHeaders();
        builder.Services.AddSingleton<HostSecrets>();
        builder.Services.AddSingleton(sp => new SignedLinks(
            new Lazy<byte[]>(() => sp.GetRequiredService<HostSecrets>().GetOrCreate("chart-links", SignedLinks.NewKey)), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(builder.Configuration.GetSection("Bot").Get<BotOptions>() ?? new BotOptions());

        builder.AddSlackChannel();
        builder.AddTeamsChannel();
        return builder;
    }

    private static string? KeysFolder(string connectionString)
    {
        var source = new SqliteConnectionStringBuilder(connectionString).DataSource;
        if (string.IsNullOrEmpty(source) || source == ":memory:") return null;
        return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(source)) ?? ".", "keys");
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
        app.UseForwardedHeadersWhenConfigured();
        app.UseRequestLimits();
        app.MapHealthChecks();
        app.MapDownloads();
        app.MapCharts();
        app.MapAboutPages();
        app.MapLocalChat();
        app.MapSlack();
        app.MapTeams();
    }

    /// <summary>Refuses bodies over <see cref="MaxBodyBytes"/> with 413 before any endpoint reads them.</summary>
    public static void UseRequestLimits(this WebApplication app) => app.Use(async (context, next) =>
    {
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await context.Response.WriteAsJsonAsync(new { error = $"The request body is larger than {MaxBodyBytes} bytes." });
            return;
        }
        await next();
    });

    public static void MapHealthChecks(this WebApplication app)
    {
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", async (Database database, OutboxDispatcher dispatcher, OutboxStore outbox, CancellationToken ct) =>
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
            // instance: which of several instances answered (its id in the outbox's claims and outbox_senders).
            var body = new { database = databaseOk ? "ok" : "unreachable", outbox = dispatcherOk ? "running" : "stopped", instance = outbox.Instance };
            return databaseOk && dispatcherOk ? Results.Ok(body) : Results.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
        });
    }

    /// <summary>One start-up line per channel: on, or off with the configuration key it is missing.</summary>
    public static void LogChannels(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CoordBot.Channels");
        var local = app.Services.GetRequiredService<LocalChannel>();
        if (local.Warning is { } warning)
            logger.LogWarning("Channel local: {Warning}", warning);
        if (local.Enabled)
            logger.LogInformation("Channel local: on (chat page at /, API at /local/messages)");
        else
            logger.LogInformation("Channel local: off (set Local:Enabled=true, or run in the Development environment)");
        var slack = app.Services.GetRequiredService<SlackOptions>();
        if (!string.IsNullOrEmpty(slack.ClientId) && !string.IsNullOrEmpty(slack.ClientSecret) && app.Services.GetRequiredService<BotOptions>().PublicBase is null)
            logger.LogWarning("Slack OAuth installs are refused until Bot:PublicBaseUrl is set: Slack's redirect URI is built from it alone");
        if (app.Services.GetRequiredService<KeyRingOptions>().Certificate() is null)
            logger.LogWarning("The Data Protection key ring is stored unencrypted beside the data it protects; set DataProtection:CertificatePath to encrypt it (docs/security.md)");
        SlackSetup.LogSlack(logger, app.Services.GetRequiredService<SlackOptions>());
        TeamsSetup.LogTeams(logger, app.Services.GetRequiredService<TeamsOptions>());
    }
}
