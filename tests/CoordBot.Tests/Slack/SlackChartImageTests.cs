using System.Text.Json.Nodes;
using CoordBot.CheckIns;
using CoordBot.Data;
using CoordBot.Outbox;
using CoordBot.Slack;
using CoordBot.Tests.Support;
using Dapper;
using SkiaSharp;
using Xunit;

namespace CoordBot.Tests.Slack;

/// <summary>
/// Run charts inside Slack (issue 15): with a public address the digest carries image blocks Slack fetches from the host;
/// without one, the digest's PNGs are shared as files through the two-step files API, once each, across restarts,
/// rate limits and failures, against the fake Slack.
/// </summary>
public sealed class SlackChartImageTests : SlackHostTest
{
    private const string PublicBase = "https://coordbot.example.org";

    protected override Dictionary<string, string?> HostSettings => new()
    {
        // Short enough that a restarted host takes over the cut-off send quickly, and a stopping host lets go quickly.
        ["Outbox:Lease"] = "00:00:02",
        ["Outbox:StopGrace"] = "00:00:00.300",
        ["Outbox:FirstRetry"] = "00:00:03",
    };

    /// <summary>Sets up an initiative in C1 with this week's numbers from alice and asks for its digest; returns the chart count it should have.</summary>
    private async Task<int> DigestAsync()
    {
        Slack.AddUser(Team, "U1", "alice", timeZone: "UTC", isAdmin: true);
        var day = DateTimeOffset.UtcNow.DayOfWeek.ToString()[..3].ToLowerInvariant();
        (await Client.CommandAsync(Team, "U1", "/checkin", $"setup Vets --template bfz --every {day} 00:00 --tz UTC --members <@U1|alice>")).Message()
            .Shows("Set up Vets (I1)");
        Assert.Contains("Recorded", SlackText.Of((await Client.CommandAsync(Team, "U1", "/checkin", "submit I1 \"actively homeless\"=42 inflow=3 outflow=5")).Message()));
        Assert.Contains("Posting the", SlackText.Of((await Client.CommandAsync(Team, "U1", "/checkin", "digest I1")).Message()));
        return 3;   // the Built for Zero template: actively homeless, inflow, outflow
    }

    private async Task<JsonObject> DigestMessageAsync() =>
        (await Slack.WaitForCallAsync("chat.postMessage", c => SlackText.Of(c.Message()).Contains("weekly digest"), TimeSpan.FromSeconds(30))).Message();

    private static (int Width, int Height) SizeOf(byte[] png)
    {
        using var bitmap = SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        return (bitmap.Width, bitmap.Height);
    }

    [Fact]
    public async Task With_a_public_address_the_digest_carries_image_blocks_whose_urls_answer_a_png_of_800_by_400()
    {
        await Host.DisposeAsync();
        Host = StartHost(new() { ["Bot:PublicBaseUrl"] = PublicBase });
        Client = new SlackTestClient(Host.Http, SigningSecret, Slack);
        var charts = await DigestAsync();

        var digest = await DigestMessageAsync();
        BlockKitLimits.AssertValidMessage(digest);
        var images = digest["blocks"]!.AsArray().OfType<JsonObject>().Where(b => b["type"]!.GetValue<string>() == "image").ToList();
        Assert.Equal(charts, images.Count);
        foreach (var image in images)
        {
            var url = image["image_url"]!.GetValue<string>();
            Assert.StartsWith(PublicBase + "/charts/T1/1/", url, StringComparison.Ordinal);
            Assert.StartsWith("Run chart of ", image["alt_text"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Contains("Latest: ", image["alt_text"]!.GetValue<string>(), StringComparison.Ordinal);
            // What Slack would fetch: the public address is this host.
            using var response = await Host.Http.GetAsync(url[PublicBase.Length..]);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal((800, 400), SizeOf(await response.Content.ReadAsByteArrayAsync()));
            // The same link with another workspace, or its signature edited, shows nothing.
            using var foreign = await Host.Http.GetAsync(url[PublicBase.Length..].Replace("/charts/T1/", "/charts/T2/", StringComparison.Ordinal));
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, foreign.StatusCode);
        }
        // The open-link button stays beside each image; nothing is uploaded.
        Assert.Equal(charts, digest["blocks"]!.AsArray().OfType<JsonObject>().Count(b => b["accessory"]?["action_id"]?.GetValue<string>() == "coordbot-chart-link"));
        Assert.Empty(Slack.CallsTo("files.getUploadURLExternal"));
    }

    [Fact]
    public async Task Without_a_public_address_the_digests_pngs_are_shared_in_its_channel_once_each_after_its_text()
    {
        var charts = await DigestAsync();
        var digest = await DigestMessageAsync();
        BlockKitLimits.AssertValidMessage(digest);
        Assert.Contains(CoordBot.Slack.BlockKit.BlockKitRenderer.ChartUploadNote, SlackText.Of(digest));
        Assert.DoesNotContain("\"image\"", digest.ToJsonString());

        var shared = await SharedAsync(charts);
        Assert.All(shared, f => Assert.Equal("C1", f.Channel));
        Assert.All(shared, f => Assert.Equal((800, 400), SizeOf(f.Bytes)));
        Assert.All(shared, f => Assert.StartsWith("Run chart of ", f.AltText, StringComparison.Ordinal));
        Assert.All(shared, f => Assert.EndsWith(".png", f.FileName, StringComparison.Ordinal));
        Assert.Equal(charts, shared.Select(f => f.Title).Distinct().Count());
        Assert.Equal(charts, Slack.CallsTo("files.completeUploadExternal").Count);
        // The files come after the text.
        var textTs = decimal.Parse(Slack.Messages.Single(m => SlackText.Of(m.Message).Contains("weekly digest")).Message["ts"]!.GetValue<string>(),
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.All(shared, f => Assert.True(decimal.Parse(f.Ts, System.Globalization.CultureInfo.InvariantCulture) > textTs));
        await WaitForAsync(async () => (await OutboxStatusAsync()) == "sent");
    }

    [Fact]
    public async Task A_restart_after_a_chart_is_uploaded_and_before_it_is_completed_completes_the_same_file_and_never_uploads_it_twice()
    {
        // The first completion fails (Slack's internal_error, worth another try); the host stops before that try.
        Slack.FailNext("files.completeUploadExternal", "internal_error");
        var charts = await DigestAsync();
        await DigestMessageAsync();
        await WaitForAsync(async () => await StateAsync(0) == "Uploaded");
        await Host.DisposeAsync();
        var uploadedFile = Slack.CallsTo("files.getUploadURLExternal").Count;
        Assert.Equal(1, uploadedFile);

        Host = StartHost();
        var shared = await SharedAsync(charts);
        Assert.Equal(charts, shared.Count);
        Assert.Equal(charts, shared.Select(f => f.FileId).Distinct().Count());
        // Chart 1's file id from before the restart was completed; no chart was asked an upload URL twice.
        Assert.Equal(charts, Slack.CallsTo("files.getUploadURLExternal").Count);
        Assert.Single(Slack.Messages, m => SlackText.Of(m.Message).Contains("weekly digest"));
        await WaitForAsync(async () => (await OutboxStatusAsync()) == "sent");
    }

    [Fact]
    public async Task A_restart_while_a_completion_is_under_way_finds_the_file_in_the_channel_and_does_not_share_it_again()
    {
        // The first completion hangs until the host gives up on it; Slack (the fake) then shares the file anyway,
        // so the stopped host never learned that it had.
        Slack.DelayNext("files.completeUploadExternal", TimeSpan.FromMinutes(5));
        var charts = await DigestAsync();
        await DigestMessageAsync();
        await WaitForAsync(async () => await StateAsync(0) == "Completing");
        await Host.DisposeAsync();
        await WaitForAsync(() => Task.FromResult(Slack.SharedFiles.Count == 1));

        Host = StartHost();
        var shared = await SharedAsync(charts);
        Assert.Equal(charts, shared.Select(f => f.FileId).Distinct().Count());
        Assert.Equal(charts, Slack.CallsTo("files.completeUploadExternal").Count);   // none completed twice
        Assert.Single(Slack.Messages, m => SlackText.Of(m.Message).Contains("weekly digest"));
        await WaitForAsync(async () => (await OutboxStatusAsync()) == "sent");
        Assert.Equal(charts, shared.Count);
    }

    [Fact]
    public async Task A_429_on_either_step_or_on_the_upload_is_waited_out_for_its_retry_after_and_each_chart_still_goes_once()
    {
        Slack.RateLimitNext("files.getUploadURLExternal", retryAfterSeconds: 1);
        Slack.RateLimitNext("upload_url", retryAfterSeconds: 1);
        Slack.RateLimitNext("files.completeUploadExternal", retryAfterSeconds: 1);
        var charts = await DigestAsync();
        var shared = await SharedAsync(charts);
        Assert.Equal(charts, shared.Select(f => f.FileId).Distinct().Count());
        Assert.All(shared, f => Assert.Equal((800, 400), SizeOf(f.Bytes)));
        foreach (var method in new[] { "files.getUploadURLExternal", "files.completeUploadExternal" })
        {
            var calls = Slack.CallsTo(method);
            Assert.Equal(charts + 1, calls.Count);                                 // the refused one, then one per chart
            Assert.True(calls[1].At - calls[0].At >= TimeSpan.FromSeconds(0.9), $"{method} was tried again before its Retry-After");
        }
        await WaitForAsync(async () => (await OutboxStatusAsync()) == "sent");
    }

    [Fact]
    public async Task Without_files_write_the_digest_text_is_posted_and_the_send_fails_visibly_with_missing_scope()
    {
        Slack.WithoutScopes(BotToken, "files:write");
        await DigestAsync();
        var digest = await DigestMessageAsync();
        Assert.Contains("weekly digest", SlackText.Of(digest));
        await WaitForAsync(async () => (await OutboxStatusAsync()) == "failed");
        var (failures, _) = await Host.Get<OutboxStore>().FailedSinceAsync(Team, DateTimeOffset.UtcNow.AddHours(-1), 10);
        Assert.Contains("missing_scope", Assert.Single(failures).Reason, StringComparison.Ordinal);
        Assert.Empty(Slack.SharedFiles);
        Assert.Single(Slack.Messages, m => SlackText.Of(m.Message).Contains("weekly digest"));
    }

    [Fact]
    public async Task Only_a_valid_unexpired_png_link_of_the_messages_own_workspace_gives_an_image()
    {
        await DigestAsync();
        var images = Host.Get<ChartImages>();
        var initiative = (await Host.Get<InitiativeStore>().GetAsync(Team, 1))!;
        var week = IsoWeeks.Of(DateOnly.FromDateTime(DateTime.UtcNow));
        var link = Host.Get<CheckInDigest>().ChartLink(Team, initiative, 0, week, 26, ChartFormat.Png);
        Assert.Equal((800, 400), SizeOf((await images.PngAsync(Team, link, CancellationToken.None))!));
        Assert.Equal((800, 400), SizeOf((await images.PngAsync(Team, PublicBase + link, CancellationToken.None))!));   // absolute: the same path

        foreach (var (workspace, forged) in new[]
        {
            ("T2", link),                                                                       // another workspace's message
            (Team, link.Replace("/charts/T1/1/0/", "/charts/T1/1/1/", StringComparison.Ordinal)), // another metric, same signature
            (Team, link.Replace("weeks=26", "weeks=520", StringComparison.Ordinal)),            // more weeks, same signature
            (Team, link.Replace(".png?", ".svg?", StringComparison.Ordinal)),                   // the SVG's path
            (Team, link[..^3] + "AAA"),                                                         // signature edited
            (Team, link.Replace("weeks=26", "weeks=99999999999", StringComparison.Ordinal)),
            (Team, "/charts/T1/1/0/" + week + ".png"),                                          // unsigned
            (Team, "javascript:alert(1)"),
            (Team, "//evil.example/charts/T1/1/0/x.png?weeks=1&exp=1&sig=x"),
            (Team, ""),
            (Team, new string('/', 5000)),
        })
            Assert.Null(await images.PngAsync(workspace, forged, CancellationToken.None));
    }

    private async Task<JsonObject> CommandAsync(string text)
    {
        var answer = await Client.CommandAsync(Team, "U1", "/checkin", text);
        Assert.Equal(System.Net.HttpStatusCode.OK, answer.Status);
        var message = answer.Body.Length > 0 ? answer.Json : await Slack.WaitForResponseTo(answer.ResponseUrlId!);
        BlockKitLimits.AssertValidMessage(message);
        BlockKitLimits.AssertInert(message);
        return message;
    }

    [Fact]
    public async Task Checkin_chart_in_slack_is_ephemeral_an_image_block_with_a_public_address_and_words_without_one()
    {
        await DigestAsync();
        var plain = await CommandAsync("chart I1 --metric inflow --weeks 12");
        Assert.Equal("ephemeral", plain["response_type"]?.GetValue<string>());
        Assert.Contains("Run chart of inflow, 12 weeks", SlackText.Of(plain));             // the text alternative, in words
        Assert.Contains("set Bot:PublicBaseUrl to link charts here", SlackText.Of(plain));  // an ephemeral reply shares no file
        Assert.DoesNotContain("\"image\"", plain.ToJsonString());

        await Host.DisposeAsync();
        Host = StartHost(new() { ["Bot:PublicBaseUrl"] = PublicBase });
        Client = new SlackTestClient(Host.Http, SigningSecret, Slack);
        var shown = await CommandAsync("chart I1 --metric inflow --weeks 12");
        Assert.Equal("ephemeral", shown["response_type"]?.GetValue<string>());
        var image = Assert.Single(shown["blocks"]!.AsArray().OfType<JsonObject>(), b => b["type"]!.GetValue<string>() == "image");
        var url = image["image_url"]!.GetValue<string>();
        Assert.Contains("/charts/T1/1/1/", url, StringComparison.Ordinal);
        using var response = await Host.Http.GetAsync(url[PublicBase.Length..]);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((800, 400), SizeOf(await response.Content.ReadAsByteArrayAsync()));

        // The report shows its charts the same way, ephemeral too.
        var report = await CommandAsync("report I1");
        Assert.Equal("ephemeral", report["response_type"]?.GetValue<string>());
        Assert.Equal(3, report["blocks"]!.AsArray().OfType<JsonObject>().Count(b => b["type"]!.GetValue<string>() == "image"));
    }

    [Theory]
    [InlineData("chart I9", "No initiative")]
    [InlineData("chart I1 --weeks 99999999999", "--weeks needs a whole number")]
    [InlineData("chart I1 --weeks 0", "--weeks is from 1 to 520")]
    [InlineData("chart I1 --metric \"<!channel> *x*\"", "has no metric")]
    public async Task Checkin_chart_in_slack_refuses_bad_input_without_a_change(string command, string expected)
    {
        await DigestAsync();
        await WaitForAsync(async () => (await OutboxStatusAsync()) == "sent");   // the digest's sends are done: nothing else changes rows
        var before = await WorkspaceRows.SnapshotAsync(Host.Get<Database>(), Team);
        var reply = await CommandAsync(command);
        Assert.Contains(expected, SlackText.Of(reply), StringComparison.Ordinal);
        Assert.DoesNotContain("/charts/", reply.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(before, await WorkspaceRows.SnapshotAsync(Host.Get<Database>(), Team));
    }

    /// <summary>Waits until <paramref name="count"/> files are shared (and a moment more for any extra), then returns them.</summary>
    private async Task<IReadOnlyList<SharedFile>> SharedAsync(int count)
    {
        await WaitForAsync(() => Task.FromResult(Slack.SharedFiles.Count >= count));
        await WaitForAsync(async () => (await OutboxStatusAsync()) is "sent" or "failed");
        return Slack.SharedFiles;
    }

    private async Task<string?> OutboxStatusAsync()
    {
        await using var connection = await Host.Get<Database>().OpenAsync(CancellationToken.None);
        return await connection.QuerySingleOrDefaultAsync<string?>(
            "SELECT status FROM outbox WHERE workspace_id = @Team AND idempotency_key LIKE '%digest%'", new { Team });
    }

    private async Task<string?> StateAsync(int chart)
    {
        await using var connection = await Host.Get<Database>().OpenAsync(CancellationToken.None);
        return await connection.QuerySingleOrDefaultAsync<string?>(
            "SELECT state FROM slack_chart_uploads WHERE workspace_id = @Team AND chart = @Chart", new { Team, Chart = chart });
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        // The outcome of work done in the background (the outbox): polled for up to 30 s.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition() && !timeout.IsCancellationRequested) await Task.Delay(20);
        Assert.True(await condition());
    }
}
