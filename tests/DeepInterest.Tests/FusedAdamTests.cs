using DeepInterest.Training;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace DeepInterest.Tests;

/// <summary><see cref="FusedAdam"/>: the trajectory of TorchSharp's <c>optim.Adam</c>, on the kernel path and off it.</summary>
public class FusedAdamTests
{
    /// <summary>Twin parameter sets, the same random gradients each step, 25 steps: parameters and both moments agree to
    /// float rounding (the kernel multiplies and adds where libtorch may fuse them). 70,001 elements: several parts on
    /// two threads and a tail shorter than a vector. A last parameter never gets a gradient and must not move.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void FollowsTorchSharpsAdam(int threads)
    {
        using var scope = NewDisposeScope();
        using var threadCount = TestSetup.Threads(threads);
        random.manual_seed(11);
        var shapes = new long[][] { [70_001], [13, 8], [5] };
        var ours = shapes.Select(s => new Parameter(randn(s))).Append(new Parameter(randn(4))).ToArray();
        var theirs = ours.Select(p => new Parameter(p.detach().clone())).ToArray();
        var start = ours.Select(p => p.detach().clone()).ToArray();
        using var fused = new FusedAdam(ours, lr: 2e-3);
        using var reference = optim.Adam(theirs, lr: 2e-3);
        for (int step = 0; step < 25; step++)
        {
            for (int i = 0; i < shapes.Length; i++)
            {
                var grad = randn(shapes[i]) * (i + 1) * 0.1;
                ours[i].grad = grad.clone();
                theirs[i].grad = grad.clone();
            }
            fused.step();
            reference.step();
        }
        for (int i = 0; i < shapes.Length; i++)
            Assert.True(ours[i].allclose(theirs[i], rtol: 1e-5, atol: 1e-6), $"parameter {i} differs");
        var (ourState, theirState) = (fused.state_dict().State, reference.state_dict().State);
        for (int i = 0; i < shapes.Length; i++)
        {
            var (a, b) = ((Adam.State)ourState[i], (Adam.State)theirState[i]);
            Assert.Equal(b.step, a.step);
            Assert.True(a.exp_avg.allclose(b.exp_avg, rtol: 1e-5, atol: 1e-7), $"first moment {i} differs");
            Assert.True(a.exp_avg_sq.allclose(b.exp_avg_sq, rtol: 1e-5, atol: 1e-9), $"second moment {i} differs");
        }
        Assert.All(Enumerable.Range(0, shapes.Length), i => Assert.False(ours[i].allclose(start[i]), $"parameter {i} did not move"));
        Assert.True(ours[^1].allclose(start[^1], 0, 0), "the parameter without a gradient moved");
        Assert.Equal(0, ((Adam.State)ourState[^1]).step);                                  // and took no step
    }

    [Fact]
    public void Float64ParametersAndParametersWithoutGradientsTakeTorchSharpsStep()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(12);
        var ours = new[] { new Parameter(randn(6, 4, dtype: ScalarType.Float64)), new Parameter(randn(3)) };
        var theirs = ours.Select(p => new Parameter(p.detach().clone())).ToArray();
        using var fused = new FusedAdam(ours, lr: 1e-2);
        using var reference = optim.Adam(theirs, lr: 1e-2);
        for (int step = 0; step < 3; step++)
        {
            var grad = randn(6, 4, dtype: ScalarType.Float64);
            ours[0].grad = grad.clone();
            theirs[0].grad = grad.clone();
            fused.step();
            reference.step();
        }
        Assert.True(ours[0].allclose(theirs[0], rtol: 0, atol: 0), "float64 parameters differ");
        Assert.True(ours[1].allclose(theirs[1], rtol: 0, atol: 0), "a parameter without a gradient moved");
    }

    /// <summary>
    /// <c>zero_grad</c> sets the gradients to none: the next backward pass's gradient is then the parameter's gradient
    /// as it is, exactly what adding it into zeros gives (0 + g = g), so a step where every parameter gets a gradient
    /// is unchanged; a parameter that gets none this time is left alone, as in PyTorch.
    /// </summary>
    [Fact]
    public void ZeroGradLeavesNoGradientAndBackwardHandsItsOwnOver()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(13);
        var (used, unused) = (new Parameter(randn(5)), new Parameter(randn(3)));
        using var fused = new FusedAdam([used, unused], lr: 1e-2);
        (used * used).sum().add(unused.sum()).backward();
        fused.step();
        fused.zero_grad();
        Assert.Null(used.grad);
        Assert.Null(unused.grad);
        var before = unused.detach().clone();
        var weights = randn(5);
        (used * weights).sum().backward();                                                  // d/dused = weights
        Assert.True(used.grad!.allclose(weights, 0, 0), "the gradient is not the backward pass's own");
        fused.step();
        Assert.True(unused.allclose(before, 0, 0), "a parameter without a gradient moved");
    }
}
