using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace DeepInterest.Tests;

public class NativeLoadTests
{
    [Fact]
    public void TorchSharpNativeLibraryLoadsAndComputes()
    {
        using var a = torch.ones(2, 3);
        using var b = a.sum();
        Assert.Equal(6f, b.item<float>());
        Assert.StartsWith("2.10", torch.__version__);
    }
}
