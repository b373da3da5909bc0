using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using DeepInterest.Data;
using DeepInterest.Platform;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepInterest.Layers;

/// <summary>
/// Inverted dropout (Srivastava et al., JMLR 2014): in training each element is kept with probability 1 − p and scaled
/// by 1 / (1 − p), else zeroed, so that the expected output is the input; in evaluation the input passes unchanged.
/// The same as <c>nn.Dropout</c>, except where the keep-mask comes from on the CPU: libtorch draws Bernoulli numbers
/// with one serial Mersenne twister (in parallel through MKL only on Intel CPUs), about 9 ns per element here, which
/// made BST's three dropouts about a third of its training step. <see cref="DropoutMask"/> fills the mask in SIMD passes
/// split over the intra-op threads instead. Seeded from libtorch's default generator, so <c>torch.manual_seed</c> makes
/// it repeatable, and the mask does not depend on the thread count. GPUs, other dtypes: <c>functional.dropout</c>.
/// </summary>
public sealed class ParallelDropout : Module<Tensor, Tensor>
{
    /// <summary>The probability p of zeroing an element in training.</summary>
    public double Probability { get; }

    public ParallelDropout(double probability) : base(nameof(ParallelDropout))
    {
        if (!(probability >= 0 && probability < 1))
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "dropout probability must be in [0, 1)");
        Probability = probability;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => Apply(input, Probability, training);

    /// <summary>Dropout of <paramref name="input"/> with probability <paramref name="probability"/> when <paramref name="training"/>.</summary>
    public static Tensor Apply(Tensor input, double probability, bool training)
    {
        if (!training || probability == 0) return input;
        if (!DropoutMask.Supports(input)) return functional.dropout(input, probability, training);
        using var scope = NewDisposeScope();
        var mask = empty(input.shape, dtype: input.dtype, device: input.device);     // same shape, contiguous
        long seed = randint(0, long.MaxValue, [1], dtype: ScalarType.Int64, device: input.device).item<long>(); // libtorch's CPU generator
        DropoutMask.Fill(mask, probability, seed);
        return input.mul(mask).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A float32 CPU tensor filled with 1 / (1 − p) with probability 1 − p and 0 otherwise. The numbers come from
/// <see cref="RandomLanes"/>, one stream per block of 2¹⁶ elements, so blocks can be filled in any order on any thread.
/// An element is kept when its 24 bits, as a fraction of 2²⁴, fall below 1 − p: p is honoured to 2⁻²⁴.
/// </summary>
internal static unsafe class DropoutMask
{
    private const int Lanes = 8;
    private const int BlockSize = 1 << 16;

    /// <summary>Whether <see cref="Fill"/> takes a mask for <paramref name="input"/>: float32 in CPU memory, under 2³¹ elements.</summary>
    public static bool Supports(Tensor input) => Vector256.IsHardwareAccelerated && input.device_type == DeviceType.CPU
        && input.dtype == ScalarType.Float32 && input.numel() <= int.MaxValue;

    public static void Fill(Tensor mask, double probability, long seed)
    {
        int count = (int)mask.numel(), blocks = (count + BlockSize - 1) / BlockSize;
        int parts = OpenMpTeam.PartsFor(blocks, 1);
        float keep = (float)(1 - probability), scale = (float)(1 / (1 - probability));
        OpenMpTeam.Run(parts, part =>
        {
            var values = TensorMemory.Floats(mask);
            for (int block = part; block < blocks; block += parts)
            {
                int first = block * BlockSize;
                FillBlock(values.Slice(first, Math.Min(BlockSize, count - first)), keep, scale, seed, block);
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FillBlock(Span<float> values, float keep, float scale, long seed, int block)
    {
        var numbers = new RandomLanes(seed, block);
        var threshold = RandomLanes.Threshold(keep);
        var kept = Vector256.Create(scale);
        Span<float> tail = stackalloc float[Lanes];
        fixed (float* start = values)
            for (int at = 0; at < values.Length; at += Lanes)
            {
                var mask = Vector256.ConditionalSelect(Vector256.LessThan(numbers.Next(), threshold).AsSingle(), kept, Vector256<float>.Zero);
                if (at + Lanes <= values.Length) mask.Store(start + at);
                else
                {
                    mask.CopyTo(tail);
                    tail[..(values.Length - at)].CopyTo(values[at..]);
                }
            }
    }
}

/// <summary>
/// xoshiro128+ (Blackman and Vigna, 2018) in eight SIMD lanes: stream <c>s</c> of a seed has its own state, from
/// SplitMix64 (<see cref="RandomStreams.Mix"/>) over (seed, s), so streams can be drawn in any order on any thread.
/// <see cref="Next"/> gives the top 24 bits of eight 32-bit numbers; compared with <see cref="Threshold"/>(q) each is
/// below with probability q, to 2⁻²⁴.
/// </summary>
internal struct RandomLanes
{
    private Vector256<uint> s0, s1, s2, s3;

    public RandomLanes(long seed, long stream)
    {
        ulong state = (ulong)seed ^ (ulong)stream * RandomStreams.Golden;
        Span<uint> words = stackalloc uint[4 * Vector256<uint>.Count];
        for (int k = 0; k < words.Length; k++) words[k] = (uint)RandomStreams.Mix(state + (ulong)k * RandomStreams.Golden); // SplitMix64 from state
        int lanes = Vector256<uint>.Count;
        (s0, s1, s2, s3) = (Vector256.Create<uint>(words[..lanes]), Vector256.Create<uint>(words.Slice(lanes, lanes)),
            Vector256.Create<uint>(words.Slice(2 * lanes, lanes)), Vector256.Create<uint>(words.Slice(3 * lanes, lanes)));
    }

    /// <summary>The bound below which a number falls with probability <paramref name="probability"/>.</summary>
    public static Vector256<int> Threshold(float probability) => Vector256.Create((int)(probability * (1 << 24)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<int> Next()
    {
        var bits = Vector256.ShiftRightLogical(s0 + s3, 8).AsInt32();                 // xoshiro128+ output, top 24 bits
        var shifted = Vector256.ShiftLeft(s1, 9);
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= shifted;
        s3 = Vector256.ShiftLeft(s3, 11) | Vector256.ShiftRightLogical(s3, 21);
        return bits;
    }
}
