using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CoordBot.CheckIns;
using CoordBot.Data;
using Dapper;

namespace CoordBot.Dashboard;

/// <summary>The signer of dashboard links: its own key, apart from the chart links' (the host persists it as a host secret).</summary>
public sealed record DashboardSigner(SignedLinks Links);

/// <summary>Who a dashboard session belongs to: the workspace whose data it may read, and the user the link was made for.</summary>
public sealed record DashboardSession(string WorkspaceId, string UserId, DateTimeOffset ExpiresAt);

/// <summary>Why a dashboard link was refused (each has its own short page).</summary>
public enum LinkRefusal { None, Malformed, BadSignature, Expired, Revoked }

/// <summary>
/// The read-only web dashboard's access (docs/security.md, "Dashboard"): <c>coord dashboard</c> hands a user a signed link
/// (<c>/dashboard/open?w=…&amp;u=…&amp;g=…&amp;exp=…&amp;sig=…</c>) that names the workspace, the user and the workspace's link
/// generation; opening it starts a server-side session whose random 256-bit id goes into a cookie while the database keeps
/// only its SHA-256. <c>coord dashboard revoke</c> moves the generation on: every session is deleted and every link made
/// before it no longer verifies. Every statement is scoped by workspace.
/// </summary>
public sealed class DashboardSessions(Database database, DashboardSigner signer, DashboardOptions options, BotOptions bot, TimeProvider time)
{
    /// <summary>The path a link opens; its query (all but exp and sig) is what the signature covers.</summary>
    public const string OpenPath = "/dashboard/open";

    /// <summary>Longest workspace or user id a link may carry.</summary>
    public const int MaxIdLength = 200;

    public TimeSpan Lifetime => options.LinkLifetime;

    /// <summary>A fresh link for <paramref name="userId"/> in <paramref name="workspaceId"/>: absolute on <c>Bot:PublicBaseUrl</c> when set, else a path.</summary>
    public async Task<string> LinkAsync(string workspaceId, string userId, CancellationToken ct = default)
    {
        var generation = await GenerationAsync(workspaceId, ct);
        var signed = signer.Links.Sign(LinkPath(workspaceId, userId, generation), options.LinkLifetime);
        return bot.PublicBase is { } publicBase ? publicBase + signed : signed;
    }

    private static string LinkPath(string workspaceId, string userId, long generation) =>
        string.Create(CultureInfo.InvariantCulture, $"{OpenPath}?w={Uri.EscapeDataString(workspaceId)}&u={Uri.EscapeDataString(userId)}&g={generation}");

    /// <summary>
    /// Checks a link's parameters (as the query gave them) and, when it is good, starts a session and returns its cookie
    /// value. Never throws on bad input: a refusal says why, and nothing is written.
    /// </summary>
    public async Task<(string? Cookie, LinkRefusal Refusal)> OpenAsync(string? workspaceId, string? userId, string? generationText, string? exp, string? sig,
        CancellationToken ct = default)
    {
        if (workspaceId is not { Length: > 0 and <= MaxIdLength } || userId is not { Length: > 0 and <= MaxIdLength } ||
            generationText is not { Length: > 0 and <= 18 } || !long.TryParse(generationText, NumberStyles.None, CultureInfo.InvariantCulture, out var generation))
            return (null, LinkRefusal.Malformed);
        var path = LinkPath(workspaceId, userId, generation);
        var now = time.GetUtcNow();
        // An expired link is refused as such whatever its signature (saying so tells a forger nothing).
        if (exp is { Length: > 0 and <= 18 } && long.TryParse(exp, NumberStyles.None, CultureInfo.InvariantCulture, out var expires) && now.ToUnixTimeSeconds() >= expires)
            return (null, LinkRefusal.Expired);
        if (!signer.Links.Verify(path, exp, sig)) return (null, LinkRefusal.BadSignature);
        var token = RandomNumberGenerator.GetBytes(32);
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // The generation is read in the transaction that inserts the session, and the session keeps it: a revoke that
        // commits in between leaves this session with an old generation, which LookupAsync refuses.
        var current = await connection.ExecuteScalarAsync<long?>(
            "SELECT generation FROM dashboard_generations WHERE workspace_id = @Workspace", new { Workspace = workspaceId }, tx) ?? 0;
        if (current != generation) return (null, LinkRefusal.Revoked);
        var p = new { Workspace = workspaceId, Hash = Hash(token), User = userId, Generation = generation, Now = Database.Stamp(now), Expires = Database.Stamp(now + options.LinkLifetime) };
        await connection.ExecuteAsync("DELETE FROM dashboard_sessions WHERE workspace_id = @Workspace AND expires_at <= @Now", p, tx);
        await connection.ExecuteAsync("""
            INSERT INTO dashboard_sessions (workspace_id, id_hash, user_id, generation, created_at, expires_at)
            VALUES (@Workspace, @Hash, @User, @Generation, @Now, @Expires)
            """, p, tx);
        await tx.CommitAsync(ct);
        return (Base64Url.EncodeToString(Encoding.UTF8.GetBytes(workspaceId)) + "." + Base64Url.EncodeToString(token), LinkRefusal.None);
    }

    /// <summary>The live session a cookie value stands for, or null (malformed, unknown, expired or revoked). Never throws on bad input.</summary>
    public async Task<DashboardSession?> LookupAsync(string? cookie, CancellationToken ct = default)
    {
        if (cookie is not { Length: > 0 and <= 512 } || cookie.Split('.') is not [var encodedWorkspace, var encodedToken]) return null;
        string workspaceId;
        byte[] token;
        try
        {
            workspaceId = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(encodedWorkspace));
            token = Base64Url.DecodeFromChars(encodedToken);
        }
        catch (FormatException) { return null; }
        if (token.Length != 32 || workspaceId.Length is 0 or > MaxIdLength) return null;
        await using var connection = await database.OpenAsync(ct);
        var found = await connection.QueryFirstOrDefaultAsync<(string UserId, string ExpiresAt)>("""
            SELECT s.user_id, s.expires_at FROM dashboard_sessions s
            LEFT JOIN dashboard_generations g ON g.workspace_id = s.workspace_id
            WHERE s.workspace_id = @Workspace AND s.id_hash = @Hash AND s.generation = COALESCE(g.generation, 0)
            """, new { Workspace = workspaceId, Hash = Hash(token) });
        if (found.UserId is null) return null;
        var expires = Database.ParseStamp(found.ExpiresAt);
        return expires > time.GetUtcNow() ? new DashboardSession(workspaceId, found.UserId, expires) : null;
    }

    /// <summary>Ends one session (sign out).</summary>
    public async Task EndAsync(DashboardSession session, string cookie, CancellationToken ct = default)
    {
        if (cookie.Split('.') is not [_, var encodedToken]) return;
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync("DELETE FROM dashboard_sessions WHERE workspace_id = @Workspace AND id_hash = @Hash",
            new { Workspace = session.WorkspaceId, Hash = Hash(Base64Url.DecodeFromChars(encodedToken)) });
    }

    /// <summary>
    /// <c>coord dashboard revoke</c>: moves the workspace's link generation on and deletes its sessions, in one transaction;
    /// returns how many sessions ended.
    /// </summary>
    public async Task<int> RevokeAsync(string workspaceId, string by, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var p = new { Workspace = workspaceId, At = Database.Stamp(time.GetUtcNow()), By = by };
        await connection.ExecuteAsync("""
            INSERT INTO dashboard_generations (workspace_id, generation, revoked_at, revoked_by) VALUES (@Workspace, 1, @At, @By)
            ON CONFLICT (workspace_id) DO UPDATE SET generation = dashboard_generations.generation + 1, revoked_at = excluded.revoked_at, revoked_by = excluded.revoked_by
            """, p, tx);
        var ended = await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM dashboard_sessions WHERE workspace_id = @Workspace AND expires_at > @At", p, tx);
        await connection.ExecuteAsync("DELETE FROM dashboard_sessions WHERE workspace_id = @Workspace", p, tx);
        await tx.CommitAsync(ct);
        return ended;
    }

    /// <summary>How many live sessions the workspace has (for <c>coord dashboard revoke</c>'s answer and tests).</summary>
    public async Task<int> CountAsync(string workspaceId, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM dashboard_sessions WHERE workspace_id = @Workspace AND expires_at > @Now",
            new { Workspace = workspaceId, Now = Database.Stamp(time.GetUtcNow()) });
    }

    private async Task<long> GenerationAsync(string workspaceId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<long?>("SELECT generation FROM dashboard_generations WHERE workspace_id = @Workspace",
            new { Workspace = workspaceId }) ?? 0;
    }

    private static string Hash(byte[] token) => Convert.ToHexStringLower(SHA256.HashData(token));
}
