using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive.Documents;
using Xunit;

namespace DeepInterest.Notebooks.Tests;

/// <summary>An executed notebook becomes one HTML page whose charts render without the network.</summary>
public class NotebookHtmlTests
{
    [Fact]
    public async Task ExecutedNotebookWithAChartRendersToAPageThatEmbedsPlotlyAndLoadsNoScriptFromTheNetwork()
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
            Assert.DoesNotMatch(@"<script[^>]*\bsrc\s*=", html);                  // nothing fetched: no CDN script tag
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
