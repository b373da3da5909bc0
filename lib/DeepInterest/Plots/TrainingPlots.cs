using DeepInterest.Training;
using Plotly.NET;

namespace DeepInterest.Plots;

/// <summary>Figures of training runs and comparisons: the course's "AUC progression", learning curves, cost profile.</summary>
public static class TrainingPlots
{
    /// <summary>
    /// Test AUC per model as bars, with error bars when a spread (e.g. the std over seeds) is given and a dashed
    /// horizontal line at <paramref name="ceiling"/> when given (the Bayes-optimal AUC of synthetic data).
    /// </summary>
    public static GenericChart AucBars(IReadOnlyList<string> models, IReadOnlyList<double> auc, IReadOnlyList<double>? spread = null,
        string title = "Test AUC", double? ceiling = null)
    {
        var errorBars = spread is null ? null : new Dictionary<string, object> { ["type"] = "data", ["array"] = spread.ToArray(), ["visible"] = true };
        var lowest = auc.Select((a, i) => a - (spread?[i] ?? 0)).Min() - 0.05;
        var highest = Math.Max(auc.Select((a, i) => a + (spread?[i] ?? 0)).Max(), ceiling ?? 0) + 0.03;
        var layout = new List<(string, object)> { ("yaxis", Figure.Axis("AUC", ("range", new[] { Math.Max(0, lowest), Math.Min(1, highest) }))) };
        if (ceiling is { } c)
        {
            layout.Add(("shapes", new[] { new Dictionary<string, object>
            {
                ["type"] = "line", ["xref"] = "paper", ["x0"] = 0, ["x1"] = 1, ["y0"] = c, ["y1"] = c,
                ["line"] = new Dictionary<string, object> { ["color"] = "#c0392b", ["dash"] = "dash", ["width"] = 2 },
            } }));
            layout.Add(("annotations", new[] { new Dictionary<string, object>
            {
                ["xref"] = "paper", ["x"] = 1, ["y"] = c, ["xanchor"] = "right", ["yanchor"] = "bottom", ["showarrow"] = false,
                ["text"] = $"Bayes-optimal AUC {c:F4}", ["font"] = new Dictionary<string, object> { ["color"] = "#c0392b" },
            } }));
        }
        return Figure.Chart(title, "model", "AUC",
            [Figure.Trace("bar", ("x", models.ToArray()), ("y", auc.ToArray()), ("error_y", errorBars),
                ("text", auc.Select(a => a.ToString("F4")).ToArray()), ("textposition", spread is null ? "outside" : "inside"))],  // with error bars, inside: the bar above is the error bar's
            layoutExtras: layout.ToArray());
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
    public static GenericChart CostProfile(IReadOnlyList<ModelResult> results, string title = CostProfileTitle) =>
        CostProfile(results.Select(r => (r.Model, r.Parameters, r.LatencyMsPer1000, r.Test.Auc)).ToList(), title);

    /// <summary>Cost profile from (model, parameters, latency ms per 1,000 candidates, AUC) points, e.g. means over seeds.</summary>
    public static GenericChart CostProfile(IReadOnlyList<(string Model, long Parameters, double LatencyMs, double Auc)> points, string title = CostProfileTitle)
    {
        var maxParams = points.Max(p => (double)p.Parameters);
        return Figure.Chart(title, "inference latency, ms per 1,000 candidates", "test AUC",
            [Figure.Trace("scatter", ("x", points.Select(p => p.LatencyMs).ToArray()), ("y", points.Select(p => p.Auc).ToArray()),
                ("mode", "markers+text"), ("text", points.Select(p => p.Model).ToArray()), ("textposition", "top center"),
                ("marker", new Dictionary<string, object> { ["size"] = points.Select(p => 12 + 28 * Math.Sqrt(p.Parameters / maxParams)).ToArray() }))]);
    }

    private const string CostProfileTitle = "Cost profile: AUC vs serving latency (bubble = parameters)";
}
