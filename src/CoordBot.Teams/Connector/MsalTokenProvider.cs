using Microsoft.Extensions.Logging;
using Microsoft.Identity.Client;

namespace CoordBot.Teams.Connector;

/// <summary>
/// Outbound tokens by the OAuth client-credentials grant
/// (learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication) through MSAL: one
/// <see cref="IConfidentialClientApplication"/> whose in-memory app-token cache hands out the token
/// until shortly before it expires and then fetches a new one. Authority
/// <c>https://login.microsoftonline.com/{TenantId}</c> (SingleTenant) or <c>…/botframework.com</c>
/// (MultiTenant), scope <c>https://api.botframework.com/.default</c>.
/// </summary>
/// <remarks>
/// <c>Teams:TokenEndpoint</c> replaces the token URL. MSAL refuses any authority that is not https
/// ("The authority must use HTTPS scheme") and derives the token URL as
/// <c>{authority}oauth2/v2.0/token</c>, so with an override MSAL gets the authority
/// <c>https://{host:port}/{tenant}/</c> with instance discovery off, and the HttpClient handed to
/// MSAL sends the request for that derived URL to the configured one. Only a loopback endpoint may
/// be plain http (tests); for any other host the override must be https.
/// </remarks>
public sealed class MsalTokenProvider : ITeamsTokenProvider
{
    /// <summary>The Bot Connector's scope.</summary>
    public const string Scope = "https://api.botframework.com/.default";

    private static readonly string[] Scopes = [Scope];

    private readonly IConfidentialClientApplication _app;
    private readonly ILogger<MsalTokenProvider> _logger;
    private readonly string _appId;
    private readonly Lock _gate = new();
    private string? _rejected;

    public MsalTokenProvider(TeamsOptions options, HttpClient http, ILogger<MsalTokenProvider> logger)
    {
        _logger = logger;
        _appId = Required(options.AppId, "Teams:AppId");
        var secret = Required(options.AppPassword, "Teams:AppPassword");
        var tenant = options.IsSingleTenant ? Required(options.TenantId, "Teams:TenantId") : "botframework.com";

        var builder = ConfidentialClientApplicationBuilder.Create(_appId).WithClientSecret(secret);
        if (options.TokenEndpoint is { Length: > 0 } configured)
        {
            var endpoint = CheckedEndpoint(configured);
            var authority = new Uri($"https://{endpoint.Authority}/{Uri.EscapeDataString(tenant)}/");
            var derived = new Uri(authority, "oauth2/v2.0/token");
            builder = builder
                .WithAuthority(authority.AbsoluteUri, validateAuthority: false)
                .WithInstanceDiscovery(false)
                .WithHttpClientFactory(new Factory(new HttpClient(new Redirect(http, derived, endpoint), disposeHandler: false)));
        }
        else
        {
            builder = builder
                .WithAuthority($"https://login.microsoftonline.com/{Uri.EscapeDataString(tenant)}/")
                .WithHttpClientFactory(new Factory(http));
        }
        _app = builder.Build();
    }

    public async Task<string> GetTokenAsync(CancellationToken ct)
    {
        var result = await AcquireAsync(forceRefresh: false, ct);
        string? rejected;
        lock (_gate) rejected = _rejected;
        if (rejected is not null && result.AccessToken == rejected)
        {
            result = await AcquireAsync(forceRefresh: true, ct);
            lock (_gate)
                if (_rejected == rejected) _rejected = null;
        }
        return result.AccessToken;
    }

    public void Invalidate(string token)
    {
        lock (_gate) _rejected = token;
    }

    private async Task<AuthenticationResult> AcquireAsync(bool forceRefresh, CancellationToken ct)
    {
        try
        {
            var result = await _app.AcquireTokenForClient(Scopes).WithForceRefresh(forceRefresh).ExecuteAsync(ct);
            if (result.AuthenticationResultMetadata.TokenSource != TokenSource.Cache)
                _logger.LogInformation("Got a Bot Framework token for app {AppId}, good until {ExpiresOn:u}", _appId, result.ExpiresOn);
            return result;
        }
        catch (MsalServiceException e)
        {
            // MSAL's message carries the endpoint's AADSTS description (never the secret).
            _logger.LogError("The token endpoint refused app {AppId}: {Status} {Error}", _appId, e.StatusCode, e.ErrorCode);
            var status = e.StatusCode;
            var code = status == 0 ? (e.ErrorCode == MsalError.RequestTimeout ? "timeout" : "network_error") : e.ErrorCode;
            throw new ConnectorException(status, code, $"Getting a Bot Framework token for app {_appId} failed: {e.Message}");
        }
        catch (MsalClientException e)
        {
            _logger.LogError("Getting a Bot Framework token for app {AppId} failed in MSAL: {Error}", _appId, e.ErrorCode);
            throw new ConnectorException(0, e.ErrorCode, $"Getting a Bot Framework token for app {_appId} failed: {e.Message}");
        }
        catch (HttpRequestException e)
        {
            _logger.LogWarning("The token endpoint could not be reached: {Error}", e.Message);
            throw new ConnectorException(0, "network_error", $"Getting a Bot Framework token for app {_appId} failed: {e.Message}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            _logger.LogWarning("The token endpoint did not answer in time");
            throw new ConnectorException(0, "timeout", $"Getting a Bot Framework token for app {_appId} timed out.");
        }
    }

    private static string Required(string? value, string key) =>
        value is { Length: > 0 } ? value : throw new InvalidOperationException($"{key} is required for outbound Teams messages.");

    private static Uri CheckedEndpoint(string configured)
    {
        if (!Uri.TryCreate(configured, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
            throw new InvalidOperationException("Teams:TokenEndpoint must be an absolute http(s) URL.");
        if (url.Scheme == Uri.UriSchemeHttp && !TeamsOptions.IsLoopback(url))
            throw new InvalidOperationException("Teams:TokenEndpoint may be plain http only on a loopback host.");
        return url;
    }

    private sealed class Factory(HttpClient http) : IMsalHttpClientFactory
    {
        public HttpClient GetHttpClient() => http;
    }

    /// <summary>
    /// Sends MSAL's request for <paramref name="from"/> (the token URL derived from the https authority)
    /// to <paramref name="to"/> (the configured endpoint) through the injected HttpClient; anything else passes unchanged.
    /// </summary>
    private sealed class Redirect(HttpClient inner, Uri from, Uri to) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var target = request.RequestUri!;
            if (Uri.Compare(target, from, UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0)
                target = new UriBuilder(to) { Query = target.Query.TrimStart('?') is { Length: > 0 } q ? q : to.Query.TrimStart('?') }.Uri;
            // HttpClient refuses a request message twice, so the inner client gets a copy (sharing the content).
            var copy = new HttpRequestMessage(request.Method, target) { Content = request.Content, Version = request.Version, VersionPolicy = request.VersionPolicy };
            foreach (var header in request.Headers) copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
            return inner.SendAsync(copy, ct);
        }
    }
}
