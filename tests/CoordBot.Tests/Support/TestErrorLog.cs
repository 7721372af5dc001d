using Microsoft.Extensions.Logging;

namespace CoordBot.Tests.Support;

/// <summary>
/// Writes logged exceptions to the file named by <c>COORDBOT_TEST_ERROR_LOG</c>, when set: the error
/// boundary turns a bug into a friendly reply, and this is where a failing test's cause can be read.
/// </summary>
public sealed class TestErrorLog : ILoggerProvider, ILogger
{
    private static readonly string? Path = Environment.GetEnvironmentVariable("COORDBOT_TEST_ERROR_LOG");
    private static readonly Lock Gate = new();

    public static void AddTo(ILoggingBuilder logging)
    {
        if (Path is { Length: > 0 }) logging.AddProvider(new TestErrorLog());
    }

    public ILogger CreateLogger(string categoryName) => this;
    public void Dispose() { }
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (exception is null || Path is null) return;
        lock (Gate) File.AppendAllText(Path, $"{formatter(state, exception)}\n{exception}\n\n");
    }
}
