using CoordBot.Host;
using CoordBot.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Xunit;

namespace CoordBot.Tests.Telemetry;

/// <summary>When telemetry is on, where it goes, and the refusal of settings that cannot be an OTLP collector.</summary>
public sealed class TelemetrySettingsTests : IDisposable
{
    private readonly TestDatabase _db = new();

    public void Dispose() => _db.Dispose();

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(v => v.Key, v => (string?)v.Value)).Build();

    [Fact]
    public async Task Without_a_collector_telemetry_is_off_and_no_provider_exists()
    {
        Assert.Null(HostTelemetry.Decide(Config()));
        await using var host = new TestHost(_db);
        Assert.Null(host.Services.GetService<TracerProvider>());
        Assert.Null(host.Services.GetService<MeterProvider>());
    }

    [Fact]
    public async Task Telemetry_Otlp_turns_it_on_and_wins_over_the_standard_variable()
    {
        var own = HostTelemetry.Decide(Config(("Telemetry:Otlp", "http://collector:4318"), ("Telemetry:OtlpProtocol", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://other:4317")))!.Value;
        Assert.Equal(new Uri("http://collector:4318"), own.Endpoint);
        Assert.Equal(OtlpExportProtocol.HttpProtobuf, own.Protocol);
        Assert.True(own.FromSettings);
        var standard = HostTelemetry.Decide(Config(("OTEL_EXPORTER_OTLP_ENDPOINT", "https://intake.example.com")))!.Value;
        Assert.Equal(new Uri("https://intake.example.com"), standard.Endpoint);
        Assert.Equal(OtlpExportProtocol.Grpc, standard.Protocol);
        Assert.False(standard.FromSettings);

        await using var host = new TestHost(_db, settings: new() { ["Telemetry:Otlp"] = "http://127.0.0.1:9" });
        Assert.NotNull(host.Services.GetService<TracerProvider>());
        Assert.NotNull(host.Services.GetService<MeterProvider>());
    }

    [Fact]
    public void A_collector_url_or_protocol_that_cannot_be_one_fails_start_up_naming_the_key()
    {
        foreach (var (key, value) in new[] { ("Telemetry:Otlp", "collector:4317"), ("Telemetry:Otlp", "ftp://collector"), ("Telemetry:Otlp", "not a url") })
        {
            var error = Assert.ThrowsAny<Exception>(() => new TestHost(_db, settings: new() { [key] = value }));
            Assert.Contains(key, Host.SafeDefaultsTests.Innermost(error).Message);
        }
        var protocol = Assert.ThrowsAny<Exception>(() => new TestHost(_db, settings: new() { ["Telemetry:Otlp"] = "http://127.0.0.1:9", ["Telemetry:OtlpProtocol"] = "udp" }));
        Assert.Contains("Telemetry:OtlpProtocol", Host.SafeDefaultsTests.Innermost(protocol).Message);
    }
}
