using System.CommandLine;
using System.Diagnostics;
using DeepInterest.Data;
using DeepInterest.Models;
using DeepInterest.Training;
using Spectre.Console;

namespace DeepInterest.Cli.Commands;

/// <summary><c>compare</c>: train each model on one data set, print the table, write results.json and report.html.</summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var models = UserInput.Models();
        var dataDir = UserInput.DataDirectory();
        var data = UserInput.DataSet(dataDir);
        var epochs = UserInput.WholeNumber("--epochs", "maximum epochs (early stopping on validation AUC)", new TrainerConfig().Epochs);
        var seed = UserInput.Seed();
        var device = UserInput.Device();
        var batchSize = UserInput.WholeNumber("--batch-size", null, new TrainerConfig().BatchSize);
        var maxLength = UserInput.WholeNumber("--max-length", "most recent behaviours kept per history", new TrainerConfig().MaxLength);
        var embedding = UserInput.WholeNumber("--embedding-dim", "embedding size per field (item, category)", new ModelOptions().EmbeddingDim);
        var output = UserInput.OutputFolder("--out", "folder for results.json, protocol.json and report.html", Path.Combine("artifacts", "compare"));
        var negatives = UserInput.Negatives(data);
        var minCount = UserInput.WholeNumber("--min-count", "ids of fewer training users map to the out-of-vocabulary row (1 keeps every id)",
            new VocabularyConfig().MinCount);
        var command = new Command("compare", "Train the models on one data set and compare AUC, GAUC, logloss and cost")
        {
            models, data, dataDir, epochs, seed, device, batchSize, maxLength, embedding, output, negatives, minCount,
        };
        command.SetAction(parse => Run(
            parse.GetValue(models)!, parse.GetValue(data)!, parse.GetValue(dataDir), parse.GetValue(output)!,
            new TrainerConfig
            {
                Epochs = parse.GetValue(epochs), Seed = parse.GetValue(seed), Device = parse.GetValue(device),
                BatchSize = parse.GetValue(batchSize), MaxLength = parse.GetValue(maxLength),
            },
            new ModelOptions { EmbeddingDim = parse.GetValue(embedding) },
            new DatasetOptions { Negatives = parse.GetValue(negatives), Vocabulary = new VocabularyConfig { MinCount = parse.GetValue(minCount) } }));
        return command;
    }

    private static int Run(string[] models, string dataName, string? dataDir, string outDir, TrainerConfig config, ModelOptions options,
        DatasetOptions dataOptions)
    {
        UserInput.RequireWritableFolder("--out", outDir);
        var clock = Stopwatch.StartNew();
        CtrDataset data;
        try
        {
            data = AnsiConsole.Status().Start($"Loading {dataName}…", _ => DatasetCatalog.Load(dataName, dataDir, config.Seed, dataOptions));
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            throw new UserErrorException(e.Message, e);  // a file missing from the data folder, or a malformed one
        }
        AnsiConsole.MarkupLineInterpolated($"[grey]{data} (loaded in {clock.Elapsed.TotalSeconds:F1} s)[/]");
        var protocol = ProtocolStatistics.Measure(dataName, data.Test, data.Vocabulary, config.MaxLength);
        ReportProtocol(protocol, dataName, dataOptions, Path.Combine(outDir, "protocol.json"));
        var trainer = new Trainer(config);
        AnsiConsole.MarkupLineInterpolated($"[grey]device {trainer.Device}, seed {config.Seed}, ≤{config.Epochs} epochs, batch {config.BatchSize}, history ≤{config.MaxLength}, embedding {options.EmbeddingDim}/field[/]");

        List<ModelResult> results = [];
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var tasks = models.ToDictionary(m => m, m => ctx.AddTask(m, autoStart: false, maxValue: 1));
                results = Comparison.Run(data, models, config, options, (name, p) =>
                {
                    var task = tasks[name];
                    if (!task.IsStarted) task.StartTask();
                    task.Value = Math.Min(1, ((p.Epoch - 1) + (double)p.Step / p.StepsPerEpoch) / p.Epochs);
                    task.Description = $"{name} epoch {p.Epoch}/{p.Epochs} loss {p.RunningLoss:F4}";
                });
                foreach (var task in tasks.Values) { task.Value = task.MaxValue; task.StopTask(); }
            });

        PrintTable(results);
        ComparisonReport.WriteJson(results, Path.Combine(outDir, "results.json"));
        ComparisonReport.WriteHtml(results, data, config, Path.Combine(outDir, "report.html"));
        var peakMiB = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024);
        AnsiConsole.MarkupLineInterpolated($"[grey]wrote {Path.Combine(outDir, "results.json")} and report.html; total {clock.Elapsed.TotalSeconds:F0} s; peak memory {peakMiB:F0} MiB[/]");
        return 0;
    }

    /// <summary>Prints the test split's protocol statistics, warns when "candidate in history" alone separates the classes, writes protocol.json.</summary>
    private static void ReportProtocol(ProtocolStatistics protocol, string dataName, DatasetOptions options, string path)
    {
        var negatives = DatasetCatalog.UsesLogProtocol(dataName) ? $"negatives {UserInput.NegativeRuleName(options.Negatives)}, " : "";
        AnsiConsole.MarkupLineInterpolated($"[grey]test split ({negatives}min count {options.Vocabulary.MinCount}): {protocol}[/]");
        if (protocol.CandidateInHistoryAuc > ProtocolStatistics.LeakWarningAuc)
            AnsiConsole.MarkupLine("[yellow]" + Markup.Escape($"warning: candidate_in_history_auc {protocol.CandidateInHistoryAuc:F3} > " +
                $"{ProtocolStatistics.LeakWarningAuc}: \"the candidate is in the history\" alone separates the test classes, so part of " +
                (DatasetCatalog.DefaultDataDirectory(dataName) is null
                    ? "any AUC here comes from it (synthetic data: the planted click model favours candidates of the user's interests, which " +
                      "the history holds, so here it is signal, not a sampling artifact)"
                    : "any AUC here can come from how the samples were made")) + "[/]");
        protocol.WriteJson(path);
    }

    private static void PrintTable(IReadOnlyList<ModelResult> results)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var h in ComparisonReport.Header) table.AddColumn(new TableColumn(h).RightAligned());
        foreach (var row in ComparisonReport.Rows(results)) table.AddRow(row.Select(Markup.Escape).ToArray());
        AnsiConsole.Write(table);
    }
}
