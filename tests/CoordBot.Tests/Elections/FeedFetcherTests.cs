using System.Net;
using CoordBot.Elections;
using CoordBot.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace CoordBot.Tests.Elections;

/// <summary>The fetcher against a real Kestrel server on 127.0.0.1, and its address classifier on its own.</summary>
public sealed class FeedFetcherTests : IAsyncLifetime
{
    private const string Feed = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:g\r\nDTSTART:20261103\r\nSUMMARY:General\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    private WebApplication _app = null!;
    private readonly TaskCompletionSource _slowReached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Uri _root = null!;

    public async ValueTask InitializeAsync()
    {
        _app = Loopback.CreateApp();
        _app.MapGet("/feed.ics", () => Results.Text(Feed, "text/calendar"));
        _app.MapGet("/host", (HttpContext context) => context.Request.Host.Value);
        _app.MapGet("/missing", () => Results.NotFound());
        _app.MapGet("/redirect/{hops:int}", (int hops) => Results.Redirect(hops <= 1 ? "/feed.ics" : $"/redirect/{hops - 1}"));
        _app.MapGet("/redirect-ftp", () => Results.Redirect("ftp://example.com/feed.ics"));
        _app.MapGet("/big", async (HttpContext context, bool? declared) =>
        {
            const int size = 3 * 1024 * 1024;
            if (declared == true)
                context.Response.ContentLength = size;
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)'x');
            try
            {
                for (var sent = 0; sent < size; sent += chunk.Length)
                    await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
                // The fetcher stopped reading at its cap.
            }
        });
        _app.MapGet("/slow", async (HttpContext context) =>
        {
            _slowReached.TrySetResult();
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }
        });
        _root = await Loopback.StartAsync(_app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Counts requests that reach the network, to prove a refused URL never gets there.</summary>
    private sealed class CountingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        public int Requests;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Requests);
            return base.SendAsync(request, cancellationToken);
        }
    }

    private static (FeedFetcher Fetcher, CountingHandler Counter, ListLogger<FeedFetcher> Log) Fetcher(FeedFetcherOptions options, TimeProvider? time = null)
    {
        var counter = new CountingHandler(FeedFetcher.CreateHandler(options));
        var log = new ListLogger<FeedFetcher>();
        return (new FeedFetcher(new HttpClient(counter), options, log, time), counter, log);
    }

    private static readonly FeedFetcherOptions Private = new() { AllowPrivateFeeds = true };

    private string Url(string path) => new Uri(_root, path).ToString();

    [Fact]
    public async Task A_loopback_address_is_refused_by_default()
    {
        var (fetcher, counter, _) = Fetcher(new FeedFetcherOptions());
        var (text, error) = await fetcher.FetchAsync(Url("feed.ics"), CancellationToken.None);
        Assert.Null(text);
        Assert.Equal("That address points at CoordBot's own machine (loopback); CoordBot only fetches public calendars "
            + "(an admin can allow private feeds with Elections:AllowPrivateFeeds=true).", error);
        Assert.Equal(0, counter.Requests);

        var (_, byName) = await fetcher.FetchAsync($"http://localhost:{_root.Port}/feed.ics", CancellationToken.None);
        Assert.Contains("loopback", byName);
    }

    [Fact]
    public async Task A_loopback_address_is_fetched_when_private_feeds_are_allowed()
    {
        var (fetcher, _, _) = Fetcher(Private);
        Assert.Equal((Feed, null), await fetcher.FetchAsync(Url("feed.ics"), CancellationToken.None));
    }

    [Fact]
    public async Task The_host_name_is_kept_while_the_checked_address_is_connected_to()
    {
        var (fetcher, _, _) = Fetcher(Private);
        var (text, error) = await fetcher.FetchAsync($"http://localhost:{_root.Port}/host", CancellationToken.None);
        Assert.Null(error);
        Assert.Equal($"localhost:{_root.Port}", text);
    }

    [Theory]
    [InlineData("http://10.0.0.1/feed.ics")]
    [InlineData("http://172.20.1.1/feed.ics")]
    [InlineData("http://192.168.1.10/feed.ics")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://100.64.0.1/")]
    [InlineData("http://[fd00::1]/")]
    [InlineData("http://[::ffff:10.0.0.1]/")]
    [InlineData("http://0.0.0.0/")]
    public async Task Private_addresses_are_refused_without_connecting(string url)
    {
        var (fetcher, counter, _) = Fetcher(new FeedFetcherOptions());
        var (text, error) = await fetcher.FetchAsync(url, CancellationToken.None);
        Assert.Null(text);
        Assert.Equal("That address is on a private network; CoordBot only fetches public calendars "
            + "(an admin can allow private feeds with Elections:AllowPrivateFeeds=true).", error);
        Assert.Equal(0, counter.Requests);
    }

    [Theory]
    [InlineData("http://[::1]/")]
    [InlineData("http://127.0.0.2/")]
    [InlineData("http://[::ffff:127.0.0.1]/")]
    public async Task Loopback_literals_are_refused_without_connecting(string url)
    {
        var (fetcher, counter, _) = Fetcher(new FeedFetcherOptions());
        var (_, error) = await fetcher.FetchAsync(url, CancellationToken.None);
        Assert.Contains("loopback", error);
        Assert.Equal(0, counter.Requests);
    }

    [Theory]
    [InlineData("ftp://example.com/feed.ics")]
    [InlineData("file:///etc/passwd")]
    [InlineData("/feed.ics")]
    [InlineData("feed.ics")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("webcal://example.com/feed.ics")]
    public async Task Only_absolute_http_urls_are_fetched(string url)
    {
        var (fetcher, counter, _) = Fetcher(Private);
        var (text, error) = await fetcher.FetchAsync(url, CancellationToken.None);
        Assert.Null(text);
        Assert.Equal("That is not a web address; CoordBot fetches calendars from http:// or https:// URLs only.", error);
        Assert.Equal(0, counter.Requests);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_body_over_the_cap_is_refused(bool declared)
    {
        var (fetcher, _, _) = Fetcher(Private);
        var (text, error) = await fetcher.FetchAsync(Url($"big?declared={declared}"), CancellationToken.None);
        Assert.Null(text);
        Assert.Equal("The calendar is larger than 2 MB; CoordBot imports smaller feeds only.", error);
    }

    [Fact]
    public async Task A_slow_server_hits_the_timeout()
    {
        var clock = new TimerClock(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        var (fetcher, _, _) = Fetcher(Private with { Timeout = TimeSpan.FromMilliseconds(300) }, clock);
        var fetching = fetcher.FetchAsync(Url("slow"), CancellationToken.None);
        await _slowReached.Task.WaitAsync(TimeSpan.FromSeconds(30));   // the server holds the request (for 10 s)
        await clock.WaitForTimerAsync(t => t == TimeSpan.FromMilliseconds(300));
        clock.Advance(TimeSpan.FromMilliseconds(300));
        var (text, error) = await fetching.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Null(text);
        Assert.Equal("The calendar server did not answer within 0.3 seconds; try again later.", error);
    }

    [Fact]
    public async Task A_caller_cancellation_is_an_error_not_an_exception()
    {
        var (fetcher, _, _) = Fetcher(Private);
        using var cts = new CancellationTokenSource();
        var fetching = fetcher.FetchAsync(Url("slow"), cts.Token);
        await _slowReached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        cts.Cancel();
        var (_, error) = await fetching.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("The calendar download was cancelled.", error);
    }

    [Fact]
    public async Task A_missing_feed_names_the_status()
    {
        var (fetcher, _, _) = Fetcher(Private);
        var (text, error) = await fetcher.FetchAsync(Url("missing"), CancellationToken.None);
        Assert.Null(text);
        Assert.Contains("404", error);
    }

    [Fact]
    public async Task Up_to_three_redirects_are_followed_and_more_are_refused()
    {
        var (fetcher, counter, _) = Fetcher(Private);
        Assert.Equal((Feed, null), await fetcher.FetchAsync(Url("redirect/3"), CancellationToken.None));
        Assert.Equal(4, counter.Requests);

        var (text, error) = await fetcher.FetchAsync(Url("redirect/4"), CancellationToken.None);
        Assert.Null(text);
        Assert.Contains("redirected more than 3 times", error);
    }

    /// <summary>Answers every request with a redirect, standing in for a public server (no network needed).</summary>
    private sealed class RedirectingHandler(string location) : HttpMessageHandler
    {
        public List<Uri> Requested { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requested.Add(request.RequestUri!);
            var response = new HttpResponseMessage(HttpStatusCode.Found);
            response.Headers.Location = new Uri(location, UriKind.RelativeOrAbsolute);
            return Task.FromResult(response);
        }
    }

    [Fact]
    public async Task A_redirect_from_a_public_address_to_loopback_is_refused()
    {
        var handler = new RedirectingHandler(Url("feed.ics"));
        var fetcher = new FeedFetcher(new HttpClient(handler), new FeedFetcherOptions(), new ListLogger<FeedFetcher>());
        var (text, error) = await fetcher.FetchAsync("http://93.184.216.34/election.ics", CancellationToken.None);
        Assert.Null(text);
        Assert.Contains("loopback", error);
        Assert.Equal([new Uri("http://93.184.216.34/election.ics")], handler.Requested);
    }

    [Fact]
    public async Task A_redirect_to_another_scheme_is_refused()
    {
        var (fetcher, _, _) = Fetcher(Private);
        var (_, error) = await fetcher.FetchAsync(Url("redirect-ftp"), CancellationToken.None);
        Assert.Equal("That address redirected somewhere that is not an http:// or https:// web address.", error);
    }

    [Fact]
    public async Task An_unreachable_server_is_an_error()
    {
        var (fetcher, _, log) = Fetcher(Private);
        await _app.StopAsync();
        var (text, error) = await fetcher.FetchAsync(Url("feed.ics"), CancellationToken.None);
        Assert.Null(text);
        Assert.Contains("could not download", error);
        Assert.Contains(log.Lines, l => l.Contains("could not be fetched"));
    }

    [Theory]
    [InlineData("127.0.0.1", "Loopback")]
    [InlineData("127.255.255.254", "Loopback")]
    [InlineData("::1", "Loopback")]
    [InlineData("::ffff:127.0.0.1", "Loopback")]
    [InlineData("0.0.0.0", "Private")]
    [InlineData("0.1.2.3", "Private")]
    [InlineData("10.0.0.1", "Private")]
    [InlineData("10.255.255.255", "Private")]
    [InlineData("172.16.0.1", "Private")]
    [InlineData("172.31.255.255", "Private")]
    [InlineData("172.15.255.255", "Public")]
    [InlineData("172.32.0.1", "Public")]
    [InlineData("192.168.0.1", "Private")]
    [InlineData("192.169.0.1", "Public")]
    [InlineData("100.64.0.1", "Private")]
    [InlineData("100.127.255.255", "Private")]
    [InlineData("100.63.255.255", "Public")]
    [InlineData("100.128.0.1", "Public")]
    [InlineData("169.254.169.254", "Private")]
    [InlineData("224.0.0.1", "Private")]
    [InlineData("255.255.255.255", "Private")]
    [InlineData("8.8.8.8", "Public")]
    [InlineData("93.184.216.34", "Public")]
    [InlineData("::", "Private")]
    [InlineData("fc00::1", "Private")]
    [InlineData("fdff:ffff::1", "Private")]
    [InlineData("fe80::1", "Private")]
    [InlineData("febf::1", "Private")]
    [InlineData("ff02::1", "Private")]
    [InlineData("::ffff:10.1.2.3", "Private")]
    [InlineData("::ffff:192.168.1.1", "Private")]
    [InlineData("::ffff:169.254.169.254", "Private")]
    [InlineData("::ffff:8.8.8.8", "Public")]
    [InlineData("64:ff9b::a00:1", "Private")]
    [InlineData("2001:4860:4860::8888", "Public")]
    [InlineData("2606:4700::1111", "Public")]
    public void Addresses_are_classified(string address, string expected)
    {
        Assert.Equal(expected, FeedFetcher.Classify(IPAddress.Parse(address)).ToString());
    }
}
