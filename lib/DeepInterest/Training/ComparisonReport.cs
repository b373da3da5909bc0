using System.Text.Json;
using System.Text.Json.Serialization;
using DeepInterest.Metrics;
using DeepInterest.Plots;

namespace DeepInterest.Training;

/// <summary>Writes a comparison as <c>results.json</c> (a stable, documented schema) and as an offline HTML report.</summary>
public static class ComparisonReport
{
    /// <summary>The model every RelaImpr is measured against (DIN paper Eq. 10).</summary>
    public const string Baseline = "avgpool";

    /// <summary>
    /// The table's columns. When the test split has repeats (a candidate among the items of its own history), two columns
    /// give the AUC within the new-item and the repeat pairs (<see cref="CandidateStrata"/>); with more than one seed a
    /// last column lists each seed's test AUC.
    /// </summary>
    public static IReadOnlyList<string> Header(IReadOnlyList<SeededResult> results) =>
    [
        "model", "params", "test AUC", "GAUC", "logloss", .. HasRepeats(results) ? new[] { "AUC new items", "AUC repeats" } : [],
        $"RelaImpr vs {Baseline}", "train s", "train samples/s", "ms / 1,000 cand.", "fields",
        .. results[0].Seeds.Count > 1 ? new[] { "per-seed AUC" } : [],
    ];

    /// <summary>
    /// One formatted row per model, in <see cref="Header"/>'s order: AUC, GAUC and logloss as mean ± sample std over the
    /// seeds (the mean alone with one seed), the strata's AUC when there are repeats, RelaImpr of the mean AUC against
    /// the baseline's mean AUC ("n/a" without the baseline or when its AUC is exactly 0.5), the cost columns as means, the side fields the model used
    /// ("none" without).
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<string>> Rows(IReadOnlyList<SeededResult> results)
    {
        var baseline = results.FirstOrDefault(r => r.Model.Equals(Baseline, StringComparison.OrdinalIgnoreCase));
        bool strata = HasRepeats(results);
        return results.Select(r => (IReadOnlyList<string>)
        [
            r.Model, r.Parameters.ToString("N0"), r.Auc.Format("F4"), r.Gauc.Format("F4"), r.LogLoss.Format("F4"),
            .. strata ? new[] { r.NewCandidateAuc?.Format("F4") ?? "n/a", r.RepeatCandidateAuc?.Format("F4") ?? "n/a" } : [],
            // RelaImpr is undefined against a chance-level baseline (a data set too small to learn from, e.g. one user)
            baseline is null || baseline.Auc.Mean == 0.5 ? "n/a" : $"{100 * CtrMetrics.RelaImpr(r.Auc.Mean, baseline.Auc.Mean):+0.0;-0.0;0.0}%",
            r.TrainSeconds.ToString("F1"), r.TrainSamplesPerSecond.ToString("N0"), r.LatencyMsPer1000.ToString("F2"),
            r.Fields.Count == 0 ? "none" : string.Join(", ", r.Fields),
            .. r.Seeds.Count > 1 ? new[] { string.Join(" / ", r.Runs.Select(run => run.Test.Auc.ToString("F4"))) } : [],
        ]).ToList();
    }

    private static bool HasRepeats(IReadOnlyList<SeededResult> results) => results.Any(r => r.RepeatCandidateAuc is not null);

    /// <summary>
    /// An array with one object per model and the keys <c>model, auc, auc_std, gauc, gauc_std, logloss, logloss_std,
    /// auc_new_candidate, auc_new_candidate_std, auc_repeat_candidate, auc_repeat_candidate_std, params, train_seconds,
    /// train_samples_per_second, latency_ms_per_1000, seeds, fields</c>: metrics and costs are means over <c>seeds</c>
    /// (the list of seeds), the <c>_std</c> keys their sample standard deviations, absent with one seed; a stratum's keys
    /// are absent when it holds a single class (<see cref="CandidateStrata"/>); <c>fields</c> names the side fields used
    /// ([] for none).
    /// Written atomically.
    /// </summary>
    public static void WriteJson(IReadOnlyList<SeededResult> results, string path)
    {
        var rows = results.Select(r => new JsonRow(r.Model, r.Auc.Mean, r.Auc.Std, r.Gauc.Mean, r.Gauc.Std, r.LogLoss.Mean, r.LogLoss.Std,
            r.NewCandidateAuc?.Mean, r.NewCandidateAuc?.Std, r.RepeatCandidateAuc?.Mean, r.RepeatCandidateAuc?.Std, r.Parameters, r.TrainSeconds, r.TrainSamplesPerSecond, r.LatencyMsPer1000, r.Seeds,
            r.Fields));
        AtomicFile.WriteText(path, JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>
    /// The table, AUC bars (error bars = sample std over seeds; on synthetic data a dashed line at the Bayes-optimal test
    /// AUC, averaged over the seeds), learning and loss curves of the first seed and the cost profile as one
    /// self-contained page.
    /// </summary>
    public static void WriteHtml(IReadOnlyList<SeedRun> runs, TrainerConfig config, string path)
    {
        var results = SeededResult.Combine(runs);
        var first = runs[0];
        var oracles = runs.Select(r => r.OracleAuc).ToList();
        double? oracle = oracles.All(o => o is not null) ? oracles.Average() : null;
        var seeds = runs.Count == 1
            ? $"Seed {first.Seed}"
            : $"Seeds {string.Join(", ", runs.Select(r => r.Seed))} (each seeds the data, the initialisation and the shuffles; the data above are seed {first.Seed}'s; values are mean ± sample std)";
        var models = results.Select(r => r.Model).ToList();
        var curves = first.Results.Select(r => (r.Model, r.Training.History)).ToList();
        var curveSeed = runs.Count == 1 ? "" : $" (seed {first.Seed})";
        new HtmlReport(runs.Count == 1 ? $"DeepInterest comparison — {first.Data}" : $"DeepInterest comparison — {runs.Count} seeds")
            .Paragraph($"{first.Data}. {seeds}, at most {config.Epochs} epochs with early stopping on validation AUC, batch {config.BatchSize}, history ≤ {config.MaxLength}." +
                       (oracle is { } o ? $" Bayes-optimal test AUC (ranking by the planted click probability): {o:F4}." : ""))
            .Table(Header(results), Rows(results))
            .Chart(TrainingPlots.AucBars(models, results.Select(r => r.Auc.Mean).ToList(),
                runs.Count > 1 ? results.Select(r => r.Auc.Std!.Value).ToList() : null,
                runs.Count > 1 ? $"Test AUC, mean ± std over {runs.Count} seeds" : "Test AUC", ceiling: oracle))
            .Chart(TrainingPlots.LearningCurves(curves, $"Learning curves: validation AUC per epoch{curveSeed}"))
            .Chart(TrainingPlots.LossCurves(curves, $"Training loss per epoch{curveSeed}"))
            .Chart(TrainingPlots.CostProfile(results.Select(r => (r.Model, r.Parameters, r.LatencyMsPer1000, r.Auc.Mean)).ToList()))
            .Save(path);
    }

    private sealed record JsonRow(
        [property: JsonPropertyName("model")] string Model,
        [property: JsonPropertyName("auc")] double Auc,
        [property: JsonPropertyName("auc_std"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? AucStd,
        [property: JsonPropertyName("gauc")] double Gauc,
        [property: JsonPropertyName("gauc_std"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? GaucStd,
        [property: JsonPropertyName("logloss")] double LogLoss,
        [property: JsonPropertyName("logloss_std"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? LogLossStd,
        [property: JsonPropertyName("auc_new_candidate"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? NewCandidateAuc,
        [property: JsonPropertyName("auc_new_candidate_std"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? NewCandidateAucStd,
        [property: JsonPropertyName("auc_repeat_candidate"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? RepeatCandidateAuc,
        [property: JsonPropertyName("auc_repeat_candidate_std"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? RepeatCandidateAucStd,
        [property: JsonPropertyName("params")] long Params,
        [property: JsonPropertyName("train_seconds")] double TrainSeconds,
        [property: JsonPropertyName("train_samples_per_second")] double TrainSamplesPerSecond,
        [property: JsonPropertyName("latency_ms_per_1000")] double LatencyMsPer1000,
        [property: JsonPropertyName("seeds")] IReadOnlyList<int> Seeds,
        [property: JsonPropertyName("fields")] IReadOnlyList<string> Fields);
}
