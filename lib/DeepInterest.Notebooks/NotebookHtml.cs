using System.Net;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace DeepInterest.Notebooks;

/// <summary>
/// Renders an executed notebook (the runner's .ipynb output) to one self-contained HTML page that opens offline:
/// markdown cells as simple HTML (headings, paragraphs, lists, code, emphasis, links; formulas stay as written),
/// code cells and text outputs in &lt;pre&gt;, HTML outputs (charts, tables) as they are.
/// Plotly.NET.Interactive's chart outputs load plotly through require.js from a CDN; the page instead embeds
/// plotly.min.js once (from Plotly.NET.dll) and defines a small <c>require</c>/<c>requirejs</c> that hands that
/// embedded Plotly to the chart scripts, so no script is fetched from the network.
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
        html.Append("<script>").Append(RequireShim).Append("</script>\n</head><body>\n");
        foreach (var cell in cells.EnumerateArray())
        {
            var source = Text(cell, "source");
            switch (cell.GetProperty("cell_type").GetString())
            {
                case "markdown":
                    html.Append(Markdown(source));
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

    /// <summary>
    /// A small markdown subset: ATX headings, fenced code, unordered and ordered lists (one level), paragraphs;
    /// inline code, bold, italics and links. Tables and anything else are kept as paragraphs of their text.
    /// </summary>
    internal static string Markdown(string markdown)
    {
        var html = new StringBuilder();
        var paragraph = new List<string>();
        string? list = null;
        bool fenced = false;
        void CloseParagraph()
        {
            if (paragraph.Count > 0) html.Append("<p>").Append(Inline(string.Join(" ", paragraph))).Append("</p>\n");
            paragraph.Clear();
        }
        void CloseList()
        {
            if (list is not null) html.Append($"</{list}>\n");
            list = null;
        }
        foreach (var line in markdown.Replace("\r\n", "\n").Split('\n'))
        {
            if (line.TrimStart().StartsWith("```"))
            {
                CloseParagraph(); CloseList();
                html.Append(fenced ? "</pre>\n" : "<pre>");
                fenced = !fenced;
                continue;
            }
            if (fenced) { html.Append(Encode(line)).Append('\n'); continue; }
            var heading = HeadingLine().Match(line);
            var item = ListItem().Match(line);
            if (heading.Success)
            {
                CloseParagraph(); CloseList();
                int level = heading.Groups[1].Length;
                html.Append($"<h{level}>{Inline(heading.Groups[2].Value)}</h{level}>\n");
            }
            else if (item.Success)
            {
                CloseParagraph();
                var kind = char.IsDigit(item.Groups[1].Value[0]) ? "ol" : "ul";
                if (list != kind) { CloseList(); html.Append($"<{kind}>\n"); list = kind; }
                html.Append($"<li>{Inline(item.Groups[2].Value)}</li>\n");
            }
            else if (string.IsNullOrWhiteSpace(line)) { CloseParagraph(); CloseList(); }
            else if (list is not null && line.StartsWith("  "))
            {
                html.Length -= "</li>\n".Length; // an indented line continues the last item
                html.Append(' ').Append(Inline(line.Trim())).Append("</li>\n");
            }
            else paragraph.Add(line.Trim());
        }
        CloseParagraph(); CloseList();
        if (fenced) html.Append("</pre>\n");
        return html.ToString();
    }

    private static string Inline(string text)
    {
        var encoded = Encode(text);
        // Code spans first, so that * and _ inside them stay literal.
        var spans = new List<string>();
        encoded = CodeSpan().Replace(encoded, m => { spans.Add(m.Groups[1].Value); return $"\u0000{spans.Count - 1}\u0000"; });
        encoded = Bold().Replace(encoded, "<strong>$1</strong>");
        encoded = Italic().Replace(encoded, "<em>$1</em>");
        encoded = Link().Replace(encoded, "<a href=\"$2\">$1</a>");
        return Placeholder().Replace(encoded, m => $"<code>{spans[int.Parse(m.Groups[1].Value)]}</code>");
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    [GeneratedRegex(@"^plotly-[\d.]+\.min\.js$|\.plotly-[\d.]+\.min\.js$")] private static partial Regex PlotlyResource();
    [GeneratedRegex(@"^(#{1,6})\s+(.*)$")] private static partial Regex HeadingLine();
    [GeneratedRegex(@"^\s{0,1}([-*]|\d+\.)\s+(.*)$")] private static partial Regex ListItem();
    [GeneratedRegex(@"`([^`]+)`")] private static partial Regex CodeSpan();
    [GeneratedRegex(@"\*\*(.+?)\*\*")] private static partial Regex Bold();
    [GeneratedRegex(@"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")] private static partial Regex Italic();
    [GeneratedRegex(@"\[([^\]]+)\]\(([^)\s]+)\)")] private static partial Regex Link();
    [GeneratedRegex("\u0000(\\d+)\u0000")] private static partial Regex Placeholder();
}
