namespace CoordBot.Outbox;

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
