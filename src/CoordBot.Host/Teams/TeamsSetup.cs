using CoordBot.Outbox;
using CoordBot.Teams;
using CoordBot.Teams.Auth;
using CoordBot.Teams.Connector;

namespace CoordBot.Host.Teams;

/// <summary>Registers the Teams channel: inbound token checks, the Connector client with MSAL tokens, the handler and the outbox sender.</summary>
public static class TeamsSetup
{
    public static WebApplicationBuilder AddTeamsChannel(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection("Teams").Get<TeamsOptions>() ?? new TeamsOptions();
        var services = builder.Services;
        services.AddSingleton(options);
        if (string.IsNullOrEmpty(options.AppId)) return builder;   // the channel is off; LogTeams says why

        services.AddSingleton(sp => new BotFrameworkAuthenticator(options, new HttpClient { Timeout = TimeSpan.FromSeconds(10) },
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<BotFrameworkAuthenticator>>()));
        services.AddSingleton<ITeamsTokenProvider>(sp => MissingCredential(options) is { } missing
            ? new UnconfiguredTokens(missing)
            : new MsalTokenProvider(options, new HttpClient { Timeout = TimeSpan.FromSeconds(15) }, sp.GetRequiredService<ILogger<MsalTokenProvider>>()));
        services.AddSingleton<TeamsActivityGate>();
        services.AddSingleton<TrustedServiceUrls>();
        // One limiter for the process: Teams counts per app per tenant and per conversation, whoever sends.
        services.AddSingleton(_ => new TeamsRateLimiter());
        services.AddSingleton(sp => new ConnectorClient(
            new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(30) },
            sp.GetRequiredService<ITeamsTokenProvider>(), sp.GetRequiredService<TrustedServiceUrls>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ConnectorClient>>(), limiter: sp.GetRequiredService<TeamsRateLimiter>()));
        services.AddSingleton<TeamsConversations>();
        services.AddSingleton<TeamsReplies>();
        services.AddSingleton<TeamsSharedFiles>();
        services.AddSingleton<TeamsWelcome>();
        services.AddSingleton<TeamsHandler>();
        services.AddSingleton<IChannelSender, TeamsSender>();
        return builder;
    }

    /// <summary>serviceUrls stored from earlier authenticated activities stay trusted across restarts.</summary>
    public static async Task TrustStoredServiceUrlsAsync(this WebApplication app)
    {
        if (string.IsNullOrEmpty(app.Services.GetRequiredService<TeamsOptions>().AppId)) return;
        var trusted = app.Services.GetRequiredService<TrustedServiceUrls>();
        foreach (var url in await app.Services.GetRequiredService<TeamsConversations>().ServiceUrlsAsync(CancellationToken.None))
            trusted.Trust(url);
    }

    /// <summary>One start-up line for Teams, naming the missing key when it is off.</summary>
    public static void LogTeams(ILogger logger, TeamsOptions options)
    {
        if (string.IsNullOrEmpty(options.AppId))
            logger.LogInformation("Channel teams: off (missing Teams:AppId)");
        else if (MissingCredential(options) is { } missing)
            logger.LogInformation("Channel teams: on at /api/messages ({AppType}), but replies cannot be sent: {Missing}", options.AppType, missing);
        else
            logger.LogInformation("Channel teams: on at /api/messages ({AppType})", options.AppType);
        if (string.IsNullOrEmpty(options.AppId)) return;
        if (options.AcceptsEntraTokens)
            logger.LogInformation("Teams also accepts Entra tokens for tenant {Tenant} from {Count} allowed caller app(s) (Teams:AllowedCallerAppIds)",
                options.TenantId, options.AllowedCallerAppIds!.Length);
        else if (options.AllowedCallerAppIds is { Length: > 0 })
            logger.LogWarning("Teams:AllowedCallerAppIds is ignored: Entra tokens are accepted only by a SingleTenant bot with Teams:TenantId");
    }

    /// <summary>Why outbound tokens cannot be had, or null when the credentials are complete.</summary>
    private static string? MissingCredential(TeamsOptions options) =>
        string.IsNullOrEmpty(options.AppPassword) ? "missing Teams:AppPassword"
        : options.IsSingleTenant && string.IsNullOrEmpty(options.TenantId) ? "SingleTenant needs Teams:TenantId"
        : null;

    /// <summary>Stands in for MSAL when credentials are missing: every send fails permanently, naming the missing key.</summary>
    private sealed class UnconfiguredTokens(string missing) : ITeamsTokenProvider
    {
        public Task<string> GetTokenAsync(CancellationToken ct) =>
            throw new ConnectorException(0, "not_configured", $"Teams replies cannot be sent: {missing}.");
    }
}
