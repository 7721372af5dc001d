using System.Globalization;
using System.Text;
using CoordBot.Slack;
using Xunit;

namespace CoordBot.Tests.Slack;

public sealed class SlackSignatureTests
{
    private const string Secret = "8f742231b10e8888abcd99yyyzzz85a5";
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_531_420_618);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fally&text=list");

    private static string Sign(byte[] body, long timestamp) => Encoding.ASCII.GetString(SlackSignature.Compute(Secret, timestamp.ToString(CultureInfo.InvariantCulture), body));

    [Fact]
    public void A_genuine_request_passes()
    {
        Assert.Null(SlackSignature.Check(Secret, "1531420618", Sign(Body, 1_531_420_618), Body, Now));
        Assert.Null(SlackSignature.Check(Secret, "1531420318", Sign(Body, 1_531_420_318), Body, Now));   // exactly 5 minutes old
    }

    [Fact]
    public void Matches_slacks_documented_construction()
    {
        // HMAC-SHA256("v0:1531420618:" + body) with the secret, lower-case hex, "v0=" prefix.
        var mac = System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes("v0:1531420618:").Concat(Body).ToArray());
        Assert.Equal("v0=" + Convert.ToHexStringLower(mac), Sign(Body, 1_531_420_618));
    }

    [Theory]
    [InlineData(null, "v0=abc", "missing")]
    [InlineData("1531420618", null, "missing")]
    [InlineData("1531420618", "", "missing")]
    [InlineData("15314206l8", "v0=", "not a number")]
    [InlineData("-1531420618", "v0=", "not a number")]
    [InlineData("1531420258", "SIGN", "more than five minutes")]   // 6 minutes old
    [InlineData("1531420978", "SIGN", "more than five minutes")]   // 6 minutes ahead
    public void Bad_headers_are_refused(string? timestamp, string? signature, string reason)
    {
        if (signature == "SIGN") signature = Sign(Body, long.Parse(timestamp!, CultureInfo.InvariantCulture));
        Assert.Contains(reason, SlackSignature.Check(Secret, timestamp, signature, Body, Now));
    }

    [Fact]
    public void Wrong_truncated_wrong_version_and_altered_bodies_are_refused()
    {
        var good = Sign(Body, 1_531_420_618);
        Assert.Equal("the signature does not match", SlackSignature.Check("another-secret", "1531420618", good, Body, Now));
        Assert.Equal("the signature is not a v0 signature", SlackSignature.Check(Secret, "1531420618", good[..^1], Body, Now));
        Assert.Equal("the signature is not a v0 signature", SlackSignature.Check(Secret, "1531420618", "v1=" + good[3..], Body, Now));
        Assert.Equal("the signature does not match", SlackSignature.Check(Secret, "1531420618", good.ToUpperInvariant().Replace("V0=", "v0="), Body, Now));
        var altered = (byte[])Body.Clone();
        altered[^1] ^= 1;
        Assert.Equal("the signature does not match", SlackSignature.Check(Secret, "1531420618", good, altered, Now));
        Assert.Equal("the signature does not match", SlackSignature.Check(Secret, "1531420619", good, Body, Now)); // timestamp is signed too
    }
}
