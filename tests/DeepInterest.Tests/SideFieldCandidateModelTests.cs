using DeepInterest.Data;
using DeepInterest.Layers;
using DeepInterest.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace DeepInterest.Tests;

/// <summary>Candidate-side and dense user and context fields in every model (issue 11): they reach it, and padding stays inert.</summary>
public class SideFieldCandidateModelTests
{
    public static TheoryData<string> Models => new(ModelZoo.Course);

    private static readonly ModelOptions Small = new() { EmbeddingDim = 8 };

    private static (CtrDataset Data, CtrModel Model) Create(string name)
    {
        var data = new CtrDataset("fields", SideFieldCandidateTests.Samples(40), [], SideFieldCandidateTests.Samples(12, firstUser: 40),
            fields: SideFieldCandidateTests.Rich(52));
        torch.manual_seed(1);
        return (data, ModelZoo.Create(name, FeatureSpace.From(data.Train, data.Vocabulary, maxLength: 10), Small));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void EveryNewFieldReachesEveryModel(string name)
    {
        var (data, model) = Create(name);
        model.eval();
        using var batch = Batch.Collate(data.Test, data.Vocabulary, maxLength: 10);
        var logits = model.forward(batch).Logits;
        Assert.True(logits.isfinite().all().item<bool>());
        var rows = data.Vocabulary.Fields.Fields.Single(f => f.Name == "brand").Rows;
        var history = batch.Fields[Batch.HistoryKey("brand")];
        var changes = new Dictionary<string, Tensor>
        {
            ["age"] = batch.Fields["age"] + 1,
            ["slot"] = batch.Fields["slot"] + 1,
            ["price"] = batch.Fields["price"] + 1,
            ["brand"] = SideFieldModelTests.NextRow(batch.Fields["brand"], rows),
            [Batch.HistoryKey("brand")] = SideFieldModelTests.NextRow(history, rows).masked_fill(batch.Mask.logical_not(), 0),
            [Batch.HistoryKey("price")] = batch.Fields[Batch.HistoryKey("price")] + batch.Mask.to_type(ScalarType.Float32),
        };
        foreach (var (key, changed) in changes)
        {
            var moved = model.forward(SideFieldModelTests.With(batch, key, changed)).Logits;
            Assert.True((moved - logits).abs().max().item<float>() > 0, $"{name}: changing {key} does not change a logit");
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void ExtraPaddingChangesNothingWithCandidateFields(string name)
    {
        var (data, model) = Create(name);
        model.eval();
        using var batch = Batch.Collate(data.Test, data.Vocabulary, maxLength: 10);
        using var padded = TestBatches.PadLeft(batch, 5);
        var (plain, wider) = (model.forward(batch).Logits, model.forward(padded).Logits);
        Assert.True(plain.allclose(wider, rtol: 1e-5, atol: 1e-6), $"max difference {(plain - wider).abs().max().item<float>()}");
    }

    [Fact]
    public void DenseProfileFieldsAddOneColumnEachAndCandidateFieldsNone()
    {
        var (data, _) = Create("din");
        var space = FeatureSpace.From(data.Vocabulary);
        // sparse user and context: gender, job, hour, weekday (D each); dense: age, slot (1 each); brand and price join the items
        Assert.Equal(4 * 8 + 2, SideFeatures.ProfileWidth(space, 8));
    }

    [Fact]
    public void DiensAuxiliaryLossSeesTheNegativesCandidateFields()
    {
        var (data, model) = Create("dien");
        model.train();
        using var batch = Batch.Collate(data.Train, data.Vocabulary, maxLength: 10);
        var loss = model.forward(batch).AuxiliaryLoss!;
        var negatives = batch.Fields[Batch.NegativeKey("brand")];
        var rows = data.Vocabulary.Fields.Fields.Single(f => f.Name == "brand").Rows;
        var changed = SideFieldModelTests.NextRow(negatives, rows).masked_fill(batch.NegativeItems.eq(0), 0);
        var moved = model.forward(SideFieldModelTests.With(batch, Batch.NegativeKey("brand"), changed)).AuxiliaryLoss!;
        Assert.NotEqual(loss.item<float>(), moved.item<float>());
    }
}
