using System.Diagnostics;
using DeepInterest.Data;
using DeepInterest.Layers;
using DeepInterest.Models;
using DeepInterest.Training;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DeepInterest.Tests;

/// <summary>The avg-pooling baseline and DIN (Zhou et al., KDD'18): shapes, padding invariance, MBA, a smoke training.</summary>
public class DinTests(ITestOutputHelper output)
{
    private static readonly string[] ModelNames = ["avgpool", "din", "din-dice-mba"];
    public static TheoryData<string> Models => new(ModelNames);

    /// <summary>
    /// A learnable toy task: items 1000..1059 belong to categories 1 + item mod 10; histories of 0–8 random items;
    /// the label is 1 exactly when the candidate's category occurs in the history.
    /// </summary>
    private static List<CtrSample> Samples(int count, int seed, int maxHistory = 8)
    {
        var rng = new Random(seed);
        static long Category(long item) => 1 + item % 10;
        var samples = new List<CtrSample>(count);
        for (int n = 0; n < count; n++)
        {
            var history = Enumerable.Range(0, rng.Next(0, maxHistory + 1)).Select(_ => 1000L + rng.Next(60)).ToArray();
            long item = 1000 + rng.Next(60);
            samples.Add(new CtrSample
            {
                User = n,
                HistoryItems = history,
                HistoryCategories = history.Select(Category).ToArray(),
                HistoryTimes = Enumerable.Range(0, history.Length).Select(t => 100L * t).ToArray(),
                Item = item,
                Category = Category(item),
                Time = 100L * history.Length,
                Label = history.Any(h => Category(h) == Category(item)) ? 1f : 0f,
            });
        }
        return samples;
    }

    private static (CtrModel Model, FeatureVocabulary Vocab) Create(string name, IReadOnlyList<CtrSample> train, int embeddingDim = 4)
    {
        var vocab = FeatureVocabulary.Build(train);
        // MBA counts for batches of at most 10 behaviours: the toy histories (≤ 8) are never cut.
        return (ModelZoo.Create(name, FeatureSpace.From(train, vocab, maxLength: 10), new ModelOptions { EmbeddingDim = embeddingDim }), vocab);
    }

    private static void AssertClose(Tensor expected, Tensor actual) =>
        Assert.True(expected.allclose(actual, rtol: 1e-5, atol: 1e-6), $"max difference {(expected - actual).abs().max().item<float>()}");

    [Theory]
    [MemberData(nameof(Models))]
    public void ForwardGivesOneFiniteLogitPerSample(string name)
    {
        torch.manual_seed(1);
        var samples = Samples(12, seed: 2);
        var (model, vocab) = Create(name, samples);
        model.eval();
        using var batch = Batch.Collate(samples, vocab, maxLength: 5);
        var result = model.forward(batch);
        Assert.Equal([12L], result.Logits.shape);
        Assert.False(result.Logits.isnan().any().item<bool>() || result.Logits.isinf().any().item<bool>());
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void EvaluationIgnoresExtraPaddingAndOtherSamples(string name)
    {
        torch.manual_seed(3);
        var samples = Samples(16, seed: 4);
        var (model, vocab) = Create(name, samples);
        model.eval();
        using var batch = Batch.Collate(samples, vocab, maxLength: 20);
        // A 30-behaviour history in the same batch pads every other row to T = 30.
        var longOne = Samples(40, seed: 5, maxHistory: 30).First(s => s.HistoryLength == 30);
        using var widened = Batch.Collate([.. samples, longOne], vocab, maxLength: 50);
        using var padded = TestBatches.PadLeft(batch, 7);
        Assert.True(widened.MaxLength > batch.MaxLength);
        var reference = model.forward(batch).Logits;
        AssertClose(reference, model.forward(widened).Logits[..16]);
        AssertClose(reference, model.forward(padded).Logits);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void TrainingForwardIgnoresExtraPadding(string name)
    {
        // For din-dice-mba this checks that Dice's batch statistics in the attention unit see only real behaviours,
        // and that the MBA penalty does not count padding.
        torch.manual_seed(6);
        var samples = Samples(16, seed: 7);
        var (model, vocab) = Create(name, samples);
        model.train();
        using var batch = Batch.Collate(samples, vocab, maxLength: 20);
        using var padded = TestBatches.PadLeft(batch, 6);
        var plain = model.forward(batch);
        var wider = model.forward(padded);
        AssertClose(plain.Logits, wider.Logits);
        Assert.Equal(plain.Regularization is null, wider.Regularization is null);
        if (plain.Regularization is { } r) AssertClose(r, wider.Regularization!);
    }

    [Fact]
    public void MbaPenaltyOnlyInTrainingAndOnlyForTheMbaVariant()
    {
        var samples = Samples(16, seed: 8);
        using var batch = Batch.Collate(samples, Create("din", samples).Vocab, maxLength: 10);
        var (mba, _) = Create("din-dice-mba", samples);
        mba.train();
        Assert.True(mba.forward(batch).Regularization!.item<float>() > 0);
        mba.eval();
        Assert.Null(mba.forward(batch).Regularization);
        var (plain, _) = Create("din", samples);
        plain.train();
        Assert.Null(plain.forward(batch).Regularization);
        var vocab = FeatureVocabulary.Build(samples);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Din(FeatureSpace.From(samples, vocab, 10), new ModelOptions(), new DinConfig { MbaLambda = -1 }));
        var noCounts = Assert.Throws<ArgumentException>(() => new Din(FeatureSpace.From(vocab), new ModelOptions(), new DinConfig { MbaLambda = 0.1 }));
        Assert.Contains("FeatureSpace.From(training, vocab, maxLength)", noCounts.Message);
    }

    /// <summary>
    /// Evaluation standardizes with Dice's running statistics, so after one short epoch (8 steps) they must be the
    /// statistics of the training batches each Dice saw: per unit, the running mean equals the mean of the batch means
    /// and the running variance the mean of the (unbiased) batch variances, within 1e-4 relative. With the former fixed
    /// momentum 0.01 they kept 0.99^8 = 92 % of the starting values (0, 1). For information the test also prints how
    /// far they are from the statistics under the final weights (the weights move during the epoch, so they differ).
    /// </summary>
    [Fact]
    public void DiceRunningStatisticsMatchTheTrainingBatchesAfterOneShortEpoch()
    {
        var samples = Samples(800, seed: 14);
        var data = new CtrDataset("toy", samples, [], samples.Take(100).ToList());
        const int maxLength = 10, batchSize = 100;
        torch.manual_seed(13);
        using var model = ModelZoo.Create("din-dice-mba", FeatureSpace.From(data.Train, data.Vocabulary, maxLength), new ModelOptions { EmbeddingDim = 8 });
        var dices = model.modules().OfType<Dice>().ToList();
        Assert.Equal(4, dices.Count);   // two in the attention unit, two in the prediction MLP
        var inputs = dices.Select(_ => new List<Tensor>()).ToList();   // per Dice: its input (N, H) at each call
        var hooks = dices.Select((dice, i) => dice.register_forward_pre_hook((_, x) =>
        {
            inputs[i].Add(x.detach().to(ScalarType.Float64).DetachFromDisposeScope());
            return x;
        })).ToList();
        new Trainer(new TrainerConfig { Epochs = 1, BatchSize = batchSize, MaxLength = maxLength, Device = "cpu", Seed = 13 }).Fit(model, data);
        var trainingBatches = inputs.Select(list => list.ToList()).ToList();
        inputs.ForEach(list => list.Clear());
        model.eval();
        using (no_grad())
            foreach (var batch in BatchLoader.Batches(data.Train, data.Vocabulary, batchSize, maxLength))
            {
                using var owned = batch;
                using var step = NewDisposeScope();
                model.call(batch);
            }
        hooks.ForEach(h => h.remove());

        for (int i = 0; i < dices.Count; i++)
        {
            using var scope = NewDisposeScope();
            Assert.Equal(8, trainingBatches[i].Count);
            var buffers = dices[i].named_buffers().ToDictionary(b => b.name, b => b.buffer.to(ScalarType.Float64));
            var (runningMean, runningVar) = (buffers["standardize.running_mean"], buffers["standardize.running_var"]);   // (H)
            var batchMean = stack(trainingBatches[i].Select(x => x.mean([0])).ToArray()).mean([0]);   // (H) mean of batch means
            var batchVar = stack(trainingBatches[i].Select(x => x.var(0)).ToArray()).mean([0]);       // (H) mean of batch variances
            Assert.True(runningMean.allclose(batchMean, rtol: 1e-4, atol: 1e-6), $"Dice {i}: running mean is not the mean of the batch means");
            Assert.True(runningVar.allclose(batchVar, rtol: 1e-4, atol: 1e-8), $"Dice {i}: running variance is not the mean of the batch variances");

            var final = cat(inputs[i], 0);                                       // (N, H) what evaluation feeds this Dice
            var std = final.std(0);                                              // (H)
            var meanGap = ((runningMean - final.mean([0])).abs() / std).median().item<double>();
            var varianceRatio = (runningVar / std.square()).median().item<double>();
            output.WriteLine($"Dice {i} ({final.shape[1]} units): against the final weights' statistics, median |running mean − mean| / std " +
                             $"{meanGap:F3}, median running variance / variance {varianceRatio:F3}; median std {std.median().item<double>():F3}");
        }
        inputs.Concat(trainingBatches).SelectMany(list => list).ToList().ForEach(x => x.Dispose());
    }

    [Fact]
    public void DinReportsAttentionOnlyWhenAsked()
    {
        var samples = Samples(10, seed: 9);
        var (model, vocab) = Create("din", samples);
        model.eval();
        using var batch = Batch.Collate(samples, vocab, maxLength: 10);
        Assert.Empty(model.forward(batch).Diagnostics);
        model.CollectDiagnostics = true;
        var attention = model.forward(batch).Diagnostics["attention"];
        Assert.Equal(batch.Mask.shape, attention.shape);
        Assert.Equal(0f, attention.masked_select(batch.Mask.logical_not()).abs().sum().item<float>());
    }

    [Fact]
    public void ParameterCountsFollowTheArchitecture()
    {
        var samples = Samples(50, seed: 10);
        var vocab = FeatureVocabulary.Build(samples);
        long d = 32, e = 2 * d, embeddings = (vocab.Items.Size + vocab.Categories.Size) * d;
        // Linear(in, out) has in·out + out weights; PReLU and Dice one per hidden unit (Dice's standardization has none).
        static long Tower(long input, long[] hidden) =>
            hidden.Zip(hidden.Prepend(input), (h, i) => i * h + h + h).Sum() + hidden[^1] + 1;
        long mlp = Tower(2 * e, [200, 80]), attention = Tower(4 * e, [80, 40]);
        var space = FeatureSpace.From(samples, vocab, maxLength: 10);
        var options = new ModelOptions { EmbeddingDim = (int)d };
        var counts = ModelNames.ToDictionary(n => n, n => ModelZoo.Create(n, space, options).ParameterCount());
        Assert.Equal(embeddings + mlp, counts["avgpool"]);
        Assert.Equal(embeddings + attention + mlp, counts["din"]);
        Assert.Equal(embeddings + attention + mlp, counts["din-dice-mba"]);
        output.WriteLine($"embedding 32: embeddings {embeddings} (= 32 × {vocab.Items.Size + vocab.Categories.Size} rows), attention {attention}, MLP {mlp}; " +
                         string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}")));
    }

    /// <summary>
    /// Five-ish seconds per model. The rule is a match between the candidate and any one behaviour, which attention
    /// finds and an average blurs: DIN must nearly solve it, the baseline only clearly beat chance.
    /// </summary>
    [Theory]
    [InlineData("avgpool", 0.7)]
    [InlineData("din", 0.9)]
    [InlineData("din-dice-mba", 0.9)]
    public void SmokeTrainingLearnsCategoryMatching(string name, double minimumAuc)
    {
        torch.manual_seed(11);
        var samples = Samples(2000, seed: 12);
        var (train, test) = (samples.Take(1600).ToList(), samples.Skip(1600).ToList());
        var (model, vocab) = Create(name, train, embeddingDim: 8);
        using var optimizer = torch.optim.Adam(model.parameters(), lr: 1e-2);
        var clock = Stopwatch.StartNew();
        model.train();
        for (int epoch = 0; epoch < 6; epoch++)
            foreach (var batch in BatchLoader.Batches(train, vocab, batchSize: 100, maxLength: 10, shuffleSeed: epoch))
            {
                using var step = NewDisposeScope();
                using var _ = batch;
                optimizer.zero_grad();
                var result = model.forward(batch);
                var loss = nn.functional.binary_cross_entropy_with_logits(result.Logits, batch.Labels);
                if (result.Regularization is { } penalty) loss += penalty;
                loss.backward();
                optimizer.step();
            }
        model.eval();
        using var testBatch = Batch.Collate(test, vocab, maxLength: 10);
        float[] scores;
        using (no_grad()) scores = model.forward(testBatch).Logits.data<float>().ToArray();
        double auc = TestAuc.Of(scores, test.Select(s => s.Label).ToArray());
        output.WriteLine($"{name}: test AUC {auc:F3} after 6 epochs in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(auc > minimumAuc, $"{name} should learn the category-matching rule: test AUC {auc:F3}, expected > {minimumAuc}");
    }
}
