using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CoordBot.CheckIns;

/// <summary>
/// Links that expire, such as a chart image handed to a chat client: <c>path?exp=UNIX&amp;sig=…</c>
/// where sig is BASE64URL(HMACSHA256(key, path + "\n" + exp)). The key is persisted by the host.
/// </summary>
public sealed class SignedLinks
{
    private readonly Lazy<byte[]> _key;
    private readonly TimeProvider _time;

    public SignedLinks(byte[] key, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(time);
        if (key.Length < 16) throw new ArgumentException("The key must be at least 16 bytes.", nameof(key));
        var copy = (byte[])key.Clone();
        _key = new Lazy<byte[]>(() => copy);
        _time = time;
    }

    /// <summary>With a key loaded on first use (the host reads it from its database, which is migrated by then).</summary>
    public SignedLinks(Lazy<byte[]> key, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(time);
        _key = new Lazy<byte[]>(() => key.Value is { Length: >= 16 } k ? k : throw new InvalidOperationException("The link key must be at least 16 bytes."));
        _time = time;
    }

    /// <summary>A fresh 256-bit key.</summary>
    public static byte[] NewKey() => RandomNumberGenerator.GetBytes(32);

    /// <summary>
    /// Returns <paramref name="path"/> with <c>exp</c> and <c>sig</c> appended as query parameters
    /// (with '&amp;' if the path already has a query). Verify with the same path string.
    /// </summary>
    public string Sign(string path, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        var exp = _time.GetUtcNow().Add(lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var separator = path.Contains('?') ? '&' : '?';
        return $"{path}{separator}exp={exp}&sig={Signature(path, exp)}";
    }

    /// <summary>True when the signature matches and the link has not expired; false for anything malformed. Never throws.</summary>
    public bool Verify(string path, string? exp, string? sig)
    {
        if (path is null || string.IsNullOrEmpty(exp) || string.IsNullOrEmpty(sig)) return false;
        if (exp.Length > 18 || !exp.All(char.IsAsciiDigit)) return false;
        if (sig.Length > 64) return false;
        var expires = long.Parse(exp, NumberStyles.None, CultureInfo.InvariantCulture);
        if (_time.GetUtcNow().ToUnixTimeSeconds() >= expires) return false;

        var expected = Encoding.ASCII.GetBytes(Signature(path, exp));
        var given = Encoding.UTF8.GetBytes(sig);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    private string Signature(string path, string exp) =>
        Base64Url.EncodeToString(HMACSHA256.HashData(_key.Value, Encoding.UTF8.GetBytes(path + "\n" + exp)));
}
