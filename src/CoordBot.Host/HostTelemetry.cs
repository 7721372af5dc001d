using CoordBot.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace CoordBot.Host;

/// <summary>
/// OpenTelemetry export (docs/observability.md): off unless <c>Telemetry:Otlp</c> or the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> names an OTLP collector. When on, CoordBot's spans and metrics
/// ("CoordBot"), ASP.NET Core's, and the log lines go to it. When off, nothing listens, so nothing is recorded.
/// </summary>
public static class HostTelemetry
{
    public const string OtlpKey = "Telemetry:Otlp";
    public const string ProtocolKey = "Telemetry:OtlpProtocol";
    public const string StandardEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Where to export, or null (telemetry off). A value that is not an absolute http(s) URL stops start-up, naming the key.</summary>
    public static (Uri Endpoint, OtlpExportProtocol Protocol, bool FromSettings)? Decide(IConfiguration config)
    {
        var own = config[OtlpKey];
        var standard = config[StandardEndpoint];
        var (key, value) = !string.IsNullOrWhiteSpace(own) ? (OtlpKey, own) : (StandardEndpoint, standard);
        if (string.IsNullOrWhiteSpace(value)) return null;
        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
            throw new InvalidOperationException($"{key} must be the OTLP collector's http(s) URL, e.g. http://localhost:4317 (got \"{value}\").");
        var protocol = config[ProtocolKey]?.Trim().ToLowerInvariant() switch
        {
            null or "" or "grpc" => OtlpExportProtocol.Grpc,
            "http/protobuf" or "http" => OtlpExportProtocol.HttpProtobuf,
            var other => throw new InvalidOperationException($"{ProtocolKey} must be grpc or http/protobuf (got \"{other}\")."),
        };
        return (endpoint, protocol, key == OtlpKey);
    }

    /// <summary>Adds OpenTelemetry with the OTLP exporter when <see cref="Decide"/> says so; returns whether it did.</summary>
    public static bool AddCoordBotTelemetry(this WebApplicationBuilder builder)
    {
        if (Decide(builder.Configuration) is not { } otlp) return false;
        var telemetry = builder.Services.AddOpenTelemetry()
            // service.name "coordbot" unless OTEL_SERVICE_NAME says otherwise, and a service.instance.id per process.
            .ConfigureResource(resource => resource.AddService(
                builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : "coordbot"))
            .WithTracing(tracing => tracing
                .AddSource(CoordBotTelemetry.Name)
                .AddAspNetCoreInstrumentation(o =>
                {
                    o.Filter = context => !context.Request.Path.StartsWithSegments("/healthz") && !context.Request.Path.StartsWithSegments("/readyz");
                    // A path or query may carry a credential (dashboard and chart links) or a user's name (the
                    // local chat): spans keep the route template (http.route) only.
                    o.EnrichWithHttpRequest = (activity, _) =>
                    {
                        activity.SetTag("url.path", null);
                        activity.SetTag("url.query", null);
                    };
                }))
            .WithMetrics(metrics => metrics
                .AddMeter(CoordBotTelemetry.Name)
                .AddAspNetCoreInstrumentation());
        // OTEL_EXPORTER_OTLP_* (endpoint, protocol, headers) are read by the exporter itself; Telemetry:Otlp overrides the endpoint.
        if (otlp.FromSettings) telemetry.UseOtlpExporter(otlp.Protocol, otlp.Endpoint);
        else telemetry.UseOtlpExporter();
        return true;
    }

    /// <summary>One start-up line: telemetry on (and where to), or off with the key that turns it on.</summary>
    public static void LogTelemetry(ILogger logger, IConfiguration config)
    {
        if (Decide(config) is { } otlp)
            logger.LogInformation("Telemetry: on, OTLP {Protocol} to {Endpoint} (traces, metrics and logs)",
                otlp.Protocol, otlp.Endpoint.GetLeftPart(UriPartial.Authority));
        else
            logger.LogInformation("Telemetry: off (set {Key} or {Standard} to an OTLP collector's URL to export traces, metrics and logs)", OtlpKey, StandardEndpoint);
    }
}
