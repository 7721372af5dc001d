using CoordBot.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CoordBot.Outbox;

/// <summary>
/// The hosted loop that sends due outbox messages through the sender of their platform. It claims due
/// messages in batches and keeps claiming while it has room, so one slow workspace does not hold up
/// the next batch. Claimed messages queue per destination (platform, workspace, destination): one
/// message at a time per destination, in order; up to <see cref="OutboxOptions.MaxConcurrentSendsPerWorkspace"/>
/// destinations per workspace and <see cref="OutboxOptions.MaxConcurrentSends"/> platform calls in all
/// at once. Errors retry with exponential backoff (or the platform's <c>Retry-After</c>) and count
/// toward <see cref="OutboxOptions.MaxAttempts"/>; rate limiting (<see cref="SendResult.RateLimited"/>)
/// defers the one message without counting. A message waiting for a retry holds back the later
/// messages to its destination, so they keep their order.
/// </summary>
public sealed class OutboxDispatcher(
    OutboxStore store,
    IEnumerable<IChannelSender> senders,
    OutboxOptions options,
    TimeProvider time,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private static readonly TimeSpan MinWait = TimeSpan.FromMilliseconds(10);

    private readonly Dictionary<string, IChannelSender> _senders = senders.ToDictionary(s => s.Platform, StringComparer.OrdinalIgnoreCase);
    private readonly OutboxLanes _lanes = new(options, time);
    private readonly SemaphoreSlim _wake = new(0);
    private readonly SendSlots _slots = new(Math.Max(1, options.MaxConcurrentSends));
    private readonly Lock _workersGate = new();
    private readonly List<Task> _workers = [];
    private readonly CancellationTokenSource _abandon = new(Timeout.InfiniteTimeSpan, time);   // cancels platform calls under way: StopGrace after stopping

    /// <summary>Asks the loop to look now instead of at the next poll (call after enqueueing).</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0) _wake.Release();
    }

    /// <summary>Messages claimed and not yet recorded (diagnostics, tests).</summary>
    public int HeldCount => _lanes.HeldCount;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var grace = stoppingToken.Register(() => _abandon.CancelAfter(options.StopGrace));
        var renewEvery = options.Lease / 3;
        var renewAt = time.GetUtcNow() + renewEvery;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    // A round of claims first, then its workers: with a big backlog every workspace then
                    // starts sending (and its pacing starts) at once, instead of the last claimed ones
                    // starting late behind the first ones' sends.
                    var starts = new List<OutboxLanes.Workspace>();
                    while (await ClaimAsync(options.BatchSize, starts, stoppingToken)) { }
                    StartWorkers(starts, stoppingToken);
                    if (time.GetUtcNow() >= renewAt)
                    {
                        var (ids, retrying) = _lanes.ToRenew();
                        await store.RenewClaimsAsync(ids, retrying, time.GetUtcNow() + options.Lease, stoppingToken);
                        renewAt = time.GetUtcNow() + renewEvery;
                    }
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogError(e, "Outbox dispatch failed; retrying after the poll interval");
                }
                catch (Exception) when (stoppingToken.IsCancellationRequested)
                {
                    // Stopping while a claim was in flight: Npgsql reports the cancelled query as its own
                    // exception, not always an OperationCanceledException. The dispatcher ends quietly; an
                    // exception escaping here would make the host stop the whole application.
                    break;
                }
                try
                {
                    using var poll = new CancellationTokenSource(NextWait(renewAt), time);
                    using var delay = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, poll.Token);
                    await _wake.WaitAsync(delay.Token);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested) { }
                catch (OperationCanceledException) { break; }
            }
        }
        finally
        {
            await StopWorkersAsync();
        }
    }

    /// <summary>Stops the loop; calls under way get <see cref="OutboxOptions.StopGrace"/>, or until <paramref name="cancellationToken"/> (the host's shutdown timeout).</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        using var timeout = cancellationToken.Register(_abandon.Cancel);
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        base.Dispose();
        _abandon.Dispose();
    }

    /// <summary>Sends one batch of due messages (concurrently, as the loop does) and waits until each is recorded; returns how many were claimed.</summary>
    public async Task<int> DispatchDueAsync(CancellationToken ct)
    {
        var batch = await store.ClaimDueAsync(time.GetUtcNow(), options.Lease, options.BatchSize, ct);
        var starts = new List<OutboxLanes.Workspace>();
        var done = await AcceptAsync(batch, starts, ct);
        StartWorkers(starts, ct);
        await Task.WhenAll(done).WaitAsync(ct);
        return batch.Count;
    }

    /// <summary>Claims up to <paramref name="limit"/> more (within MaxHeld); true when the claim was full, so more may be due.</summary>
    private async Task<bool> ClaimAsync(int limit, List<OutboxLanes.Workspace> starts, CancellationToken ct)
    {
        var room = _lanes.Room(limit);
        if (room <= 0) return false;
        var batch = await store.ClaimDueAsync(time.GetUtcNow(), options.Lease, room, ct);
        await AcceptAsync(batch, starts, ct);
        return batch.Count == room;
    }

    /// <summary>Hands a claimed batch to the lanes and puts back in the table what they defer.</summary>
    private async Task<List<Task>> AcceptAsync(IReadOnlyList<OutboxMessage> batch, List<OutboxLanes.Workspace> starts, CancellationToken ct)
    {
        var accepted = _lanes.Accept(batch);
        starts.AddRange(accepted.Starts);
        foreach (var (message, retryAt, reason) in accepted.Deferred)
            await store.DeferAsync(message.Id, retryAt, reason, ct);
        if (accepted.Deferred.Count > 0)
            logger.LogDebug("Put back {Count} claimed messages for later (workspace share, or behind an earlier message)", accepted.Deferred.Count);
        return accepted.Done;
    }

    /// <summary>Starts the workers the lanes asked for, one per entry.</summary>
    private void StartWorkers(List<OutboxLanes.Workspace> starts, CancellationToken ct)
    {
        if (starts.Count == 0) return;
        lock (_workersGate)
        {
            _workers.RemoveAll(w => w.IsCompleted);
            foreach (var workspace in starts) _workers.Add(RunWorkerAsync(workspace, ct));
        }
    }

    /// <summary>One of a workspace's workers: takes its destinations round-robin, one message at a time.</summary>
    private async Task RunWorkerAsync(OutboxLanes.Workspace workspace, CancellationToken ct)
    {
        await Task.Yield();   // off the claiming caller's stack
        while (_lanes.Take(workspace, ct.IsCancellationRequested) is { } held)
        {
            try
            {
                await ProcessAsync(held, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // Not recorded: the claim runs out and the message is tried again then.
                logger.LogError(e, "Recording the outcome of {Key} failed; it goes again after its lease", held.Message.Key);
            }
            catch (OperationCanceledException) { }
            finally
            {
                if (_lanes.Finish(workspace, held)) Wake();
            }
        }
    }

    private async Task ProcessAsync(OutboxLanes.Held held, CancellationToken ct)
    {
        var message = held.Message;
        if (_lanes.HeldBack(held) is { } at)
        {
            // An earlier message to this destination waits for its retry: this one goes after it.
            await store.DeferAsync(message.Id, at, OutboxLanes.AfterEarlier, ct);
            _lanes.RememberRetry(at, message);
            return;
        }
        using var span = OutboxTelemetry.StartSend(message.Platform);
        var result = await SendAsync(message, ct);
        // Once the platform has answered, the answer is recorded even when the host is stopping: a send
        // left unrecorded would go again after its lease, and a delivered one would be delivered twice.
        var retryAt = await RecordAsync(message, result, CancellationToken.None);
        OutboxTelemetry.Sent(span, message.Platform, result, retryAt is not null);
        if (retryAt is { } again) _lanes.Retry(held, again);
    }

    /// <summary>One send through the platform's sender, holding a send slot except while it waits for pacing.</summary>
    private async Task<SendResult> SendAsync(OutboxMessage message, CancellationToken ct)
    {
        if (!_senders.TryGetValue(message.Platform, out var sender))
            return new SendResult.Permanent($"no sender for platform '{message.Platform}'");
        if (sender.ChecksEarlierDelivery && !message.MaybeSent) await store.MarkTryingAsync(message.Id, time.GetUtcNow(), ct);
        await _slots.TakeAsync(returning: false, ct, message.Platform + "\n" + message.WorkspaceId);
        // The call itself is cut off only after the stop grace (see OutboxOptions.StopGrace); its pacing waits stop with ct.
        using var slot = new OutboxPacing.SendSlot(_slots, ct);
        OutboxPacing.Enter(slot);
        try
        {
            return await sender.SendAsync(message, _abandon.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return new SendResult.Transient($"{e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Stores the outcome; returns when the message goes again, if it does.</summary>
    private async Task<DateTimeOffset?> RecordAsync(OutboxMessage message, SendResult result, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        switch (result)
        {
            case SendResult.SentResult:
                await store.MarkSentAsync(message.Id, now, ct);
                logger.LogInformation("Sent {Key} to {Platform} {Destination}", message.Key, message.Platform, message.Destination);
                return null;
            case SendResult.RateLimited r:
                var at = now + (r.RetryAfter > TimeSpan.Zero ? r.RetryAfter : TimeSpan.FromSeconds(1));
                await store.DeferAsync(message.Id, at, r.Error, ct, forgetTry: r.NothingPosted);
                logger.LogWarning("Sending {Key} is rate limited; trying again in {Wait} (not counted as an attempt)", message.Key, at - now);
                return at;
            case SendResult.Transient t when message.Attempts + 1 < options.MaxAttempts:
                var wait = t.RetryAfter ?? Backoff(message.Attempts);
                await store.MarkRetryAsync(message.Id, now + wait, t.Error, ct);
                logger.LogWarning("Sending {Key} failed ({Error}); retry {Attempt} in {Wait}", message.Key, t.Error, message.Attempts + 2, wait);
                return now + wait;
            case SendResult.Transient t:
                await store.MarkFailedAsync(message.Id, $"gave up after {options.MaxAttempts} attempts: {t.Error}", time.GetUtcNow(), ct);
                logger.LogError("Gave up on {Key} after {Attempts} attempts: {Error}", message.Key, options.MaxAttempts, t.Error);
                return null;
            case SendResult.Permanent p:
                await store.MarkFailedAsync(message.Id, p.Error, time.GetUtcNow(), ct);
                logger.LogError("Sending {Key} failed permanently: {Error}", message.Key, p.Error);
                return null;
            default:
                throw new InvalidOperationException($"Unknown send result {result}.");
        }
    }

    /// <summary>FirstRetry × 2^attempts, capped at MaxRetry.</summary>
    internal TimeSpan Backoff(int attempts) =>
        TimeSpan.FromTicks(Math.Min(options.MaxRetry.Ticks, options.FirstRetry.Ticks * (1L << Math.Min(attempts, 30))));

    /// <summary>How long the loop may sleep: the poll interval, or less when a known retry or the claim renewal comes sooner.</summary>
    private TimeSpan NextWait(DateTimeOffset renewAt)
    {
        var now = time.GetUtcNow();
        var next = now + options.PollInterval;
        if (_lanes.NextRetry() is { } retry && retry < next) next = retry;
        if (renewAt < next) next = renewAt;
        var wait = next - now;
        return wait < MinWait ? MinWait : wait;
    }

    /// <summary>On shutdown: waits for the sends in progress to end, and hands back the claims never tried.</summary>
    private async Task StopWorkersAsync()
    {
        Task[] workers;
        lock (_workersGate) workers = [.. _workers];
        await Task.WhenAll(workers);
        var untried = _lanes.Untried();
        try
        {
            await store.ReleaseClaimsAsync(untried, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not hand back {Count} claimed messages; they go after their lease", untried.Count);
        }
    }
}
