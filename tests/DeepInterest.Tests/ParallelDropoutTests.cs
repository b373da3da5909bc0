using DeepInterest.Layers;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace DeepInterest.Tests;

/// <summary>Inverted dropout with the keep-mask filled in SIMD passes: its values, its rate, its seed, its gradient.</summary>
[Collection(nameof(GlobalRandomStream))] // the seed test draws from libtorch's global generator
public class ParallelDropoutTests
{
    [Fact]
    public void EvaluationAndProbabilityZeroPassTheInputThrough()
    {
        using var scope = NewDisposeScope();
        var x = randn(5, 7);
        var dropout = new ParallelDropout(0.3);
        dropout.eval();
        Assert.Same(x, dropout.forward(x));
        Assert.Same(x, ParallelDropout.Apply(x, 0, training: true));
    }

    [Theory]
    [InlineData(0.1, 1 << 20)]
    [InlineData(0.5, 1 << 20)]
    [InlineData(0.25, 1001)] // not whole vectors: the tail is filled too
    public void KeptElementsAreScaledAndTheRateIsP(double p, int count)
    {
        using var scope = NewDisposeScope();
        var output = ParallelDropout.Apply(ones(count), p, training: true);
        var scale = (float)(1 / (1 - p));
        var values = output.data<float>().ToArray();
        Assert.All(values, v => Assert.True(v == 0 || v == scale, $"{v} is neither 0 nor {scale}"));
        double dropped = values.Count(v => v == 0) / (double)count;
        double sigma = Math.Sqrt(p * (1 - p) / count);
        Assert.InRange(dropped, p - 5 * sigma, p + 5 * sigma);
    }

    [Fact]
    public void TheMaskFollowsTorchsSeedNotTheThreadCountAndEveryBlockDrawsItsOwn()
    {
        using var scope = NewDisposeScope();
        using var threadCount = TestSetup.Threads(1);                                          // Draw changes it; disposal restores it
        Tensor Draw(int count)
        {
            set_num_threads(count);
            random.manual_seed(42);
            return ParallelDropout.Apply(ones(3 << 16), 0.5, training: true);
        }
        var (one, two) = (Draw(1), Draw(2));
        Assert.True(one.eq(two).all().item<bool>(), "the same seed gave another mask on two threads");
        Assert.False(one.eq(ParallelDropout.Apply(ones(3 << 16), 0.5, training: true)).all().item<bool>(), "a second draw repeated the first");
        var blocks = one.view(3, 1 << 16);
        Assert.False(blocks[0].eq(blocks[1]).all().item<bool>() || blocks[1].eq(blocks[2]).all().item<bool>(), "two blocks drew the same numbers");
    }

    [Fact]
    public void TheGradientIsTheMask()
    {
        using var scope = NewDisposeScope();
        var x = randn(64, 33).requires_grad_();
        var output = ParallelDropout.Apply(x, 0.2, training: true);
        output.sum().backward();
        var mask = x.grad!;                                                             // ∂Σy/∂x = mask
        Assert.True(output.allclose(x.detach() * mask, 1e-6, 1e-6));
        Assert.True(mask.eq(0).logical_or(mask.eq(1 / 0.8f)).all().item<bool>());
    }

    [Fact]
    public void OtherDtypesTakeLibTorchsDropoutAndBadRatesAreRefused()
    {
        using var scope = NewDisposeScope();
        var output = ParallelDropout.Apply(ones(1000, dtype: ScalarType.Float64), 0.5, training: true);
        Assert.True(output.eq(0).logical_or(output.eq(2)).all().item<bool>());
        Assert.Throws<ArgumentOutOfRangeException>(() => new ParallelDropout(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ParallelDropout(-0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ParallelDropout(double.NaN));
    }
}
