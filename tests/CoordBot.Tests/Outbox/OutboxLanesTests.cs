using CoordBot.Chat;
using CoordBot.Outbox;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CoordBot.Tests.Outbox;

/// <summary>The outbox's in-memory fairness on its own: no database, no senders, a fake clock.</summary>
public sealed class OutboxLanesTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 15, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Start);
    private long _ids;

    private OutboxMessage Message(string workspace, string destination, string platform = "slack") =>
        new(++_ids, workspace, $"k{_ids}", platform, destination, Reply.Say("x"), 0, Start);

    private OutboxLanes Lanes(int perWorkspace = 8, int heldPerWorkspace = 1000, int held = 10_000) =>
        new(new OutboxOptions { MaxConcurrentSendsPerWorkspace = perWorkspace, MaxHeldPerWorkspace = heldPerWorkspace, MaxHeld = held }, _clock);

    [Fact]
    public void A_destination_gets_one_message_at_a_time_in_claim_order()
    {
        var lanes = Lanes();
        var accepted = lanes.Accept([Message("T1", "C1"), Message("T1", "C1"), Message("T1", "C1")]);
        var worker = Assert.Single(accepted.Starts);   // one destination: one worker however many messages

        var first = lanes.Take(worker, stopping: false)!;
        Assert.Equal(1, first.Message.Id);
        Assert.Null(lanes.Take(worker, stopping: false));   // nothing else ready while C1's first is out (that worker ends)
        lanes.Finish(worker, first);
        Assert.Equal([2L, 3L], Drain(lanes, worker));
        Assert.True(accepted.Done.All(d => d.IsCompletedSuccessfully));
    }

    [Fact]
    public void A_workspaces_destinations_take_turns_and_its_workers_are_capped()
    {
        var lanes = Lanes(perWorkspace: 2);
        var accepted = lanes.Accept([Message("T1", "A"), Message("T1", "A"), Message("T1", "B"), Message("T1", "C"), Message("T1", "D")]);
        Assert.Equal(2, accepted.Starts.Count);   // four destinations ready, two workers allowed
        var worker = accepted.Starts[0];
        Assert.Equal([1L, 3L, 4L, 5L, 2L], Drain(lanes, worker));   // A, B, C, D, then A's second: round-robin
    }

    [Fact]
    public void Workspaces_get_workers_of_their_own()
    {
        var lanes = Lanes(perWorkspace: 1);
        var accepted = lanes.Accept([Message("T1", "C1"), Message("T1", "C2"), Message("T2", "C1"), Message("T1", "C1", platform: "teams")]);
        Assert.Equal(3, accepted.Starts.Count);   // T1 on Slack, T2 on Slack, T1 on Teams: each its own workspace
        Assert.Equal([[1L, 2L], [3L], [4L]], accepted.Starts.Select(w => Drain(lanes, w)));
    }

    [Fact]
    public void Over_a_workspaces_share_messages_are_put_back_for_their_turn_and_the_destination_waits_behind_them()
    {
        var lanes = Lanes(heldPerWorkspace: 2);
        var accepted = lanes.Accept([Message("T1", "A"), Message("T1", "B"), Message("T1", "C"), Message("T1", "D"), Message("T2", "A")]);
        Assert.Equal([3L, 4L], accepted.Deferred.Select(d => d.Message.Id));
        Assert.NotEmpty(accepted.Deferred);
        Assert.All(accepted.Deferred, d => Assert.Equal("waiting for the workspace's earlier messages", d.Reason));
        Assert.All(accepted.Deferred, d => Assert.True(d.RetryAt > Start));
        Assert.True(accepted.Deferred[1].RetryAt > accepted.Deferred[0].RetryAt);   // their turns follow one another
        Assert.Equal(3, lanes.HeldCount);   // T2 has a share of its own
        Assert.Equal(accepted.Deferred[0].RetryAt, lanes.NextRetry());

        // A later message to C comes back (claimed again) before C's put-back one had its turn: it waits behind it.
        var later = lanes.Accept([Message("T1", "C")]);
        Assert.Equal(OutboxLanes.AfterEarlier, Assert.Single(later.Deferred).Reason);
    }

    [Fact]
    public void A_retry_holds_back_later_messages_to_its_destination_until_it_comes()
    {
        var lanes = Lanes();
        var accepted = lanes.Accept([Message("T1", "C1"), Message("T1", "C1"), Message("T1", "C2")]);
        var first = lanes.Take(accepted.Starts[0], stopping: false)!;
        lanes.Retry(first, Start.AddSeconds(30));   // a 429 with Retry-After: 30
        lanes.Finish(accepted.Starts[0], first);

        var other = lanes.Take(accepted.Starts[1], stopping: false)!;    // C2's turn came before C1's second
        var second = lanes.Take(accepted.Starts[1], stopping: false)!;
        Assert.Equal((2L, 3L), (second.Message.Id, other.Message.Id));
        Assert.Equal(Start.AddSeconds(30).AddTicks(1), lanes.HeldBack(second));   // behind the retry
        Assert.Null(lanes.HeldBack(other));                                        // another destination goes on
        Assert.Equal(Start.AddSeconds(30), lanes.NextRetry());
        Assert.Contains(("slack", "T1"), lanes.ToRenew().Retrying);

        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Null(lanes.HeldBack(second));
        Assert.Null(lanes.NextRetry());
        _clock.Advance(TimeSpan.FromTicks(1));
        Assert.DoesNotContain(("slack", "T1"), lanes.ToRenew().Retrying);
    }

    [Fact]
    public void When_full_a_finished_message_asks_for_more_claims()
    {
        var lanes = Lanes(held: 2);
        Assert.Equal(2, lanes.Room(500));
        var accepted = lanes.Accept([Message("T1", "C1"), Message("T1", "C2")]);
        Assert.Equal(0, lanes.Room(500));
        Assert.Equal([1L, 2L], lanes.Untried().Order());
        var held = lanes.Take(accepted.Starts[0], stopping: false)!;
        Assert.Equal([2L], lanes.Untried());
        Assert.True(lanes.Finish(accepted.Starts[0], held));    // the claim loop waited for room: wake it
        Assert.Equal(1, lanes.Room(500));
        Assert.Null(lanes.Take(accepted.Starts[1], stopping: true));   // stopping: workers take nothing more
        Assert.Equal([2L], lanes.ToRenew().Ids);
    }

    private static List<long> Drain(OutboxLanes lanes, OutboxLanes.Workspace worker)
    {
        var order = new List<long>();
        while (lanes.Take(worker, stopping: false) is { } held)
        {
            order.Add(held.Message.Id);
            lanes.Finish(worker, held);
        }
        return order;
    }
}
