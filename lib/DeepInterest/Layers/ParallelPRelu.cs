using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using DeepInterest.Platform;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static DeepInterest.Layers.TensorMemory;
using static TorchSharp.torch.autograd;
using static TorchSharp.torch.nn;

namespace DeepInterest.Layers;

/// <summary>
/// PReLU (He et al., "Delving Deep into Rectifiers", ICCV 2015, Eq. 1): f(x) = x for x &gt; 0, else a_c·x, with one
/// learned slope a_c per channel (dimension 1 of (N, C)); DIN uses it in both MLPs (paper §4.3). The same parameter
/// ("weight", (C), initialised to <c>init</c>) and arithmetic as <c>nn.PReLU</c>, so checkpoints load either way. The
/// difference is the CPU backward pass: libtorch's is a scalar loop that writes an (N, C) slope gradient and then sums
/// it. For DIN's attention MLP (12,800 × 80 and 12,800 × 40, 2 threads) its forward + backward took 7.3–8.6 ms, the
/// forward alone 0.2–0.3 ms. <see cref="PReluKernels"/> does each pass in one SIMD sweep over the rows, split over the
/// intra-op threads, the slope gradient summed per thread in double: 2.7–3.7 ms for the same two layers. Other devices,
/// dtypes and shapes (C not a multiple of 8, more than two dimensions): <c>functional.prelu</c>.
/// </summary>
public sealed class ParallelPRelu : Module<Tensor, Tensor>
{
    private readonly Parameter weight;

    public ParallelPRelu(long channels, double init = 0.25) : base(nameof(ParallelPRelu))
    {
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "PReLU needs at least one channel");
        weight = Parameter(full(channels, init));
        RegisterComponents();
    }

    /// <summary>(N, C) → (N, C); other shapes as <c>nn.PReLU</c> (channels on dimension 1).</summary>
    public override Tensor forward(Tensor input) =>
        PReluKernels.Supports(input, weight) ? PReluFunction.Apply(input, weight) : nn.functional.prelu(input, weight);
}

/// <summary>PReLU as one autograd node whose passes are <see cref="PReluKernels"/>'.</summary>
internal sealed class PReluFunction : MultiTensorFunction<PReluFunction>
{
    public override string Name => nameof(PReluFunction);

    public static Tensor Apply(Tensor input, Tensor weight) => apply(input, weight)[0];

    public override List<Tensor> forward(AutogradContext ctx, params object[] vars)
    {
        using var scope = NewDisposeScope();
        var (input, weight) = (((Tensor)vars[0]).contiguous(), ((Tensor)vars[1]).contiguous()); // (N, C), (C)
        var output = empty_like(input);                                                      // (N, C)
        PReluKernels.Forward(input, weight, output);
        foreach (var tensor in new[] { input, weight, output }) tensor.MoveToOuterDisposeScope(); // alive until the node saves them
        ctx.save_for_backward([input, weight]);
        return [output];
    }

    public override List<Tensor> backward(AutogradContext ctx, List<Tensor> gradOutputs)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var (input, weight) = (saved[0], saved[1]);                                         // (N, C), (C)
        var outputGrad = gradOutputs[0].contiguous();                                        // (N, C)
        var (inputGrad, weightGrad) = (empty_like(input), empty_like(weight));               // (N, C), (C)
        PReluKernels.Backward(input, weight, outputGrad, inputGrad, weightGrad);
        var grads = new List<Tensor> { inputGrad, weightGrad };
        foreach (var grad in grads) grad.MoveToOuterDisposeScope();
        ctx.save_data("gradients", grads); // keeps them reachable until libtorch has taken them, whatever the caller's scopes
        return grads;
    }
}

/// <summary>
/// PReLU's passes over float32 CPU memory, eight channels at a time: forward y = x &gt; 0 ? x : a_c·x; backward
/// ∂L/∂x = g where x &gt; 0, else a_c·g (libtorch's choice at x = 0), and ∂L/∂a_c = Σ_rows g·x over x ≤ 0.
/// </summary>
internal static unsafe class PReluKernels
{
    private const int Lanes = 8;
    private const int RowsPerPart = 1024;

    /// <summary>2-D float32 CPU input (N, C) with C = the weight's length, a multiple of 8, under 2³¹ elements.</summary>
    public static bool Supports(Tensor input, Tensor weight) => Vector256.IsHardwareAccelerated && input.dim() == 2
        && input.device_type == DeviceType.CPU && input.dtype == ScalarType.Float32 && weight.dtype == ScalarType.Float32
        && weight.dim() == 1 && input.shape[1] == weight.shape[0] && input.shape[1] % Lanes == 0 && input.numel() <= int.MaxValue;

    public static void Forward(Tensor input, Tensor weight, Tensor output)
    {
        int rows = (int)input.shape[0], channels = (int)input.shape[1], parts = OpenMpTeam.PartsFor(rows, RowsPerPart);
        OpenMpTeam.Run(parts, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int part) => // hot from its first call
        {
            var (first, count) = OpenMpTeam.Share(rows, parts, part);
            fixed (float* x = Floats(input), a = Floats(weight), y = Floats(output))
                for (long at = (long)first * channels, end = at + (long)count * channels; at < end; at += channels)
                    for (int c = 0; c < channels; c += Lanes)
                    {
                        var value = Vector256.Load(x + at + c);
                        Vector256.ConditionalSelect(Vector256.GreaterThan(value, Vector256<float>.Zero), value, value * Vector256.Load(a + c))
                            .Store(y + at + c);
                    }
        });
    }

    public static void Backward(Tensor input, Tensor weight, Tensor outputGrad, Tensor inputGrad, Tensor weightGrad)
    {
        int rows = (int)input.shape[0], channels = (int)input.shape[1], parts = OpenMpTeam.PartsFor(rows, RowsPerPart);
        var partSums = new double[parts, channels];
        OpenMpTeam.Run(parts, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int part) =>
        {
            var (first, count) = OpenMpTeam.Share(rows, parts, part);
            var block = new float[channels];                                                // Σ g·x over x ≤ 0, a block of rows at a time
            fixed (float* x = Floats(input), a = Floats(weight), g = Floats(outputGrad), dx = Floats(inputGrad), sums = block)
                for (int row = first, end = first + count; row < end; row += 256)
                {
                    Array.Clear(block);
                    for (long at = (long)row * channels, stop = (long)Math.Min(end, row + 256) * channels; at < stop; at += channels)
                        for (int c = 0; c < channels; c += Lanes)
                        {
                            var (value, grad) = (Vector256.Load(x + at + c), Vector256.Load(g + at + c));
                            var positive = Vector256.GreaterThan(value, Vector256<float>.Zero);
                            Vector256.ConditionalSelect(positive, grad, grad * Vector256.Load(a + c)).Store(dx + at + c);
                            (Vector256.Load(sums + c) + Vector256.ConditionalSelect(positive, Vector256<float>.Zero, grad * value)).Store(sums + c);
                        }
                    for (int c = 0; c < channels; c++) partSums[part, c] += block[c];
                }
        });
        var slopeGrad = Floats(weightGrad);
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int part = 0; part < parts; part++) sum += partSums[part, c];
            slopeGrad[c] = (float)sum;
        }
    }

}
