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

    // Items queued or running, and the signal for when that count next falls to zero (see WhenIdleAsync).
    private readonly Lock _countGate = new();
    private int _pending;
    private TaskCompletionSource? _idle;

    /// <summary>Queues work; <paramref name="name"/> names it in logs.</summary>
    public async ValueTask EnqueueAsync(string name, Func<CancellationToken, Task> work)
    {
        lock (_countGate) _pending++;
        try
        {
            await _items.Writer.WriteAsync((name, work));
        }
        catch
        {
            Done();
            throw;
        }
    }

    /// <summary>
    /// Completes when nothing is queued or running: every item queued before the call has finished,
    /// with the work those items queued in turn. Lets a caller (a test) wait for the outcome of a
    /// request that was acknowledged before it was handled.
    /// </summary>
    public Task WhenIdleAsync(CancellationToken ct = default)
    {
        lock (_countGate)
        {
            if (_pending == 0) return Task.CompletedTask;
            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _idle.Task.WaitAsync(ct);
        }
    }

    private void Done()
    {
        TaskCompletionSource? idle = null;
        lock (_countGate)
        {
            if (--_pending == 0) (idle, _idle) = (_idle, null);
        }
        idle?.TrySetResult();
    }

    // The last queued item of each order key; an item starts only after the one queued before it with the same key.
    private readonly Dictionary<string, Task> _tails = [];

    /// <summary>
    /// Queues work that must run after earlier work with the same <paramref name="orderKey"/> (a
    /// conversation: two quick messages are answered in the order they were sent). Items with other
    /// keys still run alongside. Items are taken in queue order, so the one waited for is always running.
    /// </summary>
    public ValueTask EnqueueAsync(string name, string orderKey, Func<CancellationToken, Task> work)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task previous;
        lock (_tails)
        {
            previous = _tails.GetValueOrDefault(orderKey) ?? Task.CompletedTask;
            _tails[orderKey] = done.Task;
        }
        return EnqueueAsync(name, async ct =>
        {
            try
            {
                await previous.WaitAsync(ct);
                await work(ct);
            }
            finally
            {
                done.TrySetResult();
                lock (_tails)
                {
                    if (_tails.TryGetValue(orderKey, out var tail) && tail == done.Task) _tails.Remove(orderKey);
                }
            }
        });
    }

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
                finally { Done(); }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }
}
