using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CoordBot.CheckIns;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.CheckIns;

/// <summary>
/// The edges of chart and download links that the round-trip tests leave open: the documented
/// construction byte for byte, the key-length floor in both constructors, the query separator,
/// and the longest expiry the verifier still reads.
/// </summary>
public sealed class SignedLinkBoundaryTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 2, 16, 9, 0, 0, TimeSpan.Zero));

    private static string Expected(byte[] key, string path, string exp) =>
        Base64Url.EncodeToString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(path + "\n" + exp)));

    [Fact]
    public void The_signature_is_base64url_hmac_of_path_newline_expiry()
    {
        var link = new SignedLinks(Key, _clock).Sign("/charts/ws1/i.svg", TimeSpan.FromMinutes(30));
        var exp = _clock.GetUtcNow().AddMinutes(30).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        Assert.Equal($"/charts/ws1/i.svg?exp={exp}&sig={Expected(Key, "/charts/ws1/i.svg", exp)}", link);
    }

    [Fact]
    public void A_path_with_a_query_gets_an_ampersand_and_still_verifies()
    {
        var links = new SignedLinks(Key, _clock);
        var link = links.Sign("/downloads/f?name=a.csv", TimeSpan.FromMinutes(5));
        var exp = _clock.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var sig = Expected(Key, "/downloads/f?name=a.csv", exp);
        Assert.Equal($"/downloads/f?name=a.csv&exp={exp}&sig={sig}", link);
        Assert.True(links.Verify("/downloads/f?name=a.csv", exp, sig));
    }

    [Fact]
    public void Keys_of_16_bytes_are_the_floor_in_both_constructors()
    {
        Assert.Equal("The key must be at least 16 bytes. (Parameter 'key')", Assert.Throws<ArgumentException>(() => new SignedLinks(new byte[15], _clock)).Message);
        var sixteen = new SignedLinks(new byte[16], _clock);
        var link = sixteen.Sign("/a", TimeSpan.FromMinutes(1));
        Assert.Contains("&sig=", link);

        var lazyShort = new SignedLinks(new Lazy<byte[]>(() => new byte[15]), _clock);
        Assert.Equal("The link key must be at least 16 bytes.", Assert.Throws<InvalidOperationException>(() => lazyShort.Sign("/a", TimeSpan.FromMinutes(1))).Message);
        var lazySixteen = new SignedLinks(new Lazy<byte[]>(() => new byte[16]), _clock);
        Assert.Equal(link, lazySixteen.Sign("/a", TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public void The_key_is_copied_so_a_later_change_to_the_callers_array_changes_nothing()
    {
        var key = (byte[])Key.Clone();
        var links = new SignedLinks(key, _clock);
        var before = links.Sign("/a", TimeSpan.FromMinutes(1));
        key[0] ^= 0xFF;
        Assert.Equal(before, links.Sign("/a", TimeSpan.FromMinutes(1)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void A_lifetime_that_is_not_positive_is_refused(int seconds)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SignedLinks(Key, _clock).Sign("/a", TimeSpan.FromSeconds(seconds)));
    }

    [Fact]
    public void An_expiry_of_18_digits_is_read_and_19_digits_are_refused()
    {
        var links = new SignedLinks(Key, _clock);
        const string eighteen = "100000000000000000";
        Assert.True(links.Verify("/a", eighteen, Expected(Key, "/a", eighteen)));
        const string nineteen = "1000000000000000000";
        Assert.False(links.Verify("/a", nineteen, Expected(Key, "/a", nineteen)));
    }

    [Fact]
    public void A_link_is_good_one_second_before_its_expiry()
    {
        var links = new SignedLinks(Key, _clock);
        var exp = _clock.GetUtcNow().AddSeconds(1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        Assert.True(links.Verify("/a", exp, Expected(Key, "/a", exp)));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(links.Verify("/a", exp, Expected(Key, "/a", exp)));
    }

    [Fact]
    public void A_missing_clock_key_or_path_is_refused_by_name()
    {
        Assert.Equal("time", Assert.Throws<ArgumentNullException>(() => new SignedLinks(Key, null!)).ParamName);
        Assert.Equal("time", Assert.Throws<ArgumentNullException>(() => new SignedLinks(new Lazy<byte[]>(() => Key), null!)).ParamName);
        Assert.Equal("key", Assert.Throws<ArgumentNullException>(() => new SignedLinks((byte[])null!, _clock)).ParamName);
        Assert.Equal("key", Assert.Throws<ArgumentNullException>(() => new SignedLinks((Lazy<byte[]>)null!, _clock)).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentNullException>(() => new SignedLinks(Key, _clock).Sign(null!, TimeSpan.FromMinutes(1))).ParamName);
    }

    [Fact]
    public void A_signature_longer_than_64_characters_is_refused_before_it_is_compared()
    {
        var links = new SignedLinks(Key, _clock);
        var exp = _clock.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var genuine = Expected(Key, "/a", exp);
        Assert.Equal(43, genuine.Length);
        Assert.True(links.Verify("/a", exp, genuine));
        Assert.False(links.Verify("/a", exp, genuine + new string('A', 22)));   // 65 characters
        Assert.False(links.Verify("/a", exp, new string('A', 100_000)));
    }

    [Theory]
    [InlineData("", "c2ln")]
    [InlineData("1799999999", "")]
    public void Either_part_missing_is_false_not_an_exception(string exp, string sig) =>
        Assert.False(new SignedLinks(Key, _clock).Verify("/a", exp, sig));

    [Fact]
    public void A_null_path_is_refused_even_with_the_signature_of_an_empty_path()
    {
        var links = new SignedLinks(Key, _clock);
        var exp = _clock.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        Assert.True(links.Verify("", exp, Expected(Key, "", exp)));
        Assert.False(links.Verify(null!, exp, Expected(Key, "", exp)));
    }
}
