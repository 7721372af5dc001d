using CoordBot.Tests.Support;
using Microsoft.Playwright;
using Xunit;

namespace CoordBot.Tests.Browser;

/// <summary>
/// The local chat page in a real headless Chromium (Debian's package, driven by Playwright) against
/// the real host on loopback.
/// </summary>
public sealed class ChatPageTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();
    private TestHost _host = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private IPage _page = null!;
    private int _dialogs;

    public async ValueTask InitializeAsync()
    {
        var chromium = WholeSuiteTests.FindChromium();
        if (chromium is null)
        {
            // CI installs chromium (.ci/run); elsewhere a missing browser skips visibly instead of failing.
            if (Environment.GetEnvironmentVariable("CI") is { Length: > 0 })
                throw new InvalidOperationException("CI is set but no chromium was found (set CHROMIUM_PATH or apt-get install chromium).");
            Assert.Skip("No chromium found: install Debian's chromium or set CHROMIUM_PATH to run the browser tests.");
        }
        _host = new TestHost(_db);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        _page = await _browser.NewPageAsync();
        _page.SetDefaultTimeout(15_000);
        _page.Dialog += (_, dialog) => { _dialogs++; _ = dialog.DismissAsync(); };
        await _page.GotoAsync(_host.BaseAddress.ToString());
        await _page.FillAsync("#user", "alice");
        await _page.DispatchEventAsync("#user", "change");
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null) await _browser.CloseAsync();
        _playwright?.Dispose();
        if (_host is not null) await _host.DisposeAsync();
        _db.Dispose();
    }

    private async Task<ILocator> Send(string text)
    {
        var before = await _page.Locator(".msg.bot").CountAsync();
        await _page.FillAsync("#text", text);
        await _page.PressAsync("#text", "Enter");
        return await NextReply(before);
    }

    private async Task<ILocator> NextReply(int before)
    {
        var reply = _page.Locator(".msg.bot").Nth(before);
        await reply.WaitForAsync();
        return reply;
    }

    [Fact]
    public async Task Type_a_command_see_the_card_then_add_with_the_form()
    {
        var added = await Send("ally add \"Jane Doe\" --org \"City of Atlanta\" --sector government --level career");
        await Assertions.Expect(added.Locator(".card")).ToContainTextAsync("Added Jane Doe (A1)");
        await Assertions.Expect(added.Locator("dl")).ToContainTextAsync("City of Atlanta");

        var form = await Send("ally add");
        await form.Locator("input[name=name]").FillAsync("Sam Lee");
        await form.Locator("input[name=org]").FillAsync("Atlanta Housing Trust");
        await form.Locator("select[name=sector]").SelectOptionAsync("nonprofit");
        await form.Locator("select[name=level]").SelectOptionAsync("executive");
        var before = await _page.Locator(".msg.bot").CountAsync();
        await form.Locator("button[type=submit]").ClickAsync();
        var formReply = await NextReply(before);
        await Assertions.Expect(formReply).ToContainTextAsync("Added Sam Lee (A2)");
        await Assertions.Expect(formReply).ToContainTextAsync("nonprofit");

        var list = await Send("ally list");
        await Assertions.Expect(list.Locator("li")).ToHaveCountAsync(2);
        await Assertions.Expect(list).ToContainTextAsync("Jane Doe (A1)");
        await Assertions.Expect(list).ToContainTextAsync("Sam Lee (A2)");
    }

    [Fact]
    public async Task Buttons_run_their_action_and_user_text_stays_text()
    {
        var hostile = "<img src=x onerror=alert(1)>";
        var added = await Send($"ally add \"{hostile}\" --notes \"<b>bold</b>\"");
        await Assertions.Expect(added).ToContainTextAsync($"Added {hostile} (A1)");
        Assert.Equal(0, await _page.Locator(".msg.bot img").CountAsync());
        Assert.Equal(0, await _page.Locator(".msg.bot b").CountAsync());

        var shown = await Send("ally show A1");
        var before = await _page.Locator(".msg.bot").CountAsync();
        await shown.Locator("button.danger", new() { HasText = "Remove" }).ClickAsync();
        var confirm = await NextReply(before);
        await Assertions.Expect(confirm).ToContainTextAsync("Remove <img src=x onerror=alert(1)> (A1)?");
        before = await _page.Locator(".msg.bot").CountAsync();
        await confirm.Locator("button.danger").ClickAsync();
        await Assertions.Expect(await NextReply(before)).ToContainTextAsync("Removed");
        await Assertions.Expect(await Send("ally list")).ToContainTextAsync("No allies yet");
        Assert.Equal(0, _dialogs);
    }

    [Fact]
    public async Task A_digest_in_the_channel_shows_its_run_chart_as_a_loaded_image()
    {
        await Assertions.Expect(await Send("checkin setup \"Veteran homelessness\" --template bfz --baseline 120 --target 80 --members @alice"))
            .ToContainTextAsync("Set up Veteran homelessness (I1)");
        await Assertions.Expect(await Send("checkin submit I1 \"actively homeless\"=112 inflow=4 outflow=9 --wins \"Two landlords joined\""))
            .ToContainTextAsync("Recorded your");
        await Assertions.Expect(await Send("checkin digest I1")).ToContainTextAsync("Posting the");

        // The digest arrives through the outbox; the page picks it up on its next poll of GET /local/messages.
        var digest = _page.Locator(".msg.bot", new() { HasText = "weekly digest" });
        await digest.WaitForAsync();
        await Assertions.Expect(digest).ToContainTextAsync("Two landlords joined");
        var chart = digest.Locator("figure.chart img").First;
        Assert.StartsWith("/charts/local/", await chart.GetAttributeAsync("src"), StringComparison.Ordinal);
        Assert.Contains(".png?", await chart.GetAttributeAsync("src"), StringComparison.Ordinal);
        Assert.Equal("800", await chart.GetAttributeAsync("width"));
        Assert.Equal("400", await chart.GetAttributeAsync("height"));
        // The text alternative: the latest value and the signals, not just the title.
        var alt = await chart.GetAttributeAsync("alt");
        Assert.Equal("Run chart of actively homeless", alt?.Split(',')[0]);
        Assert.Contains("Latest: 112", alt, StringComparison.Ordinal);
        // The link beside it opens the SVG.
        Assert.Contains(".svg?", await digest.Locator("figure.chart figcaption a").First.GetAttributeAsync("href"), StringComparison.Ordinal);
        // Loaded and decoded as an image (an error page or a blocked request leaves naturalWidth at 0).
        await chart.EvaluateAsync("img => img.complete ? null : new Promise(r => { img.onload = img.onerror = r; })");
        Assert.Equal(800, await chart.EvaluateAsync<int>("img => img.naturalWidth"));   // decoded: an error page or a blocked request leaves 0
        Assert.Equal(400, await chart.EvaluateAsync<int>("img => img.naturalHeight"));
        Assert.Equal(0, _dialogs);
    }

    [Fact]
    public async Task Errors_from_the_server_are_shown()
    {
        var reply = await Send("ally add Jane --sector gov");
        await Assertions.Expect(reply.Locator(".card.error")).ToContainTextAsync("\"gov\" is not a valid --sector");
    }

    [Fact]
    public async Task Attached_files_go_with_the_command_a_zip_as_a_file_and_a_csv_as_text()
    {
        // A zip of Open States files (the real fixtures; the clock is real, and these roles have no end date).
        var zip = CoordBot.Tests.Allies.OpenStatesImportTests.Zip(
            "ak/legislature/Andi-Story-7db414a5-dd7e-48a9-aba2-9c0204f93a5c.yml", "ak/legislature/Cathy-Giessel-4ac9a4bf-e2d9-4257-a360-9e91dc234deb.yml");
        var before = await _page.Locator(".msg.bot").CountAsync();
        await _page.SetInputFilesAsync("#files", new FilePayload { Name = "ak.zip", MimeType = "application/zip", Buffer = zip });
        await Assertions.Expect(_page.Locator("#attached")).ToHaveTextAsync("ak.zip");
        await _page.FillAsync("#text", "ally import --format openstates");
        await _page.PressAsync("#text", "Enter");
        var imported = await NextReply(before);
        await Assertions.Expect(imported.Locator(".card")).ToContainTextAsync("Open States import: added 2 allies (A1–A2).");
        await Assertions.Expect(_page.Locator(".msg.mine").Last).ToContainTextAsync("ally import --format openstates [ak.zip]");
        await Assertions.Expect(_page.Locator("#attached")).ToHaveTextAsync("");

        // A CSV goes on the lines after the command, as in Slack.
        before = await _page.Locator(".msg.bot").CountAsync();
        await _page.SetInputFilesAsync("#files", new FilePayload { Name = "allies.csv", MimeType = "text/csv", Buffer = "name,org\nJane Doe,City of Atlanta\n"u8.ToArray() });
        await _page.FillAsync("#text", "ally import");
        await _page.PressAsync("#text", "Enter");
        await Assertions.Expect((await NextReply(before)).Locator(".card")).ToContainTextAsync("Imported 1 ally (A3).");
    }
}
