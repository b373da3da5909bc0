using DeepInterest.Data;
using DeepInterest.Layers;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace DeepInterest.Tests;

/// <summary>DIN's building blocks: masked pooling, the local activation unit, Dice and mini-batch-aware L2.</summary>
public class LayerTests
{
    private const double Tolerance = 1e-5;

    // ---- MaskedPooling ----

    [Fact]
    public void MaskedPoolingIgnoresPaddingAndGivesZerosForEmptyHistory()
    {
        // Row 0: one padding slot holding junk (100s) and two real behaviours; row 1: nothing real.
        using var values = tensor(new float[] { 100, 100, 1, 2, 3, -4, 100, 100, 100, 100, 100, 100 }, [2, 3, 2]);
        using var mask = tensor(new[] { false, true, true, false, false, false }, [2, 3]);
        using var sum = MaskedPooling.Sum(values, mask);
        using var mean = MaskedPooling.Mean(values, mask);
        Assert.Equal(new float[] { 4, -2, 0, 0 }, sum.data<float>().ToArray());
        Assert.Equal(new float[] { 2, -1, 0, 0 }, mean.data<float>().ToArray());
    }

    [Fact]
    public void MaskedPoolingRejectsMismatchedMask()
    {
        using var values = zeros(2, 3, 4);
        using var wrongLength = ones(2, 4, dtype: ScalarType.Bool);
        using var notBool = ones(2, 3);
        Assert.Throws<ArgumentException>(() => MaskedPooling.Mean(values, wrongLength));
        Assert.Throws<ArgumentException>(() => MaskedPooling.Sum(values, notBool));
    }

    // ---- LocalActivationUnit ----

    // A 1-hidden-unit scorer with known weights: a(f) = w2 · PReLU(w1·f + b1) + b2, PReLU slope 0.25 (its init).
    private static readonly float[] W1 = [0.5f, -0.25f, 0.1f, 0.2f, 0.3f, -0.4f, 1.0f, 0.5f];
    private const float B1 = 0.1f, W2 = 2f, B2 = -0.5f, Slope = 0.25f;

    private static LocalActivationUnit HandSetUnit(bool softmax)
    {
        var unit = new LocalActivationUnit(dim: 2, hidden: [1], Activation.PReLU, softmax);
        var p = unit.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        using (no_grad())
        {
            p["scorer.layers.fc0.weight"].copy_(tensor(W1).reshape(1, 8));
            p["scorer.layers.fc0.bias"].fill_(B1);
            Assert.Equal(Slope, p["scorer.layers.act0.weight"].item<float>());
            p["scorer.layers.out.weight"].fill_(W2);
            p["scorer.layers.out.bias"].fill_(B2);
        }
        return unit;
    }

    private static double HandScore(double[] behaviour, double[] candidate)
    {
        double[] features = [.. behaviour, .. candidate, .. behaviour.Zip(candidate, (b, c) => b - c), .. behaviour.Zip(candidate, (b, c) => b * c)];
        double h = B1 + features.Select((f, i) => f * W1[i]).Sum();
        return W2 * (h > 0 ? h : Slope * h) + B2;
    }

    // Row 0: padding (junk 9s), then three behaviours; row 1: padding, padding, one behaviour.
    private static readonly double[][][] Histories =
    [
        [[9, 9], [1, 2], [-1, 0.5], [0.5, -1.5]],
        [[9, 9], [9, 9], [-2, 1], [0, 0]],
    ];
    private static readonly bool[][] Masks = [[false, true, true, true], [false, false, true, false]];
    private static readonly double[][] Candidates = [[0.5, -1], [1, 1]];

    private static (Tensor History, Tensor Candidate, Tensor Mask) HandInputs() => (
        tensor(Histories.SelectMany(r => r.SelectMany(e => e)).Select(v => (float)v).ToArray(), [2, 4, 2]),
        tensor(Candidates.SelectMany(c => c).Select(v => (float)v).ToArray(), [2, 2]),
        tensor(Masks.SelectMany(m => m).ToArray(), [2, 4]));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LocalActivationUnitMatchesHandComputation(bool softmax)
    {
        using var unit = HandSetUnit(softmax);
        unit.eval();
        var (history, candidate, mask) = HandInputs();
        var (pooled, weights) = unit.forward(history, candidate, mask);
        for (int r = 0; r < 2; r++)
        {
            var raw = Enumerable.Range(0, 4).Select(t => Masks[r][t] ? HandScore(Histories[r][t], Candidates[r]) : 0.0).ToArray();
            var expected = raw;
            if (softmax)
            {
                double max = raw.Where((_, t) => Masks[r][t]).Max();
                var exps = raw.Select((s, t) => Masks[r][t] ? Math.Exp(s - max) : 0.0).ToArray();
                expected = exps.Select(x => x / exps.Sum()).ToArray();
            }
            for (int t = 0; t < 4; t++)
                Assert.Equal(expected[t], weights[r, t].item<float>(), Tolerance);
            for (int d = 0; d < 2; d++)
                Assert.Equal(Enumerable.Range(0, 4).Sum(t => expected[t] * (Masks[r][t] ? Histories[r][t][d] : 9)), pooled[r, d].item<float>(), Tolerance);
        }
        // The hand-picked weights must exercise both sides of the PReLU, or the test would not check the slope:
        // with W2 > 0, a score above B2 means a positive hidden pre-activation, below B2 a negative one.
        var scores = Enumerable.Range(0, 2).SelectMany(r => Enumerable.Range(0, 4).Where(t => Masks[r][t]).Select(t => HandScore(Histories[r][t], Candidates[r]))).ToArray();
        Assert.Contains(scores, s => s > B2);
        Assert.Contains(scores, s => s < B2);
        Assert.Equal(0f, weights[0, 0].item<float>());          // padding exactly 0, not just small
    }

    [Fact]
    public void SoftmaxGivesZeroWeightsForAllPaddingRowWithoutNaN()
    {
        using var unit = new LocalActivationUnit(dim: 3, hidden: [4], Activation.PReLU, softmax: true);
        using var history = randn(2, 5, 3);
        using var candidate = randn(2, 3, requires_grad: true);
        using var mask = tensor(new[] { false, false, false, false, false, false, false, true, true, true }, [2, 5]);
        var (pooled, weights) = unit.forward(history, candidate, mask);
        Assert.Equal(new float[5], weights[0].data<float>().ToArray());
        Assert.Equal(new float[3], pooled[0].data<float>().ToArray());
        Assert.Equal(1.0, weights[1].sum().item<float>(), Tolerance);
        pooled.sum().backward();
        Assert.False(candidate.grad!.isnan().any().item<bool>());
    }

    [Fact]
    public void DiceAttentionInTrainingIsBlindToPadding()
    {
        torch.manual_seed(1);
        using var unit = new LocalActivationUnit(dim: 3, hidden: [5, 4], Activation.Dice);
        unit.train();
        using var history = randn(3, 4, 3);
        using var candidate = randn(3, 3);
        using var mask = tensor(new[] { false, true, true, true, false, false, true, true, true, true, true, true }, [3, 4]);
        // Same behaviours with three more padding slots on the left holding junk.
        using var padded = cat([full(3, 3, 3, 7f), history], 1);
        using var paddedMask = cat([zeros(3, 3, dtype: ScalarType.Bool), mask], 1);
        var (pooled, weights) = unit.forward(history, candidate, mask);
        var (pooledPadded, weightsPadded) = unit.forward(padded, candidate, paddedMask);
        Assert.True(pooled.allclose(pooledPadded, rtol: 1e-5, atol: 1e-6));
        Assert.True(weights.allclose(weightsPadded[.., 3..], rtol: 1e-5, atol: 1e-6));
    }

    /// <summary>
    /// Against the readable form, on a batch with padding (the real positions gathered and scored alone) and on one
    /// without (every position scored in place).
    /// </summary>
    [Theory]
    [InlineData(Activation.PReLU, false, false)]
    [InlineData(Activation.Dice, false, false)]
    [InlineData(Activation.Sigmoid, true, false)]
    [InlineData(Activation.PReLU, false, true)]
    [InlineData(Activation.Sigmoid, true, true)]
    public void LocalActivationUnitEqualsTheFourViewForm(Activation activation, bool softmax, bool everyPositionReal)
    {
        torch.manual_seed(3);
        using var unit = new LocalActivationUnit(dim: 6, hidden: [8, 4], activation, softmax);
        unit.train();   // Dice on batch statistics: both forms must feed it the same rows
        var scorer = (Mlp)unit.named_children().Single(c => c.name == "scorer").module;
        using var history = randn(3, 5, 6, requires_grad: true);
        using var candidate = randn(3, 6, requires_grad: true);
        using var mask = everyPositionReal
            ? ones(3, 5, dtype: ScalarType.Bool)
            : tensor(new[] { false, true, true, true, true, false, false, false, true, true, true, true, true, true, true }, [3, 5]);

        var (pooled, weights) = unit.forward(history, candidate, mask);
        var (historyGrad, candidateGrad) = Gradients(pooled);

        // The readable reference: concatenate the four views of every real (behaviour, candidate) pair, score them.
        var real = mask.reshape(-1).nonzero().squeeze(1);                                    // (N)
        var k = history.reshape(-1, 6).index_select(0, real);                                // (N, E)
        var q = candidate.unsqueeze(1).expand(3, 5, 6).reshape(-1, 6).index_select(0, real); // (N, E)
        var raw = zeros(15).index_copy(0, real, scorer.forward(cat([k, q, k - q, k * q], 1)).squeeze(1)).reshape(3, 5);
        var expected = softmax ? LocalActivationUnit.MaskedSoftmax(raw, mask) : raw;         // (B, T)
        var expectedPooled = (expected.unsqueeze(-1) * history).sum(1);                      // (B, E)
        var (expectedHistoryGrad, expectedCandidateGrad) = Gradients(expectedPooled);

        Assert.True(weights.allclose(expected, rtol: 1e-5, atol: 1e-5));
        Assert.True(pooled.allclose(expectedPooled, rtol: 1e-5, atol: 1e-5));
        Assert.True(historyGrad.allclose(expectedHistoryGrad, rtol: 1e-5, atol: 1e-5));
        Assert.True(candidateGrad.allclose(expectedCandidateGrad, rtol: 1e-5, atol: 1e-5));
        if (!everyPositionReal) Assert.Equal(0f, weights[1, 0].item<float>());               // padding exactly 0

        (Tensor, Tensor) Gradients(Tensor output)
        {
            var grads = torch.autograd.grad([output.sum()], [history, candidate]);
            return (grads[0], grads[1]);
        }
    }

    // ---- Dice ----

    private static readonly float[,] DiceInput = { { 1, -2 }, { 3, 0.5f }, { -1, 4 }, { 2, -3 } };
    private static readonly float[] Alphas = [0.1f, -0.3f];

    private static Dice HandSetDice()
    {
        var dice = new Dice(2);
        using (no_grad()) dice.named_parameters().Single(p => p.name == "alpha").parameter.copy_(tensor(Alphas));
        return dice;
    }

    private static double HandDice(double s, double mean, double variance, double alpha)
    {
        double p = 1 / (1 + Math.Exp(-(s - mean) / Math.Sqrt(variance + 1e-8)));
        return p * s + (1 - p) * alpha * s;
    }

    private static (double Mean, double BiasedVar, double UnbiasedVar) ColumnStats(int h)
    {
        var column = Enumerable.Range(0, 4).Select(n => (double)DiceInput[n, h]).ToArray();
        double mean = column.Average(), squares = column.Sum(v => (v - mean) * (v - mean));
        return (mean, squares / 4, squares / 3);
    }

    [Fact]
    public void DiceInTrainingUsesBatchStatistics()
    {
        using var dice = HandSetDice();
        dice.train();
        using var output = dice.forward(tensor(DiceInput));
        for (int h = 0; h < 2; h++)
        {
            var (mean, variance, _) = ColumnStats(h);
            for (int n = 0; n < 4; n++)
                Assert.Equal(HandDice(DiceInput[n, h], mean, variance, Alphas[h]), output[n, h].item<float>(), Tolerance);
        }
    }

    [Fact]
    public void DiceInEvaluationUsesRunningStatistics()
    {
        using var dice = HandSetDice();
        dice.train();
        dice.forward(tensor(DiceInput)).Dispose();   // the first batch replaces the starting (0, 1) entirely: momentum 1/1
        dice.eval();
        float[,] probe = { { 0.5f, -1 }, { -2, 2 } };
        using var output = dice.forward(tensor(probe));
        for (int h = 0; h < 2; h++)
        {
            var (runningMean, _, runningVar) = ColumnStats(h);
            for (int n = 0; n < 2; n++)
                Assert.Equal(HandDice(probe[n, h], runningMean, runningVar, Alphas[h]), output[n, h].item<float>(), Tolerance);
        }
    }

    [Fact]
    public void DiceRunningStatisticsAverageTheBatchesThenFollowTheRecentOnes()
    {
        // Momentum max(1/n, 0.1): batches 1..10 give the exact mean of their statistics, batch 11 and later weigh 0.1.
        torch.manual_seed(3);
        using var dice = new Dice(3);
        dice.train();
        var buffers = dice.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        double[] Values(Tensor x) => x.to(ScalarType.Float64).data<double>().ToArray();
        var batches = Enumerable.Range(0, 12).Select(i => randn(20, 3) * (1 + 0.2 * i) + i).ToList();   // drifting batches
        for (int n = 1; n <= batches.Count; n++)
        {
            dice.forward(batches[n - 1]).Dispose();
            var seen = batches.Take(Math.Min(n, 10)).ToList();
            var expectedMean = stack(seen.Select(x => x.mean([0])).ToArray()).mean([0]);   // (3) mean of the batch means
            var expectedVar = stack(seen.Select(x => x.var(0)).ToArray()).mean([0]);       // (3) mean of the unbiased variances
            for (int m = 11; m <= n; m++)
            {
                expectedMean = 0.9 * expectedMean + 0.1 * batches[m - 1].mean([0]);
                expectedVar = 0.9 * expectedVar + 0.1 * batches[m - 1].var(0);
            }
            Assert.Equal(Values(expectedMean), Values(buffers["standardize.running_mean"]), (a, b) => Math.Abs(a - b) < 1e-4);
            Assert.Equal(Values(expectedVar), Values(buffers["standardize.running_var"]), (a, b) => Math.Abs(a - b) < 1e-4);
        }
        Assert.Equal(12L, buffers["standardize.num_batches_tracked"].item<long>());
        dice.forward(ones(1, 3)).Dispose();   // a single row leaves the statistics and the batch count alone
        Assert.Equal(12L, buffers["standardize.num_batches_tracked"].item<long>());
    }

    // ---- Mini-batch-aware L2 ----

    [Fact]
    public void MiniBatchAwareL2MatchesHandComputation()
    {
        // Items 0 = padding, 1 = OOV (count 0, treated as 1), 2..4 seen 3, 1, 2 times; categories 2..3 seen 4, 2 times.
        long[] itemCounts = [0, 0, 3, 1, 2], categoryCounts = [0, 0, 4, 2];
        using var embedding = new BehaviorEmbedding(new FeatureSpace(5, 4, itemCounts, categoryCounts), dimPerField: 3);
        long[] historyItems = [0, 2, 3, 2, 2, 1], historyCategories = [0, 2, 3, 2, 2, 2];
        long[] items = [4, 2], categories = [3, 2];
        using var batch = new Batch
        {
            HistoryItems = tensor(historyItems, [2, 3]), HistoryCategories = tensor(historyCategories, [2, 3]),
            HistoryTimes = zeros(2, 3, dtype: ScalarType.Int64),
            Mask = tensor(historyItems.Select(i => i != 0).ToArray(), [2, 3]), Lengths = tensor(new long[] { 2, 3 }),
            NegativeItems = zeros(2, 3, dtype: ScalarType.Int64), NegativeCategories = zeros(2, 3, dtype: ScalarType.Int64),
            Items = tensor(items), Categories = tensor(categories), Times = zeros(2, dtype: ScalarType.Int64),
            Labels = zeros(2), Users = [1, 2],
        };
        var weights = embedding.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        double Penalty(long[] ids, long[] counts, Tensor table) => ids.Where(i => i != 0).GroupBy(i => i).Sum(g =>
        {
            var row = table[g.Key].data<float>().ToArray();
            return g.Count() / (double)Math.Max(counts[g.Key], 1) * row.Sum(w => (double)w * w);
        });
        double expected = 0.5 * (Penalty([.. historyItems, .. items], itemCounts, weights["items.weight"])
                               + Penalty([.. historyCategories, .. categories], categoryCounts, weights["categories.weight"]));
        using var penalty = embedding.MiniBatchAwareL2(batch, lambda: 0.5);
        Assert.Equal(expected, penalty.item<float>(), Tolerance);
        Assert.True(expected > 0);
    }
    [Fact]
    public void MiniBatchAwareL2PenalisesEveryRowOncePerEpoch()
    {
        // Histories longer than the window, so that counting whole histories would differ from counting the batches.
        var data = SyntheticData.Generate(SyntheticConfig.Tiny with { Users = 40, Seed = 5 }).ToDataset(seed: 5);
        const int maxLength = 5;
        Assert.Contains(data.Train, s => s.HistoryLength > maxLength);
        var vocab = data.Vocabulary;

        // Σ over one epoch's batches of n_jB / n_j per row: with every weight 1 and λ = 1/2 the gradient of R_B on each
        // entry of row j is 2λ·(n_jB / n_j)·1, so the gradients accumulated over the epoch hold exactly that sum.
        double[][] EpochShares(FeatureSpace space)
        {
            using var embedding = new BehaviorEmbedding(space, dimPerField: 2);
            var tables = embedding.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            using (no_grad()) foreach (var table in tables.Values) table.fill_(1);
            foreach (var batch in BatchLoader.Batches(data.Train, vocab, batchSize: 16, maxLength, shuffleSeed: 1))
            {
                using var owned = batch;
                using var penalty = embedding.MiniBatchAwareL2(batch, lambda: 0.5);
                penalty.backward();
            }
            return new[] { "items.weight", "categories.weight" }.Select(name =>
                tables[name].grad!.select(1, 0).to(ScalarType.Float64).data<double>().ToArray()).ToArray();
        }

        // The rows the batches use, straight from the samples: the last maxLength behaviours and the candidate.
        var usedItems = data.Train.SelectMany(s => s.HistoryItems.TakeLast(maxLength).Append(s.Item)).Select(vocab.Items.IndexOf).ToHashSet();
        var usedCategories = data.Train.SelectMany(s => s.HistoryCategories.TakeLast(maxLength).Append(s.Category)).Select(vocab.Categories.IndexOf).ToHashSet();
        var shares = EpochShares(FeatureSpace.From(data.Train, vocab, maxLength));
        foreach (var (perRow, used) in new[] { (shares[0], usedItems), (shares[1], usedCategories) })
            for (int j = 0; j < perRow.Length; j++)
                Assert.True(Math.Abs(perRow[j] - (used.Contains(j) ? 1 : 0)) < 1e-4, $"row {j}: Σ n_jB / n_j = {perRow[j]}");
        Assert.True(usedItems.Count < vocab.Items.Size - 2, "some items occur only beyond the window");

        // The vocabulary's counts (whole histories) fall short for items that also occur beyond the window.
        var wholeHistories = EpochShares(new FeatureSpace(vocab.Items.Size, vocab.Categories.Size, vocab.Items.Counts(), vocab.Categories.Counts()));
        Assert.True(usedItems.Min(j => wholeHistories[0][j]) < 0.9);
    }
}
