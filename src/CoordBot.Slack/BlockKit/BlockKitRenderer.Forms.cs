using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CoordBot.Chat;
using static CoordBot.Slack.BlockKit.SlackText;
using static CoordBot.Chat.Rendering.TextCut;

namespace CoordBot.Slack.BlockKit;

/// <summary>Forms as modals, and what comes back from Slack: button values and modal state.</summary>
public static partial class BlockKitRenderer
{
    private const int MaxModalText = 24;
    private const int MaxPrivateMetadata = 3000;
    private const int MaxLabel = 2000;
    private const int MaxPlaceholder = 150;
    private const int MaxInitialText = 3000;
    private const int MaxOptions = 100;
    private const int MaxOptionText = 75;
    private const int MaxOptionValue = 150;
    private const int MaxBlockId = 255;

    /// <summary>
    /// Button values: <see cref="ReplyJson.Options"/>, but compact — defaults left out (the records'
    /// constructor defaults restore them) and non-ASCII kept as is, since every character counts
    /// against the 2000-character limit. The value is opaque to Slack and never shown as HTML.
    /// </summary>
    private static readonly JsonSerializerOptions ValueJson = new(ReplyJson.Options)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// The modal a form opens. <paramref name="privateMetadata"/> comes back with the submission
    /// (at most 3000 characters, else <see cref="ArgumentException"/>). Each input is an input block
    /// whose block_id is the input's name; inputs without a usable name (empty, over 255 characters,
    /// or a repeat) are left out, as a submission could not name them.
    /// </summary>
    public static JsonObject Modal(Form form, string privateMetadata)
    {
        ArgumentNullException.ThrowIfNull(form);
        ArgumentNullException.ThrowIfNull(privateMetadata);
        if (privateMetadata.Length > MaxPrivateMetadata)
            throw new ArgumentException($"private_metadata is {privateMetadata.Length} characters; Slack allows {MaxPrivateMetadata}.", nameof(privateMetadata));

        var names = new HashSet<string>(StringComparer.Ordinal);
        var inputs = (form.Inputs ?? [])
            .Where(i => i is not null && !string.IsNullOrWhiteSpace(i.Name) && i.Name.Length <= MaxBlockId && Value(i.Name) == i.Name && names.Add(i.Name))
            .ToList();

        // Drop initial values, then trailing inputs, until the view is small enough for Slack.
        var view = ModalView(form, privateMetadata, inputs, inputs.Count, withInitial: true);
        if (view.ToJsonString().Length > MaxViewBytes) view = ModalView(form, privateMetadata, inputs, inputs.Count, withInitial: false);
        for (var shown = inputs.Count - 1; shown >= 0 && view.ToJsonString().Length > MaxViewBytes; shown--)
            view = ModalView(form, privateMetadata, inputs, shown, withInitial: false);
        return view;
    }

    private static JsonObject ModalView(Form form, string privateMetadata, List<Input> inputs, int shown, bool withInitial)
    {
        var command = Line(form.Command);
        var submit = Truncate(Line(form.SubmitLabel) is { Length: > 0 } label ? label : "Submit", MaxModalText);
        var blocks = new JsonArray();
        // 100 blocks at most; when inputs are left out, the last block says so.
        var fits = Math.Min(shown, inputs.Count > MaxViewBlocks ? MaxViewBlocks - 1 : MaxViewBlocks);
        foreach (var input in inputs.Take(fits)) blocks.Add(InputBlock(input, withInitial));
        if (fits < inputs.Count)
            blocks.Add(ContextBlock(Plain(Truncate($"{inputs.Count - fits} more fields do not fit here; to set them, type the command instead: {command}", MaxContextText))));
        if (blocks.Count == 0)
            blocks.Add(Section(Plain($"Nothing to fill in: press {submit} to go ahead.")));
        return new JsonObject
        {
            ["type"] = "modal",
            ["callback_id"] = FormCallbackId,
            ["title"] = Plain(Truncate(Line(form.Title) is { Length: > 0 } title ? title : "Form", MaxModalText)),
            ["submit"] = Plain(submit),
            ["close"] = Plain("Cancel"),
            ["private_metadata"] = privateMetadata,
            ["blocks"] = blocks,
        };
    }

    private static JsonObject InputBlock(Input input, bool withInitial)
    {
        var block = new JsonObject
        {
            ["type"] = "input",
            ["block_id"] = input.Name,
            ["label"] = Plain(Truncate(Line(input.Label) is { Length: > 0 } label ? label : OrDash(Line(input.Name)), MaxLabel)),
            ["optional"] = !input.Required,
        };
        var initial = withInitial && !string.IsNullOrEmpty(input.Initial) ? Value(input.Initial) : null;
        var placeholder = Line(input.Placeholder) is { Length: > 0 } text ? Plain(Truncate(text, MaxPlaceholder)) : null;
        JsonObject element;
        switch (input.Kind)
        {
            case InputKind.Number:
                element = new JsonObject { ["type"] = "number_input", ["action_id"] = InputActionId, ["is_decimal_allowed"] = true };
                if (decimal.TryParse(initial?.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
                    element["initial_value"] = number.ToString(CultureInfo.InvariantCulture);   // "+5" → "5", ".5" → "0.5"
                break;
            case InputKind.Date:
                element = new JsonObject { ["type"] = "datepicker", ["action_id"] = InputActionId };
                if (initial is not null && DateOnly.TryParseExact(initial, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                    element["initial_date"] = initial;
                break;
            case InputKind.Choice when Options(input.Choices) is { Count: > 0 and <= MaxOptions } options:
                element = new JsonObject { ["type"] = "static_select", ["action_id"] = InputActionId, ["options"] = new JsonArray([.. options]) };
                if (initial is not null && options.FirstOrDefault(o => (string?)o["value"] == initial) is { } selected)
                    element["initial_option"] = selected.DeepClone();
                break;
            case InputKind.Choice when Options(input.Choices) is { Count: > MaxOptions } options:
                // Too many for a menu: a text box, with the choices spelled out beneath it.
                element = TextInput(initial, multiline: false);
                block["hint"] = Plain(Truncate("One of: " + string.Join(", ", options.Select(o => (string?)o["text"]?["text"])), MaxLabel));
                break;
            default:
                element = TextInput(initial, multiline: input.Kind == InputKind.LongText);
                break;
        }
        if (placeholder is not null) element["placeholder"] = placeholder;
        block["element"] = element;
        return block;
    }

    private static JsonObject TextInput(string? initial, bool multiline)
    {
        var element = new JsonObject { ["type"] = "plain_text_input", ["action_id"] = InputActionId };
        if (multiline) element["multiline"] = true;
        var value = initial is null ? "" : Cut(multiline ? initial : initial.ReplaceLineEndings(" "), MaxInitialText);
        if (value.Length > 0) element["initial_value"] = value;
        return element;
    }

    /// <summary>Menu options for the choices Slack can carry exactly (1–150 characters, no repeats).</summary>
    private static List<JsonObject> Options(IReadOnlyList<string>? choices)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return (choices ?? [])
            .Where(c => !string.IsNullOrWhiteSpace(c) && c.Length <= MaxOptionValue && Value(c) == c && seen.Add(c))
            .Select(c => new JsonObject
            {
                ["text"] = Plain(Truncate(OrDash(Line(c)), MaxOptionText)),
                ["value"] = c,
            })
            .ToList();
    }

    /// <summary>
    /// The submitted values of a modal, from view_submission's <c>view.state.values</c>
    /// (block_id → action_id → element state), keyed by block_id (the input's name). Inputs left
    /// empty are omitted; shapes it does not know are skipped.
    /// </summary>
    public static IReadOnlyDictionary<string, string> FormValues(JsonElement stateValues)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (stateValues.ValueKind != JsonValueKind.Object) return values;
        foreach (var block in stateValues.EnumerateObject())
        {
            if (block.Value.ValueKind != JsonValueKind.Object || values.ContainsKey(block.Name)) continue;
            foreach (var action in block.Value.EnumerateObject())
            {
                if (ElementValue(action.Value) is { Length: > 0 } value)
                {
                    values[block.Name] = value;
                    break;
                }
            }
        }
        return values;
    }

    /// <summary>The value in one element's state: value (text and number inputs), selected_date, or selected_option.value.</summary>
    private static string? ElementValue(JsonElement state)
    {
        if (state.ValueKind != JsonValueKind.Object) return null;
        static string? String(JsonElement e, string name) =>
            e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        return String(state, "value")
            ?? String(state, "selected_date")
            ?? (state.TryGetProperty("selected_option", out var option) && option.ValueKind == JsonValueKind.Object ? String(option, "value") : null);
    }

    /// <summary>The command a button carries, from its value; null when the value is not one of ours.</summary>
    public static ChatAction? ParseAction(string? value)
    {
        var action = Parse<ChatAction>(value);
        if (action is null || string.IsNullOrWhiteSpace(action.Command)) return null;
        return action.Args is null || action.Args.Values.All(v => v is not null) ? action : null;
    }

    /// <summary>The form an open-form button carries, from its value; null when the value is not one of ours.</summary>
    public static Form? ParseFormButton(string? value)
    {
        var form = Parse<Form>(value);
        if (form is null || string.IsNullOrWhiteSpace(form.Command) || form.Title is null || form.SubmitLabel is null || form.Inputs is null) return null;
        var inputsOk = form.Inputs.All(i => i is not null && i.Name is not null && i.Label is not null
            && Enum.IsDefined(i.Kind) && (i.Choices is null || i.Choices.All(c => c is not null)));
        return inputsOk ? form : null;
    }

    private static T? Parse<T>(string? value) where T : class
    {
        // Slack never sends back more than a button can carry; anything longer is not ours.
        if (string.IsNullOrEmpty(value) || value.Length > MaxButtonValue) return null;
        try
        {
            return JsonSerializer.Deserialize<T>(value, ValueJson);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A command button's value, or null when it would exceed 2000 characters.</summary>
    private static string? ActionValue(ChatAction? action)
    {
        if (action is null) return null;
        var json = JsonSerializer.Serialize(action, ValueJson);
        return json.Length <= MaxButtonValue ? json : null;
    }

    /// <summary>
    /// An open-form button's value: the form, else the form without initial values, else without
    /// placeholders either; null when even that exceeds 2000 characters.
    /// </summary>
    private static string? FormButtonValue(Form form)
    {
        var inputs = (form.Inputs ?? []).OfType<Input>().ToList();
        // What even the smallest variant must carry; skips serialising forms that cannot fit.
        var least = (form.Title?.Length ?? 0) + (form.Command?.Length ?? 0)
            + inputs.Sum(i => (i.Name?.Length ?? 0) + (i.Label?.Length ?? 0) + (i.Choices?.Sum(c => c?.Length ?? 0) ?? 0));
        if (least > MaxButtonValue) return null;
        Form[] variants =
        [
            form with { Inputs = inputs },
            form with { Inputs = [.. inputs.Select(i => i with { Initial = null })] },
            form with { Inputs = [.. inputs.Select(i => i with { Initial = null, Placeholder = null })] },
        ];
        return variants.Select(v => JsonSerializer.Serialize(v, ValueJson)).FirstOrDefault(json => json.Length <= MaxButtonValue);
    }
}
