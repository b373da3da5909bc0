using DeepInterest.Data;
using DeepInterest.Layers;
using DeepInterest.Metrics;
using DeepInterest.Models;
using DeepInterest.Training;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DeepInterest.Tests;

/// <summary>
/// Smallest model worth training: [candidate; mean of history; candidate ⊙ mean] → linear. The product term lets it
/// learn "the candidate's category is in the history", the label of <see cref="TinyCtrData"/>.
/// </summary>
internal sealed class MeanPoolCtrModel : CtrModel
{
    private readonly BehaviorEmbedding embedding;
    private readonly Linear output;
    private readonly double l2;
    private int calls;

    /// <summary>The feature space with MBA counts for the trainer's default MaxLength, which these tests keep.</summary>
    public static FeatureSpace Space(CtrDataset data) => FeatureSpace.From(data.Train, data.Vocabulary, new TrainerConfig().MaxLength);

    public MeanPoolCtrModel(FeatureSpace space, double l2 = 1e-5) : base(nameof(MeanPoolCtrModel))
    {
        embedding = new BehaviorEmbedding(space, 8);
        output = nn.Linear(3 * embedding.Dim, 1);
        this.l2 = l2;
        RegisterComponents();
    }

    /// <summary>From this forward call on (1-based) the logits are NaN, to test the trainer's divergence check.</summary>
    public int? PoisonFromCall { get; init; }

    public override CtrOutput forward(Batch batch)
    {
        using var scope = NewDisposeScope();
        calls++;
        var candidate = embedding.call(batch.Items, batch.Categories);                 // (B, 2D)
        var history = embedding.call(batch.HistoryItems, batch.HistoryCategories);     // (B, T, 2D)
        var mask = batch.Mask.unsqueeze(-1).to_type(ScalarType.Float32);               // (B, T, 1)
        var mean = (history * mask).sum(1) / mask.sum(1).clamp_min(1);                 // (B, 2D)
        var logits = output.call(cat([candidate, mean, candidate * mean], -1)).squeeze(-1); // (B)
        if (calls >= PoisonFromCall) logits = logits * double.NaN;
        return new CtrOutput(logits.MoveToOuterDisposeScope())
        {
            Regularization = embedding.MiniBatchAwareL2(batch, l2).MoveToOuterDisposeScope(),
        };
    }
}

/// <summary>A hand-made, noise-free task: click iff the candidate's category occurs in the user's history.</summary>
internal static class TinyCtrData
{
    private const int Items = 40, Categories = 8;

    private static long CategoryOf(long item) => 100 + item % Categories;

    public static CtrDataset Create(int seed = 7, bool invertValidationLabels = false, bool withValidation = true)
    {
        var rng = new Random(seed);
        var train = Users(rng, 0, 200, invert: false);
        var validation = withValidation ? Users(rng, 1000, 50, invertValidationLabels) : [];
        var test = Users(rng, 2000, 50, invert: false);
        return new CtrDataset("tiny", train, validation, test);
    }

    private static List<CtrSample> Users(Random rng, long firstUser, int users, bool invert)
    {
        var samples = new List<CtrSample>();
        for (long user = firstUser; user < firstUser + users; user++)
            for (int impression = 0; impression < 4; impression++)
            {
                var history = Enumerable.Range(0, rng.Next(3, 9)).Select(_ => (long)rng.Next(Items)).ToArray();
                long item = rng.Next(Items);
                bool click = history.Any(h => CategoryOf(h) == CategoryOf(item)) ^ invert;
                samples.Add(new CtrSample
                {
                    User = user,
                    HistoryItems = history,
                    HistoryCategories = history.Select(CategoryOf).ToArray(),
                    HistoryTimes = history.Select((_, k) => 1_000L + 10 * k).ToArray(),
                    Item = item,
                    Category = CategoryOf(item),
                    Time = 1_000L + 10 * history.Length,
                    Label = click ? 1f : 0f,
                });
            }
        return samples;
    }
}

/// <summary>Collects reports on the training thread, unlike <see cref="Progress{T}"/> which posts them elsewhere.</summary>
internal sealed class RecordingProgress(Action<TrainingProgress>? onReport = null) : IProgress<TrainingProgress>
{
    public List<TrainingProgress> Reports { get; } = [];

    public void Report(TrainingProgress value)
    {
        Reports.Add(value);
        onReport?.Invoke(value);
    }
}

public class TrainerTests(ITestOutputHelper output)
{
    private static readonly TrainerConfig Quick = new() { Epochs = 3, BatchSize = 64, LearningRate = 0.05, Device = "cpu", Patience = 5 };

    [Theory]
    [InlineData(OptimizerKind.Adam, 0.05)]
    [InlineData(OptimizerKind.Adagrad, 0.1)]
    public void LearnsTheTinyTaskWellAboveChance(OptimizerKind optimizer, double learningRate)
    {
        var data = TinyCtrData.Create();
        using var model = new MeanPoolCtrModel(MeanPoolCtrModel.Space(data));
        var trainer = new Trainer(Quick with { Optimizer = optimizer, LearningRate = learningRate });

        var result = trainer.Fit(model, data);
        var test = CtrMetrics.Evaluate(trainer.Predict(model, data.Test, data.Vocabulary));

        foreach (var e in result.History)
            output.WriteLine($"{optimizer} epoch {e.Epoch}: loss {e.TrainLoss:F4} val AUC {e.ValidationAuc:F4} GAUC {e.ValidationGauc:F4} logloss {e.ValidationLogLoss:F4} {e.SamplesPerSecond:F0} samples/s");
        output.WriteLine($"{optimizer} test AUC {test.Auc:F4} GAUC {test.Gauc:F4}; best epoch {result.BestEpoch}, {result.TrainSamplesPerSecond:F0} samples/s");
        Assert.True(test.Auc > 0.7, $"test AUC {test.Auc:F4} should clearly beat chance");
        Assert.Equal(3, result.History.Count);
        Assert.True(result.History[^1].TrainLoss < result.History[0].TrainLoss, "training loss should fall");
        Assert.All(result.History, e => Assert.True(e.SamplesPerSecond > 0 && e.Seconds > 0));
        Assert.Equal(result.History.MaxBy(e => e.ValidationAuc)!.Epoch, result.BestEpoch);
        Assert.Equal(data.Test.Count, test.Count);
    }

    [Fact]
    public void SameSeedGivesTheSameAucOnCpu()
    {
        var data = TinyCtrData.Create();
        var space = MeanPoolCtrModel.Space(data);
        using var first = new MeanPoolCtrModel(space);
        using var second = new MeanPoolCtrModel(space);
        // Same starting weights without relying on the global RNG, which parallel tests share.
        second.load_state_dict(first.state_dict());
        var config = Quick with { Epochs = 2 };

        var a = new Trainer(config).Fit(first, data);
        var b = new Trainer(config).Fit(second, data);

        Assert.Equal(a.History.Select(e => e.ValidationAuc), b.History.Select(e => e.ValidationAuc));
        Assert.Equal(a.History.Select(e => e.TrainLoss), b.History.Select(e => e.TrainLoss));
    }

    [Theory]
    [InlineData(3, 1)]    // inside the first epoch
    [InlineData(7, 2)]    // the cap falls in the second epoch
    public void MaxStepsStopsAfterThatManyStepsInAll(int maxSteps, int epochs)
    {
        var data = TinyCtrData.Create();
        var config = Quick with { Epochs = 5, BatchSize = 200, MaxSteps = maxSteps, ProgressEvery = 1 };
        int stepsPerEpoch = (data.Train.Count + config.BatchSize - 1) / config.BatchSize;
        Assert.True(stepsPerEpoch is > 3 and < 7, $"the cases assume 4 to 6 steps per epoch, the tiny task has {stepsPerEpoch}");
        using var model = new MeanPoolCtrModel(MeanPoolCtrModel.Space(data));
        var reports = new List<TrainingProgress>();
        var trainer = new Trainer(config);

        var result = trainer.Fit(model, data, new SynchronousProgress(reports.Add));

        Assert.Equal(maxSteps, reports.Count);   // one report per step with ProgressEvery 1
        Assert.Equal(epochs, result.History.Count);
        Assert.Equal(maxSteps - (epochs - 1) * stepsPerEpoch, reports[^1].Step);
        Assert.All(result.History, e => Assert.False(double.IsNaN(e.ValidationAuc)));
    }

    [Fact]
    public void AStepCapBelowOneIsRejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(Quick with { MaxSteps = 0 }));

    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    [Fact]
    public void EarlyStoppingRestoresTheBestEpochsWeights()
    {
        // Validation labels are the opposite rule, so validation AUC falls as training succeeds: epoch 1 is best.
        var data = TinyCtrData.Create(invertValidationLabels: true);
        using var model = new MeanPoolCtrModel(MeanPoolCtrModel.Space(data));
        var trainer = new Trainer(Quick with { Epochs = 10, Patience = 1 });

        var result = trainer.Fit(model, data);
        double restoredAuc = CtrMetrics.Auc(trainer.Predict(model, data.Validation, data.Vocabulary).Probabilities,
            data.Validation.Select(s => s.Label).ToArray());

        output.WriteLine(string.Join(", ", result.History.Select(e => $"epoch {e.Epoch} val AUC {e.ValidationAuc:F4}")));
        Assert.Equal(1, result.BestEpoch);
        Assert.Equal(2, result.History.Count);  // epoch 2 did not improve and patience is 1
        Assert.Equal(result.History[0].ValidationAuc, restoredAuc, 12);
        Assert.NotEqual(result.History[1].ValidationAuc, restoredAuc);
    }

    [Fact]
    public void WithoutValidationTheLowestTrainingLossPicksTheEpoch()
    {
        var data = TinyCtrData.Create(withValidation: false);
        using var model = new MeanPoolCtrModel(MeanPoolCtrModel.Space(data));

        var result = new Trainer(Quick).Fit(model, data);

        Assert.All(result.History, e => Assert.True(double.IsNaN(e.ValidationAuc)));
        Assert.Equal(result.History.MinBy(e => e.TrainLoss)!.Epoch, result.BestEpoch);
    }

    [Fact]
    public void ReportsProgressEveryFewStepsAndNativeMemoryStaysFlat()
    {
        var data = TinyCtrData.Create();
        using var model = new MeanPoolCtrModel(MeanPoolCtrModel.Space(data));
        var liveTensors = new List<long>();
        var progress = new RecordingProgress(_ => liveTensors.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount));

        var result = new Trainer(Quick with { Epochs = 2, ProgressEvery = 3 }).Fit(model, data, progress);

        int steps = (data.Train.Count + 63) / 64;
        int[] reported = [3, 6, 9, 12, 13];
        Assert.Equal(13, steps);
        output.WriteLine($"live tensors per report: {string.Join(" ", liveTensors)}");
        Assert.Equal(reported.Concat(reported), progress.Reports.Select(r => r.Step));
        Assert.All(progress.Reports, r => Assert.True(r.StepsPerEpoch == steps && r.Epochs == 2 && double.IsFinite(r.RunningLoss)));
        // The last report of an epoch carries the epoch's mean loss.
        Assert.Equal(result.History.Select(e => e.TrainLoss), progress.Reports.Where(r => r.Step == steps).Select(r => r.RunningLoss));
        // Step 1 creates the optimizer's state; from then on every step must free what it allocates. Between the
        // epochs the only new tensors are the in-memory copy of the best weights, one per state_dict entry.
        int perEpoch = reported.Length;
        Assert.All(liveTensors.Take(perEpoch), count => Assert.Equal(liveTensors[0], count));
        Assert.All(liveTensors.Skip(perEpoch), count => Assert.Equal(liveTensors[0] + model.state_dict().Count, count));
    }

    [Fact]
    public void HowOftenLossesAreReadDoesNotChangeTraining()
    {
        var data = TinyCtrData.Create();
        var space = MeanPoolCtrModel.Space(data);
        using var everyStep = new MeanPoolCtrModel(space);
        using var rarely = new MeanPoolCtrModel(space);
        rarely.load_state_dict(everyStep.state_dict());
        var progress = new RecordingProgress();

        var a = new Trainer(Quick with { Epochs = 2, ProgressEvery = 1 }).Fit(everyStep, data, progress);
        var b = new Trainer(Quick with { Epochs = 2, ProgressEvery = 50 }).Fit(rarely, data);

        Assert.Equal(2 * 13, progress.Reports.Count);
        Assert.Equal(a.History.Select(e => e.TrainLoss), b.History.Select(e => e.TrainLoss));
        Assert.Equal(a.History.Select(e => e.ValidationAuc), b.History.Select(e => e.ValidationAuc));
    }

    [Fact]
    public void NonFiniteLossStopsWithEpochAndStep()
    {
        var data = TinyCtrData.Create();
        using var model = new MeanPoolCtrModel(MeanPoolCtrModel.Space(data)) { PoisonFromCall = 3 };

        var error = Assert.Throws<InvalidOperationException>(() => new Trainer(Quick).Fit(model, data));

        // Read at the epoch's last step (default ProgressEvery 20 > 13 steps), still naming the step that diverged.
        Assert.Contains("epoch 1, step 3 of 13", error.Message);
    }

    [Fact]
    public void CancellationStopsTraining()
    {
        var data = TinyCtrData.Create();
        using var model = new MeanPoolCtrModel(MeanPoolCtrModel.Space(data));

        Assert.ThrowsAny<OperationCanceledException>(() => new Trainer(Quick).Fit(model, data, ct: new CancellationToken(canceled: true)));
    }

    [Fact]
    public void MeasuresLatencyInEvalModeAndRestoresTrainingMode()
    {
        var data = TinyCtrData.Create();
        using var model = new MeanPoolCtrModel(MeanPoolCtrModel.Space(data));
        model.train();

        double msPerThousand = new Trainer(Quick).MeasureLatency(model, data.Test, data.Vocabulary, candidates: 500);

        output.WriteLine($"tiny model: {msPerThousand:F3} ms per 1,000 candidates");
        Assert.True(msPerThousand > 0 && double.IsFinite(msPerThousand));
        Assert.True(model.training);
    }

    [Fact]
    public void InvalidConfigurationIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(Quick with { BatchSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(Quick with { LearningRate = double.NaN }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(Quick with { ClipGradNorm = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(Quick with { Patience = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(Quick with { ProgressEvery = 0 }));
    }

    [Fact]
    public void DeviceSelectionParsesRequestsAndHonoursTheEnvironment()
    {
        Assert.Equal(DeviceType.CPU, DeviceSelection.Resolve("cpu", environmentValue: "cuda").type);
        Assert.Equal(DeviceType.CPU, DeviceSelection.Resolve(null, environmentValue: "cpu").type);
        Assert.Equal(DeviceType.CPU, DeviceSelection.Resolve("auto", environmentValue: " CPU ").type);
        Assert.Contains("\"cuda:N\"", Assert.Throws<ArgumentException>(() => DeviceSelection.Resolve("gpu", null)).Message);
        Assert.Contains("DEEPINTEREST_DEVICE", Assert.Throws<ArgumentException>(() => DeviceSelection.Resolve(null, "tpu")).Message);
        var expectedAuto = cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU;
        Assert.Equal(expectedAuto, DeviceSelection.Resolve(null, environmentValue: null).type);
    }

    [Fact]
    public void DeviceCheckRejectsWhatResolveRejects()
    {
        DeviceSelection.Check("cpu", environmentValue: "tpu");  // an explicit request overrides the environment
        DeviceSelection.Check("auto", environmentValue: null);
        DeviceSelection.Check(null, environmentValue: " CPU ");
        Assert.Contains("\"cuda:N\"", Assert.Throws<ArgumentException>(() => DeviceSelection.Check("gpu", null)).Message);
        Assert.Contains("DEEPINTEREST_DEVICE", Assert.Throws<ArgumentException>(() => DeviceSelection.Check("auto", "tpu")).Message);
        Assert.Throws<ArgumentException>(() => DeviceSelection.Check("cuda:-1", null));
    }

    [Fact]
    public void AskingForCudaWithoutItExplainsHowToGetIt()
    {
        if (cuda.is_available()) return;  // the error only exists on machines without a CUDA backend, like CI
        var error = Assert.Throws<InvalidOperationException>(() => DeviceSelection.Resolve("cuda:0", null));
        Assert.Contains("TorchSharp-cuda-linux", error.Message);
        Assert.Equal(error.Message, Assert.Throws<InvalidOperationException>(() => DeviceSelection.Check("cuda:0", null)).Message);
    }
}
