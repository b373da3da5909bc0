using System.Text.Json;
using System.Text.RegularExpressions;
using Markdig;
using Markdig.Extensions.Mathematics;
using Markdig.Syntax;
using Microsoft.DotNet.Interactive.Documents;
using Xunit;

namespace DeepInterest.Notebooks.Tests;

/// <summary>An executed notebook becomes one HTML page whose charts render without the network and whose markdown goes through Markdig.</summary>
public class NotebookHtmlTests
{
    [Fact]
    public async Task ExecutedNotebookWithAChartRendersToAPageThatEmbedsPlotlyAndFetchesNothing()
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
            Assert.DoesNotMatch(@"<script[^>]*\bsrc\s*=", html);                // no script fetched: plotly embedded, math is MathML
            Assert.DoesNotMatch(@"<link\b", html);
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
        Assert.Contains("<math><msup><mi>x</mi><mn class=\"tml-sml-pad\">2</mn></msup></math>", body); // inline MathML, no TeX
        Assert.Contains("<code>$not math$</code>", body);                       // no math inside code spans
        Assert.Contains("<a href=\"https://arxiv.org/abs/1706.06978\">the paper</a>", body);
        Assert.Contains("<a href=\"https://example.org\">https://example.org</a>", body); // auto-link
        Assert.Contains("<del>old</del>", body);                                // emphasis extras
        Assert.Matches(@"<table>\s*<thead>\s*<tr>\s*<th>name</th>\s*<th>score</th>", body);
        Assert.Matches(@"<td>dot</td>\s*<td><math><mrow><msubsup><mi>e</mi><mi>j</mi><mi class=""tml-sml-pad"">⊤</mi></msubsup><msub><mi>e</mi><mi>c</mi></msub></mrow></math></td>", body);
        Assert.Matches(@"<math display=""block"" class=""tml-display"" style=""display:block math;""><mrow><mi>a</mi><mo>&lt;</mo><mi>b</mi></mrow></math>", body);
        Assert.DoesNotContain("\\(", body);
        Assert.DoesNotContain("\\[", body);
        Assert.Matches(@"<ol>\s*<li>first</li>\s*<li>second</li>\s*</ol>", body);
        Assert.Contains("<pre><code class=\"language-csharp\">var x = a &lt; b;\n</code></pre>", body);
        Assert.DoesNotContain("<script", body);                                 // raw HTML is text, not markup
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", body);
    }

    [Fact]
    public void PagesCarryTemmlsStylesheetWithItsFontInlinedAndLoadNothing()
    {
        var html = NotebookHtml.Render("{\"cells\": []}", "t", plotlyJs: "");
        var head = html[..html.IndexOf("<body>", StringComparison.Ordinal)];

        Assert.Contains("math.tml-display", head);                                  // temml's CSS, inlined
        Assert.Matches(@"@font-face \{\s*font-family: 'Temml';\s*src: url\(data:font/woff2;base64,[A-Za-z0-9+/=]{1000,}\) format\('woff2'\)", head);
        Assert.DoesNotContain("url('Temml.woff2')", head);                          // no file beside the page
        Assert.DoesNotMatch(@"url\(\s*['""]?(https?:|//)", head);                      // no CDN
        Assert.DoesNotMatch(@"\b(src|href)\s*=", head);
    }

    /// <summary>Every formula of every course notebook's markdown; the HTML of the unexecuted notebook is enough.</summary>
    [Theory]
    [MemberData(nameof(NotebookExecutionTests.Notebooks), MemberType = typeof(NotebookExecutionTests))]
    public void EveryFormulaOfTheCourseBecomesMathMlWithNoTeXLeft(string notebook)
    {
        var ipynb = File.ReadAllText(Path.Combine(NotebookExecutionTests.RepoRoot, "notebooks", notebook));
        var formulas = CountFormulas(ipynb);

        var html = NotebookHtml.Render(ipynb, notebook, plotlyJs: "");

        Assert.True(formulas > 0, $"{notebook} has no formula: the test would check nothing");
        Assert.Equal(formulas, Regex.Matches(html, "<math[ >]").Count);
        Assert.DoesNotContain("temml-error", html);
        // Code (cells, spans) may hold '$' and '\(' as C#; everything else the reader sees must have no TeX delimiter.
        var prose = Regex.Replace(html, @"<pre[\s\S]*?</pre>|<code>[\s\S]*?</code>|<style>[\s\S]*?</style>", "");
        foreach (var delimiter in new[] { "$", "\\(", "\\[" })
        {
            var at = prose.IndexOf(delimiter, StringComparison.Ordinal);
            Assert.True(at < 0, $"{notebook}: raw TeX '{delimiter}' left in the page: …{(at < 0 ? "" : prose.Substring(Math.Max(0, at - 80), Math.Min(160, prose.Length - Math.Max(0, at - 80))))}…");
        }
    }

    /// <summary>Math elements Markdig finds in the markdown cells: the number of formulas a page must typeset.</summary>
    private static int CountFormulas(string ipynb)
    {
        var pipeline = new MarkdownPipelineBuilder().UsePipeTables().UseEmphasisExtras().UseAutoLinks().UseMathematics().DisableHtml().Build();
        using var notebook = JsonDocument.Parse(ipynb);
        return notebook.RootElement.GetProperty("cells").EnumerateArray()
            .Where(c => c.GetProperty("cell_type").GetString() == "markdown")
            .Select(c => string.Concat(c.GetProperty("source").EnumerateArray().Select(l => l.GetString())))
            .Sum(source => Markdown.Parse(source, pipeline).Descendants().Count(d => d is MathInline or MathBlock));
    }

    [Fact]
    public void FormulaTemmlCannotParseFailsThePageNamingNotebookCellAndFormula()
    {
        var notebook = JsonSerializer.Serialize(new
        {
            cells = new object[]
            {
                new { cell_type = "markdown", source = "# fine $x_1$" },
                new { cell_type = "code", source = "var x = 1;", outputs = Array.Empty<object>() },
                new { cell_type = "markdown", source = "A typo: $\\sigam(x)$." },
            },
            nbformat = 4,
        });

        var error = Assert.Throws<InvalidDataException>(() => NotebookHtml.Render(notebook, "typo.ipynb", plotlyJs: ""));

        Assert.Contains("notebook 'typo.ipynb', cell 3 (markdown)", error.Message);
        Assert.Contains("`\\sigam(x)`", error.Message);
        Assert.Contains("Unsupported function name: \\sigam", error.Message);        // temml's reason
        Assert.DoesNotContain("\n", error.Message);                                 // one line for the console
    }

    [Fact]
    public void UnbalancedBracesAreAnErrorNotRedTextInThePage()
    {
        var error = Assert.Throws<InvalidDataException>(() => MathMl.FromTex("\\frac{1}{2", display: false));
        Assert.Contains("`\\frac{1}{2`", error.Message);
    }

    [Fact]
    public void ConversionIsSafeFromManyThreadsAtOnce()
    {
        var expected = MathMl.FromTex("\\sum_j a_j e_j", display: true);
        var results = new string[32];

        Parallel.For(0, results.Length, i => results[i] = MathMl.FromTex("\\sum_j a_j e_j", display: true));

        Assert.All(results, r => Assert.Equal(expected, r));
        Assert.Contains("<munder><mo movablelimits=\"false\">∑</mo><mi>j</mi></munder>", expected);
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
