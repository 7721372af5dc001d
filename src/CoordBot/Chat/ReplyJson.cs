using System.Text.Json;
using System.Text.Json.Serialization;

namespace CoordBot.Chat;

/// <summary>The JSON form of replies: the "card" of the local API and the outbox payload.</summary>
public static class ReplyJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize(Reply reply) => JsonSerializer.Serialize(reply, Options);

    public static Reply Deserialize(string json) =>
        JsonSerializer.Deserialize<Reply>(json, Options) ?? throw new JsonException("empty reply payload");
}
