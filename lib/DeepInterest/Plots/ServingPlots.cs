using Plotly.NET;

namespace DeepInterest.Plots;

/// <summary>
/// Figures of serving trade-offs (notebook 08): quality against cost when a knob (history length, batch size)
/// changes. Each figure puts the quality or throughput on the left axis and the cost on a second, right axis, so
/// both curves share one x axis.
/// </summary>
public static class ServingPlots
{
    /// <summary>Test AUC (left axis) and inference latency (right axis) against the number of most recent behaviours kept.</summary>
    public static GenericChart TruncationTradeOff(IReadOnlyList<int> maxLengths, IReadOnlyList<double> auc, IReadOnlyList<double> latencyMsPer1000,
        string title = "Truncating the history: AUC vs cost") =>
        TwoAxes(title, "history length kept (most recent N behaviours)", maxLengths.Select(n => (double)n).ToArray(),
            ("test AUC", auc), ("latency, ms per 1,000 candidates", latencyMsPer1000), logX: false);

    /// <summary>Latency per batch (right axis) and throughput (left axis) against the inference batch size, on a log x axis.</summary>
    public static GenericChart BatchScaling(IReadOnlyList<int> batchSizes, IReadOnlyList<double> candidatesPerSecond, IReadOnlyList<double> msPerBatch,
        string title = "Batch size: throughput vs latency per request") =>
        TwoAxes(title, "batch size (candidates scored per forward pass)", batchSizes.Select(b => (double)b).ToArray(),
            ("throughput, candidates/s", candidatesPerSecond), ("latency, ms per batch", msPerBatch), logX: true);

    private static GenericChart TwoAxes(string title, string xTitle, double[] x,
        (string Name, IReadOnlyList<double> Values) left, (string Name, IReadOnlyList<double> Values) right, bool logX)
    {
        if (left.Values.Count != x.Length || right.Values.Count != x.Length)
            throw new ArgumentException($"{title}: {x.Length} x values but {left.Values.Count} '{left.Name}' and {right.Values.Count} '{right.Name}' values; expected one of each per x");
        var traces = new[]
        {
            Figure.Trace("scatter", ("x", x), ("y", left.Values.ToArray()), ("mode", "lines+markers"), ("name", left.Name)),
            Figure.Trace("scatter", ("x", x), ("y", right.Values.ToArray()), ("mode", "lines+markers"), ("name", right.Name),
                ("yaxis", "y2"), ("line", new Dictionary<string, object> { ["dash"] = "dash" })),
        };
        return Figure.Chart(title, xTitle, left.Name, traces, layoutExtras:
        [
            ("xaxis", Figure.Axis(xTitle, ("type", logX ? "log" : "linear"))),
            ("yaxis2", Figure.Axis(right.Name, ("overlaying", "y"), ("side", "right"))),
            ("legend", new Dictionary<string, object> { ["orientation"] = "h", ["y"] = -0.2 }),
        ]);
    }
}
