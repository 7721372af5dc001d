using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CoordBot.Chat;
using CoordBot.Chat.Rendering;
using static CoordBot.Slack.BlockKit.SlackText;
using static CoordBot.Chat.Rendering.TextCut;

namespace CoordBot.Slack.BlockKit;

/// <summary>
/// Renders CoordBot's channel-neutral <see cref="Reply"/> as Slack Block Kit: messages, the modal
/// that a <see cref="Form"/> opens, and the App Home tab; and reads back what Slack returns (button
/// values, modal state). Every text in a reply is untrusted user text: it goes out as plain_text,
/// or as escaped, verbatim mrkdwn when it has no styling characters, so nothing typed can mention,
/// link or format. Output always fits Slack's limits; long content is split, never dropped.
/// </summary>
public static partial class BlockKitRenderer
{
    /// <summary>action_id of the button that opens a <see cref="Form"/> as a modal (its value is the form).</summary>
    public const string OpenFormActionId = "coordbot_open_form";

    /// <summary>Prefix of the action_id of command buttons (prefix + index, unique in the message).</summary>
    public const string ActionIdPrefix = "coordbot_action_";

    /// <summary>callback_id of the modal a form opens.</summary>
    public const string FormCallbackId = "coordbot_form";

    /// <summary>action_id of every input element in a modal; the input's block_id is <see cref="Input.Name"/>.</summary>
    public const string InputActionId = "value";

    private const int MaxMessageBlocks = 50;
    /// <summary>
    /// chat.postMessage refuses messages whose blocks hold much more than 12,000 characters of text
    /// (msg_blocks_too_long; undocumented, reported in slackapi/bolt-js#2509 and #2867), so a page's
    /// blocks stay under this many characters of JSON, and no one block takes more than half of it.
    /// </summary>
    private const int MaxMessageChars = 12_000;
    private const int MaxBlockChars = 6_000;
    private const int MaxViewBlocks = 100;
    private const int MaxSectionText = 3000;
    private const int MaxFieldText = 2000;
    private const int MaxFields = 10;
    private const int MaxHeaderText = 150;
    private const int MaxContextElements = 10;
    private const int MaxContextText = 3000;
    private const int MaxActionElements = 25;
    private const int MaxButtonText = 75;
    private const int MaxButtonValue = 2000;
    private const int MaxFallbackText = 4000;
    private const int MaxImageUrl = 3000;
    private const int MaxAltText = 2000;
    private const int MaxImageTitle = 2000;
    private const int MaxColumnWidth = 40;
    /// <summary>Slack refuses views over 250 kB (view_too_large); this leaves room for the envelope.</summary>
    private const int MaxViewBytes = 240_000;

    /// <summary>
    /// The reply as one or more message payloads <c>{ "text", "blocks", "mrkdwn": false }</c>, in order;
    /// several when it needs more than 50 blocks. Callers add channel, response_type and the like.
    /// </summary>
    public static IReadOnlyList<JsonObject> Messages(Reply reply) => Messages(reply, new HashSet<Chart>());

    /// <summary>
    /// As <see cref="Messages(Reply)"/>, for a message whose <paramref name="uploaded"/> charts (relative PNG links: no
    /// public address) the sender shares as files after it: their place in the message says the chart follows.
    /// </summary>
    public static IReadOnlyList<JsonObject> Messages(Reply reply, IReadOnlySet<Chart> uploaded)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var blocks = new BlockWriter { Uploaded = uploaded }.Write(reply.Blocks);
        var fallback = FallbackText(reply);
        if (blocks.Count == 0)
            blocks.Add(Section(Plain(Truncate(OrDash(Display(fallback)), MaxSectionText))));

        var pages = Pages(blocks);
        var messages = new List<JsonObject>(pages.Count);
        for (var i = 0; i < pages.Count; i++)
        {
            var suffix = pages.Count == 1 ? "" : $" ({i + 1}/{pages.Count})";
            messages.Add(new JsonObject
            {
                ["text"] = TruncateEscaped(Mrkdwn.Escape(Display(fallback)), MaxFallbackText - suffix.Length) + suffix,
                ["blocks"] = new JsonArray([.. pages[i]]),
                // The fallback is user text too: no styling in notifications or block-less clients.
                ["mrkdwn"] = false,
            });
        }
        return messages;
    }

    /// <summary>
    /// The App Home tab: each section's blocks (forms as open-form buttons), separated by dividers.
    /// What does not fit in 100 blocks is replaced by a context line saying there is more.
    /// </summary>
    public static JsonObject Home(IReadOnlyList<Reply> sections)
    {
        ArgumentNullException.ThrowIfNull(sections);
        var writer = new BlockWriter();
        var blocks = new List<JsonObject>();
        foreach (var section in sections)
        {
            if (section is null) continue;
            var rendered = writer.Write(section.Blocks);
            if (rendered.Count == 0) continue;
            if (blocks.Count > 0) blocks.Add(DividerBlock());
            blocks.AddRange(rendered);
        }
        var kept = new JsonArray();
        var bytes = 0;
        foreach (var (block, i) in blocks.Select((b, i) => (b, i)))
        {
            var size = block.ToJsonString().Length;
            var last = i == blocks.Count - 1;
            // Keep room for the "more" line unless this is the last block.
            if (kept.Count + (last ? 1 : 2) > MaxViewBlocks || bytes + size > MaxViewBytes - 1000)
            {
                while (kept.Count > 0 && kept[^1]?["type"]?.GetValue<string>() is "divider" or "header") kept.RemoveAt(kept.Count - 1);
                kept.Add(ContextBlock(Plain("There is more than fits on this tab. Ask CoordBot in a message to see all of it.")));
                break;
            }
            kept.Add(block);
            bytes += size;
        }
        if (kept.Count == 0) kept.Add(ContextBlock(Plain("Nothing to show yet.")));
        return new JsonObject { ["type"] = "home", ["blocks"] = kept };
    }

    /// <summary>The reply's notification text: its Text, else the first text in its blocks.</summary>
    private static string FallbackText(Reply reply)
    {
        if (Line(reply.Text).Length > 0) return reply.Text;
        var first = (reply.Blocks ?? []).Select(block => block switch
        {
            Heading h => h.Text,
            Paragraph p => p.Text,
            Context c => c.Text,
            ItemList { Items: [{ } item, ..] } => item.Title,
            Form f => f.Title,
            _ => null,
        }).FirstOrDefault(text => Line(text).Length > 0);
        return first ?? "A reply from CoordBot";
    }

    /// <summary>
    /// Splits blocks into pages of at most 50 blocks and <see cref="MaxMessageChars"/> characters; a
    /// header or divider at the end of a full page moves to the next, with what it introduces.
    /// </summary>
    private static List<List<JsonObject>> Pages(List<JsonObject> blocks)
    {
        var pages = new List<List<JsonObject>>();
        var costs = new Dictionary<JsonObject, int>(ReferenceEqualityComparer.Instance);
        int Cost(JsonObject block) => costs.TryGetValue(block, out var known) ? known : costs[block] = BlockKitRenderer.Cost(block);
        var page = new List<JsonObject>();
        var size = 0;
        foreach (var block in blocks)
        {
            var cost = Cost(block);
            if (page.Count > 0 && (page.Count == MaxMessageBlocks || size + cost > MaxMessageChars))
            {
                var lead = page.Count;
                while (lead > 1 && page[lead - 1]["type"]?.GetValue<string>() is "header" or "divider") lead--;
                var carried = page.GetRange(lead, page.Count - lead);
                if (carried.Sum(Cost) + cost > MaxMessageChars) carried = [];
                page.RemoveRange(page.Count - carried.Count, carried.Count);
                pages.Add(page);
                page = carried;
                size = carried.Sum(Cost);
            }
            page.Add(block);
            size += cost;
        }
        if (page.Count > 0) pages.Add(page);
        return pages;
    }

    private static readonly JsonWriterOptions CountingJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_costBuffer;

    /// <summary>
    /// A block's size as Slack counts text: its JSON, with non-ASCII characters counted once (the length of
    /// <c>ToJsonString</c> with that encoder, counted from the UTF-8 in a reused buffer instead of a new string).
    /// </summary>
    private static int Cost(JsonNode block)
    {
        var buffer = t_costBuffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(buffer, CountingJson)) block.WriteTo(writer);
        return Encoding.UTF8.GetCharCount(buffer.WrittenSpan);
    }

    /// <summary>Groups items in order: at most <paramref name="count"/> to a group, and at most <see cref="MaxBlockChars"/> characters unless one item alone is more.</summary>
    private static List<List<T>> Groups<T>(IEnumerable<T> items, int count, Func<T, int> cost)
    {
        var groups = new List<List<T>>();
        var size = 0;
        foreach (var item in items)
        {
            var c = cost(item);
            if (groups.Count == 0 || groups[^1].Count == count || size + c > MaxBlockChars)
            {
                groups.Add([]);
                size = 0;
            }
            groups[^1].Add(item);
            size += c;
        }
        return groups;
    }

    /// <summary>What a message says in place of a chart whose PNG follows it as a file.</summary>
    public const string ChartUploadNote = "the chart follows as an image";

    /// <summary>
    /// The PNG link an <c>image</c> block may carry: absolute https (Slack fetches it itself, from the host's public address)
    /// and within Slack's 3,000 characters; null otherwise (an http public address gets the link button only).
    /// </summary>
    public static string? ImageBlockUrl(Chart chart) =>
        chart.HasAbsoluteImage && chart.ImageUrl!.Length <= MaxImageUrl && chart.ImageUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            ? chart.ImageUrl
            : null;

    /// <summary>The action ids of link buttons (<see cref="LinkButton"/>) start with this; their clicks need no answer.</summary>
    public const string LinkActionIdPrefix = "coordbot-link-";

    /// <summary>The action id of a chart's link button (Slack still reports the click; it needs no answer).</summary>
    public const string ChartLinkActionId = "coordbot-chart-link";

    private static JsonObject Section(JsonObject text) => new() { ["type"] = "section", ["text"] = text };

    private static JsonObject ContextBlock(params JsonObject[] elements) => new() { ["type"] = "context", ["elements"] = new JsonArray(elements) };

    private static JsonObject DividerBlock() => new() { ["type"] = "divider" };

    /// <summary>Writes reply blocks as Slack blocks; one writer per message set or view, so action_ids stay unique.</summary>
    private sealed class BlockWriter
    {
        private readonly List<JsonObject> _blocks = [];
        private int _nextAction;

        public List<JsonObject> Write(IReadOnlyList<Block>? blocks)
        {
            _blocks.Clear();
            foreach (var block in blocks ?? [])
            {
                switch (block)
                {
                    case null: break;
                    case LinkButton link: WriteLinkButton(link); break;
                    case Heading h: WriteHeading(h); break;
                    case Paragraph p: WriteText(p.Text); break;
                    case Fields f: WriteFields(f); break;
                    case ItemList l: WriteList(l); break;
                    case Table t: WriteTable(t); break;
                    case Actions a: WriteActions(a); break;
                    case Form form: WriteForm(form); break;
                    case Context c: WriteContext(Display(c.Text)); break;
                    case Divider: _blocks.Add(DividerBlock()); break;
                    case FileAttachment file:
                        WriteContext($"📎 {Truncate(OrDash(Line(file.FileName)), 500)} — sent to you as a file");
                        break;
                    case Chart chart: WriteChart(chart); break;
                    default:
                        // A block type newer than this renderer: show its plain-text form rather than nothing.
                        WriteText(PlainTextRenderer.Render(new Reply("", [block])));
                        break;
                }
            }
            return [.. _blocks];
        }

        private void WriteHeading(Heading heading)
        {
            var text = Line(heading.Text);
            if (text.Length > 0) _blocks.Add(new JsonObject { ["type"] = "header", ["text"] = Plain(Truncate(text, MaxHeaderText)) });
        }

        /// <summary>
        /// A button that opens a page (the dashboard): Slack opens only absolute links, of at most 3,000 characters. Slack still
        /// reports the click; its action carries no value, so the handler only acknowledges it.
        /// </summary>
        private void WriteLinkButton(LinkButton link)
        {
            var label = Truncate(OrDash(Line(link.Label)), MaxButtonText);
            if (!link.IsAbsolute || link.Url.Length > 3000)
            {
                WriteContext($"🔗 {label}: on the CoordBot host (set Bot:PublicBaseUrl to link it here)");
                return;
            }
            _blocks.Add(new JsonObject
            {
                ["type"] = "actions",
                ["elements"] = new JsonArray(new JsonObject
                {
                    ["type"] = "button", ["text"] = Plain(label), ["url"] = link.Url, ["style"] = "primary", ["action_id"] = LinkActionIdPrefix + _nextAction++,
                }),
            });
        }

        /// <summary>
        /// Slack shows no SVG. With a public address (an absolute PNG link), the chart's title with a link button to the
        /// SVG, then an <c>image</c> block Slack fetches itself (https://docs.slack.dev/reference/block-kit/blocks/image-block);
        /// without one, a context line: the outbox's sender uploads the PNG to the channel instead (<see cref="ChartUploadNote"/>).
        /// </summary>
        private void WriteChart(Chart chart)
        {
            var title = Truncate(OrDash(Line(chart.Title)), MaxSectionText);
            if (!chart.IsAbsolute)
            {
                WriteContext(chart.HasSafeImage && Uploaded.Contains(chart)
                    ? $"📈 {title}: {ChartUploadNote}"
                    : $"📈 {title}: on the CoordBot host (set Bot:PublicBaseUrl to link charts here)");
                return;
            }
            _blocks.Add(new JsonObject
            {
                ["type"] = "section",
                ["text"] = Plain("📈 " + title),
                ["accessory"] = new JsonObject { ["type"] = "button", ["text"] = Plain("Open chart"), ["url"] = chart.Url, ["action_id"] = ChartLinkActionId },
            });
            if (ImageBlockUrl(chart) is not { } imageUrl) return;
            _blocks.Add(new JsonObject
            {
                ["type"] = "image",
                ["image_url"] = imageUrl,
                ["alt_text"] = Truncate(OrDash(Line(chart.AltText ?? chart.Title)), MaxAltText),
                ["title"] = Plain(Truncate(title, MaxImageTitle)),
            });
        }

        /// <summary>Charts whose PNG the sender uploads after the message (see <see cref="Messages(Reply, IReadOnlySet{Chart})"/>).</summary>
        public IReadOnlySet<Chart> Uploaded { get; init; } = new HashSet<Chart>();

        /// <summary>Plain text as as many sections as it needs.</summary>
        private void WriteText(string? text, bool emoji = true)
        {
            foreach (var chunk in Chunks(Display(text), MaxSectionText)) _blocks.Add(Section(Plain(chunk, emoji)));
        }

        /// <summary>Context lines, split into elements of at most 3000 characters, 10 per block.</summary>
        private void WriteContext(string text, bool emoji = true)
        {
            foreach (var group in Groups(Chunks(text, MaxContextText), MaxContextElements, chunk => chunk.Length))
                _blocks.Add(ContextBlock([.. group.Select(chunk => Plain(chunk, emoji))]));
        }

        /// <summary>Fields: a bold label over the value, up to 10 to a section; a field too long for a field gets sections of its own.</summary>
        private void WriteFields(Fields fields)
        {
            var pending = new List<JsonObject>();
            void Flush()
            {
                foreach (var group in Groups(pending, MaxFields, Cost))
                    _blocks.Add(new JsonObject { ["type"] = "section", ["fields"] = new JsonArray([.. group]) });
                pending = [];
            }
            foreach (var field in fields.Items ?? [])
            {
                if (field is null) continue;
                var label = OrDash(Line(field.Label));
                var value = OrDash(Display(field.Value).Trim());
                JsonObject? text = null;
                if (Mrkdwn.IsUnstyled(label + value) && $"*{Mrkdwn.Escape(label)}*\n{Mrkdwn.Escape(value)}" is { Length: <= MaxFieldText } md)
                    text = Markdown(md);
                else if ($"{label}\n{value}" is { Length: <= MaxFieldText } plain)
                    text = Plain(plain);
                if (text is null)
                {
                    Flush();
                    WriteText($"{label}\n{value}");
                    continue;
                }
                pending.Add(text);
            }
            Flush();
        }

        /// <summary>A bulleted list packed into as few sections as fit, each item's detail on the line below its title.</summary>
        private void WriteList(ItemList list)
        {
            // The section being filled, in both forms: mrkdwn (bold titles) while every item allows it.
            var plain = new List<string>();
            var markdown = new List<string>();
            int plainLength = -1, markdownLength = -1;   // joined lengths ("\n" between items)
            var allMarkdown = true;
            void Flush()
            {
                if (plain.Count > 0) _blocks.Add(Section(allMarkdown ? Markdown(string.Join("\n", markdown)) : Plain(string.Join("\n", plain))));
                plain.Clear();
                markdown.Clear();
                plainLength = markdownLength = -1;
                allMarkdown = true;
            }

            foreach (var item in list.Items ?? [])
            {
                if (item is null) continue;
                var title = OrDash(Line(item.Title));
                var detail = Display(item.Detail).Trim();
                var itemPlain = "• " + title + (detail.Length > 0 ? "\n" + detail : "");
                var itemMarkdown = Mrkdwn.IsUnstyled(title + detail)
                    ? "• *" + Mrkdwn.Escape(title) + "*" + (detail.Length > 0 ? "\n" + Mrkdwn.Escape(detail) : "")
                    : null;
                if (itemPlain.Length > MaxSectionText)
                {
                    Flush();
                    WriteText(itemPlain);
                    continue;
                }
                var staysMarkdown = allMarkdown && itemMarkdown is not null && markdownLength + 1 + itemMarkdown.Length <= MaxSectionText;
                if (!staysMarkdown && plainLength + 1 + itemPlain.Length > MaxSectionText)
                {
                    Flush();
                    staysMarkdown = itemMarkdown is not null && itemMarkdown.Length <= MaxSectionText;
                }
                plain.Add(itemPlain);
                plainLength += 1 + itemPlain.Length;
                markdown.Add(itemMarkdown ?? "");
                markdownLength += 1 + (itemMarkdown?.Length ?? 0);
                allMarkdown = staysMarkdown;
            }
            Flush();
        }

        /// <summary>
        /// A table as aligned monospace text (a mrkdwn code block when no cell has styling characters,
        /// else plain_text), the header row repeated at the top of each section it needs.
        /// </summary>
        private void WriteTable(Table table)
        {
            var headers = (table.Headers ?? []).Select(h => Line(h)).ToList();
            var rows = (table.Rows ?? []).Where(r => r is not null).Select(r => r.Select(c => Line(c)).ToList()).ToList();
            var columns = Math.Max(headers.Count, rows.Count == 0 ? 0 : rows.Max(r => r.Count));
            if (columns == 0) return;
            // Columns are padded to their widest cell, up to 40 characters; a longer cell runs on
            // (that row goes out of line) rather than padding every other row to its width.
            var widths = Enumerable.Range(0, columns)
                .Select(c => Math.Min(MaxColumnWidth, Math.Max(c < headers.Count ? headers[c].Length : 0, rows.Count == 0 ? 0 : rows.Max(r => c < r.Count ? r[c].Length : 0))))
                .ToList();
            string Row(List<string> cells) =>
                string.Join("  ", Enumerable.Range(0, columns).Select(c => (c < cells.Count ? cells[c] : "").PadRight(widths[c]))).TrimEnd();

            const int budget = MaxSectionText - 8;   // room for the ``` fences
            List<string> top = headers.Any(h => h.Length > 0)
                ? [Row(headers), string.Join("  ", widths.Select(w => new string('-', Math.Max(w, 1))))]
                : [];
            var topLength = top.Sum(l => l.Length + 1);
            var repeatTop = topLength <= budget / 3;
            var prefix = repeatTop ? top : [];
            var prefixLength = repeatTop ? topLength : 0;
            var body = repeatTop ? rows.Select(Row).ToList() : [.. top, .. rows.Select(Row)];

            var current = new List<string>();
            var length = prefixLength;
            void Emit()
            {
                var text = string.Join("\n", prefix.Concat(current));
                if (!string.IsNullOrWhiteSpace(text))
                    _blocks.Add(Section(Mrkdwn.IsUnstyled(text) && $"```\n{Mrkdwn.Escape(text)}\n```" is { Length: <= MaxSectionText } md
                        ? Markdown(md)
                        : Plain(text, emoji: false)));
                current.Clear();
                length = prefixLength;
            }
            if (body.Count == 0) Emit();   // headers only
            foreach (var line in body)
            {
                if (prefixLength + line.Length + 1 > budget)
                {
                    // A row wider than a section: on its own, in pieces.
                    if (current.Count > 0) Emit();
                    WriteText(line, emoji: false);
                    continue;
                }
                if (length + line.Length + 1 > budget) Emit();
                current.Add(line);
                length += line.Length + 1;
            }
            if (current.Count > 0) Emit();
        }

        /// <summary>Buttons, 25 to an actions block; a button whose command is too big to carry says to type it instead.</summary>
        private void WriteActions(Actions actions)
        {
            var buttons = new List<JsonObject>();
            var notes = new List<string>();
            foreach (var button in actions.Buttons ?? [])
            {
                if (button is null) continue;
                var label = Truncate(OrDash(Line(button.Label)), MaxButtonText);
                if (ActionValue(button.Action) is not { } value)
                {
                    notes.Add($"“{label}” does not fit in a Slack button; type the command instead: {Line(button.Action?.Command)}");
                    continue;
                }
                var element = new JsonObject
                {
                    ["type"] = "button",
                    ["text"] = Plain(label),
                    ["action_id"] = ActionIdPrefix + _nextAction++,
                    ["value"] = value,
                };
                if (button.Style is ButtonStyle.Primary) element["style"] = "primary";
                else if (button.Style is ButtonStyle.Danger) element["style"] = "danger";
                buttons.Add(element);
            }
            foreach (var group in Groups(buttons, MaxActionElements, Cost))
                _blocks.Add(new JsonObject { ["type"] = "actions", ["elements"] = new JsonArray([.. group]) });
            foreach (var note in notes) WriteContext(note, emoji: false);   // the command is to be typed exactly
        }

        /// <summary>A form as its title with a button that opens it as a modal (the button's value is the form).</summary>
        private void WriteForm(Form form)
        {
            var title = OrDash(Line(form.Title));
            if (FormButtonValue(form) is not { } value)
            {
                WriteContext($"“{title}” is too big to open from here; type the command instead: {Line(form.Command)}", emoji: false);
                return;
            }
            _blocks.Add(new JsonObject
            {
                ["type"] = "section",
                ["text"] = Plain(Truncate(title, MaxSectionText)),
                ["accessory"] = new JsonObject
                {
                    ["type"] = "button",
                    ["text"] = Plain("Open form"),
                    ["action_id"] = OpenFormActionId,
                    ["value"] = value,
                    ["style"] = "primary",
                },
            });
        }
    }
}
