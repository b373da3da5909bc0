using System.Runtime.CompilerServices;
using TorchSharp;

namespace DeepInterest.Tests;

internal static class TestSetup
{
    /// <summary>
    /// `dotnet test` runs this assembly next to the notebook tests on the same cores. libtorch's OpenMP workers spin while
    /// they wait, so two processes with a thread per core each run many times slower than with one thread each
    /// (measured: a smoke training 66 s vs 6 s). The tests' tensors are small; one thread is plenty.
    /// </summary>
    [ModuleInitializer]
    internal static void UseOneTorchThread() => torch.set_num_threads(1);
}
