using System.Globalization;
using CoordBot.Workspaces;

namespace CoordBot.Chat;

/// <summary>How a flag's value is read and checked before a handler runs.</summary>
public enum FlagKind
{
    /// <summary>Any text.</summary>
    Text,
    /// <summary>No value (<c>--yes</c>); <c>--yes=false</c> also works.</summary>
    Switch,
    /// <summary>A date: ISO, today, tomorrow, yesterday, in N days|weeks, N days|weeks ago.</summary>
    Date,
    /// <summary>A whole number ≥ 0.</summary>
    Number,
    /// <summary>One of <see cref="FlagSpec.Choices"/>, case-insensitive.</summary>
    Choice,
    /// <summary>A user: <c>@alice</c>, <c>&lt;@U123&gt;</c>, <c>&lt;@U123|alice&gt;</c> or a plain id.</summary>
    User,
}

/// <summary>A flag a command accepts; a <paramref name="Repeatable"/> one may be given several times (values joined by line breaks).</summary>
public sealed record FlagSpec(string Name, FlagKind Kind, string Help, IReadOnlyList<string>? Choices = null, bool Repeatable = false)
{
    /// <summary><c>--share</c>: the reply goes to everyone in the channel instead of only the asker (declared once, for every command that takes it).</summary>
    public static readonly FlagSpec Share = new("share", FlagKind.Switch, "post the reply for everyone in the channel instead of only you");

    public string Display => Kind switch
    {
        FlagKind.Switch => $"--{Name}",
        FlagKind.Choice => $"--{Name} {string.Join('|', Choices ?? [])}",
        _ => $"--{Name} {Placeholder}",
    };

    /// <summary>The flag as a usage line shows it: <c>[--org ORG]</c>, <c>[--via meeting|call|…]</c> for a few choices, <c>[--yes]</c>.</summary>
    public string Usage => "[" + (Kind switch
    {
        FlagKind.Switch => $"--{Name}",
        FlagKind.Choice when Choices is { Count: <= 5 } few => $"--{Name} {string.Join('|', few)}",
        _ => $"--{Name} {Placeholder}",
    }) + "]" + (Repeatable ? "..." : "");

    /// <summary>The usage of several flags, in order, generated from their declarations so a usage line cannot drift from them.</summary>
    public static string UsageOf(IEnumerable<FlagSpec> flags) => string.Join(' ', flags.Where(f => f != Share).Select(f => f.Usage));

    private string Placeholder => Kind switch
    {
        FlagKind.Date => "DATE",
        FlagKind.Number => "N",
        FlagKind.User => "@user",
        _ => Name.ToUpperInvariant(),
    };
}

/// <summary>Runs one subcommand. Returns the reply to show; never throws for bad input.</summary>
public delegate Task<Reply> CommandHandler(CommandContext context, CancellationToken ct);

/// <summary>
/// One subcommand: the words it answers (<c>ally add</c>), its usage, flags and examples (which make
/// its help), and its handler.
/// </summary>
public sealed record CommandSpec(
    string Command,
    string Name,
    string Usage,
    string Summary,
    IReadOnlyList<FlagSpec> Flags,
    IReadOnlyList<string> Examples,
    CommandHandler Handle)
{
    public string FullName => $"{Command} {Name}";
    public FlagSpec? Flag(string name) => Flags.FirstOrDefault(f => f.Name == name);

    /// <summary>
    /// A form may carry inputs that are not flags (one per metric of a check-in): each arrives as a
    /// positional word <c>name=value</c>, exactly as if typed, instead of being refused.
    /// </summary>
    public bool FormInputsAsWords { get; init; }
}

/// <summary>A command word (<c>ally</c>) and its subcommands, as one feature declares them.</summary>
public sealed record CommandGroup(string Name, string Summary, IReadOnlyList<CommandSpec> Commands);

/// <summary>Everything a handler gets: who asked, where, and the checked arguments.</summary>
public sealed record CommandContext(
    ChatRequest Request,
    CommandSpec Spec,
    CommandArgs Args,
    WorkspaceInfo Workspace,
    UserInfo User,
    DateTimeOffset Now,
    DateOnly Today,
    string? Body)
{
    public string WorkspaceId => Workspace.Id;
    public string UserId => User.Id;

    /// <summary>The reply, shown only to the asker unless <c>--share</c> was given.</summary>
    public Reply Share(Reply reply) => reply with { Ephemeral = !Args.Has(FlagSpec.Share.Name) };

    /// <summary>Whether the asker may change or remove a record: its creator, or a workspace admin.</summary>
    public bool CanManage(string createdBy) => createdBy == UserId || User.IsAdmin;
}

/// <summary>Positional words and checked flag values of one command.</summary>
public sealed class CommandArgs(IReadOnlyList<string> words, IReadOnlyDictionary<string, string> flags)
{
    public IReadOnlyList<string> Words { get; } = words;

    /// <summary>Flags given, by name, with values already checked and normalised (dates ISO, choices lower-case).</summary>
    public IReadOnlyDictionary<string, string> Flags { get; } = flags;

    public bool Has(string name) => Flags.TryGetValue(name, out var v) && v == "true";
    public bool Given(string name) => Flags.ContainsKey(name);
    public string? Text(string name) => Flags.TryGetValue(name, out var v) ? v : null;

    /// <summary>Every value of a repeatable flag, in the order given.</summary>
    public IReadOnlyList<string> All(string name) => Flags.TryGetValue(name, out var v) ? v.Split('\n') : [];
    public DateOnly? Date(string name) => Flags.TryGetValue(name, out var v) ? DateOnly.ParseExact(v, "yyyy-MM-dd", CultureInfo.InvariantCulture) : null;
    public int? Number(string name) => Flags.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : null;

    /// <summary>The positional words from <paramref name="start"/> on, joined by spaces (a name typed without quotes).</summary>
    public string Rest(int start = 0) => string.Join(' ', Words.Skip(start));
}
