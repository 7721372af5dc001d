using System.Net;
using CoordBot.Dashboard;
using CoordBot.Data;
using CoordBot.Elections;
using CoordBot.Outbox;
using CoordBot.Scheduling;

namespace CoordBot.Host;

/// <summary>The <c>Local</c> section: the local web chat (see docs/security.md: anyone who reaches it acts as anyone).</summary>
public sealed record LocalOptions
{
    /// <summary>On or off; unset means on in the Development environment only.</summary>
    public bool? Enabled { get; init; }

    /// <summary>Lets the local chat run outside Development while the host listens on a non-loopback address.</summary>
    public bool AllowNonLoopback { get; init; }
}

/// <summary>The <c>ForwardedHeaders</c> section: trust X-Forwarded-For/Proto from a reverse proxy that terminates TLS.</summary>
public sealed record ForwardedHeadersSettings
{
    public bool Enabled { get; init; }

    /// <summary>Proxy IP addresses whose forwarded headers are believed; with neither list set, loopback only.</summary>
    public string[] KnownProxies { get; init; } = [];

    /// <summary>Proxy networks in CIDR notation (e.g. <c>10.0.0.0/8</c>).</summary>
    public string[] KnownNetworks { get; init; } = [];
}

/// <summary>The <c>DataProtection</c> section: a certificate (.pfx) that encrypts the key ring at rest.</summary>
public sealed record KeyRingOptions
{
    public string? CertificatePath { get; init; }
    public string? CertificatePassword { get; init; }
}

/// <summary>Every options section the host reads, bound here once and checked at start-up with messages naming the key.</summary>
public sealed record HostSettings(
    StorageOptions Storage, OutboxOptions Outbox, FeedFetcherOptions Feeds, SchedulingOptions Scheduling,
    BotOptions Bot, LocalOptions Local, ForwardedHeadersSettings ForwardedHeaders, KeyRingOptions DataProtection, DashboardOptions Dashboard)
{
    /// <summary>Binds each section to its record (a value of the wrong type fails here, naming its key) and validates them.</summary>
    public static HostSettings Bind(IConfiguration config)
    {
        var options = new HostSettings(
            Section<StorageOptions>(config, "Storage"),
            Section<OutboxOptions>(config, "Outbox"),
            Section<FeedFetcherOptions>(config, "Elections"),
            Section<SchedulingOptions>(config, "Scheduling"),
            Section<BotOptions>(config, "Bot"),
            Section<LocalOptions>(config, "Local"),
            Section<ForwardedHeadersSettings>(config, "ForwardedHeaders"),
            Section<KeyRingOptions>(config, "DataProtection"),
            Section<DashboardOptions>(config, "Dashboard"));
        options.Validate();
        return options;
    }

    private static T Section<T>(IConfiguration config, string name) where T : new() => config.GetSection(name).Get<T>() ?? new T();

    private void Validate()
    {
        if (Storage.Provider is not { } provider || !(provider.Equals("sqlite", StringComparison.OrdinalIgnoreCase) || provider.Equals("postgres", StringComparison.OrdinalIgnoreCase)))
            throw new InvalidOperationException($"Storage:Provider must be sqlite or postgres, not '{Storage.Provider}'.");
        if (Bot.PublicBaseUrl is { Length: > 0 } && Bot.PublicBase is null)
            throw new InvalidOperationException("Bot:PublicBaseUrl must be an absolute http(s) URL such as https://coordbot.example.org.");
        foreach (var proxy in ForwardedHeaders.KnownProxies)
            if (!IPAddress.TryParse(proxy, out _))
                throw new InvalidOperationException($"ForwardedHeaders:KnownProxies has '{proxy}', which is not an IP address.");
        foreach (var network in ForwardedHeaders.KnownNetworks)
            if (!System.Net.IPNetwork.TryParse(network, out _))
                throw new InvalidOperationException($"ForwardedHeaders:KnownNetworks has '{network}', which is not a network in CIDR notation (e.g. 10.0.0.0/8).");
        if (Outbox.DegradedAfter <= TimeSpan.Zero)
            throw new InvalidOperationException($"Outbox:DegradedAfter must be a positive time span such as 00:10:00, not '{Outbox.DegradedAfter}'.");
        if (Dashboard.Problem is { } dashboard) throw new InvalidOperationException(dashboard);
        if (DataProtection.CertificatePath is { Length: > 0 } path && !File.Exists(path))
            throw new InvalidOperationException($"DataProtection:CertificatePath names '{path}', which does not exist.");
    }
}
