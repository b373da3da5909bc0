using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Help;
using DeepInterest.Cli.Commands;
using DeepInterest.Platform;

namespace DeepInterest.Cli;

/// <summary>
/// The command tree and how a run ends: 0 on success; 1 when the work ran and failed (a notebook, a download);
/// <see cref="UserErrorExitCode"/> with one <c>error: …</c> line for a user error; <see cref="InternalErrorExitCode"/>
/// with a <see cref="CrashReport"/> for a fault of the kit itself.
/// </summary>
internal static class CliApp
{
    /// <summary>A mistake in the command line or the user's data (BSD sysexits' EX_USAGE is 64; 2 is the shell convention).</summary>
    public const int UserErrorExitCode = 2;

    /// <summary>A bug: BSD sysexits' EX_SOFTWARE.</summary>
    public const int InternalErrorExitCode = 70;

    /// <summary>What System.CommandLine and shells return for an interrupted run (128 + SIGINT).</summary>
    public const int CancelledExitCode = 130;

    public static RootCommand Create() => new("DeepInterest — attention-based CTR models (DIN, DIEN, DSIN, BST) on TorchSharp")
    {
        CompareCommand.Create(),
        BenchCommand.Create(),
        NotebooksCommand.Create(),
        DataCommand.Create(),
    };

    /// <summary>
    /// Before any TorchSharp call: libtorch by full path from bin/, so no other libtorch on the library path can stand in,
    /// and the keep-alive rewrite of TorchSharp.dll checked (README, "Platform notes"). A broken installation is the
    /// user's to fix, so it is one line too.
    /// </summary>
    private static bool TryPreloadTorch(TextWriter error)
    {
        try
        {
            TorchNatives.Preload();
            return true;
        }
        catch (InvalidOperationException e)
        {
            error.WriteLine($"error: {UserInput.OneLine(e.Message)}");
            return false;
        }
    }

    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error) => RunAsync(Create, args, output, error);

    /// <summary>Parses <paramref name="args"/> (which checks every option, see <see cref="UserInput"/>), then runs the command.</summary>
    public static async Task<int> RunAsync(Func<RootCommand> commands, string[] args, TextWriter output, TextWriter error)
    {
        try
        {
            var parse = commands().Parse(args);
            if (parse.Action is ParseErrorAction)
            {
                error.WriteLine(UserInput.ErrorLine(parse));
                return UserErrorExitCode;
            }
            if (parse.Action is not HelpAction && !TryPreloadTorch(error)) return UserErrorExitCode;
            return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (UserErrorException e)
        {
            error.WriteLine($"error: {UserInput.OneLine(e.Message)}");
            return UserErrorExitCode;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("cancelled");
            return CancelledExitCode;
        }
        catch (Exception e)
        {
            CrashReport.Write(error, args, e);
            return InternalErrorExitCode;
        }
    }
}
