using DeepInterest.Data;
using DeepInterest.Layers;
using DeepInterest.Models;
using DeepInterest.Platform;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace DeepInterest.Tests;

public class DienTests
{
    private const int Categories = 5;

    // ---- model ---------------------------------------------------------------------------------------------------

    [Fact]
    public void ForwardGivesLogitsAttentionGatesAndAuxiliaryLoss()
    {
        var samples = new[] { Sample(1, [], 7), Sample(2, [3], 8), Sample(3, [4, 5, 6], 9), Sample(4, [2, 3, 4, 5, 6], 3) };
        var (model, vocab) = Build(samples, new DienConfig { EmbeddingDim = 4 });
        using var batch = Batch.Collate(samples, vocab, maxLength: 10);
        model.eval();
        model.CollectDiagnostics = true;
        var output = model.forward(batch);
        Assert.Equal([4L], output.Logits.shape);
        Assert.Null(output.AuxiliaryLoss);
        var attention = output.Diagnostics["attention"];
        Assert.Equal([4L, 5L], attention.shape);
        Assert.Equal([4L, 5L], output.Diagnostics["update_gate"].shape);
        // Per-step gates: strictly between 0 and 1 at real steps (the first row has no history)
        var real = attention.masked_select(batch.Mask);
        Assert.True(real.gt(0).all().item<bool>() && real.lt(1).all().item<bool>(), "attention gates must lie in (0, 1) at real steps");
        Assert.Equal(0f, attention.masked_select(batch.Mask.logical_not()).abs().sum().item<float>());
        Assert.Equal(0f, output.Diagnostics["update_gate"].masked_select(batch.Mask.logical_not()).abs().sum().item<float>());

        model.train();
        var trained = model.forward(batch);
        Assert.Empty(trained.AuxiliaryLoss!.shape);
        Assert.True(float.IsFinite(trained.AuxiliaryLoss.item<float>()) && trained.AuxiliaryLoss.item<float>() > 0);
    }

    [Theory]
    [InlineData(InterestEvolutionKind.Gru)]
    [InlineData(InterestEvolutionKind.Aigru)]
    [InlineData(InterestEvolutionKind.Agru)]
    [InlineData(InterestEvolutionKind.Augru)]
    public void ExtraLeftPaddingChangesNothing(InterestEvolutionKind kind)
    {
        var samples = new[] { Sample(1, [2, 3], 4), Sample(2, [5], 6), Sample(3, [2, 7, 8, 9], 5), Sample(4, [], 3) };
        var (model, vocab) = Build(samples, new DienConfig { EmbeddingDim = 4, Evolution = kind });
        model.eval();
        model.CollectDiagnostics = true;
        using var batch = Batch.Collate(samples, vocab, maxLength: 10);
        using var padded = TestBatches.PadLeft(batch, 3);
        var plain = model.forward(batch);
        var extra = model.forward(padded);
        AssertClose(plain.Logits, extra.Logits, 1e-5);
        AssertClose(plain.Diagnostics["update_gate"], extra.Diagnostics["update_gate"][.., 3..], 1e-5);
        AssertClose(plain.Diagnostics["contribution"], extra.Diagnostics["contribution"][.., 3..], 1e-5);
        if (kind != InterestEvolutionKind.Gru)
            AssertClose(plain.Diagnostics["attention"], extra.Diagnostics["attention"][.., 3..], 1e-5);
    }

    [Theory]
    [InlineData(InterestEvolutionKind.Gru)]
    [InlineData(InterestEvolutionKind.Aigru)]
    [InlineData(InterestEvolutionKind.Agru)]
    [InlineData(InterestEvolutionKind.Augru)]
    public void BatchOfDifferentLengthsEqualsEachSequenceAlone(InterestEvolutionKind kind)
    {
        var samples = new[] { Sample(1, [2, 3, 4, 5, 6, 7], 4), Sample(2, [5], 6), Sample(3, [8, 9, 2], 5), Sample(4, [], 3) };
        var (model, vocab) = Build(samples, new DienConfig { EmbeddingDim = 4, Evolution = kind });
        model.eval();
        using var batch = Batch.Collate(samples, vocab, maxLength: 10);
        var together = model.forward(batch).Logits.data<float>().ToArray();
        for (int i = 0; i < samples.Length; i++)
        {
            using var alone = Batch.Collate([samples[i]], vocab, maxLength: 10);
            Assert.Equal(together[i], model.forward(alone).Logits.item<float>(), 1e-5f);
        }
    }

    [Fact]
    public void PaddedHistoryAndNegativeIdsChangeNeitherLogitsNorAuxiliaryLoss()
    {
        var samples = new[] { Sample(1, [2, 3], 4), Sample(2, [5, 6, 7, 8, 9], 6), Sample(3, [7], 5) };
        var (model, vocab) = Build(samples, new DienConfig { EmbeddingDim = 4 });
        model.train();
        using var batch = Batch.Collate(samples, vocab, maxLength: 10);
        var padding = batch.Mask.logical_not();
        using var noisy = With(batch,
            items: batch.HistoryItems.masked_fill(padding, 3), categories: batch.HistoryCategories.masked_fill(padding, 2),
            negativeItems: batch.NegativeItems.masked_fill(padding, 4), negativeCategories: batch.NegativeCategories.masked_fill(padding, 3));
        var clean = model.forward(batch);
        var dirty = model.forward(noisy);
        AssertClose(clean.Logits, dirty.Logits, 1e-6);
        Assert.Equal(clean.AuxiliaryLoss!.item<float>(), dirty.AuxiliaryLoss!.item<float>(), 1e-6f);
    }

    [Fact]
    public void AuxiliaryLossIsZeroAndGradientsFiniteForHistoriesOfLengthZeroAndOne()
    {
        var samples = new[] { Sample(1, [], 4), Sample(2, [5], 6), Sample(3, [], 2) };
        var (model, vocab) = Build(samples, new DienConfig { EmbeddingDim = 4 });
        model.train();
        using var batch = Batch.Collate(samples, vocab, maxLength: 10);
        foreach (var b in new[] { batch, TestBatches.PadLeft(batch, 2) })
        {
            model.zero_grad();
            var output = model.forward(b);
            Assert.Equal(0f, output.AuxiliaryLoss!.item<float>());
            (output.Logits.sum() + output.AuxiliaryLoss).backward();
            Assert.All(model.parameters(), p => Assert.True(p.grad is null || p.grad.isfinite().all().item<bool>()));
            Assert.True(output.Logits.isfinite().all().item<bool>());
        }
    }

    [Fact]
    public void AuxiliaryLossAveragesOverValidPairsOnly()
    {
        random.manual_seed(3);
        var loss = new AuxiliaryLoss(hiddenSize: 3, embeddingSize: 4);
        var states = randn(3, 5, 3);
        var clicked = randn(3, 5, 4);
        var negatives = randn(3, 5, 4);
        var mask = tensor(new[] { false, false, false, false, false, false, false, false, false, true, false, true, true, true, true }, [3, 5]);
        var full = loss.forward(states, clicked, negatives, mask, mask).item<float>();
        var alone = loss.forward(states[2..], clicked[2..], negatives[2..], mask[2..], mask[2..]).item<float>();
        Assert.Equal(alone, full, 1e-6f); // the rows of length 0 and 1 add no pair and do not dilute the mean

        var padding = mask.logical_not().unsqueeze(-1);
        var before = loss.forward(states, clicked, negatives, mask, mask).item<float>();
        var after = loss.forward(states.masked_fill(padding, 9), clicked.masked_fill(padding, -9), negatives.masked_fill(padding, 7), mask, mask).item<float>();
        Assert.Equal(before, after, 1e-6f);
        Assert.True(float.IsFinite(before) && before > 0);
    }

    /// <summary>The split first layer against the readable form: the scorer on the concatenated [h_t; e] of each pair.</summary>
    [Theory]
    [InlineData(new long[] { 5, 3 })]
    [InlineData(new long[0])]
    public void AuxiliaryLossEqualsTheConcatenatedForm(long[] hidden)
    {
        random.manual_seed(4);
        using var loss = new AuxiliaryLoss(hiddenSize: 3, embeddingSize: 4, hidden);
        var scorer = (Mlp)loss.named_children().Single(c => c.name == "scorer").module;
        using var states = randn(3, 5, 3, requires_grad: true);
        using var clicked = randn(3, 5, 4, requires_grad: true);
        using var negatives = randn(3, 5, 4, requires_grad: true);
        using var mask = tensor(new[] { false, false, true, true, true, true, true, true, true, true, false, true, true, true, true }, [3, 5]);
        using var hasNegative = tensor(new[] { true, true, true, true, true, true, true, false, true, true, true, true, true, true, true }, [3, 5]);

        var actual = loss.forward(states, clicked, negatives, mask, hasNegative);
        var now = states[.., ..4];                                                           // (B, T−1, H) h_t
        var positive = scorer.forward(cat([now, clicked[.., 1..]], -1)).squeeze(-1);        // (B, T−1)
        var negative = scorer.forward(cat([now, negatives[.., 1..]], -1)).squeeze(-1);       // (B, T−1)
        var valid = (mask[.., ..4] & mask[.., 1..] & hasNegative[.., 1..]).to_type(ScalarType.Float32);
        var expected = -((nn.functional.logsigmoid(positive) + nn.functional.logsigmoid(-negative)) * valid).sum() / valid.sum();

        var inputs = new[] { states, clicked, negatives }.Concat(loss.parameters()).ToArray();
        var actualGrads = torch.autograd.grad([actual], inputs);
        var expectedGrads = torch.autograd.grad([expected], inputs);
        Assert.Equal(expected.item<float>(), actual.item<float>(), 1e-6f);
        for (int i = 0; i < inputs.Length; i++)
            Assert.True(actualGrads[i].allclose(expectedGrads[i], rtol: 1e-5, atol: 1e-6), $"gradient {i} differs");
    }

    // ---- layers ---------------------------------------------------------------------------------------------------

    /// <summary>
    /// The fused layer's hand-derived backward pass against autograd on <see cref="ReferenceGruCell"/>: outputs, final
    /// state and the gradients of a loss weighting both at random, w.r.t. the inputs, the attention scores and every
    /// weight, with rows of 0 (all padding), 1, some and all real steps, and T = 1. In float64, so that a wrong term
    /// shows far above rounding; float32 once more at the tolerance the models train with. Each row of
    /// <paramref name="rows"/> is its mask, 1 at real steps: left-padded rows in any length order and all-full batches
    /// take the packed path, masks with holes or right padding the unpacked one.
    /// </summary>
    [Theory]
    [InlineData(UpdateGateAttention.None, "000000 000001 000111 111111", ScalarType.Float64)]
    [InlineData(UpdateGateAttention.Scale, "000000 000001 000111 111111", ScalarType.Float64)]
    [InlineData(UpdateGateAttention.Replace, "000000 000001 000111 111111", ScalarType.Float64)]
    [InlineData(UpdateGateAttention.None, "0 1 0 1", ScalarType.Float64)]
    [InlineData(UpdateGateAttention.Scale, "0 1 0 1", ScalarType.Float64)]
    [InlineData(UpdateGateAttention.Replace, "0 1 0 1", ScalarType.Float64)]
    [InlineData(UpdateGateAttention.Scale, "000000 000001 000111 111111", ScalarType.Float32)]
    [InlineData(UpdateGateAttention.Scale, "000111 111111 000000 000001 011111 000111", ScalarType.Float64)] // unsorted lengths, ties
    [InlineData(UpdateGateAttention.Replace, "000011 111111 000001 001111", ScalarType.Float64)]
    [InlineData(UpdateGateAttention.None, "111111 111111 111111 111111", ScalarType.Float64)]             // every row full
    [InlineData(UpdateGateAttention.Scale, "111111 111111 111111 111111", ScalarType.Float64)]
    [InlineData(UpdateGateAttention.Scale, "010111 111111 000000 110000", ScalarType.Float64)]             // a hole, right padding
    [InlineData(UpdateGateAttention.None, "010111 111111 000000 110000", ScalarType.Float64)]
    public void FusedGruMatchesAutogradOnTheReferenceCellInValuesAndEveryGradient(UpdateGateAttention mode, string rows, ScalarType dtype) =>
        AssertFusedGruMatchesReference(mode, rows, dtype, hidden: 4);

    /// <summary>
    /// The same check for float32 on the CPU at hidden sizes that are whole vectors, where the element-wise work runs
    /// in <see cref="GruCpuKernels"/>' SIMD passes (every mode, packed and unpacked masks), and at sizes that are not,
    /// which take the operator form.
    /// </summary>
    [Theory]
    [InlineData(UpdateGateAttention.None, "000000 000001 000111 111111", 8)]
    [InlineData(UpdateGateAttention.Scale, "000000 000001 000111 111111", 16)]
    [InlineData(UpdateGateAttention.Replace, "000000 000001 000111 111111", 8)]
    [InlineData(UpdateGateAttention.Scale, "000111 111111 000000 000001 011111 000111", 24)]
    [InlineData(UpdateGateAttention.Scale, "010111 111111 000000 110000", 8)]
    [InlineData(UpdateGateAttention.None, "010111 111111 000000 110000", 16)]
    [InlineData(UpdateGateAttention.Replace, "0 1 0 1", 8)]
    [InlineData(UpdateGateAttention.Scale, "000000 000001 000111 111111", 12)]
    [InlineData(UpdateGateAttention.Replace, "000011 111111 000001 001111", 19)]
    public void FusedGruMatchesAutogradOnTheReferenceCellInFloat32(UpdateGateAttention mode, string rows, int hidden)
    {
        Assert.Equal(hidden % 8 == 0, GruCpuKernels.Supports(zeros(1), 24, hidden));       // the path this case takes (AVX2 here)
        Assert.False(GruCpuKernels.Supports(zeros(1), 1L << 26, 8));                          // a 6.4 GB buffer is not one span
        AssertFusedGruMatchesReference(mode, rows, ScalarType.Float32, hidden);
    }

    /// <summary>
    /// With two threads and enough rows, both step loops run in two parts of rows on libtorch's OpenMP team
    /// (<see cref="RowParts"/>): the same values and gradients as the reference cell, for random left-padded lengths
    /// (packed) and for a mask with holes (every row at every step).
    /// </summary>
    [Theory]
    [InlineData(UpdateGateAttention.None, true)]
    [InlineData(UpdateGateAttention.Scale, true)]
    [InlineData(UpdateGateAttention.Replace, true)]
    [InlineData(UpdateGateAttention.Scale, false)]
    public void FusedGruInPartsOfRowsMatchesAutogradOnTheReferenceCell(UpdateGateAttention mode, bool leftPadded)
    {
        var random = new Random(11);
        var rows = string.Join(' ', Enumerable.Range(0, 96).Select(_ => leftPadded
            ? new string('0', 7 - random.Next(0, 8)).PadRight(7, '1')                      // lengths 0..7, left padding
            : new string(Enumerable.Range(0, 7).Select(_ => random.Next(3) > 0 ? '1' : '0').ToArray())));
        using var threadCount = TestSetup.Threads(2);
        var mask = tensor(rows.Replace(" ", "").Select(c => c == '1').ToArray(), [96, 7]);
        Assert.True(OpenMpTeam.Available);
        Assert.Equal(2, RowParts.For(StepRows.Of(mask).Counts));                         // the path this test is about
        AssertFusedGruMatchesReference(mode, rows, ScalarType.Float32, hidden: 8);
    }

    /// <summary>Part bounds hold about equal shares of the packed rows, hand-computed: Σ_s min(n_s, J) against k·N/P.</summary>
    [Fact]
    public void RowPartsSplitThePackedRowsEvenly()
    {
        Assert.Equal([0L, 2, 4], StepRows.Split([1, 2, 4, 4], 2));   // N = 11: rows j < 2 hold 1 + 2 + 2 + 2 = 7, the rest 4
        Assert.Equal([0L, 2, 3, 4], StepRows.Split([4, 4, 4, 4], 3)); // 8 + 4 + 4 of 16
        Assert.Equal([0L, 1], StepRows.Split([0, 0, 1], 2));          // one row cannot be split
        Assert.Equal([0L, 0], StepRows.Split([0, 0], 2));             // nor none
        Assert.Equal([0L, 4], StepRows.Split([1, 2, 4, 4], 1));
    }

    private static void AssertFusedGruMatchesReference(UpdateGateAttention mode, string rows, ScalarType dtype, int hidden)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(7);
        var gru = new MaskedGru(5, hidden, mode);
        gru.to(dtype);
        var patterns = rows.Split(' ');
        int batch = patterns.Length, steps = patterns[0].Length;
        var mask = tensor(patterns.SelectMany(row => row.Select(c => c == '1')).ToArray(), [batch, steps]); // (B, T)
        var inputs = randn(batch, steps, 5, dtype: dtype);                                   // (B, T, 5)
        var attention = mode == UpdateGateAttention.None ? null : rand(batch, steps, dtype: dtype); // (B, T), nonzero at padding too
        var outputWeights = randn(batch, steps, hidden, dtype: dtype);                       // (B, T, H)
        var finalWeights = randn(batch, hidden, dtype: dtype);                               // (B, H)

        (Tensor Outputs, Tensor Final, Tensor[] Grads) Run(Func<Tensor, Tensor?, (Tensor, Tensor)> gruForward)
        {
            gru.zero_grad();
            var x = inputs.clone().requires_grad_();
            var a = attention?.clone().requires_grad_();
            var (outputs, final) = gruForward(x, a);
            ((outputs * outputWeights).sum() + (final * finalWeights).sum()).backward();
            var grads = new[] { x.grad! }.Concat(a is null ? [] : [a.grad!]).Concat(gru.parameters().Select(p => p.grad!.clone()));
            return (outputs, final, grads.ToArray());
        }
        var fused = Run((x, a) => { var r = gru.forward(x, mask, a); return (r.Outputs, r.Final); });
        var reference = Run((x, a) => ReferenceGruCell.Run(gru, x, mask, a));
        double tolerance = dtype == ScalarType.Float64 ? 1e-10 : 1e-5;
        AssertClose(reference.Outputs, fused.Outputs, tolerance);
        AssertClose(reference.Final, fused.Final, tolerance);
        Assert.Equal(mode == UpdateGateAttention.None ? 4 : 5, fused.Grads.Length);          // inputs, [attention,] W, b, U
        foreach (var (expected, actual, index) in reference.Grads.Zip(fused.Grads, Enumerable.Range(0, fused.Grads.Length)))
        {
            bool fromZeroState = steps == 1 && index == fused.Grads.Length - 1;              // ∂L/∂U = 0 when h_{t−1} is h_{−1} = 0
            Assert.True(fromZeroState || expected.abs().max().to_type(ScalarType.Float64).item<double>() > 1e-3, $"gradient {index} is all zero: it checks nothing");
            AssertClose(expected, actual, tolerance);
        }
    }

    /// <summary>
    /// A left-padding mask is packed to its real positions, step by step, longest rows first; a mask with a hole or with
    /// right padding is not, so the fused layer runs every position for it.
    /// </summary>
    [Fact]
    public void OnlyALeftPaddingMaskIsPackedToItsRealPositions()
    {
        using var scope = NewDisposeScope();
        static StepRows Layout(params string[] rows) =>
            StepRows.Of(tensor(rows.SelectMany(row => row.Select(c => c == '1')).ToArray(), [rows.Length, rows[0].Length]));
        var packed = Layout("0011", "0000", "1111", "0001");                              // lengths 2, 0, 4, 1
        Assert.Equal([1L, 1, 2, 3], packed.Counts);                                        // rows whose history has started
        Assert.Equal([0L, 1, 2, 4], packed.Offsets);
        Assert.Equal(7, packed.Total);
        Assert.Equal([2L * 4 + 0, 2 * 4 + 1, 2 * 4 + 2, 0 * 4 + 2, 2 * 4 + 3, 0 * 4 + 3, 3 * 4 + 3], packed.Positions.data<long>().ToArray());
        Assert.Equal([2L, 0, 3], packed.FinalRows.data<long>().ToArray());
        Assert.Null(packed.Keep);
        foreach (var unpacked in new[] { Layout("0101", "1111"), Layout("1100", "1111") })
        {
            Assert.Equal([2L, 2, 2, 2], unpacked.Counts);
            Assert.NotNull(unpacked.Keep);
        }
    }

    /// <summary>The fused layer runs its step loops on one thread and gives the caller's thread count back afterwards.</summary>
    [Fact]
    public void TheFusedLayerRestoresTheThreadCount()
    {
        using var scope = NewDisposeScope();
        using var threadCount = TestSetup.Threads(2);
        var gru = new MaskedGru(3, 2, UpdateGateAttention.Scale);
        var mask = tensor(new[] { false, true, true, true, true, true, true, true }, [2, 4]); // (2, 4) lengths 3 and 4
        var result = gru.forward(randn(2, 4, 3).requires_grad_(), mask, rand(2, 4));
        Assert.Equal(2, get_num_threads());
        (result.Outputs.sum() + result.Final.sum()).backward();
        Assert.Equal(2, get_num_threads());
    }

    /// <summary>Attention scores of another dtype than the inputs are refused up front (the CPU kernels read both as float32).</summary>
    [Fact]
    public void AttentionScoresOfAnotherDtypeAreRefused()
    {
        using var scope = NewDisposeScope();
        var gru = new MaskedGru(3, 8, UpdateGateAttention.Scale);
        var error = Assert.Throws<ArgumentException>(() => gru.forward(randn(2, 4, 3), ones(2, 4, dtype: ScalarType.Bool), rand(2, 4, dtype: ScalarType.Float64)));
        Assert.Contains("Float64", error.Message);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(8)] // whole vectors: the CPU kernels' path, with no rows at all
    public void ABatchOfEmptyHistoriesGivesZeroStatesAndZeroGradients(int hidden)
    {
        using var scope = NewDisposeScope();
        var gru = new MaskedGru(3, hidden, UpdateGateAttention.Scale);
        var inputs = randn(3, 4, 3).requires_grad_();                                      // (3, 4, 3)
        var attention = rand(3, 4).requires_grad_();                                       // (3, 4)
        var result = gru.forward(inputs, zeros(3, 4, dtype: ScalarType.Bool), attention);
        (result.Outputs.sum() + result.Final.sum()).backward();
        Assert.Equal(0f, result.Outputs.abs().sum().item<float>());
        Assert.Equal(0f, result.Final.abs().sum().item<float>());
        Assert.Equal(0f, inputs.grad!.abs().sum().item<float>());
        Assert.Equal(0f, attention.grad!.abs().sum().item<float>());
        Assert.All(gru.parameters(), p => Assert.Equal(0f, p.grad!.abs().sum().item<float>()));
    }

    [Fact]
    public void AuthorsSoftmaxAttentionScoresAPReLUOfTheProjectedCandidate()
    {
        // din_fcn_attention: q = PReLU(W e_c + b), slopes starting at 0.1, then the activation unit with a softmax.
        torch.manual_seed(4);
        const int H = 3;
        var layer = new InterestEvolution(H, 2, InterestEvolutionKind.Augru, EvolutionAttention.ActivationUnitSoftmax);
        var parameters = layer.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Equal([0.1f, 0.1f, 0.1f], parameters["queryActivation.weight"].data<float>().ToArray(), new FloatTolerance(1e-7f));
        using (no_grad())
        {
            parameters["attentionWeight.weight"].copy_(tensor(new[] { 1f, 0, 0, 1, -1, -1 }, [H, 2]));
            parameters["attentionWeight.bias"].copy_(tensor(new[] { 0f, 0, 0.5f }));
        }
        using var states = randn(1, 4, H);
        using var mask = tensor(new[] { false, true, true, true }, [1, 4]);
        using var candidate = tensor(new[] { -2f, 1 }, [1, 2]);
        float[] z = [-2, 1, 1.5f];                                                          // W e_c + b
        using var query = tensor(z.Select(v => v > 0 ? v : 0.1f * v).ToArray(), [1, H]);   // PReLU by hand
        var unit = (LocalActivationUnit)layer.named_children().Single(c => c.name == "activationUnit").module;
        var expected = unit.forward(states, query, mask).Weights;                          // (1, 4)
        var attention = layer.forward(states, candidate, mask).Attention!;
        Assert.True(attention.allclose(expected, rtol: 1e-5, atol: 1e-7));
        Assert.False(attention.allclose(unit.forward(states, tensor(z, [1, H]), mask).Weights, rtol: 1e-3, atol: 1e-5));
        // The other variants keep W e_c (+ b) as it is.
        foreach (var other in new[] { EvolutionAttention.ActivationUnitGate, EvolutionAttention.Bilinear })
            Assert.DoesNotContain(new InterestEvolution(H, 2, InterestEvolutionKind.Augru, other).named_parameters(), p => p.name.StartsWith("queryActivation"));
    }

    [Theory]
    [InlineData(InterestEvolutionKind.Gru)]
    [InlineData(InterestEvolutionKind.Aigru)]
    [InlineData(InterestEvolutionKind.Agru)]
    [InlineData(InterestEvolutionKind.Augru)]
    public void InterestEvolutionMatchesHandComputedSteps(InterestEvolutionKind kind)
    {
        const int H = 2;
        double[,] attentionW = { { 0.5, -0.3 }, { 0.2, 0.4 } };                         // (H, E)
        double[] candidate = [1.0, -0.5];                                               // e_c
        double[][] states = [[9, 9], [0.3, -0.2], [-0.1, 0.4]];                          // step 0 is padding
        bool agru = kind == InterestEvolutionKind.Agru;
        int gates = agru ? 2 : 3;
        double[,] wi = Grid(gates * H, H, (r, c) => 0.1 * (r + 1) - 0.2 * c);          // rows [r; u; n]
        double[] bi = Enumerable.Range(0, gates * H).Select(r => 0.05 * r - 0.1).ToArray();
        double[,] wh = Grid(gates * H, H, (r, c) => 0.3 - 0.1 * r + 0.15 * c);

        var layer = new InterestEvolution(H, 2, kind, EvolutionAttention.Bilinear);
        var parameters = layer.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (no_grad())
        {
            if (kind != InterestEvolutionKind.Gru) parameters["attentionWeight.weight"].copy_(ToTensor(attentionW));
            parameters["evolution.input.weight"].copy_(ToTensor(wi));
            parameters["evolution.input.bias"].copy_(tensor(bi.Select(v => (float)v).ToArray()));
            parameters["evolution.recurrent.weight"].copy_(ToTensor(wh));
        }
        var input = tensor(states.SelectMany(s => s).Select(v => (float)v).ToArray(), [1, 3, H]);
        var result = layer.forward(input, tensor(candidate.Select(v => (float)v).ToArray(), [1, 2]), tensor(new[] { false, true, true }, [1, 3]));

        // a_t = softmax over the two real steps of h_t · (W e_c)
        double[] we = [Dot(Row(attentionW, 0), candidate), Dot(Row(attentionW, 1), candidate)];
        double s1 = Dot(states[1], we), s2 = Dot(states[2], we);
        double[] a = kind == InterestEvolutionKind.Gru ? [1, 1] : [Math.Exp(s1) / (Math.Exp(s1) + Math.Exp(s2)), Math.Exp(s2) / (Math.Exp(s1) + Math.Exp(s2))];
        double[] h = [0, 0];
        for (int step = 0; step < 2; step++)
        {
            double[] x = kind == InterestEvolutionKind.Aigru ? states[step + 1].Select(v => a[step] * v).ToArray() : states[step + 1];
            var next = new double[H];
            for (int j = 0; j < H; j++)
            {
                double Pre(int gate, bool withState) => Dot(Row(wi, gate * H + j), x) + bi[gate * H + j] + (withState ? Dot(Row(wh, gate * H + j), h) : 0);
                double reset = Sigmoid(Pre(0, true));
                double cand = Math.Tanh(Pre(gates - 1, false) + reset * Dot(Row(wh, (gates - 1) * H + j), h));
                double update = kind switch
                {
                    InterestEvolutionKind.Agru => a[step],
                    InterestEvolutionKind.Augru => a[step] * Sigmoid(Pre(1, true)),
                    _ => Sigmoid(Pre(1, true)),
                };
                next[j] = (1 - update) * h[j] + update * cand;
            }
            h = next;
        }
        Assert.Equal(h.Select(v => (float)v), result.Final.data<float>().ToArray(), new FloatTolerance(1e-6f));
        if (kind != InterestEvolutionKind.Gru)
            Assert.Equal([0f, (float)a[0], (float)a[1]], result.Attention!.data<float>().ToArray(), new FloatTolerance(1e-6f));
    }

    [Fact]
    public void ContributionsOfAnAgruAreTheAttentionTimesWhatLaterStepsKeep()
    {
        // AGRU's update gate is the scalar a_t, so c_t = a_t · Π_{k>t} (1 − a_k) whatever the weights.
        manual_seed(5);
        var gru = new MaskedGru(3, 4, UpdateGateAttention.Replace) { RecordUpdateGates = true };
        var mask = tensor(new[] { true, true, true, false, true, true }, [2, 3]);   // row 1 left-padded by one
        var attention = tensor(new[] { 0.5f, 0.2f, 0.25f, 0.9f, 0.5f, 1f }, [2, 3]);
        var result = gru.forward(randn(2, 3, 3), mask, attention);
        var expected = tensor(new[] { 0.5f * 0.8f * 0.75f, 0.2f * 0.75f, 0.25f, 0f, 0.5f * 0f, 1f }, [2, 3]);
        AssertClose(expected, result.Contributions!, 1e-6);
    }

    [Fact]
    public void ContributionsRebuildTheFinalStateOfAOneUnitGru()
    {
        // With one unit, h_T = Σ_t c_t h̃_t exactly; h̃_t is recovered from consecutive states: h̃_t = (h_t − (1 − ũ_t) h_{t−1}) / ũ_t.
        manual_seed(6);
        var gru = new MaskedGru(2, 1, UpdateGateAttention.Scale) { RecordUpdateGates = true };
        var result = gru.forward(randn(1, 4, 2), ones(1, 4).gt(0), tensor(new[] { 0.9f, 0.6f, 0.3f, 0.7f }, [1, 4]));
        var states = result.Outputs[0, .., 0];                                          // (T)
        var updates = result.UpdateGates![0];                                           // (T), one unit: the gate itself
        var previous = cat([zeros(1), states[..^1]]);                                   // (T) h_{t−1}
        var candidates = (states - (1 - updates) * previous) / updates;                 // (T) h̃_t
        var rebuilt = (result.Contributions![0] * candidates).sum();
        Assert.Equal(result.Final[0, 0].item<float>(), rebuilt.item<float>(), 5);
    }

    [Fact]
    public void AugruBenchmarkRunsBothImplementationsAndRejectsEmptySizes()
    {
        var timing = DeepInterest.Benchmarks.AugruBenchmark.Measure(batch: 4, length: 3, embedding: 2, hidden: 2, steps: 2);
        Assert.True(timing.FusedMs > 0 && timing.ReferenceMs > 0 && double.IsFinite(timing.Speedup));
        Assert.True(timing.FusedCpuMs >= 0 && timing.ReferenceCpuMs > 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => DeepInterest.Benchmarks.AugruBenchmark.Measure(length: 0));
    }

    // ---- learning -------------------------------------------------------------------------------------------------

    [Fact]
    public void SmokeTrainingLearnsWhetherTheCandidateCategoryWasBrowsed()
    {
        var rng = new Random(11);
        CtrSample Draw(int user)
        {
            var history = Enumerable.Range(0, rng.Next(1, 5)).Select(_ => (long)rng.Next(2, 12)).ToArray();
            var browsed = history.Select(i => i % Categories).ToHashSet();
            bool positive = rng.Next(2) == 0;
            var pool = Enumerable.Range(2, 10).Where(i => browsed.Contains(i % Categories) == positive).ToArray();
            long item = pool.Length > 0 ? pool[rng.Next(pool.Length)] : history[0];
            return Sample(user, history, item, label: browsed.Contains(item % Categories) ? 1f : 0f, rng);
        }
        var train = Enumerable.Range(0, 384).Select(Draw).ToArray();
        var test = Enumerable.Range(0, 200).Select(Draw).ToArray();
        random.manual_seed(5);
        var (model, vocab) = Build(train, new DienConfig { EmbeddingDim = 8, MlpHidden = [32, 16], AuxiliaryHidden = [16], Activation = Activation.PReLU });
        var optimizer = optim.Adam(model.parameters(), lr: 2e-2);
        for (int epoch = 0; epoch < 5; epoch++)
        {
            model.train();
            foreach (var chunk in train.Chunk(32))
            {
                using var scope = NewDisposeScope();
                using var batch = Batch.Collate(chunk, vocab, maxLength: 10);
                var output = model.forward(batch);
                var loss = nn.functional.binary_cross_entropy_with_logits(output.Logits, batch.Labels) + output.AuxiliaryLoss!;
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }
        }
        model.eval();
        using var testBatch = Batch.Collate(test, vocab, maxLength: 10);
        var scores = model.forward(testBatch).Logits.data<float>().ToArray();
        double auc = TestAuc.Of(scores, test.Select(s => s.Label).ToArray());
        Assert.True(auc > 0.8, $"AUC {auc:F3} should clearly beat 0.5 on a learnable toy task");
    }

    [Fact]
    public void ParameterCountAtEmbedding32IsThePaperSizedNetwork()
    {
        var samples = new[] { Sample(1, [2, 3], 4) };
        var (model, vocab) = Build(samples, new DienConfig());
        long embeddings = 32 * (vocab.Items.Size + vocab.Categories.Size);
        long gru = 2 * (64 * 192 + 192 + 64 * 192);                                       // extractor + AUGRU, E = H = 64
        long attention = 64 * 64 + 64 + 256 * 80 + 80 + 80 * 40 + 40 + 40 + 1;              // query projection + activation unit 80-40
        long auxiliary = 128 * 100 + 100 + 100 * 50 + 50 + 50 + 1;
        long mlp = 256 * 200 + 200 + 200 + 200 * 80 + 80 + 80 + 80 + 1;                  // [h'_T; e_c; mean; e_c ⊙ mean], Dice: α per unit
        Assert.Equal(embeddings + gru + attention + auxiliary + mlp, model.ParameterCount());
    }

    // ---- helpers --------------------------------------------------------------------------------------------------

    private static CtrSample Sample(long user, long[] history, long item, float label = 1f, Random? rng = null)
    {
        rng ??= new Random((int)user);
        var negatives = history.Select(_ => (long)rng.Next(2, 40)).ToArray();
        return new CtrSample
        {
            User = user, HistoryItems = history, HistoryCategories = history.Select(i => 100 + i % Categories).ToArray(),
            HistoryTimes = history.Select((_, k) => 1000L + k).ToArray(), Item = item, Category = 100 + item % Categories,
            Time = 2000, Label = label, NegativeItems = negatives, NegativeCategories = negatives.Select(i => 100 + i % Categories).ToArray(),
        };
    }

    private static (Dien Model, FeatureVocabulary Vocab) Build(IReadOnlyList<CtrSample> samples, DienConfig config)
    {
        // every id the tests use is in the vocabulary, so padding stays the only zero row
        var all = samples.Append(Sample(0, Enumerable.Range(2, 38).Select(i => (long)i).ToArray(), 2)).ToList();
        var vocab = FeatureVocabulary.Build(all);
        random.manual_seed(1);
        return (new Dien(FeatureSpace.From(vocab), config), vocab);
    }

    private static Batch With(Batch b, Tensor items, Tensor categories, Tensor negativeItems, Tensor negativeCategories) => new()
    {
        HistoryItems = items, HistoryCategories = categories, HistoryTimes = b.HistoryTimes.clone(), Mask = b.Mask.clone(),
        Lengths = b.Lengths.clone(), NegativeItems = negativeItems, NegativeCategories = negativeCategories, Items = b.Items.clone(),
        Categories = b.Categories.clone(), Times = b.Times.clone(), Labels = b.Labels.clone(), Users = b.Users,
    };

    /// <summary>Largest difference within <paramref name="tolerance"/>, relative to the largest expected value above 1 (float sums of many terms).</summary>
    private static void AssertClose(Tensor expected, Tensor actual, double tolerance)
    {
        Assert.Equal(expected.shape, actual.shape);
        double gap = (expected - actual).abs().max().to_type(ScalarType.Float64).item<double>();
        double scale = Math.Max(1, expected.abs().max().to_type(ScalarType.Float64).item<double>());
        Assert.True(gap <= tolerance * scale, $"max |difference| {gap:E2} exceeds {tolerance:E0} × {scale:G3}");
    }

    private static double[,] Grid(int rows, int cols, Func<int, int, double> value)
    {
        var g = new double[rows, cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) g[r, c] = value(r, c);
        return g;
    }

    private static Tensor ToTensor(double[,] g) => tensor(g.Cast<double>().Select(v => (float)v).ToArray(), [g.GetLength(0), g.GetLength(1)]);
    private static double[] Row(double[,] g, int r) => Enumerable.Range(0, g.GetLength(1)).Select(c => g[r, c]).ToArray();
    private static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();
    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(float obj) => 0;
    }
}
