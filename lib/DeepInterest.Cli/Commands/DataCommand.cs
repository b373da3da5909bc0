using System.CommandLine;
using DeepInterest.Data;
using DeepInterest.Data.Download;
using Spectre.Console;

namespace DeepInterest.Cli.Commands;

/// <summary>
/// <c>data list</c> and <c>data download NAME [--dir DIR]</c>: the real data sets and how to get them;
/// <c>data generate --format F --events N --out DIR</c>: a large stand-in in a real data set's format.
/// </summary>
internal static class DataCommand
{
    public static Command Create() => new("data", "List and download the real data sets (data/README.md, \"Real data sets\")")
    {
        ListCommand(),
        DownloadCommand(),
        GenerateCommand(),
    };

    private static Command ListCommand()
    {
        var command = new Command("list", "Show the downloadable data sets, their terms and whether they are in place");
        command.SetAction(_ => List());
        return command;
    }

    private static Command DownloadCommand()
    {
        var name = UserInput.Download();
        var dir = UserInput.OutputFolder("--dir", "target folder (default: data/downloads/NAME under the repository root)");
        var command = new Command("download", "Download a data set, verify its checksums and unpack it (Taobao: prints the manual steps)") { name, dir };
        command.SetAction((parse, cancellation) => Download(parse.GetValue(name)!, parse.GetValue(dir), cancellation));
        return command;
    }

    private static Command GenerateCommand()
    {
        var format = UserInput.GeneratedFormat();
        var events = UserInput.WholeNumber("--events", "lines to write: events (taobao) or sample lines (dien-books)", 1_000_000);
        var output = UserInput.OutputFolder("--out", "folder to write the files into (created if needed)");
        output.Required = true;
        var seed = UserInput.Seed();
        var command = new Command("generate", "Write a large stand-in in a real data set's file format, for measuring load time and memory (data/README.md)")
        {
            format, events, output, seed,
        };
        command.SetAction(parse => Generate(parse.GetValue(format), parse.GetValue(events), parse.GetValue(output)!, parse.GetValue(seed)));
        return command;
    }

    private static int Generate(GeneratedFormat format, int events, string folder, int seed)
    {
        UserInput.RequireWritableFolder("--out", folder);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var files = FileGenerator.Write(format, folder, events, seed);
        foreach (var file in files)
            AnsiConsole.MarkupLineInterpolated($"[grey]wrote {file} ({new FileInfo(file).Length / (1024.0 * 1024):F1} MiB)[/]");
        AnsiConsole.MarkupLineInterpolated($"[grey]{events:N0} {(format == GeneratedFormat.Taobao ? "events" : "sample lines")}, seed {seed}, in {clock.Elapsed.TotalSeconds:F1} s[/]");
        return 0;
    }

    private static int List()
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in new[] { "name (data download, compare --data)", "what", "terms", "default folder" }) table.AddColumn(header);
        foreach (var entry in DownloadCatalog.All)
        {
            var folder = DownloadCatalog.DefaultFolder(entry.Name);
            bool present = entry.ExpectedFile is { } expected ? File.Exists(Path.Combine(folder, expected)) : DatasetDownloader.IsComplete(folder);
            var aliases = entry.Aliases.Count == 0 ? "" : $"\n[grey]also: {Markup.Escape(string.Join(", ", entry.Aliases))}[/]";
            table.AddRow(Markup.Escape(entry.Name) + aliases, Markup.Escape(entry.Description), Markup.Escape(entry.Terms),
                $"{Markup.Escape(folder)}\n{(present ? "[green]in place[/]" : entry.ManualSteps is null ? "[grey]not downloaded[/]" : "[grey]manual download[/]")}");
        }
        AnsiConsole.Write(table);
        var builtIn = DatasetCatalog.Names.Where(n => DatasetCatalog.DefaultDataDirectory(n) is null);
        AnsiConsole.MarkupLineInterpolated($"[grey]Built in, no download: {string.Join(", ", builtIn)} (compare --data NAME).[/]");
        return 0;
    }

    private static async Task<int> Download(DatasetEntry entry, string? dir, CancellationToken cancellation)
    {
        var folder = Path.GetFullPath(dir ?? DownloadCatalog.DefaultFolder(entry.Name));
        AnsiConsole.MarkupLineInterpolated($"[grey]{entry.Description}\nTerms: {entry.Terms}[/]");
        using var http = new HttpClient();
        http.DefaultRequestHeaders.UserAgent.ParseAdd("DeepInterest-data-download");
        try
        {
            var outcome = await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var tasks = new Dictionary<string, ProgressTask>();
                    var progress = new SynchronousProgress(report =>
                    {
                        if (!tasks.TryGetValue(report.File, out var task)) tasks[report.File] = task = ctx.AddTask(report.File);
                        task.IsIndeterminate = report.Total is null;
                        task.MaxValue = report.Total ?? Math.Max(1, report.Done);
                        task.Value = report.Done;
                    });
                    return await new DatasetDownloader(http).DownloadAsync(entry, folder, progress, cancellation);
                });
            if (outcome.Complete) AnsiConsole.MarkupLineInterpolated($"[green]{outcome.Message}[/]");
            else AnsiConsole.MarkupLineInterpolated($"[yellow]{outcome.Message}[/]");
            if (outcome.Complete && entry.ManualSteps is null) PrintChecksums(entry, folder);
            return outcome.Complete ? 0 : 1;
        }
        catch (IOException e)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]Download failed: {e.Message}[/]");
            AnsiConsole.MarkupLineInterpolated($"[grey]Nothing incomplete was kept. Put the file(s) {string.Join(", ", entry.Files.Select(f => f.Url))} into {folder} by hand and run `data download {entry.Name}` again: files already present are checked (MD5 where published) and unpacked, not downloaded.[/]");
            return 1;
        }
        catch (InvalidDataException e)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{e.Message}[/]");
            return 1;
        }
    }

    private static void PrintChecksums(DatasetEntry entry, string folder)
    {
        foreach (var file in entry.Files)
        {
            var path = Path.Combine(folder, file.FileName);
            if (!File.Exists(path)) continue;
            AnsiConsole.MarkupLineInterpolated($"[grey]{file.FileName}: MD5 {FileDownloader.Md5Of(path)} {(file.Md5 is null ? "(none published; recorded in " + DatasetDownloader.MarkerFileName + ")" : "= published")}[/]");
        }
    }

    /// <summary>Reports on the downloading thread (Progress&lt;T&gt; would post to the thread pool, out of order).</summary>
    private sealed class SynchronousProgress(Action<(string File, long Done, long? Total)> report) : IProgress<(string File, long Done, long? Total)>
    {
        public void Report((string File, long Done, long? Total) value) => report(value);
    }
}
