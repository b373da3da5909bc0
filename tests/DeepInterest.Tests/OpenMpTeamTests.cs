using System.Collections.Concurrent;
using DeepInterest.Platform;
using Xunit;
using static TorchSharp.torch;

namespace DeepInterest.Tests;

/// <summary>C# work on libtorch's OpenMP team: every part exactly once, libtorch usable inside, errors back to the caller.</summary>
public class OpenMpTeamTests
{
    [Fact]
    public void EveryPartRunsOnceEvenWithMorePartsThanThreads()
    {
        Assert.True(OpenMpTeam.Available, "TorchNatives.Preload loads libtorch's libgomp by path on Linux");
        var seen = new ConcurrentBag<int>();
        OpenMpTeam.Run(7, seen.Add);
        Assert.Equal(Enumerable.Range(0, 7), seen.Order());
    }

    [Fact]
    public void PartsCallLibTorchAndWriteTheirOwnRows()
    {
        using var scope = NewDisposeScope();
        var left = randn(6, 4);
        var right = randn(4, 3);
        var product = zeros(6, 3);
        OpenMpTeam.Run(3, part =>
        {
            using var partScope = NewDisposeScope();
            product.narrow(0, 2 * part, 2).addmm_(left.narrow(0, 2 * part, 2), right, beta: 0); // (2, 3) rows of part
        });
        Assert.True(left.mm(right).allclose(product, 1e-5, 1e-6));
    }

    [Fact]
    public void APartsExceptionReachesTheCallerAfterTheOthersRan()
    {
        var seen = new ConcurrentBag<int>();
        var error = Assert.Throws<InvalidDataException>(() => OpenMpTeam.Run(4, part =>
        {
            if (part == 2) throw new InvalidDataException("part 2 failed");
            seen.Add(part);
        }));
        Assert.Equal("part 2 failed", error.Message);
        Assert.Equal([0, 1, 3], seen.Order());
    }
}
