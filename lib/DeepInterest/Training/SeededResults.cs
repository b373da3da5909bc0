using DeepInterest.Data;
using DeepInterest.Metrics;

namespace DeepInterest.Training;

/// <summary>The mean of one metric over seeds and its sample standard deviation (divisor n − 1); null with one seed.</summary>
public readonly record struct MeanStd(double Mean, double? Std)
{
    public static MeanStd Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("mean and standard deviation of no values", nameof(values));
        for (int i = 0; i < values.Count; i++)
            if (!double.IsFinite(values[i])) throw new ArgumentException($"value {i} is {values[i]}; mean and standard deviation need finite values", nameof(values));
        double mean = values.Average();
        if (values.Count == 1) return new MeanStd(mean, null);
        double squares = values.Sum(v => (v - mean) * (v - mean));
        return new MeanStd(mean, Math.Sqrt(squares / (values.Count - 1)));
    }

    /// <summary>"0.7508 ± 0.0193", or "0.7508" without a spread.</summary>
    public string Format(string format) => Std is { } std ? $"{Mean.ToString(format)} ± {std.ToString(format)}" : Mean.ToString(format);
}

/// <summary>
/// One seed's comparison: the seed, a description of the data set built under it, its Bayes-optimal test AUC (synthetic
/// data only) and every model's result. The data set itself is not kept, so several seeds do not hold several copies.
/// </summary>
public sealed record SeedRun(int Seed, string Data, double? OracleAuc, IReadOnlyList<ModelResult> Results)
{
    public static SeedRun From(int seed, CtrDataset data, IReadOnlyList<ModelResult> results) =>
        new(seed, data.ToString(), CtrMetrics.OracleAuc(data.Test), results);
}

/// <summary>
/// One model over several seeds: test AUC, GAUC and log loss as mean ± sample std; the cost columns (parameters,
/// which follow the vocabulary of each seed's split, training time, throughput, latency) as means.
/// </summary>
public sealed record SeededResult(string Model, IReadOnlyList<int> Seeds, IReadOnlyList<ModelResult> Runs)
{
    public MeanStd Auc => MeanStd.Of(Runs.Select(r => r.Test.Auc).ToList());
    public MeanStd Gauc => MeanStd.Of(Runs.Select(r => r.Test.Gauc).ToList());
    public MeanStd LogLoss => MeanStd.Of(Runs.Select(r => r.Test.LogLoss).ToList());
    /// <summary>AUC on the test pairs whose candidate is not in its history (<see cref="CandidateStrata"/>); null unless every run has it.</summary>
    public MeanStd? NewCandidateAuc => Stratum(r => r.NewCandidateAuc);
    /// <summary>AUC on the test pairs whose candidate is in its history; null unless every run has it (none on MovieLens).</summary>
    public MeanStd? RepeatCandidateAuc => Stratum(r => r.RepeatCandidateAuc);
    public long Parameters => (long)Math.Round(Runs.Average(r => (double)r.Parameters));
    public double TrainSeconds => Runs.Average(r => r.Training.TrainSeconds);
    public double TrainSamplesPerSecond => Runs.Average(r => r.Training.TrainSamplesPerSecond);
    public double LatencyMsPer1000 => Runs.Average(r => r.LatencyMsPer1000);
    /// <summary>The side fields the model used (those of the first seed's data; every seed's data set has the same fields).</summary>
    public IReadOnlyList<string> Fields => Runs[0].Fields;

    private MeanStd? Stratum(Func<CandidateStrata, double?> auc)
    {
        var values = Runs.Select(r => r.Strata is null ? null : auc(r.Strata)).ToList();
        return values.All(v => v is not null) ? MeanStd.Of(values.Select(v => v!.Value).ToList()) : null;
    }

    /// <summary>One entry per model, in the first run's order. Every run must hold the same models and the seeds must differ.</summary>
    public static IReadOnlyList<SeededResult> Combine(IReadOnlyList<SeedRun> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0) throw new ArgumentException("no seed runs to combine", nameof(runs));
        if (runs.GroupBy(r => r.Seed).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"seed {twice.Key} appears twice; each seed runs once", nameof(runs));
        var models = runs[0].Results.Select(r => r.Model).ToList();
        foreach (var run in runs.Skip(1))
            if (!run.Results.Select(r => r.Model).SequenceEqual(models))
                throw new ArgumentException($"seed {run.Seed} ran {string.Join(", ", run.Results.Select(r => r.Model))}, " +
                                            $"but seed {runs[0].Seed} ran {string.Join(", ", models)}", nameof(runs));
        var seeds = runs.Select(r => r.Seed).ToList();
        return models.Select((model, i) => new SeededResult(model, seeds, runs.Select(r => r.Results[i]).ToList())).ToList();
    }
}
