using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using static System.FormattableString;

namespace CoordBot.Elections;

/// <summary>Limits for fetching election calendars from URLs (bound from the <c>Elections</c> section).</summary>
public sealed record FeedFetcherOptions
{
    /// <summary>Allow loopback and private-network feeds (off by default, so a user can't make the bot probe its own network).</summary>
    public bool AllowPrivateFeeds { get; init; }

    /// <summary>The whole fetch, redirects and body included, must finish within this.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A body larger than this is refused.</summary>
    public long MaxBytes { get; init; } = 2 * 1024 * 1024;
}

/// <summary>
/// Fetches an iCalendar feed a user names, safely: public http(s) addresses only, the checked address is the one
/// connected to, redirects re-checked, a time limit and a size cap. Errors are sentences to show the user.
/// </summary>
/// <remarks>
/// The seam: <paramref name="http"/> must be built on <see cref="CreateHandler"/> (for example
/// <c>new HttpClient(FeedFetcher.CreateHandler(options))</c>). That handler never follows redirects, uses no proxy,
/// and connects only to the addresses <see cref="FetchAsync"/> validated for the request, so a DNS answer that
/// changes between the check and the connect (DNS rebinding) cannot reach a private address.
/// </remarks>
public sealed class FeedFetcher(HttpClient http, FeedFetcherOptions options, ILogger<FeedFetcher> logger, TimeProvider? time = null)
{
    private const int MaxRedirects = 3;
    private const string AllowHint = "an admin can allow private feeds with Elections:AllowPrivateFeeds=true";

    /// <summary>The validated addresses a request may connect to; read by the handler's ConnectCallback.</summary>
    private static readonly HttpRequestOptionsKey<IPAddress[]> PinnedAddresses = new("CoordBot.FeedFetcher.PinnedAddresses");

    /// <summary>The handler <see cref="FeedFetcher"/>'s HttpClient must use (see the remarks on the class).</summary>
    public static SocketsHttpHandler CreateHandler(FeedFetcherOptions options) => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectCallback = async (context, token) =>
        {
            // Connect to the pinned addresses; a request that did not come through FetchAsync is resolved and checked here.
            if (!context.InitialRequestMessage.Options.TryGetValue(PinnedAddresses, out var addresses))
            {
                addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, token).ConfigureAwait(false);
                if (!options.AllowPrivateFeeds && addresses.Any(a => Classify(a) != AddressKind.Public))
                    throw new HttpRequestException($"{context.DnsEndPoint.Host} resolves to a non-public address.");
            }
            Exception? last = null;
            foreach (var address in addresses)
            {
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), token).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch (Exception ex) when (ex is SocketException or OperationCanceledException)
                {
                    socket.Dispose();
                    last = ex;
                    if (ex is OperationCanceledException)
                        break;
                }
            }
            throw last ?? new HttpRequestException($"{context.DnsEndPoint.Host} has no address to connect to.");
        },
    };

    /// <summary>Fetches <paramref name="url"/> as text; exactly one of Text and Error is set. Never throws.</summary>
    public async Task<(string? Text, string? Error)> FetchAsync(string url, CancellationToken ct)
    {
        if (!Uri.TryCreate(url?.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            return (null, "That is not a web address; CoordBot fetches calendars from http:// or https:// URLs only.");

        var limit = options.Timeout > TimeSpan.Zero && options.Timeout < TimeSpan.FromDays(1) ? options.Timeout : TimeSpan.FromSeconds(10);
        using var deadline = new CancellationTokenSource(limit, time ?? TimeProvider.System);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        try
        {
            for (var hop = 0; ; hop++)
            {
                var (addresses, refusal) = await CheckHostAsync(uri, timeout.Token).ConfigureAwait(false);
                if (refusal is not null)
                    return (null, refusal);

                using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                request.Options.Set(PinnedAddresses, addresses!);
                request.Headers.Accept.ParseAdd("text/calendar, text/plain;q=0.5, */*;q=0.1");
                request.Headers.UserAgent.ParseAdd("CoordBot/1.0");
                logger.LogInformation("Fetching calendar feed {Host} (hop {Hop})", uri.Host, hop);
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);

                if (IsRedirect(response.StatusCode))
                {
                    if (hop >= MaxRedirects)
                        return (null, $"That address redirected more than {MaxRedirects} times; please give the calendar's final address.");
                    if (response.Headers.Location is not { } location || !Uri.TryCreate(uri, location, out var next)
                        || (next.Scheme != Uri.UriSchemeHttp && next.Scheme != Uri.UriSchemeHttps))
                        return (null, "That address redirected somewhere that is not an http:// or https:// web address.");
                    uri = next;
                    continue;
                }
                if (!response.IsSuccessStatusCode)
                    return (null, $"The calendar server answered {(int)response.StatusCode} {response.ReasonPhrase ?? response.StatusCode.ToString()}; check the address.");
                return await ReadBodyAsync(response, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return (null, "The calendar download was cancelled.");
        }
        catch (OperationCanceledException)
        {
            logger.LogInformation("Calendar feed {Host} timed out after {Timeout}", uri.Host, options.Timeout);
            return (null, Invariant($"The calendar server did not answer within {options.Timeout.TotalSeconds:0.#} seconds; try again later."));
        }
        catch (Exception ex)
        {
            logger.LogInformation(ex, "Calendar feed {Host} could not be fetched", uri.Host);
            return (null, "CoordBot could not download that calendar (the server could not be reached); check the address.");
        }
    }

    /// <summary>Resolves the URL's host and returns its addresses, or why it is refused.</summary>
    private async Task<(IPAddress[]? Addresses, string? Refusal)> CheckHostAsync(Uri uri, CancellationToken ct)
    {
        IPAddress[] addresses;
        if (IPAddress.TryParse(uri.DnsSafeHost, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(uri.DnsSafeHost, ct).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                return (null, $"CoordBot could not find the server {uri.Host}; check the address.");
            }
        }
        if (addresses.Length == 0)
            return (null, $"CoordBot could not find the server {uri.Host}; check the address.");
        if (options.AllowPrivateFeeds)
            return (addresses, null);

        // Refuse if any answer is non-public, so a mixed answer can't be used to reach the private one.
        var kinds = addresses.Select(Classify).ToList();
        if (kinds.Contains(AddressKind.Loopback))
            return (null, $"That address points at CoordBot's own machine (loopback); CoordBot only fetches public calendars ({AllowHint}).");
        if (kinds.Any(k => k != AddressKind.Public))
            return (null, $"That address is on a private network; CoordBot only fetches public calendars ({AllowHint}).");
        return (addresses, null);
    }

    private async Task<(string? Text, string? Error)> ReadBodyAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var tooLarge = $"The calendar is larger than {FormatSize(options.MaxBytes)}; CoordBot imports smaller feeds only.";
        if (response.Content.Headers.ContentLength > options.MaxBytes)
            return (null, tooLarge);

        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var body = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            if (body.Length + read > options.MaxBytes)
                return (null, tooLarge);
            body.Write(buffer, 0, read);
        }
        return (new UTF8Encoding(false, false).GetString(body.GetBuffer(), 0, (int)body.Length), null);
    }

    private static string FormatSize(long bytes) =>
        bytes >= 1024 * 1024 ? Invariant($"{bytes / (1024.0 * 1024):0.#} MB") : Invariant($"{bytes / 1024.0:0.#} KB");

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    /// <summary>What kind of network an address is on.</summary>
    internal enum AddressKind { Public, Loopback, Private }

    /// <summary>Classifies an address; anything not routable on the public internet is <see cref="AddressKind.Private"/>.</summary>
    internal static AddressKind Classify(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            return Classify(address.MapToIPv4());
        var bytes = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return bytes switch
            {
                [127, ..] => AddressKind.Loopback,
                [0, ..] or [10, ..] => AddressKind.Private,                     // "this network", private
                [100, >= 64 and <= 127, ..] => AddressKind.Private,             // carrier-grade NAT
                [169, 254, ..] => AddressKind.Private,                          // link-local, cloud metadata
                [172, >= 16 and <= 31, ..] => AddressKind.Private,
                [192, 168, ..] => AddressKind.Private,
                [192, 0, 0, _] or [192, 0, 2, _] => AddressKind.Private,        // IETF protocol, documentation
                [198, 18 or 19, ..] => AddressKind.Private,                     // benchmarking
                [198, 51, 100, _] or [203, 0, 113, _] => AddressKind.Private,   // documentation
                [>= 224, ..] => AddressKind.Private,                            // multicast, reserved, broadcast
                _ => AddressKind.Public,
            };
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6 || bytes.Length != 16)
            return AddressKind.Private;
        if (address.Equals(IPAddress.IPv6Loopback))
            return AddressKind.Loopback;
        if (address.Equals(IPAddress.IPv6None))
            return AddressKind.Private;                                         // ::
        // IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) embed an IPv4 address: judge that one.
        if (bytes.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0
            || (bytes[0] == 0 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b && bytes.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0))
            return Classify(new IPAddress(bytes.AsSpan(12, 4)));
        return bytes switch
        {
            [>= 0xfc and <= 0xfd, ..] => AddressKind.Private,                   // unique local fc00::/7
            [0xfe, >= 0x80 and <= 0xbf, ..] => AddressKind.Private,             // link-local fe80::/10
            [0xfe, >= 0xc0, ..] => AddressKind.Private,                         // site-local fec0::/10 (deprecated)
            [0xff, ..] => AddressKind.Private,                                  // multicast
            [0x20, 0x01, 0x0d, 0xb8, ..] => AddressKind.Private,                // documentation 2001:db8::/32
            _ => AddressKind.Public,
        };
    }
}
