using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CoordBot.Outbox;

/// <summary>What a channel's sender reports for one message.</summary>
public abstract record SendResult
{
    public static readonly SendResult Sent = new SentResult();
    public sealed record SentResult : SendResult;
    /// <summary>Worth another try (5xx, timeouts); <paramref name="RetryAfter"/> is the platform's own wait, when it gave one. Counts as an attempt.</summary>
    public sealed record Transient(string Error, TimeSpan? RetryAfter = null) : SendResult;
    /// <summary>
    /// The platform answered 429, or our own pacing of it would have waited too long: the message goes
    /// again after <paramref name="RetryAfter"/>. Never counts as an attempt, so pacing alone cannot fail a message.
    /// </summary>
    /// <remarks><paramref name="NothingPosted"/>: this try certainly delivered nothing and no earlier one may have, so the next try need not look.</remarks>
    public sealed record RateLimited(TimeSpan RetryAfter, string Error = "ratelimited", bool NothingPosted = false) : SendResult;
    /// <summary>Will never work (channel gone, token revoked); the message is marked failed.</summary>
    public sealed record Permanent(string Error) : SendResult;
}

/// <summary>
/// Delivers outbox messages on one platform. Implementations should be idempotent by
/// <see cref="OutboxMessage.Key"/> where the platform allows, since a crash after a send and before
/// it is recorded makes the dispatcher try that one message again. A sender that waits for its
/// platform's rate limits should wait through <see cref="OutboxPacing"/>.
/// </summary>
public interface IChannelSender
{
    string Platform { get; }
    Task<SendResult> SendAsync(OutboxMessage message, CancellationToken ct);

    /// <summary>
    /// Whether this sender looks for an earlier delivery of a message with <see cref="OutboxMessage.MaybeSent"/>
    /// (Slack: the key in the message's metadata). Only then does the dispatcher record, before each try,
    /// that a try begins.
    /// </summary>
    bool ChecksEarlierDelivery => false;
}

/// <summary>Outbox timing and concurrency: how often to look, how long a claim lasts, how retries back off, how much goes at once.</summary>
public sealed record OutboxOptions
{
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan Lease { get; init; } = TimeSpan.FromMinutes(2);
    public TimeSpan FirstRetry { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan MaxRetry { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Failed tries (errors, not rate limiting) before a message is given up.</summary>
    public int MaxAttempts { get; init; } = 12;

    /// <summary>
    /// Messages claimed from the database at a time. Large, because every claim sorts all due rows: a
    /// weekly prompt to 10,000 members is claimed in 20 rounds rather than 100.
    /// </summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>
    /// Platform calls in progress at once, across all workspaces. A send that waits for its
    /// platform's pacing gives its slot up meanwhile (<see cref="OutboxPacing"/>).
    /// </summary>
    public int MaxConcurrentSends { get; init; } = 32;

    /// <summary>
    /// Destinations of one workspace sent to at once (each destination gets one message at a time,
    /// in order). More would only queue at the workspace's own rate limit.
    /// </summary>
    public int MaxConcurrentSendsPerWorkspace { get; init; } = 8;

    /// <summary>Claimed messages held in memory for their turn, in all (their claims are renewed while they wait).</summary>
    public int MaxHeld { get; init; } = 10_000;

    /// <summary>
    /// Claimed messages held for one workspace; more of that workspace's backlog is put back for later
    /// (not as an attempt), so a huge or slow workspace cannot crowd the others out of the claims.
    /// </summary>
    public int MaxHeldPerWorkspace { get; init; } = 1_000;

    /// <summary>
    /// On shutdown, how long a platform call already under way may still take to answer. Waits for
    /// pacing end at once (nothing was posted yet); a call cut off mid-answer may have posted and would
    /// go again after its lease, so it gets this long to finish and be recorded.
    /// </summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(10);
}

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
    private const string AfterEarlier = "after an earlier message to the same destination";

    private readonly Dictionary<string, IChannelSender> _senders = senders.ToDictionary(s => s.Platform, StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim _wake = new(0);
    private readonly SendSlots _slots = new(Math.Max(1, options.MaxConcurrentSends));
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Workspace> _workspaces = new(StringComparer.Ordinal);
    private readonly Dictionary<long, Held> _held = [];
    private readonly Dictionary<string, Blocked> _blocked = new(StringComparer.Ordinal);
    private readonly PriorityQueue<long, long> _retries = new();   // UTC ticks of known retries, to wake for them
    private readonly Dictionary<(string Platform, string WorkspaceId), DateTimeOffset> _retryingUntil = [];   // the latest retry per workspace
    private readonly List<Task> _workers = [];
    private readonly CancellationTokenSource _abandon = new(Timeout.InfiniteTimeSpan, time);   // cancels platform calls under way: StopGrace after stopping
    private bool _pumpWantsRoom;

    /// <summary>Asks the loop to look now instead of at the next poll (call after enqueueing).</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0) _wake.Release();
    }

    /// <summary>Messages claimed and not yet recorded (diagnostics, tests).</summary>
    public int HeldCount
    {
        get { lock (_gate) return _held.Count; }
    }

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
                    var starts = new List<Workspace>();
                    while (await ClaimAsync(options.BatchSize, starts, stoppingToken)) { }
                    StartWorkers(starts, stoppingToken);
                    if (time.GetUtcNow() >= renewAt)
                    {
                        await RenewClaimsAsync(stoppingToken);
                        renewAt = time.GetUtcNow() + renewEvery;
                    }
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogError(e, "Outbox dispatch failed; retrying after the poll interval");
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
        var starts = new List<Workspace>();
        var done = await AcceptAsync(batch, starts, ct);
        StartWorkers(starts, ct);
        await Task.WhenAll(done).WaitAsync(ct);
        return batch.Count;
    }

    /// <summary>Claims up to <paramref name="limit"/> more (within MaxHeld); true when the claim was full, so more may be due.</summary>
    private async Task<bool> ClaimAsync(int limit, List<Workspace> starts, CancellationToken ct)
    {
        int room;
        lock (_gate)
        {
            room = Math.Min(limit, options.MaxHeld - _held.Count);
            _pumpWantsRoom = room <= 0;
        }
        if (room <= 0) return false;
        var batch = await store.ClaimDueAsync(time.GetUtcNow(), options.Lease, room, ct);
        await AcceptAsync(batch, starts, ct);
        return batch.Count == room;
    }

    /// <summary>
    /// Queues claimed messages on their destinations, adds the workers they need to <paramref name="starts"/>
    /// (see <see cref="StartWorkers"/>), and defers what is over a workspace's share.
    /// </summary>
    private async Task<List<Task>> AcceptAsync(IReadOnlyList<OutboxMessage> batch, List<Workspace> starts, CancellationToken ct)
    {
        var done = new List<Task>(batch.Count);
        var deferred = new List<(OutboxMessage Message, DateTimeOffset RetryAt, string Reason)>();
        var now = time.GetUtcNow();
        lock (_gate)
        {
            foreach (var message in batch)
            {
                if (_held.TryGetValue(message.Id, out var mine))
                {
                    done.Add(mine.Done.Task);   // our own claim came round again (its lease ran out while it waited)
                    continue;
                }
                var workspaceKey = message.Platform + "\n" + message.WorkspaceId;
                var laneKey = workspaceKey + "\n" + message.Destination;
                if (!_workspaces.TryGetValue(workspaceKey, out var workspace))
                    _workspaces[workspaceKey] = workspace = new Workspace(workspaceKey, now);
                var returning = workspace.Out.Remove(message.Id);
                if (HeldBack(laneKey, message.Id, now) is { } after)
                {
                    deferred.Add((message, after, AfterEarlier));
                    continue;
                }
                if (workspace.Held >= options.MaxHeldPerWorkspace)
                {
                    // Over the workspace's share: back to the table until its likely turn (one put back
                    // before and back already is at the front of that line); later messages to the same
                    // destination are held back behind it.
                    var turn = workspace.TurnOf(returning ? 0 : workspace.Out.Count, now);
                    workspace.Out.Add(message.Id);
                    Block(laneKey, turn, message.Id);
                    deferred.Add((message, turn, "waiting for the workspace's earlier messages"));
                    continue;
                }
                var held = new Held(message);
                _held[message.Id] = held;
                workspace.Held++;
                if (!workspace.Lanes.TryGetValue(laneKey, out var lane))
                    workspace.Lanes[laneKey] = lane = new Lane(laneKey);
                lane.Messages.Enqueue(held);
                if (!lane.Scheduled)
                {
                    lane.Scheduled = true;
                    workspace.Ready.Enqueue(lane);
                }
                done.Add(held.Done.Task);
                // A worker that has not taken a destination yet will take one of the ready ones; start more up to the workspace's share.
                while (workspace.Workers < Math.Max(1, options.MaxConcurrentSendsPerWorkspace) && workspace.Workers - workspace.Busy < workspace.Ready.Count)
                {
                    workspace.Workers++;
                    starts.Add(workspace);
                }
            }
        }
        foreach (var (message, retryAt, reason) in deferred)
        {
            await store.DeferAsync(message.Id, retryAt, reason, ct);
            RememberRetry(retryAt, message);
        }
        if (deferred.Count > 0)
            logger.LogDebug("Put back {Count} claimed messages for later (workspace share, or behind an earlier message)", deferred.Count);
        return done;
    }

    /// <summary>Starts the workers counted in by <see cref="AcceptAsync"/>, one per entry.</summary>
    private void StartWorkers(List<Workspace> starts, CancellationToken ct)
    {
        if (starts.Count == 0) return;
        lock (_gate)
        {
            _workers.RemoveAll(w => w.IsCompleted);
            foreach (var workspace in starts) _workers.Add(RunWorkerAsync(workspace, ct));
        }
    }

    /// <summary>One of a workspace's workers: takes its destinations round-robin, one message at a time.</summary>
    private async Task RunWorkerAsync(Workspace workspace, CancellationToken ct)
    {
        await Task.Yield();   // off the claiming caller's stack
        while (true)
        {
            Lane lane;
            Held held;
            lock (_gate)
            {
                if (workspace.Ready.Count == 0 || ct.IsCancellationRequested)
                {
                    workspace.Workers--;
                    if (workspace.Workers == 0 && workspace.Lanes.Count == 0) _workspaces.Remove(workspace.Key);
                    return;
                }
                lane = workspace.Ready.Dequeue();
                held = lane.Messages.Dequeue();
                held.Started = true;
                workspace.Busy++;
            }
            try
            {
                await ProcessAsync(lane, held.Message, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // Not recorded: the claim runs out and the message is tried again then.
                logger.LogError(e, "Recording the outcome of {Key} failed; it goes again after its lease", held.Message.Key);
            }
            catch (OperationCanceledException) { }
            finally
            {
                bool wake;
                lock (_gate)
                {
                    _held.Remove(held.Message.Id);
                    workspace.Busy--;
                    workspace.Held--;
                    workspace.Completed++;
                    if (lane.Messages.Count > 0) workspace.Ready.Enqueue(lane);
                    else
                    {
                        lane.Scheduled = false;
                        workspace.Lanes.Remove(lane.Key);
                    }
                    wake = _pumpWantsRoom;
                    _pumpWantsRoom = false;
                }
                held.Done.TrySetResult();
                if (wake) Wake();
            }
        }
    }

    private async Task ProcessAsync(Lane lane, OutboxMessage message, CancellationToken ct)
    {
        DateTimeOffset? after;
        lock (_gate) after = HeldBack(lane.Key, message.Id, time.GetUtcNow());
        if (after is { } at)
        {
            // An earlier message to this destination waits for its retry: this one goes after it.
            await store.DeferAsync(message.Id, at, AfterEarlier, ct);
            RememberRetry(at, message);
            return;
        }
        var result = await SendAsync(message, ct);
        // Once the platform has answered, the answer is recorded even when the host is stopping: a send
        // left unrecorded would go again after its lease, and a delivered one would be delivered twice.
        if (await RecordAsync(message, result, CancellationToken.None) is { } retryAt)
        {
            lock (_gate) Block(lane.Key, retryAt, message.Id);
            RememberRetry(retryAt, message);
        }
    }

    /// <summary>
    /// Later messages to a destination (a higher id: queued later) wait until <paramref name="until"/>,
    /// when message <paramref name="blocker"/> goes again. Under the lock.
    /// </summary>
    private void Block(string laneKey, DateTimeOffset until, long blocker)
    {
        if (_blocked.Count > 1024)
            foreach (var (key, old) in _blocked.ToList())
                if (old.Until < time.GetUtcNow()) _blocked.Remove(key);
        if (_blocked.TryGetValue(laneKey, out var block) && block.Until > until) return;
        _blocked[laneKey] = new Blocked(until, Math.Min(blocker, block?.Blocker ?? long.MaxValue));
    }

    /// <summary>
    /// When a message is held back behind an earlier one to its destination: a time just after that
    /// one's retry (and after the others already held back), else null. Under the lock.
    /// </summary>
    private DateTimeOffset? HeldBack(string laneKey, long messageId, DateTimeOffset now)
    {
        if (!_blocked.TryGetValue(laneKey, out var block)) return null;
        if (block.Until <= now)
        {
            _blocked.Remove(laneKey);
            return null;
        }
        if (messageId <= block.Blocker) return null;   // queued before the one that waits: not behind it
        block.Behind++;
        return block.Until + TimeSpan.FromTicks(block.Behind);
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

    /// <summary>Wakes the loop for the retry, and keeps this instance the workspace's sender until then (see <see cref="RenewClaimsAsync"/>).</summary>
    private void RememberRetry(DateTimeOffset at, OutboxMessage message)
    {
        lock (_gate)
        {
            _retries.Enqueue(at.UtcTicks, at.UtcTicks);
            var workspace = (message.Platform, message.WorkspaceId);
            if (!_retryingUntil.TryGetValue(workspace, out var until) || until < at) _retryingUntil[workspace] = at;
        }
    }

    /// <summary>How long the loop may sleep: the poll interval, or less when a known retry or the claim renewal comes sooner.</summary>
    private TimeSpan NextWait(DateTimeOffset renewAt)
    {
        var now = time.GetUtcNow();
        var next = now + options.PollInterval;
        lock (_gate)
        {
            while (_retries.TryPeek(out var ticks, out _) && ticks <= now.UtcTicks) _retries.Dequeue();
            if (_retries.TryPeek(out var retry, out _) && retry < next.UtcTicks) next = new DateTimeOffset(retry, TimeSpan.Zero);
        }
        if (renewAt < next) next = renewAt;
        var wait = next - now;
        return wait < MinWait ? MinWait : wait;
    }

    /// <summary>
    /// Extends the claims this instance holds, and its place as the sender of their workspaces and of the
    /// workspaces whose messages it put back for a retry still to come: another instance taking those
    /// over meanwhile would start with its own pacing, blind to what this one has just sent.
    /// </summary>
    private async Task RenewClaimsAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        List<long> ids;
        List<(string Platform, string WorkspaceId)> retrying;
        lock (_gate)
        {
            ids = [.. _held.Keys];
            foreach (var (workspace, until) in _retryingUntil.ToList())
                if (until < now) _retryingUntil.Remove(workspace);
            retrying = [.. _retryingUntil.Keys];
        }
        await store.RenewClaimsAsync(ids, retrying, now + options.Lease, ct);
    }

    /// <summary>On shutdown: waits for the sends in progress to end, and hands back the claims never tried.</summary>
    private async Task StopWorkersAsync()
    {
        Task[] workers;
        lock (_gate) workers = [.. _workers];
        await Task.WhenAll(workers);
        List<long> untried;
        lock (_gate) untried = _held.Values.Where(h => !h.Started).Select(h => h.Message.Id).ToList();
        try
        {
            await store.ReleaseClaimsAsync(untried, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not hand back {Count} claimed messages; they go after their lease", untried.Count);
        }
    }

    private sealed class Held(OutboxMessage message)
    {
        public OutboxMessage Message { get; } = message;
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool Started { get; set; }
    }

    /// <summary>The messages to one destination, in claim order.</summary>
    private sealed class Lane(string key)
    {
        public string Key { get; } = key;
        public Queue<Held> Messages { get; } = new();
        /// <summary>In the workspace's ready queue or being sent by a worker.</summary>
        public bool Scheduled { get; set; }
    }

    private sealed class Workspace(string key, DateTimeOffset since)
    {
        public string Key { get; } = key;
        public Dictionary<string, Lane> Lanes { get; } = new(StringComparer.Ordinal);
        public Queue<Lane> Ready { get; } = new();
        /// <summary>Workers running for this workspace; <see cref="Busy"/> of them are sending a message.</summary>
        public int Workers { get; set; }
        public int Busy { get; set; }
        public int Held { get; set; }
        public int Completed { get; set; }

        /// <summary>Messages put back over the workspace's share and not claimed again yet (their turns follow one another).</summary>
        public HashSet<long> Out { get; } = [];

        /// <summary>
        /// When the <paramref name="index"/>-th message put back is likely to have its turn: after the
        /// messages held now and the ones put back before it, at this workspace's pace so far. Before
        /// any is done the guess is fast (20 a second): a message back too early is only put back again
        /// (one cheap update), while one back too late leaves the workspace idle.
        /// </summary>
        public DateTimeOffset TurnOf(int index, DateTimeOffset now)
        {
            var perMessage = Completed > 0 ? (now - since) / Completed : TimeSpan.FromMilliseconds(50);
            var wait = perMessage * (Held + index);
            return now + (wait < TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(100) : wait) + TimeSpan.FromTicks(index);
        }
    }

    private sealed class Blocked(DateTimeOffset until, long blocker)
    {
        public DateTimeOffset Until { get; } = until;
        public long Blocker { get; } = blocker;
        public long Behind { get; set; }
    }
}
