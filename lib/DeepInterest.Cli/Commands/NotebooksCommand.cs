using System.CommandLine;
using DeepInterest.Notebooks;
using Spectre.Console;

namespace DeepInterest.Cli.Commands;

/// <summary>
/// <c>notebooks run</c>: executes the course notebooks headless (no VS Code, no Jupyter) in an in-process .NET Interactive
/// kernel and writes executed copies with all outputs — the kit's answer to Polyglot Notebooks' deprecation.
/// </summary>
internal static class NotebooksCommand
{
    public static Command Create()
    {
        var names = new Argument<string[]>("names") { Description = "notebooks to run (file names or prefixes such as 02); all when omitted", Arity = ArgumentArity.ZeroOrMore };
        var smoke = new Option<bool>("--smoke") { Description = "tiny sizes (DEEPINTEREST_SMOKE=1), as the tests run them" };
        var folder = UserInput.NotebookFolder(names);
        var output = UserInput.OutputFolder("--out", "folder for the executed copies", Path.Combine("artifacts", "notebooks"));
        var run = new Command("run", "Execute notebooks headless; write executed copies with their outputs, an offline HTML page of each and index.html, the course outline") { names, smoke, folder, output };
        run.SetAction(parse => RunAsync(parse.GetValue(names) ?? [], parse.GetValue(smoke), parse.GetValue(folder)!, parse.GetValue(output)!));
        return new Command("notebooks", "The course notebooks without VS Code") { run };
    }

    private static async Task<int> RunAsync(string[] names, bool smoke, string folder, string output)
    {
        var chosen = UserInput.ChooseNotebooks(folder, names);
        var outputFolder = Path.GetFullPath(output);
        UserInput.RequireWritableFolder("--out", outputFolder);
        int failed = 0;
        foreach (var path in chosen)
        {
            AnsiConsole.MarkupLineInterpolated($"[bold]{Path.GetFileName(path)}[/]{(smoke ? " (smoke)" : "")}");
            var result = await NotebookRunner.RunAsync(path, new RunOptions(Smoke: smoke, OutputDirectory: outputFolder),
                cell => AnsiConsole.MarkupLine($"  cell {cell.Index,3} {(cell.Succeeded ? "[green]ok[/]" : "[red]FAILED[/]")} {cell.Elapsed.TotalSeconds,6:F1} s"));
            if (result.Succeeded)
                AnsiConsole.MarkupLineInterpolated($"  [green]done[/] in {result.Elapsed.TotalSeconds:F1} s → {result.ExecutedPath}");
            else
            {
                failed++;
                AnsiConsole.MarkupLineInterpolated($"  [red]{result.FailureMessage}[/]");
            }
        }
        AnsiConsole.MarkupLineInterpolated($"{chosen.Count - failed} of {chosen.Count} notebooks ran green; executed copies in {outputFolder}");
        // The course site: an offline HTML page of every executed copy in the folder (this run's and earlier ones), charts
        // and math included, linked by index.html, the outline of the whole course.
        try
        {
            var index = CourseSite.Write(folder, outputFolder);
            AnsiConsole.MarkupLineInterpolated($"course site: {index}");
        }
        catch (InvalidDataException error)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]the course site could not be written: {error.Message}[/]");
            return 1;
        }
        return failed == 0 ? 0 : 1;
    }
}
