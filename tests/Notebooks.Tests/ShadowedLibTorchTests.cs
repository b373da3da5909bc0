using System.Diagnostics;
using Microsoft.DotNet.Interactive.Documents;
using Xunit;
using Xunit.Abstractions;

namespace DeepInterest.Notebooks.Tests;

/// <summary>
/// Notebooks load TorchSharp from the NuGet packages folder, and TorchSharp asks the system loader for libtorch by name,
/// so a libtorch earlier on the library path (Debian's python3-torch, LD_LIBRARY_PATH) used to stand in for its own and
/// break every notebook. The setup cell must load TorchSharp's own (README, "Platform notes"). The library path is read
/// when a process starts, so the setup runs in a child test process whose LD_LIBRARY_PATH starts with a decoy folder
/// holding a foreign shared object under libtorch's file names.
/// </summary>
public class ShadowedLibTorchTests(ITestOutputHelper output)
{
    private const string DecoyVariable = "DEEPINTEREST_DECOY_LIBTORCH";
    private const string LibTorchVersion = "2.10.0"; // Directory.Packages.props

    [SkippableFact]
    public void NotebookSetupLoadsItsOwnLibTorchWhenAnotherComesFirstOnTheLibraryPath()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the library-path lookup this guards against is Linux's");
        var decoy = CreateDecoyFolder();
        try
        {
            var start = new ProcessStartInfo("dotnet", ["test", typeof(ShadowedLibTorchTests).Assembly.Location,
                "--filter", $"FullyQualifiedName~{nameof(ShadowedLibTorchTests)}.{nameof(SetupCellInAProcessWithADecoyLibTorch)}",
                "--logger", "console;verbosity=normal"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.Environment["LD_LIBRARY_PATH"] = decoy;
            start.Environment[DecoyVariable] = decoy;
            using var child = Process.Start(start)!;
            var stderr = child.StandardError.ReadToEndAsync();
            var stdout = child.StandardOutput.ReadToEnd();
            child.WaitForExit();
            output.WriteLine(stdout + stderr.Result);
            Assert.True(child.ExitCode == 0, $"the child test run failed (exit {child.ExitCode}):\n{stdout}{stderr.Result}");
            Assert.Matches(@"Passed:\s+1\b", stdout); // it ran, and was not skipped
        }
        finally { Directory.Delete(decoy, recursive: true); }
    }

    /// <summary>A new temporary folder holding a foreign shared object (zlib) under libtorch's file names; the caller deletes it.</summary>
    internal static string CreateDecoyFolder()
    {
        var foreign = new[] { "/usr/lib/x86_64-linux-gnu/libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib64/libz.so.1" }.First(File.Exists);
        var decoy = Directory.CreateTempSubdirectory("decoy-libtorch-").FullName;
        foreach (var name in new[] { "libtorch_cpu.so", "libtorch.so", "libc10.so" })
            File.Copy(foreign, Path.Combine(decoy, name));
        return decoy;
    }

    /// <summary>The child's half: skipped unless the parent above started this process with the decoy first on LD_LIBRARY_PATH.</summary>
    [SkippableFact]
    public async Task SetupCellInAProcessWithADecoyLibTorch()
    {
        var decoy = Environment.GetEnvironmentVariable(DecoyVariable);
        Skip.If(decoy is null, $"runs only as the child process of {nameof(NotebookSetupLoadsItsOwnLibTorchWhenAnotherComesFirstOnTheLibraryPath)}");
        var document = new InteractiveDocument([
            new("#!import setup.dib", "csharp"),
            new($$"""
                using (var t = TorchSharp.torch.ones(2, 3)) if (t.sum().item<float>() != 6) throw new Exception("wrong sum");
                var mapped = System.IO.File.ReadAllText("/proc/self/maps");
                if (mapped.Contains("{{decoy}}")) throw new Exception("the decoy libtorch was loaded");
                var preloaded = DeepInterest.Platform.TorchNatives.Preloaded;
                if (!preloaded.Any(p => p.EndsWith("/libtorch-cpu-linux-x64/{{LibTorchVersion}}/runtimes/linux-x64/native/libtorch_cpu.so"))
                    || !preloaded[^1].EndsWith("/runtimes/linux-x64/native/libLibTorchSharp.so"))
                    throw new Exception("not loaded from the NuGet folder: " + string.Join(", ", preloaded));
                Console.WriteLine("loaded " + string.Join(", ", preloaded));
                """, "csharp"),
        ]);
        using var kernel = NotebookRunner.CreateKernel();
        var result = await NotebookRunner.RunAsync(kernel, document, "decoy.ipynb", Path.Combine(NotebookExecutionTests.RepoRoot, "notebooks"), new RunOptions());
        Assert.True(result.Succeeded, result.FailureMessage);
    }
}
