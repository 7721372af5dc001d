namespace CoordBot.Host;

/// <summary><c>/privacy</c> and <c>/terms</c>: the pages the Teams app manifest links to.</summary>
public static class AboutPages
{
    public static void MapAboutPages(this WebApplication app)
    {
        app.MapGet("/privacy", () => Page("CoordBot privacy",
            "CoordBot stores what your team tells it: allies (names, organisations, roles, contact details you enter, notes and " +
            "touchpoints), election dates, check-in numbers, and the chat ids of the people and conversations that use it. " +
            "Everything is kept per workspace (Slack team or Microsoft Teams tenant) in this CoordBot's own database and is never " +
            "shared with other workspaces or third parties. Slack bot tokens are stored encrypted. Ally lists and details are shown " +
            "only to the person who asked unless they share them. Ask your CoordBot admin to export or delete your workspace's data."));
        app.MapGet("/terms", () => Page("CoordBot terms of use",
            "CoordBot is run by your organisation or coalition for its own coordination work. Use it for information you are allowed " +
            "to share with your partners. It is provided as is, without warranty; its operator decides who may install it and for how long data are kept."));
    }

    private static IResult Page(string title, string text) => Results.Content(
        $"<!doctype html><meta charset=utf-8><meta name=viewport content=\"width=device-width\"><title>{title}</title><h1>{title}</h1><p>{text}</p>",
        "text/html; charset=utf-8");
}
