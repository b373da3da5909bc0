using System.Reflection;
using System.Runtime.InteropServices;
using DeepInterest.Data;

namespace DeepInterest.Cli;

/// <summary>An internal fault as a complete bug report: what was run, on which versions, and the stack trace.</summary>
internal static class CrashReport
{
    public static void Write(TextWriter error, IReadOnlyList<string> args, Exception exception)
    {
        error.WriteLine("internal error: DeepInterest stopped on an unexpected exception. Unless the machine is at fault (disk full, " +
                        "out of memory), this is a bug: please report it with everything below.");
        error.WriteLine($"command line: dotnet run --project lib/DeepInterest.Cli -- {string.Join(' ', args.Select(Quote))}");
        error.WriteLine($"versions: {Versions()}");
        error.WriteLine(exception);
    }

    /// <summary>DeepInterest (with its commit when built from a checkout), TorchSharp, the .NET runtime and the OS.</summary>
    public static string Versions() =>
        $"DeepInterest {VersionOf(typeof(CtrDataset).Assembly)}, TorchSharp {VersionOf(typeof(TorchSharp.torch).Assembly)}, " +
        $"{RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture}";

    private static string VersionOf(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? assembly.GetName().Version?.ToString() ?? "unknown";

    private static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsLetterOrDigit(c) || "-_.,:/=+@%".Contains(c)) ? arg : $"'{arg.Replace("'", "'\\''")}'";
}
