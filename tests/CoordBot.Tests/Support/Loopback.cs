using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CoordBot.Tests.Support;

/// <summary>The real HTTP servers the fakes (Slack, Bot Framework, Socket Mode, feeds) run on: Kestrel on a free 127.0.0.1 port.</summary>
public static class Loopback
{
    /// <summary>A slim app bound to 127.0.0.1 port 0, without log output; map endpoints, then <see cref="StartAsync"/>.</summary>
    public static WebApplication CreateApp()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        return app;
    }

    /// <summary>Starts the app and returns its base address (with a trailing slash).</summary>
    public static async Task<Uri> StartAsync(WebApplication app)
    {
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address.TrimEnd('/') + "/");
    }
}
