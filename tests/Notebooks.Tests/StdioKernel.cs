using System.Diagnostics;
using System.Text;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Connection;
using Microsoft.DotNet.Interactive.Events;

namespace DeepInterest.Notebooks.Tests;

/// <summary>
/// The <c>Microsoft.dotnet-interactive</c> tool pinned in the repository's tool manifest (.config/dotnet-tools.json),
/// started as VS Code Polyglot Notebooks starts it: <c>dotnet-interactive stdio</c>, a separate process with its own
/// runtime settings (Server GC), FSharp.Core and package restore. Commands go in and events come out as one JSON
/// envelope per line, written and read with the envelope serializer of the Microsoft.DotNet.Interactive library of the
/// same build. One submission at a time; every event that arrives until the submission's CommandSucceeded or
/// CommandFailed belongs to it (also those of the cells it #!import's).
/// </summary>
internal sealed class StdioKernel : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private int _submissions;

    static StdioKernel() => KernelCommandEnvelope.RegisterCommand<ImportDocument>();

    /// <summary>
    /// The tool's own command behind <c>#!import</c>; it is not in the library, and events of imported cells carry it
    /// as their parent. Only its name matters here (the envelope of an unknown command type does not deserialize).
    /// </summary>
    private sealed class ImportDocument() : KernelCommand;

    private StdioKernel(Process process) => _process = process;

    /// <summary>
    /// Starts the tool from the repository root (where <c>dotnet</c> finds its manifest), tells it to change to
    /// <paramref name="workingDirectory"/> (as VS Code does with the notebook's folder), and waits for KernelReady.
    /// </summary>
    public static async Task<StdioKernel> StartAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("dotnet", ["dotnet-interactive", "stdio", "--default-kernel", "csharp", "--working-dir", workingDirectory])
        {
            WorkingDirectory = NotebookExecutionTests.RepoRoot,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardInputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        };
        start.Environment["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in environment) start.Environment[name] = value;
        var kernel = new StdioKernel(Process.Start(start)!);
        kernel._process.ErrorDataReceived += (_, e) => { lock (kernel._stderr) kernel._stderr.AppendLine(e.Data); };
        kernel._process.BeginErrorReadLine();
        try
        {
            using var cancel = new CancellationTokenSource(timeout);
            while (await kernel.ReadEventAsync(cancel.Token) is not KernelReady) { }
        }
        catch
        {
            kernel.Dispose();
            throw;
        }
        return kernel;
    }

    /// <summary>What the process wrote to stderr so far (the tool's own startup and crash messages).</summary>
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>Submits <paramref name="code"/> and returns every event up to and including its CommandSucceeded or CommandFailed.</summary>
    public async Task<IReadOnlyList<KernelEvent>> SubmitAsync(string code, string kernelName, CancellationToken cancel)
    {
        var command = new SubmitCode(code, kernelName);
        var token = $"cell-{++_submissions}";
        command.SetToken(token);
        await _process.StandardInput.WriteLineAsync(KernelCommandEnvelope.Serialize(command).AsMemory(), cancel);
        await _process.StandardInput.FlushAsync(cancel);
        var events = new List<KernelEvent>();
        while (true)
        {
            var kernelEvent = await ReadEventAsync(cancel);
            events.Add(kernelEvent);
            if (kernelEvent is CommandSucceeded or CommandFailed && kernelEvent.Command.GetOrCreateToken() == token) return events;
        }
    }

    private async Task<KernelEvent> ReadEventAsync(CancellationToken cancel)
    {
        while (true)
        {
            string? line;
            try { line = await _process.StandardOutput.ReadLineAsync(cancel); }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"dotnet-interactive did not answer in time. Its stderr:\n{Stderr}");
            }
            if (line is null)
            {
                await _process.WaitForExitAsync(CancellationToken.None);
                throw new InvalidOperationException($"dotnet-interactive exited (code {_process.ExitCode}). Its stderr:\n{Stderr}");
            }
            // The first start prints a welcome and telemetry banner before the first envelope.
            if (line.StartsWith('{')) return KernelEventEnvelope.Deserialize(line).Event;
        }
    }

    /// <summary>
    /// Kills the tool and its children at once: asked to quit, it takes tens of seconds to exit, and a notebook's
    /// state is of no use after its last cell.
    /// </summary>
    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { } // exited meanwhile
        _process.WaitForExit();
        _process.Dispose();
    }
}
