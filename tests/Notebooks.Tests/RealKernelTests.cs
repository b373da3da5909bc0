using System.Diagnostics;
using Microsoft.DotNet.Interactive.Documents;
using Xunit;
using Xunit.Abstractions;

namespace DeepInterest.Notebooks.Tests;

/// <summary>
/// Every notebook in smoke mode in the kernel students run: the <c>Microsoft.dotnet-interactive</c> tool pinned in
/// .config/dotnet-tools.json, spoken to over its stdio protocol as VS Code does (<see cref="StdioKernel"/>), one fresh
/// kernel process per notebook. It differs from the in-process runner of <see cref="NotebookExecutionTests"/> in
/// version, GC mode, FSharp.Core and package restore, so a kernel release that breaks the course fails here. The same
/// cells, outputs and failure rules as the in-process run (<see cref="NotebookRunner.RunCellsAsync"/>); executed
/// copies land in artifacts/notebooks-real-kernel/.
/// </summary>
public class RealKernelTests(ITestOutputHelper output, RealKernelTests.Tool tool) : IClassFixture<RealKernelTests.Tool>
{
    /// <summary>Set by .ci/run when the tool cannot be installed on the machine; the tests then skip with its value as the reason.</summary>
    public const string UnavailableVariable = "DEEPINTEREST_REAL_KERNEL_UNAVAILABLE";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3), NotebookTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Restores the pinned tool once per run (quick when it is already there), so a plain <c>dotnet test</c> works too.</summary>
    public sealed class Tool
    {
        public string? Unavailable { get; } = Environment.GetEnvironmentVariable(UnavailableVariable);
        public string? RestoreFailure { get; }

        public Tool()
        {
            if (Unavailable is not null) return;
            var start = new ProcessStartInfo("dotnet", ["tool", "restore"])
            {
                WorkingDirectory = NotebookExecutionTests.RepoRoot,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var restore = Process.Start(start)!;
            var stderr = restore.StandardError.ReadToEndAsync();
            var stdout = restore.StandardOutput.ReadToEnd();
            restore.WaitForExit();
            if (restore.ExitCode != 0)
                RestoreFailure = $"`dotnet tool restore` in {NotebookExecutionTests.RepoRoot} failed (exit {restore.ExitCode}):\n{stdout}{stderr.Result}";
        }
    }

    [SkippableTheory]
    [MemberData(nameof(NotebookExecutionTests.Notebooks), MemberType = typeof(NotebookExecutionTests))]
    public async Task NotebookRunsInTheDotnetInteractiveToolInSmokeMode(string notebook)
    {
        var result = await RunAsync(notebook, new Dictionary<string, string>());

        Assert.True(result.Succeeded, result.FailureMessage);
        if (File.Exists(ExerciseSolutions.PathOf(notebook)))
            ExerciseSolutions.AssertStartersFail(NotebookRunner.Load(result.ExecutedPath!), notebook, output);
    }

    /// <summary>
    /// The real-kernel half of <see cref="ShadowedLibTorchTests"/>: a foreign shared object under libtorch's file names
    /// first on the kernel process's LD_LIBRARY_PATH must not stop a notebook (the smallest one that trains).
    /// </summary>
    [SkippableFact]
    public async Task NotebookRunsInTheToolWithADecoyLibTorchFirstOnTheLibraryPath()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the library-path lookup this guards against is Linux's");
        var decoy = ShadowedLibTorchTests.CreateDecoyFolder();
        try
        {
            var result = await RunAsync("01-average-pooling.ipynb", new Dictionary<string, string> { ["LD_LIBRARY_PATH"] = decoy });
            Assert.True(result.Succeeded, result.FailureMessage);
        }
        finally { Directory.Delete(decoy, recursive: true); }
    }

    /// <summary>The failure rules hold over the wire: compile errors, exceptions and errors inside #!import'ed cells fail their cell.</summary>
    [SkippableFact]
    public async Task ErrorsInTheToolFailTheirCellWithTheKernelsMessage()
    {
        var folder = Directory.CreateTempSubdirectory("real-kernel-errors-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "broken.dib"), "#!csharp\n\nint imported = \"not a number\";\n");
            var document = new InteractiveDocument([
                new("# errors", "markdown"),
                new("int count = \"three\";", "csharp"),
                new("throw new InvalidOperationException(\"boom at runtime\");", "csharp"),
                new("#!import broken.dib", "csharp"),
                new("Console.WriteLine(\"still running\");", "csharp"),
            ]);

            var result = await RunAsync(document, "errors.ipynb", folder, new RunOptions(StopOnError: false), new Dictionary<string, string>());

            Assert.Equal([false, false, false, true], result.Cells.Select(c => c.Succeeded));
            Assert.Contains("CS0029", result.Cells[0].Error);
            Assert.Contains("boom at runtime", result.Cells[1].Error);
            Assert.Contains("CS0029", result.Cells[2].Error);
            Assert.Equal("still running\n", ExerciseSolutions.Stdout(document.Elements[4]));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    private async Task<NotebookRunResult> RunAsync(string notebook, Dictionary<string, string> environment)
    {
        var folder = Path.Combine(NotebookExecutionTests.RepoRoot, "notebooks");
        var document = NotebookRunner.Load(Path.Combine(folder, notebook));
        environment[NotebookRunner.SmokeVariable] = "1";
        var result = await RunAsync(document, notebook, folder, new RunOptions(Smoke: true, StopOnError: true), environment);

        var executed = Path.Combine(NotebookExecutionTests.RepoRoot, "artifacts", "notebooks-real-kernel", notebook);
        Directory.CreateDirectory(Path.GetDirectoryName(executed)!);
        NotebookRunner.Save(document, executed);
        output.WriteLine($"executed copy {executed}");
        return result with { ExecutedPath = executed };
    }

    /// <summary>Runs <paramref name="document"/> in a new kernel process started in <paramref name="folder"/>, then kills it.</summary>
    private async Task<NotebookRunResult> RunAsync(InteractiveDocument document, string name, string folder, RunOptions options,
        Dictionary<string, string> environment)
    {
        Skip.If(tool.Unavailable is not null, $"the dotnet-interactive tool is not installed: {tool.Unavailable}");
        Assert.True(tool.RestoreFailure is null, tool.RestoreFailure);
        var clock = Stopwatch.StartNew();
        using var kernel = await StdioKernel.StartAsync(folder, environment, StartTimeout);
        output.WriteLine($"kernel ready after {clock.Elapsed.TotalSeconds:F1} s");
        using var cancel = new CancellationTokenSource(NotebookTimeout);
        var result = await NotebookRunner.RunCellsAsync(document, name, options,
            (code, kernelName) => kernel.SubmitAsync(code, kernelName, cancel.Token),
            cell => output.WriteLine($"cell {cell.Index + 1,2}: {(cell.Succeeded ? "ok    " : "FAILED")} {cell.Elapsed.TotalSeconds,6:F1} s  {cell.Code.Split('\n')[0]}"));
        output.WriteLine($"{name}: {clock.Elapsed.TotalSeconds:F1} s with the kernel's start");
        if (!result.Succeeded) output.WriteLine($"the kernel's stderr:\n{kernel.Stderr}");
        return result;
    }
}
