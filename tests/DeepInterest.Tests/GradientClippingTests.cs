using DeepInterest.Training;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace DeepInterest.Tests;

/// <summary><see cref="GradientClipping"/>: the norm and the rescaled gradients of libtorch's <c>clip_grad_norm_</c>.</summary>
public class GradientClippingTests
{
    /// <summary>Gradients of global norm about 300 (a 70,001-element tensor among them: several parts on two threads and
    /// a tail shorter than a vector) and a parameter without a gradient: clipped to 5, and to 1,000 (no change).</summary>
    [Theory]
    [InlineData(5.0, 1)]
    [InlineData(5.0, 2)]
    [InlineData(1000.0, 2)]
    public void MatchesLibTorchsClipGradNorm(double maxNorm, int threads)
    {
        using var scope = NewDisposeScope();
        using var threadCount = TestSetup.Threads(threads);
        random.manual_seed(13);
        var shapes = new long[][] { [70_001], [13, 8], [5] };
        var ours = shapes.Select(s => new Parameter(randn(s))).Append(new Parameter(randn(3))).ToArray();
        var theirs = ours.Select(p => new Parameter(p.detach().clone())).ToArray();
        for (int i = 0; i < shapes.Length; i++)
        {
            var grad = randn(shapes[i]) * (i + 1);
            ours[i].grad = grad.clone();
            theirs[i].grad = grad.clone();
        }
        var untouched = ours[0].grad!.clone();

        double norm = GradientClipping.ClipGradientNorm(ours, maxNorm);
        double expectedNorm = nn.utils.clip_grad_norm_(theirs, maxNorm);

        Assert.Equal(expectedNorm, norm, 1e-6 * expectedNorm);
        for (int i = 0; i < shapes.Length; i++)
            Assert.True(ours[i].grad!.allclose(theirs[i].grad!, rtol: 1e-6, atol: 0), $"gradient {i} differs");
        Assert.Null(ours[^1].grad);
        if (maxNorm > norm) Assert.True(ours[0].grad!.allclose(untouched, 0, 0), "a gradient below the threshold changed");
        else Assert.Equal(maxNorm, Math.Sqrt(ours.Where(p => p.grad is not null).Sum(p => p.grad!.to(ScalarType.Float64).pow(2).sum().item<double>())), 1e-4);
    }

    [Fact]
    public void Float64GradientsTakeLibTorchsClipping()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(14);
        var ours = new Parameter(randn(40, dtype: ScalarType.Float64));
        var theirs = new Parameter(ours.detach().clone());
        var grad = randn(40, dtype: ScalarType.Float64) * 10;
        (ours.grad, theirs.grad) = (grad.clone(), grad.clone());
        Assert.Equal(nn.utils.clip_grad_norm_([theirs], 1.0), GradientClipping.ClipGradientNorm([ours], 1.0));
        Assert.True(ours.grad!.allclose(theirs.grad!, 0, 0));
    }
}
