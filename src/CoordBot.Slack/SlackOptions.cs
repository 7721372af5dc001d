namespace CoordBot.Slack;

/// <summary>Slack settings (section <c>Slack</c>; see docs/configuration.md).</summary>
public sealed record SlackOptions
{
    /// <summary>Enables the HTTP endpoints; every inbound request is verified with it.</summary>
    public string? SigningSecret { get; init; }

    /// <summary>Single-workspace mode: the bot token (<c>xoxb-…</c>) of the one workspace.</summary>
    public string? BotToken { get; init; }

    /// <summary>OAuth v2 multi-workspace mode.</summary>
    public string? ClientId { get; init; }
    public string? ClientSecret { get; init; }

    /// <summary>Socket Mode (<c>xapp-…</c>): no public URL needed.</summary>
    public string? AppToken { get; init; }

    /// <summary>The Web API base URL; tests point it at a fake on loopback.</summary>
    public string ApiBaseUrl { get; init; } = "https://slack.com/api/";

    /// <summary>
    /// How long a slash command, form or button may run before Slack gets a bare acknowledgement and
    /// the reply follows through <c>response_url</c> (Slack gives up after 3 s). With Socket Mode it must
    /// be at least <see cref="SocketMode.SocketModeOptions.ReplyMargin"/> shorter than
    /// <see cref="SocketMode.SocketModeOptions.AckTimeout"/>; a longer one is shortened at start-up.
    /// </summary>
    public TimeSpan ReplyBudget { get; init; } = TimeSpan.FromMilliseconds(1750);

    /// <summary>Where installs start (OAuth v2 authorize page); tests point it at the fake.</summary>
    public string AuthorizeUrl { get; init; } = "https://slack.com/oauth/v2/authorize";
}
