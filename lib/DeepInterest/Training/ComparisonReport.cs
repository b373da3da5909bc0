using System.Text.Json;
using System.Text.Json.Serialization;
using DeepInterest.Data;
using DeepInterest.Metrics;
using DeepInterest.Plots;

namespace DeepInterest.Training;

/// <summary>Writes a comparison as <c>results.json</c> (a stable, documented schema) and as an offline HTML report.</summary>
public static class ComparisonReport
{
    /// <summary>The model every RelaImpr is measured against (DIN paper Eq. 10).</summary>
    public const string Baseline = "avgpool";

    public static readonly IReadOnlyList<string> Header =
        ["model", "params", "test AUC", "GAUC", "logloss", $"RelaImpr vs {Baseline}", "train s", "train samples/s", "ms / 1,000 cand."];

    /// <summary>One formatted row per result, in <see cref="Header"/>'s order; RelaImpr is "n/a" without the baseline.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Rows(IReadOnlyList<ModelResult> results)
    {
        var baseline = results.FirstOrDefault(r => r.Model.Equals(Baseline, StringComparison.OrdinalIgnoreCase));
        return results.Select(r => (IReadOnlyList<string>)
        [
            r.Model, r.Parameters.ToString("N0"), r.Test.Auc.ToString("F4"), r.Test.Gauc.ToString("F4"), r.Test.LogLoss.ToString("F4"),
            baseline is null ? "n/a" : $"{100 * CtrMetrics.RelaImpr(r.Test.Auc, baseline.Test.Auc):+0.0;-0.0;0.0}%",
            r.Training.TrainSeconds.ToString("F1"), r.Training.TrainSamplesPerSecond.ToString("N0"), r.LatencyMsPer1000.ToString("F2"),
        ]).ToList();
    }

    /// <summary>
    /// An array with one object per model and exactly the keys <c>model, auc, gauc, logloss, params, train_seconds,
    /// train_samples_per_second, latency_ms_per_1000</c>; written atomically.
    /// </summary>
    public static void WriteJson(IReadOnlyList<ModelResult> results, string path)
    {
        var rows = results.Select(r => new JsonRow(r.Model, r.Test.Auc, r.Test.Gauc, r.Test.LogLoss, r.Parameters,
            r.Training.TrainSeconds, r.Training.TrainSamplesPerSecond, r.LatencyMsPer1000));
        AtomicFile.WriteText(path, JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The table, AUC bars, learning and loss curves and the cost profile as one self-contained page.</summary>
    public static void WriteHtml(IReadOnlyList<ModelResult> results, CtrDataset data, TrainerConfig config, string path) =>
        new HtmlReport($"DeepInterest comparison — {data.Name}")
            .Paragraph($"{data}. Seed {config.Seed}, at most {config.Epochs} epochs with early stopping on validation AUC, batch {config.BatchSize}, history ≤ {config.MaxLength}.")
            .Table(Header, Rows(results))
            .Chart(TrainingPlots.AucBars(results.Select(r => r.Model).ToList(), results.Select(r => r.Test.Auc).ToList()))
            .Chart(TrainingPlots.LearningCurves(results.Select(r => (r.Model, r.Training.History))))
            .Chart(TrainingPlots.LossCurves(results.Select(r => (r.Model, r.Training.History))))
            .Chart(TrainingPlots.CostProfile(results))
            .Save(path);

    private sealed record JsonRow(
        [property: JsonPropertyName("model")] string Model,
        [property: JsonPropertyName("auc")] double Auc,
        [property: JsonPropertyName("gauc")] double Gauc,
        [property: JsonPropertyName("logloss")] double LogLoss,
        [property: JsonPropertyName("params")] long Params,
        [property: JsonPropertyName("train_seconds")] double TrainSeconds,
        [property: JsonPropertyName("train_samples_per_second")] double TrainSamplesPerSecond,
        [property: JsonPropertyName("latency_ms_per_1000")] double LatencyMsPer1000);
}
