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
    public static Task DelayAsync(TimeSpan delay, TimeProvider time, CancellationToken ct) =>
        delay <= TimeSpan.Zero ? Task.CompletedTask : WaitAsync(async () => { await Task.Delay(delay, time, ct); return true; }, ct);

    /// <summary>Awaits <paramref name="wait"/> (a rate limiter's queue) without the current send slot.</summary>
    public static async Task<T> WaitAsync<T>(Func<Task<T>> wait, CancellationToken ct)
    {
        var slot = Current.Value;
        if (slot is null || !slot.Held) return await wait();
        slot.Release();
        try
        {
            return await wait();
        }
        finally
        {
            await slot.ReacquireAsync(ct);
        }
    }

    /// <summary>Marks the current async flow (one send) as holding <paramref name="slot"/>; the mark ends with the calling async method.</summary>
    internal static void Enter(SendSlot slot) => Current.Value = slot;

    /// <summary>One taken slot of the dispatcher's <see cref="SendSlots"/>; released for pacing waits and when the send ends.</summary>
    internal sealed class SendSlot(SendSlots slots) : IDisposable
    {
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
/// before new sends. A paced send has its turn at the platform reserved; making it queue behind new
/// sends would make it late, and a late call squeezes the calls after it (the platform counts arrivals).
/// </summary>
internal sealed class SendSlots(int count)
{
    private readonly Lock _gate = new();
    private readonly Queue<TaskCompletionSource> _returning = new();
    private readonly Queue<TaskCompletionSource> _new = new();
    private int _free = count;

    public async Task TakeAsync(bool returning, CancellationToken ct)
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
            (returning ? _returning : _new).Enqueue(waiter);
        }
        using (ct.Register(() => waiter.TrySetCanceled(ct)))
            await waiter.Task;
    }

    public void Release()
    {
        lock (_gate)
        {
            // Hand the slot straight to a waiter (skipping cancelled ones), returning sends first.
            while (_returning.TryDequeue(out var next) || _new.TryDequeue(out next))
                if (next.TrySetResult()) return;
            _free++;
        }
    }
}
