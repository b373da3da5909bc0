using DeepInterest.Data;
using Xunit;

namespace DeepInterest.Tests;

public class LogProtocolTests
{
    // User 1: six clicks given out of time order; user 2: five clicks; user 3: too short to yield samples.
    // Items are 100·user + rank in time; category = item / 10.
    private static readonly Behavior[] Log =
    [
        Click(1, 105, 50), Click(2, 201, 15), Click(1, 101, 10), Click(1, 103, 30), Click(3, 301, 5),
        Click(1, 102, 20), Click(2, 202, 25), Click(1, 104, 40), Click(2, 203, 35), Click(1, 106, 60),
        Click(2, 204, 45), Click(2, 205, 55), Click(3, 302, 6),
    ];

    private static Behavior Click(long user, long item, long time) => new(user, item, item / 10, time);

    [Fact]
    public void EachPositionAfterMinHistoryGivesAPositiveAndANegativeWithTheSortedHistory()
    {
        var samples = LogProtocol.Build(Log);

        Assert.Equal(6, samples.Count); // user 1: positions 4 and 5; user 2: position 4; user 3: none
        Assert.Equal([1L, 1, 1, 1, 2, 2], samples.Select(s => s.User));
        var positive = samples[0];
        Assert.Equal([101L, 102, 103, 104], positive.HistoryItems);
        Assert.Equal([10L, 10, 10, 10], positive.HistoryCategories);
        Assert.Equal([10L, 20, 30, 40], positive.HistoryTimes);
        Assert.Equal((105L, 10L, 50L, 1f), (positive.Item, positive.Category, positive.Time, positive.Label));
        var negative = samples[1];
        Assert.Equal(0f, negative.Label);
        Assert.Equal(positive.HistoryItems, negative.HistoryItems);
        Assert.Equal(positive.Time, negative.Time);
        Assert.Equal(negative.Item / 10, negative.Category);
        Assert.Equal([101L, 102, 103, 104, 105], samples[2].HistoryItems);
        Assert.Equal(106L, samples[2].Item);
        Assert.Equal([201L, 202, 203, 204], samples[4].HistoryItems);
        foreach (var s in samples) s.Validate("protocol sample");
    }

    [Fact]
    public void NeverInteractedNegativesAreNeverFromTheUsersOwnHistory()
    {
        var samples = LogProtocol.Build(Log, new LogProtocolConfig { Negatives = NegativeRule.NeverInteracted });
        foreach (var s in samples)
        {
            var own = Log.Where(b => b.User == s.User).Select(b => b.Item).ToHashSet();
            Assert.Equal(s.HistoryLength, s.NegativeItems.Length);
            Assert.All(s.NegativeItems, item => Assert.DoesNotContain(item, own));
            Assert.Equal(s.NegativeItems.Select(i => i / 10), s.NegativeCategories);
            if (s.Label == 0f) Assert.DoesNotContain(s.Item, own);
        }
    }

    /// <summary>
    /// 60 users × 80 clicks over 300 items (popularity ∝ 1/(rank+1)); with probability 0.3 a click repeats one of the
    /// user's last 8 clicks. Deterministic.
    /// </summary>
    private static Behavior[] RepeatLog()
    {
        var random = new Random(11);
        var log = new List<Behavior>();
        double[] cumulative = [.. Enumerable.Range(0, 300).Select(r => 1.0 / (r + 1))];
        for (int i = 1; i < cumulative.Length; i++) cumulative[i] += cumulative[i - 1];
        for (long user = 0; user < 60; user++)
        {
            var items = new List<long>();
            for (int t = 0; t < 80; t++)
            {
                long item;
                if (items.Count > 0 && random.NextDouble() < 0.3) item = items[^random.Next(1, Math.Min(8, items.Count) + 1)];
                else
                {
                    int rank = Array.BinarySearch(cumulative, random.NextDouble() * cumulative[^1]);
                    item = 1000 + (rank < 0 ? ~rank : rank);
                }
                items.Add(item);
                log.Add(new Behavior(user, item, item % 17, 1_000_000 + 60L * t));
            }
        }
        return [.. log];
    }

    private static bool InHistory(CtrSample s) => s.HistoryItems.Span.IndexOf(s.Item) >= 0;

    [Fact]
    public void RepeatMatchedNegativesAreInTheirHistoryAsOftenAsPositives()
    {
        var log = RepeatLog();
        var config = new LogProtocolConfig { MaxHistory = 20 };
        var samples = LogProtocol.Build(log, config);
        double Share(IEnumerable<CtrSample> part) => part.Average(s => InHistory(s) ? 1.0 : 0.0);
        double positives = Share(samples.Where(s => s.Label == 1f)), negatives = Share(samples.Where(s => s.Label == 0f));
        Assert.InRange(positives, 0.3, 0.7);                      // the log has repeats, so the check below has teeth
        Assert.InRange(negatives, positives - 0.01, positives);  // equal but for windows made only of the positive's item
        for (int i = 0; i < samples.Count; i += 2)
        {
            var (positive, negative) = (samples[i], samples[i + 1]);
            Assert.NotEqual(positive.Item, negative.Item);
            if (!InHistory(positive)) Assert.False(InHistory(negative), $"sample {i + 1}: negative {negative.Item} is in the history, its positive is not");
        }
        // The old rule on the same log: no negative is ever in the history, so the rule "in history ⇒ click" separates the classes.
        var old = LogProtocol.Build(log, config with { Negatives = NegativeRule.NeverInteracted });
        Assert.Equal(positives, Share(old.Where(s => s.Label == 1f)));
        Assert.Equal(0.0, Share(old.Where(s => s.Label == 0f)));
    }

    [Fact]
    public void NoNegativeIsAnItemTheUserMeetsOnlyLater()
    {
        var log = RepeatLog();
        foreach (var rule in Enum.GetValues<NegativeRule>())
        {
            var samples = LogProtocol.Build(log, new LogProtocolConfig { MaxHistory = 20, Negatives = rule });
            foreach (var user in samples.GroupBy(s => s.User))
            {
                var timeline = log.Where(b => b.User == user.Key).OrderBy(b => b.Timestamp).ToArray();
                foreach (var negative in user.Where(s => s.Label == 0f))
                {
                    int position = Array.FindIndex(timeline, b => b.Timestamp == negative.Time);
                    var past = timeline[..position].Select(b => b.Item).ToHashSet();
                    var future = timeline[position..].Select(b => b.Item).Where(item => !past.Contains(item)).ToHashSet();
                    Assert.DoesNotContain(negative.Item, future);
                    Assert.True(InHistory(negative) || !past.Contains(negative.Item), $"{rule}: negative {negative.Item} is an old item outside the window");
                }
            }
        }
    }

    [Fact]
    public void RepeatMatchedIsTheDefaultAndEqualsTheOldRuleOnALogWithoutRepeats()
    {
        Assert.Equal(NegativeRule.RepeatMatched, new LogProtocolConfig().Negatives);
        Assert.Equal(Fingerprint(LogProtocol.Build(Log, new LogProtocolConfig { Negatives = NegativeRule.NeverInteracted })), Fingerprint(LogProtocol.Build(Log)));
    }

    [Fact]
    public void HistoryKeepsOnlyTheMostRecentMaxHistoryEvents()
    {
        var samples = LogProtocol.Build(Log, new LogProtocolConfig { MinHistory = 2, MaxHistory = 3 });
        var last = samples.Last(s => s.User == 1 && s.Label == 1f);
        Assert.Equal(106L, last.Item);
        Assert.Equal([103L, 104, 105], last.HistoryItems);
        Assert.Equal(3, last.NegativeItems.Length);
    }

    [Fact]
    public void EqualTimestampsKeepTheirInputOrder()
    {
        Behavior[] log = [.. Log.Where(b => b.User != 1), Click(1, 111, 7), Click(1, 112, 7), Click(1, 113, 7), Click(1, 114, 7), Click(1, 115, 9)];
        var positive = LogProtocol.Build(log).First(s => s.User == 1);
        Assert.Equal([111L, 112, 113, 114], positive.HistoryItems);
    }

    [Fact]
    public void ResultIsReproducibleAndIndependentOfInputOrder()
    {
        var forward = LogProtocol.Build(Log, new LogProtocolConfig { Seed = 5 });
        var reversed = LogProtocol.Build(Log.Reverse().ToArray(), new LogProtocolConfig { Seed = 5 });
        Assert.Equal(Fingerprint(forward), Fingerprint(reversed));
        var repeats = RepeatLog();
        Assert.Equal(Fingerprint(LogProtocol.Build(repeats, new LogProtocolConfig { Seed = 5 })),
                     Fingerprint(LogProtocol.Build(repeats.Reverse().ToArray(), new LogProtocolConfig { Seed = 5 })));
    }

    private static string Fingerprint(IEnumerable<CtrSample> samples) => string.Join(";", samples.Select(s =>
        $"{s.User}:{string.Join(",", s.HistoryItems)}|{string.Join(",", s.NegativeItems)}>{s.Item}@{s.Time}={s.Label}"));

    [Fact]
    public void InvalidInputIsAClearError()
    {
        Assert.Throws<ArgumentException>(() => LogProtocol.Build([]));
        var badTime = Assert.Throws<InvalidDataException>(() => LogProtocol.Build([.. Log, Click(4, 401, -3)]));
        Assert.Contains("negative timestamp -3", badTime.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => LogProtocol.Build(Log, new LogProtocolConfig { MinHistory = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => LogProtocol.Build(Log, new LogProtocolConfig { MinHistory = 5, MaxHistory = 4 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => LogProtocol.Build(Log, new LogProtocolConfig { Negatives = (NegativeRule)7 }));
        // A single user has clicked every item, so no negative exists.
        var noNegatives = Assert.Throws<InvalidOperationException>(() => LogProtocol.Build(Log.Where(b => b.User == 1).ToArray()));
        Assert.Contains("excluded", noNegatives.Message);
    }
}
