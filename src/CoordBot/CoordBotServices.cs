using CoordBot.Allies;
using CoordBot.Chat;
using CoordBot.Data;
using CoordBot.Elections;
using CoordBot.Scheduling;
using Microsoft.Extensions.Logging;
using CoordBot.Outbox;
using CoordBot.Workspaces;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace CoordBot;

/// <summary>Registers the core: storage, features, the routing table and the outbox.</summary>
public static class CoordBotServices
{
    public static IServiceCollection AddCoordBot(this IServiceCollection services, StorageOptions storage, OutboxOptions? outbox = null, FeedFetcherOptions? feeds = null,
        SchedulingOptions? scheduling = null)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(storage);
        services.AddSingleton<Database>();
        services.AddSingleton<GroupCommit>();
        services.AddSingleton<Downloads.DownloadStore>();
        services.AddSingleton<Migrator>();
        services.AddSingleton<WorkspaceStore>();

        services.AddSingleton<AllyStore>();
        services.AddSingleton<AllyCsv>();
        services.AddSingleton<AllyCommands>();
        services.AddSingleton<RelationshipNudges>();
        services.AddSingleton<IScheduledSendHandler>(sp => sp.GetRequiredService<RelationshipNudges>());
        services.AddSingleton<ITimeZoneListener>(sp => sp.GetRequiredService<RelationshipNudges>());
        services.AddSingleton<CoordCommands>();

        services.AddSingleton(feeds ?? new FeedFetcherOptions());
        services.AddSingleton<ElectionStore>();
        services.AddSingleton<ElectionReminders>();
        services.AddSingleton<ElectionBrief>();
        services.AddSingleton<IScheduledSendHandler>(sp => sp.GetRequiredService<ElectionReminders>());
        services.AddSingleton<ITimeZoneListener>(sp => sp.GetRequiredService<ElectionReminders>());
        services.AddSingleton<ElectionCommands>();
        services.AddSingleton<CheckIns.InitiativeStore>();
        services.AddSingleton<CheckIns.CheckInStore>();
        services.AddSingleton<CheckIns.CheckInCsv>();
        services.AddSingleton<CheckIns.CheckInCommands>();
        // Defaults for a core without a host (tests, benchmarks); a host registers its own first (persisted key, bound Bot section).
        services.TryAddSingleton(sp => new CheckIns.SignedLinks(CheckIns.SignedLinks.NewKey(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(new BotOptions());
        services.AddSingleton<CheckIns.CheckInDigest>();
        services.AddSingleton<CheckIns.ChartImages>();
        services.TryAddSingleton(new Dashboard.DashboardOptions());
        services.TryAddSingleton(sp => new Dashboard.DashboardSigner(new CheckIns.SignedLinks(CheckIns.SignedLinks.NewKey(), sp.GetRequiredService<TimeProvider>())));
        services.AddSingleton<Dashboard.DashboardSessions>();
        services.AddSingleton<CheckIns.CheckInSchedule>();
        services.AddSingleton<MemberZoneStore>();
        services.AddSingleton<CheckIns.MemberZones>();
        services.AddSingleton<IScheduledSendHandler>(sp => sp.GetRequiredService<CheckIns.CheckInSchedule>());
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<FeedFetcherOptions>();
            return new FeedFetcher(new HttpClient(FeedFetcher.CreateHandler(options)), options, sp.GetRequiredService<ILogger<FeedFetcher>>(),
                sp.GetRequiredService<TimeProvider>());
        });

        // The routing table: every command word the bot answers, in help order.
        services.AddSingleton(sp => new CommandTable(
        [
            sp.GetRequiredService<AllyCommands>().Group,
            sp.GetRequiredService<ElectionCommands>().Group,
            sp.GetRequiredService<CheckIns.CheckInCommands>().Group,
            sp.GetRequiredService<CoordCommands>().Group,
        ]));
        services.AddSingleton(sp => new Lazy<CommandTable>(sp.GetRequiredService<CommandTable>));
        services.AddSingleton<IChatMiddleware, ErrorBoundaryMiddleware>();
        services.AddSingleton<IChatMiddleware, IgnoreBotsMiddleware>();
        services.AddSingleton<CommandRouter>();
        services.AddSingleton<WorkQueue>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkQueue>());

        services.AddCoordBotScheduling(storage, scheduling);

        services.AddSingleton(outbox ?? new OutboxOptions());
        services.AddSingleton<OutboxStore>();
        services.AddSingleton<OutboxDispatcher>();
        services.AddSingleton<Telemetry.OutboxBacklogGauges>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
        return services;
    }
}
