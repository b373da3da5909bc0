namespace DeepInterest.Training;

public enum OptimizerKind { Adam, Adagrad }

/// <summary>How <see cref="Trainer"/> trains: sizes, optimizer, early stopping, seed, device and checkpoints.</summary>
public sealed record TrainerConfig
{
    public int Epochs { get; init; } = 3;
    /// <summary>
    /// When set, training stops after this many optimizer steps in all (counted across epochs), even inside an epoch;
    /// the epoch it stops in is validated and recorded like a full one. For measuring (memory, speed) on large data.
    /// </summary>
    public int? MaxSteps { get; init; }
    public int BatchSize { get; init; } = 256;
    /// <summary>Most recent behaviours kept per history.</summary>
    public int MaxLength { get; init; } = 50;
    public double LearningRate { get; init; } = 2e-3;
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;
    /// <summary>Maximum global L2 norm of the gradient; null turns clipping off.</summary>
    public double? ClipGradNorm { get; init; } = 5.0;
    /// <summary>Training stops after this many epochs in a row without a better validation AUC (at least 1; ≥ <see cref="Epochs"/> never stops early).</summary>
    public int Patience { get; init; } = 2;
    /// <summary>Seeds libtorch (dropout, sampling) and the per-epoch shuffles: one seed, one result on CPU.</summary>
    public int Seed { get; init; } = 42;
    /// <summary>"cpu", "cuda", "cuda:N", or null / "auto" (see <see cref="DeviceSelection.Resolve(string)"/>).</summary>
    public string? Device { get; init; }
    /// <summary>When set, the best epoch's weights are also written to <c>best.dat</c> in this folder.</summary>
    public string? CheckpointDirectory { get; init; }
    /// <summary>
    /// Training steps between progress reports, which are also the only times the step losses are copied from the
    /// device (a non-finite loss is caught there); an epoch's last step always reports.
    /// </summary>
    public int ProgressEvery { get; init; } = 20;

    /// <summary>Throws a clear error for settings that cannot train.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "train for at least one epoch");
        if (MaxSteps < 1) throw new ArgumentOutOfRangeException(nameof(MaxSteps), MaxSteps, "a step cap must allow at least one step (or be null for none)");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "batch size must be at least 1");
        if (MaxLength < 1) throw new ArgumentOutOfRangeException(nameof(MaxLength), MaxLength, "maximum history length must be at least 1");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "learning rate must be a positive number");
        if (ClipGradNorm is { } clip && !(clip > 0))
            throw new ArgumentOutOfRangeException(nameof(ClipGradNorm), clip, "gradient clipping norm must be positive (or null for no clipping)");
        if (ProgressEvery < 1) throw new ArgumentOutOfRangeException(nameof(ProgressEvery), ProgressEvery, "report progress at least every step (1) or less often");
        if (Patience < 1) throw new ArgumentOutOfRangeException(nameof(Patience), Patience, "patience must be at least 1 epoch; set it to Epochs or more to never stop early");
        if (!Enum.IsDefined(Optimizer)) throw new ArgumentOutOfRangeException(nameof(Optimizer), Optimizer, "unknown optimizer");
    }
}

/// <summary>
/// One epoch: mean training loss (BCE plus auxiliary and regularization terms, averaged over samples) and the
/// validation metrics — NaN when the data set has no validation split. <see cref="Seconds"/> is the whole epoch
/// (training and validation); <see cref="SamplesPerSecond"/> is the training phase's throughput.
/// </summary>
public sealed record EpochRecord(int Epoch, double TrainLoss, double ValidationAuc, double ValidationGauc, double ValidationLogLoss,
    double Seconds, double SamplesPerSecond);

/// <summary>Per-epoch history, the (1-based) epoch whose weights the model holds now, and overall training time and throughput.</summary>
public sealed record TrainingResult(IReadOnlyList<EpochRecord> History, int BestEpoch, double TrainSeconds, double TrainSamplesPerSecond);

/// <summary>
/// <see cref="Trainer.MeasureTrainingThroughput"/>'s result: samples per second over all timed steps, and on the CPU the
/// median step's milliseconds, which a machine shared with other work disturbs less than the mean (a few steps that
/// wait for a core can double it). Null on other devices, whose steps return before their kernels finish.
/// <see cref="RealShare"/>: the share of the timed batches' history positions that are real behaviours, not padding.
/// </summary>
public sealed record TrainingThroughput(double SamplesPerSecond, double? MedianStepMilliseconds, double RealShare);

/// <summary>
/// Reported every <see cref="TrainerConfig.ProgressEvery"/> steps and at an epoch's last step; <see cref="RunningLoss"/>
/// is the mean training loss (BCE plus auxiliary and regularization terms, weighted by batch size) of the epoch's steps
/// 1..<see cref="Step"/>.
/// </summary>
public sealed record TrainingProgress(int Epoch, int Epochs, int Step, int StepsPerEpoch, double RunningLoss);

/// <summary>Click probabilities with the labels and users they belong to, in sample order.</summary>
public sealed record Predictions(double[] Probabilities, float[] Labels, long[] Users);
