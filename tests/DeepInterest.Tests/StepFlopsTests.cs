using DeepInterest.Benchmarks;
using DeepInterest.Data;
using DeepInterest.Layers;
using DeepInterest.Models;
using TorchSharp.Modules;
using Xunit;

namespace DeepInterest.Tests;

/// <summary>The analytic FLOP counts of <c>bench train</c>, checked by hand on tiny configurations and against the zoo's models.</summary>
public class StepFlopsTests
{
    [Fact]
    public void AnMlpCostsTwoFlopsPerMultiplyAddOfEachLayer()
    {
        // 4 → 3 → 1 on 2 rows: 4·3 + 3·1 = 15 multiply-adds per row, 2 rows × 15 × 2 = 60.
        Assert.Equal(60, StepFlops.MlpForward(rows: 2, inputs: 4, hidden: [3]));
        // 8 → 3 → 2 → 1 on 6 rows: 24 + 6 + 2 = 32 per row, 6 × 32 × 2 = 384.
        Assert.Equal(384, StepFlops.MlpForward(rows: 6, inputs: 8, hidden: [3, 2]));
    }

    [Fact]
    public void AvgpoolStepIsItsPredictionMlpForwardTimesThree()
    {
        // D = 1 per field: a behaviour is E = 2, the MLP sees [v_U; e_c] = 4 inputs, 4 → 3 → 1 = 15 multiply-adds per row;
        // B = 2: forward 2 × 15 × 2 = 60 FLOPs, forward + backward 3 × 60 = 180.
        Assert.Equal(180, StepFlops.EmbeddingMlp(batch: 2, dimPerField: 1, new EmbeddingMlpConfig { MlpHidden = [3] }));
    }

    [Fact]
    public void DinStepCountsTheActivationUnitAtEveryPositionAndThePredictionMlpPerRow()
    {
        // B = 2, T = 3, D = 1 (E = 2). Activation unit: first layer 2E·3 = 12 multiply-adds at 6 positions = 72 plus the
        // candidate's E·3 = 6 on 2 rows = 12; then 3 → 2 → 1 = 8 at 6 positions = 48; prediction MLP 2E = 4 → 3 → 1 = 15
        // on 2 rows = 30. (72 + 12 + 48 + 30) × 2 FLOPs × 3 = 972 (the four-view form would be 1332).
        Assert.Equal(972, StepFlops.Din(batch: 2, length: 3, dimPerField: 1, new DinConfig { AttentionHidden = [3, 2], MlpHidden = [3] }));
    }

    /// <summary>
    /// A space of 11 items and 4 categories, with or without side fields of every group: a sparse user field and a
    /// dense context field widen the prediction MLP by D + 1; the behaviour and candidate fields are added to the
    /// embeddings and must not change any count.
    /// </summary>
    private static (FeatureSpace Space, long ProfileWidth) Space(bool fields, long dim) => fields
        ? (new FeatureSpace(11, 4, new long[11], new long[4])
        {
            Fields =
            [
                new FieldSpec("segment", FieldGroup.User, FieldKind.Sparse, Rows: 5), new FieldSpec("price", FieldGroup.Context, FieldKind.Dense),
                new FieldSpec("action", FieldGroup.Behavior, FieldKind.Sparse, Rows: 4), new FieldSpec("brand", FieldGroup.Candidate, FieldKind.Sparse, Rows: 6),
            ],
        }, dim + 1)
        : (new FeatureSpace(11, 4, new long[11], new long[4]), 0);

    /// <summary>The count's multiply-adds per row are the weights of the Linear layers the zoo's model really has.</summary>
    [Theory]
    [InlineData("avgpool", false)]
    [InlineData("din", false)]
    [InlineData("din-dice-mba", false)]
    [InlineData("avgpool", true)]
    [InlineData("din", true)]
    [InlineData("din-dice-mba", true)]
    public void TheCountsMatchTheLinearLayersOfTheZoosModels(string name, bool fields)
    {
        const long batch = 5, length = 7, dim = 3;
        var (space, profileWidth) = Space(fields, dim);
        using var model = ModelZoo.Create(name, space, new ModelOptions { EmbeddingDim = (int)dim });
        var linears = model.named_modules().Where(m => m.module is Linear).Select(m => (m.name, Weights: ((Linear)m.module).weight!.numel())).ToList();
        Assert.NotEmpty(linears);
        long unit = linears.Where(l => l.name.StartsWith("attention")).Sum(l => l.Weights);         // 0 for avgpool
        // The unit's first layer (4E inputs) runs as half its width per position and a quarter per row (LocalActivationUnit).
        long first = linears.Where(l => l.name.StartsWith("attention")).Select(l => l.Weights).FirstOrDefault();
        long perPosition = unit - first / 2;
        long perRow = linears.Sum(l => l.Weights) - unit + first / 4;
        Assert.Equal(3.0 * 2 * (batch * length * perPosition + batch * perRow), StepFlops.ForModel(name, batch, length, dim, profileWidth));
    }

    [Fact]
    public void DienStepCountsBothGrusTheAuxiliaryPairsTheUnitAndThePredictionMlp()
    {
        // B = 2, T = 3, D = 1 (E = H = 2). Extractor: 3 gates × H × (E + H) = 24 multiply-adds at 6 steps = 144.
        // Auxiliary MLP [h; e] 4 → 3 → 1 on the 2 × 2 = 4 (t, t + 1) pairs: the state's H · 3 = 6 once per pair = 24, the
        // behaviour's E · 3 = 6 and 3 · 1 = 3 for the clicked and the negative one, 2 × 4 × 9 = 72; 96 in all.
        // Query projection E·H = 4 on 2 rows = 8; activation unit 2H·80 = 320 plus 80·40 + 40 = 3240 at 6 positions =
        // 21,360, plus H·80 = 160 on 2 rows = 320. AUGRU: 3 × H × (H + H) = 24 at 6 steps = 144. Prediction MLP
        // H + 3E = 8 → 3 → 1 = 27 on 2 rows = 54. (144 + 96 + 8 + 21,360 + 320 + 144 + 54) × 2 × 3 = 132,756.
        var config = new DienConfig { EmbeddingDim = 1, AuxiliaryHidden = [3], MlpHidden = [3] };
        Assert.Equal(132_756, StepFlops.Dien(batch: 2, length: 3, dimPerField: 1, config));
        Assert.Throws<ArgumentException>(() => StepFlops.Dien(2, 3, 1, config with { Evolution = InterestEvolutionKind.Gru }));
    }

    /// <summary>DIEN's count has a multiply-add per weight of its Linear layers and GRUs at each position or row that uses it.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheDienCountMatchesTheWeightsOfTheZoosDien(bool fields)
    {
        const long batch = 5, length = 7, dim = 3;
        var (space, profileWidth) = Space(fields, dim);
        using var model = ModelZoo.Create("dien", space, new ModelOptions { EmbeddingDim = (int)dim });
        var weights = model.named_parameters().Where(p => p.name.EndsWith("weight") && p.parameter.dim() == 2)
            .ToDictionary(p => p.name, p => p.parameter.numel());
        long Sum(string prefix) => weights.Where(w => w.Key.StartsWith(prefix)).Sum(w => w.Value);
        long unitFirst = weights["evolution.activationUnit.scorer.layers.fc0.weight"];                    // (80, 4H)
        long perStep = Sum("extractor.") + Sum("evolution.evolution.") + Sum("evolution.activationUnit.") - unitFirst / 2;
        long auxiliaryFirst = weights["auxiliary.scorer.layers.fc0.weight"];              // (100, H + E), H = E
        long perPair = 2 * Sum("auxiliary.") - auxiliaryFirst / 2;                         // the state's half once per pair
        long perRow = Sum("output.") + Sum("evolution.attentionWeight.") + unitFirst / 4;
        double expected = 3.0 * 2 * (batch * length * perStep + batch * (length - 1) * perPair + batch * perRow);
        Assert.Equal(expected, StepFlops.ForModel("dien", batch, length, dim, profileWidth));
    }

    [Fact]
    public void AttentionCountsTheFourProjectionsPerTokenAndTheTwoProductsPerPairOfTokens()
    {
        // 2 sequences of 3 tokens, E = 4: projections 4 · 16 = 64 and products 2 · 3 · 4 = 24 multiply-adds per token,
        // 6 tokens × 88 × 2 FLOPs = 1056.
        Assert.Equal(1056, StepFlops.SelfAttentionForward(sequences: 2, length: 3, dim: 4));
    }

    [Fact]
    public void BstStepCountsTheBlockAtEveryTokenIncludingTheCandidate()
    {
        // B = 1, T = 2 (3 tokens), D = 1 (E = 2), F = 3, one block: attention 3 × (16 + 12) = 84 multiply-adds, feed-forward
        // 3 × 2 · 2 · 3 = 36; MLP on 3E = 6 → 4 → 1 = 28. (84 + 36 + 28) × 2 × 3 = 888.
        Assert.Equal(888, StepFlops.Bst(batch: 1, length: 2, dimPerField: 1, new BstConfig { Heads = 1, FeedForwardDim = 3, Hidden = [4] }));
    }

    [Fact]
    public void DsinStepCountsEverySessionSlotWhateverTheHistory()
    {
        // B = 1, D = 1 (E = 2), K = 2, L = 3. Extractor at 6 slots: attention 16 + 12 = 28, feed-forward 2 · 8 = 32 → 360.
        // Bi-LSTM: 2 directions × 2 sessions × 4 · 2 · (2 + 2) = 128. Two units (hidden [3]) at 2 sessions: first layer
        // 2E · 3 = 12 per session, 24, plus E · 3 = 6 once per row, then 3 → 1 at 2 sessions = 6: 2 × 36 = 72.
        // MLP 6 → 4 → 1 = 28. (360 + 128 + 72 + 28) × 2 × 3 = 3528, for any history length.
        var config = new DsinConfig { Sessions = 2, SessionLength = 3, Heads = 1, AttentionHidden = [3], MlpHidden = [4] };
        Assert.Equal(3528, StepFlops.Dsin(batch: 1, dimPerField: 1, config));
    }

    /// <summary>
    /// The counts' multiply-adds are the weights of the products the zoo's BST and DSIN really have, placed where they
    /// run: per token (BST) or per session slot (DSIN's extractor), per session (LSTM, units) and per row (MLP).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheAttentionModelsCountsMatchTheirParameters(bool fields)
    {
        const long batch = 5, length = 7, dim = 4, e = 2 * dim;
        var (space, profileWidth) = Space(fields, dim);
        long Weights(CtrModel model, string prefix) =>
            model.named_parameters().Where(p => p.name.StartsWith(prefix) && p.parameter.dim() == 2).Sum(p => p.parameter.numel());

        using var bst = ModelZoo.Create("bst", space, new ModelOptions { EmbeddingDim = (int)dim });
        long tokens = length + 1;
        double bstForward = batch * tokens * (Weights(bst, "blocks.") + 2 * tokens * e) + batch * Weights(bst, "mlp.");
        Assert.Equal(3.0 * 2 * bstForward, StepFlops.ForModel("bst", batch, length, dim, profileWidth));

        using var dsin = ModelZoo.Create("dsin", space, new ModelOptions { EmbeddingDim = (int)dim });
        var config = new DsinConfig();
        long k = config.Sessions, l = config.SessionLength;
        long unitFirst = dsin.named_parameters().Single(p => p.name == "interestAttention.scorer.layers.fc0.weight").parameter.numel();
        double units = 2 * (batch * k * (Weights(dsin, "interestAttention.") - unitFirst / 2) + batch * unitFirst / 4);
        double dsinForward = batch * k * l * (Weights(dsin, "extractor.") + 2 * l * e) + batch * k * Weights(dsin, "interacting.") + units + batch * Weights(dsin, "mlp.");
        Assert.Equal(3.0 * 2 * dsinForward, StepFlops.ForModel("dsin", batch, 50, dim, profileWidth));
    }

    [Theory]
    [InlineData("dien-gru")]
    public void ModelsWithoutAnAnalyticCountHaveNone(string name) => Assert.Null(StepFlops.ForModel(name, 256, 50, 32));
}
