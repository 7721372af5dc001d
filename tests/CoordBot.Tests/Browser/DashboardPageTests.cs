using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using CoordBot.CheckIns;
using CoordBot.Tests.Support;
using Microsoft.Playwright;
using Xunit;

namespace CoordBot.Tests.Browser;

/// <summary>
/// The dashboard in a real headless Chromium (Debian's package, driven by Playwright) against the real host on loopback:
/// opened from a <c>coord dashboard</c> link in the local chat, its charts loaded as images, its pages linked to each other,
/// an initiative printed to PDF, and a tampered link refused.
/// </summary>
public sealed partial class DashboardPageTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();
    private TestHost _host = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private IPage _chat = null!;
    private readonly List<string> _consoleErrors = [];

    public async ValueTask InitializeAsync()
    {
        var chromium = WholeSuiteTests.FindChromium();
        if (chromium is null)
        {
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
        var context = await _browser.NewContextAsync();
        _chat = await context.NewPageAsync();
        _chat.SetDefaultTimeout(15_000);
        await _chat.GotoAsync(_host.BaseAddress.ToString());
        await _chat.FillAsync("#user", "alice");
        await _chat.DispatchEventAsync("#user", "change");
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null) await _browser.CloseAsync();
        _playwright?.Dispose();
        if (_host is not null) await _host.DisposeAsync();
        _db.Dispose();
    }

    /// <summary>An initiative with 20 weeks of Built for Zero numbers, two allies in one organization who know each other, an election with reminders.</summary>
    private async Task SeedAsync()
    {
        var alice = _host.User("alice");
        await alice.Says("checkin setup \"Veteran homelessness\" --template bfz --baseline 120 --target 80 --members @alice").Expect("Set up Veteran homelessness (I1)");
        await alice.Says("ally add \"Jane Doe\" --org \"City of Atlanta\" --sector government --level elected --jurisdiction atlanta").Expect("Added Jane Doe (A1)");
        await alice.Says("ally add \"Sam Lee\" --org \"City of Atlanta\" --sector government --level career --jurisdiction atlanta").Expect("Added Sam Lee (A2)");
        await alice.Says("ally link A1 A2 --as \"former colleagues\"").Expect("Linked");
        var election = DateOnly.FromDateTime(DateTime.UtcNow).AddMonths(4);
        await alice.Says($"election add atlanta {election:yyyy-MM-dd} --kind general --offices \"Mayor, Council\"").Expect("E1");
        await alice.Says("election remind").Expect("reminders");

        var initiative = await _host.Get<InitiativeStore>().FindAsync("local", "I1") ?? throw new InvalidOperationException("no I1");
        var weeks = CheckInSummary.WeeksEndingWith(new CheckInCycle(initiative).WeekAt(DateTimeOffset.UtcNow), 20);
        var actively = 120.0;
        var rows = new List<CheckIn>();
        foreach (var (week, i) in weeks.Select((w, i) => (w, i)))
        {
            var inflow = 6.0;
            var outflow = i < 10 ? 6.0 : 9.0;   // a sustained fall in the second half: a signal
            actively += inflow - outflow;
            rows.Add(new CheckIn(week, "alice", new Dictionary<string, double> { ["actively homeless"] = actively, ["inflow"] = inflow, ["outflow"] = outflow },
                null, null, null, null, DateTimeOffset.UtcNow));
        }
        await _host.Get<CheckInStore>().ImportAsync("local", initiative.Id, rows);
    }

    /// <summary>Asks for a link in the chat page and opens its button (a new tab), returning that tab.</summary>
    private async Task<IPage> OpenFromChatAsync()
    {
        var before = await _chat.Locator(".msg.bot").CountAsync();
        await _chat.FillAsync("#text", "coord dashboard");
        await _chat.PressAsync("#text", "Enter");
        var reply = _chat.Locator(".msg.bot").Nth(before);
        await reply.WaitForAsync();
        var button = reply.Locator("a.button", new() { HasText = "Open the dashboard" });
        Assert.StartsWith("/dashboard/open?", await button.GetAttributeAsync("href"), StringComparison.Ordinal);
        var tab = await _chat.Context.RunAndWaitForPageAsync(() => button.ClickAsync());
        tab.SetDefaultTimeout(15_000);
        tab.Console += (_, message) => { if (message.Type == "error") _consoleErrors.Add(message.Text); };
        await tab.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/dashboard");
        return tab;
    }

    private static async Task<IReadOnlyList<(int Width, int Height)>> LoadedImagesAsync(IPage page)
    {
        var images = page.Locator("figure img");
        var sizes = new List<(int, int)>();
        for (var i = 0; i < await images.CountAsync(); i++)
        {
            var image = images.Nth(i);
            await image.ScrollIntoViewIfNeededAsync();
            await image.EvaluateAsync("img => img.complete ? null : new Promise(r => { img.onload = img.onerror = r; })");
            sizes.Add((await image.EvaluateAsync<int>("img => img.naturalWidth"), await image.EvaluateAsync<int>("img => img.naturalHeight")));
            Assert.Equal("800", await image.GetAttributeAsync("width"));
            Assert.Equal("400", await image.GetAttributeAsync("height"));
            Assert.StartsWith("Run chart of ", await image.GetAttributeAsync("alt"), StringComparison.Ordinal);
        }
        return sizes;
    }

    [Fact]
    public async Task Open_from_chat_see_the_charts_and_follow_the_pages()
    {
        await SeedAsync();
        var page = await OpenFromChatAsync();
        Assert.DoesNotContain("sig=", page.Url, StringComparison.Ordinal);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Initiatives");
        await Assertions.Expect(page.Locator("section.initiative h2")).ToHaveTextAsync("Veteran homelessness (I1)");
        await Assertions.Expect(page.Locator("section.initiative")).ToContainTextAsync("Latest: 90 people in");
        await Assertions.Expect(page.Locator("section.initiative")).ToContainTextAsync("Balance check");
        await Assertions.Expect(page.Locator("ul.signals").First).ToContainTextAsync("Improvement");

        // Each of the three Built for Zero metrics' charts, loaded and decoded as an 800×400 image.
        var sizes = await LoadedImagesAsync(page);
        Assert.Equal(3, sizes.Count);
        Assert.All(sizes, s => Assert.Equal((800, 400), s));

        // Initiatives → Coalition → an ally → Coalition → Elections → an ally at risk.
        await page.ClickAsync("nav a:text('Coalition')");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Coalition: 2 allies");
        await Assertions.Expect(page.Locator("table")).ToContainTextAsync("government");
        await page.Locator("ul.links a", new() { HasText = "Sam Lee (A2)" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Sam Lee (A2)");
        await Assertions.Expect(page.Locator("dl")).ToContainTextAsync("City of Atlanta");
        await page.Locator("a", new() { HasText = "Jane Doe (A1)" }).ClickAsync();
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("former colleagues");
        await page.ClickAsync("nav a:text('Elections')");
        var election = page.Locator("section.election").First;
        await Assertions.Expect(election.Locator("h2")).ToContainTextAsync("(E1)");
        await Assertions.Expect(election).ToContainTextAsync("At risk (1)");
        await Assertions.Expect(election).ToContainTextAsync("Continuity allies (1)");
        await Assertions.Expect(election.Locator("h3", new() { HasText = "Reminders scheduled" })).Not.ToHaveTextAsync("Reminders scheduled (0)");
        await election.Locator("a", new() { HasText = "Jane Doe (A1)" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Jane Doe (A1)");
        await page.ClickAsync("nav a:text('Initiatives')");
        await page.Locator("section.initiative h2 a").ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Veteran homelessness (I1)");
        await Assertions.Expect(page.Locator("table")).ToContainTextAsync("@alice");
        Assert.Empty(_consoleErrors);   // nothing blocked by the CSP, no failed loads
    }

    [Fact]
    public async Task An_initiative_prints_to_a_pdf_with_its_text()
    {
        await SeedAsync();
        var page = await OpenFromChatAsync();
        await page.Locator("section.initiative a", new() { HasText = "Print view" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("print=1", StringComparison.Ordinal));
        await Assertions.Expect(page.Locator("nav")).ToBeHiddenAsync();
        Assert.All(await LoadedImagesAsync(page), s => Assert.Equal((800, 400), s));

        foreach (var format in new[] { "A4", "Letter" })
        {
            var pdf = await page.PdfAsync(new() { Format = format, PrintBackground = false });
            Assert.Equal("%PDF-", Encoding.ASCII.GetString(pdf, 0, 5));
            var pages = PageObject().Matches(Encoding.Latin1.GetString(pdf)).Count;
            Assert.InRange(pages, 1, 4);
            // Text, not a picture of text: the words are in the content streams, as glyphs the fonts' ToUnicode maps decode.
            var text = PdfText.Extract(pdf);
            Assert.Contains("Veteran homelessness (I1)", text, StringComparison.Ordinal);
            Assert.Contains("Participation over the last", text, StringComparison.Ordinal);
        }
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task A_tampered_link_is_refused_in_the_browser()
    {
        var before = await _chat.Locator(".msg.bot").CountAsync();
        await _chat.FillAsync("#text", "coord dashboard");
        await _chat.PressAsync("#text", "Enter");
        var reply = _chat.Locator(".msg.bot").Nth(before);
        await reply.WaitForAsync();
        var href = await reply.Locator("a.button").GetAttributeAsync("href") ?? throw new InvalidOperationException("no link");
        var tab = await _chat.Context.NewPageAsync();
        var response = await tab.GotoAsync(new Uri(_host.BaseAddress, href.Replace("u=alice", "u=mallory", StringComparison.Ordinal)).ToString());
        Assert.Equal(403, response?.Status);
        await Assertions.Expect(tab.Locator("h1")).ToHaveTextAsync("This is not a valid dashboard link");
        var dashboard = await tab.GotoAsync(new Uri(_host.BaseAddress, "/dashboard").ToString());
        Assert.Equal(401, dashboard?.Status);
        await Assertions.Expect(tab.Locator("main")).ToContainTextAsync("coord dashboard");
        Assert.Empty(await _chat.Context.CookiesAsync());
    }

    [GeneratedRegex(@"/Type\s*/Page(?![s\w])")]
    private static partial Regex PageObject();
}

/// <summary>
/// Just enough of PDF to read back the text Chromium printed: inflates every stream, reads the fonts' ToUnicode CMaps
/// (bfchar and bfrange), and decodes the hex glyph strings of Tj/TJ in the content streams through the font selected by Tf.
/// </summary>
internal static partial class PdfText
{
    public static string Extract(byte[] pdf)
    {
        var raw = Encoding.Latin1.GetString(pdf);
        // Objects: number → (dictionary, inflated stream).
        var objects = new Dictionary<int, (string Dict, string Stream)>();
        foreach (Match m in ObjectRegex().Matches(raw))
        {
            var dict = m.Groups[2].Value;
            var stream = "";
            if (m.Groups[3].Success)
            {
                var start = m.Groups[3].Index;
                var bytes = pdf.AsSpan(start, m.Groups[3].Length).ToArray();
                stream = dict.Contains("/FlateDecode", StringComparison.Ordinal) ? Inflate(bytes) : Encoding.Latin1.GetString(bytes);
            }
            objects[int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)] = (dict, stream);
        }
        // Font resource name → its ToUnicode map, from every page's /Font dictionary.
        var maps = new Dictionary<string, Dictionary<int, string>>();
        foreach (var (_, (dict, _)) in objects)
            foreach (Match f in FontRefRegex().Matches(dict))
            {
                var font = int.Parse(f.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
                if (!objects.TryGetValue(font, out var fontObject) || ToUnicodeRegex().Match(fontObject.Dict) is not { Success: true } tu) continue;
                var cmap = objects[int.Parse(tu.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)].Stream;
                maps[f.Groups[1].Value] = ParseCMap(cmap);
            }
        var text = new StringBuilder();
        foreach (var (_, (dict, stream)) in objects)
        {
            if (stream.Length == 0 || dict.Contains("/Subtype", StringComparison.Ordinal) || !stream.Contains("Tf", StringComparison.Ordinal)) continue;
            Dictionary<int, string>? current = null;
            foreach (Match op in OperatorRegex().Matches(stream))
            {
                if (op.Groups[1].Success) { maps.TryGetValue(op.Groups[1].Value, out current); continue; }
                if (current is null) continue;
                foreach (Match hex in HexRegex().Matches(op.Groups[2].Value))
                {
                    var digits = hex.Groups[1].Value;
                    for (var i = 0; i + 4 <= digits.Length; i += 4)
                        if (current.TryGetValue(Convert.ToInt32(digits.Substring(i, 4), 16), out var s)) text.Append(s);
                }
                // A TJ adjustment of more than a space's width is a gap between words.
                if (SpaceRegex().IsMatch(op.Groups[2].Value)) text.Append(' ');
            }
        }
        return Regex.Replace(text.ToString(), " +", " ");
    }

    private static Dictionary<int, string> ParseCMap(string cmap)
    {
        var map = new Dictionary<int, string>();
        foreach (Match block in BfCharBlock().Matches(cmap))
            foreach (Match pair in PairRegex().Matches(block.Groups[1].Value))
                map[Convert.ToInt32(pair.Groups[1].Value, 16)] = Utf16(pair.Groups[2].Value);
        foreach (Match block in BfRangeBlock().Matches(cmap))
            foreach (Match range in RangeRegex().Matches(block.Groups[1].Value))
            {
                var (lo, hi, first) = (Convert.ToInt32(range.Groups[1].Value, 16), Convert.ToInt32(range.Groups[2].Value, 16), Convert.ToInt32(range.Groups[3].Value, 16));
                for (var code = lo; code <= hi; code++) map[code] = char.ConvertFromUtf32(first + code - lo);
            }
        return map;
    }

    private static string Utf16(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        return Encoding.BigEndianUnicode.GetString(bytes);
    }

    private static string Inflate(byte[] bytes)
    {
        try
        {
            using var input = new ZLibStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var output = new MemoryStream();
            input.CopyTo(output);
            return Encoding.Latin1.GetString(output.ToArray());
        }
        catch (InvalidDataException) { return ""; }
    }

    [GeneratedRegex(@"(\d+) 0 obj\s*(<<(?:[^<>]|<<(?:[^<>]|<<[^<>]*>>|<[0-9A-Fa-f]*>)*>>|<[0-9A-Fa-f]*>)*>>)\s*(?:stream\r?\n((?s).*?)\r?\nendstream)?", RegexOptions.Singleline)]
    private static partial Regex ObjectRegex();

    [GeneratedRegex(@"/(\w+) (\d+) 0 R")]
    private static partial Regex FontRefRegex();

    [GeneratedRegex(@"/ToUnicode (\d+) 0 R")]
    private static partial Regex ToUnicodeRegex();

    [GeneratedRegex(@"/(\w+)\s+[\d.]+\s+Tf|(\[[^\]]*\]\s*TJ|<[0-9A-Fa-f]+>\s*Tj)")]
    private static partial Regex OperatorRegex();

    [GeneratedRegex(@"<([0-9A-Fa-f]+)>")]
    private static partial Regex HexRegex();

    [GeneratedRegex(@">\s*-?(\d{3,})")]
    private static partial Regex SpaceRegex();

    [GeneratedRegex(@"beginbfchar(.*?)endbfchar", RegexOptions.Singleline)]
    private static partial Regex BfCharBlock();

    [GeneratedRegex(@"beginbfrange(.*?)endbfrange", RegexOptions.Singleline)]
    private static partial Regex BfRangeBlock();

    [GeneratedRegex(@"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")]
    private static partial Regex PairRegex();

    [GeneratedRegex(@"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")]
    private static partial Regex RangeRegex();
}
