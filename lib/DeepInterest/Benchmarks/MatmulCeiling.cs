using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepInterest.Benchmarks;

/// <summary>
/// The machine's fp32 matmul rate: one large square product (n × n by n × n, 2n³ FLOPs), the best case for the
/// BLAS libtorch uses, as a ceiling for what a model's Linear layers can reach on the same device and threads.
/// </summary>
public static class MatmulCeiling
{
    /// <summary>GFLOP/s of the median of <paramref name="repeats"/> timed products, after two untimed warm-up products.</summary>
    public static double Measure(int n = 1024, int repeats = 5, Device? device = null, int seed = 1)
    {
        if (n < 1 || repeats < 1) throw new ArgumentOutOfRangeException(nameof(n), "size and repeats must be positive");
        device ??= CPU;
        using var scope = NewDisposeScope();
        random.manual_seed(seed);
        var a = randn(n, n, device: device);  // (n, n) float32
        var b = randn(n, n, device: device);  // (n, n)
        for (int i = 0; i < 2; i++) Time(a, b, device);
        var seconds = Enumerable.Range(0, repeats).Select(_ => Time(a, b, device)).ToArray();
        return 2.0 * n * n * n / Timing.Median(seconds) / 1e9;
    }

    private static double Time(Tensor a, Tensor b, Device device)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        _ = a.matmul(b);
        if (device.type == DeviceType.CUDA) cuda.synchronize(device);
        return clock.Elapsed.TotalSeconds;
    }
}
