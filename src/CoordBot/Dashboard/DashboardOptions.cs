namespace CoordBot.Dashboard;

/// <summary>
/// The <c>Dashboard</c> configuration section: how long a link from <c>coord dashboard</c> can be opened, and how long
/// the browser session it starts lasts (<c>Dashboard:LinkLifetime</c>, default 12 hours).
/// </summary>
public sealed record DashboardOptions
{
    /// <summary>The shortest and longest lifetimes accepted at start-up.</summary>
    public static readonly TimeSpan MinLifetime = TimeSpan.FromMinutes(1), MaxLifetime = TimeSpan.FromDays(7);

    public TimeSpan LinkLifetime { get; init; } = TimeSpan.FromHours(12);

    /// <summary>The problem with the settings, naming the key, or null when they are usable.</summary>
    public string? Problem => LinkLifetime < MinLifetime || LinkLifetime > MaxLifetime
        ? $"Dashboard:LinkLifetime must be from 00:01:00 to 7.00:00:00 (one minute to seven days), not {LinkLifetime}."
        : null;
}
