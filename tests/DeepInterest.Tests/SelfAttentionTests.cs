using DeepInterest.Layers;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace DeepInterest.Tests;

/// <summary><see cref="SelfAttentionFunction"/>'s kernels against the textbook form, values and gradients.</summary>
[Collection(nameof(GlobalRandomStream))]
public class SelfAttentionTests
{
    /// <summary>Rows: left padding, all padding, all real, a hole (4 rows of L = 11, not a whole number of vectors).</summary>
    private static Tensor Mask(long length) => stack(
    [
        arange(length).ge(4), zeros(length, dtype: ScalarType.Bool), ones(length, dtype: ScalarType.Bool), arange(length).ne(5),
    ]);

    /// <summary>softmax(q kᵀ / √d + c) times the dropout factors (B, H, L, L) when given, then · v; heads side by side.</summary>
    private static Tensor Reference(Tensor q, Tensor k, Tensor v, Tensor mask, long heads, Tensor? factors = null, bool blinding = false) =>
        Merge(Weights(q, k, mask, heads, blinding).mul(factors ?? ones(1)).matmul(Split(v, heads)));

    /// <summary>With <paramref name="blinding"/>, −2³² on the diagonal as <c>nn.MultiheadAttention</c>'s additive mask in DSIN.</summary>
    private static Tensor Weights(Tensor q, Tensor k, Tensor mask, long heads, bool blinding = false)
    {
        var keyBias = zeros(mask.shape[0], 1, 1, mask.shape[1]).masked_fill(mask.logical_not().unsqueeze(1).unsqueeze(1), float.MinValue);
        var scores = Split(q, heads).matmul(Split(k, heads).transpose(-2, -1)) / Math.Sqrt(q.shape[2] / heads) + keyBias; // (B, H, L, L)
        return (blinding ? scores + eye(mask.shape[1]) * -Math.Pow(2, 32) : scores).softmax(-1);
    }

    private static Tensor Split(Tensor x, long heads) => x.view(x.shape[0], x.shape[1], heads, -1).transpose(1, 2); // (B, H, L, d)
    private static Tensor Merge(Tensor x) => x.transpose(1, 2).reshape(x.shape[0], x.shape[2], -1);                // (B, L, E)

    private static (Tensor Q, Tensor K, Tensor V) Inputs(long length, long width) =>
        (randn(4, length, width, requires_grad: true), randn(4, length, width, requires_grad: true), randn(4, length, width, requires_grad: true));

    private static void AssertClose(Tensor expected, Tensor actual, string what) =>
        Assert.True(actual.allclose(expected, rtol: 1e-4, atol: 1e-5), $"{what} differs by {(actual - expected).abs().max().item<float>()}");

    [Theory]
    [InlineData(2, 8, 1, false)]
    [InlineData(2, 8, 2, false)]
    [InlineData(1, 16, 2, false)]
    [InlineData(2, 8, 2, true)]
    public void WithoutDropoutOutputsAndGradientsEqualTheTextbookForm(long heads, long headDim, int threadCount, bool blinding)
    {
        using var threads = TestSetup.Threads(threadCount);
        torch.manual_seed(21);
        var mask = Mask(11);
        var (q, k, v) = Inputs(11, heads * headDim);
        var upstream = randn(4, 11, heads * headDim);
        var actual = SelfAttentionFunction.Apply(q, k, v, mask, heads, dropout: 0, blinding);
        var expected = Reference(q, k, v, mask, heads, blinding: blinding);
        AssertClose(expected, actual, "output");
        var actualGrads = torch.autograd.grad([(actual * upstream).sum()], [q, k, v]);
        var expectedGrads = torch.autograd.grad([(expected * upstream).sum()], [q, k, v]);
        foreach (var (name, at) in new[] { ("∂L/∂q", 0), ("∂L/∂k", 1), ("∂L/∂v", 2) }) AssertClose(expectedGrads[at], actualGrads[at], name);
        AssertClose(v.detach()[1].mean([0]).expand(11, -1), actual.detach()[1], "the all-padding row (equal weights)");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void DropoutKeepsEachWeightWithItsProbabilityAndTheGradientsFollowTheSameMask(int threadCount)
    {
        using var threads = TestSetup.Threads(threadCount);
        const long heads = 2, length = 7, headDim = 8;
        const double dropout = 0.5;
        torch.manual_seed(22);
        var mask = Mask(length);
        var (q, k, v) = Inputs(length, heads * headDim);
        // The kernel's own draws, read back through one-hot values: v_j = e_j makes o_i the row of dropped weights p_ij·m_ij.
        var oneHot = eye(length, headDim).expand(4, heads, length, headDim);                // (B, H, L, d)
        torch.manual_seed(5);
        var dropped = Split(SelfAttentionFunction.Apply(q, k, Merge(oneHot), mask, heads, dropout).detach(), heads).narrow(-1, 0, length); // (B, H, L, L)
        var factors = dropped.gt(0).to_type(ScalarType.Float32) / (1 - dropout);             // (B, H, L, L) m_ij
        var weights = Weights(q, k, mask, heads).detach();
        AssertClose(weights * factors, dropped, "dropped weights");
        double keptShare = factors.gt(0).logical_and(weights.gt(0)).sum().item<long>() / (double)weights.gt(0).sum().item<long>();
        Assert.InRange(keptShare, 0.35, 0.65);                                               // 1 − p = 0.5 over the 322 nonzero weights

        var upstream = randn(4, length, heads * headDim);
        torch.manual_seed(5);                                                                // the same draws again
        var actual = SelfAttentionFunction.Apply(q, k, v, mask, heads, dropout);
        var expected = Reference(q, k, v, mask, heads, factors);
        AssertClose(expected, actual, "output");
        var actualGrads = torch.autograd.grad([(actual * upstream).sum()], [q, k, v]);
        var expectedGrads = torch.autograd.grad([(expected * upstream).sum()], [q, k, v]);
        foreach (var (name, at) in new[] { ("∂L/∂q", 0), ("∂L/∂k", 1), ("∂L/∂v", 2) }) AssertClose(expectedGrads[at], actualGrads[at], name);
    }

    [Fact]
    public void MismatchedShapesAreRefusedBeforeTheKernelsReadAnything()
    {
        var (q, k, v) = Inputs(11, 16);
        var error = Assert.Throws<ArgumentException>(() => SelfAttentionFunction.Apply(q, k, v, Mask(10), 2, dropout: 0));
        Assert.Contains("mask (B, L)", error.Message);
        Assert.Throws<ArgumentException>(() => SelfAttentionFunction.Apply(q, k, v[.., ..5], Mask(11), 2, dropout: 0));
        Assert.Throws<ArgumentException>(() => SelfAttentionFunction.Apply(q, k, v, Mask(11), 3, dropout: 0));
    }

    [Fact]
    public void WithoutGradientsTheSameValuesAndNoGraph()
    {
        torch.manual_seed(23);
        var mask = Mask(11);
        var (q, k, v) = Inputs(11, 16);
        var recorded = SelfAttentionFunction.Apply(q, k, v, mask, 2, dropout: 0);
        using (no_grad())
        {
            var plain = SelfAttentionFunction.Apply(q, k, v, mask, 2, dropout: 0);
            Assert.False(plain.requires_grad);
            Assert.Equal(0f, (plain - recorded.detach()).abs().max().item<float>());
        }
    }
}
