using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive.Documents;
using Xunit;

namespace DeepInterest.Notebooks.Tests;

/// <summary>An executed notebook becomes one HTML page whose charts render without the network and whose markdown goes through Markdig.</summary>
public class NotebookHtmlTests
{
    [Fact]
    public async Task ExecutedNotebookWithAChartRendersToAPageThatEmbedsPlotlyAndFetchesOnlyKaTeX()
    {
        var document = new InteractiveDocument(
        [
            new("# Loss\n\nThe **training** loss of `three` epochs:\n- falls\n- then flattens", "markdown"),
            new("#!import common.dib", "csharp"),
            new("Console.WriteLine(\"a <b> printed\");", "csharp"),
            new("Plotly.NET.CSharp.Chart.Line<int, double, string>(x: new[] { 0, 1, 2 }, y: new[] { 0.69, 0.52, 0.47 }, Name: \"loss\")", "csharp"),
        ]);
        using (var kernel = NotebookRunner.CreateKernel())
        {
            var result = await NotebookRunner.RunAsync(kernel, document, "chart.ipynb", Path.Combine(NotebookExecutionTests.RepoRoot, "notebooks"), new RunOptions());
            Assert.True(result.Succeeded, result.FailureMessage);
        }
        var folder = Directory.CreateTempSubdirectory("notebook-html-").FullName;
        try
        {
            var ipynb = Path.Combine(folder, "chart.ipynb");
            NotebookRunner.Save(document, ipynb);

            var html = File.ReadAllText(NotebookHtml.WriteFile(ipynb));

            var chartOutput = string.Join("\n", document.Elements[3].Outputs.OfType<DisplayElement>().SelectMany(d => d.Data.Values));
            var chartId = Regex.Match(chartOutput, "<div id=\"([^\"]+)\"").Groups[1].Value;
            Assert.NotEmpty(chartId);
            Assert.Contains($"<div id=\"{chartId}\"", html);                     // the chart's div, output inserted as is
            Assert.Contains($"Plotly.newPlot('{chartId}'", html);
            Assert.Single(Regex.Matches(html, @"plotly\.js v\d+\.\d+\.\d+"));   // plotly.min.js embedded once
            var fetched = Regex.Matches(html, @"<script[^>]*\bsrc\s*=\s*""([^""]+)""").Select(m => m.Groups[1].Value).ToList();
            Assert.NotEmpty(fetched);
            Assert.All(fetched, src => Assert.StartsWith("https://cdn.jsdelivr.net/npm/katex@", src)); // only KaTeX, never plotly
            Assert.Contains("window.requirejs = window.require", html);
            Assert.Contains("<h1>Loss</h1>", html);
            Assert.Contains("<strong>training</strong>", html);
            Assert.Contains("<code>three</code>", html);
            Assert.Contains("<li>falls</li>", html);
            Assert.Contains("a &lt;b&gt; printed", html);                        // stdout escaped in <pre>
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void MarkdownCellsRenderTablesMathCodeHeadingsListsAndLinksAndEscapeRawHtml()
    {
        var markdown = string.Join("\n",
            "## Scores",
            "",
            "Weights $x^2$ and `$not math$`, see [the paper](https://arxiv.org/abs/1706.06978), ~~old~~, or https://example.org.",
            "",
            "| name | score |",
            "|---|---|",
            "| dot | $e_j^\\top e_c$ |",
            "",
            "$$",
            "a < b",
            "$$",
            "",
            "1. first",
            "2. second",
            "",
            "```csharp",
            "var x = a < b;",
            "```",
            "",
            "<script>alert(1)</script>");
        var notebook = JsonSerializer.Serialize(new { cells = new[] { new { cell_type = "markdown", source = markdown } }, nbformat = 4 });

        var html = NotebookHtml.Render(notebook, "t", plotlyJs: "");
        var body = html[html.IndexOf("<body>", StringComparison.Ordinal)..];

        Assert.Contains("<h2>Scores</h2>", body);
        Assert.Contains("<span class=\"math\">\\(x^2\\)</span>", body);
        Assert.Contains("<code>$not math$</code>", body);                       // no math inside code spans
        Assert.Contains("<a href=\"https://arxiv.org/abs/1706.06978\">the paper</a>", body);
        Assert.Contains("<a href=\"https://example.org\">https://example.org</a>", body); // auto-link
        Assert.Contains("<del>old</del>", body);                                // emphasis extras
        Assert.Matches(@"<table>\s*<thead>\s*<tr>\s*<th>name</th>\s*<th>score</th>", body);
        Assert.Matches(@"<td>dot</td>\s*<td><span class=""math"">\\\(e_j\^\\top e_c\\\)</span></td>", body);
        Assert.Matches(@"<div class=""math"">\s*\\\[\s*a &lt; b\s*\\\]\s*</div>", body);
        Assert.Matches(@"<ol>\s*<li>first</li>\s*<li>second</li>\s*</ol>", body);
        Assert.Contains("<pre><code class=\"language-csharp\">var x = a &lt; b;\n</code></pre>", body);
        Assert.DoesNotContain("<script", body);                                 // raw HTML is text, not markup
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", body);
    }

    [Fact]
    public void KaTeXIsLoadedDeferredAndPinnedAndTypesetsOnlyMarkdigsMathDelimiters()
    {
        var html = NotebookHtml.Render("{\"cells\": []}", "t", plotlyJs: "");
        var head = html[..html.IndexOf("<body>", StringComparison.Ordinal)];

        Assert.Matches(@"<link rel=""stylesheet"" href=""https://cdn\.jsdelivr\.net/npm/katex@\d+\.\d+\.\d+/dist/katex\.min\.css"" integrity=""sha384-", head);
        Assert.Matches(@"<script defer src=""https://cdn\.jsdelivr\.net/npm/katex@\d+\.\d+\.\d+/dist/katex\.min\.js"" integrity=""sha384-", head);
        Assert.Matches(@"<script defer src=""https://cdn\.jsdelivr\.net/npm/katex@\d+\.\d+\.\d+/dist/contrib/auto-render\.min\.js"" integrity=""sha384-[^""]+"" crossorigin=""anonymous""\s+onload=""document\.querySelectorAll\('\.math'\)", head);
        Assert.Contains(@"{ left: '\\[', right: '\\]', display: true }", head); // JS string '\\[' is the two characters \[
        Assert.Contains(@"{ left: '\\(', right: '\\)', display: false }", head);
        Assert.Single(Regex.Matches(head, @"katex@(\d+\.\d+\.\d+)").Select(m => m.Groups[1].Value).Distinct()); // one version
    }

    [Fact]
    public void PlotlyAndTheRequireShimAreDefinedBeforeTheChartOutputsThatUseThem()
    {
        // The two ways Plotly.NET.Interactive's chart script asks for plotly, as in its output.
        var notebook = """
            {"cells": [{"cell_type": "code", "source": ["chart"], "outputs": [{"output_type": "display_data", "data": {"text/html": [
              "<div id=\"c1\"></div><script>var r = requirejs.config({context:'fsharp-plotly',paths:{plotly:'https://cdn.plot.ly/plotly-2.28.0.min'}}) || require; r(['plotly'], function(P) { P.newPlot('c1'); });</script>"
            ]}}]}], "nbformat": 4, "nbformat_minor": 5}
            """;

        var html = NotebookHtml.Render(notebook, "t", plotlyJs: "window.Plotly = { newPlot: function (id) { window.drawn = id; } };");

        Assert.Contains("<div id=\"c1\"></div>", html);
        Assert.True(html.IndexOf("window.Plotly =", StringComparison.Ordinal) < html.IndexOf("window.requirejs =", StringComparison.Ordinal));
        Assert.True(html.IndexOf("window.requirejs =", StringComparison.Ordinal) < html.IndexOf("<div id=\"c1\">", StringComparison.Ordinal));
    }

    [Fact]
    public void NotebookWithoutCellsIsRejectedWithItsName()
    {
        var error = Assert.Throws<InvalidDataException>(() => NotebookHtml.Render("{\"nbformat\": 4}", "broken", ""));
        Assert.Contains("broken", error.Message);
    }
}
