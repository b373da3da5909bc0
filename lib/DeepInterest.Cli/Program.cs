using System.CommandLine;
using DeepInterest.Cli.Commands;
using DeepInterest.Platform;
using Spectre.Console;

// Before any TorchSharp call: libtorch by full path from bin/, so no other libtorch on the library path can stand in.
TorchNatives.Preload();

// Redirected output (CI logs, files) has no terminal width; keep the result tables readable there.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 160;

var root = new RootCommand("DeepInterest — attention-based CTR models (DIN, DIEN, DSIN, BST) on TorchSharp")
{
    CompareCommand.Create(),
    BenchCommand.Create(),
    NotebooksCommand.Create(),
    DataCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
