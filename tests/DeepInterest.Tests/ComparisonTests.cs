using System.Text.Json;
using DeepInterest.Data;
using DeepInterest.Models;
using DeepInterest.Training;
using Xunit;

namespace DeepInterest.Tests;

/// <summary>The comparison pipeline end to end on tiny data: every course model trains, results.json keeps its schema.</summary>
public class ComparisonTests
{
    [Fact]
    public void EveryCourseModelTrainsAndTheResultsFileHasExactlyTheDocumentedKeys()
    {
        var data = DatasetCatalog.Load("synthetic-tiny", seed: 3);
        var config = new TrainerConfig { Epochs = 1, BatchSize = 128, MaxLength = 20, Device = "cpu" };
        var results = Comparison.Run(data, ModelZoo.Course, config, new ModelOptions { EmbeddingDim = 8 });

        Assert.Equal(ModelZoo.Course, results.Select(r => r.Model));
        foreach (var r in results)
        {
            Assert.InRange(r.Test.Auc, 0, 1);
            Assert.True(double.IsFinite(r.Test.LogLoss), $"{r.Model}: logloss {r.Test.LogLoss}");
            Assert.True(r.Parameters > 0 && r.LatencyMsPer1000 > 0 && r.Training.TrainSamplesPerSecond > 0, r.Model);
        }

        var folder = Directory.CreateTempSubdirectory("compare-").FullName;
        try
        {
            var runs = new[] { SeedRun.From(config.Seed, data, results) };
            ComparisonReport.WriteJson(SeededResult.Combine(runs), Path.Combine(folder, "results.json"));
            ComparisonReport.WriteHtml(runs, config, Path.Combine(folder, "report.html"));
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "results.json")));
            Assert.Equal(ModelZoo.Course.Count, json.RootElement.GetArrayLength());
            // One seed: no _std keys. Synthetic candidates are sometimes in their history: both strata have both classes.
            string[] keys = ["model", "auc", "gauc", "logloss", "auc_new_candidate", "auc_repeat_candidate", "params", "train_seconds", "train_samples_per_second", "latency_ms_per_1000", "seeds", "fields"];
            foreach (var row in json.RootElement.EnumerateArray())
                Assert.Equal(keys, row.EnumerateObject().Select(p => p.Name));
            var html = File.ReadAllText(Path.Combine(folder, "report.html"));
            Assert.Contains("Plotly.newPlot", html);
            Assert.Contains("Bayes-optimal AUC", html);  // synthetic data: the oracle's ceiling line
            Assert.DoesNotContain("<script src=", html); // plotly.js is embedded: the report opens offline
            Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void UnknownModelOrDataSetNamesFailBeforeTraining()
    {
        var data = DatasetCatalog.Load("synthetic-tiny", seed: 3);
        var error = Assert.Throws<ArgumentException>(() => Comparison.Run(data, ["din", "dinn"], new TrainerConfig { Device = "cpu" }));
        Assert.Contains("dinn", error.Message);
        Assert.Contains("avgpool", error.Message);
        Assert.Contains("synthetic", Assert.Throws<ArgumentException>(() => DatasetCatalog.Load("synthetc")).Message);
    }
}
