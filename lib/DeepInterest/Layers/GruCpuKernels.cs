using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using DeepInterest.Platform;
using TorchSharp;
using static TorchSharp.torch;
using static DeepInterest.Layers.TensorMemory;

namespace DeepInterest.Layers;

/// <summary>
/// <see cref="MaskedGruFunction"/>'s element-wise work as one pass over CPU memory each, eight floats at a time in
/// 256-bit SIMD registers (AVX2): a forward step's gates and new state; a backward step's ∂L/∂q_t and carried gradient;
/// and the backward factors K_r, K_u, K_h∘r, K_h, 1 − ũ and h̃ − h_{t−1} of every packed row. As libtorch operators the
/// same work is eight calls per step forward, two per step backward and about fifteen passes over the whole batch, each
/// reading and writing memory again; here every value is read once and written once. The formulas are
/// <see cref="MaskedGruFunction"/>'s; the matrix products stay libtorch's. Only for float32 in CPU memory, with whole
/// vectors per gate (H a multiple of 8) and buffers under 2 GB, on a CPU with 256-bit vectors (<see cref="Supports"/>);
/// everywhere else (GPUs, float64, odd sizes) the operator form runs. σ and tanh use <see cref="SimdMath.Exp"/>
/// (Cephes' expf, relative error about 2·10⁻⁷), so the results agree with libtorch's to float32 rounding, not bit for bit.
/// </summary>
internal static unsafe class GruCpuKernels
{
    private const int Lanes = 8;                                                       // floats in a Vector256

    /// <summary>
    /// Whether the kernels take a GRU whose buffers have <paramref name="tensor"/>'s dtype and device, at most
    /// <paramref name="rows"/> packed rows and this hidden size: a buffer must also fit in one span (2³¹ bytes).
    /// </summary>
    public static bool Supports(Tensor tensor, long rows, long hidden) => Vector256.IsHardwareAccelerated && hidden % Lanes == 0
        && rows * 3 * hidden <= int.MaxValue / sizeof(float) && tensor.device_type == DeviceType.CPU && tensor.dtype == ScalarType.Float32;

    /// <summary>
    /// One forward step over n rows. <paramref name="gates"/> (n, G·H) holds p = W i_t + b on entry and r_t[, u_t], h̃_t
    /// on exit; <paramref name="fromState"/> (n, G·H) is q = U h_{t−1}; <paramref name="weights"/> (n) the step weights
    /// w_t; <paramref name="next"/> (n, H) receives h_t = h_{t−1} + ũ_t ∘ (h̃_t − h_{t−1}), ũ_t = w_t·u_t (AGRU: w_t).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from its first call: tier-0 code would not keep vectors in registers
    public static void ForwardStep(Span<float> gates, ReadOnlySpan<float> fromState, ReadOnlySpan<float> previous,
        Span<float> next, ReadOnlySpan<float> weights, int hidden, bool hasUpdateGate)
    {
        int rows = weights.Length, width = (hasUpdateGate ? 3 : 2) * hidden, candidateAt = width - hidden; // G·H, h̃'s offset
        Require(gates.Length == rows * width && fromState.Length == rows * width && previous.Length == rows * hidden && next.Length == rows * hidden);
        fixed (float* gateRows = gates, projectionRows = fromState, stateRows = previous, nextRows = next, weightRows = weights)
            for (int row = 0; row < rows; row++)
            {
                float* p = gateRows + row * width, q = projectionRows + row * width;
                float* state = stateRows + row * hidden, nextState = nextRows + row * hidden;
                var weight = Vector256.Create(weightRows[row]);
                for (int unit = 0; unit < hidden; unit += Lanes)
                {
                    var reset = Sigmoid(Vector256.Load(p + unit) + Vector256.Load(q + unit));                        // r_t
                    var updateGate = hasUpdateGate
                        ? Sigmoid(Vector256.Load(p + hidden + unit) + Vector256.Load(q + hidden + unit))               // u_t
                        : Vector256<float>.One;
                    var candidate = Tanh(Vector256.Load(p + candidateAt + unit) + reset * Vector256.Load(q + candidateAt + unit)); // h̃_t
                    var h = Vector256.Load(state + unit);
                    reset.Store(p + unit);
                    if (hasUpdateGate) updateGate.Store(p + hidden + unit);
                    candidate.Store(p + candidateAt + unit);
                    (h + weight * updateGate * (candidate - h)).Store(nextState + unit);                               // ũ_t = w_t·u_t
                }
            }
    }

    /// <summary>
    /// One backward step's element-wise work over n rows: <paramref name="projected"/> (n, G, H) holds the factors
    /// ∂q_t/∂… per unit of g_t on entry and ∂L/∂q_t = factors ∘ g_t on exit; the first <paramref name="carried"/> rows add
    /// g_t ∘ (1 − ũ_t) to <paramref name="previousGrad"/> (carried, H), g_{t−1} before its matrix product.
    /// <paramref name="stepGrad"/> (n, H) is g_t, <paramref name="carry"/> (n, H) or (n, 1) is 1 − ũ_t.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardStep(ReadOnlySpan<float> stepGrad, Span<float> projected, ReadOnlySpan<float> carry,
        Span<float> previousGrad, int carried, int gateCount, int hidden)
    {
        int rows = stepGrad.Length / hidden, width = gateCount * hidden, carryWidth = carry.Length / rows;
        Require(projected.Length == rows * width && (carryWidth == 1 || carryWidth == hidden) && carried <= rows && previousGrad.Length == carried * hidden);
        fixed (float* gradRows = stepGrad, factorRows = projected, carryRows = carry, previousRows = previousGrad)
            for (int row = 0; row < rows; row++)
            {
                float* grad = gradRows + row * hidden, factors = factorRows + row * width, target = previousRows + row * hidden;
                for (int unit = 0; unit < hidden; unit += Lanes)
                {
                    var g = Vector256.Load(grad + unit);
                    for (int gate = 0; gate < gateCount; gate++)
                        (Vector256.Load(factors + gate * hidden + unit) * g).Store(factors + gate * hidden + unit);
                    if (row >= carried) continue;
                    var keep = carryWidth == 1 ? Vector256.Create(carryRows[row]) : Vector256.Load(carryRows + row * hidden + unit);
                    (Vector256.Load(target + unit) + g * keep).Store(target + unit);
                }
            }
    }

    /// <summary>
    /// The backward factors of every packed row, split over the intra-op threads (<see cref="OpenMpTeam"/>): into <paramref name="projected"/>
    /// (N, G, H) K_r = K_h∘q_h∘r∘(1 − r), K_u = w∘u∘(1 − u)∘(h̃ − h_{t−1}), K_h∘r; into <paramref name="kCandidate"/>
    /// (N, H) K_h = ũ∘(1 − h̃²); into <paramref name="carry"/> 1 − ũ, (N, H), or (N, 1) without an update gate; and into
    /// <paramref name="change"/> (N, H) h̃ − h_{t−1} when given. <paramref name="gates"/> (N, G·H) holds r[, u], h̃,
    /// <paramref name="fromState"/> (N, G·H) q, <paramref name="previous"/> (N, H) h_{t−1}, <paramref name="weights"/> (N) w.
    /// </summary>
    public static void BackwardFactors(Tensor gates, Tensor fromState, Tensor previous, Tensor weights, Tensor projected,
        Tensor kCandidate, Tensor carry, Tensor? change)
    {
        int rows = (int)gates.shape[0], width = (int)gates.shape[1], hidden = (int)previous.shape[1], carryWidth = (int)carry.shape[1];
        int parts = OpenMpTeam.PartsFor(rows, 256);
        void Part(int part)
        {
            var (first, count) = OpenMpTeam.Share(rows, parts, part);
            BackwardFactors(Floats(gates).Slice(first * width, count * width), Floats(fromState).Slice(first * width, count * width),
                Floats(previous).Slice(first * hidden, count * hidden), Floats(weights).Slice(first, count),
                Floats(projected).Slice(first * width, count * width), Floats(kCandidate).Slice(first * hidden, count * hidden),
                Floats(carry).Slice(first * carryWidth, count * carryWidth),
                change is null ? default : Floats(change).Slice(first * hidden, count * hidden), width, hidden);
        }
        OpenMpTeam.Run(parts, Part);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called once per pass, so never hot enough to be re-jitted
    private static void BackwardFactors(ReadOnlySpan<float> gates, ReadOnlySpan<float> fromState, ReadOnlySpan<float> previous,
        ReadOnlySpan<float> weights, Span<float> projected, Span<float> kCandidate, Span<float> carry, Span<float> change, int width, int hidden)
    {
        int rows = weights.Length, candidateAt = width - hidden;
        bool hasUpdateGate = width == 3 * hidden, wantsChange = !change.IsEmpty;
        Require(gates.Length == rows * width && fromState.Length == rows * width && projected.Length == rows * width
            && previous.Length == rows * hidden && kCandidate.Length == rows * hidden
            && carry.Length == rows * (hasUpdateGate ? hidden : 1) && (!wantsChange || change.Length == rows * hidden));
        var one = Vector256<float>.One;
        fixed (float* gateRows = gates, projectionRows = fromState, stateRows = previous, weightRows = weights, factorRows = projected,
               candidateRows = kCandidate, carryRows = carry, changeRows = change)
            for (int row = 0; row < rows; row++)
            {
                float* g = gateRows + row * width, q = projectionRows + row * width, k = factorRows + row * width;
                float* state = stateRows + row * hidden, kh = candidateRows + row * hidden;
                var weight = Vector256.Create(weightRows[row]);
                if (!hasUpdateGate) carryRows[row] = 1 - weightRows[row];                  // (N, 1) 1 − w
                for (int unit = 0; unit < hidden; unit += Lanes)
                {
                    var (reset, candidate) = (Vector256.Load(g + unit), Vector256.Load(g + candidateAt + unit));
                    var updateGate = hasUpdateGate ? Vector256.Load(g + hidden + unit) : one;
                    var update = weight * updateGate;                                          // ũ
                    var candidateFactor = update * (one - candidate * candidate);              // K_h = ũ∘(1 − h̃²)
                    var difference = candidate - Vector256.Load(state + unit);                 // h̃ − h_{t−1}
                    (candidateFactor * Vector256.Load(q + candidateAt + unit) * reset * (one - reset)).Store(k + unit); // K_r
                    if (hasUpdateGate)
                    {
                        (update * (one - updateGate) * difference).Store(k + hidden + unit);   // K_u
                        (one - update).Store(carryRows + row * hidden + unit);
                    }
                    (candidateFactor * reset).Store(k + candidateAt + unit);                  // K_h∘r
                    candidateFactor.Store(kh + unit);
                    if (wantsChange) difference.Store(changeRows + row * hidden + unit);
                }
            }
    }

    /// <summary>σ(x) = 1 / (1 + e^{−x}).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Sigmoid(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + SimdMath.Exp(-x));

    /// <summary>tanh(x) = 2σ(2x) − 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Tanh(Vector256<float> x) =>
        Vector256.Create(2f) / (Vector256<float>.One + SimdMath.Exp(x * -2f)) - Vector256<float>.One;

    /// <summary>The spans' sizes are checked once per call, so that the pointer loops cannot leave them.</summary>
    private static void Require(bool sizesAgree)
    {
        if (!sizesAgree) throw new ArgumentException("GRU kernel buffers do not match the row count, gate count and hidden size");
    }
}
