using DeepInterest.Cli;
using Spectre.Console;

// Redirected output (CI logs, files) has no terminal width; keep the result tables readable there.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 160;

return await CliApp.RunAsync(args, Console.Out, Console.Error);
