using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace CoordBot.Tests.Support;

/// <summary>
/// Slack's documented Block Kit limits, checked on the payloads CoordBot sends. Written from Slack's
/// reference (docs.slack.dev Block Kit pages; the limits python-slack-sdk validates) and not from the
/// renderer, so a renderer bug cannot hide here. Every problem is reported with its JSON path.
/// Lengths are UTF-16 code units, which is never less than what Slack counts.
/// </summary>
public static class BlockKitLimits
{
    /// <summary>Slack refuses larger views with view_too_large.</summary>
    private const int MaxViewBytes = 250_000;

    /// <summary>A message payload (chat.postMessage / postEphemeral / response_url body).</summary>
    public static void AssertValidMessage(JsonObject message)
    {
        var check = new Checker("message");
        check.Message(message);
        check.ThrowIfAny(message);
    }

    /// <summary>A modal view (views.open / update / push, or a response_action view).</summary>
    public static void AssertValidModal(JsonObject view)
    {
        var check = new Checker("modal");
        check.View(view, "modal");
        check.ThrowIfAny(view);
    }

    /// <summary>A Home tab view (views.publish).</summary>
    public static void AssertValidHome(JsonObject view)
    {
        var check = new Checker("home");
        check.View(view, "home");
        check.ThrowIfAny(view);
    }

    /// <summary>
    /// CoordBot's own rule on top of Slack's: nothing in the payload can mention, link or be parsed.
    /// Every mrkdwn object is verbatim, and no mrkdwn text or fallback text holds a raw &lt; or &gt; or
    /// an &amp; that does not start one of the three entities.
    /// </summary>
    public static void AssertInert(JsonNode payload)
    {
        var problems = new List<string>();
        if (payload is JsonObject { } root && root["text"] is JsonValue fallback && fallback.TryGetValue<string>(out var text))
            problems.AddRange(Unescaped(text).Select(p => $"$.text: {p}"));
        Walk(payload, "$", (node, path) =>
        {
            if (node is not JsonObject o || Str(o, "type") != "mrkdwn") return;
            if (o["verbatim"] is not JsonValue v || !v.TryGetValue<bool>(out var verbatim) || !verbatim)
                problems.Add($"{path}: mrkdwn without \"verbatim\": true");
            problems.AddRange(Unescaped(Str(o, "text") ?? "").Select(p => $"{path}.text: {p}"));
        });
        if (problems.Count > 0) Assert.Fail("Payload is not inert:\n  " + string.Join("\n  ", problems) + "\n" + Shorten(payload.ToJsonString()));
    }

    private static IEnumerable<string> Unescaped(string text)
    {
        if (text.Contains('<')) yield return "raw '<'";
        if (text.Contains('>')) yield return "raw '>'";
        for (var i = text.IndexOf('&'); i >= 0; i = text.IndexOf('&', i + 1))
        {
            var rest = text.AsSpan(i);
            if (!rest.StartsWith("&amp;") && !rest.StartsWith("&lt;") && !rest.StartsWith("&gt;"))
            {
                yield return $"'&' not starting an entity at {i}";
                break;
            }
        }
    }

    private static void Walk(JsonNode? node, string path, Action<JsonNode, string> visit)
    {
        if (node is null) return;
        visit(node, path);
        if (node is JsonObject o)
            foreach (var (key, child) in o) Walk(child, $"{path}.{key}", visit);
        else if (node is JsonArray a)
            for (var i = 0; i < a.Count; i++) Walk(a[i], $"{path}[{i}]", visit);
    }

    private static string? Str(JsonObject o, string name) =>
        o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static string Shorten(string json) => json.Length <= 4000 ? json : json[..4000] + $"… ({json.Length} characters)";

    private sealed class Checker(string surface)
    {
        private readonly List<string> _problems = [];
        private readonly HashSet<string> _blockIds = new(StringComparer.Ordinal);

        public void ThrowIfAny(JsonNode payload)
        {
            if (_problems.Count > 0)
                Assert.Fail($"Invalid Slack {surface} ({_problems.Count} problems):\n  " + string.Join("\n  ", _problems.Take(40)) + "\n" + Shorten(payload.ToJsonString()));
        }

        private void Problem(string path, string what) => _problems.Add($"{path}: {what}");

        // ---- surfaces -------------------------------------------------------------------------

        public void Message(JsonObject m)
        {
            var text = OptionalString(m, "text", "$", max: 4000);
            var blocks = m["blocks"];
            if (text is null && blocks is null) Problem("$", "a message needs text or blocks");
            if (text is not null && string.IsNullOrWhiteSpace(text)) Problem("$.text", "fallback text is blank");
            OptionalBool(m, "mrkdwn", "$");
            OptionalBool(m, "replace_original", "$");
            OptionalBool(m, "delete_original", "$");
            if (m.ContainsKey("response_type") && Str(m, "response_type") is not ("in_channel" or "ephemeral"))
                Problem("$.response_type", "must be \"in_channel\" or \"ephemeral\"");
            if (blocks is not null)
            {
                Blocks(blocks, "$.blocks", max: 50);
                // Not in Slack's reference, but chat.postMessage answers msg_blocks_too_long above roughly
                // 12,000 characters of text in all blocks together (slackapi/bolt-js#2509, #2867).
                var total = TextLengths(blocks).Sum();
                if (total > 12_000) Problem("$.blocks", $"{total} characters of text in all; chat.postMessage refuses more than about 12,000");
            }
        }

        public void View(JsonObject v, string type)
        {
            if (Str(v, "type") != type) Problem("$.type", $"must be \"{type}\"");
            OptionalString(v, "private_metadata", "$", max: 3000, allowEmpty: true);
            OptionalString(v, "callback_id", "$", max: 255);
            OptionalString(v, "external_id", "$", max: 255);
            var size = Encoding.UTF8.GetByteCount(v.ToJsonString());
            if (size > MaxViewBytes) Problem("$", $"view is {size} bytes; Slack allows {MaxViewBytes}");
            var hasInput = v["blocks"] is JsonArray a && a.Any(b => b is JsonObject o && Str(o, "type") == "input");
            if (type == "modal")
            {
                if (v["title"] is null) Problem("$.title", "required");
                else PlainText(v["title"], "$.title", 24);
                if (v["submit"] is not null) PlainText(v["submit"], "$.submit", 24);
                else if (hasInput) Problem("$.submit", "required when the modal has input blocks");
                if (v["close"] is not null) PlainText(v["close"], "$.close", 24);
                OptionalBool(v, "clear_on_close", "$");
                OptionalBool(v, "notify_on_close", "$");
            }
            else
            {
                foreach (var key in new[] { "title", "submit", "close" })
                    if (v.ContainsKey(key)) Problem($"$.{key}", "not part of a Home tab view");
            }
            if (v["blocks"] is not { } blocks) Problem("$.blocks", "required");
            else Blocks(blocks, "$.blocks", max: 100);
        }

        // ---- blocks ---------------------------------------------------------------------------

        private void Blocks(JsonNode node, string path, int max)
        {
            if (node is not JsonArray blocks) { Problem(path, "must be an array"); return; }
            if (blocks.Count < 1 || blocks.Count > max) Problem(path, $"{blocks.Count} blocks; Slack allows 1–{max}");
            for (var i = 0; i < blocks.Count; i++)
            {
                var p = $"{path}[{i}]";
                if (blocks[i] is not JsonObject block) { Problem(p, "a block must be an object"); continue; }
                Block(block, p);
            }
        }

        private void Block(JsonObject block, string path)
        {
            if (block.ContainsKey("block_id"))
            {
                var id = RequiredString(block, "block_id", path, max: 255);
                if (id is not null && !_blockIds.Add(id)) Problem($"{path}.block_id", $"\"{id}\" is used twice");
            }
            var actionIds = new HashSet<string>(StringComparer.Ordinal);
            switch (Str(block, "type"))
            {
                case "section":
                    if (block["text"] is null && block["fields"] is null) Problem(path, "a section needs text or fields");
                    if (block["text"] is { } text) TextObject(text, $"{path}.text", 3000);
                    if (block["fields"] is { } fields)
                    {
                        if (fields is not JsonArray list) Problem($"{path}.fields", "must be an array");
                        else
                        {
                            if (list.Count is < 1 or > 10) Problem($"{path}.fields", $"{list.Count} fields; Slack allows 1–10");
                            for (var i = 0; i < list.Count; i++) TextObject(list[i], $"{path}.fields[{i}]", 2000);
                        }
                    }
                    if (block["accessory"] is { } accessory) Element(accessory, $"{path}.accessory", actionIds, inInput: false);
                    Only(block, path, "type", "block_id", "text", "fields", "accessory", "expand");
                    break;
                case "header":
                    if (block["text"] is null) Problem($"{path}.text", "required");
                    else PlainText(block["text"], $"{path}.text", 150);
                    Only(block, path, "type", "block_id", "text");
                    break;
                case "divider":
                    Only(block, path, "type", "block_id");
                    break;
                case "context":
                    if (block["elements"] is not JsonArray elements) { Problem($"{path}.elements", "required array"); break; }
                    if (elements.Count is < 1 or > 10) Problem($"{path}.elements", $"{elements.Count} elements; Slack allows 1–10");
                    for (var i = 0; i < elements.Count; i++)
                    {
                        var p = $"{path}.elements[{i}]";
                        if (elements[i] is JsonObject e && Str(e, "type") == "image") Image(e, p);
                        else TextObject(elements[i], p, 3000);
                    }
                    Only(block, path, "type", "block_id", "elements");
                    break;
                case "actions":
                    if (block["elements"] is not JsonArray actions) { Problem($"{path}.elements", "required array"); break; }
                    if (actions.Count is < 1 or > 25) Problem($"{path}.elements", $"{actions.Count} elements; Slack allows 1–25");
                    for (var i = 0; i < actions.Count; i++) Element(actions[i], $"{path}.elements[{i}]", actionIds, inInput: false);
                    Only(block, path, "type", "block_id", "elements");
                    break;
                case "input":
                    if (block["label"] is null) Problem($"{path}.label", "required");
                    else PlainText(block["label"], $"{path}.label", 2000);
                    if (block["hint"] is { } hint) PlainText(hint, $"{path}.hint", 2000);
                    OptionalBool(block, "optional", path);
                    OptionalBool(block, "dispatch_action", path);
                    if (block["element"] is not { } element) Problem($"{path}.element", "required");
                    else Element(element, $"{path}.element", actionIds, inInput: true);
                    Only(block, path, "type", "block_id", "label", "hint", "optional", "dispatch_action", "element");
                    break;
                case "image":
                    Image(block, path);
                    if (block["title"] is { } title) PlainText(title, $"{path}.title", 2000);
                    break;
                case var other:
                    Problem($"{path}.type", other is null ? "missing" : $"\"{other}\" is not a block type these checks know");
                    break;
            }
        }

        private static IEnumerable<int> TextLengths(JsonNode? node) => node switch
        {
            JsonObject o when Str(o, "type") is "plain_text" or "mrkdwn" => [Str(o, "text")?.Length ?? 0],
            JsonObject o => o.SelectMany(p => TextLengths(p.Value)),
            JsonArray a => a.SelectMany(TextLengths),
            _ => [],
        };

        private void Image(JsonObject image, string path)
        {
            RequiredString(image, "image_url", path, max: 3000);
            RequiredString(image, "alt_text", path, max: 2000);
        }

        // ---- elements -------------------------------------------------------------------------

        private void Element(JsonNode? node, string path, HashSet<string> actionIds, bool inInput)
        {
            if (node is not JsonObject e) { Problem(path, "an element must be an object"); return; }
            if (e.ContainsKey("action_id") || inInput)
            {
                var id = RequiredString(e, "action_id", path, max: 255);
                if (id is not null && !actionIds.Add(id)) Problem($"{path}.action_id", $"\"{id}\" is used twice in one block");
            }
            if (e["placeholder"] is { } placeholder) PlainText(placeholder, $"{path}.placeholder", 150);
            var type = Str(e, "type");
            if (inInput && type is "button") Problem($"{path}.type", "a button cannot be an input element");
            if (!inInput && type is "plain_text_input" or "number_input") Problem($"{path}.type", $"{type} only goes in an input block");
            switch (type)
            {
                case "button":
                    if (e["text"] is null) Problem($"{path}.text", "required");
                    else PlainText(e["text"], $"{path}.text", 75);
                    OptionalString(e, "value", path, max: 2000);
                    OptionalString(e, "url", path, max: 3000);
                    OptionalString(e, "accessibility_label", path, max: 75);
                    if (e.ContainsKey("style") && Str(e, "style") is not ("primary" or "danger")) Problem($"{path}.style", "must be \"primary\" or \"danger\"");
                    Only(e, path, "type", "text", "action_id", "value", "url", "style", "confirm", "accessibility_label");
                    break;
                case "plain_text_input":
                    var min = OptionalInt(e, "min_length", path, 0, 3000);
                    var max = OptionalInt(e, "max_length", path, 1, 3000);
                    if (min > max) Problem(path, "min_length is above max_length");
                    if (OptionalString(e, "initial_value", path, max: max ?? 3000) is { } initial && min is { } least && initial.Length < least)
                        Problem($"{path}.initial_value", "shorter than min_length");
                    OptionalBool(e, "multiline", path);
                    Only(e, path, "type", "action_id", "initial_value", "multiline", "min_length", "max_length", "placeholder",
                        "dispatch_action_config", "focus_on_load");
                    break;
                case "number_input":
                    if (e["is_decimal_allowed"] is not JsonValue d || !d.TryGetValue<bool>(out var decimals))
                    {
                        Problem($"{path}.is_decimal_allowed", "required boolean");
                        decimals = true;
                    }
                    foreach (var key in new[] { "initial_value", "min_value", "max_value" })
                        if (OptionalString(e, key, path, max: 100) is { } number && !IsNumber(number, decimals))
                            Problem($"{path}.{key}", $"\"{number}\" is not a{(decimals ? "" : "n integer")} number");
                    Only(e, path, "type", "action_id", "is_decimal_allowed", "initial_value", "min_value", "max_value", "placeholder",
                        "dispatch_action_config", "focus_on_load");
                    break;
                case "datepicker":
                    if (OptionalString(e, "initial_date", path, max: 10) is { } date
                        && !DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                        Problem($"{path}.initial_date", $"\"{date}\" is not YYYY-MM-DD");
                    Only(e, path, "type", "action_id", "initial_date", "placeholder", "confirm", "focus_on_load");
                    break;
                case "static_select":
                    var options = Options(e, path);
                    if (e["initial_option"] is { } chosen && !options.Any(o => JsonNode.DeepEquals(o, chosen)))
                        Problem($"{path}.initial_option", "must be one of the options");
                    Only(e, path, "type", "action_id", "options", "option_groups", "initial_option", "placeholder", "confirm", "focus_on_load");
                    break;
                case var other:
                    Problem($"{path}.type", other is null ? "missing" : $"\"{other}\" is not an element type these checks know");
                    break;
            }
        }

        private List<JsonObject> Options(JsonObject select, string path)
        {
            var all = new List<JsonObject>();
            if ((select["options"] is null) == (select["option_groups"] is null))
            {
                Problem(path, "needs exactly one of options and option_groups");
                return all;
            }
            if (select["options"] is { } options)
                all.AddRange(OptionList(options, $"{path}.options"));
            else if (select["option_groups"] is not JsonArray groups) Problem($"{path}.option_groups", "must be an array");
            else
            {
                if (groups.Count is < 1 or > 100) Problem($"{path}.option_groups", $"{groups.Count} groups; Slack allows 1–100");
                for (var i = 0; i < groups.Count; i++)
                {
                    if (groups[i] is not JsonObject g) { Problem($"{path}.option_groups[{i}]", "must be an object"); continue; }
                    PlainText(g["label"], $"{path}.option_groups[{i}].label", 75);
                    all.AddRange(OptionList(g["options"], $"{path}.option_groups[{i}].options"));
                }
            }
            var values = new HashSet<string>(StringComparer.Ordinal);
            foreach (var option in all)
                if (Str(option, "value") is { } value && !values.Add(value)) Problem(path, $"option value \"{value}\" appears twice");
            return all;
        }

        private List<JsonObject> OptionList(JsonNode? node, string path)
        {
            if (node is not JsonArray options) { Problem(path, "must be an array"); return []; }
            if (options.Count is < 1 or > 100) Problem(path, $"{options.Count} options; Slack allows 1–100");
            var list = new List<JsonObject>();
            for (var i = 0; i < options.Count; i++)
            {
                var p = $"{path}[{i}]";
                if (options[i] is not JsonObject o) { Problem(p, "an option must be an object"); continue; }
                PlainText(o["text"], $"{p}.text", 75);   // select menus take plain_text only
                RequiredString(o, "value", p, max: 150);
                if (o["description"] is { } description) PlainText(description, $"{p}.description", 75);
                Only(o, p, "text", "value", "description", "url");
                list.Add(o);
            }
            return list;
        }

        // ---- text objects and scalars ---------------------------------------------------------

        private void PlainText(JsonNode? node, string path, int max)
        {
            if (node is JsonObject o && Str(o, "type") != "plain_text") Problem($"{path}.type", "must be plain_text here");
            TextObject(node, path, max);
        }

        private void TextObject(JsonNode? node, string path, int max)
        {
            if (node is not JsonObject o) { Problem(path, "a text object must be an object"); return; }
            var text = RequiredString(o, "text", path, max: Math.Min(max, 3000));
            if (text is not null && string.IsNullOrWhiteSpace(text)) Problem($"{path}.text", "blank");
            switch (Str(o, "type"))
            {
                case "plain_text":
                    OptionalBool(o, "emoji", path);
                    Only(o, path, "type", "text", "emoji");
                    break;
                case "mrkdwn":
                    OptionalBool(o, "verbatim", path);
                    Only(o, path, "type", "text", "verbatim");
                    break;
                default:
                    Problem($"{path}.type", "must be plain_text or mrkdwn");
                    break;
            }
        }

        private void Only(JsonObject o, string path, params string[] allowed)
        {
            foreach (var (key, _) in o)
                if (!allowed.Contains(key)) Problem($"{path}.{key}", "is not a property of this object");
        }

        private string? RequiredString(JsonObject o, string name, string path, int max)
        {
            if (!o.ContainsKey(name)) { Problem($"{path}.{name}", "required"); return null; }
            return OptionalString(o, name, path, max);
        }

        private string? OptionalString(JsonObject o, string name, string path, int max, bool allowEmpty = false)
        {
            if (!o.ContainsKey(name)) return null;
            if (o[name] is not JsonValue v || !v.TryGetValue<string>(out var s)) { Problem($"{path}.{name}", "must be a string"); return null; }
            if (s.Length == 0 && !allowEmpty) Problem($"{path}.{name}", "empty");
            if (s.Length > max) Problem($"{path}.{name}", $"{s.Length} characters; Slack allows {max}");
            if (HasLoneSurrogate(s)) Problem($"{path}.{name}", "holds a lone surrogate (not valid UTF-8 on the wire)");
            return s;
        }

        private void OptionalBool(JsonObject o, string name, string path)
        {
            if (o.ContainsKey(name) && (o[name] is not JsonValue v || !v.TryGetValue<bool>(out _))) Problem($"{path}.{name}", "must be a boolean");
        }

        private int? OptionalInt(JsonObject o, string name, string path, int min, int max)
        {
            if (!o.ContainsKey(name)) return null;
            if (o[name] is not JsonValue v || !v.TryGetValue<int>(out var n)) { Problem($"{path}.{name}", "must be an integer"); return null; }
            if (n < min || n > max) Problem($"{path}.{name}", $"{n}; Slack allows {min}–{max}");
            return n;
        }

        private static bool IsNumber(string s, bool decimals) =>
            decimal.TryParse(s, decimals ? NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint : NumberStyles.AllowLeadingSign,
                CultureInfo.InvariantCulture, out _);

        private static bool HasLoneSurrogate(string s)
        {
            for (var i = 0; i < s.Length; i++)
            {
                if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
                else if (char.IsSurrogate(s[i])) return true;
            }
            return false;
        }
    }
}
