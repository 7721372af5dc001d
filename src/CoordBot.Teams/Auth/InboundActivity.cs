using System.Text.Json;
using CoordBot.Chat;

namespace CoordBot.Teams.Auth;

/// <summary>
/// What the token check binds a request to, read from the activity before anything trusts it:
/// its root <c>serviceUrl</c>, its <c>channelId</c>, and its tenant (<c>channelData.tenant.id</c>,
/// else <c>conversation.tenantId</c>). <see cref="TenantConflict"/> is set when the two tenant fields
/// name different tenants: such an activity is refused, since each part of the code might read another one.
/// </summary>
public sealed record InboundActivity(string? ServiceUrl, string? ChannelId, string? Tenant, bool TenantConflict = false)
{
    /// <summary>The binding fields of an activity object.</summary>
    public static InboundActivity From(JsonElement activity)
    {
        var fromChannelData = JsonRead.Str(activity, "channelData", "tenant", "id");
        var fromConversation = JsonRead.Str(activity, "conversation", "tenantId");
        var conflict = fromChannelData is not null && fromConversation is not null
            && !string.Equals(fromChannelData, fromConversation, StringComparison.OrdinalIgnoreCase);
        return new InboundActivity(JsonRead.Str(activity, "serviceUrl"), JsonRead.Str(activity, "channelId"),
            fromChannelData ?? fromConversation, conflict);
    }
}
