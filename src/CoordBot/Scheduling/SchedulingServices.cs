using CoordBot.Data;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace CoordBot.Scheduling;

/// <summary>Scheduler settings (section <c>Scheduling</c>).</summary>
public sealed record SchedulingOptions
{
    /// <summary>
    /// Run as a node of a Quartz cluster. Not possible on SQLite (one process owns the file); the seam
    /// for the PostgreSQL store, where several hosts share one schedule.
    /// </summary>
    public bool Clustered { get; init; }
}

/// <summary>Registers the persistent scheduler: Quartz's job store in CoordBot's own database.</summary>
public static class SchedulingServices
{
    public const string TablePrefix = "QRTZ_";

    public static IServiceCollection AddCoordBotScheduling(this IServiceCollection services, StorageOptions storage, SchedulingOptions? scheduling = null)
    {
        scheduling ??= new SchedulingOptions();
        if (!string.Equals(storage.Provider, "sqlite", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"Scheduling on Storage:Provider '{storage.Provider}' is not supported yet; use 'sqlite'.");
        if (scheduling.Clustered)
            throw new InvalidOperationException("Scheduling:Clustered needs a PostgreSQL store; SQLite runs one scheduler per database file.");

        services.AddSingleton(scheduling);
        services.AddTransient<ScheduledSendJob>();
        services.AddSingleton<IScheduledSends, QuartzScheduledSends>();
        // Quartz takes its clock from the container (the TimeProvider AddCoordBot registers), so a test
        // that registers a fake TimeProvider drives the scheduler's clock too.
        services.AddQuartz(q =>
        {
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
                // Clustering stays off: see SchedulingOptions.Clustered.
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
