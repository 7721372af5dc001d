using CoordBot.Data;
using Dapper;
using Microsoft.AspNetCore.DataProtection;

namespace CoordBot.Host;

/// <summary>
/// Keys the host makes for itself (the chart-link signing key), kept in the database encrypted with
/// ASP.NET Data Protection, so links survive a restart and the database alone does not reveal them.
/// </summary>
public sealed class HostSecrets(Database database, IDataProtectionProvider protection, TimeProvider time)
{
    private readonly IDataProtector _protector = protection.CreateProtector("CoordBot.HostSecrets.v1");

    /// <summary>The secret called <paramref name="name"/>, created with <paramref name="create"/> the first time.</summary>
    public byte[] GetOrCreate(string name, Func<byte[]> create)
    {
        // Once per process, on first use; SQLite's async open completes synchronously.
        using var connection = database.OpenAsync().GetAwaiter().GetResult();
        // Insert-if-absent, then read: two processes starting together end up with the same key.
        connection.Execute("""
            INSERT INTO host_secrets (name, protected_value, created_at) VALUES (@Name, @Value, @At)
            ON CONFLICT (name) DO NOTHING
            """, new { Name = name, Value = Convert.ToBase64String(_protector.Protect(create())), At = Database.Stamp(time.GetUtcNow()) });
        var stored = connection.ExecuteScalar<string>("SELECT protected_value FROM host_secrets WHERE name = @Name", new { Name = name })!;
        return _protector.Unprotect(Convert.FromBase64String(stored));
    }
}
