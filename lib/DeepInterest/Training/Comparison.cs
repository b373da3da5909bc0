using DeepInterest.Data;
using DeepInterest.Layers;
using DeepInterest.Metrics;
using DeepInterest.Models;
using TorchSharp;

namespace DeepInterest.Training;

/// <summary>One trained model's row in a comparison: test metrics (overall and per <see cref="CandidateStrata"/>), size and cost,
/// and the side fields it used.</summary>
public sealed record ModelResult(string Model, long Parameters, MetricReport Test, TrainingResult Training, double LatencyMsPer1000,
    CandidateStrata? Strata = null)
{
    /// <summary>Names of the side fields the model was given (empty: item and category only).</summary>
    public IReadOnlyList<string> Fields { get; init; } = [];
}

/// <summary>Trains several models of the <see cref="ModelZoo"/> on one data set under one seed and evaluates them on its test split.</summary>
public static class Comparison
{
    /// <param name="progress">Called with the model's name at every progress report (see <see cref="TrainerConfig.ProgressEvery"/>).</param>
    /// <param name="latencyCandidates">Candidates scored per latency pass (the result is per 1,000 either way).</param>
    public static List<ModelResult> Run(CtrDataset data, IReadOnlyList<string> models, TrainerConfig config,
        ModelOptions? options = null, Action<string, TrainingProgress>? progress = null, CancellationToken cancellation = default,
        int latencyCandidates = 1000)
    {
        foreach (var name in models) ModelZoo.Describe(name); // fail on a typo before hours of training
        // MBA counts what the batches feed; DSIN and BST read whether times are clock times; every model reads the side fields
        var space = FeatureSpace.From(data.Train, data.Vocabulary, config.MaxLength) with { Times = data.Times };
        var trainer = new Trainer(config);
        var candidateInHistory = ProtocolStatistics.CandidateInHistory(data.Test, config.MaxLength);
        var results = new List<ModelResult>();
        foreach (var name in models)
        {
            torch.manual_seed(config.Seed); // same initialisation for a model under a seed, whatever ran before it
            using var model = ModelZoo.Create(name, space, options);
            var reporter = progress is null ? null : new StepReporter(p => progress(name, p));
            var training = trainer.Fit(model, data, reporter, cancellation);
            var predictions = trainer.Predict(model, data.Test, data.Vocabulary);
            var latency = trainer.MeasureLatency(model, data.Test, data.Vocabulary, latencyCandidates);
            results.Add(new ModelResult(name, model.ParameterCount(), CtrMetrics.Evaluate(predictions), training, latency,
                CandidateStrata.Measure(predictions, candidateInHistory)) { Fields = space.Fields.Select(f => f.Name).ToList() });
        }
        return results;
    }
}

/// <summary>Reports synchronously on the training thread (System.Progress would post to the thread pool, out of order).</summary>
internal sealed class StepReporter(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}
