using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CoordBot.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;

namespace CoordBot.Host;

/// <summary>
/// Data Protection, which encrypts secrets at rest (Slack bot tokens, the chart-link key). Its key ring lives
/// beside the SQLite file, or in the PostgreSQL database every instance shares; with
/// <c>DataProtection:CertificatePath</c> each key is itself encrypted with that certificate (docs/security.md).
/// </summary>
public static class KeyRing
{
    public static void AddKeyRing(this IServiceCollection services, StorageOptions storage, KeyRingOptions options)
    {
        var dataProtection = services.AddDataProtection().SetApplicationName("CoordBot");
        if (string.Equals(storage.Provider, "postgres", StringComparison.OrdinalIgnoreCase)) DatabaseKeyRing.Use(services);
        else if (KeysFolder(storage.ConnectionString) is { } keys) dataProtection.PersistKeysToFileSystem(new DirectoryInfo(keys));
        if (options.CertificatePath is { Length: > 0 } path) dataProtection.ProtectKeysWithCertificate(Load(path, options.CertificatePassword));
    }

    /// <summary>One start-up line when the keys are stored as plain XML.</summary>
    public static void LogProtection(KeyRingOptions options, ILogger logger)
    {
        if (options.CertificatePath is { Length: > 0 })
            logger.LogInformation("Data Protection key ring: encrypted with the certificate in DataProtection:CertificatePath");
        else
            logger.LogWarning("Data Protection key ring: not encrypted at rest; whoever reads the database and its keys can decrypt the Slack tokens. Set DataProtection:CertificatePath (and DataProtection:CertificatePassword) to a .pfx to encrypt it");
    }

    private static X509Certificate2 Load(string path, string? password)
    {
        X509Certificate2 certificate;
        try { certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password); }
        catch (CryptographicException e)
        {
            throw new InvalidOperationException($"DataProtection:CertificatePath '{path}' could not be read as a .pfx with DataProtection:CertificatePassword: {e.Message}", e);
        }
        if (!certificate.HasPrivateKey)
            throw new InvalidOperationException($"DataProtection:CertificatePath '{path}' has no private key; the key ring could not be decrypted after a restart.");
        return certificate;
    }

    private static string? KeysFolder(string connectionString)
    {
        var source = new SqliteConnectionStringBuilder(connectionString).DataSource;
        if (string.IsNullOrEmpty(source) || source == ":memory:") return null;
        return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(source)) ?? ".", "keys");
    }
}
