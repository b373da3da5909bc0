using DeepInterest.Metrics;
using DeepInterest.Training;
using Xunit;

namespace DeepInterest.Tests;

public class MetricsTests
{
    /// <summary>The definition itself: over all positive–negative pairs, 1 if the positive scores higher, ½ on a tie.</summary>
    private static double PairwiseAuc(double[] scores, float[] labels)
    {
        double wins = 0;
        long pairs = 0;
        for (int i = 0; i < scores.Length; i++)
            for (int j = 0; j < scores.Length; j++)
                if (labels[i] == 1f && labels[j] == 0f)
                {
                    pairs++;
                    wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
                }
        return wins / pairs;
    }

    [Theory]
    [InlineData(1, 50)]
    [InlineData(2, 300)]
    [InlineData(3, 1000)]
    public void AucMatchesBruteForcePairsOnRandomDataWithTies(int seed, int n)
    {
        var rng = new Random(seed);
        // Scores on a coarse grid force many ties, the case a rank-based AUC gets wrong most easily.
        var scores = Enumerable.Range(0, n).Select(_ => Math.Round(rng.NextDouble(), 1)).ToArray();
        var labels = scores.Select(s => rng.NextDouble() < 0.3 + 0.4 * s ? 1f : 0f).ToArray();

        Assert.Equal(PairwiseAuc(scores, labels), CtrMetrics.Auc(scores, labels), 12);
    }

    [Fact]
    public void AucOfPerfectReversedAndConstantScores()
    {
        float[] labels = [0, 1, 0, 1];
        Assert.Equal(1.0, CtrMetrics.Auc([0.1, 0.9, 0.2, 0.8], labels));
        Assert.Equal(0.0, CtrMetrics.Auc([0.9, 0.1, 0.8, 0.2], labels));
        Assert.Equal(0.5, CtrMetrics.Auc([0.3, 0.3, 0.3, 0.3], labels));
    }

    [Fact]
    public void GaucWeightsUsersByImpressionsAndSkipsSingleClassUsers()
    {
        // user 1: AUC 1 over 3 impressions; user 2: one of four pairs ordered right, AUC 1/4, 4 impressions;
        // user 3: clicks only, no AUC, skipped. GAUC = (3·1 + 4·¼) / (3 + 4) = 4/7.
        double[] scores = [0.9, 0.1, 0.5, 0.2, 0.8, 0.6, 0.4, 0.3, 0.7];
        float[] labels = [1, 0, 0, 1, 0, 1, 0, 1, 1];
        long[] users = [1, 1, 1, 2, 2, 2, 2, 3, 3];

        Assert.Equal(4.0 / 7.0, CtrMetrics.Gauc(scores, labels, users), 12);
    }

    [Fact]
    public void GaucWithoutAnyTwoClassUserThrows()
    {
        var error = Assert.Throws<ArgumentException>(() => CtrMetrics.Gauc([0.1, 0.9], [0, 1], [1, 2]));
        Assert.Contains("both a click and a non-click", error.Message);
    }

    [Fact]
    public void LogLossByHandAndClipped()
    {
        Assert.Equal(-(Math.Log(0.8) + Math.Log(0.7)) / 2, CtrMetrics.LogLoss([0.8, 0.3], [1, 0]), 12);
        // Certain and wrong: each term is −log(1e-7) instead of infinity.
        Assert.Equal(-Math.Log(1e-7), CtrMetrics.LogLoss([0.0, 1.0], [1, 0]), 6);
    }

    [Fact]
    public void RelaImprIsTheDinPapersRelativeImprovement()
    {
        Assert.Equal(0.25, CtrMetrics.RelaImpr(0.75, 0.7), 12);   // (0.25 / 0.2) − 1
        Assert.Equal(0.0, CtrMetrics.RelaImpr(0.7, 0.7), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => CtrMetrics.RelaImpr(0.7, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => CtrMetrics.RelaImpr(1.2, 0.7));
    }

    [Fact]
    public void EvaluateCombinesTheMetrics()
    {
        var predictions = new Predictions([0.9, 0.2, 0.6, 0.4], [1, 0, 0, 1], [5, 5, 6, 6]);

        var report = CtrMetrics.Evaluate(predictions);

        Assert.Equal(CtrMetrics.Auc(predictions.Probabilities, predictions.Labels), report.Auc);
        Assert.Equal(0.5, report.Gauc, 12);  // user 5 AUC 1, user 6 AUC 0, two impressions each
        Assert.Equal(CtrMetrics.LogLoss(predictions.Probabilities, predictions.Labels), report.LogLoss);
        Assert.Equal(4, report.Count);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        Assert.Contains("3 scores but 2 labels", Assert.Throws<ArgumentException>(() => CtrMetrics.Auc([0.1, 0.2, 0.3], [0, 1])).Message);
        Assert.Contains("no predictions", Assert.Throws<ArgumentException>(() => CtrMetrics.Auc([], [])).Message);
        Assert.Contains("both classes", Assert.Throws<ArgumentException>(() => CtrMetrics.Auc([0.1, 0.2], [1, 1])).Message);
        Assert.Contains("index 1 is NaN", Assert.Throws<ArgumentException>(() => CtrMetrics.Auc([0.1, double.NaN], [0, 1])).Message);
        Assert.Contains("must be 0 or 1", Assert.Throws<ArgumentException>(() => CtrMetrics.LogLoss([0.1, 0.2], [0, 0.5f])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => CtrMetrics.LogLoss([1.5], [1]));
        Assert.Contains("2 user ids", Assert.Throws<ArgumentException>(() => CtrMetrics.Gauc([0.1, 0.2, 0.3], [0, 1, 0], [1, 1])).Message);
    }
}
