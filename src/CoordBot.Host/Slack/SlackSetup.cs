using CoordBot.Outbox;
using CoordBot.Slack;
using CoordBot.Slack.Api;
using CoordBot.Slack.SocketMode;

namespace CoordBot.Host.Slack;

/// <summary>Registers the Slack channel: the HTTP endpoints when a signing secret is set, Socket Mode when an app token is.</summary>
public static class SlackSetup
{
    public static WebApplicationBuilder AddSlackChannel(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection("Slack").Get<SlackOptions>() ?? new SlackOptions();
        var socketMode = builder.Configuration.GetSection("Slack:SocketMode").Get<SocketModeOptions>() ?? new SocketModeOptions();
        var services = builder.Services;
        services.AddSingleton(socketMode);
        // With Socket Mode the reply budget must end a margin before the ack deadline, or a reply finished
        // just inside the budget reaches the socket after a bare ack; a longer budget is shortened, and said so.
        services.AddSingleton(sp => string.IsNullOrEmpty(options.AppToken) ? options : FitReplyBudget(options, socketMode, sp.GetRequiredService<ILoggerFactory>()));

        // One limiter for the process, so every sender shares Slack's per-method and per-channel budgets.
        services.AddSingleton(sp => new SlackRateLimiter(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new SlackApiClient(
            new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(15) },
            options, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SlackApiClient>>(), sp.GetRequiredService<SlackRateLimiter>()));
        services.AddSingleton<SlackInstallations>();
        services.AddSingleton<ISlackTokens>(sp => sp.GetRequiredService<SlackInstallations>());
        services.AddSingleton<SlackSeenEvents>();
        services.AddSingleton<SlackHome>();
        services.AddSingleton<SlackHandler>();
        services.AddSingleton<SlackUserZones>();
        services.AddSingleton<CoordBot.CheckIns.IPlatformMemberZones>(sp => sp.GetRequiredService<SlackUserZones>());
        services.AddHostedService(sp => sp.GetRequiredService<SlackUserZones>());
        services.AddSingleton<ISlackInbound>(sp => sp.GetRequiredService<SlackHandler>());
        services.AddSingleton<SlackDmChannels>();
        services.AddSingleton<SlackReplies>();
        services.AddSingleton<SlackChartUploads>();
        services.AddSingleton<SlackChartSharing>();
        services.AddSingleton<IChannelSender, SlackSender>();

        if (!string.IsNullOrEmpty(options.AppToken))
        {
            services.AddSingleton<ISocketModeConnector>(sp => new AppsConnectionsOpen(sp.GetRequiredService<SlackApiClient>(), options.AppToken));
            services.AddSingleton(sp => new SlackSocketModeClient(sp.GetRequiredService<ISocketModeConnector>(), sp.GetRequiredService<ISlackInbound>(),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SlackSocketModeClient>>(), sp.GetRequiredService<SocketModeOptions>()));
            services.AddHostedService(sp => sp.GetRequiredService<SlackSocketModeClient>());
        }
        return builder;
    }

    private static SlackOptions FitReplyBudget(SlackOptions options, SocketModeOptions socketMode, ILoggerFactory logs)
    {
        var budget = socketMode.FitReplyBudget(options.ReplyBudget);
        if (budget == options.ReplyBudget) return options;
        logs.CreateLogger(typeof(SlackSetup)).LogWarning(
            "Slack:ReplyBudget {Configured} is not at least {Margin} shorter than Slack:SocketMode:AckTimeout {AckTimeout}; using {Budget}",
            options.ReplyBudget, SocketModeOptions.ReplyMargin, socketMode.AckTimeout, budget);
        return options with { ReplyBudget = budget };
    }

    /// <summary>One start-up line for each Slack transport, naming the missing key when it is off.</summary>
    public static void LogSlack(ILogger logger, SlackOptions options)
    {
        var install = !string.IsNullOrEmpty(options.BotToken) ? "single workspace (Slack:BotToken)"
            : !string.IsNullOrEmpty(options.ClientId) && !string.IsNullOrEmpty(options.ClientSecret) ? "OAuth installs at /slack/install"
            : null;
        if (string.IsNullOrEmpty(options.SigningSecret))
            logger.LogInformation("Channel slack (HTTP): off (missing Slack:SigningSecret)");
        else
            logger.LogInformation("Channel slack (HTTP): on at /slack/commands, /slack/interactivity, /slack/events; {Install}",
                install ?? "but no Slack:BotToken nor Slack:ClientId/ClientSecret, so replies that need the Web API cannot be sent");
        if (string.IsNullOrEmpty(options.AppToken))
            logger.LogInformation("Channel slack (Socket Mode): off (missing Slack:AppToken)");
        else
            logger.LogInformation("Channel slack (Socket Mode): on; {Install}", install ?? "but no Slack:BotToken, so replies that need the Web API cannot be sent");
    }

    /// <summary>Socket Mode's WebSocket URL comes from apps.connections.open with the app-level token.</summary>
    private sealed class AppsConnectionsOpen(SlackApiClient api, string appToken) : ISocketModeConnector
    {
        public Task<Uri> OpenAsync(CancellationToken ct) => api.OpenSocketConnectionAsync(appToken, ct);
    }
}
