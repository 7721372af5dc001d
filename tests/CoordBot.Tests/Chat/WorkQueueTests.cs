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
        var otherDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // The first item of conversation A is slow; the second must still come after it.
        await queue.EnqueueAsync("a1", "A", async _ => { slowStarted.SetResult(); await release.Task; order.Enqueue("a1"); });
        await queue.EnqueueAsync("a2", "A", _ => { order.Enqueue("a2"); return Task.CompletedTask; });
        await queue.EnqueueAsync("b1", "B", _ => { order.Enqueue("b1"); otherDone.SetResult(); return Task.CompletedTask; });
        await slowStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await queue.EnqueueAsync("a3", "A", _ => { order.Enqueue("a3"); return Task.CompletedTask; });

        await otherDone.Task.WaitAsync(TimeSpan.FromSeconds(30));   // B runs while A's first item is still held
        Assert.Equal(["b1"], order);
        var idle = queue.WhenIdleAsync();
        Assert.False(idle.IsCompleted);                               // a1, a2 and a3 are still to run
        release.SetResult();
        await idle.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["b1", "a1", "a2", "a3"], order);
        Assert.True(queue.WhenIdleAsync().IsCompleted);
        await queue.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Idle_waits_for_work_queued_by_work()
    {
        var queue = new WorkQueue(NullLogger<WorkQueue>.Instance);
        Assert.True(queue.WhenIdleAsync().IsCompleted);   // nothing queued
        await queue.StartAsync(CancellationToken.None);
        var release = new TaskCompletionSource();
        var ran = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await queue.EnqueueAsync("first", async _ =>
        {
            await release.Task;
            ran.Enqueue("first");
            await queue.EnqueueAsync("follow-up", async _ => { await Task.Yield(); ran.Enqueue("follow-up"); });
        });
        await queue.EnqueueAsync("failing", _ => throw new InvalidOperationException("test"));
        var idle = queue.WhenIdleAsync();
        Assert.False(idle.IsCompleted);
        release.SetResult();
        await idle.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["first", "follow-up"], ran);   // a failing item counts as done too
        await queue.StopAsync(CancellationToken.None);
    }
}
