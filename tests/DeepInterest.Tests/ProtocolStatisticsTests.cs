using System.Text.Json;
using DeepInterest.Data;
using DeepInterest.Metrics;
using Xunit;

namespace DeepInterest.Tests;

public class ProtocolStatisticsTests
{
    private static CtrSample Sample(long[] history, long item, float label) => new()
    {
        User = 1,
        HistoryItems = history,
        HistoryCategories = history.Select(_ => 7L).ToArray(),
        HistoryTimes = history.Select((_, i) => (long)i).ToArray(),
        Item = item,
        Category = 7,
        Time = history.Length,
        Label = label,
    };

    // Window of 2 (the most recent 2 behaviours). Positives: in, out (only before the window), out, in → 2/4.
    // Negatives: in, out, out, out → 1/4. Items 9 and 8 are unseen in training.
    private static readonly CtrSample[] Test =
    [
        Sample([1, 2, 3], 3, 1f), Sample([1, 2, 3], 1, 1f), Sample([5], 9, 1f), Sample([4, 5], 5, 1f),
        Sample([1, 2, 3], 2, 0f), Sample([4, 5], 8, 0f), Sample([4, 5], 1, 0f), Sample([1, 2, 3], 4, 0f),
    ];

    private static readonly FeatureVocabulary Vocab = FeatureVocabulary.Build([Sample([1, 2, 3, 4], 5, 1f)]);

    [Fact]
    public void SharesAndTheAucOfTheRuleMatchTheHandComputedValues()
    {
        var stats = ProtocolStatistics.Measure("hand-made", Test, Vocab, maxLength: 2);
        Assert.Equal((4, 4), (stats.Positives, stats.Negatives));
        Assert.Equal(0.5, stats.PositiveCandidateInHistory);
        Assert.Equal(0.25, stats.NegativeCandidateInHistory);
        // Pairs (positive, negative): 2·3 wins, 2·1 + 2·3 ties, 2·1 losses → (6 + 4) / 16.
        Assert.Equal(0.625, stats.CandidateInHistoryAuc, 12);
        var rule = Test.Select(s => Array.IndexOf(s.HistoryItems, s.Item, Math.Max(0, s.HistoryLength - 2)) >= 0 ? 1.0 : 0.0).ToList();
        Assert.Equal(CtrMetrics.Auc(rule, Test.Select(s => s.Label).ToList()), stats.CandidateInHistoryAuc, 12);
        Assert.Equal(0.25, stats.UnseenPositive);
        Assert.Equal(0.25, stats.UnseenNegative);
    }

    [Fact]
    public void ALongerWindowSeesTheOlderMatch()
    {
        var stats = ProtocolStatistics.Measure("hand-made", Test, Vocab, maxLength: 50);
        Assert.Equal(0.75, stats.PositiveCandidateInHistory);
        Assert.Equal(0.5 + (0.75 - 0.25) / 2, stats.CandidateInHistoryAuc, 12);
    }

    [Fact]
    public void TheJsonFileHasExactlyTheDocumentedKeys()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "protocol.json");
        ProtocolStatistics.Measure("hand-made", Test, Vocab, maxLength: 2).WriteJson(path);
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        string[] keys = ["data", "positives", "negatives", "positive_candidate_in_history", "negative_candidate_in_history",
            "candidate_in_history_auc", "unseen_positive", "unseen_negative"];
        Assert.Equal(keys, json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("hand-made", json.RootElement.GetProperty("data").GetString());
        Assert.Equal(0.625, json.RootElement.GetProperty("candidate_in_history_auc").GetDouble(), 12);
    }

    [Fact]
    public void OneClassOrNoWindowIsAClearError()
    {
        Assert.Contains("positives and negatives", Assert.Throws<ArgumentException>(() => ProtocolStatistics.Measure("x", Test[..4], Vocab, 2)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ProtocolStatistics.Measure("x", Test, Vocab, 0));
    }
}
