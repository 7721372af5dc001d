using CoordBot.Host;
using CoordBot.Teams.Package;

// `dotnet run --project src/CoordBot.Host -- teams-package --app-id GUID --host HOST` writes the Teams app zip.
if (TeamsPackage.IsCommand(args)) return TeamsPackage.Run(args[1..], Console.Out, Console.Error);

var builder = WebApplication.CreateBuilder(args);
builder.AddCoordBotHost();

var app = builder.Build();
await app.PrepareDatabaseAsync();
app.MapCoordBot();
app.LogChannels();
app.Run();
return 0;

/// <summary>The host's entry point, visible to the functional tests' WebApplicationFactory.</summary>
public partial class Program;
