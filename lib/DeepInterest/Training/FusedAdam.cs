using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using DeepInterest.Platform;
using TorchSharp;
using TorchSharp.Modules;
using static DeepInterest.Layers.TensorMemory;
using static TorchSharp.torch;

namespace DeepInterest.Training;

/// <summary>
/// Adam (Kingma and Ba, ICLR 2015, Algorithm 1) as TorchSharp's <c>optim.Adam</c> computes it, bias corrections
/// folded into the step: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², θ ← θ − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε).
/// TorchSharp runs that as seven libtorch operators per parameter tensor, an intermediate for the denominator among
/// them; on the CPU this class does it in one SIMD pass per tensor (<see cref="AdamKernels"/>) over the same state,
/// so <c>state_dict</c>, checkpoints and the learning-rate schedulers see an ordinary <c>Adam</c>. Other devices and
/// dtypes, weight decay, AMSGrad and <c>maximize</c> take TorchSharp's step.
/// </summary>
public sealed class FusedAdam : Adam
{
    public FusedAdam(IEnumerable<Parameter> parameters, double lr) : base(parameters, lr) { }

    public override Tensor step(Func<Tensor>? closure = null)
    {
        if (!_parameter_groups.All(Fusable)) return base.step(closure);
        return _step<ParamGroup>(group =>
        {
            var options = (Options)group.Options;
            foreach (var param in group.Parameters)
            {
                if (param.grad is not { } grad) continue;
                var state = (State)_state[param.Handle];
                state.step += 1;
                AdamKernels.Update(param, grad, state.exp_avg, state.exp_avg_sq, new AdamStep(options, state.step));
            }
        }, closure);
    }

    /// <summary>
    /// Sets every gradient to none instead of zeroing it in place (PyTorch's default since 2.0): the next backward pass
    /// then hands its gradients over instead of adding them into zeroed tensors, a zeroing and an adding pass over every
    /// parameter per step saved (on a real data set most of them are the embedding tables: 2.7 M parameters on the
    /// Books stand-in). A parameter that receives no gradient in a step is then left alone by it, as in PyTorch.
    /// </summary>
    public override void zero_grad()
    {
        foreach (var group in _parameter_groups)
            foreach (var param in group.Parameters)
                param.grad = null;
    }

    private bool Fusable(TorchSharp.Modules.ParamGroup group) => group.Options is Options { amsgrad: false, maximize: false, weight_decay: 0 }
        && group.Parameters.All(p => p.grad is not { } grad || AdamKernels.Supports(p, grad, (State)_state[p.Handle]));
}

/// <summary>One step's coefficients in float32, rounded as libtorch rounds its double Scalars.</summary>
internal readonly record struct AdamStep(float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2,
    float SqrtBiasCorrection2, float Epsilon, float StepSize)
{
    public AdamStep(Adam.Options options, long step) : this((float)options.beta1!.Value, (float)(1 - options.beta1.Value),
        (float)options.beta2!.Value, (float)(1 - options.beta2.Value), (float)Math.Sqrt(1 - Math.Pow(options.beta2.Value, step)),
        (float)options.eps!.Value, (float)(options.LearningRate!.Value / (1 - Math.Pow(options.beta1.Value, step))))
    { }
}

/// <summary>Adam's update of one contiguous float32 CPU tensor and its two moments, eight elements at a time.</summary>
internal static unsafe class AdamKernels
{
    private const int Lanes = 8;
    private const int ElementsPerPart = 1 << 16;

    /// <summary>A float32 CPU parameter under 2³¹ elements whose gradient and moments are contiguous float32 tensors too.</summary>
    public static bool Supports(Tensor param, Tensor grad, Adam.State state) =>
        Vector256.IsHardwareAccelerated && param.device_type == DeviceType.CPU && param.numel() <= int.MaxValue
        && new[] { param, grad, state.exp_avg, state.exp_avg_sq }.All(t => t.dtype == ScalarType.Float32 && t.is_contiguous());

    public static void Update(Tensor param, Tensor grad, Tensor firstMoment, Tensor secondMoment, AdamStep c)
    {
        int count = (int)param.numel(), parts = OpenMpTeam.PartsFor(count, ElementsPerPart);
        OpenMpTeam.Run(parts, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int part) =>
        {
            var (first, length) = OpenMpTeam.Share(count, parts, part);
            fixed (float* theta = Floats(param), g = Floats(grad), m = Floats(firstMoment), v = Floats(secondMoment))
            {
                int i = first, end = first + length;
                for (; i <= end - Lanes; i += Lanes) Lane(theta + i, g + i, m + i, v + i, c);
                for (; i < end; i++) Scalar(theta + i, g + i, m + i, v + i, c);
            }
        });
    }

    private static void Lane(float* theta, float* g, float* m, float* v, AdamStep c)
    {
        var gradient = Vector256.Load(g);
        var mean = Vector256.Load(m) * c.Beta1 + gradient * c.OneMinusBeta1;                        // m_t
        var square = Vector256.Load(v) * c.Beta2 + gradient * gradient * c.OneMinusBeta2;           // v_t
        var denominator = Vector256.Sqrt(square) / Vector256.Create(c.SqrtBiasCorrection2) + Vector256.Create(c.Epsilon);
        mean.Store(m);
        square.Store(v);
        (Vector256.Load(theta) - mean / denominator * c.StepSize).Store(theta);
    }

    private static void Scalar(float* theta, float* g, float* m, float* v, AdamStep c)
    {
        float gradient = *g;
        *m = *m * c.Beta1 + gradient * c.OneMinusBeta1;
        *v = *v * c.Beta2 + gradient * gradient * c.OneMinusBeta2;
        *theta -= *m / (MathF.Sqrt(*v) / c.SqrtBiasCorrection2 + c.Epsilon) * c.StepSize;
    }
}
