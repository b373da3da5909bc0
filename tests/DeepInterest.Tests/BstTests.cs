using DeepInterest.Data;
using DeepInterest.Layers;
using DeepInterest.Models;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DeepInterest.Tests;

[Collection(nameof(GlobalRandomStream))]
public class BstTests(ITestOutputHelper output)
{
    private const long Day = 86400;
    private static readonly ModelOptions Small = new() { EmbeddingDim = 8 };                 // E = 16
    private static readonly BstConfig SmallConfig = new() { Heads = 4, FeedForwardDim = 32, Hidden = [32, 16] };

    [Fact]
    public void ShapesOfLogitsAndDiagnostics()
    {
        var (samples, vocab) = Samples(lengths: [0, 3, 5]);
        using var batch = Batch.Collate(samples, vocab, maxLength: 50);
        var model = NewModel(vocab, SmallConfig);
        var result = model.forward(batch);
        Assert.Equal([3L], result.Logits.shape);
        Assert.Equal([3L, 6, 6], result.Diagnostics["attention"].shape);
        Assert.Equal([3L, 5], result.Diagnostics["candidate_attention"].shape);
    }

    [Fact]
    public void AttentionIgnoresPaddedKeysAndCandidateRowSumsToOne()
    {
        var (samples, vocab) = Samples(lengths: [1, 4, 6]);
        using var batch = Batch.Collate(samples, vocab, maxLength: 50);
        var model = NewModel(vocab, SmallConfig);
        var attention = model.forward(batch).Diagnostics["attention"];                       // (B, 7, 7)
        var realKeys = cat([batch.Mask, ones(3, 1, dtype: ScalarType.Bool)], 1);             // (B, 7)
        var onPadding = attention.masked_select(realKeys.logical_not().unsqueeze(1).expand(3, 7, 7));
        Assert.True(onPadding.numel() > 0);
        Assert.Equal(0f, onPadding.abs().max().item<float>());                               // exactly 0
        var candidateRow = attention[.., -1, ..];                                            // (B, 7) includes itself
        var sums = (candidateRow * realKeys.to_type(ScalarType.Float32)).sum(1);
        Assert.True(sums.sub(1).abs().max().item<float>() < 1e-5, $"candidate attention sums {sums.str()}");
    }

    [Fact]
    public void TransformerBlockZeroesPaddedRowsEvenForAnAllPaddingSequence()
    {
        torch.manual_seed(3);
        using var block = new TransformerBlock(dim: 8, heads: 2, feedForwardDim: 16);
        var tokens = randn(2, 3, 8).requires_grad_();
        var mask = tensor(new[] { false, true, true, false, false, false }, [2L, 3]);
        var (result, attention) = block.forward(tokens, mask);                               // (2, 3, 8), (2, 3, 3)
        Assert.Equal(0f, result[0, 0].abs().max().item<float>());
        Assert.Equal(0f, result[1].abs().max().item<float>());
        Assert.Equal(0f, attention[1].abs().max().item<float>());
        Assert.True(result[0, 1..].abs().sum().item<float>() > 0);
        result.sum().backward();
        Assert.True(tokens.grad!.isfinite().all().item<bool>());
        Assert.All(block.parameters(), p => Assert.True(p.grad!.isfinite().all().item<bool>()));
    }

    /// <summary>
    /// Heads of d = 4 take libtorch's fused kernel (or, training with dropout on the CPU, the explicit form with
    /// <see cref="ParallelDropout"/>), heads of d = 8 the kit's own (<see cref="SelfAttentionFunction"/>, whose dropout
    /// draws differ from the explicit form's: its own tests hold it to the textbook form under the same mask).
    /// </summary>
    [Theory]
    [InlineData(false, 0.1, 8)]
    [InlineData(true, 0.0, 8)]
    [InlineData(true, 0.1, 8)]
    [InlineData(false, 0.1, 16)]
    [InlineData(true, 0.0, 16)]
    public void FusedAttentionMatchesTheExplicitFormInOutputsAndGradients(bool training, double dropout, long dim)
    {
        // Rows: left padding, all padding, all real. One block, its attention switched between the two forms.
        torch.manual_seed(5);
        using var block = new TransformerBlock(dim, heads: 2, feedForwardDim: 16, dropout);
        block.train(training);
        var tokens = randn(3, 4, dim);
        var mask = tensor(new[] { false, true, true, true, false, false, false, false, true, true, true, true }, [3L, 4]);
        var upstream = randn(3, 4, dim);                                                     // (B, L, E) dL/doutput
        (Tensor Output, Tensor Input, Tensor[] Parameters) Run(bool explicitAttention)
        {
            block.ExplicitAttention = explicitAttention;
            block.zero_grad();
            var input = tokens.clone().requires_grad_();
            torch.manual_seed(9);                                                            // same dropout draws
            var (result, attention) = block.forward(input, mask);
            Assert.Equal(explicitAttention, attention is not null);
            (result * upstream).sum().backward();
            return (result.detach(), input.grad!, block.parameters().Select(p => p.grad!.clone()).ToArray());
        }
        var reference = Run(explicitAttention: true);
        var fused = Run(explicitAttention: false);
        Assert.True(fused.Output.isfinite().all().item<bool>());
        Assert.Equal(0f, fused.Output[1].abs().max().item<float>());                        // all-padding row
        Assert.True(fused.Output.allclose(reference.Output, rtol: 0, atol: 1e-5), $"outputs differ by {(fused.Output - reference.Output).abs().max().item<float>()}");
        Assert.True(fused.Input.allclose(reference.Input, rtol: 0, atol: 1e-5), $"input gradients differ by {(fused.Input - reference.Input).abs().max().item<float>()}");
        Assert.True(fused.Input.isfinite().all().item<bool>());
        foreach (var (f, r) in fused.Parameters.Zip(reference.Parameters))
            Assert.True(f.allclose(r, rtol: 0, atol: 1e-5), $"parameter gradients differ by {(f - r).abs().max().item<float>()}");
    }

    /// <summary>
    /// On the CPU a batch with padding runs the position-wise layers on its real tokens only; a sequence alone, without
    /// padding, runs every token in place. Each sequence's real outputs and every parameter gradient (summed over the
    /// sequences) must be the same both ways. Rows: one padded token, a hole, all real, all padding.
    /// </summary>
    [Theory]
    [InlineData(8, true)]
    [InlineData(8, false)]
    [InlineData(16, false)]
    public void PaddedBatchesGiveEachSequenceItsOutputsAlone(long dim, bool explicitAttention)
    {
        torch.manual_seed(6);
        using var block = new TransformerBlock(dim, heads: 2, feedForwardDim: 16, dropout: 0) { ExplicitAttention = explicitAttention };
        block.train();
        var tokens = randn(4, 4, dim);
        var mask = tensor(new[] { false, true, true, true, true, false, true, true, true, true, true, true, false, false, false, false }, [4L, 4]);
        var upstream = randn(4, 4, dim);                                                     // (B, L, E) dL/doutput
        var (result, _) = block.forward(tokens, mask);
        (result * upstream).sum().backward();
        var batchGrads = block.parameters().Select(p => p.grad!.clone()).ToArray();
        Assert.Equal(0f, result.masked_select(mask.logical_not().unsqueeze(-1)).abs().max().item<float>()); // padded rows 0

        block.zero_grad();
        for (int row = 0; row < 3; row++)
        {
            var real = mask[row].nonzero().squeeze(1);                                       // (n)
            var alone = tokens[row].index_select(0, real).unsqueeze(0);                      // (1, n, E)
            var (aloneResult, _) = block.forward(alone, ones(1, real.shape[0], dtype: ScalarType.Bool));
            (aloneResult * upstream[row].index_select(0, real).unsqueeze(0)).sum().backward(); // gradients add up over the rows
            var inBatch = result[row].index_select(0, real);                                 // (n, E)
            Assert.True(aloneResult[0].allclose(inBatch, rtol: 0, atol: 1e-5), $"row {row} differs by {(aloneResult[0] - inBatch).abs().max().item<float>()}");
        }
        foreach (var (batchGrad, rowsGrad) in batchGrads.Zip(block.parameters().Select(p => p.grad!)))
            Assert.True(batchGrad.allclose(rowsGrad, rtol: 0, atol: 1e-5), $"parameter gradients differ by {(batchGrad - rowsGrad).abs().max().item<float>()}");
    }

    [Fact]
    public void BstWithoutDiagnosticsGivesTheSameLogitsAsWithThem()
    {
        var (samples, vocab) = Samples(lengths: [0, 2, 5]);
        using var batch = Batch.Collate(samples, vocab, maxLength: 50);
        var model = NewModel(vocab, SmallConfig with { Blocks = 2 });
        var inspected = model.forward(batch);
        model.CollectDiagnostics = false;
        var plain = model.forward(batch);
        Assert.Empty(plain.Diagnostics);
        Assert.True(plain.Logits.allclose(inspected.Logits, rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void TimeGapsFallIntoDocumentedBuckets()
    {
        using var encoding = new PositionEncoding(PositionKind.TimeGap, dim: 4);
        long[] gaps = [-5, 0, 1, 59, 60, 299, 300, 899, 900, 3599, 3600, 6 * 3600 - 1, 6 * 3600, Day - 1, Day, 3 * Day, 7 * Day - 1, 7 * Day, 30 * Day - 1, 30 * Day, 1_000_000_000];
        long[] expected = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 6, 7, 7, 8, 9, 9, 10, 10, 11, 11];
        var buckets = encoding.GapBuckets(tensor(gaps)).data<long>().ToArray();
        Assert.Equal(expected, buckets);
    }

    [Theory]
    [InlineData(PositionKind.TimeGap)]
    [InlineData(PositionKind.Index)]
    public void ExtraLeftPaddingChangesNoOutput(PositionKind position)
    {
        var (samples, vocab) = Samples(lengths: [0, 2, 3, 9]);
        var model = NewModel(vocab, SmallConfig with { Position = position, MaxIndexPosition = 4, Blocks = 2 });
        using var alone = Batch.Collate(samples.Take(3).ToList(), vocab, maxLength: 50);   // T = 3
        using var padded = Batch.Collate(samples, vocab, maxLength: 50);                   // T = 9
        var a = model.forward(alone);
        var p = model.forward(padded);
        AssertClose(a.Logits, p.Logits[..3]);
        AssertClose(a.Diagnostics["candidate_attention"], p.Diagnostics["candidate_attention"][..3, 6..]);
        Assert.Equal(0f, p.Diagnostics["candidate_attention"][..3, ..6].abs().max().item<float>());
    }

    [Fact]
    public void EmptyHistoriesGiveFiniteOutputsAndGradients()
    {
        var (samples, vocab) = Samples(lengths: [0, 0]);
        using var batch = Batch.Collate(samples, vocab, maxLength: 50);
        var model = NewModel(vocab, SmallConfig);
        model.train();
        var logits = model.forward(batch).Logits;
        Assert.True(logits.isfinite().all().item<bool>());
        nn.functional.binary_cross_entropy_with_logits(logits, batch.Labels).backward();
        Assert.All(model.parameters(), p => Assert.True(p.grad is null || p.grad.isfinite().all().item<bool>()));
    }

    [Fact]
    public void IndexPositionsCountBackFromTheCandidate()
    {
        using var encoding = new PositionEncoding(PositionKind.Index, dim: 4, maxIndex: 2);
        var times = zeros(1, 4, dtype: ScalarType.Int64);
        var embedded = encoding.forward(times, zeros(1, dtype: ScalarType.Int64));           // (1, 5, 4) ranks 2 2 2 1 0
        var table = encoding.parameters().Single();                                          // (3, 4)
        AssertClose(table[TensorIndex.Tensor(tensor(new long[] { 2, 2, 2, 1, 0 }))].unsqueeze(0), embedded);
    }

    [Theory]
    [InlineData(PositionKind.TimeGap, true)]
    [InlineData(PositionKind.Index, false)]
    public void OnlyTimeGapPositionsSeeHowLongAgoBehavioursHappened(PositionKind position, bool expectChange)
    {
        var (samples, vocab) = Samples(lengths: [3, 4]);
        var older = samples.Select(s => s with { HistoryTimes = s.HistoryTimes.Select(x => x - 40 * Day).ToArray() }).ToList();
        var model = NewModel(vocab, SmallConfig with { Position = position });
        using var recent = Batch.Collate(samples, vocab, maxLength: 50);
        using var shifted = Batch.Collate(older, vocab, maxLength: 50);
        var change = (model.forward(recent).Logits - model.forward(shifted).Logits).abs().max().item<float>();
        Assert.Equal(expectChange, change > 1e-4);
    }

    /// <summary>Step-index times put every gap in one bucket: BST then uses index positions, exactly as if configured so.</summary>
    [Fact]
    public void WithStepIndexTimesTimeGapPositionsFallBackToIndexPositions()
    {
        var (samples, vocab) = Samples(lengths: [3, 5]);
        torch.manual_seed(1);
        using var fallback = new Bst(FeatureSpace.From(vocab) with { Times = TimeKind.Index }, Small, SmallConfig with { Position = PositionKind.TimeGap });
        torch.manual_seed(1);
        using var index = new Bst(FeatureSpace.From(vocab), Small, SmallConfig with { Position = PositionKind.Index });
        Assert.Equal(PositionKind.Index, fallback.Position);
        Assert.Equal(PositionKind.TimeGap, NewModel(vocab, SmallConfig with { Position = PositionKind.TimeGap }).Position);
        fallback.eval();
        index.eval();
        using var batch = Batch.Collate(samples, vocab, maxLength: 50);
        using var _ = no_grad();
        Assert.True(fallback.forward(batch).Logits.allclose(index.forward(batch).Logits));
    }

    [Fact]
    public void HeadsThatDoNotDivideTheWidthAreRejected()
    {
        var (_, vocab) = Samples(lengths: [1]);
        var error = Assert.Throws<ArgumentException>(() => NewModel(vocab, SmallConfig with { Heads = 3 }));
        Assert.Contains("heads", error.Message);
    }

    [Fact]
    public void ZooBuildsBstAndReportsItsSize()
    {
        var (_, vocab) = Samples(lengths: [1]);
        var space = FeatureSpace.From(vocab);
        var model = ModelZoo.Create("bst", space, new ModelOptions { EmbeddingDim = 32 });
        Assert.IsType<Bst>(model);
        long tables = (space.ItemVocabulary + space.CategoryVocabulary) * 32;
        output.WriteLine($"bst @ EmbeddingDim 32: {model.ParameterCount()} parameters, {model.ParameterCount() - tables} outside the embedding tables");
    }

    /// <summary>Label = 1 iff the candidate's category occurs in the history: learnable only by looking at the history.</summary>
    [Fact]
    public void SmokeTrainingBeatsChance()
    {
        torch.manual_seed(7);
        var random = new Random(7);
        var all = Enumerable.Range(0, 1200).Select(i => CategorySample(random, user: i)).ToList();
        var train = all.Take(900).ToList();
        var test = all.Skip(900).ToList();
        var vocab = FeatureVocabulary.Build(all);
        var model = NewModel(vocab, SmallConfig with { Dropout = 0 });
        var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        var started = DateTime.UtcNow;
        for (int epoch = 0; epoch < 12; epoch++)
            foreach (var chunk in train.Chunk(64))
            {
                using var step = NewDisposeScope();
                using var batch = Batch.Collate(chunk, vocab, maxLength: 10);
                optimizer.zero_grad();
                nn.functional.binary_cross_entropy_with_logits(model.forward(batch).Logits, batch.Labels).backward();
                optimizer.step();
            }
        model.eval();
        using var testBatch = Batch.Collate(test, vocab, maxLength: 10);
        double auc;
        using (no_grad())
            auc = TestAuc.Of(model.forward(testBatch).Logits.data<float>().ToArray(), test.Select(s => s.Label).ToArray());
        output.WriteLine($"test AUC {auc:F3} after {(DateTime.UtcNow - started).TotalSeconds:F1} s");
        Assert.True(auc > 0.8, $"AUC {auc:F3}");
    }

    private static Bst NewModel(FeatureVocabulary vocab, BstConfig config)
    {
        torch.manual_seed(1);
        var model = new Bst(FeatureSpace.From(vocab), Small, config) { CollectDiagnostics = true };
        model.eval();
        return model;
    }

    /// <summary>One sample per requested history length; items/categories/times vary, the candidate comes a day after.</summary>
    private static (List<CtrSample> Samples, FeatureVocabulary Vocab) Samples(int[] lengths)
    {
        var samples = lengths.Select((n, u) => new CtrSample
        {
            User = u,
            HistoryItems = Enumerable.Range(0, n).Select(k => 100L + (u * 7 + k * 3) % 11).ToArray(),
            HistoryCategories = Enumerable.Range(0, n).Select(k => 10L + (u + k) % 4).ToArray(),
            HistoryTimes = Enumerable.Range(0, n).Select(k => 1_000_000L + k * 5_000L * (u + 1)).ToArray(),
            Item = 100L + u % 11,
            Category = 10L + u % 4,
            Time = 1_000_000L + n * 5_000L * (u + 1) + Day,
            Label = u % 2,
        }).ToList();
        return (samples, FeatureVocabulary.Build(samples));
    }

    private static CtrSample CategorySample(Random random, long user)
    {
        int n = random.Next(2, 5);
        var categories = Enumerable.Range(0, n).Select(_ => (long)random.Next(6)).ToArray();
        long category = random.Next(6);
        return new CtrSample
        {
            User = user,
            HistoryItems = categories.Select(c => c * 100 + random.Next(2)).ToArray(),
            HistoryCategories = categories,
            HistoryTimes = Enumerable.Range(0, n).Select(k => 1_000_000L + k * 600L).ToArray(),
            Item = category * 100 + random.Next(2),
            Category = category,
            Time = 1_000_000L + n * 600L,
            Label = categories.Contains(category) ? 1f : 0f,
        };
    }

    private static void AssertClose(Tensor expected, Tensor actual) =>
        Assert.True(allclose(expected, actual, rtol: 1e-4, atol: 1e-5), $"expected {expected.str()}\nactual {actual.str()}");
}
