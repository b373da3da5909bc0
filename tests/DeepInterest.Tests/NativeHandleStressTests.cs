using DeepInterest.Data;
using DeepInterest.Layers;
using DeepInterest.Models;
using DeepInterest.Platform;
using DeepInterest.Training;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DeepInterest.Tests;

/// <summary>
/// TorchSharp hands native handles of managed objects (implicit Scalars above all) to libtorch without keeping the
/// objects alive, so a garbage collection on another thread could finalize them mid-call. The build rewrites
/// TorchSharp.dll so that it cannot (lib/Build/KeepNativeArgumentsAlive.cs). These tests drive every native path of the
/// kit while another thread collects garbage without pause; against the published TorchSharp.dll the first one
/// failed within a second in every run. They seed libtorch's global generator and compare passes draw for draw (the
/// attention test re-seeds every pass), so they run alone in <see cref="GlobalRandomStream"/>: in parallel, another
/// test's draws would change one pass, and their seeding would give another test's "fresh" models equal weights.
/// </summary>
[Collection(nameof(GlobalRandomStream))]
public class NativeHandleStressTests(ITestOutputHelper output)
{
    /// <summary>A thread that runs full blocking collections and finalizers back to back until disposed.</summary>
    private sealed class GcPressure : IDisposable
    {
        private readonly Thread thread;
        private volatile bool stop;

        public GcPressure()
        {
            thread = new Thread(() =>
            {
                while (!stop)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    Collections++;
                }
            }) { IsBackground = true, Name = "GC pressure" };
            thread.Start();
        }

        public int Collections { get; private set; }

        public void Dispose()
        {
            stop = true;
            thread.Join();
        }
    }

    [Fact]
    public void LoadedTorchSharpIsTheRewrittenCopy()
    {
        Assert.NotNull(TorchNatives.KeepAliveRule);
        TorchNatives.RequireKeepAlive();
    }

    /// <summary>
    /// The reproduction (an integer counter's add_(1) and x * 0.5 + 1.0 in a tight loop), then the same with the other
    /// implicit Scalars the kit's layers use: the implicit alpha of add(Tensor), masked_fill with a double, clamp_min,
    /// and BatchNorm's own counter inside Dice in training and evaluation, and the masked softmax.
    /// </summary>
    [Fact]
    public void ImplicitScalarsSurviveConcurrentCollections()
    {
        using var x = ones(64);
        using var counter = zeros(1, dtype: ScalarType.Int64);
        using var mask = rand(8, 16) > 0.3;                                                   // (8, 16) bool
        using var scores = randn(8, 16);
        var dice = new Dice(16);
        long iterations = 0;
        using var pressure = new GcPressure();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(3))
        {
            for (int i = 0; i < 1000; i++, iterations++)
            {
                counter.add_(1);
                using var y = x * 0.5 + 1.0;
                using var z = y.add(x).clamp_min(1).masked_fill(y > 2, double.NegativeInfinity);
            }
        }
        for (int i = 0; i < 200; i++)
        {
            using var scope = NewDisposeScope();
            var weights = LocalActivationUnit.MaskedSoftmax(scores, mask);                   // (8, 16)
            dice.train();
            var trained = dice.call(scores);                                                 // (8, 16) batch statistics
            dice.eval();
            var evaluated = dice.call(scores);                                               // (8, 16) running statistics
            Assert.True(weights.sum(1).allclose(ones(8), atol: 1e-5));
            Assert.True(trained.isfinite().all().item<bool>() && evaluated.isfinite().all().item<bool>());
        }
        Assert.Equal(iterations, counter.item<long>());
        output.WriteLine($"{iterations:N0} iterations against {pressure.Collections:N0} full collections ({typeof(torch).Assembly.Location}, rule {TorchNatives.KeepAliveRule})");
        Assert.True(pressure.Collections > 10, $"only {pressure.Collections} collections ran: no pressure was applied");
    }

    /// <summary>
    /// The fused GRU's step loops in two parts of rows, one of them in managed code on libtorch's OpenMP worker thread,
    /// forward and backward over and over under the same pressure: every pass gives the values of the first.
    /// </summary>
    [Fact]
    public void FusedGruInPartsOfRowsSurvivesConcurrentCollections()
    {
        using var threadCount = TestSetup.Threads(2);
        using var scope = NewDisposeScope();
        random.manual_seed(5);
        var gru = new MaskedGru(16, 16, UpdateGateAttention.Scale);
        var lengths = randint(0, 21, [128, 1]);                                           // (128, 1)
        var mask = arange(20).unsqueeze(0).ge(20 - lengths);                             // (128, 20) left padding
        var inputs = randn(128, 20, 16).requires_grad_();
        var attention = rand(128, 20);
        Assert.Equal(2, RowParts.For(StepRows.Of(mask).Counts));
        RepeatUnderPressure(() =>
        {
            inputs.grad?.zero_();
            var result = gru.forward(inputs, mask, attention);
            (result.Outputs.sum() + result.Final.sum()).backward();
            return [result.Final.detach().clone(), inputs.grad!.clone()];
        }, (first, again) => first.allclose(again, 1e-5, 1e-6));
    }

    /// <summary>
    /// The kit's attention kernel (BST's and DSIN's on the CPU) in two parts of (sequence, head) pairs, dropout on, forward
    /// and backward over and over under the same pressure: with the same seed every pass gives the values of the first.
    /// </summary>
    [Fact]
    public void AttentionKernelSurvivesConcurrentCollections()
    {
        using var threadCount = TestSetup.Threads(2);
        using var scope = NewDisposeScope();
        random.manual_seed(6);
        var (queries, keys, values) = (randn(64, 21, 32).requires_grad_(), randn(64, 21, 32).requires_grad_(), randn(64, 21, 32).requires_grad_());
        var mask = arange(21).unsqueeze(0).ge(randint(0, 22, [64, 1]));                 // (64, 21) left padding
        Assert.True(SelfAttentionKernels.Supports(queries, 8));
        RepeatUnderPressure(() =>
        {
            queries.grad?.zero_();
            random.manual_seed(7);                                                       // the same dropout draws
            var attended = SelfAttentionFunction.Apply(queries, keys, values, mask, heads: 4, dropout: 0.1);
            attended.sum().backward();
            return [attended.detach().clone(), queries.grad!.clone()];
        }, (first, again) => first.equal(again).all().item<bool>());
    }

    /// <summary>
    /// Runs <paramref name="pass"/> once, then again and again for two seconds under <see cref="GcPressure"/>: each of its
    /// results must <paramref name="agree"/> with the first pass's, and enough collections must have run meanwhile.
    /// </summary>
    private void RepeatUnderPressure(Func<Tensor[]> pass, Func<Tensor, Tensor, bool> agree)
    {
        var first = pass();
        int passes = 0;
        using var pressure = new GcPressure();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(2))
        {
            using var passScope = NewDisposeScope();
            var results = pass();
            Assert.True(first.Zip(results).All(pair => agree(pair.First, pair.Second)), $"pass {passes} differs");
            passes++;
        }
        output.WriteLine($"{passes} passes, {pressure.Collections:N0} full collections");
        Assert.True(pressure.Collections > 10, $"only {pressure.Collections} collections ran: no pressure was applied");
    }

    /// <summary>Every model of the course trains one epoch (forward, backward, clipping, optimizer step), is validated
    /// and predicts, under the same pressure; Adam for some, Adagrad for the others.</summary>
    [Fact]
    public void EveryModelTrainsAndEvaluatesUnderConcurrentCollections()
    {
        var world = SyntheticData.Generate(SyntheticConfig.Tiny with { Users = 40, Seed = 3 });
        var data = world.ToDataset(seed: 3);
        using var pressure = new GcPressure();
        foreach (var (name, index) in ModelZoo.Course.Select((name, index) => (name, index)))
        {
            var optimizer = index % 2 == 0 ? OptimizerKind.Adam : OptimizerKind.Adagrad;
            var trainer = new Trainer(new TrainerConfig { Epochs = 1, BatchSize = 32, MaxLength = 20, Device = "cpu", Optimizer = optimizer, Seed = index });
            using var model = ModelZoo.Create(name, FeatureSpace.From(data.Train, data.Vocabulary, trainer.Config.MaxLength), new ModelOptions { EmbeddingDim = 8 });
            var result = trainer.Fit(model, data);
            var predictions = trainer.Predict(model, data.Test, data.Vocabulary);
            Assert.All(predictions.Probabilities, p => Assert.InRange(p, 0, 1));
            Assert.False(double.IsNaN(result.History[0].TrainLoss), $"{name}: NaN training loss");
            output.WriteLine($"{name} ({optimizer}): loss {result.History[0].TrainLoss:F3}, validation AUC {result.History[0].ValidationAuc:F3}");
        }
        output.WriteLine($"{pressure.Collections:N0} full collections during training");
        Assert.True(pressure.Collections > 10, $"only {pressure.Collections} collections ran: no pressure was applied");
    }
}
