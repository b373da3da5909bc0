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
        var maxSteps = UserInput.MaxSteps();
        var seed = UserInput.Seed();
        var seeds = UserInput.Seeds(seed);
        var device = UserInput.Device();
        var batchSize = UserInput.WholeNumber("--batch-size", null, new TrainerConfig().BatchSize);
        var maxLength = UserInput.WholeNumber("--max-length", "most recent behaviours kept per history", new TrainerConfig().MaxLength);
        var embedding = UserInput.WholeNumber("--embedding-dim", "embedding size per field (item, category)", new ModelOptions().EmbeddingDim);
        var output = UserInput.OutputFolder("--out", "folder for results.json, protocol.json and report.html", Path.Combine("artifacts", "compare"));
        var negatives = UserInput.Negatives(data);
        var minCount = UserInput.WholeNumber("--min-count", "ids of fewer training users map to the out-of-vocabulary row (1 keeps every id)",
            new VocabularyConfig().MinCount);
        var features = UserInput.Features();
        var command = new Command("compare", "Train the models on one data set and compare AUC, GAUC, logloss and cost")
        {
            models, data, dataDir, epochs, maxSteps, seed, seeds, device, batchSize, maxLength, embedding, output, negatives, minCount, features,
        };
        command.SetAction(parse => Run(
            parse.GetValue(models)!, parse.GetValue(data)!, parse.GetValue(dataDir), parse.GetValue(output)!,
            parse.GetValue(seeds) is { Length: > 0 } several ? several : [parse.GetValue(seed)],  // absent --seeds reads as []
            new TrainerConfig
            {
                Epochs = parse.GetValue(epochs), MaxSteps = parse.GetValue(maxSteps), Device = parse.GetValue(device),
                BatchSize = parse.GetValue(batchSize), MaxLength = parse.GetValue(maxLength),
            },
            new ModelOptions { EmbeddingDim = parse.GetValue(embedding) },
            new DatasetOptions { Negatives = parse.GetValue(negatives), Vocabulary = new VocabularyConfig { MinCount = parse.GetValue(minCount) } },
            parse.GetValue(features)!));
        return command;
    }

    private static int Run(string[] models, string dataName, string? dataDir, string outDir, int[] seeds, TrainerConfig common,
        ModelOptions options, DatasetOptions dataOptions, FieldChoice features)
    {
        UserInput.RequireWritableFolder("--out", outDir);
        var clock = Stopwatch.StartNew();
        var runs = new List<SeedRun>();
        foreach (var seed in seeds)
        {
            var config = common with { Seed = seed };
            var data = Load(dataName, dataDir, seed, dataOptions, clock, features);
            // protocol.json describes the first seed's test split; every seed's statistics are printed.
            var protocol = ProtocolStatistics.Measure(dataName, data.Test, data.Vocabulary, config.MaxLength);
            ReportProtocol(protocol, dataName, dataOptions, seed == seeds[0] ? Path.Combine(outDir, "protocol.json") : null);
            var trainer = new Trainer(config);
            AnsiConsole.MarkupLineInterpolated($"[grey]device {trainer.Device}, seed {seed}, ≤{config.Epochs} epochs{(config.MaxSteps is { } cap ? $" or {cap} steps" : "")}, batch {config.BatchSize}, history ≤{config.MaxLength}, embedding {options.EmbeddingDim}/field[/]");
            runs.Add(SeedRun.From(seed, data, Train(data, models, config, options)));
            if (seeds.Length > 1)
                AnsiConsole.MarkupLineInterpolated($"[grey]seed {seed}: {string.Join(", ", runs[^1].Results.Select(r => $"{r.Model} AUC {r.Test.Auc:F4}"))}[/]");
        }

        var results = SeededResult.Combine(runs);
        PrintTable(results);
        ComparisonReport.WriteJson(results, Path.Combine(outDir, "results.json"));
        ComparisonReport.WriteHtml(runs, common, Path.Combine(outDir, "report.html"));
        var peakMiB = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024);
        AnsiConsole.MarkupLineInterpolated($"[grey]wrote {Path.Combine(outDir, "results.json")} and report.html; total {clock.Elapsed.TotalSeconds:F0} s; peak memory {peakMiB:F0} MiB[/]");
        return 0;
    }

    /// <param name="features">The side fields to keep (<c>--features</c>).</param>
    internal static CtrDataset Load(string dataName, string? dataDir, int seed, DatasetOptions dataOptions, Stopwatch clock, FieldChoice features)
    {
        var start = clock.Elapsed;
        CtrDataset data;
        try
        {
            data = AnsiConsole.Status().Start($"Loading {dataName} (seed {seed})…", _ => DatasetCatalog.Load(dataName, dataDir, seed, dataOptions));
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            throw new UserErrorException(e.Message, e);  // a file missing from the data folder, or a malformed one
        }
        AnsiConsole.MarkupLineInterpolated($"[grey]{data} (loaded in {(clock.Elapsed - start).TotalSeconds:F1} s{(data.Stages is { } stages ? $": {stages}" : "")})[/]");
        data = features.ApplyTo(data);
        AnsiConsole.MarkupLineInterpolated($"[grey]{data.FieldsLine()}{features.Suffix}[/]");
        return data;
    }

    private static List<ModelResult> Train(CtrDataset data, string[] models, TrainerConfig config, ModelOptions options)
    {
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
        return results;
    }

    /// <summary>Prints the test split's protocol statistics, warns when "candidate in history" alone separates the classes, writes protocol.json.</summary>
    private static void ReportProtocol(ProtocolStatistics protocol, string dataName, DatasetOptions options, string? path)
    {
        var negatives = DatasetCatalog.UsesLogProtocol(dataName) ? $"negatives {UserInput.NegativeRuleName(options.Negatives)}, " : "";
        AnsiConsole.MarkupLineInterpolated($"[grey]test split ({negatives}min count {options.Vocabulary.MinCount}): {protocol}[/]");
        bool synthetic = DatasetCatalog.DefaultDataDirectory(dataName) is null;
        foreach (var (key, auc, rule) in new[]
        {
            ("candidate_in_history_auc", protocol.CandidateInHistoryAuc, "\"the candidate is in the history\""),
            ("candidate_recency_auc", protocol.CandidateRecencyAuc, "how recently the history holds the candidate"),
            ("candidate_count_auc", protocol.CandidateCountAuc, "how often the history holds the candidate"),
        })
            if (auc > ProtocolStatistics.LeakWarningAuc)
                AnsiConsole.MarkupLine("[yellow]" + Markup.Escape($"warning: {key} {auc:F3} > {ProtocolStatistics.LeakWarningAuc}: {rule} alone " +
                    "separates the test classes, so part of " + (synthetic
                        ? "any AUC here comes from it (synthetic data: the planted click model favours candidates of the user's interests, which " +
                          "the history holds, so here it is signal, not a sampling artifact)"
                        : "any AUC here can come from how the samples were made; the AUC on new items (candidate not in the history) is free of it")) + "[/]");
        if (path is not null) protocol.WriteJson(path);
    }

    private static void PrintTable(IReadOnlyList<SeededResult> results)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var h in ComparisonReport.Header(results)) table.AddColumn(new TableColumn(h).RightAligned());
        foreach (var row in ComparisonReport.Rows(results)) table.AddRow(row.Select(Markup.Escape).ToArray());
        AnsiConsole.Write(table);
    }
}
