using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using DeepInterest.Platform;
using TorchSharp;
using TorchSharp.Modules;
using static DeepInterest.Layers.TensorMemory;
using static TorchSharp.torch;

namespace DeepInterest.Training;

/// <summary>
/// Gradient-norm clipping (Pascanu, Mikolov and Bengio, ICML 2013, Algorithm 2), the rule of libtorch's
/// <c>nn.utils.clip_grad_norm_</c>: with the global norm ‖g‖ = √(Σ_k ‖g_k‖²) over every parameter's gradient,
/// g ← g · c / (‖g‖ + 10⁻⁶) when that factor is below 1. libtorch takes one norm operator per tensor, a stack, a norm
/// and a multiplication per tensor; on the CPU this class reads each gradient once (squares summed in double, eight
/// elements at a time) and rescales in place only when the factor applies. Gradients elsewhere or of another dtype:
/// libtorch's.
/// </summary>
public static unsafe class GradientClipping
{
    private const int Lanes = 8;
    private const int ElementsPerPart = 1 << 16;

    /// <summary>Clips the gradients of <paramref name="parameters"/> to global norm <paramref name="maxNorm"/>; returns the norm before clipping.</summary>
    public static double ClipGradientNorm(IEnumerable<Parameter> parameters, double maxNorm)
    {
        var all = parameters.ToList();
        var gradients = all.Select(p => p.grad).OfType<Tensor>().ToList();
        if (!gradients.All(Supports)) return nn.utils.clip_grad_norm_(all, maxNorm);
        double norm = Math.Sqrt(gradients.Sum(SumOfSquares));
        double factor = maxNorm / (norm + 1e-6);
        if (factor < 1) gradients.ForEach(g => Scale(g, (float)factor));
        return norm;
    }

    private static bool Supports(Tensor gradient) => Vector256.IsHardwareAccelerated && gradient.device_type == DeviceType.CPU
        && gradient.dtype == ScalarType.Float32 && gradient.is_contiguous() && gradient.numel() <= int.MaxValue;

    private static double SumOfSquares(Tensor gradient)
    {
        int count = (int)gradient.numel(), parts = OpenMpTeam.PartsFor(count, ElementsPerPart);
        var sums = new double[parts];
        OpenMpTeam.Run(parts, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int part) =>
        {
            var (first, length) = OpenMpTeam.Share(count, parts, part);
            fixed (float* g = Floats(gradient))
            {
                int i = first, end = first + length;
                var lanes = Vector256<double>.Zero;
                for (; i <= end - Lanes; i += Lanes)
                {
                    var (low, high) = Vector256.Widen(Vector256.Load(g + i));
                    lanes += low * low + high * high;
                }
                double sum = Vector256.Sum(lanes);
                for (; i < end; i++) sum += (double)g[i] * g[i];
                sums[part] = sum;
            }
        });
        return sums.Sum();
    }

    private static void Scale(Tensor gradient, float factor)
    {
        int count = (int)gradient.numel(), parts = OpenMpTeam.PartsFor(count, ElementsPerPart);
        OpenMpTeam.Run(parts, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int part) =>
        {
            var (first, length) = OpenMpTeam.Share(count, parts, part);
            fixed (float* g = Floats(gradient))
            {
                int i = first, end = first + length;
                for (; i <= end - Lanes; i += Lanes) (Vector256.Load(g + i) * factor).Store(g + i);
                for (; i < end; i++) g[i] *= factor;
            }
        });
    }
}
