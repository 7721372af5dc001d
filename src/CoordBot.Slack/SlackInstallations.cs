using CoordBot.Data;
using Dapper;
using Microsoft.AspNetCore.DataProtection;

namespace CoordBot.Slack;

/// <summary>One workspace's installation of the app, as oauth.v2.access returned it.</summary>
public sealed record SlackInstallation(
    string WorkspaceId, string? TeamId, string? EnterpriseId, bool IsEnterpriseInstall, string? TeamName,
    string? AppId, string? BotUserId, string BotToken, string? Scopes, string? InstalledBy);

/// <summary>
/// Installed workspaces and their bot tokens, encrypted at rest with ASP.NET Data Protection. In
/// single-workspace mode (<c>Slack:BotToken</c>) the configured token serves every workspace that
/// has no installation row; an uninstall writes a row that switches it off for that workspace.
/// </summary>
public sealed class SlackInstallations(Database database, IDataProtectionProvider protection, SlackOptions options, TimeProvider time) : ISlackTokens
{
    private readonly IDataProtector _protector = protection.CreateProtector("CoordBot.Slack.BotToken.v1");

    /// <summary>The workspace id of a Slack input: the Enterprise Grid org for org-wide installs, else the team.</summary>
    public static string WorkspaceOf(string? teamId, string? enterpriseId, bool isEnterpriseInstall) =>
        isEnterpriseInstall && !string.IsNullOrEmpty(enterpriseId) ? enterpriseId : teamId ?? enterpriseId ?? "";

    public async Task SaveAsync(SlackInstallation install, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync("""
            INSERT INTO slack_installations (workspace_id, team_id, enterprise_id, is_enterprise_install, team_name, app_id, bot_user_id,
                                             bot_token, scopes, installed_by, installed_at, active, deactivated_at)
            VALUES (@WorkspaceId, @TeamId, @EnterpriseId, @IsEnterpriseInstall, @TeamName, @AppId, @BotUserId,
                    @Token, @Scopes, @InstalledBy, @At, 1, NULL)
            ON CONFLICT (workspace_id) DO UPDATE SET
                team_id = excluded.team_id, enterprise_id = excluded.enterprise_id, is_enterprise_install = excluded.is_enterprise_install,
                team_name = excluded.team_name, app_id = excluded.app_id, bot_user_id = excluded.bot_user_id, bot_token = excluded.bot_token,
                scopes = excluded.scopes, installed_by = excluded.installed_by, installed_at = excluded.installed_at, active = 1, deactivated_at = NULL
            """, new
        {
            install.WorkspaceId, install.TeamId, install.EnterpriseId, IsEnterpriseInstall = install.IsEnterpriseInstall ? 1 : 0,
            install.TeamName, install.AppId, install.BotUserId, Token = _protector.Protect(install.BotToken), install.Scopes,
            install.InstalledBy, At = Database.Stamp(time.GetUtcNow()),
        });
    }

    public async Task<string?> BotTokenAsync(string workspaceId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(string? BotToken, long Active)?>(
            "SELECT bot_token, active FROM slack_installations WHERE workspace_id = @Workspace", new { Workspace = workspaceId });
        if (row is null) return string.IsNullOrEmpty(options.BotToken) ? null : options.BotToken;
        if (row.Value.Active != 1 || row.Value.BotToken is null) return null;
        try { return _protector.Unprotect(row.Value.BotToken); }
        catch (System.Security.Cryptography.CryptographicException) { return null; } // keys lost: the workspace must reinstall
    }

    /// <summary>Forgets the token of an uninstalled workspace (or one whose bot token was revoked). Its data stay.</summary>
    public async Task DeactivateAsync(string workspaceId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync("""
            INSERT INTO slack_installations (workspace_id, team_id, installed_at, active, deactivated_at)
            VALUES (@Workspace, @Workspace, @At, 0, @At)
            ON CONFLICT (workspace_id) DO UPDATE SET active = 0, bot_token = NULL, deactivated_at = excluded.deactivated_at
            """, new { Workspace = workspaceId, At = Database.Stamp(time.GetUtcNow()) });
    }

    /// <summary>The raw stored token text (tests check it is not the plain token).</summary>
    internal async Task<string?> StoredTokenTextAsync(string workspaceId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<string?>("SELECT bot_token FROM slack_installations WHERE workspace_id = @Workspace", new { Workspace = workspaceId });
    }
}

/// <summary>Event ids already processed, so Slack's retries and duplicates are handled once.</summary>
public sealed class SlackSeenEvents(Database database, TimeProvider time)
{
    /// <summary>Records the event; false when it had been seen before.</summary>
    public async Task<bool> FirstTimeAsync(string workspaceId, string eventId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var now = time.GetUtcNow();
        var added = await connection.ExecuteAsync("""
            INSERT INTO slack_events (workspace_id, event_id, received_at) VALUES (@Workspace, @Event, @At)
            ON CONFLICT (workspace_id, event_id) DO NOTHING
            """, new { Workspace = workspaceId, Event = eventId, At = Database.Stamp(now) }) == 1;
        if (added && Random.Shared.Next(200) == 0)   // now and then, forget events older than Slack's retry window
            await connection.ExecuteAsync("DELETE FROM slack_events WHERE received_at < @Before", new { Before = Database.Stamp(now.AddDays(-1)) });
        return added;
    }
}
