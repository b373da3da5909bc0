using System.CommandLine;
using DeepInterest.Benchmarks;
using DeepInterest.Cli;
using DeepInterest.Data;
using DeepInterest.Data.Download;
using Xunit;

namespace DeepInterest.Tests;

/// <summary>
/// The CLI run in-process (<see cref="CliApp.RunAsync(string[], TextWriter, TextWriter)"/>): a user error is one
/// <c>error: …</c> line naming the valid choices and exit code 2, found before any work starts; an internal fault is a
/// stack trace with the command line and the versions, exit code 70.
/// </summary>
public class CliErrorTests
{
    private const string Models = "avgpool, din, din-dice-mba, dien, dsin, bst";
    private const string RealSets = "movielens-small, movielens-1m, amazon-books-dien, amazon-electronics, taobao";

    private static async Task<(int Code, string Output, string Error)> Run(params string[] args) => await Run(CliApp.Create, args);

    private static async Task<(int Code, string Output, string Error)> Run(Func<RootCommand> commands, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await CliApp.RunAsync(commands, args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Exit code 2 and exactly one line, <c>error: …</c>, that contains every one of <paramref name="expected"/>.</summary>
    private static async Task<string> AssertUserError(string[] args, params string[] expected)
    {
        var (code, _, error) = await Run(args);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"expected one line for `{string.Join(' ', args)}`, got:\n{error}");
        Assert.StartsWith("error: ", lines[0]);
        foreach (var fragment in expected) Assert.Contains(fragment, lines[0]);
        Assert.DoesNotContain("   at ", error);
        Assert.Equal(CliApp.UserErrorExitCode, code);
        return lines[0];
    }

    [Theory]
    [InlineData("compare --models nope", "'nope'", Models)]
    [InlineData("compare --models din,,DIN", "'din' given twice")]
    [InlineData("compare --models ,", "no model", Models)]
    [InlineData("bench train --models avgpool,nope", "'nope'", Models)]
    [InlineData("compare --data nope", "'nope'", "synthetic, synthetic-tiny, synthetic-large, " + RealSets)]
    [InlineData("compare --epochs 0", "--epochs", "at least 1", "'0'")]
    [InlineData("compare --epochs -2", "--epochs", "'-2'")]
    [InlineData("compare --epochs three", "--epochs", "'three'")]
    [InlineData("compare --seed 1.5", "--seed", "whole number")]
    [InlineData("compare --seed 99999999999", "--seed")]
    [InlineData("compare --features hour,,weekday", "--features", "'hour,,weekday'", "empty field name", "all, none")]
    [InlineData("compare --data synthetic-tiny --features hour,some", "--features", "unknown field 'some'", "segment, hour, weekday")]
    [InlineData("compare --seeds 1,x", "--seeds", "'x'")]
    [InlineData("compare --seeds 1,2,1", "--seeds", "seed 1 given twice")]
    [InlineData("compare --seed 3 --seeds 1,2", "--seed and --seeds", "not both")]
    [InlineData("compare --device gpu", "'gpu'", "\"cpu\", \"cuda\", \"cuda:N\" or \"auto\"")]
    [InlineData("compare --batch-size 0", "--batch-size")]
    [InlineData("compare --max-length -1", "--max-length")]
    [InlineData("compare --embedding-dim 0", "--embedding-dim")]
    [InlineData("compare --max-steps 0", "--max-steps", "at least 1", "'0'")]
    [InlineData("compare --max-steps x", "--max-steps", "'x'")]
    [InlineData("data generate --format csv --out x", "--format", "'csv'", "taobao, dien-books")]
    [InlineData("data generate --format taobao --events 0 --out x", "--events", "at least 1")]
    [InlineData("data generate --format taobao", "--out")]
    [InlineData("bench train --steps 0", "--steps")]
    [InlineData("bench augru --batch-size x", "--batch-size")]
    [InlineData("bench train --features age --steps 1", "--features", "unknown field 'age'", "segment, hour, weekday")]
    [InlineData("bench serve --features hour,,x", "--features", "empty field name")]
    [InlineData("compare --frobnicate", "'--frobnicate'", "--models, --data, --data-dir, --epochs")]
    [InlineData("compare --epochs", "--epochs")]
    [InlineData("compare --negatives sometimes", "--negatives", "'sometimes'", "repeat-matched, never-interacted")]
    [InlineData("compare --negatives never-interacted", "--negatives applies to the behaviour logs only", "'synthetic'", "movielens-small")]
    [InlineData("compare --min-count 0", "--min-count", "at least 1", "'0'")]
    [InlineData("", "compare, bench, notebooks, data")]
    [InlineData("bench", "train, serve, augru")]
    [InlineData("bench serve --models din,nope", "'nope'", Models)]
    [InlineData("bench serve --candidates 0", "--candidates", "at least 1", "'0'")]
    [InlineData("bench serve --embedding-dim x", "--embedding-dim")]
    [InlineData("bench serve --device gpu", "'gpu'")]
    [InlineData("data download nope", "'nope'", RealSets)]
    [InlineData("data download synthetic-tiny", "built in", RealSets)]
    public async Task EachUserErrorIsOneLineWithTheValidChoicesAndExitCode2(string commandLine, params string[] expected) =>
        await AssertUserError(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries), expected);

    [Fact]
    public async Task SeveralMistakesShareTheOneLine()
    {
        var line = await AssertUserError(["compare", "--models", "nope", "--epochs", "0"], "'nope'", "--epochs");
        Assert.Contains(" | ", line);
    }

    [Fact]
    public async Task AMissingDataFolderNamesTheCanonicalDownload()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"deepinterest-missing-{Guid.NewGuid():N}");
        await AssertUserError(["compare", "--data", "movielens-small", "--data-dir", missing], missing, "does not exist", "data download movielens-small");
        await AssertUserError(["compare", "--data", "amazon-reviews", "--data-dir", missing], "data download amazon-electronics");
    }

    [Fact]
    public async Task ADataFolderWithSyntheticDataIsAMistake()
    {
        using var dir = new TempFolder();
        await AssertUserError(["compare", "--data-dir", dir.Path], "real data sets only", "'synthetic'", RealSets);
    }

    [Fact]
    public async Task AnOutputFolderThatIsAFileIsRejected()
    {
        using var dir = new TempFolder();
        var file = dir.Write("results", "");
        await AssertUserError(["compare", "--out", file], "--out", "is a file");
        await AssertUserError(["data", "download", "movielens-small", "--dir", file], "--dir", "is a file");
    }

    /// <summary>A folder that cannot be written is found when the command starts, not after the training.</summary>
    [SkippableFact]
    public async Task AnOutputFolderThatCannotBeWrittenIsRejectedBeforeTheWork()
    {
        var unwritable = "/proc/deepinterest-results";  // procfs: not even root can create a folder there
        Skip.IfNot(Directory.Exists("/proc"), "needs Linux's /proc for a folder nobody can create");
        await AssertUserError(["compare", "--data", "synthetic-tiny", "--models", "avgpool", "--out", unwritable], "--out", "cannot write to " + unwritable);
        using var notebooks = new TempFolder();
        notebooks.Write("01-x.ipynb", "{}");
        await AssertUserError(["notebooks", "run", "--notebooks", notebooks.Path, "--out", unwritable], "--out", "cannot write");
    }

    [Fact]
    public async Task UnknownOrAmbiguousNotebooksAreRejected()
    {
        using var dir = new TempFolder();
        dir.Write("01-average-pooling.ipynb", "{}");
        dir.Write("02-din.ipynb", "{}");
        await AssertUserError(["notebooks", "run", "07", "--notebooks", dir.Path], "'07'", "01-average-pooling, 02-din");
        await AssertUserError(["notebooks", "run", "0", "--notebooks", dir.Path], "matches 2", "01-average-pooling, 02-din");
        await AssertUserError(["notebooks", "run", "--notebooks", Path.Combine(dir.Path, "missing")], "no notebook folder");
    }

    /// <summary>
    /// The folder exists but holds no MovieLens files: loading it fails. With <c>--epochs 0</c> the error must be about
    /// the epochs (checked while parsing), not about the files (found only by loading); without it, the load error is
    /// still one line and exit code 2.
    /// </summary>
    [Fact]
    public async Task AnInvalidOptionIsRejectedBeforeTheDataLoads()
    {
        using var dir = new TempFolder();
        var line = await AssertUserError(["compare", "--data", "movielens-small", "--data-dir", dir.Path, "--models", "avgpool", "--epochs", "0"], "--epochs");
        Assert.DoesNotContain("ratings", line);

        await AssertUserError(["compare", "--data", "movielens-small", "--data-dir", dir.Path, "--models", "avgpool", "--epochs", "1"],
            "ratings.csv", dir.Path, "data download movielens-small");
    }

    [Fact]
    public void OldDataSetNamesAreAliasesOfTheCanonicalOnes()
    {
        Assert.Equal("movielens-small", DatasetCatalog.Canonical("movielens"));
        Assert.Equal("amazon-electronics", DatasetCatalog.Canonical("Amazon-Reviews"));
        Assert.Equal("taobao", DatasetCatalog.Canonical("TAOBAO"));
        Assert.Null(DatasetCatalog.Canonical("movielens-20m"));
        Assert.Same(DownloadCatalog.MovieLensSmall, DownloadCatalog.Get("movielens"));
        Assert.Same(DownloadCatalog.AmazonElectronics, DownloadCatalog.Get("amazon-reviews"));
        // One name per data set: every real data set compare reads is a download of the same name, and back.
        Assert.Equal(DownloadCatalog.All.Select(e => e.Name), DatasetCatalog.Names.Where(n => DatasetCatalog.DefaultDataDirectory(n) is not null));
    }

    [Fact]
    public void TheCliAcceptsTheAliasesAndWorksWithTheCanonicalNames()
    {
        using var dir = new TempFolder();
        var compare = CliApp.Create().Parse(["compare", "--data", "movielens", "--data-dir", dir.Path]);
        Assert.Empty(compare.Errors);
        Assert.Equal("movielens-small", compare.GetValue<string>("--data"));

        var download = CliApp.Create().Parse(["data", "download", "amazon-reviews"]);
        Assert.Empty(download.Errors);
        Assert.Same(DownloadCatalog.AmazonElectronics, download.GetValue<DatasetEntry>("name"));
    }

    [Theory]
    [InlineData("all", null)]
    [InlineData("ALL", null)]
    [InlineData("none", "")]
    [InlineData("behavior_type, hour,hour", "behavior_type,hour")]
    public void FeaturesParseToAllNoneOrTheNamedFields(string value, string? names)
    {
        var parse = CliApp.Create().Parse(["compare", "--features", value]);
        Assert.Empty(parse.Errors);
        var choice = parse.GetValue<FieldChoice>("--features")!;   // an explicit "all" once crashed the cast (exit 70)
        Assert.Equal(names, choice.Names is null ? null : string.Join(",", choice.Names));
        Assert.Null(CliApp.Create().Parse(["compare"]).GetValue<FieldChoice>("--features")!.Names);
    }

    /// <summary><c>--seeds</c> runs the whole comparison per seed: results.json carries the seeds and the std keys.</summary>
    [Fact]
    public async Task CompareWithSeveralSeedsWritesMeansStdsAndTheSeeds()
    {
        using var dir = new TempFolder();
        var (code, output, error) = await Run("compare", "--data", "synthetic-tiny", "--models", "avgpool", "--epochs", "1", "--seeds", "1,2",
            "--device", "cpu", "--out", dir.Path);
        Assert.True(code == 0, $"exit {code}: {error}");
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "results.json")));
        var row = json.RootElement.EnumerateArray().Single();
        Assert.Equal([1, 2], row.GetProperty("seeds").EnumerateArray().Select(e => e.GetInt32()));
        Assert.True(row.GetProperty("auc_std").GetDouble() >= 0);
        Assert.True(row.TryGetProperty("logloss_std", out _));
        var html = File.ReadAllText(Path.Combine(dir.Path, "report.html"));
        Assert.Contains("\"error_y\"", html);
        Assert.Contains("Bayes-optimal AUC", html);
    }

    [Fact]
    public async Task CompareWritesTheTestSplitsProtocolStatisticsBesideTheResults()
    {
        using var dir = new TempFolder();
        var (code, _, error) = await Run("compare", "--data", "synthetic-tiny", "--models", "avgpool", "--epochs", "1", "--min-count", "1", "--out", dir.Path);
        Assert.True(code == 0, error);
        Assert.True(File.Exists(Path.Combine(dir.Path, "results.json")));
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "protocol.json")));
        Assert.Equal("synthetic-tiny", json.RootElement.GetProperty("data").GetString());
        Assert.Equal(0.0, json.RootElement.GetProperty("unseen_positive").GetDouble());   // --min-count 1: the tiny catalogue is all in train
        Assert.InRange(json.RootElement.GetProperty("candidate_in_history_auc").GetDouble(), 0, 1);
    }

    /// <summary><c>bench serve</c> runs end to end and prints one latency per batch size.</summary>
    [Fact]
    public async Task BenchServePrintsTheLatencyAtEachBatchSize()
    {
        var (code, output, error) = await Run("bench", "serve", "--models", "avgpool", "--candidates", "64", "--max-length", "5", "--embedding-dim", "4", "--device", "cpu");
        Assert.True(code == 0, $"exit {code}: {error}");
        foreach (var header in new[] { "batch 1 ", "batch 64", "batch 1024", "ms per 1,000 candidates" }) Assert.Contains(header, output);
        var row = output.Split('\n').Single(l => l.Contains("avgpool"));
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(row, @"\d+\.\d").Count);
    }

    /// <summary><c>bench train</c> prints the mean and median step, the matmul ceiling, GFLOP/s for a counted model and n/a for one without a count.</summary>
    [Fact]
    public async Task BenchTrainPrintsGflopsAgainstTheMatmulCeilingAndNaWithoutACount()
    {
        var (code, output, error) = await Run("bench", "train", "--models", "avgpool,dien-gru", "--steps", "1", "--batch-size", "8", "--max-length", "5",
            "--embedding-dim", "4", "--device", "cpu");
        Assert.True(code == 0, $"exit {code}: {error}");
        Assert.Matches(@"fp32 matmul ceiling: \d+\.\d GFLOP/s", output);
        Assert.Contains("GFLOP/s", output);
        var avgpool = output.Split('\n').Single(l => l.Contains("avgpool"));
        Assert.DoesNotContain("n/a", avgpool);
        Assert.Matches(@"│ +\d+\.\d │ +\d+\.\d │", avgpool);                                      // ms / step and the median step (CPU)
        Assert.Contains("n/a", output.Split('\n').Single(l => l.Contains("dien-gru")));  // every course model has a count; DIEN's ablations not
        Assert.Equal("100", avgpool.Split('│', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)[^1]); // full-length histories: every position real
    }

    /// <summary>
    /// <c>bench train --data</c> with a real data set times the models on its own training batches (here a generated
    /// DIEN-format stand-in, histories of 1 + Geometric(0.1) behaviours): mostly padding, so the share of real positions
    /// is printed below 100 and no FLOP count (it assumes full histories) is claimed.
    /// </summary>
    [Fact]
    public async Task BenchTrainOnARealDataSetTimesItsOwnPaddedBatches()
    {
        using var folder = new TempFolder();
        FileGenerator.Write(GeneratedFormat.DienBooks, folder.Path, 2_000, seed: 1);
        var (code, output, error) = await Run("bench", "train", "--data", "amazon-books-dien", "--data-dir", folder.Path, "--models", "din",
            "--steps", "1", "--batch-size", "64", "--max-length", "20", "--embedding-dim", "4", "--device", "cpu");
        Assert.True(code == 0, $"exit {code}: {error}");
        var cells = output.Split('\n').Single(l => l.Contains(" din ")).Split('│', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["n/a", "n/a", "n/a"], cells[4..7]);
        Assert.InRange(int.Parse(cells[7]), 10, 90);
    }

    /// <summary>
    /// <c>bench train --features</c> times the models with the chosen side fields: none gives the item-and-category
    /// models (fewer parameters) and a smaller FLOP count (the profile columns of the MLP are gone).
    /// </summary>
    [Fact]
    public async Task BenchTrainTimesTheModelsWithTheChosenSideFields()
    {
        // Batch 256 so that the MLP's profile columns show in the printed GFLOP / step (three decimals).
        string[] common = ["bench", "train", "--models", "din", "--steps", "1", "--batch-size", "256", "--max-length", "5", "--embedding-dim", "8", "--device", "cpu"];
        (long Parameters, double Gflop) Row(string output)
        {
            var cells = output.Split('\n').Single(l => l.Contains(" din ")).Split('│', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            return (long.Parse(cells[1], System.Globalization.NumberStyles.AllowThousands), double.Parse(cells[4], System.Globalization.CultureInfo.InvariantCulture));
        }
        var (allCode, all, allError) = await Run([.. common]);
        var (noneCode, none, noneError) = await Run([.. common, "--features", "none"]);
        Assert.True(allCode == 0 && noneCode == 0, allError + noneError);
        Assert.Contains("fields: segment", all);
        Assert.Contains("fields: none (--features none)", none);
        var (withFields, without) = (Row(all), Row(none));
        Assert.True(withFields.Parameters > without.Parameters, $"{withFields} vs {without}");
        double Printed(double? flops) => Math.Round(flops!.Value / 1e9, 3);
        Assert.Equal(Printed(StepFlops.ForModel("din", 256, 5, 8)), without.Gflop);
        Assert.Equal(Printed(StepFlops.ForModel("din", 256, 5, 8, profileWidth: 3 * 8)), withFields.Gflop);   // segment, hour, weekday: D each
        Assert.True(withFields.Gflop > without.Gflop, $"{withFields} vs {without}");
    }

    [Fact]
    public async Task HelpStillWorksAndExitsWith0()
    {
        var (code, output, error) = await Run("compare", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--data", output);
        Assert.Contains("movielens = movielens-small", output);
        Assert.Contains("[default: all]", output);                                           // --features, not a record's dump
        Assert.DoesNotContain("FieldChoice", output);
        Assert.Equal("", error);
    }

    [Fact]
    public async Task AnInternalFaultPrintsTheStackTraceWithTheCommandLineAndTheVersionsAndExitCode70()
    {
        static RootCommand Faulty()
        {
            var boom = new Command("boom") { new Argument<string>("what") };
            boom.SetAction(int (_) => throw new InvalidOperationException("a bug in the kit"));
            return new RootCommand { boom };
        }

        var (code, _, error) = await Run(Faulty, "boom", "with space");

        Assert.Equal(CliApp.InternalErrorExitCode, code);
        Assert.StartsWith("internal error:", error);
        Assert.Contains("command line: dotnet run --project lib/DeepInterest.Cli -- boom 'with space'", error);
        Assert.Matches(@"versions: DeepInterest \S+, TorchSharp 0\.\d+\.\d+\S*, \.NET \d+\.\d+\.\d+", error);
        Assert.Contains("System.InvalidOperationException: a bug in the kit", error);
        Assert.Contains("   at ", error);
    }
}
