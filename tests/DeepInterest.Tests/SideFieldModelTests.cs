using System.Diagnostics;
using DeepInterest.Data;
using DeepInterest.Layers;
using DeepInterest.Metrics;
using DeepInterest.Models;
using DeepInterest.Training;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DeepInterest.Tests;

/// <summary>Side fields in every model (issue 11): they reach the MLP and the behaviours, padding stays inert, none = today's model, and they help.</summary>
[Collection(nameof(GlobalRandomStream))]  // the bit-identical DIN test seeds the global generator for two models and two fits
public class SideFieldModelTests(ITestOutputHelper output)
{
    public static TheoryData<string> Models => new(ModelZoo.Course);

    private static readonly ModelOptions Small = new() { EmbeddingDim = 8 };

    private static (CtrDataset Data, CtrModel Model) Create(string name, int seed = 1)
    {
        var data = new CtrDataset("fields", SideFieldDataTests.Samples(40), [], SideFieldDataTests.Samples(12, firstUser: 40),
            fields: SideFieldDataTests.All(52));
        torch.manual_seed(seed);
        return (data, ModelZoo.Create(name, FeatureSpace.From(data.Train, data.Vocabulary, maxLength: 10), Small));
    }

    /// <summary>Each sparse index moved to the next in-vocabulary row (2 … rows − 1, wrapping): a real value the model must notice; padding is not kept (mask it again).</summary>
    internal static Tensor NextRow(Tensor indices, long rows) => (indices - 2 + 1).remainder(rows - 2) + 2;

    /// <summary>The batch with one field's tensor replaced.</summary>
    internal static Batch With(Batch b, string field, Tensor value) => new()
    {
        HistoryItems = b.HistoryItems, HistoryCategories = b.HistoryCategories, HistoryTimes = b.HistoryTimes, Mask = b.Mask,
        Lengths = b.Lengths, NegativeItems = b.NegativeItems, NegativeCategories = b.NegativeCategories, Items = b.Items,
        Categories = b.Categories, Times = b.Times, Labels = b.Labels, Users = b.Users,
        Fields = b.Fields.ToDictionary(f => f.Key, f => f.Key == field ? value : f.Value),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void EveryFieldReachesEveryModel(string name)
    {
        var (data, model) = Create(name);
        model.eval();
        using var batch = Batch.Collate(data.Test, data.Vocabulary, maxLength: 10);
        var logits = model.forward(batch).Logits;
        Assert.Equal([data.Test.Count], logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
        foreach (var field in data.Vocabulary.Fields.Fields)
        {
            var x = batch.Fields[field.Name];
            var changed = field.Kind == FieldKind.Dense ? x + batch.Mask.to_type(ScalarType.Float32)   // every real step's value
                                                        : NextRow(x, field.Rows);
            if (field.Group == FieldGroup.Behavior && field.Kind == FieldKind.Sparse) changed = changed.masked_fill(batch.Mask.logical_not(), 0);
            var moved = model.forward(With(batch, field.Name, changed)).Logits;
            Assert.True((moved - logits).abs().max().item<float>() > 0, $"{name}: changing {field.Name} does not change a logit");
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void ExtraPaddingChangesNothingWithPerStepFields(string name)
    {
        var (data, model) = Create(name);
        model.eval();
        using var batch = Batch.Collate(data.Test, data.Vocabulary, maxLength: 10);
        using var padded = TestBatches.PadLeft(batch, 5);
        var (plain, wider) = (model.forward(batch).Logits, model.forward(padded).Logits);
        Assert.True(plain.allclose(wider, rtol: 1e-5, atol: 1e-6), $"max difference {(plain - wider).abs().max().item<float>()}");
    }

    /// <summary>DIN as it was before side fields existed, built in the same order: the reference for "no fields = today's model".</summary>
    private sealed class ItemAndCategoryDin : CtrModel
    {
        private readonly BehaviorEmbedding embedding;
        private readonly LocalActivationUnit attention;
        private readonly Mlp mlp;

        public ItemAndCategoryDin(FeatureSpace space, ModelOptions options) : base(nameof(Din))
        {
            var config = new DinConfig();
            embedding = new BehaviorEmbedding(space, options.EmbeddingDim);
            attention = new LocalActivationUnit(embedding.Dim, config.AttentionHidden, config.Activation, config.Softmax);
            mlp = new Mlp(2 * embedding.Dim, config.MlpHidden, outputs: 1, config.Activation);
            RegisterComponents();
        }

        public override CtrOutput forward(Batch batch)
        {
            using var scope = NewDisposeScope();
            var history = embedding.forward(batch.HistoryItems, batch.HistoryCategories);
            var candidate = embedding.forward(batch.Items, batch.Categories);
            var (interest, _) = attention.forward(history, candidate, batch.Mask);
            return new CtrOutput(mlp.forward(cat([interest, candidate], 1)).squeeze(1).MoveToOuterDisposeScope());
        }
    }

    [Fact]
    public void WithoutFieldsDinIsBitIdenticalToTheItemAndCategoryDin()
    {
        var data = SyntheticData.Generate(SyntheticConfig.Tiny).ToDataset(seed: 3);
        Assert.NotEmpty(data.Vocabulary.Fields.Fields);
        var none = data.WithoutFields();
        var trainer = new Trainer(new TrainerConfig { Epochs = 1, Seed = 5, MaxLength = 20, Device = "cpu" });
        var space = FeatureSpace.From(none.Train, none.Vocabulary, trainer.Config.MaxLength);
        double Auc(CtrModel model)
        {
            using var owned = model;
            trainer.Fit(model, none);
            return CtrMetrics.Evaluate(trainer.Predict(model, none.Test, none.Vocabulary)).Auc;
        }
        torch.manual_seed(5);
        using var din = new Din(space, Small);
        torch.manual_seed(5);
        using var reference = new ItemAndCategoryDin(space, Small);
        Assert.Equal(reference.ParameterCount(), din.ParameterCount());
        Assert.Equal(Auc(reference), Auc(din));  // exactly: the same parameters, draws and arithmetic
        using var withFields = new Din(FeatureSpace.From(data.Train, data.Vocabulary, 20), Small);
        Assert.True(withFields.ParameterCount() > din.ParameterCount());
    }

    [Fact]
    public void DinGainsFromThePlantedSideEffectsInEverySeed()
    {
        var clock = Stopwatch.StartNew();
        var world = SyntheticConfig.Tiny with { Users = 600, MinTimelineLength = 20, MaxTimelineLength = 40 };
        foreach (int seed in new[] { 1, 2, 3 })
        {
            var data = SyntheticData.Generate(world with { Seed = seed }).ToDataset(seed);
            var trainer = new Trainer(new TrainerConfig { Epochs = 2, Seed = seed, MaxLength = 20, BatchSize = 128, Device = "cpu" });
            double Auc(CtrDataset set)
            {
                torch.manual_seed(seed);
                using var model = ModelZoo.Create("din", FeatureSpace.From(set.Train, set.Vocabulary, trainer.Config.MaxLength), Small);
                trainer.Fit(model, set);
                return CtrMetrics.Evaluate(trainer.Predict(model, set.Test, set.Vocabulary)).Auc;
            }
            double with = Auc(data), without = Auc(data.WithoutFields()), oracle = CtrMetrics.OracleAuc(data.Test)!.Value;
            output.WriteLine($"seed {seed}: din test AUC with fields {with:F4}, without {without:F4}, oracle {oracle:F4}");
            Assert.True(with > without, $"seed {seed}: with fields {with:F4} ≤ without {without:F4}");
        }
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s");
    }
}
