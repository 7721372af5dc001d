using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CoordBot.Chat;

/// <summary>
/// Work that continues after a channel has acknowledged a request (Slack's 3-second rule): late
/// replies, follow-up pages, event handling. A few workers run items concurrently; a failing item
/// is logged and never stops the queue.
/// </summary>
public sealed class WorkQueue(ILogger<WorkQueue> logger) : BackgroundService
{
    private const int Workers = 4;
    private readonly Channel<(string Name, Func<CancellationToken, Task> Work)> _items =
        Channel.CreateBounded<(string, Func<CancellationToken, Task>)>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.Wait });

    /// <summary>Queues work; <paramref name="name"/> names it in logs.</summary>
    public ValueTask EnqueueAsync(string name, Func<CancellationToken, Task> work) => _items.Writer.WriteAsync((name, work));

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => RunAsync(stoppingToken)));

    private async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var (name, work) in _items.Reader.ReadAllAsync(ct))
            {
                try { await work(ct); }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    logger.LogError(e, "Background work {Work} failed", name);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }
}
