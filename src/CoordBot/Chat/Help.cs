namespace CoordBot.Chat;

/// <summary>Help replies, generated from the routing table so they never drift from what is accepted.</summary>
public static class Help
{
    public static Reply Overview(CommandTable table)
    {
        var blocks = new List<Block> { new Heading("CoordBot commands") };
        foreach (var group in table.Groups)
        {
            blocks.Add(new Paragraph($"{group.Name}: {group.Summary}"));
            blocks.Add(new ItemList(group.Commands.Select(c => new ListItem(c.Usage, $"{c.Summary} e.g. {c.Examples.FirstOrDefault()}")).ToList()));
        }
        blocks.Add(new Context("Type a command followed by help for its flags and examples, e.g. ally add help."));
        return new Reply($"CoordBot commands: {string.Join(", ", table.Groups.Select(g => g.Name))}. Type coord help for details.", blocks, Ephemeral: true);
    }

    public static Reply ForGroup(CommandGroup group) => new(
        $"{group.Name}: {string.Join(", ", group.Commands.Select(c => c.Name))}",
        [
            new Heading($"{group.Name} — {group.Summary}"),
            new ItemList(group.Commands.Select(c => new ListItem(c.Usage, c.Summary)).ToList()),
            new Context($"Examples: {string.Join("  ·  ", group.Commands.Select(c => c.Examples.FirstOrDefault()).OfType<string>().Take(4))}"),
        ],
        Ephemeral: true);

    public static Reply ForCommand(CommandSpec spec)
    {
        var blocks = new List<Block> { new Heading(spec.Usage), new Paragraph(spec.Summary) };
        if (spec.Flags.Count > 0)
            blocks.Add(new ItemList(spec.Flags.Select(f => new ListItem(f.Display, f.Help)).ToList()));
        if (spec.Examples.Count > 0)
            blocks.Add(new ItemList(spec.Examples.Select(e => new ListItem(e)).ToList()));
        return new Reply($"Usage: {spec.Usage}", blocks, Ephemeral: true);
    }
}
