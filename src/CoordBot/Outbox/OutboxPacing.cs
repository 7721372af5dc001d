namespace CoordBot.Outbox;

/// <summary>
/// Lets a platform's rate limiter wait inside an outbox send without holding one of the
/// dispatcher's send slots (<see cref="OutboxOptions.MaxConcurrentSends"/>): a message paced to one
/// channel or workspace must not keep unrelated workspaces from sending. The dispatcher marks each
/// send's async flow with its slot; a limiter that has to wait calls <see cref="DelayAsync"/> or
/// <see cref="WaitAsync{T}"/>, which give the slot back for the wait and take one again after it.
/// Outside an outbox send (a command's reply) these are plain waits.
/// </summary>
public static class OutboxPacing
{
    private static readonly AsyncLocal<SendSlot?> Current = new();

    /// <summary>Waits <paramref name="delay"/> on <paramref name="time"/>, without the current send slot.</summary>
    /// <remarks>In an outbox send the wait also ends when the host stops: nothing has been posted yet.</remarks>
    public static async Task DelayAsync(TimeSpan delay, TimeProvider time, CancellationToken ct)
    {
        if (delay <= TimeSpan.Zero) return;
        await WaitAsync(async stop => { await Task.Delay(delay, time, stop); return true; }, ct);
    }

    /// <summary>
    /// Awaits <paramref name="wait"/> (a rate limiter's queue) without the current send slot. The token
    /// it is given is <paramref name="ct"/>, joined in an outbox send by the host's stopping.
    /// </summary>
    public static async Task<T> WaitAsync<T>(Func<CancellationToken, Task<T>> wait, CancellationToken ct)
    {
        var slot = Current.Value;
        if (slot is null) return await wait(ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, slot.Stopping);
        if (!slot.Held) return await wait(stop.Token);
        slot.Release();
        try
        {
            return await wait(stop.Token);
        }
        finally
        {
            await slot.ReacquireAsync(stop.Token);
        }
    }

    /// <summary>Marks the current async flow (one send) as holding <paramref name="slot"/>; the mark ends with the calling async method.</summary>
    internal static void Enter(SendSlot slot) => Current.Value = slot;

    /// <summary>One taken slot of the dispatcher's <see cref="SendSlots"/>; released for pacing waits and when the send ends.</summary>
    internal sealed class SendSlot(SendSlots slots, CancellationToken stopping) : IDisposable
    {
        /// <summary>The host's stopping: ends pacing waits, not platform calls under way.</summary>
        public CancellationToken Stopping => stopping;

        public bool Held { get; private set; } = true;

        public void Release()
        {
            if (!Held) return;
            Held = false;
            slots.Release();
        }

        public async Task ReacquireAsync(CancellationToken ct)
        {
            if (Held) return;
            await slots.TakeAsync(returning: true, ct);
            Held = true;
        }

        public void Dispose() => Release();
    }
}

/// <summary>
/// The dispatcher's send slots: a counting semaphore whose waiters coming back from a pacing wait go
/// first (a paced send has its turn at the platform reserved; making it queue behind new sends would
/// make it late, and a late call squeezes the calls after it, since platforms count arrivals). New
/// sends are served round-robin by workspace, so a workspace with many destinations ready gets no
/// bigger share than one with a single message, and every workspace's first send (which starts its
/// pacing) goes early.
/// </summary>
internal sealed class SendSlots(int count)
{
    private readonly Lock _gate = new();
    private readonly Queue<TaskCompletionSource> _returning = new();
    private readonly Dictionary<string, Queue<TaskCompletionSource>> _new = new(StringComparer.Ordinal);
    private readonly Queue<string> _turns = new();   // workspaces with new sends waiting, in turn
    private int _free = count;

    public async Task TakeAsync(bool returning, CancellationToken ct, string workspace = "")
    {
        TaskCompletionSource waiter;
        lock (_gate)
        {
            if (_free > 0)
            {
                _free--;
                return;
            }
            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (returning) _returning.Enqueue(waiter);
            else
            {
                if (!_new.TryGetValue(workspace, out var queue))
                {
                    _new[workspace] = queue = new Queue<TaskCompletionSource>();
                    _turns.Enqueue(workspace);
                }
                queue.Enqueue(waiter);
            }
        }
        using (ct.Register(() => waiter.TrySetCanceled(ct)))
            await waiter.Task;
    }

    public void Release()
    {
        lock (_gate)
        {
            // Hand the slot straight to a waiter (skipping cancelled ones): returning sends first, then
            // the next workspace in turn.
            while (_returning.TryDequeue(out var back))
                if (back.TrySetResult()) return;
            while (_turns.TryDequeue(out var workspace))
            {
                var queue = _new[workspace];
                var handed = false;
                while (!handed && queue.TryDequeue(out var next)) handed = next.TrySetResult();
                if (queue.Count > 0) _turns.Enqueue(workspace);
                else _new.Remove(workspace);
                if (handed) return;
            }
            _free++;
        }
    }
}
