using Xunit;

namespace CoordBot.Tests.Support;

/// <summary>A test class with its own SQLite file and the real host on loopback over it.</summary>
public abstract class HostTest : IAsyncLifetime
{
    protected TestDatabase Db { get; } = new();
    protected TestHost Host { get; private set; } = null!;

    public virtual ValueTask InitializeAsync()
    {
        Host = new TestHost(Db);
        return ValueTask.CompletedTask;
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (Host is not null) await Host.DisposeAsync();
        Db.Dispose();
    }
}

/// <summary>A test class with its own SQLite file and the core (router, stores) without HTTP.</summary>
public abstract class CoreTest : IAsyncLifetime
{
    protected TestDatabase Db { get; } = new();
    protected CoreChat Chat { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Chat = await CoreChat.StartAsync(Db);

    public async ValueTask DisposeAsync()
    {
        await Chat.DisposeAsync();
        Db.Dispose();
    }
}
