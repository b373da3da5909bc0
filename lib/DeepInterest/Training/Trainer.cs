using System.Diagnostics;
using DeepInterest.Benchmarks;
using DeepInterest.Data;
using DeepInterest.Metrics;
using DeepInterest.Models;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace DeepInterest.Training;

/// <summary>
/// Trains any <see cref="CtrModel"/> on a <see cref="CtrDataset"/>: loss = BCE-with-logits + the model's auxiliary
/// loss + its regularization; Adam or Adagrad with optional gradient-norm clipping; early stopping on validation AUC
/// (or, without a validation split, on training loss) and the best epoch's weights restored at the end.
/// Each step runs in its own dispose scope, so native memory stays flat over an epoch.
/// </summary>
public sealed class Trainer
{
    public Trainer(TrainerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Device = DeviceSelection.Resolve(config.Device);
    }

    public TrainerConfig Config { get; }
    public Device Device { get; }

    /// <summary>Trains <paramref name="model"/> (moved to <see cref="Device"/>) and leaves it holding the best epoch's weights.</summary>
    public TrainingResult Fit(CtrModel model, CtrDataset data, IProgress<TrainingProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        manual_seed(Config.Seed);
        model.to(Device);
        using var optimizer = CreateOptimizer(model);
        var history = new List<EpochRecord>();
        using var best = new BestWeights();
        var clock = Stopwatch.StartNew();
        double trainingSeconds = 0;
        long trainedSamples = 0;
        // Looked up in the vocabulary once; every epoch's batches only copy indices.
        var train = IndexedSamples.Build(data.Train, data.Vocabulary, Config.MaxLength);
        var validationSplit = data.Validation.Count > 0 ? IndexedSamples.Build(data.Validation, data.Vocabulary, Config.MaxLength) : null;
        int stepsLeft = Config.MaxSteps ?? int.MaxValue;
        for (int epoch = 1; epoch <= Config.Epochs && stepsLeft > 0; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            var (trainLoss, epochSamples, epochSteps) = TrainEpoch(model, optimizer, train, epoch, stepsLeft, progress, ct);
            stepsLeft -= epochSteps;
            double epochTrainingSeconds = epochClock.Elapsed.TotalSeconds;
            MetricReport? validation = validationSplit is null ? null : CtrMetrics.Evaluate(Predict(model, validationSplit));
            history.Add(new EpochRecord(epoch, trainLoss, validation?.Auc ?? double.NaN, validation?.Gauc ?? double.NaN,
                validation?.LogLoss ?? double.NaN, epochClock.Elapsed.TotalSeconds, epochSamples / epochTrainingSeconds));
            trainingSeconds += epochTrainingSeconds;
            trainedSamples += epochSamples;

            // Without a validation split, the lowest training loss picks the epoch (higher score is better).
            double score = validation?.Auc ?? -trainLoss;
            if (best.Offer(model, epoch, score))
            {
                if (Config.CheckpointDirectory is { } folder)
                    Checkpoint.Save(model, Path.Combine(folder, Checkpoint.BestFileName));
            }
            else if (epoch - best.Epoch >= Config.Patience) break;
        }
        best.Restore(model);
        return new TrainingResult(history, best.Epoch, clock.Elapsed.TotalSeconds, trainedSamples / trainingSeconds);
    }

    /// <summary>Click probabilities for <paramref name="samples"/> in their order (eval mode, no gradients).</summary>
    public Predictions Predict(CtrModel model, IReadOnlyList<CtrSample> samples, FeatureVocabulary vocab)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(vocab);
        return Predict(model, samples, BatchLoader.Batches(samples, vocab, Config.BatchSize, Config.MaxLength, Device));
    }

    /// <summary>Click probabilities for samples already looked up in the vocabulary, in their order (eval mode, no gradients).</summary>
    public Predictions Predict(CtrModel model, IndexedSamples indexed)
    {
        ArgumentNullException.ThrowIfNull(indexed);
        return Predict(model, indexed.Samples, BatchLoader.Batches(indexed, Config.BatchSize, Config.MaxLength, Device));
    }

    /// <summary>Scores <paramref name="batches"/>, which cut <paramref name="samples"/> in their order.</summary>
    private Predictions Predict(CtrModel model, IReadOnlyList<CtrSample> samples, IEnumerable<Batch> batches)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (samples.Count == 0) throw new ArgumentException("nothing to predict: no samples", nameof(samples));
        model.to(Device);
        bool wasTraining = model.training;
        model.eval();
        var probabilities = new double[samples.Count];
        var users = new long[samples.Count];
        int offset = 0;
        try
        {
            using var noGradients = no_grad();
            foreach (var batch in batches)
            {
                using var owned = batch;
                using var scope = NewDisposeScope();
                var scores = model.call(batch).Logits.sigmoid().to(ScalarType.Float64).cpu().data<double>().ToArray(); // (B)
                scores.CopyTo(probabilities, offset);
                batch.Users.CopyTo(users, offset);
                offset += batch.Size;
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        return new Predictions(probabilities, samples.Select(s => s.Label).ToArray(), users);
    }

    /// <summary>
    /// Inference time in milliseconds per 1,000 candidates: <paramref name="candidates"/> samples (cycling through
    /// <paramref name="samples"/>) are collated once on the device, scored once to warm up, then scored three times in
    /// batches of <see cref="TrainerConfig.BatchSize"/> (eval mode, no gradients, probabilities copied back to the
    /// host as a server would); the median pass is reported.
    /// </summary>
    public double MeasureLatency(CtrModel model, IReadOnlyList<CtrSample> samples, FeatureVocabulary vocab, int candidates = 1000)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (samples.Count == 0) throw new ArgumentException("latency needs at least one sample", nameof(samples));
        if (candidates < 1) throw new ArgumentOutOfRangeException(nameof(candidates), candidates, "score at least one candidate");
        model.to(Device);
        bool wasTraining = model.training;
        model.eval();
        var pool = Enumerable.Range(0, candidates).Select(i => samples[i % samples.Count]).ToList();
        var batches = BatchLoader.Batches(pool, vocab, Config.BatchSize, Config.MaxLength, Device).ToList();
        try
        {
            using var noGradients = no_grad();
            ScoreAll(model, batches);
            return Timing.Median(Enumerable.Range(0, 3).Select(_ => ScoreAll(model, batches)).ToArray()) * 1000.0 / candidates;
        }
        finally
        {
            batches.ForEach(b => b.Dispose());
            model.train(wasTraining);
        }
    }

    /// <summary>
    /// Training throughput in samples per second and, on the CPU, the median step's time: <paramref name="steps"/>
    /// optimizer steps on batches of <see cref="TrainerConfig.BatchSize"/> samples cycled from <paramref name="samples"/>,
    /// collated once beforehand, so the number is the model's forward + backward + update cost alone. The model's weights
    /// change: use a throwaway model. Before the timed steps come at least <paramref name="warmup"/> untimed ones, and at
    /// least <paramref name="warmupSeconds"/> of them: for the first seconds of a process .NET's tiered compilation
    /// recompiles hot methods on a background thread, which on a machine with few cores takes a core from libtorch's
    /// threads (measured on 2 cores: with 3 warm-up steps, the first models' median steps read up to 1.7× as long as with
    /// tiered compilation switched off, their means far above their medians).
    /// </summary>
    public TrainingThroughput MeasureTrainingThroughput(CtrModel model, IReadOnlyList<CtrSample> samples, FeatureVocabulary vocab, int steps = 20,
        int warmup = 3, double warmupSeconds = 2)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (samples.Count == 0) throw new ArgumentException("throughput needs at least one sample", nameof(samples));
        if (steps < 1 || warmup < 0 || warmupSeconds < 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "time at least one step, after zero or more warm-up steps");
        model.to(Device);
        model.train();
        using var optimizer = CreateOptimizer(model);
        var pool = Enumerable.Range(0, Config.BatchSize * Math.Max(1, Math.Min(steps, 4))).Select(i => samples[i % samples.Count]).ToList();
        var batches = BatchLoader.Batches(pool, vocab, Config.BatchSize, Config.MaxLength, Device).ToList();
        double realShare = batches.Sum(b => b.Mask.sum().item<long>()) / (double)batches.Sum(b => b.Mask.numel());
        using var losses = new LossWindow(Config.ProgressEvery, Device);
        var stepMilliseconds = new double[steps];
        void Step(int i, bool last)
        {
            TrainStep(model, optimizer, batches[i % batches.Count], losses, i + 1);
            if (losses.IsFull || last) ThrowIfNonFinite(losses.Drain(), epoch: 0, steps);
        }
        try
        {
            var warming = Stopwatch.StartNew();
            for (int i = 0; i < warmup || warming.Elapsed.TotalSeconds < warmupSeconds; i++)
                Step(i, last: false);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < steps; i++)
            {
                long start = Stopwatch.GetTimestamp();
                Step(i, last: i + 1 == steps);
                stepMilliseconds[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
            double samplesPerSecond = steps * (double)Config.BatchSize / clock.Elapsed.TotalSeconds;
            return new TrainingThroughput(samplesPerSecond, Device.type == DeviceType.CPU ? Timing.Median(stepMilliseconds) : null, realShare);
        }
        finally
        {
            batches.ForEach(b => b.Dispose());
        }
    }

    private static double ScoreAll(CtrModel model, List<Batch> batches)
    {
        var clock = Stopwatch.StartNew();
        foreach (var batch in batches)
        {
            using var scope = NewDisposeScope();
            _ = model.call(batch).Logits.sigmoid().cpu().data<float>().ToArray();
        }
        return clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>One epoch, or its first <paramref name="maxSteps"/> steps: the mean loss, the samples and the steps trained.</summary>
    private (double Loss, long Samples, int Steps) TrainEpoch(CtrModel model, optim.Optimizer optimizer, IndexedSamples train, int epoch,
        int maxSteps, IProgress<TrainingProgress>? progress, CancellationToken ct)
    {
        model.train();
        int steps = Math.Min(maxSteps, (train.Count + Config.BatchSize - 1) / Config.BatchSize);
        int shuffleSeed = unchecked(Config.Seed * 1_000_003 + epoch);
        using var losses = new LossWindow(Config.ProgressEvery, Device);
        double lossSum = 0;
        long seen = 0;
        int step = 0;
        foreach (var batch in BatchLoader.Batches(train, Config.BatchSize, Config.MaxLength, Device, shuffleSeed))
        {
            using var owned = batch;
            ct.ThrowIfCancellationRequested();
            step++;
            TrainStep(model, optimizer, batch, losses, step);
            if (!losses.IsFull && step < steps) continue;
            var (weightedSum, samples) = ThrowIfNonFinite(losses.Drain(), epoch, steps);
            lossSum += weightedSum;
            seen += samples;
            progress?.Report(new TrainingProgress(epoch, Config.Epochs, step, steps, lossSum / seen));
            if (step == steps) break;
        }
        return (lossSum / seen, seen, step);
    }

    /// <summary>One optimizer step; its loss goes to <paramref name="losses"/> on the device, unread.</summary>
    private void TrainStep(CtrModel model, optim.Optimizer optimizer, Batch batch, LossWindow losses, int step)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var output = model.call(batch);
        var loss = binary_cross_entropy_with_logits(output.Logits, batch.Labels);  // scalar, mean over B
        if (output.AuxiliaryLoss is { } auxiliary) loss = loss + auxiliary;
        if (output.Regularization is { } regularization) loss = loss + regularization;
        losses.Add(loss, batch.Size, step);
        loss.backward();
        if (Config.ClipGradNorm is { } maxNorm) GradientClipping.ClipGradientNorm(model.parameters(), maxNorm);
        optimizer.step();
    }

    /// <summary>
    /// The drained window's sum and sample count, or the divergence error naming the first step whose loss was not
    /// finite. The check runs when the window is read (at the latest at the epoch's last step), so the optimizer may
    /// have taken a few more steps on a diverged model before training stops.
    /// </summary>
    private (double WeightedSum, long Samples) ThrowIfNonFinite((double WeightedSum, long Samples, (float Value, int Step)? NonFinite) read, int epoch, int steps)
    {
        if (read.NonFinite is { } bad)
            throw new InvalidOperationException(
                $"training loss became {bad.Value} at epoch {epoch}, step {bad.Step} of {steps}; try a lower learning rate " +
                $"(now {Config.LearningRate}) or gradient clipping (now {Config.ClipGradNorm?.ToString() ?? "off"})");
        return (read.WeightedSum, read.Samples);
    }

    private optim.Optimizer CreateOptimizer(CtrModel model) => Config.Optimizer switch
    {
        OptimizerKind.Adam => new FusedAdam(model.parameters(), Config.LearningRate),
        OptimizerKind.Adagrad => optim.Adagrad(model.parameters(), Config.LearningRate),
        _ => throw new ArgumentOutOfRangeException(nameof(Config.Optimizer), Config.Optimizer, "unknown optimizer"),
    };
}
