using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace CoordBot.Allies.OpenStates;

/// <summary>A node of a YAML document with the line it starts on (1-based, counted in the text it came from).</summary>
internal abstract record YamlNode(int Line);

internal sealed record YamlScalar(int Line, string Value) : YamlNode(Line);

internal sealed record YamlList(int Line, IReadOnlyList<YamlNode> Items) : YamlNode(Line);

internal sealed record YamlMap(int Line, IReadOnlyList<KeyValuePair<string, YamlNode>> Entries) : YamlNode(Line)
{
    public YamlNode? this[string key] => Entries.FirstOrDefault(e => e.Key == key).Value;
}

/// <summary>A YAML text that could not be read: the line and what is wrong there.</summary>
internal sealed class YamlTreeException(int line, string message) : Exception(message)
{
    public int Line { get; } = line;
}

/// <summary>
/// Reads YAML documents into small trees, from YamlDotNet's event parser rather than its object model:
/// nesting, size and anchors are bounded here, so a hostile file cannot exhaust the stack or memory.
/// Open States files are plain mappings and lists of scalars; anchors and aliases are refused.
/// </summary>
internal static class YamlTree
{
    private const int MaxDepth = 16;
    private const int MaxNodesPerDocument = 20_000;
    private const int MaxScalarLength = 4_000;

    /// <summary>Every non-empty document of <paramref name="text"/>, in order.</summary>
    public static IReadOnlyList<YamlNode> Read(string text, int maxDocuments)
    {
        var documents = new List<YamlNode>();
        var parser = new Parser(new StringReader(text));
        try
        {
            while (parser.MoveNext())
            {
                if (parser.Current is not DocumentStart) continue;
                if (!parser.MoveNext()) break;
                if (parser.Current is DocumentEnd) continue;
                if (documents.Count == maxDocuments)
                    throw new YamlTreeException(Line(parser.Current!), $"more than {maxDocuments} documents; split the import.");
                documents.Add(ReadNode(parser));
            }
        }
        catch (YamlException e)
        {
            throw new YamlTreeException((int)e.Start.Line, Reason(e));
        }
        return documents;
    }

    /// <summary>Reads the node that starts at the parser's current event, leaving the parser on its last event.</summary>
    private static YamlNode ReadNode(IParser parser)
    {
        var nodes = 0;
        // Open collections, innermost last: each a map or a list being filled, and a map's pending key.
        var open = new Stack<(int Line, List<KeyValuePair<string, YamlNode>>? Map, List<YamlNode>? List, string? Key)>();
        YamlNode? done = null;
        while (true)
        {
            var e = parser.Current!;
            if (++nodes > MaxNodesPerDocument) throw new YamlTreeException(Line(e), $"a document has more than {MaxNodesPerDocument} values.");
            YamlNode? node = null;
            switch (e)
            {
                case AnchorAlias:
                    throw new YamlTreeException(Line(e), "anchors and aliases (*name) are not supported.");
                case NodeEvent { Anchor.IsEmpty: false }:
                    throw new YamlTreeException(Line(e), "anchors (&name) are not supported.");
                case Scalar s:
                    if (s.Value.Length > MaxScalarLength) throw new YamlTreeException(Line(e), $"a value is longer than {MaxScalarLength} characters.");
                    node = new YamlScalar(Line(e), s.Value);
                    break;
                case MappingStart or SequenceStart:
                    if (open.Count == MaxDepth) throw new YamlTreeException(Line(e), $"values are nested more than {MaxDepth} deep.");
                    open.Push(e is MappingStart ? (Line(e), [], null, null) : (Line(e), null, [], null));
                    break;
                case MappingEnd or SequenceEnd:
                    var closed = open.Pop();
                    node = closed.Map is not null ? new YamlMap(closed.Line, closed.Map) : new YamlList(closed.Line, closed.List!);
                    break;
                default:
                    throw new YamlTreeException(Line(e), "unexpected content.");
            }
            if (node is not null)
            {
                if (open.Count == 0) done = node;
                else
                {
                    var top = open.Pop();
                    if (top.List is not null) top.List.Add(node);
                    else if (top.Key is null)
                    {
                        if (node is not YamlScalar key) throw new YamlTreeException(node.Line, "a key must be plain text.");
                        top.Key = key.Value;
                    }
                    else
                    {
                        top.Map!.Add(new(top.Key, node));
                        top.Key = null;
                    }
                    open.Push(top);
                }
            }
            if (done is not null) return done;
            if (!parser.MoveNext()) throw new YamlTreeException(Line(e), "the document ends early.");
        }
    }

    private static int Line(ParsingEvent e) => (int)e.Start.Line;

    /// <summary>YamlDotNet's message without its own position prefix ("(Line: 3, Col: 1, Idx: 20) - (…): ").</summary>
    private static string Reason(YamlException e)
    {
        var message = e.Message;
        var cut = message.LastIndexOf("): ", StringComparison.Ordinal);
        message = cut >= 0 && message.StartsWith('(') ? message[(cut + 3)..] : message;
        return message.Length == 0 ? "the YAML can't be read." : $"the YAML can't be read ({char.ToLowerInvariant(message[0])}{message[1..].TrimEnd('.')}).";
    }
}
