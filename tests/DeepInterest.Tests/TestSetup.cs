using System.Runtime.CompilerServices;
using DeepInterest.Platform;
using TorchSharp;

namespace DeepInterest.Tests;

internal static class TestSetup
{
    /// <summary>
    /// Loads libtorch by full path and checks the keep-alive rewrite as the CLI does (<see cref="TorchNatives.Preload"/>).
    /// One torch thread: `dotnet test` runs this assembly next to the notebook tests on the same cores. libtorch's OpenMP workers spin while
    /// they wait, so two processes with a thread per core each run many times slower than with one thread each
    /// (measured: a smoke training 66 s vs 6 s). The tests' tensors are small; one thread is plenty.
    /// </summary>
    /// <summary>libtorch's intra-op thread count set to <paramref name="count"/> until the result is disposed (the
    /// kernels' multi-part paths need more than the tests' one thread).</summary>
    internal static IDisposable Threads(int count)
    {
        int before = torch.get_num_threads();
        torch.set_num_threads(count);
        return new ThreadCount(before);
    }

    private sealed class ThreadCount(int restore) : IDisposable
    {
        public void Dispose() => torch.set_num_threads(restore);
    }

    [ModuleInitializer]
    internal static void StartTorchSharp()
    {
        TorchNatives.Preload();
        torch.set_num_threads(1);
    }
}
