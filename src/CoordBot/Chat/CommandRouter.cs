using System.Globalization;
using CoordBot.Telemetry;
using CoordBot.Workspaces;
using Microsoft.Extensions.Logging;

namespace CoordBot.Chat;

/// <summary>
/// The routing table: every command word and subcommand, registered in one place
/// (<see cref="CoordBotServices"/>). Dispatch is a dictionary lookup.
/// </summary>
public sealed class CommandTable
{
    private readonly Dictionary<string, CommandGroup> _groups;

    public CommandTable(IEnumerable<CommandGroup> groups)
    {
        Groups = groups.ToList();
        _groups = Groups.ToDictionary(g => g.Name, StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyList<CommandGroup> Groups { get; }

    public CommandGroup? Group(string name) => _groups.GetValueOrDefault(name);
}

/// <summary>
/// A step that runs around every chat input (ignore bots, logging, error boundary). Returning null
/// means "no reply".
/// </summary>
public interface IChatMiddleware
{
    Task<Reply?> InvokeAsync(ChatRequest request, Func<ChatRequest, Task<Reply?>> next, CancellationToken ct);
}

/// <summary>
/// Turns a <see cref="ChatRequest"/> from any channel into a <see cref="Reply"/>: runs the middleware,
/// parses the command line against the command's declared flags, registers the user and calls the
/// handler. Bad input always ends as an error reply naming the problem.
/// </summary>
public sealed class CommandRouter(
    CommandTable table,
    IEnumerable<IChatMiddleware> middleware,
    WorkspaceStore workspaces,
    TimeProvider time,
    ILogger<CommandRouter> logger)
{
    private readonly IReadOnlyList<IChatMiddleware> _middleware = middleware.ToList();

    public CommandTable Table => table;

    public Task<Reply?> HandleAsync(ChatRequest request, CancellationToken ct = default) =>
        CommandTelemetry.Listening ? MeasuredAsync(request, ct) : RunAsync(request, null, ct);

    /// <summary>Runs the command inside its span and measurements (docs/observability.md); only when telemetry listens.</summary>
    private async Task<Reply?> MeasuredAsync(ChatRequest request, CancellationToken ct)
    {
        var telemetry = CommandTelemetry.Start(request.Platform, time);
        Reply? reply = null;
        try
        {
            return reply = await RunAsync(request, telemetry, ct);
        }
        catch
        {
            telemetry?.Failed(null);
            throw;
        }
        finally
        {
            telemetry?.Stop(reply);
        }
    }

    private Task<Reply?> RunAsync(ChatRequest request, CommandTelemetry? telemetry, CancellationToken ct)
    {
        Func<ChatRequest, Task<Reply?>> next = r => DispatchAsync(r, telemetry, ct);
        for (var i = _middleware.Count - 1; i >= 0; i--)
        {
            var step = _middleware[i];
            var inner = next;
            next = r => step.InvokeAsync(r, inner, ct);
        }
        return next(request);
    }

    private async Task<Reply?> DispatchAsync(ChatRequest request, CommandTelemetry? telemetry, CancellationToken ct)
    {
        string commandLine;
        string? body = null;
        if (request.Action is { } action)
        {
            commandLine = action.Command;
        }
        else
        {
            var text = (request.Text ?? "").TrimStart('\r', '\n', ' ', '\t');
            var newline = text.IndexOf('\n');
            commandLine = newline < 0 ? text : text[..newline];
            if (newline >= 0) body = text[(newline + 1)..];
        }

        if (!Tokenizer.TryTokenize(commandLine, out var tokens, out var tokenError))
            return Reply.Error(tokenError!);
        if (tokens.Count == 0 || IsHelpWord(tokens[0]))
        {
            telemetry?.Matched("help");
            return Help.Overview(table);
        }

        var word = tokens[0].Text.TrimStart('/').ToLowerInvariant();
        var group = table.Group(word);
        if (group is null)
            return Reply.Error($"I don't know the command \"{Shorten(tokens[0].Text)}\".",
                $"Commands: {string.Join(", ", table.Groups.Select(g => g.Name))}. Try: coord help");
        // "coord help" is a command of its own (everything); "coord --help", like "ally --help" or "ally help", is the group's help.
        if (tokens.Count == 1 || (IsHelpWord(tokens[1]) && !(tokens[1].Text.Equals("help", StringComparison.OrdinalIgnoreCase) && group.Commands.Any(c => c.Name == "help"))))
        {
            telemetry?.Matched(group.Name + " help");
            return Help.ForGroup(group);
        }

        var sub = tokens[1].Text.ToLowerInvariant();
        var spec = group.Commands.FirstOrDefault(c => c.Name == sub);
        if (spec is null)
            return Reply.Error($"{group.Name} has no subcommand \"{Shorten(tokens[1].Text)}\".",
                $"{group.Name} commands: {string.Join(", ", group.Commands.Select(c => c.Name))}. Try: {group.Name} help");

        telemetry?.Matched(spec.FullName);
        var rest = tokens.Skip(2).ToList();
        if (request.Action is null && (rest.Any(t => !t.Quoted && t.Text == "--help") || rest is [{ Quoted: false, Text: "help" }]))
            return Help.ForCommand(spec);

        var (workspace, user) = await workspaces.EnsureUserAsync(request.WorkspaceId, request.Platform, request.UserId, request.UserName, ct);
        var now = time.GetUtcNow();
        var today = DateWords.LocalDate(now, workspace.TimeZone);

        var parsed = request.Action is { } a
            ? ParseActionArgs(spec, rest, a.Args, today)
            : ParseArgs(spec, rest, today);
        if (parsed.Error is { } error)
            return Reply.Error(error, $"Usage: {spec.Usage}", parsed.Field);

        logger.LogDebug("Running {Command} for {User} in {Workspace}", spec.FullName, user.Id, workspace.Id);
        return await spec.Handle(new CommandContext(request, spec, parsed.Args!, workspace, user, now, today, body), ct);
    }

    private static bool IsHelpWord(Token t) => !t.Quoted && t.Text.ToLowerInvariant() is "help" or "--help" or "/help";

    internal static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";

    private readonly record struct Parsed(CommandArgs? Args, string? Error, string? Field = null);

    private static Parsed ParseArgs(CommandSpec spec, List<Token> tokens, DateOnly today)
    {
        var words = new List<string>();
        var flags = new Dictionary<string, string>();
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (!token.IsFlag) { words.Add(token.Text); continue; }

            var raw = token.Text[2..];
            string? inline = null;
            var eq = raw.IndexOf('=');
            if (eq >= 0) { inline = raw[(eq + 1)..]; raw = raw[..eq]; }
            var name = raw.ToLowerInvariant();
            var flag = spec.Flag(name);
            if (flag is null) return new(null, UnknownFlag(spec, raw));
            if (flags.ContainsKey(name) && !flag.Repeatable) return new(null, $"--{name} is given twice; give it once.", name);

            string value;
            if (flag.Kind == FlagKind.Switch)
            {
                value = inline ?? "true";
            }
            else if (inline is not null)
            {
                value = inline;
            }
            else if (i + 1 < tokens.Count && !tokens[i + 1].IsFlag)
            {
                var take = flag.Kind == FlagKind.Date ? DateWords.TokenCount(tokens, i + 1) : 1;
                value = string.Join(' ', tokens.Skip(i + 1).Take(take).Select(t => t.Text));
                i += take;
            }
            else
            {
                return new(null, $"--{name} needs a value ({flag.Help}).", name);
            }

            var (normalised, error) = Check(flag, value, today);
            if (error is not null) return new(null, error, name);
            // A repeatable flag (--metric a --metric b) keeps every value, one per line.
            flags[name] = flags.TryGetValue(name, out var earlier) ? earlier + "\n" + normalised : normalised!;
        }
        return new(new CommandArgs(words, flags), null);
    }

    /// <summary>Arguments from a button or form: values are literal, never re-tokenised; empty values mean "not given".</summary>
    private static Parsed ParseActionArgs(CommandSpec spec, List<Token> commandTokens, IReadOnlyDictionary<string, string>? args, DateOnly today)
    {
        var fromCommand = ParseArgs(spec, commandTokens, today);
        if (fromCommand.Error is not null) return fromCommand;
        var flags = new Dictionary<string, string>(fromCommand.Args!.Flags);
        var words = fromCommand.Args.Words.ToList();
        foreach (var (key, rawValue) in args ?? new Dictionary<string, string>())
        {
            var name = key.ToLowerInvariant();
            var flag = spec.Flag(name);
            var value = UserText.Stored(rawValue ?? "").Trim();
            if (flag is null && spec.FormInputsAsWords)
            {
                if (value.Length > 0) words.Add($"{UserText.Stored(key).Trim()}={value}");
                continue;
            }
            if (flag is null) return new(null, UnknownFlag(spec, key));
            if (value.Length == 0) continue;
            var (normalised, error) = Check(flag, value, today);
            if (error is not null) return new(null, error, name);
            flags[name] = normalised!;
        }
        return new(new CommandArgs(words, flags), null);
    }

    private static string UnknownFlag(CommandSpec spec, string raw) =>
        spec.Flags.Count == 0
            ? $"{spec.FullName} takes no flags, but got --{Shorten(raw)}."
            : $"--{Shorten(raw)} is not a flag of {spec.FullName}. Accepted: {string.Join(", ", spec.Flags.Select(f => "--" + f.Name))}.";

    private static (string? Value, string? Error) Check(FlagSpec flag, string value, DateOnly today)
    {
        switch (flag.Kind)
        {
            case FlagKind.Switch:
                return value.ToLowerInvariant() switch
                {
                    "true" or "yes" or "on" or "1" => ("true", null),
                    "false" or "no" or "off" or "0" => ("false", null),
                    _ => (null, $"--{flag.Name} is a switch: give it alone, or as --{flag.Name}=true / false."),
                };
            case FlagKind.Date:
                return DateWords.TryParse(value, today, out var date)
                    ? (date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), null)
                    : (null, $"\"{Shorten(value)}\" is not a date I can read for --{flag.Name}. Use {DateWords.Accepted}.");
            case FlagKind.Number:
                return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 100_000
                    ? (n.ToString(CultureInfo.InvariantCulture), null)
                    : (null, $"--{flag.Name} needs a whole number from 0 to 100000, not \"{Shorten(value)}\".");
            case FlagKind.Choice:
                var choice = flag.Choices!.FirstOrDefault(c => c.Equals(value, StringComparison.OrdinalIgnoreCase));
                return choice is not null
                    ? (choice, null)
                    : (null, $"\"{Shorten(value)}\" is not a valid --{flag.Name}. Accepted: {string.Join(", ", flag.Choices!)}.");
            case FlagKind.User:
                return UserRef.TryParse(value, out var user)
                    ? (user, null)
                    : (null, $"--{flag.Name} needs a user like @alice, not \"{Shorten(value)}\".");
            default:
                return value.Length > 4000
                    ? (null, $"--{flag.Name} is too long ({value.Length} characters; at most 4000).")
                    : (value.Trim(), null);
        }
    }
}

/// <summary>Reads a user reference: <c>@alice</c>, Slack's <c>&lt;@U123|alice&gt;</c>, or a bare id.</summary>
public static class UserRef
{
    public static bool TryParse(string text, out string userId)
    {
        var t = text.Trim();
        if (t.StartsWith("<@", StringComparison.Ordinal) && t.EndsWith('>'))
        {
            t = t[2..^1];
            var bar = t.IndexOf('|');
            if (bar >= 0) t = t[..bar];
        }
        else if (t.StartsWith('@'))
        {
            t = t[1..];
        }
        userId = t;
        // Slack ids (U123), Teams ids (29:1a2B-…) and local names.
        return t.Length is > 0 and <= 128 && t.All(c => char.IsAsciiLetterOrDigit(c) || char.IsLetterOrDigit(c) || c is '.' or '_' or '-' or ':');
    }
}
