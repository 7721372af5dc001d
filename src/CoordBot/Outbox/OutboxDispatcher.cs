using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CoordBot.Outbox;

/// <summary>What a channel's sender reports for one message.</summary>
public abstract record SendResult
{
    public static readonly SendResult Sent = new SentResult();
    public sealed record SentResult : SendResult;
    /// <summary>Worth another try (429, 5xx, timeouts); <paramref name="RetryAfter"/> is the platform's own wait, when it gave one.</summary>
    public sealed record Transient(string Error, TimeSpan? RetryAfter = null) : SendResult;
    /// <summary>Will never work (channel gone, token revoked); the message is marked failed.</summary>
    public sealed record Permanent(string Error) : SendResult;
}

/// <summary>
/// Delivers outbox messages on one platform. Implementations should be idempotent by
/// <see cref="OutboxMessage.Key"/> where the platform allows, since a crash after a send and before
/// it is recorded makes the dispatcher try that one message again.
/// </summary>
public interface IChannelSender
{
    string Platform { get; }
    Task<SendResult> SendAsync(OutboxMessage message, CancellationToken ct);
}

/// <summary>Outbox timing: how often to look, how long a claim lasts, how retries back off.</summary>
public sealed record OutboxOptions
{
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan Lease { get; init; } = TimeSpan.FromMinutes(2);
    public TimeSpan FirstRetry { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan MaxRetry { get; init; } = TimeSpan.FromMinutes(30);
    public int MaxAttempts { get; init; } = 12;
    public int BatchSize { get; init; } = 50;
}

/// <summary>
/// The hosted loop that sends due outbox messages through the sender of their platform, retrying
/// transient failures with exponential backoff (or the platform's <c>Retry-After</c>).
/// </summary>
public sealed class OutboxDispatcher(
    OutboxStore store,
    IEnumerable<IChannelSender> senders,
    OutboxOptions options,
    TimeProvider time,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private readonly Dictionary<string, IChannelSender> _senders = senders.ToDictionary(s => s.Platform, StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>Asks the loop to look now instead of at the next poll (call after enqueueing).</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0) _wake.Release();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await DispatchDueAsync(stoppingToken) > 0) { }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Outbox dispatch failed; retrying after the poll interval");
            }
            try
            {
                using var poll = new CancellationTokenSource(options.PollInterval, time);
                using var delay = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, poll.Token);
                await _wake.WaitAsync(delay.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested) { }
            catch (OperationCanceledException) { break; }
        }
    }

    /// <summary>Sends one batch of due messages; returns how many were claimed.</summary>
    public async Task<int> DispatchDueAsync(CancellationToken ct)
    {
        var batch = await store.ClaimDueAsync(time.GetUtcNow(), options.Lease, options.BatchSize, ct);
        foreach (var message in batch)
        {
            ct.ThrowIfCancellationRequested();
            SendResult result;
            if (!_senders.TryGetValue(message.Platform, out var sender))
                result = new SendResult.Permanent($"no sender for platform '{message.Platform}'");
            else
            {
                try { result = await sender.SendAsync(message, ct); }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    result = new SendResult.Transient($"{e.GetType().Name}: {e.Message}");
                }
            }
            await RecordAsync(message, result, ct);
        }
        return batch.Count;
    }

    private async Task RecordAsync(OutboxMessage message, SendResult result, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        switch (result)
        {
            case SendResult.SentResult:
                await store.MarkSentAsync(message.Id, now, ct);
                logger.LogInformation("Sent {Key} to {Platform} {Destination}", message.Key, message.Platform, message.Destination);
                break;
            case SendResult.Transient t when message.Attempts + 1 < options.MaxAttempts:
                var wait = t.RetryAfter ?? Backoff(message.Attempts);
                await store.MarkRetryAsync(message.Id, now + wait, t.Error, ct);
                logger.LogWarning("Sending {Key} failed ({Error}); retry {Attempt} in {Wait}", message.Key, t.Error, message.Attempts + 2, wait);
                break;
            case SendResult.Transient t:
                await store.MarkFailedAsync(message.Id, $"gave up after {options.MaxAttempts} attempts: {t.Error}", ct);
                logger.LogError("Gave up on {Key} after {Attempts} attempts: {Error}", message.Key, options.MaxAttempts, t.Error);
                break;
            case SendResult.Permanent p:
                await store.MarkFailedAsync(message.Id, p.Error, ct);
                logger.LogError("Sending {Key} failed permanently: {Error}", message.Key, p.Error);
                break;
        }
    }

    /// <summary>FirstRetry × 2^attempts, capped at MaxRetry.</summary>
    internal TimeSpan Backoff(int attempts) =>
        TimeSpan.FromTicks(Math.Min(options.MaxRetry.Ticks, options.FirstRetry.Ticks * (1L << Math.Min(attempts, 30))));
}
