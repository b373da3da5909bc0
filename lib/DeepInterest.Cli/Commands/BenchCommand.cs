using System.CommandLine;
using System.Diagnostics;
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
        var train = new Command("train", "Training ms per step (mean and median) and GFLOP/s per model on full-length synthetic histories (default: batch 256, history 50, embedding 32 per field), against the fp32 matmul GFLOP/s; with a real --data set, on its own histories");
        var models = UserInput.Models();
        var dataDir = UserInput.DataDirectory();
        var data = UserInput.DataSet(dataDir);
        var batchSize = UserInput.WholeNumber("--batch-size", null, 256);
        var maxLength = UserInput.WholeNumber("--max-length", null, 50);
        var embedding = UserInput.WholeNumber("--embedding-dim", null, 32);
        var steps = UserInput.WholeNumber("--steps", "timed optimizer steps per model", 20);
        var device = UserInput.Device();
        var features = UserInput.Features();
        foreach (var option in new Option[] { models, data, dataDir, batchSize, maxLength, embedding, steps, device, features }) train.Options.Add(option);
        train.SetAction(parse => Train(
            Console(parse), parse.GetValue(models)!, new BenchData(parse.GetValue(data)!, parse.GetValue(dataDir), parse.GetValue(features)!),
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
        var serve = new Command("serve", $"Inference ms per 1,000 candidates per model at batch sizes {string.Join(", ", ServeBatchSizes)} (eval mode, no gradients)");
        var serveModels = UserInput.Models();
        var candidates = UserInput.WholeNumber("--candidates", "candidates scored per pass (rounded up to whole batches)", 1000);
        foreach (var option in new Option[] { serveModels, data, dataDir, maxLength, embedding, candidates, device, features }) serve.Options.Add(option);
        serve.SetAction(parse => Serve(
            Console(parse), parse.GetValue(serveModels)!, new BenchData(parse.GetValue(data)!, parse.GetValue(dataDir), parse.GetValue(features)!),
            parse.GetValue(maxLength), parse.GetValue(device)!, new ModelOptions { EmbeddingDim = parse.GetValue(embedding) }, parse.GetValue(candidates)));
        return new Command("bench", "Print cost numbers: training throughput per model, inference latency, AUGRU speed-up") { train, serve, augru };
    }

    /// <summary>The batch sizes <c>bench serve</c> times: one request at a time, a page of candidates, a large re-rank.</summary>
    private static readonly int[] ServeBatchSizes = [1, 64, 1024];

    /// <summary>A console on the invocation's output, so that an in-process run (the tests) sees the table.</summary>
    private static IAnsiConsole Console(ParseResult parse) =>
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(parse.InvocationConfiguration.Output) });

    /// <summary>The data set a bench command times on (<c>--data</c>, <c>--data-dir</c>) and the side fields it keeps (<c>--features</c>).</summary>
    private sealed record BenchData(string Name, string? Directory, FieldChoice Features)
    {
        /// <summary>Whether the samples are the built-in synthetic set's full-length ones (every history position real).</summary>
        public bool FullLength => DatasetCatalog.DefaultDataDirectory(Name) is null;

        /// <summary>
        /// A built-in synthetic set: its samples whose history has at least <paramref name="maxLength"/> behaviours, so
        /// every position is real (the worst case, which the FLOP counts assume). A real set: its training samples in a
        /// seeded random order, so the batches carry the padding its training batches do.
        /// </summary>
        public (List<CtrSample> Samples, CtrDataset Data) Samples(int maxLength)
        {
            if (!FullLength)
            {
                var real = CompareCommand.Load(Name, Directory, seed: 42, new DatasetOptions(), Stopwatch.StartNew(), Features);
                var shuffled = real.Train.ToList();
                new Random(42).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(shuffled));
                return (shuffled, real);
            }
            var data = Features.ApplyTo(DatasetCatalog.Load(Name, seed: 42));
            var fullLength = data.Train.Where(s => s.HistoryLength >= maxLength).ToList();
            // Known only once the data exists: the longest synthetic history is drawn, not configured.
            if (fullLength.Count == 0) throw new UserErrorException($"--max-length {maxLength}: no {Name} sample has a history that long; choose a smaller --max-length");
            return (fullLength, data);
        }
    }

    private static int Serve(IAnsiConsole console, string[] models, BenchData bench, int maxLength, string device, ModelOptions options, int candidates)
    {
        var (samples, data) = bench.Samples(maxLength);
        var space = FeatureSpace.From(data.Train, data.Vocabulary, maxLength);
        var trainers = ServeBatchSizes.Select(b => new Trainer(new TrainerConfig { BatchSize = b, MaxLength = maxLength, Device = device })).ToArray();
        console.MarkupLineInterpolated($"[grey]device {trainers[0].Device}, {torch.get_num_threads()} threads, history {maxLength}, embedding {options.EmbeddingDim}/field, {candidates} candidates per pass rounded up to whole batches, median of 3 passes after 1 warm-up pass; {data.FieldsLine()}{bench.Features.Suffix}[/]");
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("model");
        foreach (var b in ServeBatchSizes) table.AddColumn(new TableColumn($"batch {b}").RightAligned());
        foreach (var name in models)
        {
            torch.manual_seed(42);
            using var model = ModelZoo.Create(name, space, options);
            var cells = trainers.Select(t =>
            {
                int batch = t.Config.BatchSize;
                return t.MeasureLatency(model, samples, data.Vocabulary, (candidates + batch - 1) / batch * batch).ToString("F1");
            });
            table.AddRow([name, .. cells]);
        }
        console.Write(table);
        console.MarkupLine("[grey]ms per 1,000 candidates: collated on the device beforehand, probabilities copied back to the host[/]");
        return 0;
    }

    private static int Train(IAnsiConsole console, string[] models, BenchData bench, TrainerConfig config, ModelOptions options, int steps)
    {
        var (samples, data) = bench.Samples(config.MaxLength);
        var trainer = new Trainer(config);
        var space = FeatureSpace.From(data.Train, data.Vocabulary, config.MaxLength);
        long profileWidth = SideFeatures.ProfileWidth(space, options.EmbeddingDim);
        var ceiling = MatmulCeiling.Measure(device: trainer.Device);
        console.MarkupLineInterpolated($"[grey]device {trainer.Device}, {torch.get_num_threads()} threads, batch {config.BatchSize}, history {config.MaxLength}, embedding {options.EmbeddingDim}/field, {steps} timed steps after at least 3 warm-up steps and 2 s; {data.FieldsLine()}{bench.Features.Suffix}[/]");
        console.MarkupLineInterpolated($"fp32 matmul ceiling: {ceiling:F1} GFLOP/s (1024×1024 by 1024×1024, median of 5 after 2 warm-up)");
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var h in new[] { "model", "params", "ms / step", "median ms", "GFLOP / step", "GFLOP/s", "% of matmul", "% real" }) table.AddColumn(new TableColumn(h).RightAligned());
        foreach (var name in models)
        {
            torch.manual_seed(42);
            using var model = ModelZoo.Create(name, space, options);
            var (samplesPerSecond, medianMilliseconds, realShare) = trainer.MeasureTrainingThroughput(model, samples, data.Vocabulary, steps);
            var secondsPerStep = config.BatchSize / samplesPerSecond;
            var flops = bench.FullLength ? StepFlops.ForModel(name, config.BatchSize, config.MaxLength, options.EmbeddingDim, profileWidth) : null;
            var rate = flops / secondsPerStep / 1e9;
            table.AddRow(name, model.ParameterCount().ToString("N0"), (1000 * secondsPerStep).ToString("F1"), medianMilliseconds?.ToString("F1") ?? "n/a",
                flops is { } f ? (f / 1e9).ToString("F3") : "n/a", rate is { } r ? r.ToString("F1") : "n/a", rate is { } p ? (100 * p / ceiling).ToString("F0") : "n/a",
                (100 * realShare).ToString("F0"));
        }
        console.Write(table);
        console.MarkupLine("[grey]ms / step: the mean over the timed steps (GFLOP/s divides by it); median ms: the median step, on the CPU (n/a elsewhere: steps return before their kernels finish)[/]");
        console.MarkupLine("[grey]FLOPs: the forward multiply-adds of Linear layers, DIEN's GRUs, DSIN's LSTMs and attention products (side fields: the MLP's profile columns) × 2, × 3 for forward + backward; " +
                           "element-wise work not counted (a lower bound). n/a: no analytic count for that model (DIEN's ablations), or histories not all full (a real --data set). " +
                           "% real: the share of the batches' history positions that are real behaviours, not padding.[/]");
        return 0;
    }
}
