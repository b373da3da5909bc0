using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using DeepInterest.Platform;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;
using static DeepInterest.Layers.TensorMemory;

namespace DeepInterest.Layers;

/// <summary>
/// <see cref="TransformerBlock"/>'s and <see cref="SessionInterestExtractor"/>'s multi-head attention as one autograd
/// node on the CPU: per sequence b and head h, with q_i, k_j, v_j the head's d-wide slices of the projected tokens,
/// <code>
///   s_ij = q_i·k_j / √d + c_j          c_j = 0 at real keys, the lowest float at padded ones (rounds to that value),
///                                      with blinding also −2³² at j = i
///   p_ij = exp(s_ij − max_j s_ij) / Σ_j exp(s_ij − max_j s_ij)
///   o_i  = Σ_j p_ij m_ij v_j          m_ij = 1 / (1 − p_drop) kept, 0 dropped (1 without dropout)
/// </code>
/// and backward, with g_i = ∂L/∂o_i:
/// <code>
///   ∂L/∂v_j = Σ_i p_ij m_ij g_i,   δ_ij = m_ij (g_i·v_j),   ∂L/∂s_ij = p_ij (δ_ij − Σ_j' p_ij' δ_ij')
///   ∂L/∂q_i = Σ_j ∂L/∂s_ij k_j / √d,   ∂L/∂k_j = Σ_i ∂L/∂s_ij q_i / √d
/// </code>
/// The textbook form (<see cref="TransformerBlock.ExplicitAttention"/>) writes the (B, H, L, L) scores, weights and
/// dropout mask to memory and reads them back about a dozen times forward and backward; here one (b, h) pair's
/// L × L block lives in a row buffer, the backward pass recomputes p_ij from q, k and each row's maximum and
/// normaliser, and redraws m_ij from the same random stream. Inputs and output stay (B, L, E) with the heads side by
/// side (E = H·d), so neither the head split nor the merge is a copy. <see cref="SelfAttentionKernels"/> does the passes.
/// </summary>
internal sealed class SelfAttentionFunction : MultiTensorFunction<SelfAttentionFunction>
{
    public override string Name => nameof(SelfAttentionFunction);

    /// <summary>
    /// Projected queries, keys and values (B, L, E), the bool key mask (B, L) true at real tokens, the head count and the
    /// dropout probability on the weights (0 in evaluation), and whether the diagonal is blinded → (B, L, E). Without
    /// gradients, no node and nothing kept.
    /// </summary>
    public static Tensor Apply(Tensor queries, Tensor keys, Tensor values, Tensor mask, long heads, double dropout, bool blinding = false)
    {
        long seed = dropout > 0 ? randint(0, long.MaxValue, [1], dtype: ScalarType.Int64, device: queries.device).item<long>() : 0; // libtorch's CPU generator
        var settings = new AttentionSettings((int)heads, (float)dropout, seed, blinding);
        bool backwardFollows = is_grad_enabled() && (queries.requires_grad || keys.requires_grad || values.requires_grad);
        if (backwardFollows) return apply(queries, keys, values, mask, settings)[0];
        using var scope = NewDisposeScope();
        var (output, _) = Forward(queries.contiguous(), keys.contiguous(), values.contiguous(), RealKeys(mask), settings);
        return output.MoveToOuterDisposeScope();
    }

    public override List<Tensor> forward(AutogradContext ctx, params object[] vars)
    {
        using var scope = NewDisposeScope();
        var (queries, keys, values) = (((Tensor)vars[0]).contiguous(), ((Tensor)vars[1]).contiguous(), ((Tensor)vars[2]).contiguous());
        var realKeys = RealKeys((Tensor)vars[3]);                                      // (B, L) 1 at real keys
        var settings = (AttentionSettings)vars[4];
        var (output, rowStatistics) = Forward(queries, keys, values, realKeys, settings);
        var saved = new List<Tensor> { queries, keys, values, realKeys, rowStatistics };
        foreach (var tensor in saved.Append(output)) tensor.MoveToOuterDisposeScope(); // alive until saved
        ctx.save_for_backward(saved);
        ctx.save_data("settings", settings);
        return [output];
    }

    public override List<Tensor> backward(AutogradContext ctx, List<Tensor> gradOutputs)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var settings = (AttentionSettings)ctx.get_data("settings");
        var (queryGrad, keyGrad, valueGrad) = (empty_like(saved[0]), empty_like(saved[1]), empty_like(saved[2])); // (B, L, E) each
        SelfAttentionKernels.Backward(saved[0], saved[1], saved[2], saved[3], saved[4], gradOutputs[0].contiguous(),
            queryGrad, keyGrad, valueGrad, settings);
        var grads = new List<Tensor> { queryGrad, keyGrad, valueGrad, null!, null! };
        foreach (var grad in grads) grad?.MoveToOuterDisposeScope();
        ctx.save_data("gradients", grads); // keeps them reachable until libtorch has taken them, whatever the caller's scopes
        return grads;
    }

    private static (Tensor Output, Tensor RowStatistics) Forward(Tensor queries, Tensor keys, Tensor values, Tensor realKeys,
        AttentionSettings settings)
    {
        long b = queries.shape[0], l = queries.shape[1];
        // The kernels walk raw pointers: shapes that disagree would read past a buffer, so they are refused here.
        if (queries.dim() != 3 || !keys.shape.SequenceEqual(queries.shape) || !values.shape.SequenceEqual(queries.shape)
            || !realKeys.shape.SequenceEqual([b, l]) || queries.shape[2] % settings.Heads != 0)
            throw new ArgumentException($"self-attention expects queries, keys and values (B, L, E) with E divisible by {settings.Heads} heads " +
                $"and a mask (B, L); got ({string.Join(", ", queries.shape)}), ({string.Join(", ", keys.shape)}), ({string.Join(", ", values.shape)}) " +
                $"and ({string.Join(", ", realKeys.shape)})");
        var output = empty_like(queries);                                              // (B, L, E)
        var rowStatistics = empty(b, settings.Heads, l, 2, dtype: queries.dtype, device: queries.device); // (B, H, L, 2) max_j s_ij, 1 / Σ_j exp(…)
        SelfAttentionKernels.Forward(queries, keys, values, realKeys, output, rowStatistics, settings);
        return (output, rowStatistics);
    }

    private static Tensor RealKeys(Tensor mask) => mask.to_type(ScalarType.Float32).contiguous(); // (B, L)
}

/// <summary>
/// The head count H, the dropout probability on the weights and its seed, and whether the diagonal is blinded: −2³² added
/// to s_ii, so that a token attends to itself only when it has no other real key (DSIN's <c>blinding</c>).
/// </summary>
internal readonly record struct AttentionSettings(int Heads, float Dropout, long Seed, bool Blinding);

/// <summary>
/// <see cref="SelfAttentionFunction"/>'s passes: the (b, h) pairs split over the intra-op threads, each pair's keys (and
/// values, backward) transposed to d × L once, so that a query's L scores are d broadcast multiply-adds of eight keys at
/// a time; e^x is <see cref="SimdMath.Exp"/>, so the weights agree with libtorch's softmax to float32 rounding. The
/// dropout mask comes from <see cref="RandomLanes"/>, stream = pair, L rounded up to whole vectors per query row, in
/// row order forward and backward alike. Only for float32 in CPU memory, d a multiple of 8, on a CPU with 256-bit
/// vectors (<see cref="Supports"/>).
/// </summary>
internal static unsafe class SelfAttentionKernels
{
    private const int Lanes = 8;
    private const int PairsPerPart = 4;
    private const float Blindfold = -4294967296f;                                      // −2³², DeepCTR's blinding

    public static bool Supports(Tensor tokens, long headDim) => Vector256.IsHardwareAccelerated && tokens.device_type == DeviceType.CPU
        && tokens.dtype == ScalarType.Float32 && headDim % Lanes == 0 && tokens.numel() <= int.MaxValue;

    /// <summary>
    /// Writes each query's output into <paramref name="output"/> (B, L, E) and its row's max_j s_ij and
    /// 1 / Σ_j exp(s_ij − max) into <paramref name="rowStatistics"/> (B, H, L, 2).
    /// </summary>
    public static void Forward(Tensor queries, Tensor keys, Tensor values, Tensor realKeys, Tensor output, Tensor rowStatistics,
        AttentionSettings settings)
    {
        var (shape, heads, dropout, seed) = (new Shape(queries, settings.Heads), settings.Heads, settings.Dropout, settings.Seed);
        int parts = OpenMpTeam.PartsFor(shape.Pairs, PairsPerPart);
        OpenMpTeam.Run(parts, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int part) =>
        {
            var (first, count) = OpenMpTeam.Share(shape.Pairs, parts, part);
            var scratch = new float[shape.Dim * shape.Width + 3 * shape.Width];
            fixed (float* q = Floats(queries), k = Floats(keys), v = Floats(values), real = Floats(realKeys), o = Floats(output))
            fixed (float* statistics = Floats(rowStatistics), transposed = scratch)
            {
                float* flags = transposed + shape.Dim * shape.Width, weights = flags + shape.Width, keep = weights + shape.Width;
                for (int pair = first; pair < first + count; pair++)
                {
                    long block = shape.Block(pair);
                    bool anyReal = Prepare(shape, k + block, real + pair / heads * shape.Length, transposed, flags);
                    var numbers = new RandomLanes(seed, pair);
                    for (int i = 0; i < shape.Length; i++)
                    {
                        long at = block + (long)i * shape.Embedding;
                        Weights(shape, q + at, transposed, flags, anyReal, weights, statistics + ((long)pair * shape.Length + i) * 2, settings.Blinding ? i : -1, fresh: true);
                        if (dropout > 0) Drop(shape, weights, weights, keep, ref numbers, dropout);
                        WeightedRows(shape, weights, v + block, o + at);                     // o_i = Σ_j p_ij m_ij v_j
                    }
                }
            }
        });
    }

    /// <summary>∂L/∂q, ∂L/∂k, ∂L/∂v (B, L, E) from ∂L/∂o (B, L, E), recomputing each row's weights and dropout mask.</summary>
    public static void Backward(Tensor queries, Tensor keys, Tensor values, Tensor realKeys, Tensor rowStatistics, Tensor outputGrad,
        Tensor queryGrad, Tensor keyGrad, Tensor valueGrad, AttentionSettings settings)
    {
        var (shape, heads, dropout, seed) = (new Shape(queries, settings.Heads), settings.Heads, settings.Dropout, settings.Seed);
        int parts = OpenMpTeam.PartsFor(shape.Pairs, PairsPerPart);
        OpenMpTeam.Run(parts, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int part) =>
        {
            var (first, count) = OpenMpTeam.Share(shape.Pairs, parts, part);
            var scratch = new float[2 * shape.Dim * shape.Width + 5 * shape.Width];
            fixed (float* q = Floats(queries), k = Floats(keys), v = Floats(values), real = Floats(realKeys), statistics = Floats(rowStatistics))
            fixed (float* g = Floats(outputGrad), dq = Floats(queryGrad), dk = Floats(keyGrad), dv = Floats(valueGrad), transposedKeys = scratch)
            {
                float* transposedValues = transposedKeys + shape.Dim * shape.Width, flags = transposedValues + shape.Dim * shape.Width;
                float* weights = flags + shape.Width, dropped = weights + shape.Width, keep = dropped + shape.Width, scoreGrad = keep + shape.Width;
                float scale = 1 / MathF.Sqrt(shape.Dim);
                for (int pair = first; pair < first + count; pair++)
                {
                    long block = shape.Block(pair);
                    bool anyReal = Prepare(shape, k + block, real + pair / heads * shape.Length, transposedKeys, flags);
                    Transpose(shape, v + block, transposedValues);
                    for (int j = 0; j < shape.Length; j++)
                    {
                        new Span<float>(dk + block + (long)j * shape.Embedding, shape.Dim).Clear();
                        new Span<float>(dv + block + (long)j * shape.Embedding, shape.Dim).Clear();
                    }
                    var numbers = new RandomLanes(seed, pair);
                    for (int i = 0; i < shape.Length; i++)
                    {
                        long at = block + (long)i * shape.Embedding;
                        Weights(shape, q + at, transposedKeys, flags, anyReal, weights, statistics + ((long)pair * shape.Length + i) * 2, settings.Blinding ? i : -1, fresh: false);
                        if (dropout > 0) Drop(shape, weights, dropped, keep, ref numbers, dropout);
                        float* kept = dropout > 0 ? dropped : weights;                      // p_ij m_ij
                        // δ_ij = m_ij (g_i·v_j); ∂L/∂s_ij = p_ij (δ_ij − Σ_j' p_ij' δ_ij'), with 1/√d for q and k
                        RowTimesColumns(shape, g + at, transposedValues, scoreGrad);         // g_i·v_j
                        var rowSum = Vector256<float>.Zero;
                        for (int j = 0; j < shape.Width; j += Lanes)
                        {
                            var delta = dropout > 0 ? Vector256.Load(scoreGrad + j) * Vector256.Load(keep + j) : Vector256.Load(scoreGrad + j);
                            delta.Store(scoreGrad + j);
                            rowSum += Vector256.Load(weights + j) * delta;
                        }
                        var total = Vector256.Create(Vector256.Sum(rowSum));
                        for (int j = 0; j < shape.Width; j += Lanes)
                            (Vector256.Load(weights + j) * (Vector256.Load(scoreGrad + j) - total) * scale).Store(scoreGrad + j);
                        WeightedRows(shape, scoreGrad, k + block, dq + at);                  // ∂L/∂q_i = Σ_j ∂L/∂s_ij k_j
                        for (int c = 0; c < shape.Dim; c += Lanes)
                        {
                            var (query, grad) = (Vector256.Load(q + at + c), Vector256.Load(g + at + c));
                            for (int j = 0; j < shape.Length; j++)
                            {
                                long keyAt = block + (long)j * shape.Embedding + c;
                                (Vector256.Load(dk + keyAt) + Vector256.Create(scoreGrad[j]) * query).Store(dk + keyAt); // ∂L/∂k_j += ∂L/∂s_ij q_i
                                (Vector256.Load(dv + keyAt) + Vector256.Create(kept[j]) * grad).Store(dv + keyAt);      // ∂L/∂v_j += p_ij m_ij g_i
                            }
                        }
                    }
                }
            }
        });
    }

    /// <summary>
    /// Transposes the pair's keys to <paramref name="transposed"/> (d × W, W = L rounded up to whole vectors, zero beyond
    /// L) and writes <paramref name="flags"/> (W): 1 at real keys, 0 at padded ones and beyond L. Returns whether any key
    /// is real.
    /// </summary>
    private static bool Prepare(Shape shape, float* keys, float* realKeys, float* transposed, float* flags)
    {
        Transpose(shape, keys, transposed);
        bool anyReal = false;
        for (int j = 0; j < shape.Width; j++)
        {
            flags[j] = j < shape.Length ? realKeys[j] : 0;
            anyReal |= flags[j] > 0;
        }
        return anyReal;
    }

    /// <summary>The pair's rows (L, d) at stride E to d × W, zero beyond L.</summary>
    private static void Transpose(Shape shape, float* rows, float* transposed)
    {
        for (int c = 0; c < shape.Dim; c++)
            for (int j = 0; j < shape.Width; j++)
                transposed[c * shape.Width + j] = j < shape.Length ? rows[(long)j * shape.Embedding + c] : 0;
    }

    /// <summary>
    /// p_ij of query row i into <paramref name="weights"/> (W, zero beyond L). <paramref name="fresh"/>: the row's
    /// maximum and normaliser are computed and stored in <paramref name="statistics"/>; otherwise read from it, so the
    /// backward pass gets the forward pass's weights bit for bit. <paramref name="blinded"/> ≥ 0: that key's score gets
    /// the blindfold. A sequence without a real key weighs its L keys equally, as the softmax of L equal scores does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Weights(Shape shape, float* query, float* transposedKeys, float* flags, bool anyReal, float* weights,
        float* statistics, int blinded, bool fresh)
    {
        if (!anyReal)
        {
            for (int j = 0; j < shape.Width; j++) weights[j] = j < shape.Length ? 1f / shape.Length : 0;
            return;
        }
        RowTimesColumns(shape, query, transposedKeys, weights);                        // q_i·k_j, padded keys and the tail too
        var scale = Vector256.Create(1 / MathF.Sqrt(shape.Dim));
        for (int j = 0; j < shape.Width; j += Lanes) (Vector256.Load(weights + j) * scale).Store(weights + j); // s_ij
        if (blinded >= 0) weights[blinded] += Blindfold;
        if (fresh)
        {
            var largest = Vector256.Create(float.NegativeInfinity);
            for (int j = 0; j < shape.Width; j += Lanes)                               // max over the real keys
                largest = Vector256.Max(largest, Vector256.ConditionalSelect(
                    Vector256.GreaterThan(Vector256.Load(flags + j), Vector256<float>.Zero), Vector256.Load(weights + j), largest));
            var half = Vector128.Max(largest.GetLower(), largest.GetUpper());
            float max = MathF.Max(MathF.Max(half[0], half[1]), MathF.Max(half[2], half[3]));
            var shift = Vector256.Create(max);
            var total = Vector256<float>.Zero;
            for (int j = 0; j < shape.Width; j += Lanes)
            {
                var real = Vector256.GreaterThan(Vector256.Load(flags + j), Vector256<float>.Zero);
                var power = Vector256.ConditionalSelect(real, SimdMath.Exp(Vector256.Load(weights + j) - shift), Vector256<float>.Zero);
                power.Store(weights + j);
                total += power;
            }
            statistics[0] = max;
            statistics[1] = 1 / Vector256.Sum(total);
            var normaliser = Vector256.Create(statistics[1]);
            for (int j = 0; j < shape.Width; j += Lanes) (Vector256.Load(weights + j) * normaliser).Store(weights + j);
            return;
        }
        var (storedShift, storedNormaliser) = (Vector256.Create(statistics[0]), Vector256.Create(statistics[1]));
        for (int j = 0; j < shape.Width; j += Lanes)
        {
            var real = Vector256.GreaterThan(Vector256.Load(flags + j), Vector256<float>.Zero);
            var power = Vector256.ConditionalSelect(real, SimdMath.Exp(Vector256.Load(weights + j) - storedShift), Vector256<float>.Zero);
            (power * storedNormaliser).Store(weights + j);
        }
    }

    /// <summary>
    /// output_j = Σ_c row_c · columns[c, j] for the W columns of a d × W matrix: eight rows of it per pass, their eight
    /// broadcast factors held in registers, the products summed as a tree so that no long chain of additions waits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowTimesColumns(Shape shape, float* row, float* columns, float* output)
    {
        int width = shape.Width;
        for (int c = 0; c < shape.Dim; c += Lanes)
        {
            var (r0, r1, r2, r3) = (Vector256.Create(row[c]), Vector256.Create(row[c + 1]), Vector256.Create(row[c + 2]), Vector256.Create(row[c + 3]));
            var (r4, r5, r6, r7) = (Vector256.Create(row[c + 4]), Vector256.Create(row[c + 5]), Vector256.Create(row[c + 6]), Vector256.Create(row[c + 7]));
            float* at = columns + (long)c * width;
            for (int j = 0; j < width; j += Lanes)
            {
                float* column = at + j;
                var sum = (r0 * Vector256.Load(column) + r1 * Vector256.Load(column + width))
                    + (r2 * Vector256.Load(column + 2 * width) + r3 * Vector256.Load(column + 3 * width))
                    + ((r4 * Vector256.Load(column + 4 * width) + r5 * Vector256.Load(column + 5 * width))
                    + (r6 * Vector256.Load(column + 6 * width) + r7 * Vector256.Load(column + 7 * width)));
                (c == 0 ? sum : sum + Vector256.Load(output + j)).Store(output + j);
            }
        }
    }

    /// <summary>output = Σ_j weights_j · rows_j over the L rows (d wide, stride E) of a pair, four partial sums per vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeightedRows(Shape shape, float* weights, float* rows, float* output)
    {
        long stride = shape.Embedding;
        for (int c = 0; c < shape.Dim; c += Lanes)
        {
            var (s0, s1, s2, s3) = (Vector256<float>.Zero, Vector256<float>.Zero, Vector256<float>.Zero, Vector256<float>.Zero);
            int j = 0;
            for (; j + 4 <= shape.Length; j += 4)
            {
                float* at = rows + j * stride + c;
                s0 += Vector256.Create(weights[j]) * Vector256.Load(at);
                s1 += Vector256.Create(weights[j + 1]) * Vector256.Load(at + stride);
                s2 += Vector256.Create(weights[j + 2]) * Vector256.Load(at + 2 * stride);
                s3 += Vector256.Create(weights[j + 3]) * Vector256.Load(at + 3 * stride);
            }
            for (; j < shape.Length; j++) s0 += Vector256.Create(weights[j]) * Vector256.Load(rows + j * stride + c);
            ((s0 + s1) + (s2 + s3)).Store(output + c);
        }
    }

    /// <summary>
    /// Draws the row's dropout factors m_ij (1 / (1 − p) kept, 0 dropped) into <paramref name="keep"/> and writes
    /// p_ij m_ij to <paramref name="dropped"/> (which may be <paramref name="weights"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Drop(Shape shape, float* weights, float* dropped, float* keep, ref RandomLanes numbers, float probability)
    {
        var threshold = RandomLanes.Threshold(1 - probability);
        var kept = Vector256.Create(1 / (1 - probability));
        for (int j = 0; j < shape.Width; j += Lanes)
        {
            var factor = Vector256.ConditionalSelect(Vector256.LessThan(numbers.Next(), threshold).AsSingle(), kept, Vector256<float>.Zero);
            factor.Store(keep + j);
            (Vector256.Load(weights + j) * factor).Store(dropped + j);
        }
    }

    /// <summary>B, L, E, the head count H and width d, W = L rounded up to whole vectors, and the B·H pairs.</summary>
    private readonly struct Shape(Tensor tokens, int heads)
    {
        public readonly int Length = (int)tokens.shape[1], Embedding = (int)tokens.shape[2], Heads = heads;
        public readonly int Dim = (int)tokens.shape[2] / heads, Width = ((int)tokens.shape[1] + Lanes - 1) / Lanes * Lanes;
        public readonly int Pairs = (int)tokens.shape[0] * heads;

        /// <summary>Where pair (b, h)'s slice of row 0 starts in a (B, L, E) tensor.</summary>
        public long Block(int pair) => (long)(pair / Heads) * Length * Embedding + (long)(pair % Heads) * Dim;
    }
}
