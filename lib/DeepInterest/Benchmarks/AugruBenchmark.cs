using System.Diagnostics;
using DeepInterest.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepInterest.Benchmarks;

/// <summary>
/// Median wall-clock and CPU milliseconds (all of the process's threads) per forward + backward pass of the fused
/// <see cref="MaskedGru"/> and of <see cref="ReferenceGruCell"/>. On a shared machine the CPU time is the steadier
/// reading: waiting for a core counts in the wall clock only.
/// </summary>
public sealed record AugruTiming(double FusedMs, double ReferenceMs, double FusedCpuMs, double ReferenceCpuMs)
{
    /// <summary>How many times faster the fused layer is.</summary>
    public double Speedup => ReferenceMs / FusedMs;

    /// <summary>How many times less CPU time the fused layer takes.</summary>
    public double CpuSpeedup => ReferenceCpuMs / FusedCpuMs;

    public override string ToString() =>
        $"fused {FusedMs:F1} ms, reference {ReferenceMs:F1} ms, speed-up {Speedup:F2}×; CPU time fused {FusedCpuMs:F1} ms, reference {ReferenceCpuMs:F1} ms, {CpuSpeedup:F2}×";
}

/// <summary>
/// Times one AUGRU (DIEN Eq. 8) layer, forward and backward, on a random left-padded batch (lengths uniform in 1..T),
/// fused (<see cref="MaskedGruFunction"/>: all input projections in one matmul, one hidden-side matmul and the gates
/// per step, and a hand-derived backward pass of one element-wise pass and one matmul per step plus one matmul per
/// weight over all steps; each thread runs the step loops over its own part of the rows, the element-wise work in
/// <see cref="GruCpuKernels"/>' SIMD passes on the CPU) against the per-step textbook cell
/// with the same weights, whose autograd graph has some 25 nodes per step. The reference does six (B·T, 64) × (64, 192)-
/// sized products in all, padding included; the fused layer packs the rows by step and does them over the real positions
/// only (about half of B·T here, lengths uniform in 1..T), and its speed-up beyond that is bounded by the share of the
/// reference's time spent outside matmuls: largest where operator overhead dominates (small batches, GPUs).
/// </summary>
public static class AugruBenchmark
{
    /// <summary>Times <paramref name="steps"/> interleaved forward + backward passes of each on (batch, length, embedding) inputs.</summary>
    public static AugruTiming Measure(int batch = 256, int length = 50, int embedding = 64, int hidden = 64, int steps = 10, Device? device = null, int seed = 1)
    {
        if (batch < 1 || length < 1 || embedding < 1 || hidden < 1 || steps < 1)
            throw new ArgumentOutOfRangeException(nameof(batch), "batch, length, embedding, hidden and steps must all be positive");
        device ??= CPU;
        using var scope = NewDisposeScope();
        random.manual_seed(seed);
        var gru = new MaskedGru(embedding, hidden, UpdateGateAttention.Scale);
        gru.to(device);
        var inputs = randn(batch, length, embedding, device: device).requires_grad_();  // (B, T, E)
        var lengths = randint(1, length + 1, [batch, 1], device: device);               // (B, 1)
        var mask = arange(length, device: device).unsqueeze(0).ge(length - lengths);     // (B, T) left padding
        var attention = randn(batch, length, device: device)
            .masked_fill(mask.logical_not(), -1e9).softmax(1) * mask.to_type(ScalarType.Float32); // (B, T)

        Step fused = new(() => gru.forward(inputs, mask, attention).Outputs, gru, inputs);
        Step reference = new(() => ReferenceGruCell.Run(gru, inputs, mask, attention).Outputs, gru, inputs);
        fused.Run(); // warm-up: allocator and kernel selection
        reference.Run();
        var (fusedMs, fusedCpuMs) = (new double[steps], new double[steps]);
        var (referenceMs, referenceCpuMs) = (new double[steps], new double[steps]);
        for (int i = 0; i < steps; i++) // interleaved, so that load changes on a shared machine hit both alike
        {
            (fusedMs[i], fusedCpuMs[i]) = fused.Time(device);
            (referenceMs[i], referenceCpuMs[i]) = reference.Time(device);
        }
        return new AugruTiming(Timing.Median(fusedMs), Timing.Median(referenceMs), Timing.Median(fusedCpuMs), Timing.Median(referenceCpuMs));
    }

    /// <summary>One forward + backward pass of a GRU implementation over fixed inputs.</summary>
    private sealed record Step(Func<Tensor> Forward, MaskedGru Gru, Tensor Inputs)
    {
        public void Run()
        {
            using var scope = NewDisposeScope();
            Gru.zero_grad();
            Inputs.grad?.zero_();
            Forward().sum().backward();
        }

        /// <summary>Wall-clock and process CPU milliseconds of one pass.</summary>
        public (double WallMs, double CpuMs) Time(Device device)
        {
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            Run();
            if (device.type == DeviceType.CUDA) cuda.synchronize(device);
            var wall = clock.Elapsed.TotalMilliseconds;
            return (wall, (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds);
        }
    }
}
