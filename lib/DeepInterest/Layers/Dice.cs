using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepInterest.Layers;

/// <summary>
/// Dice activation (Zhou et al., DIN, KDD'18, Eq. 9): f(s) = p(s)·s + (1 − p(s))·α·s with
/// p(s) = σ((s − E[s]) / √(Var[s] + ε)). E and Var are the mini-batch statistics in training and running
/// averages in evaluation, so the rectifier's inflection point follows the data. α is learned per unit.
/// Input (N, H); the statistics are per unit over N.
/// </summary>
public sealed class Dice : Module<Tensor, Tensor>
{
    private readonly BatchNorm1d standardize;
    private readonly Parameter alpha;

    public Dice(long units, double epsilon = 1e-8, double momentum = 0.01) : base(nameof(Dice))
    {
        standardize = BatchNorm1d(units, eps: epsilon, momentum: momentum, affine: false);
        alpha = Parameter(zeros(units));
        RegisterComponents();
    }

    public override Tensor forward(Tensor s)
    {
        using var scope = NewDisposeScope();
        // A single row has no batch variance (BatchNorm refuses it in training): standardize it with the running statistics.
        var standardized = training && s.shape[0] < 2
            ? functional.batch_norm(s, standardize.running_mean, standardize.running_var, training: false, eps: standardize.eps)
            : standardize.forward(s);
        var p = standardized.sigmoid();                  // (N, H)
        return (p * s + (1 - p) * alpha * s).MoveToOuterDisposeScope();
    }
}
