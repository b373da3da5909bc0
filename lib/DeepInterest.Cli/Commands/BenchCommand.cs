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
        var models = UserInput.Models();
        var batchSize = UserInput.WholeNumber("--batch-size", null, 256);
        var maxLength = UserInput.WholeNumber("--max-length", null, 50);
        var embedding = UserInput.WholeNumber("--embedding-dim", null, 32);
        var steps = UserInput.WholeNumber("--steps", "timed optimizer steps per model", 20);
        var device = UserInput.Device();
        foreach (var option in new Option[] { models, batchSize, maxLength, embedding, steps, device }) train.Options.Add(option);
        train.SetAction(parse => Train(
            parse.GetValue(models)!,
            new TrainerConfig { BatchSize = parse.GetValue(batchSize), MaxLength = parse.GetValue(maxLength), Device = parse.GetValue(device) },
            new ModelOptions { EmbeddingDim = parse.GetValue(embedding) }, parse.GetValue(steps)));

        var augru = new Command("augru", "Fused masked AUGRU vs the per-step reference cell: ms per forward+backward and the speed-up");
        var augruSteps = UserInput.WholeNumber("--steps", "timed passes of each", 10);
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
        var data = SyntheticData.Generate(SyntheticConfig.Default).ToDataset(seed: 42);
        var fullLength = data.Train.Where(s => s.HistoryLength >= config.MaxLength).ToList();
        // Known only once the data exists: the longest synthetic history is drawn, not configured.
        if (fullLength.Count == 0) throw new UserErrorException($"--max-length {config.MaxLength}: no synthetic sample has a history that long; choose a smaller --max-length");
        var trainer = new Trainer(config);
        var space = FeatureSpace.From(data.Train, data.Vocabulary, config.MaxLength);
        AnsiConsole.MarkupLineInterpolated($"[grey]device {trainer.Device}, {torch.get_num_threads()} threads, batch {config.BatchSize}, history {config.MaxLength}, embedding {options.EmbeddingDim}/field, {steps} timed steps after 3 warm-up steps[/]");
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var h in new[] { "model", "params", "ms / step", "train samples/s" }) table.AddColumn(new TableColumn(h).RightAligned());
        foreach (var name in models)
        {
            torch.manual_seed(42);
            using var model = ModelZoo.Create(name, space, options);
            var samplesPerSecond = trainer.MeasureTrainingThroughput(model, fullLength, data.Vocabulary, steps);
            table.AddRow(name, model.ParameterCount().ToString("N0"), (1000 * config.BatchSize / samplesPerSecond).ToString("F1"), samplesPerSecond.ToString("N0"));
        }
        AnsiConsole.Write(table);
        return 0;
    }
}
