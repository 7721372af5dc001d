using CoordBot.Chat;
using CoordBot.Chat.Rendering;
using CoordBot.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CoordBot.Tests.Support;

/// <summary>
/// The core without HTTP: the real router, stores and a real SQLite file, for conversations in
/// several workspaces (the local channel has only one) and for property tests.
/// </summary>
public sealed class CoreChat : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private CoreChat(ServiceProvider provider) => _provider = provider;

    public static async Task<CoreChat> StartAsync(TestDatabase database, TimeProvider? clock = null,
        Action<IServiceCollection>? configure = null, CoordBot.Outbox.OutboxOptions? outbox = null)
    {
        var services = new ServiceCollection().AddLogging(b => TestErrorLog.AddTo(b.SetMinimumLevel(LogLevel.Warning))).AddCoordBot(database.Options, outbox);
        if (clock is not null) services.AddSingleton(clock);
        configure?.Invoke(services);
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<Migrator>().ApplyAsync();
        return new CoreChat(provider);
    }

    public T Get<T>() where T : notnull => _provider.GetRequiredService<T>();

    public async Task<Reply> Say(string workspace, string user, string text)
    {
        var reply = await Get<CommandRouter>().HandleAsync(new ChatRequest("slack", workspace, "C1", user, text));
        return reply ?? throw new InvalidOperationException("no reply");
    }

    public static string Plain(Reply reply) => PlainTextRenderer.Render(reply);

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}
