using CoordBot.Chat;
using CoordBot.Outbox;

namespace CoordBot.Teams;

/// <summary>
/// The welcome when the bot is added to a conversation: once per conversation, through the outbox
/// (keyed by the conversation, so a repeated install event sends nothing new).
/// </summary>
public sealed class TeamsWelcome(OutboxStore outbox, TimeProvider time)
{
    public async Task EnqueueAsync(string tenant, string conversationId, bool personal, CancellationToken ct)
    {
        var welcome = new Reply("Hi, I'm CoordBot.",
        [
            new Heading("Hi, I'm CoordBot"),
            new Paragraph("I keep track of your coalition's allies, remind you ahead of elections, and collect weekly check-ins."),
            new Context(personal ? "Try: ally add \"Jane Doe\" --org \"City of Atlanta\", or coord help." : "Mention me with a command, e.g. @CoordBot coord help."),
        ]);
        var now = time.GetUtcNow();
        await outbox.EnqueueAsync(tenant, $"teams-welcome:{conversationId}", "teams", conversationId, welcome, now, now, ct);
    }
}
