using DeepInterest.Training;
using Plotly.NET;

namespace DeepInterest.Plots;

/// <summary>Figures of training runs and comparisons: the course's "AUC progression", learning curves, cost profile.</summary>
public static class TrainingPlots
{
    /// <summary>Test AUC per model as bars, with error bars when a spread (e.g. std over seeds) is given.</summary>
    public static GenericChart AucBars(IReadOnlyList<string> models, IReadOnlyList<double> auc, IReadOnlyList<double>? spread = null, string title = "Test AUC")
    {
        var errorBars = spread is null ? null : new Dictionary<string, object> { ["type"] = "data", ["array"] = spread.ToArray(), ["visible"] = true };
        var lowest = auc.Min() - 0.05;
        return Figure.Chart(title, "model", "AUC",
            [Figure.Trace("bar", ("x", models.ToArray()), ("y", auc.ToArray()), ("error_y", errorBars),
                ("text", auc.Select(a => a.ToString("F4")).ToArray()), ("textposition", "outside"))],
            layoutExtras: ("yaxis", Figure.Axis("AUC", ("range", new[] { Math.Max(0, lowest), Math.Min(1, auc.Max() + 0.03) }))));
    }

    /// <summary>Validation AUC (solid) per epoch for each model's training history.</summary>
    public static GenericChart LearningCurves(IEnumerable<(string Model, IReadOnlyList<EpochRecord> History)> runs, string title = "Learning curves: validation AUC per epoch") =>
        Figure.Chart(title, "epoch", "validation AUC",
            runs.Select(r => Figure.Trace("scatter", ("x", r.History.Select(e => e.Epoch).ToArray()),
                ("y", r.History.Select(e => e.ValidationAuc).ToArray()), ("mode", "lines+markers"), ("name", r.Model))),
            layoutExtras: WholeEpochs);

    /// <summary>Training loss per epoch for each model.</summary>
    public static GenericChart LossCurves(IEnumerable<(string Model, IReadOnlyList<EpochRecord> History)> runs, string title = "Training loss per epoch") =>
        Figure.Chart(title, "epoch", "training loss (BCE + extra terms)",
            runs.Select(r => Figure.Trace("scatter", ("x", r.History.Select(e => e.Epoch).ToArray()),
                ("y", r.History.Select(e => e.TrainLoss).ToArray()), ("mode", "lines+markers"), ("name", r.Model))),
            layoutExtras: WholeEpochs);

    private static readonly (string, object) WholeEpochs = ("xaxis", Figure.Axis("epoch", ("dtick", 1)));

    /// <summary>Cost profile: AUC against serving latency, bubble size by parameter count.</summary>
    public static GenericChart CostProfile(IReadOnlyList<ModelResult> results, string title = "Cost profile: AUC vs serving latency (bubble = parameters)")
    {
        var maxParams = results.Max(r => (double)r.Parameters);
        return Figure.Chart(title, "inference latency, ms per 1,000 candidates", "test AUC",
            [Figure.Trace("scatter", ("x", results.Select(r => r.LatencyMsPer1000).ToArray()), ("y", results.Select(r => r.Test.Auc).ToArray()),
                ("mode", "markers+text"), ("text", results.Select(r => r.Model).ToArray()), ("textposition", "top center"),
                ("marker", new Dictionary<string, object> { ["size"] = results.Select(r => 12 + 28 * Math.Sqrt(r.Parameters / maxParams)).ToArray() }))]);
    }
}
