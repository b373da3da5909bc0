using DeepInterest.Notebooks;
using Xunit;
using Xunit.Abstractions;

// The runner sets the process current directory and DEEPINTEREST_SMOKE while a notebook runs.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace DeepInterest.Notebooks.Tests;

/// <summary>
/// Runs every notebooks/*.ipynb end to end in smoke mode; executed copies land in artifacts/notebooks/. The exercises'
/// starter cells, run unmodified, must make their checks print FAIL.
/// </summary>
public class NotebookExecutionTests(ITestOutputHelper output)
{
    public static TheoryData<string> Notebooks() =>
        new(Directory.GetFiles(Path.Combine(RepoRoot, "notebooks"), "*.ipynb").Select(Path.GetFileName).Order()!);

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task NotebookRunsEndToEndInSmokeMode(string notebook)
    {
        var options = new RunOptions(Smoke: true, StopOnError: true, OutputDirectory: Path.Combine(RepoRoot, "artifacts", "notebooks"));
        var result = await NotebookRunner.RunAsync(Path.Combine(RepoRoot, "notebooks", notebook), options,
            cell => output.WriteLine($"cell {cell.Index + 1,2}: {(cell.Succeeded ? "ok    " : "FAILED")} {cell.Elapsed.TotalSeconds,6:F1} s  {cell.Code.Split('\n')[0]}"));
        output.WriteLine($"{notebook}: {result.Elapsed.TotalSeconds:F1} s, executed copy {result.ExecutedPath}");

        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.True(File.Exists(result.ExecutedPath));
        // This run is also the exercises' negative test (ExerciseTests runs the reference solutions): the executed copy's
        // checks print FAIL for the unmodified starter cells.
        if (File.Exists(ExerciseSolutions.PathOf(notebook)))
            ExerciseSolutions.AssertStartersFail(NotebookRunner.Load(result.ExecutedPath!), notebook, output);
    }

    [Fact]
    public async Task SetupRejectsAnUnknownDeviceByName()
    {
        var document = new Microsoft.DotNet.Interactive.Documents.InteractiveDocument([new("#!import setup.dib", "csharp")]);
        var previous = Environment.GetEnvironmentVariable("DEEPINTEREST_DEVICE");
        Environment.SetEnvironmentVariable("DEEPINTEREST_DEVICE", "tpu");
        try
        {
            using var kernel = NotebookRunner.CreateKernel();
            var result = await NotebookRunner.RunAsync(kernel, document, "setup", Path.Combine(RepoRoot, "notebooks"), new RunOptions());

            Assert.Contains("setup-tpu.dib", result.FailedCell?.Error);
        }
        finally { Environment.SetEnvironmentVariable("DEEPINTEREST_DEVICE", previous); }
    }

    internal static string RepoRoot { get; } = FindRepoRoot();

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Directory.Packages.props")) && Directory.Exists(Path.Combine(dir.FullName, "notebooks")))
                return dir.FullName;
        throw new DirectoryNotFoundException($"No repository root (Directory.Packages.props next to notebooks/) above {AppContext.BaseDirectory}.");
    }
}
