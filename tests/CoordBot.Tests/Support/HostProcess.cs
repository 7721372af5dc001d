using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CoordBot.Tests.Support;

/// <summary>
/// The real host in a process of its own: <c>dotnet CoordBot.Host.dll</c> (the build the tests reference),
/// configured only through environment variables as a deployment would be, on a loopback port it picks
/// itself. Its console log is kept (the last lines go into failure messages).
/// </summary>
public sealed partial class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _log = [];
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HostProcess(string name, IReadOnlyDictionary<string, string> environment)
    {
        Name = name;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "CoordBot.Host.dll"));
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        foreach (var (key, value) in environment) start.Environment[key] = value;
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Read(e.Data);
        _process.ErrorDataReceived += (_, e) => Read(e.Data);
        _process.Exited += (_, _) => _listening.TrySetException(new InvalidOperationException($"{Name} exited before listening:\n{Tail()}"));
    }

    public string Name { get; }
    public Uri BaseAddress { get; private set; } = null!;
    public bool HasExited => _process.HasExited;

    /// <summary>Starts the host and waits until it listens and answers <c>/readyz</c>.</summary>
    public static async Task<HostProcess> StartAsync(string name, IReadOnlyDictionary<string, string> environment, TimeSpan? timeout = null)
    {
        var host = new HostProcess(name, environment);
        host._process.Start();
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        try
        {
            host.BaseAddress = await host._listening.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
            using var http = new HttpClient { BaseAddress = host.BaseAddress };
            for (var i = 0; ; i++)
            {
                var ready = await http.GetAsync("/readyz");
                if (ready.IsSuccessStatusCode) break;
                if (i == 100) throw new InvalidOperationException($"{name} is not ready: {await ready.Content.ReadAsStringAsync()}\n{host.Tail()}");
                await Task.Delay(100);
            }
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>This instance's id in the outbox (from <c>/readyz</c>).</summary>
    public async Task<string> InstanceAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress };
        using var body = JsonDocument.Parse(await http.GetStringAsync("/readyz"));
        return body.RootElement.GetProperty("instance").GetString()!;
    }

    /// <summary>Kills the process outright (SIGKILL): no shutdown, no hand-back of anything.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>The last lines the host logged.</summary>
    public string Tail(int lines = 60)
    {
        // Stack frames and 429 retries left out (counted): the other messages say more per line.
        lock (_log)
        {
            var retries = _log.Count(l => l.Contains("answered 429; retrying", StringComparison.Ordinal));
            var kept = _log.Where(l => !l.TrimStart().StartsWith("at ", StringComparison.Ordinal) && !l.Contains("answered 429; retrying", StringComparison.Ordinal))
                .Where(l => l.Trim() != "warn: CoordBot.Slack.Api.SlackApiClient[0]");
            return $"--- {Name} ({retries} 429s retried) ---\n" + string.Join('\n', kept.TakeLast(lines));
        }
    }

    private void Read(string? line)
    {
        if (line is null) return;
        lock (_log)
        {
            _log.Add(line);
            if (_log.Count > 2000) _log.RemoveRange(0, 1000);
        }
        if (Listening().Match(line) is { Success: true } match) _listening.TrySetResult(new Uri(match.Groups[1].Value));
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
