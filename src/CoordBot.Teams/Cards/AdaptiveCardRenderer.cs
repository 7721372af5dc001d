using System.Text.Json.Nodes;
using CoordBot.Chat;
using CoordBot.Chat.Rendering;
using static CoordBot.Teams.Cards.CardText;
using static CoordBot.Chat.Rendering.TextCut;

namespace CoordBot.Teams.Cards;

/// <summary>
/// Renders CoordBot's channel-neutral <see cref="Reply"/> as Adaptive Cards 1.5 for Teams, and reads
/// back what a button or form sends. Every text in a reply is untrusted user text: markdown
/// properties get <see cref="Escape"/>d, plain properties are kept from linking or mentioning, values
/// go out as they are. Each card stays under Teams' 80 KB; longer content is paged over several
/// cards, never dropped.
/// </summary>
public static partial class AdaptiveCardRenderer
{
    /// <summary>The attachment content type of an Adaptive Card.</summary>
    public const string ContentType = "application/vnd.microsoft.card.adaptive";

    /// <summary>The verb of every <c>Action.Execute</c> button (invoke <c>adaptiveCard/action</c>).</summary>
    public const string ExecuteVerb = "coordbot";

    private const string SchemaUrl = "http://adaptivecards.io/schemas/adaptive-card.json";
    private const string Version = "1.5";

    /// <summary>
    /// Teams refuses bot messages over about 100 KB of UTF-16 and advises staying under 80 KB
    /// (learn.microsoft.com/microsoftteams/platform/bots/how-to/format-your-bot-messages). A card's JSON, serialised with the default (ASCII-only) encoder, is kept to
    /// this many characters, so it is under 80 KB however the caller serialises it.
    /// </summary>
    private const int MaxCardChars = 40_000;

    /// <summary>What the body of one card may take; the rest is for the envelope and the page line.</summary>
    private const int BodyBudget = MaxCardChars - 1_500;

    /// <summary>Raw characters per TextBlock: even fully escaped (8 JSON characters each at worst) one fits a card.</summary>
    private const int MaxTextChunk = 2_000;

    /// <summary>A fact longer than this becomes a label and paragraphs of its own.</summary>
    private const int MaxFactChars = 2_000;

    /// <summary>JSON characters a FactSet, ActionSet or table row may take before it is split (or, for a row, spelled out).</summary>
    private const int MaxGroupChars = 12_000;

    private const int MaxFactsPerSet = 20;

    /// <summary>Teams shows only a handful of buttons side by side; more go to further rows.</summary>
    private const int MaxButtonsPerSet = 5;

    private const int MaxButtonTitle = 100;
    private const int MaxFileName = 500;
    /// <summary>An Image's altText: screen readers read it whole; the chart's text alternative is far shorter.</summary>
    private const int MaxAltText = 2_000;
    private const int MaxHeaderCell = 200;

    /// <summary>
    /// The reply as one or more Adaptive Cards, in order: send each as an attachment with
    /// <see cref="ContentType"/>. A form never shares a card with another form, so its submit
    /// button collects only its own inputs.
    /// </summary>
    public static IReadOnlyList<JsonObject> Cards(Reply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var units = new BlockWriter().Write(reply.Blocks);
        if (units.Count == 0)
            units.AddRange(new BlockWriter().Write([new Paragraph(string.IsNullOrWhiteSpace(Clean(reply.Text)) ? "—" : reply.Text)]));

        var pages = Paginate(units);
        var cards = new List<JsonObject>(pages.Count);
        for (var i = 0; i < pages.Count; i++)
        {
            var body = pages[i];
            body[0].Remove("separator");
            if (pages.Count > 1)
                body.Add(new JsonObject
                {
                    ["type"] = "TextBlock",
                    ["text"] = $"Part {i + 1} of {pages.Count}",
                    ["isSubtle"] = true,
                    ["size"] = "Small",
                    ["horizontalAlignment"] = "Right",
                    ["spacing"] = "Medium",
                });
            cards.Add(new JsonObject
            {
                ["$schema"] = SchemaUrl,
                ["type"] = "AdaptiveCard",
                ["version"] = Version,
                ["msteams"] = new JsonObject { ["width"] = "Full" },
                ["body"] = new JsonArray([.. body]),
                ["actions"] = new JsonArray(),
            });
        }
        return cards;
    }

    /// <summary>
    /// Makes user text inert in Adaptive Card markdown (TextBlock text, Fact title and value): nothing
    /// typed can form a link, bold or italic text, a list, a heading, an autolinked URL or a mention.
    /// Markdown characters are backslash-escaped (honoured by the CommonMark parser of Teams desktop
    /// and web), and the sequences the native renderers' own parser reacts to even when escaped
    /// (<c>](</c>, markers at a line start) are broken up too; <c>CardText.Escape</c> explains each rule.
    /// </summary>
    public static string Escape(string text) => CardText.Escape(text);

    // ---- paging -------------------------------------------------------------------------------

    /// <summary>
    /// Elements that page together. <see cref="KeepWithNext"/> (a heading, an item's title) moves to
    /// the next card with what follows it; a unit with <see cref="HasInputs"/> (a form) never shares
    /// a card with another; a table row that opens a card gets the table's header row again.
    /// </summary>
    private sealed class Unit(params JsonObject[] elements)
    {
        public List<JsonObject> Elements { get; } = [.. elements];
        public bool KeepWithNext { get; init; }
        public bool HasInputs { get; init; }
        public object? Table { get; init; }
        public JsonObject? Header { get; init; }
        public bool IsHeader { get; init; }
        private int _cost = -1;

        public int Cost => _cost >= 0 ? _cost : _cost = Elements.Sum(e => e.ToJsonString().Length + 1);
    }

    private static List<List<JsonObject>> Paginate(List<Unit> units)
    {
        var pages = new List<List<Unit>>();
        var page = new List<Unit>();
        var size = 0;
        foreach (var unit in units)
        {
            var header = HeaderFor(unit, page);
            var cost = unit.Cost + (header?.Cost ?? 0);
            if (page.Count > 0 && (size + cost > BodyBudget || (unit.HasInputs && page.Any(u => u.HasInputs))))
            {
                var lead = page.Count;
                while (lead > 1 && page[lead - 1].KeepWithNext) lead--;
                var carried = page.GetRange(lead, page.Count - lead);
                if (carried.Sum(u => u.Cost) + cost > BodyBudget || (unit.HasInputs && carried.Any(u => u.HasInputs))) carried = [];
                page.RemoveRange(page.Count - carried.Count, carried.Count);
                pages.Add(page);
                page = carried;
                size = carried.Sum(u => u.Cost);
                header = HeaderFor(unit, page);
                cost = unit.Cost + (header?.Cost ?? 0);
            }
            if (header is not null) page.Add(header);
            page.Add(unit);
            size += cost;
        }
        if (page.Count > 0) pages.Add(page);
        return [.. pages.Select(p => p.SelectMany(u => u.Elements).ToList())];
    }

    /// <summary>A copy of the table's header row when <paramref name="unit"/> is a row of a table that has none on this page yet.</summary>
    private static Unit? HeaderFor(Unit unit, List<Unit> page) =>
        unit is { Table: { } table, Header: { } header, IsHeader: false } && !page.Any(u => ReferenceEquals(u.Table, table))
            ? new Unit((JsonObject)header.DeepClone()) { Table = table, IsHeader = true, KeepWithNext = true }
            : null;

    // ---- elements -----------------------------------------------------------------------------

    private static JsonObject TextBlock(string escaped) => new() { ["type"] = "TextBlock", ["text"] = escaped, ["wrap"] = true };

    /// <summary>Writes reply blocks as units of card elements; a divider becomes a separator on the next element.</summary>
    private sealed class BlockWriter
    {
        private readonly List<Unit> _units = [];
        private bool _separator;

        public List<Unit> Write(IReadOnlyList<Block>? blocks)
        {
            foreach (var block in blocks ?? [])
            {
                switch (block)
                {
                    case null: break;
                    case LinkButton link: WriteLinkButton(link); break;
                    case Heading h: WriteHeading(h); break;
                    case Paragraph p: WriteLines(p.Text); break;
                    case Fields f: WriteFields(f); break;
                    case ItemList l: WriteList(l); break;
                    case Table t: WriteTable(t); break;
                    case Actions a: WriteActions(a); break;
                    case Form form: WriteForm(form); break;
                    case Context c: WriteLines(c.Text, context: true); break;
                    case Divider: _separator = true; break;
                    case FileAttachment file:
                        Add(new Unit(TextBlock($"📎 {Escape(Truncate(OrDash(Line(file.FileName)), MaxFileName))} — download link follows")));
                        break;
                    case Chart chart: WriteChart(chart); break;
                    default:
                        // A block type newer than this renderer: show its plain-text form rather than nothing.
                        WriteLines(PlainTextRenderer.Render(new Reply("", [block])));
                        break;
                }
            }
            return _units;
        }

        private void Add(Unit unit)
        {
            if (_separator && unit.Elements.Count > 0)
            {
                unit.Elements[0]["separator"] = true;
                _separator = false;
            }
            _units.Add(unit);
        }

        private void WriteHeading(Heading heading)
        {
            foreach (var chunk in Chunks(Line(heading.Text), MaxTextChunk))
            {
                var block = TextBlock(Escape(chunk));
                block["size"] = "Large";
                block["weight"] = "Bolder";
                Add(new Unit(block) { KeepWithNext = true });
            }
        }

        /// <summary>
        /// Text as one TextBlock per line (a single \n is no line break in card markdown), long lines
        /// in pieces; lines after the first sit close, a blank line leaves a gap.
        /// </summary>
        private void WriteLines(string? text, bool context = false, bool subtle = false, bool tight = false)
        {
            var gap = false;
            var first = true;
            foreach (var line in Clean(text).Split('\n'))
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    gap = !first;
                    continue;
                }
                foreach (var chunk in Chunks(line.TrimEnd(), MaxTextChunk))
                {
                    var block = TextBlock(Escape(chunk));
                    if (context)
                    {
                        block["isSubtle"] = true;
                        block["size"] = "Small";
                    }
                    else if (subtle) block["isSubtle"] = true;
                    if (!first || tight) block["spacing"] = gap ? "Medium" : "None";
                    Add(new Unit(block));
                    first = gap = false;
                }
            }
        }

        /// <summary>Fields as FactSets; a field too long for a fact gets a bold label and paragraphs in place.</summary>
        private void WriteFields(Fields fields)
        {
            var pending = new List<(JsonObject Fact, int Cost)>();
            void Flush()
            {
                var group = new List<JsonObject>();
                var size = 0;
                foreach (var (fact, cost) in pending)
                {
                    if (group.Count > 0 && (group.Count == MaxFactsPerSet || size + cost > MaxGroupChars))
                    {
                        Add(new Unit(FactSet(group)));
                        group = [];
                        size = 0;
                    }
                    group.Add(fact);
                    size += cost;
                }
                if (group.Count > 0) Add(new Unit(FactSet(group)));
                pending.Clear();
            }

            foreach (var field in fields.Items ?? [])
            {
                if (field is null) continue;
                var label = OrDash(Line(field.Label));
                var lines = Clean(field.Value).Split('\n').Where(l => !string.IsNullOrWhiteSpace(l)).Select(l => l.TrimEnd()).ToList();
                if (label.Length + lines.Sum(l => l.Length + 2) > MaxFactChars)
                {
                    Flush();
                    var title = TextBlock(Escape(Truncate(label, MaxTextChunk)));
                    title["weight"] = "Bolder";
                    Add(new Unit(title) { KeepWithNext = true });
                    WriteLines(field.Value, tight: true);
                    continue;
                }
                var value = lines.Count == 0 ? "—" : string.Join("\n\n", lines.Select(Escape));
                var fact = new JsonObject { ["title"] = Escape(label), ["value"] = value };
                pending.Add((fact, fact.ToJsonString().Length + 1));
            }
            Flush();
        }

        private static JsonObject FactSet(List<JsonObject> facts) => new() { ["type"] = "FactSet", ["facts"] = new JsonArray([.. facts]) };

        /// <summary>Each item a bold title line with its detail below, subtle; a title moves to the next card with its detail.</summary>
        private void WriteList(ItemList list)
        {
            foreach (var item in list.Items ?? [])
            {
                if (item is null) continue;
                var hasDetail = !string.IsNullOrWhiteSpace(Clean(item.Detail));
                var chunks = Chunks("• " + OrDash(Line(item.Title)), MaxTextChunk);
                for (var i = 0; i < chunks.Count; i++)
                {
                    var title = TextBlock(Escape(chunks[i]));
                    title["weight"] = "Bolder";
                    if (i > 0) title["spacing"] = "None";
                    Add(new Unit(title) { KeepWithNext = hasDetail });
                }
                if (hasDetail) WriteLines(item.Detail, subtle: true, tight: true);
            }
        }

        /// <summary>
        /// A table as one ColumnSet per row, the header row in bold and repeated on every card the
        /// table continues on. A row too big for that is spelled out as "header" lines and its cells.
        /// </summary>
        private void WriteTable(Table table)
        {
            var headers = (table.Headers ?? []).Select(h => Truncate(Line(h), MaxHeaderCell)).ToList();
            var rows = (table.Rows ?? []).Where(r => r is not null).Select(r => r.Select(c => Line(c)).ToList()).ToList();
            var columns = Math.Max(headers.Count, rows.Count == 0 ? 0 : rows.Max(r => r.Count));
            if (columns == 0) return;
            // Column widths are weights: the longest cell in each column, within 1–30.
            var widths = Enumerable.Range(0, columns)
                .Select(c => Math.Clamp(Math.Max(c < headers.Count ? headers[c].Length : 0, rows.Count == 0 ? 0 : rows.Max(r => c < r.Count ? r[c].Length : 0)), 1, 30))
                .ToList();
            string HeaderName(int c) => c < headers.Count && headers[c].Length > 0 ? headers[c] : $"Column {c + 1}";

            var key = new object();
            JsonObject? header = null;
            if (headers.Any(h => h.Length > 0))
            {
                var row = Row(headers, columns, widths, bold: true);
                if (row.ToJsonString().Length <= MaxGroupChars)
                {
                    header = row;
                    Add(new Unit(row) { Table = key, Header = header, IsHeader = true, KeepWithNext = true });
                }
                else
                {
                    foreach (var (name, c) in headers.Select((h, c) => (h, c)).Where(p => p.h.Length > 0))
                        WriteLines($"{HeaderName(c)}: {name}");
                }
            }
            foreach (var cells in rows)
            {
                var row = Row(cells, columns, widths, bold: false);
                if (row.ToJsonString().Length <= MaxGroupChars)
                {
                    Add(new Unit(row) { Table = key, Header = header });
                    continue;
                }
                // Too wide for a row: each cell under its column's name, in pieces if need be.
                var firstCell = true;
                for (var c = 0; c < cells.Count; c++)
                {
                    if (cells[c].Length == 0) continue;
                    var name = TextBlock(Escape(HeaderName(c)));
                    name["weight"] = "Bolder";
                    if (firstCell) name["separator"] = true;
                    Add(new Unit(name) { KeepWithNext = true });
                    WriteLines(cells[c], tight: true);
                    firstCell = false;
                }
            }
        }

        private static JsonObject Row(List<string> cells, int columns, List<int> widths, bool bold)
        {
            var row = new JsonArray();
            for (var c = 0; c < columns; c++)
            {
                var text = c < cells.Count ? cells[c] : "";
                var items = new JsonArray();
                if (text.Length > 0)
                {
                    var block = TextBlock(Escape(text));
                    if (bold) block["weight"] = "Bolder";
                    items.Add(block);
                }
                row.Add(new JsonObject { ["type"] = "Column", ["width"] = widths[c], ["items"] = items });
            }
            return new JsonObject { ["type"] = "ColumnSet", ["columns"] = row, ["spacing"] = "Small" };
        }

        /// <summary>A button that opens a page (the dashboard) as an Action.OpenUrl; Teams opens only absolute links.</summary>
        private void WriteLinkButton(LinkButton link)
        {
            var title = Truncate(OrDash(Line(link.Label)), MaxButtonTitle);
            if (!link.IsAbsolute)
            {
                WriteLines($"🔗 {title}: on the CoordBot host (set Bot:PublicBaseUrl to link it here)", context: true);
                return;
            }
            Add(new Unit(new JsonObject
            {
                ["type"] = "ActionSet",
                ["actions"] = new JsonArray(new JsonObject { ["type"] = "Action.OpenUrl", ["title"] = title, ["url"] = link.Url, ["style"] = "positive" }),
            }));
        }

        /// <summary>
        /// Teams shows no SVG reliably: the chart's title, the PNG as an <c>Image</c> with its text alternative when Teams can
        /// fetch it (an absolute https link on the host's public address), and an Action.OpenUrl button to the SVG. Without a
        /// public address there is nothing Teams could load: a line says so.
        /// </summary>
        private void WriteChart(Chart chart)
        {
            var title = Truncate(OrDash(Line(chart.Title)), MaxTextChunk);
            if (!chart.IsAbsolute)
            {
                WriteLines($"📈 {title}: on the CoordBot host (set Bot:PublicBaseUrl to link charts here)", context: true);
                return;
            }
            Add(new Unit(TextBlock(Escape("📈 " + title))));
            if (chart.HasAbsoluteImage && chart.ImageUrl!.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
                Add(new Unit(new JsonObject
                {
                    ["type"] = "Image",
                    ["url"] = chart.ImageUrl,
                    ["altText"] = Truncate(OrDash(Inert(chart.AltText ?? chart.Title)), MaxAltText),
                    ["size"] = "stretch",
                }));
            Add(new Unit(new JsonObject
            {
                ["type"] = "ActionSet",
                ["actions"] = new JsonArray(new JsonObject { ["type"] = "Action.OpenUrl", ["title"] = "Open chart", ["url"] = chart.Url }),
            }));
        }

        private void WriteActions(Actions actions)
        {
            var group = new List<JsonObject>();
            var size = 0;
            var notes = new List<string>();
            void Flush()
            {
                if (group.Count > 0) Add(new Unit(new JsonObject { ["type"] = "ActionSet", ["actions"] = new JsonArray([.. group]) }));
                group = [];
                size = 0;
            }
            foreach (var button in actions.Buttons ?? [])
            {
                if (button?.Action is null) continue;
                var action = ExecuteAction(button);
                var cost = action.ToJsonString().Length + 1;
                if (cost > MaxGroupChars)
                {
                    notes.Add($"“{Truncate(OrDash(Line(button.Label)), MaxButtonTitle)}” does not fit in a card button; type the command instead: {Line(button.Action.Command)}");
                    continue;
                }
                if (group.Count == MaxButtonsPerSet || size + cost > MaxGroupChars) Flush();
                group.Add(action);
                size += cost;
            }
            Flush();
            foreach (var note in notes) WriteLines(note, context: true);
        }

        private void WriteForm(Form form)
        {
            if (FormUnit(form) is { } unit) Add(unit);
            else WriteLines($"“{OrDash(Line(form.Title))}” is too big to show here; type the command instead: {Line(form.Command)}", context: true);
        }

        /// <summary>The form's title, inputs and submit button, as small as it takes to fit a card; null when nothing fits.</summary>
        private static Unit? FormUnit(Form form)
        {
            foreach (var (initial, placeholders) in new[] { (true, true), (false, true), (false, false) })
            {
                var elements = FormElements(form, initial, placeholders);
                var unit = new Unit([.. elements]) { HasInputs = true };
                if (unit.Cost <= BodyBudget) return unit;
            }
            return null;
        }
    }
}
