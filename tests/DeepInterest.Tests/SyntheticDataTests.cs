using System.Diagnostics;
using DeepInterest.Data;
using Xunit;

namespace DeepInterest.Tests;

public class SyntheticDataTests
{
    private static readonly SyntheticWorld Tiny = SyntheticData.Generate(SyntheticConfig.Tiny);

    private static string Fingerprint(SyntheticWorld world) => string.Join(";", world.Samples.Select(s =>
        $"{s.User}:{string.Join(",", s.HistoryItems)}|{string.Join(",", s.NegativeItems)}|{string.Join(",", s.Relevance!)}>{s.Item}@{s.Time}={s.Label}/{s.ClickProbability:R}"));

    [Fact]
    public void SameSeedGivesTheSameWorldAndAnotherSeedAnotherOne()
    {
        var again = SyntheticData.Generate(SyntheticConfig.Tiny);
        var other = SyntheticData.Generate(SyntheticConfig.Tiny with { Seed = 7 });
        Assert.Equal(Fingerprint(Tiny), Fingerprint(again));
        Assert.Equal(Tiny.Log, again.Log);
        Assert.NotEqual(Fingerprint(Tiny), Fingerprint(other));
    }

    [Fact]
    public void TinyGeneratesInUnderASecond()
    {
        // On a loaded machine wall time overstates the cost; the process's CPU time bounds it from the other side.
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var world = SyntheticData.Generate(SyntheticConfig.Tiny with { Seed = 11 });
        clock.Stop();
        process.Refresh();
        var cost = TimeSpan.FromTicks(Math.Min(clock.Elapsed.Ticks, (process.TotalProcessorTime - cpuBefore).Ticks));
        Assert.True(cost < TimeSpan.FromSeconds(1), $"Tiny took {clock.Elapsed.TotalMilliseconds:F0} ms wall, more CPU time");
        Assert.InRange(world.Samples.Count, 1000, 2000);
    }

    [Fact]
    public void HistoriesAreTheUsersEarlierBehavioursWithConsistentPlantedTruth()
    {
        var config = Tiny.Config;
        var logByUser = Tiny.Log.GroupBy(b => b.User).ToDictionary(g => g.Key, g => g.ToArray());
        Assert.Equal(config.Users, logByUser.Count);
        foreach (var s in Tiny.Samples)
        {
            s.Validate("synthetic sample");
            var timeline = logByUser[s.User];
            Assert.True(s.HistoryLength >= config.MinHistory);
            Assert.Equal(timeline[..s.HistoryLength].Select(b => b.Item), s.HistoryItems);
            Assert.InRange(s.Time - s.HistoryTimes[^1], 0, (long)config.MaxInSessionGapSeconds);
            if (s.HistoryLength < timeline.Length) Assert.True(s.Time <= timeline[s.HistoryLength].Timestamp);
            Assert.Equal(Tiny.Catalogue.CategoryOf(s.Item), s.Category);
            for (int h = 0; h < s.HistoryLength; h++)
            {
                if (s.HistoryCategories[h] != s.Category) Assert.Equal(0f, s.Relevance![h]);
                else Assert.Contains(s.Relevance![h], new[] { 1f, (float)config.BackgroundRelevance });
            }
        }
    }

    [Fact]
    public void SessionGapsAreMinutesInsideAndHoursBetweenSessions()
    {
        var gaps = Tiny.Log.GroupBy(b => b.User)
            .SelectMany(g => g.Zip(g.Skip(1), (a, b) => b.Timestamp - a.Timestamp)).ToArray();
        Assert.All(gaps, gap => Assert.True(gap >= 5 && gap < 30 * 60 || gap >= 2 * 3600, $"gap of {gap} s is neither in-session nor a break"));
        double breaks = gaps.Count(gap => gap >= 2 * 3600) / (double)gaps.Length;
        Assert.InRange(breaks, 1 / 12.0, 1 / 3.0); // sessions of 3–12 behaviours, ~7.5 on average
    }

    [Fact]
    public void AFiftyBehaviourHistorySpansSeveralSessionsAndInterests()
    {
        var longHistories = Tiny.Samples.Where(s => s.HistoryLength >= 50).ToArray();
        Assert.NotEmpty(longHistories);
        double sessions = longHistories.Average(s => 1 + s.HistoryTimes[^50..].Zip(s.HistoryTimes[^49..], (a, b) => b - a).Count(gap => gap >= 2 * 3600));
        double categories = longHistories.Average(s => s.HistoryCategories[^50..].Distinct().Count());
        Assert.InRange(sessions, 5, 10);
        Assert.True(categories >= 3, $"only {categories:F1} categories in the last 50 behaviours");
    }

    [Fact]
    public void ClicksFollowThePlantedInterestModel()
    {
        var config = Tiny.Config;
        double positiveRate = Tiny.Samples.Average(s => s.Label);
        Assert.InRange(positiveRate, 0.35, 0.6);

        // Recover the planted interest term of each impression from its click probability: logit − b0 − q_item − side terms.
        double Term(CtrSample s) => Math.Log(s.ClickProbability!.Value / (1 - s.ClickProbability.Value)) - config.ClickBias
                                    - Tiny.Catalogue.Quality(s.Item) - Tiny.SideLogit(s);
        var current = Tiny.Samples.Where(s => Math.Abs(Term(s) - config.CurrentInterestWeight) < 1e-6).ToArray();
        var other = Tiny.Samples.Where(s => Math.Abs(Term(s) - config.OtherInterestWeight) < 1e-6).ToArray();
        var outside = Tiny.Samples.Where(s => Math.Abs(Term(s)) < 1e-6).ToArray();
        Assert.Equal(Tiny.Samples.Count, current.Length + other.Length + outside.Length);
        Assert.InRange(current.Length / (double)Tiny.Samples.Count, 0.35, 0.5); // 40% plus popular items that happen to match
        double currentRate = current.Average(s => s.Label), otherRate = other.Average(s => s.Label);
        Assert.True(currentRate > otherRate + 0.3, $"current-interest click rate {currentRate:F2} vs other-interest {otherRate:F2}");
        Assert.True(otherRate > outside.Average(s => s.Label));
        // Current-interest candidates have current-session evidence far more often.
        Assert.True(current.Average(s => s.Relevance!.Contains(1f) ? 1.0 : 0.0) > 0.9);
        Assert.All(other.Concat(outside), s => Assert.DoesNotContain(1f, s.Relevance!));
    }

    [Fact]
    public void ThePlantedClickProbabilityIsAStrongOracle()
    {
        double auc = BruteForceAuc(Tiny.Samples.Select(s => s.ClickProbability!.Value).ToArray(), Tiny.Samples.Select(s => s.Label).ToArray());
        Assert.True(auc > 0.75, $"oracle AUC {auc:F3}");
    }

    /// <summary>P(score of a random positive > score of a random negative), ties count half.</summary>
    internal static double BruteForceAuc(double[] scores, float[] labels)
    {
        var positives = scores.Where((_, i) => labels[i] == 1f).ToArray();
        var negatives = scores.Where((_, i) => labels[i] == 0f).ToArray();
        double wins = 0;
        foreach (var p in positives)
            foreach (var n in negatives)
                wins += p > n ? 1 : p == n ? 0.5 : 0;
        return wins / ((double)positives.Length * negatives.Length);
    }

    [Fact]
    public void AuxiliaryNegativesAreNeverFromTheUsersHistory()
    {
        var ownItems = Tiny.Log.GroupBy(b => b.User).ToDictionary(g => g.Key, g => g.Select(b => b.Item).ToHashSet());
        foreach (var s in Tiny.Samples)
        {
            Assert.Equal(s.HistoryLength, s.NegativeItems.Length);
            Assert.All(s.NegativeItems, item => Assert.DoesNotContain(item, ownItems[s.User]));
            Assert.Equal(s.NegativeItems.Select(Tiny.Catalogue.CategoryOf), s.NegativeCategories);
        }
    }

    [Fact]
    public void ToDatasetSplitsByUser()
    {
        var dataset = Tiny.ToDataset(seed: 1);
        var train = dataset.Train.Select(s => s.User).ToHashSet();
        Assert.Empty(train.Intersect(dataset.Test.Select(s => s.User)));
        Assert.Empty(train.Intersect(dataset.Validation.Select(s => s.User)));
        Assert.Equal(Tiny.Samples.Count, dataset.Train.Count + dataset.Validation.Count + dataset.Test.Count);
        Assert.Same(Tiny.Log, dataset.Log);
    }

    [Fact]
    public void BadConfigIsAClearError()
    {
        var noUsers = Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticData.Generate(SyntheticConfig.Tiny with { Users = 0 }));
        Assert.Contains("SyntheticConfig.Users", noUsers.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticData.Generate(SyntheticConfig.Tiny with { MaxInterests = 13 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticData.Generate(SyntheticConfig.Tiny with { InterestStayProbability = 1.5 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticData.Generate(SyntheticConfig.Tiny with { CandidateOtherInterestProbability = 0.7 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticData.Generate(SyntheticConfig.Tiny with { MinSessionBreakSeconds = 60 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticData.Generate(SyntheticConfig.Tiny with { MinTimelineLength = 4 }));
    }
}
