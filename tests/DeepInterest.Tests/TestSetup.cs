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
    [ModuleInitializer]
    internal static void StartTorchSharp()
    {
        TorchNatives.Preload();
        torch.set_num_threads(1);
    }
}
