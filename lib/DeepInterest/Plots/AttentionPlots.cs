using Plotly.NET;

namespace DeepInterest.Plots;

/// <summary>One candidate's attention over a history, with the planted relevance of each behaviour.</summary>
public sealed record AttentionPanel(string Candidate, IReadOnlyList<double> Weights, IReadOnlyList<double> Relevance);

/// <summary>Figures of attention weights against the planted truth (notebook 02, the DIN paper's Fig. 5 idea).</summary>
public static class AttentionPlots
{
    /// <summary>
    /// One panel per candidate, stacked: bars are the attention weight of each history behaviour (labels shared by all
    /// panels), a bar's colour is that behaviour's planted relevance to the candidate (same colour scale in every panel).
    /// </summary>
    public static GenericChart WeightsByCandidate(IReadOnlyList<string> behaviourLabels, IReadOnlyList<AttentionPanel> panels,
        string title = "Attention weights per candidate (colour = planted relevance)", string weightTitle = "attention weight")
    {
        if (panels.Count == 0) throw new ArgumentException("give at least one candidate panel", nameof(panels));
        foreach (var p in panels)
            if (p.Weights.Count != behaviourLabels.Count || p.Relevance.Count != behaviourLabels.Count)
                throw new ArgumentException($"panel '{p.Candidate}' has {p.Weights.Count} weights and {p.Relevance.Count} relevances for {behaviourLabels.Count} behaviours");
        double maxRelevance = Math.Max(1e-9, panels.SelectMany(p => p.Relevance).Max());
        var traces = panels.Select((p, i) => Figure.Trace("bar",
            ("x", behaviourLabels.ToArray()), ("y", p.Weights.ToArray()), ("name", p.Candidate),
            ("xaxis", i == 0 ? "x" : $"x{i + 1}"), ("yaxis", i == 0 ? "y" : $"y{i + 1}"),
            ("text", p.Relevance.Select(r => $"relevance {r:0.##}").ToArray()),
            ("marker", new Dictionary<string, object>
            {
                ["color"] = p.Relevance.ToArray(), ["colorscale"] = "Viridis", ["cmin"] = 0, ["cmax"] = maxRelevance, ["showscale"] = i == 0,
                ["colorbar"] = new Dictionary<string, object> { ["title"] = new Dictionary<string, object> { ["text"] = "planted relevance" } },
            })));
        var extras = new List<(string, object)>
        {
            ("grid", new Dictionary<string, object> { ["rows"] = panels.Count, ["columns"] = 1, ["pattern"] = "independent" }),
            ("showlegend", false),
        };
        for (int i = 0; i < panels.Count; i++)
        {
            string suffix = i == 0 ? "" : $"{i + 1}";
            extras.Add(($"yaxis{suffix}", Figure.Axis($"{weightTitle}<br>{panels[i].Candidate}")));
            extras.Add(($"xaxis{suffix}", Figure.Axis(i == panels.Count - 1 ? "history behaviour (most recent right)" : "")));
        }
        return Figure.Chart(title, "history behaviour (most recent right)", weightTitle, traces, width: 900, height: 260 * panels.Count + 120,
            layoutExtras: [.. extras]);
    }
}
