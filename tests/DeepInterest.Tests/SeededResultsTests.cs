using System.Text.Json;
using DeepInterest.Metrics;
using DeepInterest.Training;
using Xunit;

namespace DeepInterest.Tests;

/// <summary>Several seeds combined: mean ± sample std by hand, the results.json keys with one and with several seeds.</summary>
public class SeededResultsTests
{
    private static ModelResult Result(string model, double auc, double gauc, double logLoss, long parameters = 100, double seconds = 2) =>
        new(model, parameters, new MetricReport(auc, gauc, logLoss, 10), new TrainingResult([], 1, seconds, 1000 / seconds), 5);

    private static SeedRun Run(int seed, params ModelResult[] results) => new(seed, "test data", null, results);

    [Fact]
    public void MeanAndSampleStdMatchTheHandComputedValues()
    {
        // AUC 0.70, 0.74, 0.72: mean 0.72, deviations −0.02, 0.02, 0 → sample variance 0.0008 / 2 = 0.0004, std 0.02.
        // GAUC 0.6, 0.7, 0.8: mean 0.7, std √((0.01 + 0 + 0.01) / 2) = 0.1. Logloss constant: std 0.
        var combined = SeededResult.Combine([
            Run(1, Result("avgpool", 0.70, 0.6, 0.5, parameters: 100, seconds: 1), Result("din", 0.80, 0.8, 0.4)),
            Run(2, Result("avgpool", 0.74, 0.7, 0.5, parameters: 110, seconds: 2), Result("din", 0.80, 0.8, 0.4)),
            Run(3, Result("avgpool", 0.72, 0.8, 0.5, parameters: 120, seconds: 6), Result("din", 0.80, 0.8, 0.4)),
        ]);

        Assert.Equal(["avgpool", "din"], combined.Select(r => r.Model));
        var avgpool = combined[0];
        Assert.Equal([1, 2, 3], avgpool.Seeds);
        Assert.Equal(0.72, avgpool.Auc.Mean, 12);
        Assert.Equal(0.02, avgpool.Auc.Std!.Value, 12);
        Assert.Equal(0.7, avgpool.Gauc.Mean, 12);
        Assert.Equal(0.1, avgpool.Gauc.Std!.Value, 12);
        Assert.Equal(0.0, avgpool.LogLoss.Std!.Value, 12);
        Assert.Equal(110, avgpool.Parameters);
        Assert.Equal(3.0, avgpool.TrainSeconds, 12);
        Assert.Equal("0.7200 ± 0.0200", avgpool.Auc.Format("F4"));
        Assert.Equal("+36.4%", ComparisonReport.Rows(combined)[1][5]);  // RelaImpr of the means 0.80 vs 0.72: 0.30 / 0.22 − 1
        Assert.Equal("0.7000 / 0.7400 / 0.7200", ComparisonReport.Rows(combined)[0][^1]);
    }

    [Fact]
    public void AChanceLevelBaselineGivesNoRelaImprRatherThanAnError()
    {
        var combined = SeededResult.Combine([Run(1, Result("avgpool", 0.5, 0.5, 0.69), Result("din", 0.5, 0.5, 0.69))]);
        Assert.All(ComparisonReport.Rows(combined), row => Assert.Equal("n/a", row[5]));
    }

    [Fact]
    public void OneSeedHasNoSpread()
    {
        var single = MeanStd.Of([0.75]);
        Assert.Equal(0.75, single.Mean);
        Assert.Null(single.Std);
        Assert.Equal("0.7500", single.Format("F4"));
        Assert.Throws<ArgumentException>(() => MeanStd.Of([]));
        Assert.Throws<ArgumentException>(() => MeanStd.Of([0.7, double.NaN]));
    }

    [Fact]
    public void RunsMustShareTheirModelsAndDifferInSeed()
    {
        Assert.Contains("seed 1 appears twice", Assert.Throws<ArgumentException>(() =>
            SeededResult.Combine([Run(1, Result("din", 0.7, 0.7, 0.5)), Run(1, Result("din", 0.7, 0.7, 0.5))])).Message);
        Assert.Contains("seed 2 ran bst", Assert.Throws<ArgumentException>(() =>
            SeededResult.Combine([Run(1, Result("din", 0.7, 0.7, 0.5)), Run(2, Result("bst", 0.7, 0.7, 0.5))])).Message);
    }

    [Fact]
    public void StrataColumnsAndKeysAppearOnlyWhenTheTestSplitHasRepeats()
    {
        ModelResult WithStrata(double fresh, double? repeat) =>
            Result("din", 0.7, 0.7, 0.5) with { Strata = new CandidateStrata(fresh, repeat) };
        var repeats = SeededResult.Combine([Run(1, WithStrata(0.66, 0.80)), Run(2, WithStrata(0.70, 0.90))]);
        Assert.Equal(["AUC new items", "AUC repeats"], ComparisonReport.Header(repeats).Skip(5).Take(2));
        Assert.Equal(["0.6800 ± 0.0283", "0.8500 ± 0.0707"], ComparisonReport.Rows(repeats)[0].Skip(5).Take(2));
        var noRepeats = SeededResult.Combine([Run(1, WithStrata(0.7, null))]);
        Assert.DoesNotContain("AUC repeats", ComparisonReport.Header(noRepeats));
        Assert.Equal(ComparisonReport.Header(noRepeats).Count, ComparisonReport.Rows(noRepeats)[0].Count);
        var folder = Directory.CreateTempSubdirectory("strata-").FullName;
        try
        {
            var path = Path.Combine(folder, "results.json");
            ComparisonReport.WriteJson(repeats, path);
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            var row = json.RootElement.EnumerateArray().Single();
            Assert.Equal(0.85, row.GetProperty("auc_repeat_candidate").GetDouble(), 12);
            Assert.Equal(0.68, row.GetProperty("auc_new_candidate").GetDouble(), 12);
            Assert.True(row.TryGetProperty("auc_new_candidate_std", out _));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void ResultsJsonHasStdKeysExactlyWhenThereAreSeveralSeeds(int seeds)
    {
        var runs = Enumerable.Range(1, seeds).Select(s => Run(s, Result("avgpool", 0.7 + 0.01 * s, 0.7, 0.5))).ToList();
        var folder = Directory.CreateTempSubdirectory("seeds-").FullName;
        try
        {
            var path = Path.Combine(folder, "results.json");
            ComparisonReport.WriteJson(SeededResult.Combine(runs), path);
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            var row = json.RootElement.EnumerateArray().Single();
            string[] expected = seeds == 1
                ? ["model", "auc", "gauc", "logloss", "params", "train_seconds", "train_samples_per_second", "latency_ms_per_1000", "seeds", "fields"]
                : ["model", "auc", "auc_std", "gauc", "gauc_std", "logloss", "logloss_std", "params", "train_seconds",
                   "train_samples_per_second", "latency_ms_per_1000", "seeds", "fields"];
            Assert.Equal(expected, row.EnumerateObject().Select(p => p.Name));
            Assert.Equal(Enumerable.Range(1, seeds), row.GetProperty("seeds").EnumerateArray().Select(e => e.GetInt32()));
            if (seeds == 3) Assert.Equal(0.01, row.GetProperty("auc_std").GetDouble(), 12);  // 0.71, 0.72, 0.73
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
