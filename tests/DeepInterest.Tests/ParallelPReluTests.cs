using DeepInterest.Layers;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace DeepInterest.Tests;

/// <summary>PReLU with one-pass SIMD kernels: values and both gradients as libtorch's PReLU, on the kernel path and off it.</summary>
public class ParallelPReluTests
{
    /// <summary>Output, ∂L/∂x and ∂L/∂a of the layer and of <c>functional.prelu</c> with the same slopes, for random
    /// inputs with exact zeros among them (where libtorch takes the slope) and random upstream gradients.</summary>
    [Theory]
    [InlineData(37, 8, 1)]
    [InlineData(3000, 80, 2)]   // several parts of rows on two threads
    [InlineData(50, 12, 1)]     // 12 channels: libtorch's PReLU
    [InlineData(0, 16, 1)]      // no rows
    public void MatchesLibTorchsPReluInValuesAndGradients(int rows, int channels, int threads)
    {
        using var scope = NewDisposeScope();
        using var threadCount = TestSetup.Threads(threads);
        random.manual_seed(3);
        var layer = new ParallelPRelu(channels);
        using (no_grad()) layer.parameters().Single().uniform_(-0.5, 0.5);
        var slopes = layer.parameters().Single().detach().clone().requires_grad_();
        var input = randn(rows, channels).masked_fill(rand(rows, channels) < 0.05, 0);  // (N, C) with zeros
        var upstream = randn(rows, channels);
        var (x1, x2) = (input.clone().requires_grad_(), input.clone().requires_grad_());
        var output = layer.forward(x1);
        var expected = nn.functional.prelu(x2, slopes);
        (output * upstream).sum().backward();
        (expected * upstream).sum().backward();
        Assert.True(output.allclose(expected, 0, 0), "outputs differ");
        Assert.True(x1.grad!.allclose(x2.grad!, 0, 0), "input gradients differ");
        Assert.True(layer.parameters().Single().grad!.allclose(slopes.grad!, 1e-5, 1e-4), "slope gradients differ");
        Assert.Equal(rows > 0, slopes.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void KeepsNnPReLUsParameterNameAndStartingSlope()
    {
        using var scope = NewDisposeScope();
        var (ours, theirs) = (new ParallelPRelu(8, init: 0.25), nn.PReLU(8, init: 0.25));
        Assert.Equal(theirs.state_dict().Keys, ours.state_dict().Keys);
        Assert.True(ours.state_dict()["weight"].allclose(theirs.state_dict()["weight"]));
        var input = randn(4, 8, 3);                                                           // three dimensions: libtorch's path, channels on dim 1
        Assert.True(ours.forward(input).allclose(theirs.forward(input)));
    }
}
