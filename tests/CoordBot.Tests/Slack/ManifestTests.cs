using System.Text.RegularExpressions;
using CoordBot.Slack;
using Xunit;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace CoordBot.Tests.Slack;

/// <summary>
/// manifests/slack/manifest.yml against the code (scopes, endpoints, commands) and against the
/// limits of Slack's manifest schema (slackapi/manifest-schema). Unknown keys fail the parse, so a
/// misspelt setting cannot slip through.
/// </summary>
public sealed class ManifestTests
{
    private const string Host = "https://YOUR-HOST";
    private static readonly Manifest M = Load();

    /// <summary>The scope each subscribed bot event needs (events that need none map to null).</summary>
    private static readonly Dictionary<string, string?> EventScopes = new()
    {
        ["app_mention"] = "app_mentions:read",
        ["message.im"] = "im:history",
        ["app_home_opened"] = null,
        ["app_uninstalled"] = null,
        ["tokens_revoked"] = null,
    };

    [Fact]
    public void Bot_scopes_are_exactly_the_ones_the_code_uses()
    {
        var scopes = M.OauthConfig!.Scopes!.Bot!;
        Assert.Equal(scopes.Count, scopes.Distinct().Count());
        Assert.Equal(SlackScopes.Bot.Order(StringComparer.Ordinal), scopes.Order(StringComparer.Ordinal));
        Assert.NotEmpty(scopes);
        Assert.All(scopes, s => Assert.InRange(s.Length, 1, 50));
    }

    [Fact]
    public void The_four_commands_post_to_the_commands_endpoint_escaped_with_usage_hints()
    {
        var commands = M.Features!.SlashCommands!;
        Assert.Equal(["/ally", "/checkin", "/coord", "/election"], commands.Select(c => c.Command).Order(StringComparer.Ordinal));
        Assert.NotEmpty(commands);
        Assert.All(commands, c =>
        {
            Assert.Equal($"{Host}/slack/commands", c.Url);
            Assert.True(c.ShouldEscape, $"{c.Command} should_escape");
            Assert.False(string.IsNullOrWhiteSpace(c.Description), $"{c.Command} description");
            Assert.False(string.IsNullOrWhiteSpace(c.UsageHint), $"{c.Command} usage_hint");
        });
        // The hints name the subcommands in docs/commands.md.
        Assert.All(new[] { "add", "list", "find", "show", "edit", "log", "link", "remove", "map", "import", "export" }, w => Assert.Contains(w, Hint("/ally")));
        Assert.All(new[] { "add", "list", "show", "remove", "import", "remind", "risk", "preview" }, w => Assert.Contains(w, Hint("/election")));
        Assert.All(new[] { "setup", "list", "submit", "status", "report", "digest", "pause", "resume", "remove", "export", "import" }, w => Assert.Contains(w, Hint("/checkin")));
        Assert.All(new[] { "help", "settings", "admins", "status" }, w => Assert.Contains(w, Hint("/coord")));

        static string Hint(string command) => M.Features!.SlashCommands!.Single(c => c.Command == command).UsageHint!;
    }

    [Fact]
    public void Events_interactivity_and_oauth_point_at_the_hosts_endpoints()
    {
        var settings = M.Settings!;
        Assert.Equal($"{Host}/slack/events", settings.EventSubscriptions!.RequestUrl);
        Assert.True(settings.Interactivity!.IsEnabled);
        Assert.Equal($"{Host}/slack/interactivity", settings.Interactivity.RequestUrl);
        Assert.Equal([$"{Host}/slack/oauth/callback"], M.OauthConfig!.RedirectUrls!);
        Assert.False(settings.SocketModeEnabled);
        Assert.False(settings.TokenRotationEnabled);
        Assert.NotNull(settings.OrgDeployEnabled);
    }

    [Fact]
    public void Bot_events_are_subscribed_and_each_has_its_scope()
    {
        var events = M.Settings!.EventSubscriptions!.BotEvents!;
        Assert.Equal(events.Count, events.Distinct().Count());
        Assert.Subset(events.ToHashSet(), EventScopes.Keys.ToHashSet());
        foreach (var e in events)
        {
            Assert.True(EventScopes.TryGetValue(e, out var scope), $"bot event {e}: add the scope it needs to {nameof(EventScopes)}");
            if (scope is not null) Assert.Contains(scope, M.OauthConfig!.Scopes!.Bot!);
        }
    }

    [Fact]
    public void App_home_and_bot_user_are_set_up()
    {
        var home = M.Features!.AppHome!;
        Assert.True(home.HomeTabEnabled);
        Assert.True(home.MessagesTabEnabled);
        Assert.False(home.MessagesTabReadOnlyEnabled);   // commands can be typed in the DM
        Assert.Equal("CoordBot", M.Features.BotUser!.DisplayName);
        Assert.True(M.Features.BotUser.AlwaysOnline);
        Assert.Equal("CoordBot", M.DisplayInformation!.Name);
        Assert.Equal(2, M.Metadata!.MajorVersion);
    }

    [Fact]
    public void Texts_and_urls_are_within_slacks_manifest_limits()
    {
        var display = M.DisplayInformation!;
        Assert.InRange(display.Name!.Length, 1, 35);
        Assert.InRange(display.Description!.Length, 1, 140);
        Assert.InRange(display.LongDescription!.Length, 175, 4000);
        Assert.Matches(new Regex("^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$"), display.BackgroundColor!);
        Assert.InRange(M.Features!.BotUser!.DisplayName!.Length, 1, 80);

        var commands = M.Features.SlashCommands!;
        Assert.InRange(commands.Count, 1, 50);
        Assert.NotEmpty(commands);
        Assert.All(commands, c =>
        {
            Assert.Matches(new Regex("^/[a-z0-9_-]{1,31}$"), c.Command!);
            Assert.InRange(c.Description!.Length, 1, 2000);
            Assert.InRange(c.UsageHint!.Length, 1, 1000);
            Assert.InRange(c.Url!.Length, 1, 3000);
        });
        Assert.NotEmpty(M.OauthConfig!.RedirectUrls!);
        Assert.All(M.OauthConfig!.RedirectUrls!, u => Assert.InRange(u.Length, 1, 2500));
        Assert.InRange(M.Settings!.EventSubscriptions!.RequestUrl!.Length, 1, 3500);
        Assert.InRange(M.Settings.Interactivity!.RequestUrl!.Length, 1, 3500);
        Assert.NotEmpty(M.Settings.EventSubscriptions.BotEvents!);
        Assert.All(M.Settings.EventSubscriptions.BotEvents!, e => Assert.InRange(e.Length, 1, 50));
    }

    [Fact]
    public void The_long_description_names_the_three_habits()
    {
        var text = M.DisplayInformation!.LongDescription!;
        Assert.Contains("allies", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("election", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("check-in", text, StringComparison.OrdinalIgnoreCase);
    }

    private static Manifest Load()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "CoordBot.sln"))) folder = folder.Parent;
        Assert.NotNull(folder);
        var yaml = File.ReadAllText(Path.Combine(folder.FullName, "manifests", "slack", "manifest.yml"));
        var deserializer = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build();
        return deserializer.Deserialize<Manifest>(yaml);
    }

    // The part of the manifest schema this app uses; a key outside it fails the parse.
    private sealed class Manifest
    {
        [YamlMember(Alias = "_metadata", ApplyNamingConventions = false)]
        public Metadata? Metadata { get; set; }
        public DisplayInformation? DisplayInformation { get; set; }
        public Features? Features { get; set; }
        public OauthConfig? OauthConfig { get; set; }
        public Settings? Settings { get; set; }
    }

    private sealed class Metadata
    {
        public int? MajorVersion { get; set; }
        public int? MinorVersion { get; set; }
    }

    private sealed class DisplayInformation
    {
        public string? Name { get; set; }
        public string? Description { get; set; }
        public string? LongDescription { get; set; }
        public string? BackgroundColor { get; set; }
    }

    private sealed class Features
    {
        public AppHome? AppHome { get; set; }
        public BotUser? BotUser { get; set; }
        public List<SlashCommand>? SlashCommands { get; set; }
    }

    private sealed class AppHome
    {
        public bool? HomeTabEnabled { get; set; }
        public bool? MessagesTabEnabled { get; set; }
        public bool? MessagesTabReadOnlyEnabled { get; set; }
    }

    private sealed class BotUser
    {
        public string? DisplayName { get; set; }
        public bool? AlwaysOnline { get; set; }
    }

    private sealed class SlashCommand
    {
        public string? Command { get; set; }
        public string? Url { get; set; }
        public string? Description { get; set; }
        public string? UsageHint { get; set; }
        public bool? ShouldEscape { get; set; }
    }

    private sealed class OauthConfig
    {
        public List<string>? RedirectUrls { get; set; }
        public Scopes? Scopes { get; set; }
    }

    private sealed class Scopes
    {
        public List<string>? Bot { get; set; }
        public List<string>? User { get; set; }
    }

    private sealed class Settings
    {
        public EventSubscriptions? EventSubscriptions { get; set; }
        public Interactivity? Interactivity { get; set; }
        public bool? OrgDeployEnabled { get; set; }
        public bool? SocketModeEnabled { get; set; }
        public bool? TokenRotationEnabled { get; set; }
    }

    private sealed class EventSubscriptions
    {
        public string? RequestUrl { get; set; }
        public List<string>? BotEvents { get; set; }
    }

    private sealed class Interactivity
    {
        public bool? IsEnabled { get; set; }
        public string? RequestUrl { get; set; }
    }
}
