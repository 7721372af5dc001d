using CoordBot.Host;

var builder = WebApplication.CreateBuilder(args);
builder.AddCoordBotHost();

var app = builder.Build();
await app.PrepareDatabaseAsync();
app.MapCoordBot();
app.LogChannels();
app.Run();

/// <summary>The host's entry point, visible to the functional tests' WebApplicationFactory.</summary>
public partial class Program;
