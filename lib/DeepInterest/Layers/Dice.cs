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
/// <para>
/// The running averages are updated with momentum max(1/n, <c>momentum</c>) at the n-th training batch: the exact
/// mean of the batch statistics seen so far for the first 1/momentum batches (PyTorch's <c>momentum=None</c>), then
/// an exponential average over roughly the last 1/momentum batches (default 0.1: about the last ten). Why: validation
/// (early stopping), test and serving all run on these statistics. A small fixed momentum (DeepCTR's Dice keeps Keras'
/// default 0.99, i.e. 0.01 here) keeps 0.99^k of the starting values (mean 0, variance 1) after k steps: 32 % after the
/// ~114 steps of one epoch on the default synthetic data, 86 % in a smoke run. A fixed 0.1 alone would still keep
/// 0.9^k, much of it in a short run; the cumulative start drops the starting values at the first batch. n is
/// BatchNorm's <c>num_batches_tracked</c> buffer, saved and restored with the weights.
/// </para>
/// </summary>
public sealed class Dice : Module<Tensor, Tensor>
{
    private readonly BatchNorm1d standardize;
    private readonly Parameter alpha;
    private readonly double momentum;

    public Dice(long units, double epsilon = 1e-8, double momentum = 0.1) : base(nameof(Dice))
    {
        if (!(momentum > 0 && momentum <= 1))
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "Dice's running-statistics momentum must be in (0, 1]");
        this.momentum = momentum;
        standardize = BatchNorm1d(units, eps: epsilon, momentum: momentum, affine: false);
        alpha = Parameter(zeros(units));
        RegisterComponents();
    }

    public override Tensor forward(Tensor s)
    {
        using var scope = NewDisposeScope();
        bool singleRow = s.shape[0] < 2;
        if (training && !singleRow)
        {
            long n = standardize.num_batches_tracked!.item<long>() + 1;   // this batch's number (BatchNorm counts it in forward)
            standardize.momentum = Math.Max(1.0 / n, momentum);
        }
        // A single row has no batch variance (BatchNorm refuses it in training): standardize it with the running statistics.
        var standardized = training && singleRow
            ? functional.batch_norm(s, standardize.running_mean, standardize.running_var, training: false, eps: standardize.eps)
            : standardize.forward(s);
        var p = standardized.sigmoid();                  // (N, H)
        return (p * s + (1 - p) * alpha * s).MoveToOuterDisposeScope();
    }
}
