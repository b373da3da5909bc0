using Plotly.NET;

namespace DeepInterest.Plots;

/// <summary>
/// Thin builder over Plotly.NET's trace objects. Properties are plotly.js attribute names (type, x, y, mode, …),
/// so the plotly.js reference documents every option. Works from net8.0 without Plotly.NET.CSharp (net10-only).
/// </summary>
internal static class Figure
{
    public static Trace Trace(string type, params (string Name, object? Value)[] properties)
    {
        var trace = new Trace2D(type);
        foreach (var (name, value) in properties)
            if (value is not null) trace.SetProperty(name, value);
        return trace;
    }

    public static GenericChart Chart(string title, string xTitle, string yTitle, IEnumerable<Trace> traces,
        int width = 760, int height = 440, params (string Name, object Value)[] layoutExtras)
    {
        var layout = new Layout();
        layout.SetProperty("title", new Dictionary<string, object> { ["text"] = title });
        layout.SetProperty("xaxis", Axis(xTitle));
        layout.SetProperty("yaxis", Axis(yTitle));
        layout.SetProperty("width", width);
        layout.SetProperty("height", height);
        foreach (var (name, value) in layoutExtras) layout.SetProperty(name, value);
        return GenericChart.addLayout(layout, GenericChart.ofTraceObjects(true, traces.ToArray()));
    }

    public static Dictionary<string, object> Axis(string title, params (string Name, object Value)[] extras)
    {
        var axis = new Dictionary<string, object> { ["title"] = new Dictionary<string, object> { ["text"] = title } };
        foreach (var (name, value) in extras) axis[name] = value;
        return axis;
    }
}
