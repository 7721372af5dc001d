using System.Globalization;
using System.Text.Json.Nodes;
using Xunit;

namespace CoordBot.Tests.Support;

/// <summary>
/// The Adaptive Cards 1.5 schema, checked on the cards CoordBot sends to Teams. Written from the
/// published schema (adaptivecards.io/schemas/adaptive-card.json, microsoft/AdaptiveCards
/// <c>schemas/1.5.0/adaptive-card.json</c>) for the elements, inputs and actions listed below, not
/// from the renderer, so a renderer bug cannot hide here. Where the schema is loose (a required
/// <c>verb</c>, <c>data</c> as an object, a choice set's choices) the stricter reading is used. On top:
/// Teams' <c>msteams</c> card property, version 1.5 at most (Teams' ceiling: https://learn.microsoft.com/en-us/microsoftteams/platform/task-modules-and-cards/cards/cards-reference) with no
/// element or property newer than the card's version, unique ids, and the 80 KB message advice
/// (https://learn.microsoft.com/en-us/microsoftteams/platform/bots/how-to/format-your-bot-messages: the JSON, ASCII-escaped, at most 40,000 characters). Every problem is reported
/// with its JSON path.
/// </summary>
public static class AdaptiveCardSchema
{
    /// <summary>UTF-16 code units × 2 must stay under 80 KB; the default serialiser's output is ASCII, so this many characters.</summary>
    public const int MaxCardChars = 40_000;

    private static readonly Version Newest = new(1, 5);

    public static void AssertValid(JsonObject card)
    {
        var check = new Checker();
        check.Root(card);
        if (check.Problems.Count > 0)
            Assert.Fail($"Invalid Adaptive Card ({check.Problems.Count} problems):\n  " + string.Join("\n  ", check.Problems.Take(40)) + "\n" + Shorten(card.ToJsonString()));
    }

    /// <summary>
    /// CoordBot's own rule on top of the schema: no user text can link, mention or format. Markdown
    /// properties (TextBlock text, Fact title and value, fallbackText) may hold no unescaped markdown
    /// character and no construct the native renderers' parser reacts to even when escaped (a
    /// <c>](</c>, a list or heading marker at a block start); no property anywhere outside data and
    /// values may hold an <c>&lt;at&gt;</c>-like tag, a <c>](</c> or a bare <c>://</c> URL.
    /// </summary>
    public static void AssertInert(JsonObject card)
    {
        var problems = new List<string>();
        Walk(card, "$", null, problems);
        if (problems.Count > 0)
            Assert.Fail("Card is not inert:\n  " + string.Join("\n  ", problems.Take(40)) + "\n" + Shorten(card.ToJsonString()));
    }

    // ---- inertness --------------------------------------------------------------------------------

    private static void Walk(JsonNode? node, string path, string? key, List<string> problems)
    {
        switch (node)
        {
            case JsonObject o:
                var fact = key == "facts";
                var textBlock = Str(o, "type") == "TextBlock";
                foreach (var (name, child) in o)
                {
                    // Values and data come back to CoordBot as they went out; ids, verbs and URLs are not shown.
                    if (name is "data" or "id" or "verb" or "url" or "$schema" or "version" || (name == "value" && !fact)) continue;
                    if (child is JsonValue v && v.TryGetValue<string>(out var text))
                    {
                        var markdown = (textBlock && name == "text") || (fact && name is "title" or "value") || name == "fallbackText";
                        problems.AddRange((markdown ? MarkdownProblems(text) : PlainProblems(text)).Select(p => $"{path}.{name}: {p}"));
                    }
                    else Walk(child, $"{path}.{name}", name, problems);
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++) Walk(a[i], $"{path}[{i}]", key, problems);
                break;
            case JsonValue v when v.TryGetValue<string>(out var text):
                problems.AddRange(PlainProblems(text).Select(p => $"{path}: {p}"));
                break;
        }
    }

    private static IEnumerable<string> PlainProblems(string text)
    {
        for (var i = 0; i + 1 < text.Length; i++)
        {
            if (text[i] == '<' && (char.IsAsciiLetter(text[i + 1]) || text[i + 1] is '/' or '!' or '?')) yield return $"tag-like '<{text[i + 1]}' at {i}";
            if (text[i] == ']' && text[i + 1] == '(') yield return $"link-like '](' at {i}";
            if (text[i] == ':' && text.AsSpan(i + 1).StartsWith("//")) yield return $"bare URL at {i}";
        }
    }

    /// <summary>What a CommonMark parser or the Adaptive Cards shared parser would turn into formatting, links or mentions.</summary>
    internal static IEnumerable<string> MarkdownProblems(string text)
    {
        var lineStart = true;
        var blockStart = true;
        var spaces = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\' && i + 1 < text.Length && IsAsciiPunctuation(text[i + 1]))
            {
                var escaped = text[++i];
                lineStart = false;
                blockStart = escaped is '[' or ']' or ')';
                continue;
            }
            if (c == '\n')
            {
                lineStart = blockStart = true;
                spaces = 0;
                continue;
            }
            if (lineStart && c is ' ' or '\t')
            {
                spaces += c == '\t' ? 4 : 1;
                if (spaces == 4) yield return $"indented code block at {i}";
                continue;
            }
            if (lineStart && c == '\u00A0') continue;
            if (blockStart)
            {
                if (c is '#' or '-' or '+' or '=' or '*' or '>') yield return $"block marker '{c}' at {i}";
                if (char.IsAsciiDigit(c))
                {
                    var j = i;
                    while (j < text.Length && char.IsAsciiDigit(text[j])) j++;
                    if (j < text.Length && text[j] is '.' or ')') yield return $"numbered list at {i}";
                }
            }
            lineStart = false;
            blockStart = c is '[' or ']' or ')';
            if (c is '[' or ']' or '<' or '>' or '*' or '_' or '`' or '~' or '|') yield return $"unescaped '{c}' at {i}";
            if (c == '(' && i > 0 && text[i - 1] == ']') yield return $"'](' (a link to the native renderers) at {i}";
            if (c == '&' && Entity(text, i)) yield return $"character reference at {i}";
            if (c == ':' && text.AsSpan(i + 1).StartsWith("//")) yield return $"bare URL at {i}";
            if (c is 'w' or 'W' && text.AsSpan(i).StartsWith("www.", StringComparison.OrdinalIgnoreCase) && (i == 0 || !char.IsLetterOrDigit(text[i - 1])))
                yield return $"bare www. address at {i}";
            if (c == '{' && i + 1 < text.Length && text[i + 1] == '{') yield return $"'{{{{' (a DATE/TIME function) at {i}";
        }
    }

    /// <summary>CommonMark's ASCII punctuation: what a backslash can escape.</summary>
    private static bool IsAsciiPunctuation(char c) => c < 128 && (char.IsSymbol(c) || char.IsPunctuation(c));

    private static bool Entity(string text, int i)
    {
        // CommonMark: &name; (a letter first), &#digits; or &#xhex;
        var j = i + 1;
        if (j < text.Length && text[j] == '#') { j++; if (j < text.Length && text[j] is 'x' or 'X') j++; }
        else if (j >= text.Length || !char.IsAsciiLetter(text[j])) return false;
        var start = j;
        while (j < text.Length && char.IsAsciiLetterOrDigit(text[j])) j++;
        return j > start && j < text.Length && text[j] == ';';
    }

    // ---- the schema -------------------------------------------------------------------------------

    private delegate void ValueCheck(Checker check, JsonNode? value, string path);

    /// <summary>A property: how to check its value, and the schema version that introduced it.</summary>
    private sealed record Prop(ValueCheck Check, string Since = "1.0");

    private sealed record TypeSpec(string Since, string[] Required, Dictionary<string, Prop> Props);

    private static readonly string[] Spacings = ["default", "none", "small", "medium", "large", "extraLarge", "padding"];
    private static readonly string[] Colors = ["default", "dark", "light", "accent", "good", "warning", "attention"];
    private static readonly string[] FontSizes = ["default", "small", "medium", "large", "extraLarge"];
    private static readonly string[] FontWeights = ["default", "lighter", "bolder"];
    private static readonly string[] FontTypes = ["default", "monospace"];
    private static readonly string[] HorizontalAlignments = ["left", "center", "right"];
    private static readonly string[] VerticalAlignments = ["top", "center", "bottom"];
    private static readonly string[] ContainerStyles = ["default", "emphasis", "good", "attention", "warning", "accent"];
    private static readonly string[] ActionStyles = ["default", "positive", "destructive"];
    private static readonly string[] Heights = ["auto", "stretch"];

    private static Prop String(string since = "1.0") => new((c, v, p) => c.CheckString(v, p), since);
    private static Prop Bool(string since = "1.0") => new((c, v, p) => c.CheckBool(v, p), since);
    private static Prop Number(string since = "1.0") => new((c, v, p) => c.CheckNumber(v, p), since);
    private static Prop Enum(string[] values, string since = "1.0", bool nullable = true) => new((c, v, p) => c.CheckEnum(v, p, values, nullable), since);
    private static Prop Elements(string since = "1.0") => new((c, v, p) => c.List(v, p, (n, q) => c.CheckElement(n, q)), since);
    private static Prop Actions() => new((c, v, p) => c.List(v, p, (n, q) => c.CheckAction(n, q, select: false)));
    private static Prop SelectAction(string since = "1.1") => new((c, v, p) => c.CheckAction(v, p, select: true), since);
    private static Prop Data() => new((c, v, p) => c.CheckData(v, p));
    private static Prop Any(string since = "1.0") => new((_, _, _) => { }, since);
    private static Prop Requires() => new((c, v, p) => c.CheckRequires(v, p), "1.2");

    /// <summary>Extendable.Element: what every element may have.</summary>
    private static Dictionary<string, Prop> ElementProps(params (string Name, Prop Prop)[] own)
    {
        var props = new Dictionary<string, Prop>
        {
            ["id"] = new((c, v, p) => c.Id(v, p)),
            ["isVisible"] = Bool("1.2"),
            ["requires"] = Requires(),
            ["fallback"] = new((c, v, p) => c.Fallback(v, p, (n, q) => c.CheckElement(n, q)), "1.2"),
            ["height"] = Enum(Heights, "1.1", nullable: false),
            ["separator"] = Bool(),
            ["spacing"] = Enum(Spacings, nullable: false),
        };
        foreach (var (name, prop) in own) props[name] = prop;
        return props;
    }

    /// <summary>Extendable.Input: every input has an id, and may have a label, error message and required flag.</summary>
    private static Dictionary<string, Prop> InputProps(params (string Name, Prop Prop)[] own)
    {
        var props = ElementProps(own);
        props["id"] = new((c, v, p) => c.Id(v, p));
        props["label"] = String("1.3");
        props["errorMessage"] = String("1.3");
        props["isRequired"] = Bool("1.3");
        return props;
    }

    /// <summary>Extendable.Action.</summary>
    private static Dictionary<string, Prop> ActionProps(params (string Name, Prop Prop)[] own)
    {
        var props = new Dictionary<string, Prop>
        {
            ["title"] = String(),
            ["iconUrl"] = String("1.1"),
            ["id"] = String(),
            ["style"] = Enum(ActionStyles, "1.2", nullable: false),
            ["fallback"] = new((c, v, p) => c.Fallback(v, p, (n, q) => c.CheckAction(n, q, select: false)), "1.2"),
            ["tooltip"] = String("1.5"),
            ["isEnabled"] = Bool("1.5"),
            ["mode"] = Enum(["primary", "secondary"], "1.5", nullable: false),
            ["requires"] = Requires(),
        };
        foreach (var (name, prop) in own) props[name] = prop;
        return props;
    }

    private static readonly Dictionary<string, TypeSpec> ElementTypes = new()
    {
        ["TextBlock"] = new("1.0", ["text"], ElementProps(
            ("text", String()), ("color", Enum(Colors)), ("fontType", Enum(FontTypes, "1.2")), ("horizontalAlignment", Enum(HorizontalAlignments)),
            ("isSubtle", new((c, v, p) => c.CheckBool(v, p, nullable: true))), ("maxLines", Number()), ("size", Enum(FontSizes)), ("weight", Enum(FontWeights)),
            ("wrap", Bool()), ("style", Enum(["default", "heading"], "1.5")))),
        ["RichTextBlock"] = new("1.2", ["inlines"], ElementProps(
            ("inlines", new((c, v, p) => c.List(v, p, (n, q) => c.TextRun(n, q)))), ("horizontalAlignment", Enum(HorizontalAlignments)))),
        ["Image"] = new("1.0", ["url"], ElementProps(
            ("url", new((c, v, p) => c.CheckString(v, p, empty: false))), ("altText", String()), ("backgroundColor", String("1.1")),
            ("height", new((c, v, p) => c.Size(v, p, Heights), "1.1")), ("horizontalAlignment", Enum(HorizontalAlignments)), ("selectAction", SelectAction()),
            ("size", Enum(["auto", "stretch", "small", "medium", "large"], nullable: false)), ("style", Enum(["default", "person"], nullable: false)),
            ("width", new((c, v, p) => c.Size(v, p, []), "1.1")))),
        ["Container"] = new("1.0", ["items"], ElementProps(
            ("items", Elements()), ("selectAction", SelectAction()), ("style", Enum(ContainerStyles)), ("verticalContentAlignment", Enum(VerticalAlignments, "1.1")),
            ("bleed", Bool("1.2")), ("backgroundImage", Any("1.2")), ("minHeight", new((c, v, p) => c.Size(v, p, []), "1.2")), ("rtl", new((c, v, p) => c.CheckBool(v, p, nullable: true), "1.5")))),
        ["ColumnSet"] = new("1.0", [], ElementProps(
            ("columns", new((c, v, p) => c.List(v, p, (n, q) => c.Column(n, q)))), ("selectAction", SelectAction()), ("style", Enum(ContainerStyles, "1.2")),
            ("bleed", Bool("1.2")), ("minHeight", new((c, v, p) => c.Size(v, p, []), "1.2")), ("horizontalAlignment", Enum(HorizontalAlignments)))),
        ["FactSet"] = new("1.0", ["facts"], ElementProps(("facts", new((c, v, p) => c.List(v, p, (n, q) => c.Fact(n, q)))))),
        ["ActionSet"] = new("1.2", ["actions"], ElementProps(("actions", Actions()))),
        ["Input.Text"] = new("1.0", ["id"], InputProps(
            ("isMultiline", Bool()), ("maxLength", Number()), ("placeholder", String()), ("regex", String("1.3")),
            ("style", Enum(["text", "tel", "url", "email", "password"], nullable: false)), ("inlineAction", SelectAction("1.2")), ("value", String()))),
        ["Input.Number"] = new("1.0", ["id"], InputProps(("max", Number()), ("min", Number()), ("placeholder", String()), ("value", Number()))),
        ["Input.Date"] = new("1.0", ["id"], InputProps(
            ("max", new((c, v, p) => c.Formatted(v, p, "yyyy-MM-dd"))), ("min", new((c, v, p) => c.Formatted(v, p, "yyyy-MM-dd"))),
            ("placeholder", String()), ("value", new((c, v, p) => c.Formatted(v, p, "yyyy-MM-dd"))))),
        ["Input.Time"] = new("1.0", ["id"], InputProps(
            ("max", new((c, v, p) => c.Formatted(v, p, "HH:mm"))), ("min", new((c, v, p) => c.Formatted(v, p, "HH:mm"))),
            ("placeholder", String()), ("value", new((c, v, p) => c.Formatted(v, p, "HH:mm"))))),
        ["Input.Toggle"] = new("1.0", ["id", "title"], InputProps(
            ("title", String()), ("value", String()), ("valueOff", String()), ("valueOn", String()), ("wrap", Bool("1.2")))),
        ["Input.ChoiceSet"] = new("1.0", ["id", "choices"], InputProps(
            ("choices", new((c, v, p) => c.List(v, p, (n, q) => c.Choice(n, q)))), ("isMultiSelect", Bool()),
            ("style", Enum(["compact", "expanded", "filtered"], nullable: false)), ("value", String()), ("placeholder", String()), ("wrap", Bool("1.2")))),
    };

    private static readonly Dictionary<string, TypeSpec> ActionTypes = new()
    {
        ["Action.Submit"] = new("1.0", [], ActionProps(("data", Data()), ("associatedInputs", Enum(["auto", "none"], "1.3", nullable: false)))),
        ["Action.Execute"] = new("1.4", ["verb"], ActionProps(
            ("verb", new((c, v, p) => c.CheckString(v, p, empty: false))), ("data", Data()), ("associatedInputs", Enum(["auto", "none"], nullable: false)))),
        ["Action.OpenUrl"] = new("1.0", ["url"], ActionProps(("url", new((c, v, p) => c.CheckString(v, p, empty: false))))),
        ["Action.ShowCard"] = new("1.0", [], ActionProps(("card", new((c, v, p) => c.Card(v, p, topLevel: false))))),
        ["Action.ToggleVisibility"] = new("1.2", ["targetElements"], ActionProps(("targetElements", new((c, v, p) => c.List(v, p, (n, q) => c.Target(n, q)))))),
    };

    private static readonly Dictionary<string, Prop> CardProps = new()
    {
        ["type"] = Any(),
        ["version"] = Any(),
        ["$schema"] = String(),
        ["refresh"] = Any("1.4"),
        ["authentication"] = Any("1.4"),
        ["body"] = Elements(),
        ["actions"] = Actions(),
        ["selectAction"] = SelectAction(),
        ["fallbackText"] = String(),
        ["backgroundImage"] = Any("1.2"),
        ["minHeight"] = new((c, v, p) => c.Size(v, p, []), "1.2"),
        ["rtl"] = new((c, v, p) => c.CheckBool(v, p, nullable: true), "1.5"),
        ["speak"] = String(),
        ["lang"] = String(),
        ["verticalContentAlignment"] = Enum(VerticalAlignments, "1.1"),
        // Teams' own card property (msteams-docs cards-format): full width and card mentions.
        ["msteams"] = new((c, v, p) => c.Teams(v, p)),
    };

    private sealed class Checker
    {
        public List<string> Problems { get; } = [];
        private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
        private Version _version = Newest;

        private void Problem(string path, string what) => Problems.Add($"{path}: {what}");

        public void Root(JsonObject card)
        {
            var size = card.ToJsonString().Length;
            if (size > MaxCardChars) Problem("$", $"{size} characters of JSON (UTF-16 × 2 = {size * 2} bytes); Teams bots should stay under 80 KB, {MaxCardChars} characters");
            Card(card, "$", topLevel: true);
        }

        public void Card(JsonNode? node, string path, bool topLevel)
        {
            if (node is not JsonObject card) { Problem(path, "a card must be an object"); return; }
            if (Str(card, "type") != "AdaptiveCard") Problem($"{path}.type", "must be \"AdaptiveCard\"");
            if (card["version"] is null)
            {
                if (topLevel) Problem($"{path}.version", "required on the top-level card");
            }
            else if (card["version"] is not JsonValue v || !v.TryGetValue<string>(out var text) || !System.Version.TryParse(text, out var version) || text.Count(ch => ch == '.') != 1)
                Problem($"{path}.version", "must be a \"major.minor\" string");
            else if (version > Newest) Problem($"{path}.version", $"\"{text}\" is newer than {Newest}, the newest Teams renders");
            else if (topLevel) _version = version;
            foreach (var (name, value) in card)
            {
                if (!CardProps.TryGetValue(name, out var prop)) { Problem($"{path}.{name}", "is not a property of AdaptiveCard"); continue; }
                Since(prop.Since, $"{path}.{name}");
                prop.Check(this, value, $"{path}.{name}");
            }
        }

        public void Teams(JsonNode? node, string path)
        {
            if (node is not JsonObject teams) { Problem(path, "must be an object"); return; }
            foreach (var (name, value) in teams)
            {
                switch (name)
                {
                    case "width":
                        if (value is not JsonValue v || !v.TryGetValue<string>(out var width) || !width.Equals("Full", StringComparison.OrdinalIgnoreCase))
                            Problem($"{path}.width", "must be \"Full\"");
                        break;
                    case "entities":
                        if (value is not JsonArray) Problem($"{path}.entities", "must be an array");
                        break;
                    default:
                        Problem($"{path}.{name}", "is not a Teams card property");
                        break;
                }
            }
        }

        public void CheckElement(JsonNode? node, string path) => Typed(node, path, ElementTypes, "element");

        public void CheckAction(JsonNode? node, string path, bool select)
        {
            if (select && node is JsonObject o && Str(o, "type") == "Action.ShowCard") Problem($"{path}.type", "Action.ShowCard cannot be a selectAction");
            Typed(node, path, ActionTypes, "action");
        }

        private void Typed(JsonNode? node, string path, Dictionary<string, TypeSpec> types, string what)
        {
            if (node is not JsonObject o) { Problem(path, $"an {what} must be an object"); return; }
            var type = Str(o, "type");
            if (type is null || !types.TryGetValue(type, out var spec))
            {
                Problem($"{path}.type", type is null ? "missing" : $"\"{type}\" is not an Adaptive Cards 1.5 {what} type");
                return;
            }
            Since(spec.Since, $"{path} ({type})");
            foreach (var required in spec.Required)
                if (!o.ContainsKey(required)) Problem($"{path}.{required}", $"required on {type}");
            foreach (var (name, value) in o)
            {
                if (name == "type") continue;
                if (!spec.Props.TryGetValue(name, out var prop)) { Problem($"{path}.{name}", $"is not a property of {type}"); continue; }
                Since(prop.Since, $"{path}.{name}");
                prop.Check(this, value, $"{path}.{name}");
            }
            if (type == "Input.ChoiceSet" && o["value"] is JsonValue chosen && chosen.TryGetValue<string>(out var initial)
                && !(o["isMultiSelect"] is JsonValue m && m.TryGetValue<bool>(out var multi) && multi)
                && o["choices"] is JsonArray choices && !choices.Any(c => c is JsonObject co && Str(co, "value") == initial))
                Problem($"{path}.value", $"\"{initial}\" is not one of the choices");
        }

        public void Column(JsonNode? node, string path)
        {
            if (node is not JsonObject o) { Problem(path, "a column must be an object"); return; }
            if (o["type"] is not null && Str(o, "type") != "Column") Problem($"{path}.type", "must be \"Column\"");
            var props = new Dictionary<string, Prop>
            {
                ["items"] = Elements(), ["backgroundImage"] = Any("1.2"), ["bleed"] = Bool("1.2"),
                ["fallback"] = new((c, v, p) => c.Fallback(v, p, (n, q) => c.Column(n, q)), "1.2"),
                ["minHeight"] = new((c, v, p) => c.Size(v, p, []), "1.2"), ["rtl"] = new((c, v, p) => c.CheckBool(v, p, nullable: true), "1.5"),
                ["separator"] = Bool(), ["spacing"] = Enum(Spacings, nullable: false), ["selectAction"] = SelectAction(),
                ["style"] = Enum(ContainerStyles), ["verticalContentAlignment"] = Enum(VerticalAlignments, "1.1"),
                ["width"] = new((c, v, p) => c.Size(v, p, ["auto", "stretch"], numbers: true)),
                ["id"] = new((c, v, p) => c.Id(v, p)), ["isVisible"] = Bool("1.2"), ["requires"] = Requires(),
            };
            Props(o, path, "Column", props);
        }

        public void Fact(JsonNode? node, string path)
        {
            if (node is not JsonObject o) { Problem(path, "a fact must be an object"); return; }
            if (o["type"] is not null && Str(o, "type") != "Fact") Problem($"{path}.type", "must be \"Fact\"");
            Required(o, path, "Fact", "title", "value");
            Props(o, path, "Fact", new() { ["title"] = String(), ["value"] = String() });
        }

        public void Choice(JsonNode? node, string path)
        {
            if (node is not JsonObject o) { Problem(path, "a choice must be an object"); return; }
            if (o["type"] is not null && Str(o, "type") != "Input.Choice") Problem($"{path}.type", "must be \"Input.Choice\"");
            Required(o, path, "Input.Choice", "title", "value");
            Props(o, path, "Input.Choice", new() { ["title"] = String(), ["value"] = String() });
        }

        public void TextRun(JsonNode? node, string path)
        {
            if (node is JsonValue v && v.TryGetValue<string>(out _)) return;
            if (node is not JsonObject o) { Problem(path, "an inline must be a string or a TextRun"); return; }
            if (Str(o, "type") != "TextRun") Problem($"{path}.type", "must be \"TextRun\"");
            Required(o, path, "TextRun", "text");
            Props(o, path, "TextRun", new()
            {
                ["text"] = String(), ["color"] = Enum(Colors), ["fontType"] = Enum(FontTypes), ["highlight"] = Bool(), ["isSubtle"] = new((c, v, p) => c.CheckBool(v, p, nullable: true)),
                ["italic"] = Bool(), ["selectAction"] = SelectAction(), ["size"] = Enum(FontSizes), ["strikethrough"] = Bool(), ["underline"] = Bool("1.3"), ["weight"] = Enum(FontWeights),
            });
        }

        public void Target(JsonNode? node, string path)
        {
            if (node is JsonValue v && v.TryGetValue<string>(out _)) return;
            if (node is not JsonObject o) { Problem(path, "a target must be an element id or a TargetElement"); return; }
            Required(o, path, "TargetElement", "elementId");
            Props(o, path, "TargetElement", new() { ["elementId"] = String(), ["isVisible"] = new((c, x, p) => c.CheckBool(x, p, nullable: true)) });
        }

        private void Required(JsonObject o, string path, string type, params string[] names)
        {
            foreach (var name in names)
                if (!o.ContainsKey(name)) Problem($"{path}.{name}", $"required on {type}");
        }

        private void Props(JsonObject o, string path, string type, Dictionary<string, Prop> props)
        {
            foreach (var (name, value) in o)
            {
                if (name == "type") continue;
                if (!props.TryGetValue(name, out var prop)) { Problem($"{path}.{name}", $"is not a property of {type}"); continue; }
                Since(prop.Since, $"{path}.{name}");
                prop.Check(this, value, $"{path}.{name}");
            }
        }

        private void Since(string since, string path)
        {
            var version = System.Version.Parse(since);
            if (version > _version) Problem(path, $"needs Adaptive Cards {since}; the card says {_version}");
        }

        // ---- values ----------------------------------------------------------------------------

        public void List(JsonNode? node, string path, System.Action<JsonNode?, string> each)
        {
            if (node is not JsonArray list) { Problem(path, "must be an array"); return; }
            for (var i = 0; i < list.Count; i++) each(list[i], $"{path}[{i}]");
        }

        public void Fallback(JsonNode? node, string path, System.Action<JsonNode?, string> item)
        {
            if (node is JsonValue v && v.TryGetValue<string>(out var s))
            {
                if (!s.Equals("drop", StringComparison.OrdinalIgnoreCase)) Problem(path, "a fallback is \"drop\" or an object");
                return;
            }
            item(node, path);
        }

        public void CheckString(JsonNode? node, string path, bool empty = true)
        {
            if (node is not JsonValue v || !v.TryGetValue<string>(out var s)) { Problem(path, "must be a string"); return; }
            if (!empty && string.IsNullOrWhiteSpace(s)) Problem(path, "must not be empty");
            for (var i = 0; i < s.Length; i++)
            {
                if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
                else if (char.IsSurrogate(s[i])) { Problem(path, "holds a lone surrogate (not valid UTF-8 on the wire)"); break; }
            }
        }

        public void CheckBool(JsonNode? node, string path, bool nullable = false)
        {
            if (node is null && nullable) return;
            if (node is not JsonValue v || !v.TryGetValue<bool>(out _)) Problem(path, "must be a boolean");
        }

        public void CheckNumber(JsonNode? node, string path)
        {
            if (node is not JsonValue v || v.GetValueKind() != System.Text.Json.JsonValueKind.Number) Problem(path, "must be a number");
        }

        public void CheckEnum(JsonNode? node, string path, string[] values, bool nullable)
        {
            if (node is null && nullable) return;
            if (node is not JsonValue v || !v.TryGetValue<string>(out var s) || !values.Contains(s, StringComparer.OrdinalIgnoreCase))
                Problem(path, $"must be one of {string.Join(", ", values)}");
        }

        /// <summary>A pixel size ("50px"), one of <paramref name="words"/>, or (for column widths) a number.</summary>
        public void Size(JsonNode? node, string path, string[] words, bool numbers = false)
        {
            if (node is JsonValue n && n.GetValueKind() == System.Text.Json.JsonValueKind.Number)
            {
                if (!numbers) Problem(path, "must be a string");
                else if (double.Parse(n.ToJsonString(), CultureInfo.InvariantCulture) <= 0) Problem(path, "a relative width must be positive");
                return;
            }
            if (node is not JsonValue v || !v.TryGetValue<string>(out var s)) { Problem(path, "must be a string"); return; }
            var pixels = s.EndsWith("px", StringComparison.Ordinal) && int.TryParse(s[..^2], NumberStyles.None, CultureInfo.InvariantCulture, out _);
            if (!pixels && !words.Contains(s, StringComparer.OrdinalIgnoreCase))
                Problem(path, $"\"{s}\" is not a pixel size{(words.Length > 0 ? " or one of " + string.Join(", ", words) : "")}");
        }

        public void Formatted(JsonNode? node, string path, string format)
        {
            if (node is not JsonValue v || !v.TryGetValue<string>(out var s)) { Problem(path, "must be a string"); return; }
            var ok = format == "yyyy-MM-dd"
                ? DateOnly.TryParseExact(s, format, CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
                : TimeOnly.TryParseExact(s, format, CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
            if (!ok) Problem(path, $"\"{s}\" is not {format.ToUpperInvariant()}");
        }

        public void Id(JsonNode? node, string path)
        {
            CheckString(node, path, empty: false);
            if (node is JsonValue v && v.TryGetValue<string>(out var id) && !_ids.Add(id)) Problem(path, $"id \"{id}\" is used twice in the card");
        }

        public void CheckRequires(JsonNode? node, string path)
        {
            if (node is not JsonObject o) { Problem(path, "must be an object"); return; }
            foreach (var (name, value) in o) CheckString(value, $"{path}.{name}");
        }

        /// <summary>Action data: an object (merged with the inputs), never a bare string.</summary>
        public void CheckData(JsonNode? node, string path)
        {
            if (node is not JsonObject) { Problem(path, "must be an object"); return; }
            var walk = new Stack<(JsonNode? Node, string Path)>([(node, path)]);
            while (walk.TryPop(out var item))
            {
                switch (item.Node)
                {
                    case JsonObject o: foreach (var (k, c) in o) walk.Push((c, $"{item.Path}.{k}")); break;
                    case JsonArray a: for (var i = 0; i < a.Count; i++) walk.Push((a[i], $"{item.Path}[{i}]")); break;
                    case JsonValue v when v.TryGetValue<string>(out _): CheckString(v, item.Path); break;
                }
            }
        }
    }

    private static string? Str(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static string Shorten(string json) => json.Length <= 4000 ? json : json[..4000] + $"… ({json.Length} characters)";
}
