using System.Security.Cryptography.X509Certificates;

namespace CoordBot.Host;

/// <summary>
/// The <c>DataProtection</c> section: a PKCS#12 certificate (<c>CertificatePath</c>, <c>CertificatePassword</c>)
/// that encrypts the Data Protection key ring at rest. Without it the keys that decrypt the Slack tokens and the
/// chart-link key are stored as plain XML beside them (the <c>keys</c> folder, or the database on PostgreSQL).
/// Every instance needs the same certificate; rotating it needs the old one kept until the keys are re-encrypted.
/// </summary>
public sealed record KeyRingOptions
{
    public string? CertificatePath { get; init; }
    public string? CertificatePassword { get; init; }

    private readonly Lazy<X509Certificate2?> _certificate;

    public KeyRingOptions() => _certificate = new(Load);

    /// <summary>The certificate, or null when none is configured. A configured one that cannot be loaded stops the host.</summary>
    public X509Certificate2? Certificate() => _certificate.Value;

    private X509Certificate2? Load()
    {
        if (string.IsNullOrWhiteSpace(CertificatePath)) return null;
        try
        {
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, CertificatePassword);
            if (!certificate.HasPrivateKey)
                throw new InvalidOperationException($"DataProtection:CertificatePath ({CertificatePath}) has no private key, so the key ring could not be read back.");
            return certificate;
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new InvalidOperationException($"DataProtection:CertificatePath ({CertificatePath}) could not be loaded: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"DataProtection:CertificatePath ({CertificatePath}) could not be read: {e.Message}", e);
        }
    }
}
