using System.Security.Cryptography;
using CoordBot.Chat;
using CoordBot.Data;
using Dapper;
using System.Buffers.Text;

namespace CoordBot.Downloads;

/// <summary>
/// Files handed out as links where a channel cannot attach them (a Teams bot cannot upload files
/// without a consent flow). The link's token is 256 random bits and is the only key to the file; it
/// expires after <see cref="Lifetime"/>.
/// </summary>
public sealed class DownloadStore(Database database, TimeProvider time)
{
    static DownloadStore() { SnakeCaseMap.Register<CoordBot.Chat.FileAttachment>(); }

    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    /// <summary>Stores the file and returns the token for its link (<c>/downloads/{token}</c>).</summary>
    public async Task<string> CreateAsync(string workspaceId, string userId, FileAttachment file, CancellationToken ct = default)
    {
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync("""
            DELETE FROM downloads WHERE expires_at < @Now;
            INSERT INTO downloads (token, workspace_id, user_id, file_name, media_type, content, expires_at)
            VALUES (@Token, @Workspace, @User, @Name, @Type, @Content, @Expires);
            """, new
        {
            Token = token, Workspace = workspaceId, User = userId, Name = file.FileName, Type = file.MediaType, file.Content,
            Now = Database.Stamp(now), Expires = Database.Stamp(now + Lifetime),
        });
        return token;
    }

    /// <summary>The file behind a token, or null when the token is unknown or expired.</summary>
    public async Task<FileAttachment?> GetAsync(string token, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<FileAttachment>("""
            SELECT file_name AS FileName, media_type AS MediaType, content AS Content FROM downloads
            WHERE token = @Token AND expires_at >= @Now
            """, new { Token = token, Now = Database.Stamp(time.GetUtcNow()) });
    }
}
