using System.Text.Json;
using DeepInterest.Data;
using DeepInterest.Metrics;
using Xunit;
using Xunit.Abstractions;

namespace DeepInterest.Tests;

public class ProtocolStatisticsTests(ITestOutputHelper output)
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
        var rule = Test.Select(s => s.HistoryItems.Span[Math.Max(0, s.HistoryLength - 2)..].IndexOf(s.Item) >= 0 ? 1.0 : 0.0).ToList();
        Assert.Equal(CtrMetrics.Auc(rule, Test.Select(s => s.Label).ToList()), stats.CandidateInHistoryAuc, 12);
        Assert.Equal(0.25, stats.UnseenPositive);
        Assert.Equal(0.25, stats.UnseenNegative);
        // Recency scores (window 2, 2 = last behaviour): positives 2, 0, 0, 2; negatives 1, 0, 0, 0 → (8 wins + 6 / 2 ties) / 16.
        Assert.Equal(11 / 16.0, stats.CandidateRecencyAuc, 12);
        // Counts: positives 1, 0, 0, 1; negatives 1, 0, 0, 0 → (6 wins + (2 + 6) / 2 ties) / 16.
        Assert.Equal(10 / 16.0, stats.CandidateCountAuc, 12);
    }

    [Fact]
    public void RecencyAndCountSeparateWhatTheSharesDoNot()
    {
        // Every candidate is in its window, so "in history" says nothing (0.5). Pair 1: the positive is the more recent
        // and more frequent item; pair 2: the negative is the more recent, both occur once.
        CtrSample[] pairs = [Sample([7, 3, 7], 7, 1f), Sample([7, 3, 7], 3, 0f), Sample([3, 7], 3, 1f), Sample([3, 7], 7, 0f)];
        var stats = ProtocolStatistics.Measure("hand-made", pairs, Vocab, maxLength: 50);
        Assert.Equal(0.5, stats.CandidateInHistoryAuc, 12);
        Assert.Equal(0.5, stats.CandidateRecencyAuc, 12);   // positives 50, 49 against negatives 49, 50: 1 win, 2 ties, 1 loss
        Assert.Equal(0.75, stats.CandidateCountAuc, 12);    // positives 2, 1 against negatives 1, 1: 2 wins, 2 ties
        Assert.Equal([1, 2, 2, 1], pairs.Select(s => ProtocolStatistics.CandidatePosition(s, 50)!.Value));
        Assert.Null(ProtocolStatistics.CandidatePosition(Sample([7, 3, 1], 7, 1f), 2));  // only before the window
    }

    [Fact]
    public void CandidateStrataScoreEachStratumOnItsOwn()
    {
        var inHistory = ProtocolStatistics.CandidateInHistory(Test, maxLength: 2);
        Assert.Equal([true, false, false, true, true, false, false, false], inHistory);
        // New items: positives 0.6, 0.35 against negatives 0.5, 0.1, 0.3 → 5 of 6 pairs won. Repeats: positives 0.9, 0.4
        // against the negative 0.7 → 1 of 2.
        var predictions = new Training.Predictions([0.9, 0.6, 0.35, 0.4, 0.7, 0.5, 0.1, 0.3], Test.Select(s => s.Label).ToArray(), new long[8]);
        var strata = Training.CandidateStrata.Measure(predictions, inHistory);
        Assert.Equal(5 / 6.0, strata.NewCandidateAuc!.Value, 12);
        Assert.Equal(0.5, strata.RepeatCandidateAuc!.Value, 12);
        var noRepeats = Training.CandidateStrata.Measure(predictions, new bool[8]);
        Assert.Null(noRepeats.RepeatCandidateAuc);
        Assert.Equal(CtrMetrics.Auc(predictions.Probabilities, predictions.Labels), noRepeats.NewCandidateAuc!.Value, 12);
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
            "candidate_in_history_auc", "unseen_positive", "unseen_negative", "candidate_recency_auc", "candidate_count_auc"];
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

    /// <summary>
    /// Raw Amazon reviews in the real layout (one JSON object per line), 80 reviewers with 14 reviews each, a quarter of
    /// them re-reviewing an item they reviewed before: the shared head has one reviewer with two reviews, so this is
    /// where issue 10's "candidate in history" check runs for the Amazon loader. The default rule must give it no edge;
    /// the old rule must (so the fixture has repeats to leak).
    /// </summary>
    [Fact]
    public void AmazonReviewsThroughTheProtocolGiveCandidateInHistoryNoEdge()
    {
        using var dir = new TempFolder();
        var random = new Random(11);
        var lines = new System.Text.StringBuilder();
        for (int reviewer = 0; reviewer < 80; reviewer++)
        {
            var reviewed = new List<int>();
            for (int k = 0; k < 14; k++)
            {
                int item = reviewed.Count > 3 && random.NextDouble() < 0.25 ? reviewed[random.Next(reviewed.Count)] : random.Next(60);
                reviewed.Add(item);
                lines.Append($"{{\"reviewerID\": \"U{reviewer}\", \"asin\": \"B{item:D4}\", \"overall\": 5.0, ")
                     .Append($"\"unixReviewTime\": {1_370_131_200 + reviewer * 3_600 + k * 86_400}}}\n");
            }
        }
        dir.Write("reviews_Electronics_5.json", lines.ToString());

        ProtocolStatistics Measure(NegativeRule rule)
        {
            var data = DatasetCatalog.Load("amazon-electronics", dir.Path, seed: 1, new DatasetOptions { Negatives = rule });
            return ProtocolStatistics.Measure("amazon-electronics", data.Test, data.Vocabulary, maxLength: 50);
        }
        var matched = Measure(NegativeRule.RepeatMatched);
        var old = Measure(NegativeRule.NeverInteracted);
        output.WriteLine($"repeat-matched: {matched}\nnever-interacted: {old}");
        Assert.True(matched.PositiveCandidateInHistory > 0.1, $"the fixture must have repeats: {matched}");
        Assert.Equal(matched.PositiveCandidateInHistory, matched.NegativeCandidateInHistory, 12);
        Assert.Equal(0.5, matched.CandidateInHistoryAuc, 12);
        Assert.True(old.CandidateInHistoryAuc > 0.52);
    }
}
