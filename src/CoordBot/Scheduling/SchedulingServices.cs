using CoordBot.Data;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace CoordBot.Scheduling;

/// <summary>
/// Scheduler settings (section <c>Scheduling</c>). There is no switch for clustering: on PostgreSQL every
/// instance is always a node of one cluster, and SQLite runs one scheduler per database file.
/// </summary>
public sealed record SchedulingOptions
{
    /// <summary>How often a node checks in (PostgreSQL, where every instance is a node of one Quartz cluster) checks in; a node silent for twice this is taken as dead and its jobs recovered.</summary>
    public TimeSpan ClusterCheckinInterval { get; init; } = TimeSpan.FromSeconds(7.5);
}

/// <summary>Registers the persistent scheduler: Quartz's job store in CoordBot's own database.</summary>
public static class SchedulingServices
{
    public const string TablePrefix = "QRTZ_";

    public static IServiceCollection AddCoordBotScheduling(this IServiceCollection services, StorageOptions storage, SchedulingOptions? scheduling = null)
    {
        scheduling ??= new SchedulingOptions();
        var postgres = string.Equals(storage.Provider, "postgres", StringComparison.OrdinalIgnoreCase);
        if (scheduling.ClusterCheckinInterval <= TimeSpan.Zero)
            throw new InvalidOperationException("Scheduling:ClusterCheckinInterval must be a positive time span, e.g. 00:00:07.5.");

        services.AddSingleton(scheduling);
        services.AddTransient<ScheduledSendJob>();
        services.AddSingleton<IScheduledSends, QuartzScheduledSends>();
        // Quartz takes its clock from the container (the TimeProvider AddCoordBot registers), so a test
        // that registers a fake TimeProvider drives the scheduler's clock too.
        services.AddQuartz(q =>
        {
            q.AddTriggerListener<MisfireCounter>();
            if (postgres)
            {
                // Every instance is a node of one cluster (UseClustering gives each a generated instance id): the schedule
                // is shared, a trigger fires on exactly one node, and a node that stops checking in has its jobs recovered.
                q.UsePersistentStore(store =>
                {
                    store.UsePostgres(storage.ConnectionString);
                    store.UseSystemTextJsonSerializer();
                    store.ConfigureStore(o => o.TablePrefix = TablePrefix);
                    // Quartz creates its own tables on PostgreSQL (migration 5 is SQLite's copy of them).
                    store.ProvisionSchema();
                    store.UseClustering(c =>
                    {
                        c.CheckinInterval = scheduling.ClusterCheckinInterval;
                        c.CheckinMisfireThreshold = scheduling.ClusterCheckinInterval * 2;
                    });
                });
                return;
            }
            q.UsePersistentStore(store =>
            {
                store.UseSqlite(SqliteFactory.Instance, QuartzConnectionString(storage));
                store.UseSystemTextJsonSerializer();
                store.ConfigureStore(o =>
                {
                    o.TablePrefix = TablePrefix;
                    // CoordBot's migration 5 creates the tables; Quartz only checks them.
                    o.SchemaProvisioning = SchemaProvisioning.Validate;
                });
            });
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        return services;
    }

    /// <summary>
    /// The same file as <see cref="Database"/>. WAL is a property of the file (the migrator sets it and
    /// Quartz never touches journal_mode); Default Timeout makes Microsoft.Data.Sqlite retry a busy
    /// database for up to 30 s, as CoordBot's own connections do.
    /// </summary>
    internal static string QuartzConnectionString(StorageOptions storage)
    {
        var builder = new SqliteConnectionStringBuilder(storage.ConnectionString) { DefaultTimeout = 30 };
        if (!string.IsNullOrEmpty(builder.DataSource) && builder.DataSource != ":memory:" && builder.Mode != SqliteOpenMode.Memory)
            builder.DataSource = Path.GetFullPath(builder.DataSource);
        return builder.ToString();
    }
}
