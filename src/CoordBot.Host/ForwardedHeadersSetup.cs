using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace CoordBot.Host;

/// <summary>
/// Behind a TLS-terminating reverse proxy (docs/deployment.md#reverse-proxy): with <c>ForwardedHeaders:Enabled</c>,
/// <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> from the proxies in <c>ForwardedHeaders:KnownProxies</c> (IP
/// addresses) or <c>ForwardedHeaders:KnownNetworks</c> (CIDR ranges) are believed, so the host sees the client's
/// address and https. With neither listed, only a proxy on loopback is believed; a list replaces that default.
/// Headers from anyone else are ignored. The host never takes
/// its public address from <c>X-Forwarded-Host</c> or <c>Host</c>: links and redirects use <c>Bot:PublicBaseUrl</c>.
/// </summary>
public static class ForwardedHeadersSetup
{
    public sealed record Settings
    {
        public bool Enabled { get; init; }
        public string[] KnownProxies { get; init; } = [];
        public string[] KnownNetworks { get; init; } = [];
    }

    public static void AddForwardedHeaders(this WebApplicationBuilder builder)
    {
        var settings = builder.Configuration.GetSection("ForwardedHeaders").Get<Settings>() ?? new Settings();
        builder.Services.AddSingleton(settings);
        if (!settings.Enabled) return;
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.ForwardLimit = 1;
            if (settings.KnownProxies.Any(p => !string.IsNullOrWhiteSpace(p)) || settings.KnownNetworks.Any(n => !string.IsNullOrWhiteSpace(n)))
            {
                o.KnownProxies.Clear();
                o.KnownIPNetworks.Clear();
            }
            foreach (var proxy in settings.KnownProxies.Where(p => !string.IsNullOrWhiteSpace(p)))
                o.KnownProxies.Add(IPAddress.TryParse(proxy.Trim(), out var address)
                    ? address
                    : throw new InvalidOperationException($"ForwardedHeaders:KnownProxies has \"{proxy}\", which is not an IP address."));
            foreach (var network in settings.KnownNetworks.Where(n => !string.IsNullOrWhiteSpace(n)))
                o.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(network.Trim(), out var range)
                    ? range
                    : throw new InvalidOperationException($"ForwardedHeaders:KnownNetworks has \"{network}\", which is not a CIDR range such as 10.0.0.0/8."));
        });
    }

    public static void UseForwardedHeadersWhenConfigured(this WebApplication app)
    {
        if (app.Services.GetRequiredService<Settings>().Enabled) app.UseForwardedHeaders();
    }
}
