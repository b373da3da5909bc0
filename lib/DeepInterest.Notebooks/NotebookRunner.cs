using System.Diagnostics;
using System.Runtime.Loader;
using System.Text;
using System.Text.Json;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.PackageManagement;

namespace DeepInterest.Notebooks;

/// <summary>How to run a notebook.</summary>
/// <param name="Smoke">Sets <c>DEEPINTEREST_SMOKE=1</c> while the notebook runs; its parameters cell then shrinks data and epochs.</param>
/// <param name="StopOnError">Skip the remaining cells after the first failing one (later cells would fail for the same reason).</param>
/// <param name="OutputDirectory">Where the executed copy (with outputs and execution counts) is written; null = not written.</param>
public sealed record RunOptions(bool Smoke = false, bool StopOnError = true, string? OutputDirectory = null);

/// <summary>One executed code cell. <paramref name="Index"/> counts all cells (markdown too) from 0, as the .ipynb stores them.</summary>
public sealed record CellResult(int Index, string Code, TimeSpan Elapsed, string? Error)
{
    public bool Succeeded => Error is null;
}

/// <summary>What happened when a notebook ran: every executed code cell with its time, and the first failure if any.</summary>
public sealed record NotebookRunResult(string Notebook, IReadOnlyList<CellResult> Cells, string? ExecutedPath)
{
    public CellResult? FailedCell => Cells.FirstOrDefault(c => !c.Succeeded);
    public bool Succeeded => FailedCell is null;
    public TimeSpan Elapsed => TimeSpan.FromTicks(Cells.Sum(c => c.Elapsed.Ticks));

    /// <summary>Names the cell (1-based, as an editor shows it), prints its code and the error; null when all cells passed.</summary>
    public string? FailureMessage => FailedCell is { } cell
        ? $"{Notebook}: cell {cell.Index + 1} (index {cell.Index}) failed after {cell.Elapsed.TotalSeconds:F1} s.\n" +
          $"--- code ---\n{cell.Code}\n--- error ---\n{cell.Error}"
        : null;
}

/// <summary>
/// How the executed copy was made, stored in its notebook metadata under <see cref="MetadataKey"/> so the course outline
/// can show each page's run time. <paramref name="FailedCell"/>: 1-based, as an editor numbers cells; null when all passed.
/// </summary>
public sealed record RunRecord(double Seconds, bool Smoke, int? FailedCell)
{
    public const string MetadataKey = "deepinterest_run";

    public static RunRecord Of(NotebookRunResult result, RunOptions options) =>
        new(Math.Round(result.Elapsed.TotalSeconds, 1), options.Smoke, result.FailedCell is { } failed ? failed.Index + 1 : null);

    internal Dictionary<string, object> ToMetadata()
    {
        var metadata = new Dictionary<string, object> { ["seconds"] = Seconds, ["smoke"] = Smoke };
        if (FailedCell is { } cell) metadata["failed_cell"] = cell;
        return metadata;
    }

    /// <summary>The record in an executed notebook's JSON metadata; null for a notebook the runner did not write.</summary>
    public static RunRecord? Read(JsonElement notebook) =>
        notebook.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
        && metadata.TryGetProperty(MetadataKey, out var run) && run.ValueKind == JsonValueKind.Object
        && run.TryGetProperty("seconds", out var seconds) && seconds.ValueKind == JsonValueKind.Number
            ? new RunRecord(seconds.GetDouble(),
                run.TryGetProperty("smoke", out var smoke) && smoke.ValueKind == JsonValueKind.True,
                run.TryGetProperty("failed_cell", out var cell) && cell.ValueKind == JsonValueKind.Number ? cell.GetInt32() : null)
            : null;
}

/// <summary>
/// Runs .ipynb notebooks headless in an in-process .NET Interactive C# kernel, configured like the kernel VS Code
/// Polyglot Notebooks starts: <c>#r "nuget: …"</c> with the packages' kernel extensions, kernel helpers such as
/// <c>display</c>, value sharing and <c>#!import</c>.
/// </summary>
public static class NotebookRunner
{
    public const string SmokeVariable = "DEEPINTEREST_SMOKE";

    public static CompositeKernel CreateKernel()
    {
        var loadedExtensions = new HashSet<string>();
        var csharp = new CSharpKernel()
            .UseNugetDirective(async (kernel, packages) =>
            {
                kernel.AddAssemblyReferences(packages.SelectMany(p => p.AssemblyPaths));
                foreach (var package in packages)
                    await LoadKernelExtensionsAsync(kernel, Path.Combine(package.PackageRoot, "interactive-extensions", "dotnet"), loadedExtensions);
            })
            .UseKernelHelpers()
            .UseValueSharing();
        var composite = new CompositeKernel { csharp }.UseImportMagicCommand();
        composite.DefaultKernelName = csharp.Name;
        return composite;
    }

    /// <summary>
    /// The dotnet-interactive app loads <c>interactive-extensions/dotnet/*.dll</c> of every restored package (this is how
    /// Plotly.NET.Interactive and Microsoft.Data.Analysis.Interactive register their HTML formatters); the library does not.
    /// </summary>
    private static async Task LoadKernelExtensionsAsync(Kernel kernel, string directory, HashSet<string> loaded)
    {
        if (!Directory.Exists(directory)) return;
        foreach (var dll in Directory.GetFiles(directory, "*.dll"))
        {
            if (!loaded.Add(Path.GetFileName(dll))) continue;
            var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(dll);
            foreach (var type in assembly.ExportedTypes.Where(t => !t.IsAbstract && typeof(IKernelExtension).IsAssignableFrom(t)))
                await ((IKernelExtension)Activator.CreateInstance(type)!).OnLoadAsync(kernel);
        }
    }

    public static InteractiveDocument Load(string ipynbPath)
    {
        var kernels = new KernelInfoCollection { new("csharp", languageName: "C#", aliases: ["c#", "C#"]) };
        kernels.DefaultKernelName = "csharp";
        return Notebook.Parse(File.ReadAllText(ipynbPath), kernels);
    }

    public static void Save(InteractiveDocument document, string ipynbPath) =>
        File.WriteAllText(ipynbPath, document.ToJupyterJson());

    /// <summary>Runs the notebook at <paramref name="ipynbPath"/> in a fresh kernel and writes the executed copy if asked.</summary>
    public static async Task<NotebookRunResult> RunAsync(string ipynbPath, RunOptions options, Action<CellResult>? onCell = null)
    {
        var path = Path.GetFullPath(ipynbPath);
        var document = Load(path);
        using var kernel = CreateKernel();
        var result = await RunAsync(kernel, document, Path.GetFileName(path), Path.GetDirectoryName(path)!, options, onCell);
        if (options.OutputDirectory is null) return result;
        Directory.CreateDirectory(options.OutputDirectory);
        var executedPath = Path.Combine(options.OutputDirectory, Path.GetFileName(path));
        document.Metadata[RunRecord.MetadataKey] = RunRecord.Of(result, options).ToMetadata();
        Save(document, executedPath);
        return result with { ExecutedPath = executedPath };
    }

    /// <summary>
    /// Runs the code cells of <paramref name="document"/> in order and writes their outputs and execution counts back into it.
    /// While it runs, the process current directory is <paramref name="workingDirectory"/> (VS Code uses the notebook's folder;
    /// relative <c>#r</c> and <c>#!import</c> paths resolve against it), so runs must not overlap within one process.
    /// </summary>
    public static async Task<NotebookRunResult> RunAsync(Kernel kernel, InteractiveDocument document, string name,
        string workingDirectory, RunOptions options, Action<CellResult>? onCell = null)
    {
        var previousDirectory = Environment.CurrentDirectory;
        var previousSmoke = Environment.GetEnvironmentVariable(SmokeVariable);
        Environment.CurrentDirectory = workingDirectory;
        if (options.Smoke) Environment.SetEnvironmentVariable(SmokeVariable, "1");
        try
        {
            return await RunCellsAsync(document, name, options, async (code, kernelName) =>
            {
                // The command's own result misses what cells imported with #!import print, and their errors: those
                // arrive as ErrorProduced on the kernel's event stream while the importing command still succeeds.
                var events = new List<KernelEvent>();
                using (kernel.KernelEvents.Subscribe(e => { lock (events) events.Add(e); }))
                    await kernel.SendAsync(new SubmitCode(code, kernelName));
                lock (events) return events.ToList();
            }, onCell);
        }
        finally
        {
            Environment.CurrentDirectory = previousDirectory;
            Environment.SetEnvironmentVariable(SmokeVariable, previousSmoke);
        }
    }

    /// <summary>
    /// Runs the code cells of <paramref name="document"/> in order through <paramref name="submit"/>, which sends one
    /// cell's code to a kernel (this process's, or another process's such as the dotnet-interactive tool) and returns
    /// every event the submission caused, those of cells it imports included. Writes the outputs and execution counts
    /// back into the document. <see cref="RunOptions.Smoke"/> is the caller's to apply (the kernel's environment).
    /// </summary>
    public static async Task<NotebookRunResult> RunCellsAsync(InteractiveDocument document, string name, RunOptions options,
        Func<string, string, Task<IReadOnlyList<KernelEvent>>> submit, Action<CellResult>? onCell = null)
    {
        var cells = new List<CellResult>();
        var executionCount = 0;
        foreach (var (element, index) in document.Elements.Select((e, i) => (e, i)))
        {
            if (element.KernelName is "markdown" || string.IsNullOrWhiteSpace(element.Contents)) continue;
            var stopwatch = Stopwatch.StartNew();
            var events = await submit(element.Contents, element.KernelName ?? "csharp");
            var error = WriteOutputs(element, events);
            element.ExecutionOrder = ++executionCount;
            var cell = new CellResult(index, element.Contents, stopwatch.Elapsed, error);
            cells.Add(cell);
            onCell?.Invoke(cell);
            if (error is not null && options.StopOnError) break;
        }
        return new NotebookRunResult(name, cells, ExecutedPath: null);
    }

    /// <summary>Replaces the element's outputs by the cell's stdout, displays and error, as Jupyter stores them; returns the error text.</summary>
    private static string? WriteOutputs(InteractiveDocumentElement element, IEnumerable<KernelEvent> events)
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var displays = new List<InteractiveDocumentOutputElement>();
        var displayIndexByValueId = new Dictionary<string, int>();
        CommandFailed? firstFailure = null;
        ErrorProduced? firstError = null;
        foreach (var kernelEvent in events)
        {
            switch (kernelEvent)
            {
                case StandardOutputValueProduced text: stdout.Append(text.FormattedValues.FirstOrDefault()?.Value); break;
                case StandardErrorValueProduced text: stderr.Append(text.FormattedValues.FirstOrDefault()?.Value); break;
                // The first error is the cause (an imported cell's error makes the following import cells fail too).
                // A command's ErrorProduced is followed by its CommandFailed, whose exception says more. Same command =
                // same token: events read from another kernel process carry copies of the command, not the object.
                case CommandFailed failed when firstFailure is null
                    && (firstError is null || failed.Command.GetOrCreateToken() == firstError.Command.GetOrCreateToken()):
                    firstFailure = failed;
                    break;
                case ErrorProduced produced: firstError ??= produced; break; // matched before DisplayEvent, its base class
                case DisplayEvent display: // DisplayedValueProduced, DisplayedValueUpdated, ReturnValueProduced
                    var shown = new DisplayElement(display.FormattedValues.ToDictionary(v => v.MimeType, v => (object)v.Value));
                    // An update (progress bars, live charts) replaces the display with the same ValueId instead of adding one.
                    if (display.ValueId is { } valueId && displayIndexByValueId.TryGetValue(valueId, out var at)) displays[at] = shown;
                    else
                    {
                        if (display.ValueId is { } newId) displayIndexByValueId[newId] = displays.Count;
                        displays.Add(shown);
                    }
                    break;
            }
        }
        element.Outputs.Clear();
        if (stdout.Length > 0) element.Outputs.Add(new TextElement(stdout.ToString(), "stdout"));
        element.Outputs.AddRange(displays);
        if (stderr.Length > 0) element.Outputs.Add(new TextElement(stderr.ToString(), "stderr"));
        // A failed command carries the exception; an error inside an #!import'ed cell only comes as ErrorProduced.
        // Compile errors: the diagnostics are the whole story (the stack is the kernel's); runtime errors: keep the stack.
        var (error, summary, name) = firstFailure is { } f
            ? (f.Exception is null or CodeSubmissionCompilationErrorException ? f.Message : f.Exception.ToString(), f.Exception?.Message ?? f.Message, f.Exception?.GetType().Name ?? "Error")
            : firstError is { } e ? (e.Message, e.Message, "Error")
            : (null, null, null);
        if (error is not null) element.Outputs.Add(new ErrorElement(errorValue: summary!, errorName: name!, stackTrace: error.Split('\n')));
        return error;
    }
}
