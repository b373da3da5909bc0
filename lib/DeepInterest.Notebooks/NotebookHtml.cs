using System.Net;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Markdig;
using Markdig.Extensions.Mathematics;
using Markdig.Renderers;
using Markdig.Renderers.Html;
using Markdig.Syntax;

namespace DeepInterest.Notebooks;

/// <summary>
/// Renders an executed notebook (the runner's .ipynb output) to one HTML page that opens offline:
/// markdown cells through Markdig (CommonMark with pipe tables, emphasis extras, auto-links and <c>$…$</c> / <c>$$…$$</c>
/// math; raw HTML in markdown is shown as text), code cells and text outputs in &lt;pre&gt;, HTML outputs (charts, tables) as they are.
/// Formulas become MathML when the page is written (<see cref="MathMl"/>: temml in Jint), which browsers draw natively;
/// temml's small stylesheet and font are inlined, so math needs no network and no script. A formula temml cannot parse
/// fails the page with the notebook, cell and formula named.
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
    /// Markdig's markdown subset for the cells. Math is parsed as <see cref="MathInline"/> and <see cref="MathBlock"/>, which
    /// <see cref="MarkdownHtml"/> writes as MathML; raw HTML is escaped so a cell cannot break the page.
    /// </summary>
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables()
        .UseEmphasisExtras()
        .UseAutoLinks()
        .UseMathematics()
        .DisableHtml()
        .Build();

    private const string Style = """
        body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; line-height: 1.5; color: #222; }
        pre { background: #f6f8fa; padding: .6em .8em; overflow-x: auto; border-radius: 4px; font-size: 13px; }
        pre.code { border-left: 3px solid #4a7bd0; }
        pre.error { background: #fdecea; color: #8a1c1c; }
        .output { margin: .3em 0 1.2em 1.5em; overflow-x: auto; }
        code { background: #f0f0f0; padding: 0 .2em; border-radius: 3px; }
        table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 2px 6px; }
        nav.course { display: flex; justify-content: space-between; gap: 1em; margin: 1em 0; padding: .4em 0; border-top: 1px solid #ddd; border-bottom: 1px solid #ddd; }
        nav.course a { text-decoration: none; color: #2a5db0; } nav.course span { flex: 1; } nav.course .up { text-align: center; } nav.course .next { text-align: right; }
        """;

    /// <summary>The page's &lt;head&gt; content shared with the course outline: charset, title, the page style and temml's.</summary>
    internal static string Head(string title) =>
        $"<meta charset=\"utf-8\"><title>{Encode(title)}</title>\n<style>{Style}</style>\n<style>{MathStyle.Value}</style>\n";

    private static readonly Lazy<string> MathStyle = new(MathMl.Stylesheet);

    /// <summary>
    /// Reads <paramref name="ipynbPath"/> and writes the page next to it (same name, .html) or to <paramref name="htmlPath"/>,
    /// with <paramref name="navigation"/> links at its top and bottom when given. <paramref name="plotlyJs"/>: plotly.min.js,
    /// found with <see cref="PlotlyScript()"/> when null (pass it when writing many pages).
    /// </summary>
    public static string WriteFile(string ipynbPath, string? htmlPath = null, PageNavigation? navigation = null, string? plotlyJs = null)
    {
        if (!File.Exists(ipynbPath)) throw new FileNotFoundException($"no notebook at '{Path.GetFullPath(ipynbPath)}'", ipynbPath);
        htmlPath ??= Path.ChangeExtension(ipynbPath, ".html");
        var html = Render(File.ReadAllText(ipynbPath), Path.GetFileNameWithoutExtension(ipynbPath), plotlyJs ?? PlotlyScript(), navigation);
        File.WriteAllText(htmlPath, html);
        return htmlPath;
    }

    /// <summary>
    /// The page for the notebook JSON <paramref name="ipynb"/>, embedding <paramref name="plotlyJs"/> (plotly.min.js).
    /// </summary>
    /// <exception cref="InvalidDataException">not an nbformat 4 notebook, or a formula temml cannot typeset (cell and formula named).</exception>
    public static string Render(string ipynb, string title, string plotlyJs, PageNavigation? navigation = null)
    {
        using var notebook = JsonDocument.Parse(ipynb);
        if (!notebook.RootElement.TryGetProperty("cells", out var cells) || cells.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"notebook '{title}': no \"cells\" array; expected an nbformat 4 .ipynb");
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html><head>").Append(Head(title));
        html.Append("<script>").Append(plotlyJs.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase)).Append("</script>\n");
        html.Append("<script>").Append(RequireShim).Append("</script>\n</head><body>\n");
        var nav = navigation?.ToHtml() ?? "";
        html.Append(nav);
        foreach (var (cell, index) in cells.EnumerateArray().Select((c, i) => (c, i)))
        {
            var source = Text(cell, "source");
            switch (cell.GetProperty("cell_type").GetString())
            {
                case "markdown":
                    try { html.Append(MarkdownHtml(source)); }
                    catch (InvalidDataException error)
                    {
                        throw new InvalidDataException($"notebook '{title}', cell {index + 1} (markdown): {error.Message}", error);
                    }
                    break;
                case "code":
                    html.Append($"<pre class=\"code\">{Encode(source)}</pre>\n");
                    if (cell.TryGetProperty("outputs", out var outputs))
                        foreach (var output in outputs.EnumerateArray()) html.Append(Output(output));
                    break;
            }
        }
        return html.Append(nav).Append("</body></html>\n").ToString();
    }

    /// <summary>Markdown to HTML with Markdig, math as MathML (temml) instead of Markdig's TeX spans.</summary>
    /// <exception cref="InvalidDataException">a formula temml cannot typeset.</exception>
    internal static string MarkdownHtml(string markdown) => MarkdownHtml(Markdown.Parse(markdown, Pipeline));

    internal static string MarkdownHtml(MarkdownObject markdown)
    {
        using var writer = new StringWriter();
        var renderer = new HtmlRenderer(writer);
        Pipeline.Setup(renderer);
        renderer.ObjectRenderers.ReplaceOrAdd<HtmlMathInlineRenderer>(new MathInlineRenderer());
        renderer.ObjectRenderers.ReplaceOrAdd<HtmlMathBlockRenderer>(new MathBlockRenderer());
        renderer.Render(markdown);
        writer.Flush();
        return writer.ToString();
    }

    internal static MarkdownDocument ParseMarkdown(string markdown) => Markdown.Parse(markdown, Pipeline);

    /// <summary><c>$…$</c> in text (inline) and <c>$$…$$</c> inside a paragraph (display).</summary>
    private sealed class MathInlineRenderer : HtmlObjectRenderer<MathInline>
    {
        protected override void Write(HtmlRenderer renderer, MathInline math) =>
            renderer.Write(MathMl.FromTex(math.Content.ToString(), display: math.DelimiterCount > 1));
    }

    /// <summary>A <c>$$</c> block on lines of its own.</summary>
    private sealed class MathBlockRenderer : HtmlObjectRenderer<MathBlock>
    {
        protected override void Write(HtmlRenderer renderer, MathBlock math)
        {
            renderer.EnsureLine();
            renderer.WriteLine(MathMl.FromTex(math.Lines.ToString(), display: true));
        }
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

    internal static string Encode(string text) => WebUtility.HtmlEncode(text);

    [GeneratedRegex(@"^plotly-[\d.]+\.min\.js$|\.plotly-[\d.]+\.min\.js$")] private static partial Regex PlotlyResource();
}

/// <summary>A link from one page of the course site to another (a relative href, so the folder works wherever it is copied).</summary>
public sealed record PageLink(string Href, string Title);

/// <summary>The links at the top and bottom of a notebook page: the previous page, the course outline, the next page.</summary>
public sealed record PageNavigation(PageLink Outline, PageLink? Previous, PageLink? Next)
{
    internal string ToHtml() =>
        "<nav class=\"course\">" +
        $"<span class=\"previous\">{(Previous is { } p ? $"<a href=\"{Enc(p.Href)}\" rel=\"prev\">← {Enc(p.Title)}</a>" : "")}</span>" +
        $"<span class=\"up\"><a href=\"{Enc(Outline.Href)}\">{Enc(Outline.Title)}</a></span>" +
        $"<span class=\"next\">{(Next is { } n ? $"<a href=\"{Enc(n.Href)}\" rel=\"next\">{Enc(n.Title)} →</a>" : "")}</span>" +
        "</nav>\n";

    private static string Enc(string text) => NotebookHtml.Encode(text);
}
