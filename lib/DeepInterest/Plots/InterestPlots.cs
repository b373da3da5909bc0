using Plotly.NET;

namespace DeepInterest.Plots;

/// <summary>
/// Figures of one user's behaviour sequence for the DIEN and BST notebooks: behaviours over time coloured by
/// category (the article's "interests shift" picture), optionally sized by what a model attends to, and a model's
/// attention next to the planted relevance.
/// </summary>
public static class InterestPlots
{
    /// <summary>
    /// Behaviours as markers at (x, category), one colour per category. With <paramref name="weights"/> (e.g. attention
    /// to a candidate, any non-negative scale) the marker area follows the weight; <paramref name="boundaries"/> draws
    /// dashed vertical lines (e.g. session breaks); <paramref name="candidate"/> marks the candidate as a star.
    /// </summary>
    public static GenericChart Timeline(string title, string xTitle, IReadOnlyList<double> x, IReadOnlyList<long> categories,
        IReadOnlyList<double>? weights = null, IReadOnlyList<double>? boundaries = null, (double X, long Category)? candidate = null)
    {
        if (x.Count != categories.Count || (weights is not null && weights.Count != x.Count))
            throw new ArgumentException($"Timeline needs one category{(weights is null ? "" : " and one weight")} per behaviour: {x.Count} x, {categories.Count} categories, {weights?.Count} weights");
        double largest = weights is null || weights.Count == 0 ? 0 : weights.Max();
        double Size(int i) => weights is null ? 9 : 5 + 30 * Math.Sqrt(Math.Max(0, weights[i]) / (largest > 0 ? largest : 1));
        var traces = categories.Select((c, i) => (c, i)).GroupBy(p => p.c).OrderBy(g => g.Key)
            .Select(g => Figure.Trace("scatter", ("x", g.Select(p => x[p.i]).ToArray()), ("y", g.Select(p => (double)p.c).ToArray()),
                ("mode", "markers"), ("name", $"category {g.Key}"),
                ("text", weights is null ? null : g.Select(p => $"weight {weights[p.i]:F3}").ToArray()),
                ("marker", new Dictionary<string, object> { ["size"] = g.Select(p => Size(p.i)).ToArray(), ["opacity"] = 0.8 })))
            .ToList();
        if (candidate is { } c)
            traces.Add(Figure.Trace("scatter", ("x", new[] { c.X }), ("y", new[] { (double)c.Category }), ("mode", "markers"), ("name", "candidate"),
                ("marker", new Dictionary<string, object> { ["size"] = 18, ["symbol"] = "star", ["color"] = "black" })));
        var lines = (boundaries ?? []).Select(b => (object)new Dictionary<string, object>
        {
            ["type"] = "line", ["x0"] = b, ["x1"] = b, ["yref"] = "paper", ["y0"] = 0, ["y1"] = 1,
            ["line"] = new Dictionary<string, object> { ["dash"] = "dot", ["color"] = "grey", ["width"] = 1 },
        }).ToArray();
        return Figure.Chart(title, xTitle, "category", traces, width: 900, height: 420, layoutExtras: ("shapes", lines));
    }

    /// <summary>A model's weight per history position as bars (left axis) next to the planted relevance as markers (right axis).</summary>
    public static GenericChart AttentionVersusRelevance(string title, IReadOnlyList<string> positions, IReadOnlyList<double> attention,
        IReadOnlyList<double> relevance, string attentionName = "attention")
    {
        if (positions.Count != attention.Count || positions.Count != relevance.Count)
            throw new ArgumentException($"AttentionVersusRelevance needs equal lengths: {positions.Count} positions, {attention.Count} weights, {relevance.Count} relevances");
        return Figure.Chart(title, "history position (most recent right)", attentionName,
            [Figure.Trace("bar", ("x", positions.ToArray()), ("y", attention.ToArray()), ("name", attentionName)),
             Figure.Trace("scatter", ("x", positions.ToArray()), ("y", relevance.ToArray()), ("mode", "markers"), ("name", "planted relevance"),
                ("yaxis", "y2"), ("marker", new Dictionary<string, object> { ["size"] = 10, ["symbol"] = "diamond", ["color"] = "crimson" }))],
            width: 900, height: 380,
            layoutExtras: ("yaxis2", Figure.Axis("planted relevance", ("overlaying", "y"), ("side", "right"), ("range", new[] { -0.05, 1.05 }))));
    }
}
