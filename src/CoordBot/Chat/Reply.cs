using System.Text.Json.Serialization;

namespace CoordBot.Chat;

/// <summary>
/// What a handler returns: a channel-neutral card. Every piece of text in it is plain user-visible
/// text; renderers (plain text, HTML, Block Kit, Adaptive Cards) escape it for their target, so
/// handlers never escape or format anything themselves.
/// </summary>
/// <param name="Text">A short plain-text version (a line or two) used for notifications and as the fallback.</param>
/// <param name="Blocks">The card body, in order.</param>
/// <param name="Ephemeral">Only the asker should see it (Slack ephemeral, Teams 1:1 where possible).</param>
/// <param name="IsError">The reply explains why a command was refused.</param>
/// <param name="Field">For a refusal caused by one flag or form input: its name, so a form can show the error beside it.</param>
public sealed record Reply(string Text, IReadOnlyList<Block> Blocks, bool Ephemeral = false, bool IsError = false, string? Field = null)
{
    /// <summary>A one-paragraph reply.</summary>
    public static Reply Say(string text, bool ephemeral = false) => new(text, [new Paragraph(text)], ephemeral);

    /// <summary>A refusal naming the problem; <paramref name="hint"/> is shown as a context line (accepted values, usage).</summary>
    public static Reply Error(string text, string? hint = null, string? field = null) =>
        new(text, hint is null ? [new Paragraph(text)] : [new Paragraph(text), new Context(hint)], Ephemeral: true, IsError: true, Field: field);

    public Reply AsEphemeral(bool ephemeral = true) => this with { Ephemeral = ephemeral };
}

/// <summary>One part of a reply card.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Heading), "heading")]
[JsonDerivedType(typeof(Paragraph), "text")]
[JsonDerivedType(typeof(Fields), "fields")]
[JsonDerivedType(typeof(ItemList), "list")]
[JsonDerivedType(typeof(Table), "table")]
[JsonDerivedType(typeof(Actions), "actions")]
[JsonDerivedType(typeof(Form), "form")]
[JsonDerivedType(typeof(Context), "context")]
[JsonDerivedType(typeof(Divider), "divider")]
[JsonDerivedType(typeof(FileAttachment), "file")]
[JsonDerivedType(typeof(Chart), "chart")]
[JsonDerivedType(typeof(LinkButton), "link")]
public abstract record Block;

/// <summary>A title line.</summary>
public sealed record Heading(string Text) : Block;

/// <summary>Plain text; line breaks are kept.</summary>
public sealed record Paragraph(string Text) : Block;

/// <summary>Label/value pairs (an ally's details, say).</summary>
public sealed record Fields(IReadOnlyList<Field> Items) : Block;

public sealed record Field(string Label, string Value);

/// <summary>A bulleted list; each item has a title and an optional second line.</summary>
public sealed record ItemList(IReadOnlyList<ListItem> Items) : Block;

public sealed record ListItem(string Title, string? Detail = null);

/// <summary>A small grid (counts by sector × level).</summary>
public sealed record Table(IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string>> Rows) : Block;

/// <summary>A row of buttons.</summary>
public sealed record Actions(IReadOnlyList<Button> Buttons) : Block;

/// <summary>
/// A button runs <see cref="Action"/> as the user who presses it, exactly as if they had typed the
/// command with those arguments (same permission checks).
/// </summary>
public sealed record Button(string Label, ChatAction Action, ButtonStyle Style = ButtonStyle.Default);

[JsonConverter(typeof(JsonStringEnumConverter<ButtonStyle>))]
public enum ButtonStyle { Default, Primary, Danger }

/// <summary>
/// A form. Submitting it runs <see cref="Command"/> with one argument per input (the input's name is
/// the flag name); values are passed as they are, never re-parsed as command text.
/// </summary>
public sealed record Form(string Title, string Command, IReadOnlyList<Input> Inputs, string SubmitLabel = "Submit") : Block;

/// <summary>A form input.</summary>
public sealed record Input(string Name, string Label, InputKind Kind = InputKind.Text, bool Required = false,
    string? Initial = null, string? Placeholder = null, IReadOnlyList<string>? Choices = null);

[JsonConverter(typeof(JsonStringEnumConverter<InputKind>))]
public enum InputKind { Text, LongText, Number, Date, Choice }

/// <summary>A small, muted line (hints, counts, paging).</summary>
public sealed record Context(string Text) : Block;

public sealed record Divider : Block;

/// <summary>A file to hand to the user (CSV export). Channels upload it or offer a download.</summary>
public sealed record FileAttachment(string FileName, string MediaType, string Content) : Block;

/// <summary>
/// A run chart CoordBot serves at signed, expiring links: <see cref="Url"/> is the SVG (the local page shows it
/// inline), <see cref="ImageUrl"/> the same chart as a PNG for clients that show PNG but not SVG (Slack image blocks,
/// Adaptive Card images), and <see cref="AltText"/> says in words what the chart shows (latest value and signals).
/// Links are absolute when the host knows its public address (<c>Bot:PublicBaseUrl</c>), otherwise paths on the host.
/// </summary>
public sealed record Chart(string Title, string Url, string? ImageUrl = null, string? AltText = null) : Block
{
    /// <summary>True for an http(s) URL or a host path: the only links renderers emit.</summary>
    public bool IsSafeUrl => IsSafe(Url);

    /// <summary>True when a chat client elsewhere can open the link (it is absolute).</summary>
    public bool IsAbsolute => IsSafeUrl && !Url.StartsWith('/');

    /// <summary>True when there is a PNG link a renderer may emit (see <see cref="IsSafeUrl"/>).</summary>
    public bool HasSafeImage => ImageUrl is not null && IsSafe(ImageUrl);

    /// <summary>True when a chat client elsewhere can fetch the PNG itself (absolute https or http link).</summary>
    public bool HasAbsoluteImage => HasSafeImage && !ImageUrl!.StartsWith('/');

    private static bool IsSafe(string? url) => url is { Length: > 0 and <= 2000 } &&
        (url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) ||
         Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp));
}

/// <summary>
/// A button that opens a web page instead of running a command (the dashboard link of <c>coord dashboard</c>). Renderers emit
/// only an http(s) URL or a path on the host; chat clients elsewhere (Slack, Teams) can open only an absolute one.
/// </summary>
public sealed record LinkButton(string Label, string Url) : Block
{
    /// <summary>True for an http(s) URL or a host path (not //host), at most 2,000 characters.</summary>
    public bool IsSafeUrl => Url is { Length: > 0 and <= 2000 } &&
        (Url.StartsWith('/') && !Url.StartsWith("//", StringComparison.Ordinal) ||
         Uri.TryCreate(Url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp));

    /// <summary>True when a chat client elsewhere can open the link (it is absolute).</summary>
    public bool IsAbsolute => IsSafeUrl && !Url.StartsWith('/');
}

/// <summary>
/// A command invocation carried by a button or a form: the command words and named arguments.
/// Argument values are taken literally (a value with quotes or "--" in it stays one value).
/// </summary>
public sealed record ChatAction(string Command, IReadOnlyDictionary<string, string>? Args = null);
