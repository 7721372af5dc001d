namespace CoordBot.Slack.SocketMode;

/// <summary>Timing and limits of the Socket Mode client (section <c>Slack:SocketMode</c>); the defaults suit Slack, tests shorten them.</summary>
public sealed record SocketModeOptions
{
    /// <summary>First wait before reconnecting after a failure; doubles per consecutive failure (with jitter).</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between reconnection attempts.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Wait after <c>disconnect</c> with reason <c>link_disabled</c> (Socket Mode switched off in the app settings).</summary>
    public TimeSpan LinkDisabledBackoff { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long an envelope's handler may take before the envelope is acknowledged without a payload
    /// (Slack wants an answer within 3 seconds, as over HTTP). <see cref="SlackOptions.ReplyBudget"/> must be
    /// at least <see cref="ReplyMargin"/> shorter (see <see cref="FitReplyBudget"/>); an answer that still
    /// comes later is sent through <c>response_url</c> or the Web API.
    /// </summary>
    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromMilliseconds(2500);

    /// <summary>
    /// The least time between the reply budget and the ack deadline: a command that finishes just inside
    /// the budget still needs its reply rendered (and maybe a modal opened) before the ack is sent.
    /// </summary>
    public static readonly TimeSpan ReplyMargin = TimeSpan.FromMilliseconds(500);

    /// <summary>How far below the limit a budget that does not fit is set.</summary>
    private static readonly TimeSpan ClampStep = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The reply budget to use with these options: <paramref name="budget"/> when
    /// <c>budget + ReplyMargin &lt; AckTimeout</c>, else <c>AckTimeout − ReplyMargin − 100 ms</c>. Throws
    /// when no budget fits (<see cref="AckTimeout"/> not longer than the margin plus 100 ms, or a budget that is not positive).
    /// </summary>
    public TimeSpan FitReplyBudget(TimeSpan budget)
    {
        if (AckTimeout <= ReplyMargin + ClampStep)
            throw new InvalidOperationException($"Slack:SocketMode:AckTimeout ({AckTimeout}) must be longer than {ReplyMargin + ClampStep} (a reply needs {ReplyMargin} after the reply budget).");
        if (budget <= TimeSpan.Zero)
            throw new InvalidOperationException($"Slack:ReplyBudget ({budget}) must be positive.");
        return budget + ReplyMargin < AckTimeout ? budget : AckTimeout - ReplyMargin - ClampStep;
    }

    /// <summary>The WebSocket handshake's time limit.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time limit for one acknowledgement (including the wait for the socket's send turn).</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>WebSocket ping interval; a connection whose pong does not come within <see cref="KeepAliveTimeout"/> is dropped and replaced.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// After Slack asks for a refresh, the old connection (replaced at once) may still deliver
    /// envelopes; it is closed by us if Slack has not closed it within this time.
    /// </summary>
    public TimeSpan RetireAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>On closing a connection (shutdown, retirement), how long envelopes in flight may take to be acknowledged.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long the closing handshake may take before the socket is aborted.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Largest message accepted (all its frames together); a larger one is logged and skipped.</summary>
    public int MaxMessageBytes { get; init; } = 1024 * 1024;
}
