using CoordBot.Outbox;
using CoordBot.Chat;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Workspaces;

/// <summary>Tenancy and the coord command, through the core router on a real SQLite file.</summary>
public sealed class WorkspaceTests : CoreTest
{

    private async Task<string> Say(string workspace, string user, string text) => CoreChat.Plain(await Chat.Say(workspace, user, text));

    [Fact]
    public async Task A_ref_from_one_workspace_finds_nothing_in_another()
    {
        Assert.Contains("Added Jane Doe (A1)", await Say("T1", "U1", "ally add \"Jane Doe\" --org Atlanta --sector government --tags housing"));
        await Say("T1", "U1", "ally add \"Sam Lee\"");
        await Say("T1", "U1", "ally link A1 A2");

        Assert.Contains("No ally matches \"A1\" in this workspace.", await Say("T2", "V1", "ally show A1"));
        Assert.Contains("No ally matches \"jane\"", await Say("T2", "V1", "ally show jane"));
        Assert.Contains("No allies yet", await Say("T2", "V1", "ally list"));
        Assert.Contains("No allies match those filters", await Say("T2", "V1", "ally list --sector government"));
        Assert.Contains("No allies match \"jane\"", await Say("T2", "V1", "ally find jane"));
        Assert.Contains("No ally matches \"A1\"", await Say("T2", "V1", "ally remove A1 --yes"));
        Assert.Contains("No ally matches \"A1\"", await Say("T2", "V1", "ally edit A1 --role X"));
        Assert.Contains("No ally matches \"A1\"", await Say("T2", "V1", "ally log A1 note"));
        Assert.Contains("No ally matches \"A1\"", await Say("T2", "V1", "ally link A1 A2"));
        Assert.Contains("No allies yet", await Say("T2", "V1", "ally map"));
        Assert.Contains("Exported 0 allies", await Say("T2", "V1", "ally export"));

        // T2's own numbering starts at A1 and its A1 is its own.
        Assert.Contains("Added Kim Park (A1)", await Say("T2", "V1", "ally add \"Kim Park\""));
        Assert.Contains("Jane Doe (A1)", await Say("T1", "U1", "ally show A1"));
        Assert.Contains("Kim Park (A1)", await Say("T2", "V1", "ally show A1"));
        Assert.DoesNotContain("Kim", await Say("T1", "U1", "ally find kim"));
    }

    [Fact]
    public async Task The_first_user_of_each_workspace_becomes_its_admin()
    {
        await Say("T1", "U1", "ally list");
        await Say("T1", "U2", "ally list");
        await Say("T2", "U2", "ally list");
        Assert.Contains("@U1", await Say("T1", "U2", "coord admins"));
        Assert.DoesNotContain("@U2", await Say("T1", "U2", "coord admins"));
        Assert.Contains("@U2", await Say("T2", "U2", "coord admins"));
        Assert.Contains("Only a workspace admin can change admins.", await Say("T1", "U2", "coord admins add @U2"));
        Assert.Contains("@U2 is now an admin.", await Say("T1", "U1", "coord admins add <@U2|sam>"));
        Assert.Contains("@U2 is no longer an admin.", await Say("T1", "U2", "coord admins remove @U2"));
        Assert.Contains("@U1 is the only admin; add another admin first.", await Say("T1", "U1", "coord admins remove @U1"));
        Assert.Contains("@U3 is not an admin.", await Say("T1", "U1", "coord admins remove @U3"));
        Assert.Contains("Use coord admins, coord admins add @user", await Say("T1", "U1", "coord admins promote @U3"));
    }

    [Fact]
    public async Task An_admin_removed_on_one_instance_is_not_an_admin_on_another()
    {
        Assert.SkipUnless(Db.IsPostgres, "Several instances share a PostgreSQL database only; SQLite has one process.");
        await using var other = await CoreChat.StartAsync(Db);
        await Say("T1", "U1", "ally list");
        Assert.Contains("@U2 is now an admin.", await Say("T1", "U1", "coord admins add <@U2|sam>"));
        Assert.Contains("Time zone set to America/Chicago", CoreChat.Plain(await other.Say("T1", "U2", "coord settings --tz America/Chicago")));
        await other.Say("T1", "U2", "ally list");   // the other instance has just seen U2 as an admin
        Assert.Contains("@U2 is no longer an admin.", await Say("T1", "U1", "coord admins remove @U2"));
        // At once, not after a cache on the other instance runs out.
        Assert.Contains("Only a workspace admin can change settings.", CoreChat.Plain(await other.Say("T1", "U2", "coord settings --tz UTC")));
    }

    [Fact]
    public async Task Settings_change_the_time_zone_for_admins_only()
    {
        Assert.Contains("Time zone: UTC", await Say("T1", "U1", "coord settings"));
        Assert.Contains("Only a workspace admin can change settings.", await Say("T1", "U2", "coord settings --tz America/Chicago"));
        Assert.Contains("\"Mars/Olympus\" is not a time zone I know.", await Say("T1", "U1", "coord settings --tz Mars/Olympus"));
        Assert.Contains("Time zone set to America/Chicago", await Say("T1", "U1", "coord settings --tz America/Chicago"));
        Assert.Contains("Time zone: America/Chicago", await Say("T1", "U2", "coord settings"));
        Assert.Contains("Time zone: UTC", await Say("T2", "U1", "coord settings"));
        Assert.Contains("--zone is not a flag of coord settings. Accepted: --tz, --cadence.", await Say("T1", "U1", "coord settings --zone UTC"));
    }

    [Fact]
    public async Task Status_lists_pending_sends_in_the_workspace_time_zone()
    {
        Assert.Contains("Nothing is scheduled", await Say("T1", "U1", "coord status"));
        await Say("T1", "U1", "coord settings --tz America/New_York");
        var outbox = Chat.Get<OutboxStore>();
        var at = new DateTimeOffset(2030, 1, 6, 14, 0, 0, TimeSpan.Zero);
        await outbox.EnqueueAsync("T1", "checkin-prompt:I1:2030-W02:U1", "slack", "U1", Reply.Say("Check in"), at, at);
        await outbox.EnqueueAsync("T2", "other-workspace", "slack", "U9", Reply.Say("x"), at, at);
        var status = await Say("T1", "U1", "coord status");
        Assert.Contains("2030-01-06 09:00 America/New_York", status);
        Assert.Contains("checkin-prompt:I1:2030-W02:U1", status);
        Assert.DoesNotContain("other-workspace", status);
    }

    [Fact]
    public async Task Messages_from_bots_get_no_reply()
    {
        var router = Chat.Get<CommandRouter>();
        Assert.Null(await router.HandleAsync(new ChatRequest("slack", "T1", "C1", "B1", "ally add Evil", FromBot: true)));
        Assert.Contains("No allies yet", await Say("T1", "U1", "ally list"));
    }
}
