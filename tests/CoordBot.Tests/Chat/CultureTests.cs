using System.Globalization;
using System.Text;
using CoordBot.Chat;
using CoordBot.Slack.BlockKit;
using CoordBot.Teams.Cards;
using CoordBot.Tests.Support;
using Xunit;

namespace CoordBot.Tests.Chat;

/// <summary>
/// The server's culture never changes an answer: a transcript that parses and prints dates, relative dates,
/// decimals, negative changes, percentages, ISO weeks, times and a CSV export gives, under th-TH (Buddhist
/// calendar), de-DE (decimal comma) and ar-SA (Umm al-Qura calendar, Arabic minus sign), exactly what it
/// gives under the invariant culture, down to the Block Kit and Adaptive Card JSON.
/// </summary>
public sealed class CultureTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 15, 0, 0, TimeSpan.Zero);

    private static readonly string[] Script =
    [
        "coord settings --tz America/Chicago",
        "ally add \"Jane Doe\" --org \"City of Atlanta\" --level elected --jurisdiction atlanta --sector government --email jane@example.org",
        "ally add \"Sam Lee\" --org \"City of Atlanta\" --level career --jurisdiction atlanta --sector government",
        "ally log A1 Coffee --on 2026-01-05 --via meeting",
        "ally log A2 \"A call\" --on \"3 days ago\" --via call",
        "ally list",
        "ally list --stale 30",
        "ally show A1",
        "ally map",
        "election add atlanta 2026-11-03 --offices \"Mayor, Council\" --takes-office 2027-01-05",
        "election add atlanta \"in 40 days\" --kind runoff --name \"Atlanta runoff\"",
        "election add atlanta 2027-02-30",
        "election list --all",
        "election show E2",
        "election risk E2",
        "election remind --lead 180,90,30,7,1",
        "election preview E2",
        "checkin setup Vets --template bfz --baseline 120.5 --target 80 --by 2027-12-31 --every mon 09:00 --tz America/Chicago --members @alice",
        "checkin import I1\nweek,member,actively homeless,inflow,outflow\n2026-W40,alice,124.5,5,3\n2026-W41,alice,123,4,5.5\n2026-W42,alice,130,4,6\n2026-W43,alice,121.25,4,6\n2026-W44,alice,119,4,6\n2026-W45,alice,117,2,4\n2026-W46,alice,115,3,5\n2026-W47,alice,112,2,5\n2026-W48,alice,110.5,3,4",
        "checkin submit I1 \"actively homeless\"=108.75 inflow=3 outflow=4.5 --wins \"Two leases signed\"",
        "checkin submit I1 \"actively homeless\"=1,5",
        "checkin report I1 --weeks 12",
        "checkin status I1",
        "checkin away until 2026-12-20",
        "checkin export I1",
        "ally export",
        "coord status",
    ];

    /// <summary>Everything the transcript shows, in every form a channel renders it.</summary>
    private static async Task<string> RunAsync(CultureInfo culture)
    {
        var (previous, previousUi) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        CultureInfo.CurrentCulture = culture;
        CultureInfo.CurrentUICulture = culture;
        try
        {
            using var db = new TestDatabase();
            await using var chat = await CoreChat.StartAsync(db, new ManualClock(Start));
            var transcript = new StringBuilder();
            foreach (var line in Script)
            {
                var reply = await chat.Say("T1", "alice", line);
                transcript.Append("> ").AppendLine(line.Split('\n')[0])
                    .AppendLine(CoreChat.Plain(reply))
                    .AppendLine(ReplyJson.Serialize(reply));
                foreach (var message in BlockKitRenderer.Messages(reply)) transcript.AppendLine(message.ToJsonString());
                foreach (var card in AdaptiveCardRenderer.Cards(reply)) transcript.AppendLine(card.ToJsonString());
                foreach (var file in reply.Blocks.OfType<FileAttachment>()) transcript.AppendLine(file.Content);
            }
            // Chart links are signed with a key made per process: the signature is the one thing that may differ.
            return System.Text.RegularExpressions.Regex.Replace(transcript.ToString(), "sig=[A-Za-z0-9_-]+", "sig=(signature)");
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
            CultureInfo.CurrentUICulture = previousUi;
        }
    }

    [Theory]
    [InlineData("th-TH")]
    [InlineData("de-DE")]
    [InlineData("ar-SA")]
    public async Task The_transcript_is_the_same_as_under_the_invariant_culture(string name)
    {
        var invariant = await RunAsync(CultureInfo.InvariantCulture);
        var other = await RunAsync(CultureInfo.GetCultureInfo(name));

        var (expected, actual) = (invariant.Split('\n'), other.Split('\n'));
        for (var i = 0; i < Math.Min(expected.Length, actual.Length); i++)
            Assert.True(expected[i] == actual[i], $"{name} differs at line {i + 1}:\n  invariant: {expected[i]}\n  {name}: {actual[i]}");
        Assert.Equal(expected.Length, actual.Length);
    }

    [Fact]
    public async Task The_invariant_transcript_shows_what_the_cultures_would_change()
    {
        // The comparison above is only worth something if the transcript holds what a culture would print differently.
        var invariant = await RunAsync(CultureInfo.InvariantCulture);
        Assert.Contains("2026-11-03", invariant);          // ISO dates (a Buddhist or Hijri year under th-TH / ar-SA)
        Assert.Contains("2027-01-10", invariant);          // "in 40 days", parsed
        Assert.Contains("108.75", invariant);              // decimals (a comma under de-DE)
        Assert.Contains("2026-W49", invariant);            // ISO weeks
        Assert.Contains("09:00", invariant);               // times
        Assert.Contains("−", invariant);                   // a negative change, with CoordBot's own minus sign
        Assert.Contains("\"1,5\" is not a number", invariant);   // a decimal comma is refused, not read as 15 or 1.5
        Assert.Contains("2027-02-30", invariant);          // a date that does not exist is refused by name
    }
}
