using System.Security.Claims;

namespace CoordBot.Teams.Auth;

/// <summary>
/// The outcome of checking an inbound Bot Framework request: <c>200</c> with the token's identity,
/// <c>401</c> when the token is missing or invalid (or does not vouch for the activity's serviceUrl),
/// <c>403</c> when a valid token's signing key is not endorsed for the activity's channel or the
/// activity comes from a channel or tenant this bot does not serve, <c>400</c> when the activity
/// contradicts itself. <see cref="Reason"/> is a short human-readable why (never the token).
/// </summary>
public sealed record TeamsAuthResult(int Status, string? Reason, ClaimsIdentity? Identity)
{
    public bool Succeeded => Status == 200;

    public static TeamsAuthResult Ok(ClaimsIdentity identity) => new(200, null, identity);

    internal static TeamsAuthResult Unauthenticated(string reason) => new(401, reason, null);

    internal static TeamsAuthResult Forbidden(string reason) => new(403, reason, null);

    internal static TeamsAuthResult BadRequest(string reason) => new(400, reason, null);
}
