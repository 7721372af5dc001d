using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CoordBot.Chat;
using static CoordBot.Teams.Cards.CardText;
using static CoordBot.Chat.Rendering.TextCut;

namespace CoordBot.Teams.Cards;

/// <summary>Buttons and forms, and what Teams sends back when they are used.</summary>
public static partial class AdaptiveCardRenderer
{
    /// <summary>The key of a form's <c>Action.Submit</c> data; its value is <see cref="Form.Command"/>.</summary>
    private const string FormKey = "coordbot_form";

    /// <summary>Input ids are this plus <see cref="Input.Name"/>, so no input can collide with a data key.</summary>
    private const string InputPrefix = "input_";

    private const int MaxInputName = 200;
    private const int MaxLabel = 500;
    private const int MaxPlaceholder = 500;
    private const int MaxInitialText = 5_000;
    private const int MaxChoiceValue = 1_000;
    private const int MaxChoiceTitle = 200;

    /// <summary>
    /// An <c>Action.Execute</c> carrying the button's command as <c>{ "command", "args" }</c>, with an
    /// <c>Action.Submit</c> fallback carrying the same data for clients without Universal Actions.
    /// Neither collects the card's inputs, so a button beside a form neither sends nor validates them.
    /// </summary>
    private static JsonObject ExecuteAction(Button button)
    {
        var title = Inert(Truncate(OrDash(Line(button.Label)), MaxButtonTitle));
        var data = ActionData(button.Action);
        var style = button.Style switch { ButtonStyle.Primary => "positive", ButtonStyle.Danger => "destructive", _ => null };
        var fallback = new JsonObject { ["type"] = "Action.Submit", ["title"] = title, ["data"] = data.DeepClone(), ["associatedInputs"] = "None" };
        var action = new JsonObject
        {
            ["type"] = "Action.Execute",
            ["title"] = title,
            ["verb"] = ExecuteVerb,
            ["data"] = data,
            ["associatedInputs"] = "None",
        };
        if (style is not null)
        {
            action["style"] = style;
            fallback["style"] = style;
        }
        action["fallback"] = fallback;
        return action;
    }

    private static JsonObject ActionData(ChatAction action)
    {
        var data = new JsonObject { ["command"] = Value(action.Command) };
        if (action.Args is { } args)
        {
            var values = new JsonObject();
            foreach (var (name, value) in args)
                if (value is not null && !values.ContainsKey(Value(name))) values[Value(name)] = Value(value);
            data["args"] = values;
        }
        return data;
    }

    /// <summary>
    /// A form's title, one input per usable input (a name that is not blank, not over 200 characters,
    /// without control characters and not a repeat; others could not be named in the submission),
    /// and its submit button.
    /// </summary>
    private static List<JsonObject> FormElements(Form form, bool withInitial, bool withPlaceholders)
    {
        var elements = new List<JsonObject>();
        if (Line(form.Title) is { Length: > 0 } title)
        {
            var heading = TextBlock(Escape(Truncate(title, MaxTextChunk)));
            heading["size"] = "Medium";
            heading["weight"] = "Bolder";
            elements.Add(heading);
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in form.Inputs ?? [])
        {
            if (input is null || string.IsNullOrWhiteSpace(input.Name) || input.Name.Length > MaxInputName
                || Clean(input.Name) != input.Name || input.Name.Contains('\n') || !names.Add(input.Name))
                continue;
            elements.Add(InputElement(input, withInitial, withPlaceholders));
        }
        var submit = new JsonObject
        {
            ["type"] = "Action.Submit",
            ["title"] = Inert(Truncate(Line(form.SubmitLabel) is { Length: > 0 } label ? label : "Submit", MaxButtonTitle)),
            ["style"] = "positive",
            ["data"] = new JsonObject { [FormKey] = Value(form.Command) },
        };
        elements.Add(new JsonObject { ["type"] = "ActionSet", ["actions"] = new JsonArray(submit) });
        return elements;
    }

    private static JsonObject InputElement(Input input, bool withInitial, bool withPlaceholders)
    {
        var label = Truncate(OrDash(Line(input.Label) is { Length: > 0 } text ? text : Line(input.Name)), MaxLabel);
        var element = new JsonObject { ["type"] = "Input.Text", ["id"] = InputPrefix + input.Name, ["label"] = Inert(label) };
        if (input.Required)
        {
            element["isRequired"] = true;
            element["errorMessage"] = Inert($"{label} is required.");
        }
        if (withPlaceholders && Line(input.Placeholder) is { Length: > 0 } placeholder)
            element["placeholder"] = Inert(Truncate(placeholder, MaxPlaceholder));
        var initial = withInitial && !string.IsNullOrEmpty(input.Initial) ? Value(input.Initial) : null;
        switch (input.Kind)
        {
            case InputKind.Number:
                element["type"] = "Input.Number";
                if (decimal.TryParse(initial?.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
                    element["value"] = number;
                break;
            case InputKind.Date:
                element["type"] = "Input.Date";
                if (initial is not null && DateOnly.TryParseExact(initial, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                    element["value"] = initial;
                break;
            case InputKind.Choice when Choices(input.Choices) is { Count: > 0 } choices:
                element["type"] = "Input.ChoiceSet";
                element["style"] = "compact";
                element["choices"] = new JsonArray([.. choices]);
                if (initial is not null && choices.Any(c => (string?)c["value"] == initial)) element["value"] = initial;
                break;
            case InputKind.LongText:
                element["isMultiline"] = true;
                if (initial is not null) element["value"] = Cut(initial, MaxInitialText);
                break;
            default:
                // Text, a choice without usable choices, or a kind newer than this renderer.
                if (initial is not null) element["value"] = Cut(initial.ReplaceLineEndings(" "), MaxInitialText);
                break;
        }
        return element;
    }

    /// <summary>The choices a ChoiceSet can carry exactly: not blank, at most 1000 characters, no lone surrogates, no repeats.</summary>
    private static List<JsonObject> Choices(IReadOnlyList<string>? choices)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return (choices ?? [])
            .Where(c => !string.IsNullOrWhiteSpace(c) && c.Length <= MaxChoiceValue && Value(c) == c && seen.Add(c))
            .Select(c => new JsonObject { ["title"] = Inert(Truncate(OrDash(Line(c)), MaxChoiceTitle)), ["value"] = c })
            .ToList();
    }

    /// <summary>
    /// The command a card action carries. Pass a message activity's <c>value</c> (an
    /// <c>Action.Submit</c>: the action's data merged with the card's inputs keyed by id) or an
    /// <c>adaptiveCard/action</c> invoke's <c>value.action.data</c> (an <c>Action.Execute</c>).
    /// A button gives its <c>{ command, args }</c>; a form gives its command with one argument per
    /// <c>input_*</c> property (keyed by the input's name, empty values left out). Numbers and booleans
    /// become their JSON text. Anything else, or anything malformed, gives null.
    /// </summary>
    public static ChatAction? ParseSubmit(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object) return null;
        if (value.TryGetProperty(FormKey, out var form))
        {
            if (form.ValueKind != JsonValueKind.String || form.GetString() is not { } formCommand || string.IsNullOrWhiteSpace(formCommand)) return null;
            var inputs = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in value.EnumerateObject())
            {
                if (property.Name.Length <= InputPrefix.Length || !property.Name.StartsWith(InputPrefix, StringComparison.Ordinal)) continue;
                if (Scalar(property.Value) is { Length: > 0 } text) inputs.TryAdd(property.Name[InputPrefix.Length..], text);
            }
            return new ChatAction(formCommand, inputs);
        }
        if (!value.TryGetProperty("command", out var command) || command.ValueKind != JsonValueKind.String
            || command.GetString() is not { } buttonCommand || string.IsNullOrWhiteSpace(buttonCommand))
            return null;
        if (!value.TryGetProperty("args", out var args) || args.ValueKind == JsonValueKind.Null) return new ChatAction(buttonCommand);
        if (args.ValueKind != JsonValueKind.Object) return null;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in args.EnumerateObject())
        {
            if (Scalar(property.Value) is not { } text) return null;
            values.TryAdd(property.Name, text);
        }
        return new ChatAction(buttonCommand, values);
    }

    /// <summary>A string as it is, a number or boolean as its JSON text; null for anything else.</summary>
    private static string? Scalar(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => element.GetRawText(),
        _ => null,
    };
}
