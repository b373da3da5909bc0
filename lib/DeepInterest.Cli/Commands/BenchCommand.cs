using System.CommandLine;
using DeepInterest.Benchmarks;
using DeepInterest.Data;
using DeepInterest.Layers;
using DeepInterest.Models;
using DeepInterest.Training;
using Spectre.Console;
using TorchSharp;

namespace DeepInterest.Cli.Commands;

/// <summary><c>bench</c>: commands that print cost numbers (not timed tests).</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var train = new Command("train", "Training samples/s per model on full-length histories (default: batch 256, history 50, embedding 32 per field)");
        var models = new Option<string>("--models") { Description = "comma-separated model names", DefaultValueFactory = _ => string.Join(",", ModelZoo.Course) };
        var batchSize = new Option<int>("--batch-size") { DefaultValueFactory = _ => 256 };
        var maxLength = new Option<int>("--max-length") { DefaultValueFactory = _ => 50 };
        var embedding = new Option<int>("--embedding-dim") { DefaultValueFactory = _ => 32 };
        var steps = new Option<int>("--steps") { Description = "timed optimizer steps per model", DefaultValueFactory = _ => 20 };
        var device = new Option<string?>("--device") { Description = "cpu | cuda | cuda:N (default: automatic)" };
        foreach (var option in new Option[] { models, batchSize, maxLength, embedding, steps, device }) train.Options.Add(option);
        train.SetAction(parse => Train(
            parse.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            new TrainerConfig { BatchSize = parse.GetValue(batchSize), MaxLength = parse.GetValue(maxLength), Device = parse.GetValue(device) },
            new ModelOptions { EmbeddingDim = parse.GetValue(embedding) }, parse.GetValue(steps)));

        var augru = new Command("augru", "Fused masked AUGRU vs the per-step reference cell: ms per forward+backward and the speed-up");
        var augruSteps = new Option<int>("--steps") { Description = "timed passes of each", DefaultValueFactory = _ => 10 };
        augru.Options.Add(augruSteps);
        augru.Options.Add(batchSize);
        augru.Options.Add(maxLength);
        augru.SetAction(parse =>
        {
            var timing = AugruBenchmark.Measure(batch: parse.GetValue(batchSize), length: parse.GetValue(maxLength), steps: parse.GetValue(augruSteps));
            AnsiConsole.WriteLine($"AUGRU B={parse.GetValue(batchSize)} T={parse.GetValue(maxLength)} E=H=64, threads={torch.get_num_threads()}: {timing}");
            return 0;
        });
        return new Command("bench", "Print cost numbers: training throughput per model, AUGRU speed-up") { train, augru };
    }

    private static int Train(string[] models, TrainerConfig config, ModelOptions options, int steps)
    {
        foreach (var name in models) ModelZoo.Describe(name);
        var data = SyntheticData.Generate(SyntheticConfig.Default).ToDataset(seed: 42);
        var fullLength = data.Train.Where(s => s.HistoryLength >= config.MaxLength).ToList();
        if (fullLength.Count == 0) throw new InvalidOperationException($"no synthetic sample has a history of {config.MaxLength} behaviours; choose a smaller --max-length");
        var trainer = new Trainer(config);
        AnsiConsole.MarkupLineInterpolated($"[grey]device {trainer.Device}, {torch.get_num_threads()} threads, batch {config.BatchSize}, history {config.MaxLength}, embedding {options.EmbeddingDim}/field, {steps} timed steps after 3 warm-up steps[/]");
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var h in new[] { "model", "params", "ms / step", "train samples/s" }) table.AddColumn(new TableColumn(h).RightAligned());
        foreach (var name in models)
        {
            torch.manual_seed(42);
            using var model = ModelZoo.Create(name, FeatureSpace.From(data.Vocabulary), options);
            var samplesPerSecond = trainer.MeasureTrainingThroughput(model, fullLength, data.Vocabulary, steps);
            table.AddRow(name, model.ParameterCount().ToString("N0"), (1000 * config.BatchSize / samplesPerSecond).ToString("F1"), samplesPerSecond.ToString("N0"));
        }
        AnsiConsole.Write(table);
        return 0;
    }
}
