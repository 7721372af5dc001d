using System.Globalization;
using System.Text;
using CoordBot.Slack;
using Xunit;

namespace CoordBot.Tests.Slack;

/// <summary>
/// Slack's five-minute window pinned second by second in both directions, and the exact shape of a
/// v0 signature (prefix and 64 hex digits), so that neither can widen or narrow unnoticed.
/// </summary>
public sealed class SlackSignatureBoundaryTests
{
    private const string Secret = "8f742231b10e8888abcd99yyyzzz85a5";
    private const long NowSeconds = 1_531_420_618;
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(NowSeconds);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("team_id=T1&command=%2Fally&text=list");

    private static string? CheckAt(long offsetSeconds)
    {
        var ts = (NowSeconds + offsetSeconds).ToString(CultureInfo.InvariantCulture);
        return SlackSignature.Check(Secret, ts, Encoding.ASCII.GetString(SlackSignature.Compute(Secret, ts, Body)), Body, Now);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-299)]
    [InlineData(-300)]
    [InlineData(299)]
    [InlineData(300)]
    public void Inside_the_window_a_genuine_request_passes(long offset) => Assert.Null(CheckAt(offset));

    [Theory]
    [InlineData(-301)]
    [InlineData(-359)]
    [InlineData(301)]
    [InlineData(359)]
    public void Outside_the_window_a_genuine_request_is_refused(long offset) =>
        Assert.Equal("the timestamp is more than five minutes from now", CheckAt(offset));

    [Fact]
    public void Only_v0_and_exactly_64_hex_digits_count_as_a_signature()
    {
        var ts = NowSeconds.ToString(CultureInfo.InvariantCulture);
        var good = Encoding.ASCII.GetString(SlackSignature.Compute(Secret, ts, Body));
        Assert.Equal(67, good.Length);
        Assert.Equal("the signature is not a v0 signature", SlackSignature.Check(Secret, ts, good + "0", Body, Now));
        Assert.Equal("the signature is not a v0 signature", SlackSignature.Check(Secret, ts, "v0=", Body, Now));
        Assert.Equal("the signature is not a v0 signature", SlackSignature.Check(Secret, ts, "V0=" + good[3..], Body, Now));
        Assert.Equal("the signature is not a v0 signature", SlackSignature.Check(Secret, ts, "xv0=" + good[4..], Body, Now));
    }

    [Fact]
    public void A_missing_timestamp_or_signature_is_named_before_anything_else()
    {
        Assert.Equal("missing X-Slack-Request-Timestamp or X-Slack-Signature", SlackSignature.Check(Secret, "", "v0=", Body, Now));
        Assert.Equal("missing X-Slack-Request-Timestamp or X-Slack-Signature", SlackSignature.Check(Secret, "1", "", Body, Now));
        Assert.Equal("the timestamp is not a number", SlackSignature.Check(Secret, "+1531420618", "v0=", Body, Now));
        Assert.Equal("the timestamp is not a number", SlackSignature.Check(Secret, " 1531420618", "v0=", Body, Now));
    }
}
