using CoordBot.Chat;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace CoordBot.Tests.Chat;

public sealed class WorkQueueTests
{
    [Fact]
    public async Task Work_with_one_order_key_runs_in_order_while_other_keys_run_alongside()
    {
        var queue = new WorkQueue(NullLogger<WorkQueue>.Instance);
        await queue.StartAsync(CancellationToken.None);
        var order = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var slowStarted = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var finished = new CountdownEvent(4);

        // The first item of conversation A is slow; the second must still come after it.
        await queue.EnqueueAsync("a1", "A", async _ => { slowStarted.SetResult(); await release.Task; order.Enqueue("a1"); finished.Signal(); });
        await queue.EnqueueAsync("a2", "A", _ => { order.Enqueue("a2"); finished.Signal(); return Task.CompletedTask; });
        await queue.EnqueueAsync("b1", "B", _ => { order.Enqueue("b1"); finished.Signal(); return Task.CompletedTask; });
        await slowStarted.Task;
        await queue.EnqueueAsync("a3", "A", _ => { order.Enqueue("a3"); finished.Signal(); return Task.CompletedTask; });

        for (var i = 0; i < 100 && !order.Contains("b1"); i++) await Task.Delay(10);
        Assert.Equal(["b1"], order);   // B did not wait for A
        release.SetResult();
        for (var i = 0; i < 200 && finished.CurrentCount > 0; i++) await Task.Delay(10);
        Assert.Equal(["b1", "a1", "a2", "a3"], order);
        await queue.StopAsync(CancellationToken.None);
    }
}
