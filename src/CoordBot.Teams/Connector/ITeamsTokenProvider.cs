namespace CoordBot.Teams.Connector;

/// <summary>
/// Where the Connector client gets the Bearer token for its calls
/// (learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication). The seam exists
/// so the client can be tested without Entra; production uses <see cref="MsalTokenProvider"/>.
/// </summary>
public interface ITeamsTokenProvider
{
    /// <summary>A valid access token for <c>https://api.botframework.com/.default</c>, cached until shortly before it expires.</summary>
    /// <exception cref="ConnectorException">The token endpoint refused the credentials or could not be reached.</exception>
    Task<string> GetTokenAsync(CancellationToken ct);

    /// <summary>
    /// The Connector answered 401 to <paramref name="token"/>: the next <see cref="GetTokenAsync"/>
    /// should not hand it out again. Providers without a cache need do nothing.
    /// </summary>
    void Invalidate(string token) { }
}
