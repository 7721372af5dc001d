using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace CoordBot.Tests.Support;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that tells when code under test starts a timer (a Task.Delay, a
/// WaitAsync timeout, a CancellationTokenSource deadline on this clock), so a test can advance the clock
/// exactly once the wait it means to cut short exists, instead of stepping time and hoping.
/// </summary>
public sealed class TimerClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly ConcurrentQueue<TimeSpan> _started = new();
    private readonly SemaphoreSlim _signal = new(0);

    /// <summary>The due time of every timer started so far, in order.</summary>
    public IReadOnlyList<TimeSpan> Timers => [.. _started];

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _started.Enqueue(dueTime);
        _signal.Release();
        return timer;
    }

    /// <summary>Waits (up to 30 s) until at least <paramref name="count"/> timers have been started.</summary>
    public async Task WaitForTimersAsync(int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (_started.Count < count) await _signal.WaitAsync(timeout.Token);
    }

    /// <summary>Waits (up to 30 s) until a timer with a due time matching <paramref name="match"/> has been started.</summary>
    public async Task WaitForTimerAsync(Func<TimeSpan, bool> match)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!_started.Any(match)) await _signal.WaitAsync(timeout.Token);
    }
}
