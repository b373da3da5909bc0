using System.Net;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Markdig;

namespace DeepInterest.Notebooks;

/// <summary>
/// Renders an executed notebook (the runner's .ipynb output) to one HTML page that opens offline:
/// markdown cells through Markdig (CommonMark with pipe tables, emphasis extras, auto-links and <c>$…$</c> / <c>$$…$$</c>
/// math; raw HTML in markdown is shown as text), code cells and text outputs in &lt;pre&gt;, HTML outputs (charts, tables) as they are.
/// Formulas are typeset by KaTeX, loaded (deferred, pinned, integrity-checked) from a CDN: with internet access they
/// render; offline the page still works and charts still draw, but formulas stay as their TeX source, e.g. <c>\(x^2\)</c>.
/// Plotly.NET.Interactive's chart outputs load plotly through require.js from a CDN; the page instead embeds
/// plotly.min.js once (from Plotly.NET.dll) and defines a small <c>require</c>/<c>requirejs</c> that hands that
/// embedded Plotly to the chart scripts, so charts need no network.
/// </summary>
public static partial class NotebookHtml
{
    /// <summary>
    /// Answers the chart scripts' <c>requirejs.config({...})(['plotly'], render)</c> and <c>require(['plotly'], render)</c>
    /// with the embedded Plotly. Defined before any output, so the scripts take their "require.js is loaded" branch.
    /// </summary>
    private const string RequireShim = """
        window.requirejs = window.require = function (modules, ready) {
          if (typeof ready === 'function') ready.apply(null, (modules || []).map(function () { return window.Plotly; }));
        };
        window.requirejs.config = function () { return window.requirejs; };
        """;

    /// <summary>
    /// Markdig's markdown subset for the cells. Math comes out as <c>&lt;span class="math"&gt;\(…\)&lt;/span&gt;</c> and
    /// <c>&lt;div class="math"&gt;\[…\]&lt;/div&gt;</c>, which <see cref="KaTeX"/> typesets; raw HTML is escaped so a cell cannot break the page.
    /// </summary>
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables()
        .UseEmphasisExtras()
        .UseAutoLinks()
        .UseMathematics()
        .DisableHtml()
        .Build();

    private const string KaTeXVersion = "0.16.11";

    /// <summary>
    /// KaTeX and its auto-render, typesetting only Markdig's math elements (not code or outputs). If the CDN cannot be
    /// reached, the onload never runs and the TeX stays as text.
    /// </summary>
    private const string KaTeX = $$"""
        <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/katex@{{KaTeXVersion}}/dist/katex.min.css" integrity="sha384-nB0miv6/jRmo5UMMR1wu3Gz6NLsoTkbqJghGIsx//Rlm+ZU03BU6SQNC66uf4l5+" crossorigin="anonymous">
        <script defer src="https://cdn.jsdelivr.net/npm/katex@{{KaTeXVersion}}/dist/katex.min.js" integrity="sha384-7zkQWkzuo3B5mTepMUcHkMB5jZaolc2xDwL6VFqjFALcbeS9Ggm/Yr2r3Dy4lfFg" crossorigin="anonymous"></script>
        <script defer src="https://cdn.jsdelivr.net/npm/katex@{{KaTeXVersion}}/dist/contrib/auto-render.min.js" integrity="sha384-43gviWU0YVjaDtb/GhzOouOXtZMP/7XUzwPTstBeZFe/+rCMvRwr4yROQP43s0Xk" crossorigin="anonymous"
          onload="document.querySelectorAll('.math').forEach(function (e) { renderMathInElement(e, { delimiters: [{ left: '\\[', right: '\\]', display: true }, { left: '\\(', right: '\\)', display: false }], throwOnError: false }); })"></script>

        """;

    private const string Style = """
        body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; line-height: 1.5; color: #222; }
        pre { background: #f6f8fa; padding: .6em .8em; overflow-x: auto; border-radius: 4px; font-size: 13px; }
        pre.code { border-left: 3px solid #4a7bd0; }
        pre.error { background: #fdecea; color: #8a1c1c; }
        .output { margin: .3em 0 1.2em 1.5em; overflow-x: auto; }
        code { background: #f0f0f0; padding: 0 .2em; border-radius: 3px; }
        table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 2px 6px; }
        """;

    /// <summary>Reads <paramref name="ipynbPath"/> and writes the page next to it (same name, .html) or to <paramref name="htmlPath"/>.</summary>
    public static string WriteFile(string ipynbPath, string? htmlPath = null)
    {
        if (!File.Exists(ipynbPath)) throw new FileNotFoundException($"no notebook at '{Path.GetFullPath(ipynbPath)}'", ipynbPath);
        htmlPath ??= Path.ChangeExtension(ipynbPath, ".html");
        File.WriteAllText(htmlPath, Render(File.ReadAllText(ipynbPath), Path.GetFileNameWithoutExtension(ipynbPath), PlotlyScript()));
        return htmlPath;
    }

    /// <summary>The page for the notebook JSON <paramref name="ipynb"/>, embedding <paramref name="plotlyJs"/> (plotly.min.js).</summary>
    public static string Render(string ipynb, string title, string plotlyJs)
    {
        using var notebook = JsonDocument.Parse(ipynb);
        if (!notebook.RootElement.TryGetProperty("cells", out var cells) || cells.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"notebook '{title}': no \"cells\" array; expected an nbformat 4 .ipynb");
        var html = new StringBuilder();
        html.Append($"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{Encode(title)}</title>\n<style>{Style}</style>\n");
        html.Append("<script>").Append(plotlyJs.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase)).Append("</script>\n");
        html.Append("<script>").Append(RequireShim).Append("</script>\n").Append(KaTeX).Append("</head><body>\n");
        foreach (var cell in cells.EnumerateArray())
        {
            var source = Text(cell, "source");
            switch (cell.GetProperty("cell_type").GetString())
            {
                case "markdown":
                    html.Append(Markdown.ToHtml(source, Pipeline));
                    break;
                case "code":
                    html.Append($"<pre class=\"code\">{Encode(source)}</pre>\n");
                    if (cell.TryGetProperty("outputs", out var outputs))
                        foreach (var output in outputs.EnumerateArray()) html.Append(Output(output));
                    break;
            }
        }
        return html.Append("</body></html>\n").ToString();
    }

    /// <summary>
    /// plotly.min.js from Plotly.NET.dll: the copy this process loaded (a notebook kernel ran here), else the newest
    /// Plotly.NET in the NuGet packages folder, read in a throw-away load context (resources only, no types).
    /// </summary>
    public static string PlotlyScript()
    {
        var loaded = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == "Plotly.NET");
        if (loaded is not null) return PlotlyScript(loaded);
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var dll = Directory.Exists(Path.Combine(packages, "plotly.net"))
            ? Directory.GetFiles(Path.Combine(packages, "plotly.net"), "Plotly.NET.dll", SearchOption.AllDirectories)
                .Where(path => path.Contains($"{Path.DirectorySeparatorChar}lib{Path.DirectorySeparatorChar}"))
                .MaxBy(path => Version.TryParse(Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(path)))), out var v) ? v : new Version())
            : null;
        if (dll is null)
            throw new FileNotFoundException($"Plotly.NET.dll is neither loaded nor in the NuGet packages folder {packages}; restore a project that references Plotly.NET first");
        var context = new AssemblyLoadContext("plotly-script", isCollectible: true);
        try { return PlotlyScript(context.LoadFromAssemblyPath(dll)); }
        finally { context.Unload(); }
    }

    private static string PlotlyScript(Assembly plotly)
    {
        var name = plotly.GetManifestResourceNames().FirstOrDefault(n => PlotlyResource().IsMatch(n))
            ?? throw new InvalidDataException($"{plotly.Location} has no embedded plotly-*.min.js resource");
        using var reader = new StreamReader(plotly.GetManifestResourceStream(name)!);
        return reader.ReadToEnd();
    }

    private static string Output(JsonElement output)
    {
        switch (output.GetProperty("output_type").GetString())
        {
            case "stream":
                return $"<div class=\"output\"><pre>{Encode(Text(output, "text"))}</pre></div>\n";
            case "error":
                var trace = output.TryGetProperty("traceback", out var lines) ? string.Join("\n", lines.EnumerateArray().Select(l => l.GetString())) : "";
                return $"<div class=\"output\"><pre class=\"error\">{Encode($"{Text(output, "ename")}: {Text(output, "evalue")}\n{trace}")}</pre></div>\n";
            default: // display_data, execute_result
                if (!output.TryGetProperty("data", out var data)) return "";
                if (data.TryGetProperty("text/html", out _)) return $"<div class=\"output\">{Text(data, "text/html")}</div>\n";
                if (data.TryGetProperty("text/plain", out _)) return $"<div class=\"output\"><pre>{Encode(Text(data, "text/plain"))}</pre></div>\n";
                return "";
        }
    }

    /// <summary>An nbformat multiline string: one string or an array of lines.</summary>
    private static string Text(JsonElement parent, string property) =>
        !parent.TryGetProperty(property, out var value) ? ""
        : value.ValueKind == JsonValueKind.Array ? string.Concat(value.EnumerateArray().Select(line => line.GetString()))
        : value.GetString() ?? "";

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    [GeneratedRegex(@"^plotly-[\d.]+\.min\.js$|\.plotly-[\d.]+\.min\.js$")] private static partial Regex PlotlyResource();
}
