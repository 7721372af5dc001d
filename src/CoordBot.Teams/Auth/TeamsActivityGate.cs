using System.Text.Json;
using CoordBot.Chat;

namespace CoordBot.Teams.Auth;

/// <summary>
/// What an authenticated activity must also be before anything reads or writes on its behalf: from a
/// channel on <c>Teams:AllowedChannelIds</c> (default <c>msteams</c>; 403 otherwise, whatever the signing
/// key is endorsed for), naming one tenant (<c>channelData.tenant.id</c> and <c>conversation.tenantId</c>
/// agree; 400 otherwise), and for a single-tenant bot that tenant is <c>Teams:TenantId</c> (403; Entra
/// tokens, accepted only by single-tenant bots, carry that tenant as <c>tid</c> too). Stateless: it reads
/// only the activity and the options.
/// </summary>
public sealed class TeamsActivityGate(TeamsOptions options)
{
    /// <summary>Null when the activity may go on; otherwise a refusal with its status and reason.</summary>
    public TeamsAuthResult? Refusal(JsonElement activity)
    {
        var channel = JsonRead.Str(activity, "channelId");
        if (channel is null || !options.ChannelIds.Contains(channel, StringComparer.Ordinal))
            return TeamsAuthResult.Forbidden($"channel '{Shorten(channel)}' is not served by this bot");

        var fromChannelData = JsonRead.Str(activity, "channelData", "tenant", "id");
        var fromConversation = JsonRead.Str(activity, "conversation", "tenantId");
        if (fromChannelData is not null && fromConversation is not null && !SameTenant(fromChannelData, fromConversation))
            return TeamsAuthResult.BadRequest("channelData.tenant.id and conversation.tenantId name different tenants");
        var tenant = fromChannelData ?? fromConversation;

        if (options.IsSingleTenant && (tenant is null || !SameTenant(tenant, options.TenantId)))
            return TeamsAuthResult.Forbidden("the activity's tenant is not this bot's tenant (Teams:TenantId)");
        return null;
    }

    private static bool SameTenant(string a, string? b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static string Shorten(string? value) => value is null ? "" : value.Length <= 24 ? value : value[..24] + "…";
}
