using System.Text.Json;

namespace CoordBot.Chat;

/// <summary>Reading platform JSON payloads (Slack, Bot Framework) without trusting their shape: a missing or mistyped property is null/false, never an exception.</summary>
public static class JsonRead
{
    /// <summary>The string at <paramref name="path"/> (property names from the root), or null.</summary>
    public static string? Str(JsonElement element, params string[] path)
    {
        foreach (var name in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element)) return null;
        }
        return element.ValueKind == JsonValueKind.String ? element.GetString() : null;
    }

    public static bool Bool(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) &&
        (v.ValueKind == JsonValueKind.True || (v.ValueKind == JsonValueKind.String && v.GetString() == "true"));
}
