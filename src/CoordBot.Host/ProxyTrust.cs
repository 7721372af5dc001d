using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace CoordBot.Host;

/// <summary>
/// Behind a reverse proxy that terminates TLS (<c>ForwardedHeaders:Enabled</c>): X-Forwarded-For and
/// X-Forwarded-Proto are believed only from the listed proxies. X-Forwarded-Host is not used: no URL is
/// built from the request's host (links and Slack's redirect_uri come from Bot:PublicBaseUrl).
/// </summary>
public static class ProxyTrust
{
    public static void AddProxyTrust(this IServiceCollection services, ForwardedHeadersSettings settings)
    {
        if (!settings.Enabled) return;
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // With neither list configured, ASP.NET Core's default stays: a proxy on loopback.
            if (settings.KnownProxies.Length == 0 && settings.KnownNetworks.Length == 0) return;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var proxy in settings.KnownProxies) o.KnownProxies.Add(IPAddress.Parse(proxy));
            foreach (var network in settings.KnownNetworks) o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        });
    }

    /// <summary>First in the pipeline, so every later step sees the client's scheme and address.</summary>
    public static void UseProxyTrust(this WebApplication app)
    {
        if (app.Services.GetRequiredService<HostSettings>().ForwardedHeaders.Enabled) app.UseForwardedHeaders();
    }
}
