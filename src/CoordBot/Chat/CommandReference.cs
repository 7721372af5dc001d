using System.Globalization;
using System.Text;

namespace CoordBot.Chat;

/// <summary>
/// The command reference (<c>docs/commands.md</c>), generated from the routing table so it never drifts
/// from what the router accepts. Only the part between <see cref="Begin"/> and <see cref="End"/> is
/// generated; the text around it is written by hand. A test fails when the file is stale.
/// </summary>
public static class CommandReference
{
    /// <summary>The line that opens the generated part.</summary>
    public const string Begin = "<!-- BEGIN GENERATED: CommandReference.Markdown(CommandTable); do not edit by hand -->";

    /// <summary>The line that closes the generated part.</summary>
    public const string End = "<!-- END GENERATED -->";

    /// <summary>The reference for every group and command of <paramref name="table"/>, in help order, markers included.</summary>
    public static string Markdown(CommandTable table)
    {
        var md = new StringBuilder();
        md.Append(Begin).Append('\n').Append('\n');
        md.Append("| command | what it is for | subcommands |\n| --- | --- | --- |\n");
        foreach (var group in table.Groups)
            md.Append(CultureInfo.InvariantCulture, $"| [`{group.Name}`](#{group.Name}) | {Text(group.Summary)} | ")
              .Append(string.Join(", ", group.Commands.Select(c => $"[{c.Name}](#{Anchor(c)})")))
              .Append(" |\n");
        foreach (var group in table.Groups) WriteGroup(md, group);
        md.Append('\n').Append(End).Append('\n');
        return md.ToString();
    }

    /// <summary>
    /// <paramref name="file"/> with its generated part replaced by <paramref name="generated"/>; a file
    /// without the markers gets the generated part appended.
    /// </summary>
    public static string Splice(string file, string generated)
    {
        var begin = file.IndexOf(Begin, StringComparison.Ordinal);
        var end = begin < 0 ? -1 : file.IndexOf(End, begin, StringComparison.Ordinal);
        if (begin < 0 || end < 0) return file.TrimEnd() + "\n\n" + generated;
        var after = end + End.Length;
        if (after < file.Length && file[after] == '\n') after++;
        return file[..begin] + generated + file[after..];
    }

    private static void WriteGroup(StringBuilder md, CommandGroup group)
    {
        md.Append(CultureInfo.InvariantCulture, $"\n## {group.Name}\n\n{Text(Sentence(group.Summary))}\n\n");
        md.Append("| command | what it does |\n| --- | --- |\n");
        foreach (var spec in group.Commands)
            md.Append(CultureInfo.InvariantCulture, $"| [`{spec.FullName}`](#{Anchor(spec)}) | {Text(spec.Summary)} |\n");
        foreach (var spec in group.Commands) WriteCommand(md, spec);
    }

    private static void WriteCommand(StringBuilder md, CommandSpec spec)
    {
        md.Append(CultureInfo.InvariantCulture, $"\n### {spec.FullName}\n\n");
        md.Append(Fence(spec.Usage)).Append('\n');
        md.Append(Text(spec.Summary)).Append('\n');
        if (spec.Flags.Count > 0)
        {
            md.Append("\n| flag | value | meaning |\n| --- | --- | --- |\n");
            foreach (var flag in spec.Flags)
                md.Append(CultureInfo.InvariantCulture, $"| `--{flag.Name}` | {Value(flag)} | {Text(flag.Help)} |\n");
        }
        if (spec.FormInputsAsWords)
            md.Append("\nA form may also carry inputs that are not flags (one per metric); each counts as a word `name=value`.\n");
        if (spec.Examples.Count > 0)
        {
            md.Append(spec.Examples.Count == 1 ? "\nExample:\n\n" : "\nExamples:\n\n");
            // Examples with CSV on their following lines are kept apart by a blank line.
            var separator = spec.Examples.Any(e => e.Contains('\n')) ? "\n\n" : "\n";
            md.Append(Fence(string.Join(separator, spec.Examples)));
        }
    }

    /// <summary>What a flag's value may be, from its kind.</summary>
    private static string Value(FlagSpec flag)
    {
        var value = flag.Kind switch
        {
            FlagKind.Switch => "switch (no value)",
            FlagKind.Date => "date",
            FlagKind.Number => "whole number",
            FlagKind.Choice => "one of " + string.Join(", ", (flag.Choices ?? []).Select(c => $"`{c}`")),
            FlagKind.User => "user (`@alice`)",
            _ => "text",
        };
        return flag.Repeatable ? value + "; may be repeated" : value;
    }

    /// <summary>GitHub's anchor for a heading <c>### ally add</c>: lower case, spaces as hyphens.</summary>
    private static string Anchor(CommandSpec spec) => $"{spec.Command}-{spec.Name}".ToLowerInvariant().Replace(' ', '-');

    private static string Sentence(string text) =>
        text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..] + (text.EndsWith('.') ? "" : ".");

    /// <summary>Plain text as Markdown: characters that would start markup or HTML are escaped.</summary>
    private static string Text(string text)
    {
        var md = new StringBuilder(text.Length + 8);
        foreach (var c in text.ReplaceLineEndings(" "))
        {
            if (c is '\\' or '`' or '*' or '_' or '[' or ']' or '|') md.Append('\\').Append(c);
            else if (c == '<') md.Append("&lt;");
            else if (c == '>') md.Append("&gt;");
            else if (c == '&') md.Append("&amp;");
            else md.Append(c);
        }
        return md.ToString();
    }

    /// <summary>A fenced code block long enough that no backtick run inside can close it.</summary>
    private static string Fence(string code)
    {
        var longest = 0;
        var run = 0;
        foreach (var c in code)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        var fence = new string('`', Math.Max(3, longest + 1));
        return $"{fence}\n{code.ReplaceLineEndings("\n")}\n{fence}\n";
    }
}
