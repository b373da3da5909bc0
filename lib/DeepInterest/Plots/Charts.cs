using Plotly.NET;

namespace DeepInterest.Plots;

/// <summary>One named series of a line or scatter chart.</summary>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>
/// General-purpose figures the notebooks compose: lines, bars, heatmaps, histograms. Each returns a Plotly.NET
/// chart that notebooks display as is and <see cref="HtmlReport"/> embeds.
/// </summary>
public static class Charts
{
    public static GenericChart Lines(string title, string xTitle, string yTitle, IEnumerable<Series> series, bool markers = false) =>
        Figure.Chart(title, xTitle, yTitle, series.Select(s => Figure.Trace("scatter", ("x", s.X.ToArray()), ("y", s.Y.ToArray()),
            ("mode", markers ? "lines+markers" : "lines"), ("name", s.Name))));

    /// <summary>Grouped bars: one group per category label, one bar colour per named series.</summary>
    public static GenericChart Bars(string title, string xTitle, string yTitle, IReadOnlyList<string> categories,
        IEnumerable<(string Name, IReadOnlyList<double> Values)> series) =>
        Figure.Chart(title, xTitle, yTitle,
            series.Select(s => Figure.Trace("bar", ("x", categories.ToArray()), ("y", s.Values.ToArray()), ("name", s.Name))),
            layoutExtras: ("barmode", "group"));

    /// <summary>A heatmap of z[row][column] with row and column labels (e.g. attention maps: query × key).</summary>
    public static GenericChart Heatmap(string title, string xTitle, string yTitle, double[][] z,
        IReadOnlyList<string> columns, IReadOnlyList<string> rows, string colorscale = "Viridis") =>
        Figure.Chart(title, xTitle, yTitle,
            [Figure.Trace("heatmap", ("z", z), ("x", columns.ToArray()), ("y", rows.ToArray()), ("colorscale", colorscale))],
            layoutExtras: ("yaxis", Figure.Axis(yTitle, ("autorange", "reversed"))));

    public static GenericChart Histogram(string title, string xTitle, IReadOnlyList<double> values, int bins = 30) =>
        Figure.Chart(title, xTitle, "count",
            [Figure.Trace("histogram", ("x", values.ToArray()), ("nbinsx", bins))]);

    /// <summary>Markers at (x, y) coloured by a numeric value with a colour bar, text shown on hover.</summary>
    public static GenericChart ColouredPoints(string title, string xTitle, string yTitle, IReadOnlyList<double> x, IReadOnlyList<double> y,
        IReadOnlyList<double> colour, string colourTitle, IReadOnlyList<string>? hover = null, double size = 9) =>
        Figure.Chart(title, xTitle, yTitle,
            [Figure.Trace("scatter", ("x", x.ToArray()), ("y", y.ToArray()), ("mode", "markers"), ("text", hover?.ToArray()),
                ("marker", new Dictionary<string, object>
                {
                    ["size"] = size, ["color"] = colour.ToArray(), ["colorscale"] = "Viridis", ["showscale"] = true,
                    ["colorbar"] = new Dictionary<string, object> { ["title"] = new Dictionary<string, object> { ["text"] = colourTitle } },
                }))]);
}
