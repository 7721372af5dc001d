using System.Globalization;
using CoordBot.Chat;
using CoordBot.Elections;
using CoordBot.Outbox;
using CoordBot.Scheduling;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Elections;

/// <summary>Elections through the router on a real SQLite file, with a hand-moved clock (no hosted services run).</summary>
public sealed class ElectionTranscriptTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();
    private readonly ManualClock _clock = new(DateTimeOffset.Parse("2026-05-01T15:00:00Z", CultureInfo.InvariantCulture));
    private CoreChat _chat = null!;

    public async ValueTask InitializeAsync()
    {
        _chat = await CoreChat.StartAsync(_db, _clock);
        await Say("coord settings --tz America/Chicago");   // alice is the first user: the admin
    }

    public async ValueTask DisposeAsync()
    {
        await _chat.DisposeAsync();
        _db.Dispose();
    }

    private async Task<string> Say(string text, string user = "alice", string channel = "C1")
    {
        var reply = await _chat.Get<CommandRouter>().HandleAsync(new ChatRequest("local", "W", channel, user, text));
        return CoreChat.Plain(reply!);
    }

    private async Task AddCoalitionAsync()
    {
        await Say("ally add \"Mayor Ada\" --org \"City of Atlanta\" --level elected --jurisdiction atlanta");
        await Say("ally add \"Deputy Ben\" --org \"City of Atlanta\" --level career --jurisdiction atlanta");
        await Say("ally add \"Commissioner Cy\" --org \"Fulton County\" --level appointed --jurisdiction Atlanta");
        await Say("ally add \"Dee Elsewhere\" --org \"City of Decatur\" --level elected --jurisdiction decatur");
    }

    /// <summary>The workspace's pending election reminders (not its other scheduled sends, such as the relationship nudges).</summary>
    private async Task<List<ScheduledSend>> Upcoming(int limit) =>
        (await _chat.Get<IScheduledSends>().UpcomingAsync("W", 500)).Where(s => s.Kind == ElectionReminders.KindName).Take(limit).ToList();

    [Fact]
    public async Task Add_list_show_and_remove()
    {
        Assert.Contains("Added Atlanta general (E1) on 2026-11-03",
            await Say("election add atlanta 2026-11-03 --kind general --offices \"Mayor, Council\" --takes-office 2027-01-04"));
        var list = await Say("election list");
        Assert.Contains("Atlanta general (E1) · 2026-11-03", list);
        Assert.Contains("in 186 days", list);
        Assert.Contains("Winners take office: 2027-01-04", await Say("election show E1"));
        Assert.Contains("Only alice", await Say("election remove E1", user: "bob"));
        Assert.Contains("Removed Atlanta general (E1)", await Say("election remove E1"));
        Assert.Contains("No upcoming elections", await Say("election list"));
    }

    [Fact]
    public async Task Bad_input_is_refused_with_the_reason()
    {
        Assert.Contains("needs a jurisdiction and a date", await Say("election add atlanta"));
        Assert.Contains("is not a date", await Say("election add atlanta 2026-13-45"));
        Assert.Contains("--kind", await Say("election add atlanta 2026-11-03 --kind mayoral"));
        Assert.Contains("--takes-office must be on or after", await Say("election add atlanta 2026-11-03 --takes-office 2026-01-01"));
        Assert.Contains("--lead takes whole days", await Say("election remind --lead 30,soon"));
        Assert.Contains("Which election?", await Say("election risk A1"));
        Assert.Contains("No election E9", await Say("election show E9"));
    }

    [Fact]
    public async Task Risk_names_allies_at_risk_continuity_and_exposed_orgs_and_matches_ocd_ids()
    {
        await AddCoalitionAsync();
        await Say("election add ocd-division/country:us/state:ga/place:atlanta 2026-11-03");
        var risk = await Say("election risk E1");
        Assert.Contains("Mayor Ada (A1)", risk);
        Assert.Contains("Commissioner Cy (A3)", risk);
        Assert.Contains("Deputy Ben (A2)", risk);
        Assert.DoesNotContain("Dee Elsewhere", risk);
        Assert.Contains("Every ally is at risk at: Fulton County", risk);
    }

    [Fact]
    public async Task The_turnover_radar_shows_keeper_last_contact_stance_and_flags_overdue_first_and_DMs_each_keeper_their_own()
    {
        await Say("ally add \"Mayor Ada\" --org \"City of Atlanta\" --level elected --jurisdiction atlanta --owner @bob --stance champion");
        await Say("ally add \"Deputy Ben\" --org \"City of Atlanta\" --level career --jurisdiction atlanta");
        await Say("ally add \"Commissioner Cy\" --org \"Fulton County\" --level appointed --jurisdiction Atlanta --stance skeptic");
        await Say("ally add \"Aaron Early\" --org \"Fulton County\" --level appointed --jurisdiction atlanta");
        await Say("election add atlanta 2026-11-03");
        _clock.Set(DateTimeOffset.Parse("2026-06-10T15:00:00Z", CultureInfo.InvariantCulture));   // 40 days on
        Assert.Contains("Logged", await Say("ally log A3 \"Budget call\" --on 2026-06-05"));
        Assert.Contains("Logged", await Say("ally log A4 \"Coffee\" --on 2026-05-15"));

        // Ada: elected (30 days), never contacted, 10 days overdue: first, though her name sorts after Aaron's.
        var risk = await Say("election risk E1");
        Assert.True(risk.Contains("At risk (3), 1 overdue for contact first:", StringComparison.Ordinal), risk);
        var lines = risk.Split('\n').Where(l => l.StartsWith("• ", StringComparison.Ordinal)).ToList();
        Assert.StartsWith("• Mayor Ada (A1) — City of Atlanta · kept by @bob · last contact never · champion · 10 days overdue · ⚠ no contact in 90+ days", lines[0]);
        Assert.DoesNotContain("no continuity ally", lines[0]);   // Deputy Ben stays at the City of Atlanta
        Assert.StartsWith("• Aaron Early (A4) — Fulton County · kept by @alice · last contact 26 days ago · unknown · ⚠ no continuity ally at Fulton County", lines[1]);
        Assert.StartsWith("• Commissioner Cy (A3) — Fulton County · kept by @alice · last contact 5 days ago · skeptic · ⚠ no continuity ally at Fulton County", lines[2]);

        // The 30-day reminder: the same radar in the channel, and each keeper's own list, once however often it fires.
        Assert.Contains("reminders", await Say("election remind --lead 30,7"));
        _clock.Set(DateTimeOffset.Parse("2026-10-04T14:00:00Z", CultureInfo.InvariantCulture));
        var send = (await Upcoming(50)).Single(s => s.Key == "election-reminder:E1:-30:C1");
        var reminders = _chat.Get<ElectionReminders>();
        await reminders.HandleAsync(send, TimeSpan.Zero, default);
        await reminders.HandleAsync(send, TimeSpan.FromMinutes(3), default);
        var outbox = _chat.Get<OutboxStore>();
        Assert.Equal(["election-owner:E1:-30:alice", "election-owner:E1:-30:bob", send.Key],
            (await outbox.PendingAsync("W", 10)).Select(p => p.Key).Order(StringComparer.Ordinal));
        var bobs = CoreChat.Plain(await QueuedAsync("election-owner:E1:-30:bob"));
        Assert.Contains("1 ally you keep is at risk of turnover", bobs);
        Assert.Contains("Mayor Ada (A1)", bobs);
        Assert.DoesNotContain("Commissioner Cy", bobs);
        var alices = await QueuedAsync("election-owner:E1:-30:alice");
        Assert.Equal(2, alices.Blocks.OfType<Actions>().Count(a => a.Buttons.Any(b => b.Label == "Log touchpoint")));
        Assert.Contains("At risk of turnover (3), 3 overdue for contact first:", CoreChat.Plain(await QueuedAsync(send.Key)));
        Assert.Equal(0, await reminders.QueueOwnerDmsAsync("W", (await _chat.Get<ElectionStore>().GetAsync("W", 1))!, -30, "local", new DateOnly(2026, 10, 4), default));
    }

    private async Task<Reply> QueuedAsync(string key)
    {
        await using var connection = await _chat.Get<CoordBot.Data.Database>().OpenAsync();
        return ReplyJson.Deserialize(await Dapper.SqlMapper.ExecuteScalarAsync<string>(connection,
            "SELECT payload FROM outbox WHERE workspace_id = 'W' AND idempotency_key = @Key", new { Key = key }) ?? throw new Xunit.Sdk.XunitException("not queued: " + key));
    }

    [Fact]
    public async Task Reminder_text_depends_on_the_stage()
    {
        await AddCoalitionAsync();
        await Say("election add atlanta 2026-11-03 --offices \"Mayor, Council\" --takes-office 2027-01-04");
        var reminders = _chat.Get<ElectionReminders>();
        var election = (await _chat.Get<ElectionStore>().GetAsync("W", 1))!;

        var months = CoreChat.Plain(await reminders.ComposeAsync("W", election, -180, new DateOnly(2026, 5, 7), default));
        Assert.Contains("in 180 days", months);
        Assert.Contains("Months out: plan your outreach", months);
        Assert.Contains("educate them", months);
        Assert.Contains("At risk of turnover (2)", months);
        Assert.Contains("Continuity allies who stay (1)", months);
        Assert.Contains("Offices: Mayor, Council", months);

        var weeks = CoreChat.Plain(await reminders.ComposeAsync("W", election, -7, new DateOnly(2026, 10, 27), default));
        Assert.Contains("Weeks out: brief the campaigns", weeks);
        Assert.Contains("confirm your career-staff champions", weeks);

        var after = await reminders.ComposeAsync("W", election, 1, new DateOnly(2026, 11, 4), default);
        Assert.Contains("brief the newly elected before they take office on 2027-01-04", CoreChat.Plain(after));
        var buttons = after.Blocks.OfType<Actions>().SelectMany(a => a.Buttons).Select(b => b.Label).ToList();
        Assert.Equal(["Commissioner Cy: still in office", "Commissioner Cy: left office", "Mayor Ada: still in office", "Mayor Ada: left office"], buttons);
    }

    [Fact]
    public async Task Reminder_text_without_allies_says_so()
    {
        await Say("election add savannah 2026-11-03");
        var election = (await _chat.Get<ElectionStore>().GetAsync("W", 1))!;
        var text = CoreChat.Plain(await _chat.Get<ElectionReminders>().ComposeAsync("W", election, -30, new DateOnly(2026, 10, 4), default));
        Assert.Contains("No allies at risk of turnover", text);
        Assert.Contains("No continuity allies", text);
    }

    [Fact]
    public async Task The_left_office_button_updates_the_ally()
    {
        await AddCoalitionAsync();
        await Say("election add atlanta 2026-11-03");
        var election = (await _chat.Get<ElectionStore>().GetAsync("W", 1))!;
        var after = await _chat.Get<ElectionReminders>().ComposeAsync("W", election, 1, new DateOnly(2026, 11, 4), default);
        var left = after.Blocks.OfType<Actions>().SelectMany(a => a.Buttons).First(b => b.Label == "Mayor Ada: left office");
        var reply = await _chat.Get<CommandRouter>().HandleAsync(new ChatRequest("local", "W", "C1", "bob", null, left.Action));
        Assert.Contains("Marked Mayor Ada (A1) as having left office", CoreChat.Plain(reply!));
        var risk = await Say("election risk E1");
        Assert.DoesNotContain("Mayor Ada", risk);
        Assert.Contains("Left office: 2026-05-01 (former officeholder)", await Say("ally show A1"));   // kept, with its history, marked former
    }

    [Fact]
    public async Task A_subscription_schedules_the_future_leads_at_nine_local_across_dst()
    {
        await Say("election add atlanta 2026-11-03");
        Assert.Contains("180, 90, 30, 7, 1 days before and 1, 30 days after", await Say("election remind"));
        var sends = await Upcoming(50);
        // 2026-05-01 is already past the 180-day lead (2026-05-07 is not): all seven are ahead.
        Assert.Equal(
        [
            "2026-05-07T14:00:00Z", "2026-08-05T14:00:00Z", "2026-10-04T14:00:00Z", "2026-10-27T14:00:00Z",  // CDT, UTC-5
            "2026-11-02T15:00:00Z", "2026-11-04T15:00:00Z", "2026-12-03T15:00:00Z",                          // CST after 1 November
        ], sends.Select(s => s.FireAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)));
        Assert.Contains(sends, s => s.Key == "election-reminder:E1:-30:C1");

        // Later in the year only the leads still ahead are scheduled for a new channel.
        _clock.Set(DateTimeOffset.Parse("2026-10-30T12:00:00Z", CultureInfo.InvariantCulture));
        await Say("election remind --lead 30,7,1 --after 1", channel: "C2");
        var c2 = (await Upcoming(50)).Where(s => s.Data["channel"] == "C2").Select(s => s.Key).ToList();
        Assert.Equal(["election-reminder:E1:-1:C2", "election-reminder:E1:1:C2"], c2);
    }

    [Fact]
    public async Task Changing_the_time_zone_moves_the_reminders_to_nine_there()
    {
        await Say("election add atlanta 2026-11-03");
        await Say("election remind --lead 30 --after 1");
        Assert.Contains("Scheduled sends now follow it", await Say("coord settings --tz Europe/Berlin"));
        var sends = await Upcoming(10);
        Assert.Equal(["2026-10-04T07:00:00Z", "2026-11-04T08:00:00Z"],   // 09:00 CEST (UTC+2), then 09:00 CET (UTC+1)
            sends.Select(s => s.FireAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task Unsubscribing_and_removing_cancel_pending_reminders()
    {
        await Say("election add atlanta 2026-11-03");
        await Say("election add decatur 2026-11-10");
        await Say("election remind");
        await Say("election remind --lead 7", channel: "C2");
        var schedule = _chat.Get<IScheduledSends>();
        Assert.Equal(7 * 2 + 2 * 3, (await Upcoming(100)).Count);

        Assert.Contains("no more election reminders", await Say("election remind off", channel: "C2"));
        Assert.DoesNotContain(await Upcoming(100), s => s.Data["channel"] == "C2");
        await Say("election remove E1");
        var left = await Upcoming(100);
        Assert.Equal(7, left.Count);
        Assert.NotEmpty(left);
        Assert.All(left, s => Assert.StartsWith("election-reminder:E2:", s.Key));
    }

    [Fact]
    public async Task A_fired_reminder_goes_to_the_outbox_once_and_a_stale_one_is_dropped()
    {
        await AddCoalitionAsync();
        await Say("election add atlanta 2026-11-03");
        await Say("election remind");
        var reminders = _chat.Get<ElectionReminders>();
        var send = (await Upcoming(50)).Single(s => s.Key == "election-reminder:E1:-30:C1");

        _clock.Set(send.FireAt);
        await reminders.HandleAsync(send, TimeSpan.Zero, default);
        await reminders.HandleAsync(send, TimeSpan.FromMinutes(5), default);   // fired again after a restart: same key, nothing new
        var outbox = _chat.Get<OutboxStore>();
        var queued = await outbox.GetAsync("W", send.Key);
        Assert.NotNull(queued);
        // The 30-day reminder also gives the keeper of each ally at risk their own list, once (docs/features.md, "Turnover radar").
        Assert.Equal([send.Key, "election-owner:E1:-30:alice"], (await outbox.PendingAsync("W", 10)).Select(p => p.Key).Order(StringComparer.Ordinal).Reverse());

        // A lead that fires after election day (host down for weeks) is dropped.
        var lead = (await Upcoming(50)).Single(s => s.Key == "election-reminder:E1:-7:C1");
        _clock.Set(DateTimeOffset.Parse("2026-11-05T15:00:00Z", CultureInfo.InvariantCulture));
        await reminders.HandleAsync(lead, TimeSpan.FromDays(9), default);
        Assert.Null(await outbox.GetAsync("W", lead.Key));
    }

    [Fact]
    public async Task Preview_shows_the_next_reminder_as_posted()
    {
        await AddCoalitionAsync();
        await Say("election add atlanta 2026-11-03");
        var preview = await Say("election preview E1");
        Assert.Contains("Preview of the reminder due 2026-05-07 at 09:00 (America/Chicago)", preview);
        Assert.Contains("in 180 days", preview);
        Assert.Contains("Months out", preview);
    }

    [Fact]
    public async Task Import_from_text_adds_then_updates_by_uid_and_refuses_a_broken_feed_whole()
    {
        const string feed = "BEGIN:VCALENDAR\nVERSION:2.0\n" +
            "BEGIN:VEVENT\nUID:primary-2026@clerk\nDTSTART;VALUE=DATE:20260519\nSUMMARY:Primary Election\nLOCATION:Atlanta\nEND:VEVENT\n" +
            "BEGIN:VEVENT\nUID:general-2026@clerk\nDTSTART;TZID=America/New_York:20261103T070000\nSUMMARY:General Election\nLOCATION:Atlanta\nEND:VEVENT\n" +
            "END:VCALENDAR\n";
        Assert.Contains("Imported 2 new and updated 0 elections", await Say("election import\n" + feed));
        Assert.Contains("Imported 0 new and updated 2 elections", await Say("election import\n" + feed.Replace("General Election", "General Election (county)")));
        var list = await Say("election list --all");
        Assert.Contains("Primary Election (E1) · 2026-05-19", list);
        Assert.Contains("General Election (county) (E2) · 2026-11-03", list);
        Assert.Contains("primary", await Say("election show E1"));

        var broken = feed.Replace("END:VEVENT\nEND:VCALENDAR", "END:VCALENDAR").Replace("UID:primary-2026@clerk", "UID:other@clerk");
        Assert.Contains("Nothing imported: line", await Say("election import\n" + broken));
        Assert.DoesNotContain("(E3)", await Say("election list --all"));
        Assert.Contains("Give the calendar's URL", await Say("election import"));
    }

    [Fact]
    public async Task Coord_status_lists_the_next_scheduled_sends()
    {
        await Say("election add atlanta 2026-11-03");
        await Say("election remind");
        var status = await Say("coord status");
        Assert.Contains("2026-05-07 09:00 America/Chicago", status);
        Assert.Contains("election-reminder:E1:-180:C1 → C1", status);
    }
}
