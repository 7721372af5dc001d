namespace CoordBot.Outbox;

/// <summary>
/// The outbox's claimed messages in memory, and the fairness rules between them, with no database and no
/// sending: messages queue per destination (platform, workspace, destination) and go one at a time per
/// destination, in claim order; a workspace's destinations take turns among at most
/// <see cref="OutboxOptions.MaxConcurrentSendsPerWorkspace"/> workers; a workspace holds at most
/// <see cref="OutboxOptions.MaxHeldPerWorkspace"/> messages and its overflow is put back for its likely turn;
/// a message waiting for a retry holds back the later messages to its destination. Thread-safe (one lock).
/// <see cref="OutboxDispatcher"/> claims, sends and records around it.
/// </summary>
public sealed class OutboxLanes(OutboxOptions options, TimeProvider time)
{
    /// <summary>Why a message was put back behind an earlier one to its destination.</summary>
    public const string AfterEarlier = "after an earlier message to the same destination";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Workspace> _workspaces = new(StringComparer.Ordinal);
    private readonly Dictionary<long, Held> _held = [];
    private readonly Dictionary<string, Blocked> _blocked = new(StringComparer.Ordinal);
    private readonly PriorityQueue<long, long> _retries = new();   // UTC ticks of known retries, to wake for them
    private readonly Dictionary<(string Platform, string WorkspaceId), DateTimeOffset> _retryingUntil = [];   // the latest retry per workspace
    private bool _claimWantsRoom;

    /// <summary>Messages held (claimed and not yet recorded).</summary>
    public int HeldCount
    {
        get { lock (_gate) return _held.Count; }
    }

    /// <summary>How many more may be claimed now (at most <paramref name="limit"/>); with no room, the next finished message says so.</summary>
    public int Room(int limit)
    {
        lock (_gate)
        {
            var room = Math.Min(limit, options.MaxHeld - _held.Count);
            _claimWantsRoom = room <= 0;
            return room;
        }
    }

    /// <summary>What became of a claimed batch.</summary>
    /// <param name="Done">Completes when each held message is recorded (or was already held: its own claim came round again).</param>
    /// <param name="Deferred">Messages to put back in the table until a time, with the reason: over the workspace's share, or behind an earlier message.</param>
    /// <param name="Starts">One entry per worker to start.</param>
    public sealed record Accepted(List<Task> Done, List<(OutboxMessage Message, DateTimeOffset RetryAt, string Reason)> Deferred, List<Workspace> Starts);

    /// <summary>Queues claimed messages on their destinations, counts the workers they need, and defers what is over a workspace's share.</summary>
    public Accepted Accept(IReadOnlyList<OutboxMessage> batch)
    {
        var result = new Accepted(new List<Task>(batch.Count), [], []);
        var now = time.GetUtcNow();
        lock (_gate)
        {
            foreach (var message in batch)
            {
                if (_held.TryGetValue(message.Id, out var mine))
                {
                    result.Done.Add(mine.Done.Task);   // our own claim came round again (its lease ran out while it waited)
                    continue;
                }
                var workspaceKey = message.Platform + "\n" + message.WorkspaceId;
                var laneKey = workspaceKey + "\n" + message.Destination;
                if (!_workspaces.TryGetValue(workspaceKey, out var workspace))
                    _workspaces[workspaceKey] = workspace = new Workspace(workspaceKey, now);
                var returning = workspace.Out.Remove(message.Id);
                if (HeldBack(laneKey, message.Id, now) is { } after)
                {
                    result.Deferred.Add((message, after, AfterEarlier));
                    continue;
                }
                if (workspace.Held >= options.MaxHeldPerWorkspace)
                {
                    // Over the workspace's share: back to the table until its likely turn (one put back before and back
                    // already is at the front of that line); later messages to the same destination are held back behind it.
                    var turn = workspace.TurnOf(returning ? 0 : workspace.Out.Count, now);
                    workspace.Out.Add(message.Id);
                    Block(laneKey, turn, message.Id, now);
                    result.Deferred.Add((message, turn, "waiting for the workspace's earlier messages"));
                    continue;
                }
                var held = new Held(message, laneKey);
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
                result.Done.Add(held.Done.Task);
                // A worker that has not taken a destination yet takes one of the ready ones; start more up to the workspace's share.
                while (workspace.Workers < Math.Max(1, options.MaxConcurrentSendsPerWorkspace) && workspace.Workers - workspace.Busy < workspace.Ready.Count)
                {
                    workspace.Workers++;
                    result.Starts.Add(workspace);
                }
            }
        }
        foreach (var (message, retryAt, _) in result.Deferred) RememberRetry(retryAt, message);
        return result;
    }

    /// <summary>
    /// The next message for one of <paramref name="workspace"/>'s workers: the next destination in turn, its oldest
    /// message. Null when there is nothing ready (or <paramref name="stopping"/>): the worker then ends.
    /// </summary>
    public Held? Take(Workspace workspace, bool stopping)
    {
        lock (_gate)
        {
            if (workspace.Ready.Count == 0 || stopping)
            {
                workspace.Workers--;
                if (workspace.Workers == 0 && workspace.Lanes.Count == 0) _workspaces.Remove(workspace.Key);
                return null;
            }
            var lane = workspace.Ready.Dequeue();
            var held = lane.Messages.Dequeue();
            held.Started = true;
            workspace.Busy++;
            return held;
        }
    }

    /// <summary>A taken message is recorded (or given up to its lease): its destination's next one gets its turn. True when the claims wait for room.</summary>
    public bool Finish(Workspace workspace, Held held)
    {
        bool wake;
        lock (_gate)
        {
            _held.Remove(held.Message.Id);
            workspace.Busy--;
            workspace.Held--;
            workspace.Completed++;
            var lane = workspace.Lanes[held.LaneKey];
            if (lane.Messages.Count > 0) workspace.Ready.Enqueue(lane);
            else
            {
                lane.Scheduled = false;
                workspace.Lanes.Remove(lane.Key);
            }
            wake = _claimWantsRoom;
            _claimWantsRoom = false;
        }
        held.Done.TrySetResult();
        return wake;
    }

    /// <summary>When a taken message must wait behind an earlier one to its destination that waits for a retry, else null.</summary>
    public DateTimeOffset? HeldBack(Held held)
    {
        lock (_gate) return HeldBack(held.LaneKey, held.Message.Id, time.GetUtcNow());
    }

    /// <summary>The message goes again at <paramref name="retryAt"/>: later messages to its destination wait until then.</summary>
    public void Retry(Held held, DateTimeOffset retryAt)
    {
        lock (_gate) Block(held.LaneKey, retryAt, held.Message.Id, time.GetUtcNow());
        RememberRetry(retryAt, held.Message);
    }

    /// <summary>A message was put back until <paramref name="at"/>: wake for it, and keep sending for its workspace until then.</summary>
    public void RememberRetry(DateTimeOffset at, OutboxMessage message)
    {
        lock (_gate)
        {
            _retries.Enqueue(at.UtcTicks, at.UtcTicks);
            var workspace = (message.Platform, message.WorkspaceId);
            if (!_retryingUntil.TryGetValue(workspace, out var until) || until < at) _retryingUntil[workspace] = at;
        }
    }

    /// <summary>The soonest known retry still to come, if any.</summary>
    public DateTimeOffset? NextRetry()
    {
        var now = time.GetUtcNow().UtcTicks;
        lock (_gate)
        {
            while (_retries.TryPeek(out var ticks, out _) && ticks <= now) _retries.Dequeue();
            return _retries.TryPeek(out var retry, out _) ? new DateTimeOffset(retry, TimeSpan.Zero) : null;
        }
    }

    /// <summary>The claims held, and the workspaces with a retry still to come: what the dispatcher renews.</summary>
    public (List<long> Ids, List<(string Platform, string WorkspaceId)> Retrying) ToRenew()
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            foreach (var (workspace, until) in _retryingUntil.ToList())
                if (until < now) _retryingUntil.Remove(workspace);
            return ([.. _held.Keys], [.. _retryingUntil.Keys]);
        }
    }

    /// <summary>Held messages no worker has taken yet (handed back on shutdown).</summary>
    public List<long> Untried()
    {
        lock (_gate) return _held.Values.Where(h => !h.Started).Select(h => h.Message.Id).ToList();
    }

    /// <summary>Later messages to a destination (a higher id: queued later) wait until <paramref name="until"/>. Under the lock.</summary>
    private void Block(string laneKey, DateTimeOffset until, long blocker, DateTimeOffset now)
    {
        if (_blocked.Count > 1024)
            foreach (var (key, old) in _blocked.ToList())
                if (old.Until < now) _blocked.Remove(key);
        if (_blocked.TryGetValue(laneKey, out var block) && block.Until > until) return;
        _blocked[laneKey] = new Blocked(until, Math.Min(blocker, block?.Blocker ?? long.MaxValue));
    }

    /// <summary>Just after the blocking message's retry (and after the others already behind it), or null. Under the lock.</summary>
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

    /// <summary>A claimed message in memory.</summary>
    public sealed class Held(OutboxMessage message, string laneKey)
    {
        public OutboxMessage Message { get; } = message;
        internal string LaneKey { get; } = laneKey;
        internal TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        internal bool Started { get; set; }
    }

    /// <summary>The messages to one destination, in claim order.</summary>
    internal sealed class Lane(string key)
    {
        public string Key { get; } = key;
        public Queue<Held> Messages { get; } = new();
        /// <summary>In the workspace's ready queue or being sent by a worker.</summary>
        public bool Scheduled { get; set; }
    }

    /// <summary>One platform workspace's destinations and workers.</summary>
    public sealed class Workspace
    {
        internal Workspace(string key, DateTimeOffset since) => (Key, _since) = (key, since);

        private readonly DateTimeOffset _since;
        internal string Key { get; }
        internal Dictionary<string, Lane> Lanes { get; } = new(StringComparer.Ordinal);
        internal Queue<Lane> Ready { get; } = new();
        /// <summary>Workers running for this workspace; <see cref="Busy"/> of them are sending a message.</summary>
        internal int Workers { get; set; }
        internal int Busy { get; set; }
        internal int Held { get; set; }
        internal int Completed { get; set; }

        /// <summary>Messages put back over the workspace's share and not claimed again yet (their turns follow one another).</summary>
        internal HashSet<long> Out { get; } = [];

        /// <summary>
        /// When the <paramref name="index"/>-th message put back is likely to have its turn: after the messages held
        /// now and the ones put back before it, at this workspace's pace so far. Before any is done the guess is fast
        /// (20 a second): a message back too early is only put back again (one cheap update), while one back too late
        /// leaves the workspace idle.
        /// </summary>
        internal DateTimeOffset TurnOf(int index, DateTimeOffset now)
        {
            var perMessage = Completed > 0 ? (now - _since) / Completed : TimeSpan.FromMilliseconds(50);
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
