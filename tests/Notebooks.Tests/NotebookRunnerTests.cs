using Microsoft.DotNet.Interactive.Documents;
using Xunit;

namespace DeepInterest.Notebooks.Tests;

/// <summary>The runner's own contract, on small in-memory notebooks (no TorchSharp).</summary>
public class NotebookRunnerTests
{
    private static Task<(NotebookRunResult Result, InteractiveDocument Document)> RunAsync(RunOptions options, params string[] codeCells) =>
        RunInAsync(Path.GetTempPath(), options, codeCells);

    private static async Task<(NotebookRunResult Result, InteractiveDocument Document)> RunInAsync(string workingDirectory, RunOptions options, params string[] codeCells)
    {
        var document = new InteractiveDocument([new("# a title", "markdown"), .. codeCells.Select(code => new InteractiveDocumentElement(code, "csharp"))]);
        using var kernel = NotebookRunner.CreateKernel();
        var result = await NotebookRunner.RunAsync(kernel, document, "in-memory.ipynb", workingDirectory, options);
        return (result, document);
    }

    private static string Html(InteractiveDocumentElement cell) =>
        string.Join("\n", cell.Outputs.OfType<DisplayElement>().SelectMany(d => d.Data).Where(kv => kv.Key == "text/html").Select(kv => kv.Value));

    [Fact]
    public async Task PackageKernelExtensionsRenderPlotlyChartsAndDataFramesAsHtml()
    {
        // notebooks/common.dib: the FSharp.Core shim Plotly.NET 6 needs here, then Plotly.NET.Interactive and Microsoft.Data.Analysis.
        var (result, document) = await RunInAsync(Path.Combine(NotebookExecutionTests.RepoRoot, "notebooks"), new RunOptions(),
            "#!import common.dib",
            "Plotly.NET.CSharp.Chart.Line<int, double, string>(x: new[] { 0, 1, 2 }, y: new[] { 0.69, 0.52, 0.47 }, Name: \"loss\")",
            "new Microsoft.Data.Analysis.DataFrame(new Microsoft.Data.Analysis.PrimitiveDataFrameColumn<int>(\"epoch\", new[] { 1, 2 }))");

        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Contains("Plotly.newPlot", Html(document.Elements[2])); // the extension's formatter, not the default object tree
        Assert.Contains("<table", Html(document.Elements[3]));
        Assert.Contains("epoch", Html(document.Elements[3]));
    }

    [Theory]
    [InlineData("int count = \"three\";", "CS0029")]
    [InlineData("throw new InvalidOperationException(\"boom at runtime\");", "boom at runtime")]
    public async Task FailingCellIsReportedWithItsNumberCodeAndError(string failingCode, string expectedError)
    {
        var (result, document) = await RunAsync(new RunOptions(StopOnError: true), "var before = 1;", failingCode, "var after = 2;");

        Assert.False(result.Succeeded);
        Assert.Equal(2, result.Cells.Count); // stopped: the cell after the failure did not run
        var failed = result.FailedCell!;
        Assert.Equal(2, failed.Index); // the markdown title is cell 0
        Assert.Equal(failingCode, failed.Code);
        Assert.Contains(expectedError, failed.Error);
        Assert.Contains("cell 3 (index 2)", result.FailureMessage);
        Assert.Contains(failingCode, result.FailureMessage);
        Assert.Contains(expectedError, result.FailureMessage);
        var errorOutput = Assert.IsType<ErrorElement>(Assert.Single(document.Elements[2].Outputs));
        Assert.Contains(expectedError, string.Join("\n", errorOutput.StackTrace));
        Assert.Equal(2, document.Elements[2].ExecutionOrder);
    }

    [Fact]
    public async Task ErrorInAnImportedCellFailsTheImportingCell()
    {
        // .NET Interactive reports it as ErrorProduced while the #!import command itself succeeds.
        var folder = Directory.CreateTempSubdirectory("notebook-runner-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "broken.dib"), "#!csharp\n\nvar ok = 1;\n\n#!csharp\n\nint broken = \"text\";\n");
            var (result, _) = await RunInAsync(folder, new RunOptions(), "#!import broken.dib", "var after = 2;");

            Assert.Equal(1, result.FailedCell?.Index);
            Assert.Contains("CS0029", result.FailedCell!.Error);
            Assert.Single(result.Cells);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public async Task DisplayedValueUpdatedReplacesTheDisplayInsteadOfAppending()
    {
        // KernelInvocationContextExtensions.Display, not the display() helper: in .NET Interactive 1.0.0-beta.26120.1 display()
        // shows one DisplayedValue and returns another, so its Update() carries a new ValueId and appends (upstream bug).
        var (result, document) = await RunAsync(new RunOptions(),
            """
            using Microsoft.DotNet.Interactive;
            var progress = KernelInvocationContextExtensions.Display(KernelInvocationContext.Current, "step 1 of 2");
            progress.Update("step 2 of 2");
            display("done");
            """);

        Assert.True(result.Succeeded, result.FailureMessage);
        var texts = document.Elements[1].Outputs.Cast<DisplayElement>().Select(d => string.Join(" ", d.Data.Values)).ToList();
        Assert.Equal(2, texts.Count);
        Assert.Contains("step 2 of 2", texts[0]);
        Assert.DoesNotContain("step 1 of 2", texts[0]);
        Assert.Contains("done", texts[1]);
    }

    [Fact]
    public async Task SmokeModeAndWorkingDirectoryHoldOnlyWhileTheNotebookRuns()
    {
        var directoryBefore = Environment.CurrentDirectory;
        var smokeBefore = Environment.GetEnvironmentVariable(NotebookRunner.SmokeVariable);

        var (result, document) = await RunAsync(new RunOptions(Smoke: true),
            "Console.Write($\"{Environment.GetEnvironmentVariable(\"DEEPINTEREST_SMOKE\")}|{Environment.CurrentDirectory}\");");

        Assert.True(result.Succeeded, result.FailureMessage);
        var stdout = Assert.IsType<TextElement>(Assert.Single(document.Elements[1].Outputs));
        Assert.Equal($"1|{Path.GetFullPath(Path.GetTempPath()).TrimEnd(Path.DirectorySeparatorChar)}", stdout.Text.TrimEnd(Path.DirectorySeparatorChar));
        Assert.Equal(directoryBefore, Environment.CurrentDirectory);
        Assert.Equal(smokeBefore, Environment.GetEnvironmentVariable(NotebookRunner.SmokeVariable));
    }
}
