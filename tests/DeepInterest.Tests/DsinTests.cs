using DeepInterest.Data;
using DeepInterest.Layers;
using DeepInterest.Models;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DeepInterest.Tests;

public class DsinTests(ITestOutputHelper output)
{
    // ---- session division (host side) ----

    [Fact]
    public void GapOfExactlyThirtyMinutesStaysInTheSessionOneSecondMoreSplits()
    {
        var sessions = Sessionizer.Split([0, 1800, 3601, 3601]);
        Assert.Equal([new SessionRange(0, 2), new SessionRange(2, 2)], sessions);
    }

    [Fact]
    public void KeepsTheMostRecentSessionsAndTheMostRecentBehavioursOfEach()
    {
        // 7 sessions of 1 behaviour, 10 000 s apart, then one session of 4 behaviours
        long[] times = [.. Enumerable.Range(0, 7).Select(i => i * 10_000L), 100_000, 100_010, 100_020, 100_030];
        var sessions = Sessionizer.Split(times, maxSessions: 3, maxLength: 2);
        Assert.Equal([new SessionRange(5, 1), new SessionRange(6, 1), new SessionRange(9, 2)], sessions);
        Assert.Empty(Sessionizer.Split([]));
    }

    [Fact]
    public void UnsortedTimestampsAreRejectedWithPositionAndValues()
    {
        var error = Assert.Throws<InvalidDataException>(() => Sessionizer.Split([10, 20, 15]));
        Assert.Contains("position 2 has 15 after 20", error.Message);
        // Batches are checked once, when their samples are indexed, since the layout reads times on the device unchecked.
        var samples = new[] { Sample(1, [0, 10, 20], item: 11, category: 2, label: 1), Sample(2, [0, 30, 25], item: 12, category: 3, label: 0) };
        var inBatch = Assert.Throws<InvalidDataException>(() => Batch.Collate(samples, FeatureVocabulary.Build(samples), maxLength: 5));
        Assert.Contains("sample 1 (user 2)", inBatch.Message);
        Assert.Contains("position 2 has 25 after 30", inBatch.Message);
    }

    [Fact]
    public void LayoutPlacesSessionsLeftPaddedAndMarksDroppedPositions()
    {
        // T = 7, two padding positions, then sessions {100, 200}, {5000, 5100, 5200} with L = 2 (5000 dropped)
        long[] times = [0, 0, 100, 200, 5000, 5100, 5200];
        bool[] mask = [false, false, true, true, true, true, true];
        var layout = Layout(times, mask, batch: 1, gap: 1800, sessions: 3, sessionLength: 2);
        Assert.Equal([false, true, true], layout.SessionMask);
        Assert.Equal([-1L, -1, 1, 1, -1, 2, 2], layout.SessionOf);
        Assert.Equal([0L, 0, 2, 3, 5, 6], layout.Positions);
        Assert.Equal([false, false, true, true, true, true], layout.BehaviorMask);
    }

    [Fact]
    public void WithStepIndexTimesSessionsAreChunksCountedBackFromTheMostRecent()
    {
        // 23 behaviours in chunks of 10: [0, 3), [3, 13), [13, 23); keep 2 sessions, each cut to its last 4.
        var all = Enumerable.Repeat(true, 23).ToArray();
        var steps = Enumerable.Range(0, 23).Select(i => (long)i).ToArray();
        Assert.Equal(Enumerable.Range(0, 23).Select(p => p < 3 ? 2L : p < 13 ? 3 : 4), Layout(steps, all, 1, 1800, 5, 10, chunkSize: 10).SessionOf);
        Assert.Equal(Enumerable.Range(0, 23).Select(p => p is >= 9 and < 13 ? 0L : p >= 19 ? 1 : -1), Layout(steps, all, 1, 1800, 2, 4, chunkSize: 10).SessionOf);
        Assert.Equal([false, false], Layout([0, 0], [false, false], 1, 1800, 2, 4, chunkSize: 10).SessionMask);
        Assert.Throws<ArgumentOutOfRangeException>(() => Layout(steps, all, 1, 1800, 5, 10, chunkSize: 0));

        // Step times 0, 1, 2, … never open a 30-minute gap; with a chunk size the layout ignores the times.
        long[] times = [0, 0, 1, 2, 3, 4, 5];
        bool[] mask = [false, true, true, true, true, true, true];
        var byGap = Layout(times, mask, batch: 1, gap: 1800, sessions: 3, sessionLength: 4);
        Assert.Equal([false, false, true], byGap.SessionMask);
        var chunked = Layout(times, mask, batch: 1, gap: 1800, sessions: 3, sessionLength: 4, chunkSize: 2);
        Assert.Equal([-1L, 0, 0, 1, 1, 2, 2], chunked.SessionOf);
        Assert.Equal([true, true, true], chunked.SessionMask);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LayoutOnTheDeviceEqualsThePlainHostLoopsOnRandomBatches(bool chunks)
    {
        // Rows of every kind: no behaviour, one, full; ties, gaps of exactly and just over the gap; more sessions
        // than K, sessions longer than L; K, L, T and the chunk size varied; padding holding any time.
        var random = new Random(chunks ? 17 : 5);
        for (int trial = 0; trial < 40; trial++)
        {
            int batch = random.Next(1, 9), t = random.Next(1, 26), k = random.Next(1, 6), l = random.Next(1, 7), size = random.Next(1, 6);
            long gap = random.Next(3) switch { 0 => 0, 1 => 30, _ => 1800 };
            var times = new long[batch * t];
            var mask = new bool[batch * t];
            for (int row = 0; row < batch; row++)
            {
                int real = random.Next(5) switch { 0 => 0, 1 => Math.Min(1, t), 2 => t, _ => random.Next(t + 1) };
                long clock = random.Next(1000);
                for (int p = 0; p < t; p++)
                {
                    bool isReal = p >= t - real;
                    mask[row * t + p] = isReal;
                    if (!isReal) { times[row * t + p] = random.Next(2) == 0 ? 0 : random.Next(); continue; } // padding times are never read
                    clock += random.Next(6) switch { 0 => 0, 1 => gap, 2 => gap + 1, 3 => random.Next(10), _ => random.Next(5000) };
                    times[row * t + p] = clock;
                }
            }
            int? chunk = chunks ? size : null;
            var expected = ReferenceSessions.Layout(times, mask, batch, gap, k, l, chunk);
            var actual = Layout(times, mask, batch, gap, k, l, chunk);
            var what = $"trial {trial}: B = {batch}, T = {t}, K = {k}, L = {l}, gap {gap}, chunk {chunk}";
            Assert.True(expected.Positions.SequenceEqual(actual.Positions), what);
            Assert.True(expected.BehaviorMask.SequenceEqual(actual.BehaviorMask), what);
            Assert.True(expected.SessionMask.SequenceEqual(actual.SessionMask), what);
            Assert.True(expected.SessionOf.SequenceEqual(actual.SessionOf), what);
        }
    }

    [Fact]
    public void SplitEqualsThePlainHostLoopOnRandomTimelines()
    {
        var random = new Random(9);
        for (int trial = 0; trial < 200; trial++)
        {
            long gap = random.Next(2) == 0 ? 60 : 1800;
            long clock = 0;
            var timeline = Enumerable.Range(0, random.Next(0, 40))
                .Select(_ => clock += random.Next(5) switch { 0 => 0, 1 => gap, 2 => gap + 1, _ => random.Next(4000) }).ToArray();
            var (k, l) = random.Next(3) == 0 ? (int.MaxValue, int.MaxValue) : (random.Next(1, 6), random.Next(1, 8));
            Assert.Equal(ReferenceSessions.Split(timeline, gap, k, l), Sessionizer.Split(timeline, gap, k, l));
        }
    }

    [Fact]
    public void DsinDiagnosticsShowTheReferenceSessionsOfItsBatch()
    {
        var random = new Random(3);
        var samples = Enumerable.Range(0, 24).Select(u =>
        {
            long clock = 0;
            var times = Enumerable.Range(0, u % 6 == 0 ? 0 : random.Next(1, 30))
                .Select(_ => clock += random.Next(3) == 0 ? 1800 + random.Next(2) : random.Next(600)).ToArray();
            return Sample(u, times, item: 11 + u % 2, category: 2 + u % 2, label: u % 2);
        }).ToArray();
        var (model, vocab) = Build(samples);
        model.CollectDiagnostics = true;
        using var batch = Batch.Collate(samples, vocab, maxLength: 20);
        using var _ = no_grad();
        var output = model.call(batch);
        var config = new DsinConfig();
        var expected = ReferenceSessions.Layout(batch.HistoryTimes.data<long>().ToArray(), batch.Mask.data<bool>().ToArray(), batch.Size,
                                                config.Gap, config.Sessions, config.SessionLength, chunkSize: null);
        Assert.Equal(expected.SessionOf, output.Diagnostics["session_index"].data<long>().ToArray());
        Assert.Equal(expected.SessionMask, output.Diagnostics["session_mask"].data<bool>().ToArray());
    }

    // ---- layers ----

    [Fact]
    public void BiasEncodingAddsSessionPositionAndUnitBiases()
    {
        var encoding = new BiasEncoding(sessions: 2, sessionLength: 3, dim: 4);
        using (no_grad())
        {
            encoding.get_parameter("session")!.copy_(tensor(new[] { 1f, 2f }));
            encoding.get_parameter("position")!.copy_(tensor(new[] { 10f, 20f, 30f }));
            encoding.get_parameter("unit")!.copy_(tensor(new[] { 100f, 200f, 300f, 400f }));
        }
        var x = ones(1, 2, 3, 4);
        var y = encoding.call(x);
        Assert.Equal(1 + 1 + 10 + 100, y[0, 0, 0, 0].item<float>());
        Assert.Equal(1 + 2 + 30 + 400, y[0, 1, 2, 3].item<float>());
        Assert.Equal(1 + 1 + 20 + 300, y[0, 0, 1, 2].item<float>());
    }

    [Fact]
    public void BiLstmOutputsAtRealStepsIgnoreLeftPaddingWhateverItHolds()
    {
        manual_seed(1);
        var lstm = new LeftPaddedBiLstm(3, 5, layers: 2);
        var real = randn(1, 2, 3);
        var padded = cat([randn(1, 3, 3) * 10, real], 1);                   // (1, 5, 3): 3 garbage padding steps
        var mask = tensor(new[] { false, false, false, true, true }).unsqueeze(0);
        var expected = lstm.call(real, ones(1, 2, dtype: ScalarType.Bool));
        var actual = lstm.call(padded, mask);
        Assert.True(actual.narrow(1, 3, 2).allclose(expected, atol: 1e-6));
        Assert.Equal(0f, actual.narrow(1, 0, 3).abs().sum().item<float>());
    }

    [Fact]
    public void ExtractorAveragesRealBehavioursAndGivesZeroForEmptySessions()
    {
        manual_seed(2);
        var extractor = new SessionInterestExtractor(dim: 8, heads: 4);
        extractor.eval();
        var x = randn(1, 2, 3, 8);
        var mask = tensor(new[] { true, true, false, false, false, false }, [1, 2, 3]);
        var garbage = x.clone();
        garbage[0, 0, 2] = randn(8) * 100;                                  // padding inside the real session
        var y = extractor.call(x, mask);
        Assert.True(y.isfinite().all().item<bool>());
        Assert.Equal(0f, y[0, 1].abs().sum().item<float>());
        Assert.True(extractor.call(garbage, mask).allclose(y, atol: 1e-5));
    }

    [Fact]
    public void BlindedExtractorKeepsBehavioursFromAttendingToThemselves()
    {
        // Sessions (L = 4): two real behaviours, one, none. Same weights with and without blinding.
        var mask = tensor(new[] { true, true, false, false, false, true, false, false, false, false, false, false }, [1, 3, 4]);
        var blind = new SessionInterestExtractor(dim: 8, heads: 2, blinding: true);
        var open = new SessionInterestExtractor(dim: 8, heads: 2, blinding: false);
        open.load_state_dict(blind.state_dict());  // copied, not re-seeded: parallel tests draw from the global generator
        blind.eval();
        open.eval();
        manual_seed(4);
        var x = randn(1, 3, 4, 8);
        var y = blind.call(x, mask);
        Assert.Equal([1L, 3, 8], y.shape);
        Assert.True(y.isfinite().all().item<bool>());
        Assert.Equal(0f, y[0, 2].abs().sum().item<float>());                        // empty session
        Assert.True(y[0, 1].allclose(open.call(x, mask)[0, 1], atol: 1e-6));         // alone: attends to itself
        Assert.False(y[0, 0].allclose(open.call(x, mask)[0, 0], atol: 1e-3));

        // With two real behaviours each one's only key is the other, so queries and keys cannot matter.
        var inProjection = blind.named_parameters().Single(p => p.name == "selfAttention.in_proj_weight").parameter; // (3E, E) [Q; K; V]
        using (no_grad()) inProjection.narrow(0, 0, 16).copy_(randn(16, 8) * 3);
        Assert.True(blind.call(x, mask).allclose(y, atol: 1e-5));

        // Padding holds junk and sessions get longer: nothing changes.
        var longer = cat([x, randn(1, 3, 2, 8) * 100], 2);                           // (1, 3, 6, 8)
        var longerMask = cat([mask, zeros(1, 3, 2, dtype: ScalarType.Bool)], 2);
        var junk = x.clone();
        junk[0, 0, 3] = randn(8) * 100;
        Assert.True(blind.call(longer, longerMask).allclose(y, atol: 1e-5));
        Assert.True(blind.call(junk, mask).allclose(y, atol: 1e-5));
    }

    /// <summary>Heads of d = 4 take libtorch's fused kernel (or nn.MultiheadAttention in CPU training), of d = 8 the kit's.</summary>
    [Theory]
    [InlineData(false, false, 8)]
    [InlineData(false, true, 8)]
    [InlineData(true, false, 8)]
    [InlineData(true, true, 8)]
    [InlineData(false, false, 16)]
    [InlineData(false, true, 16)]
    [InlineData(true, false, 16)]
    [InlineData(true, true, 16)]
    public void FusedAttentionMatchesMultiheadAttentionInOutputsAndGradients(bool blinding, bool training, long dim)
    {
        // Sessions (L = 4): full, two real, alone, empty; a second user with no sessions at all.
        manual_seed(6);
        var extractor = new SessionInterestExtractor(dim, heads: 2, blinding);
        extractor.train(training);
        var mask = tensor(new[] { true, true, true, true, true, true, false, false, true, false, false, false, false, false, false, false,
                                  false, false, false, false, false, false, false, false, false, false, false, false, false, false, false, false }, [2, 4, 4]);
        var x = randn(2, 4, 4, dim);
        var upstream = randn(2, 4, dim);                                             // (B, K, E) dL/doutput
        (Tensor Output, Tensor Input, Tensor[] Parameters) Run(bool explicitAttention)
        {
            extractor.ExplicitAttention = explicitAttention;
            extractor.zero_grad();
            var input = x.clone().requires_grad_();
            var y = extractor.call(input, mask);
            (y * upstream).sum().backward();
            return (y.detach(), input.grad!, extractor.parameters().Select(p => p.grad!.clone()).ToArray());
        }
        var reference = Run(explicitAttention: true);
        var fused = Run(explicitAttention: false);
        Assert.True(fused.Output.isfinite().all().item<bool>());
        Assert.Equal(0f, fused.Output[1].abs().max().item<float>());                // no sessions
        Assert.True(fused.Output.allclose(reference.Output, rtol: 0, atol: 1e-5), $"outputs differ by {(fused.Output - reference.Output).abs().max().item<float>()}");
        Assert.True(fused.Input.isfinite().all().item<bool>());
        Assert.True(fused.Input.allclose(reference.Input, rtol: 0, atol: 1e-5), $"input gradients differ by {(fused.Input - reference.Input).abs().max().item<float>()}");
        foreach (var (f, r) in fused.Parameters.Zip(reference.Parameters))
            Assert.True(f.allclose(r, rtol: 0, atol: 1e-5), $"parameter gradients differ by {(f - r).abs().max().item<float>()}");
    }

    [Fact]
    public void BiLstmDropoutActsInTrainingOnlyAndKeepsPaddingZero()
    {
        var dropping = new LeftPaddedBiLstm(3, 4, layers: 2, dropout: 0.5);
        var plain = new LeftPaddedBiLstm(3, 4, layers: 2, dropout: 0);
        plain.load_state_dict(dropping.state_dict());  // copied, not re-seeded: parallel tests draw from the global generator
        manual_seed(6);
        var x = randn(2, 3, 3);
        var mask = tensor(new[] { false, true, true, true, true, true }, [2, 3]);
        dropping.eval();
        plain.eval();
        Assert.True(dropping.call(x, mask).allclose(plain.call(x, mask), atol: 1e-6));
        dropping.train();
        var first = dropping.call(x, mask);
        Assert.False(first.allclose(plain.call(x, mask), atol: 1e-4));
        Assert.False(first.allclose(dropping.call(x, mask), atol: 1e-4));
        Assert.Equal(0f, first[0, 0].abs().sum().item<float>());
        Assert.Throws<ArgumentOutOfRangeException>(() => new LeftPaddedBiLstm(3, 4, dropout: 1));
    }

    // ---- model ----

    [Fact]
    public void ForwardGivesShapesAndDiagnosticsAndFiniteOutputsForEmptyAndSingleSessionUsers()
    {
        var samples = new[]
        {
            Sample(1, [0, 100, 5000, 5060, 20_000], item: 11, category: 2, label: 1),   // three sessions
            Sample(2, [0, 60, 120], item: 12, category: 3, label: 0),                   // one session
            Sample(3, [], item: 13, category: 2, label: 1),                              // no history
        };
        var (model, vocab) = Build(samples);
        model.CollectDiagnostics = true;
        using var batch = Batch.Collate(samples, vocab, maxLength: 50);
        var result = model.call(batch);
        Assert.Equal([3L], result.Logits.shape);
        Assert.True(result.Logits.isfinite().all().item<bool>());
        Assert.Equal([3L, 5], result.Diagnostics["session_attention"].shape);
        Assert.Equal([3L, 5], result.Diagnostics["session_mask"].shape);
        var index = result.Diagnostics["session_index"];
        Assert.Equal([3L, 5], index.shape);
        Assert.Equal([2L, 2, 3, 3, 4], index[0].data<long>().ToArray());
        Assert.Equal([-1L, -1, 4, 4, 4], index[1].data<long>().ToArray());
        Assert.Equal([-1L, -1, -1, -1, -1], index[2].data<long>().ToArray());
        var attentionSums = result.Diagnostics["session_attention"].sum(1).data<float>().ToArray();
        Assert.Equal(1f, attentionSums[0], 5);
        Assert.Equal(1f, attentionSums[1], 5);
        Assert.Equal(0f, attentionSums[2]);

        using var noHistoryAtAll = Batch.Collate([samples[2]], vocab, maxLength: 50);
        Assert.True(model.call(noHistoryAtAll).Logits.isfinite().all().item<bool>());

        result.Logits.sum().backward();
        Assert.All(model.parameters(), p => Assert.True(p.grad is null || p.grad.isfinite().all().item<bool>()));
    }

    [Fact]
    public void ExtraLeftPaddingInTheBatchChangesNoOutput()
    {
        var samples = new[]
        {
            Sample(1, [0, 100, 5000, 5060], item: 11, category: 2, label: 1),
            Sample(2, [0], item: 12, category: 3, label: 0),
            Sample(3, [], item: 13, category: 2, label: 0),
        };
        var longer = Sample(4, [.. Enumerable.Range(0, 30).Select(i => i * 3000L)], item: 14, category: 3, label: 1);
        var (model, vocab) = Build([.. samples, longer]);
        model.eval();
        model.CollectDiagnostics = true;
        using var narrow = Batch.Collate(samples, vocab, maxLength: 50);
        using var wide = Batch.Collate([.. samples, longer], vocab, maxLength: 50);
        Assert.True(wide.MaxLength > narrow.MaxLength + 20);
        using var _ = no_grad();
        var a = model.call(narrow);
        var b = model.call(wide);
        Assert.True(b.Logits.narrow(0, 0, 3).allclose(a.Logits, atol: 1e-5));
        Assert.True(b.Diagnostics["session_attention"].narrow(0, 0, 3).allclose(a.Diagnostics["session_attention"], atol: 1e-6));
    }

    [Fact]
    public void ModelZooBuildsDsinAndHeadsMustDivideTheEmbedding()
    {
        var (_, vocab) = Build([Sample(1, [0], item: 11, category: 2, label: 1)]);
        var space = FeatureSpace.From(vocab);
        var model = ModelZoo.Create("dsin", space, new ModelOptions { EmbeddingDim = 32 });
        long embeddings = 32 * (space.ItemVocabulary + space.CategoryVocabulary);
        output.WriteLine($"DSIN parameters at embedding 32: {model.ParameterCount()} ({model.ParameterCount() - embeddings} without embedding tables)");
        Assert.IsType<Dsin>(model);
        Assert.Throws<ArgumentException>(() => new Dsin(space, new ModelOptions { EmbeddingDim = 3 }, new DsinConfig { Heads = 4 }));
    }

    [Fact]
    public void SmokeTrainingOnSessionDataBeatsChance()
    {
        manual_seed(7);
        var train = SessionWorld(seed: 1, count: 256);
        var test = SessionWorld(seed: 2, count: 128);
        var vocab = FeatureVocabulary.Build(train);
        var config = new DsinConfig { Sessions = 3, SessionLength = 4, Heads = 2, AttentionHidden = [16, 8], MlpHidden = [32, 16] };
        var model = new Dsin(FeatureSpace.From(vocab), new ModelOptions { EmbeddingDim = 8 }, config);
        var optimizer = optim.Adam(model.parameters(), lr: 0.01);
        model.train();
        for (int epoch = 0; epoch < 2; epoch++)
            for (int start = 0; start < train.Count; start += 32)
            {
                using var scope = NewDisposeScope();
                using var batch = Batch.Collate(train.Skip(start).Take(32).ToList(), vocab, maxLength: 12);
                var loss = nn.functional.binary_cross_entropy_with_logits(model.call(batch).Logits, batch.Labels);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }
        model.eval();
        using var testBatch = Batch.Collate(test, vocab, maxLength: 12);
        using var _ = no_grad();
        var scores = model.call(testBatch).Logits.data<float>().ToArray();
        double auc = TestAuc.Of(scores, test.Select(s => s.Label).ToArray());
        output.WriteLine($"smoke test AUC {auc:F3}");
        Assert.True(auc > 0.75, $"test AUC {auc:F3} should clearly beat chance");
    }

    // ---- helpers ----

    /// <summary>Host arrays of a layout built on tensors from host arrays (row-major (B, T) times and mask).</summary>
    private static ReferenceSessions.HostLayout Layout(long[] times, bool[] mask, int batch, long gap, int sessions, int sessionLength, int? chunkSize = null)
    {
        using var scope = NewDisposeScope();
        int t = times.Length / batch;
        var layout = SessionLayout.Build(tensor(times, [batch, t]), tensor(mask, [batch, t]), gap, sessions, sessionLength, chunkSize);
        var positions = layout.Place(arange(t, dtype: ScalarType.Int64).expand(batch, t));   // (B, K, L) history position in each slot
        Assert.Equal([(long)batch, sessions, sessionLength], positions.shape);
        Assert.Equal([(long)batch, sessions, sessionLength], layout.BehaviorMask.shape);
        return new ReferenceSessions.HostLayout(positions.data<long>().ToArray(), layout.BehaviorMask.data<bool>().ToArray(),
                                                layout.SessionMask.data<bool>().ToArray(), layout.SessionOf.data<long>().ToArray());
    }

    /// <summary>
    /// The plain host-side loops DSIN sessionized every batch with before <see cref="Sessionizer.Locate"/> (one row at a
    /// time, ranges, then placement), kept as the readable form of the rule that the tensor version must equal exactly.
    /// </summary>
    private static class ReferenceSessions
    {
        public sealed record HostLayout(long[] Positions, bool[] BehaviorMask, bool[] SessionMask, long[] SessionOf);

        public static List<SessionRange> Split(IReadOnlyList<long> timestamps, long gap, int maxSessions, int maxLength)
        {
            var sessions = new List<SessionRange>();
            int start = 0;
            for (int i = 1; i <= timestamps.Count; i++) // i == Count closes the last session
                if (i == timestamps.Count || timestamps[i] - timestamps[i - 1] > gap)
                {
                    sessions.Add(new SessionRange(start, i - start));
                    start = i;
                }
            return sessions
                .Skip(Math.Max(0, sessions.Count - maxSessions))
                .Select(s => s.Length <= maxLength ? s : new SessionRange(s.End - maxLength, maxLength))
                .ToList();
        }

        public static List<SessionRange> Chunks(int count, int size, int maxSessions, int maxLength)
        {
            var sessions = new List<SessionRange>();
            for (int end = count; end > 0 && sessions.Count < maxSessions; end -= size)
            {
                int start = Math.Max(0, end - size), length = Math.Min(end - start, maxLength);
                sessions.Insert(0, new SessionRange(end - length, length));
            }
            return sessions;
        }

        public static HostLayout Layout(long[] times, bool[] mask, int batch, long gap, int k, int l, int? chunkSize)
        {
            int t = times.Length / batch;
            var positions = new long[batch * k * l];
            var behaviorMask = new bool[batch * k * l];
            var sessionMask = new bool[batch * k];
            var sessionOf = Enumerable.Repeat(-1L, batch * t).ToArray();
            for (int b = 0; b < batch; b++)
            {
                var real = Enumerable.Range(0, t).Where(p => mask[b * t + p]).ToArray();
                var ranges = chunkSize is { } size ? Chunks(real.Length, size, k, l) : Split(real.Select(p => times[b * t + p]).ToArray(), gap, k, l);
                for (int s = 0; s < ranges.Count; s++)
                {
                    int slot = k - ranges.Count + s;
                    sessionMask[b * k + slot] = true;
                    for (int j = 0; j < ranges[s].Length; j++)
                    {
                        int position = real[ranges[s].Start + j], flat = (b * k + slot) * l + j;
                        positions[flat] = position;
                        behaviorMask[flat] = true;
                        sessionOf[b * t + position] = slot;
                    }
                }
            }
            return new HostLayout(positions, behaviorMask, sessionMask, sessionOf);
        }
    }

    private static CtrSample Sample(long user, long[] times, long item, long category, float label) => new()
    {
        User = user,
        HistoryItems = times.Select((_, i) => 20L + i % 3).ToArray(),
        HistoryCategories = times.Select((_, i) => 2L + i % 2).ToArray(),
        HistoryTimes = times,
        Item = item,
        Category = category,
        Time = times.LastOrDefault() + 60,
        Label = label,
    };

    private static (Dsin Model, FeatureVocabulary Vocab) Build(IReadOnlyList<CtrSample> samples, ModelOptions? options = null)
    {
        var vocab = FeatureVocabulary.Build(samples);
        return (new Dsin(FeatureSpace.From(vocab), options ?? new ModelOptions { EmbeddingDim = 4 }, new DsinConfig { Heads = 2 }), vocab);
    }

    /// <summary>
    /// Users browse 2–3 sessions (2 h apart, 1 min between clicks), each within one of 5 categories, in random order.
    /// They click (any candidate) when their MOST RECENT session was in category 0 or 1: the label lives in the
    /// order of the sessions, not in the candidate nor in the bag of browsed categories.
    /// </summary>
    private static List<CtrSample> SessionWorld(int seed, int count)
    {
        var random = new Random(seed);
        var samples = new List<CtrSample>();
        for (int user = 0; user < count; user++)
        {
            var browsed = Enumerable.Range(0, 5).OrderBy(_ => random.Next()).Take(2 + random.Next(2)).ToArray();
            var items = new List<long>(); var categories = new List<long>(); var times = new List<long>();
            long clock = 0;
            foreach (var category in browsed)
            {
                clock += 7200;
                for (int click = 0, n = 2 + random.Next(3); click < n; click++, clock += 60)
                {
                    items.Add(category * 100 + random.Next(8));
                    categories.Add(category);
                    times.Add(clock);
                }
            }
            long candidateCategory = random.Next(5);
            samples.Add(new CtrSample
            {
                User = user, HistoryItems = [.. items], HistoryCategories = [.. categories], HistoryTimes = [.. times],
                Item = candidateCategory * 100 + random.Next(8), Category = candidateCategory, Time = clock + 600,
                Label = browsed[^1] < 2 ? 1f : 0f,
            });
        }
        return samples;
    }
}
