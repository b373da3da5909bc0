using System.Diagnostics;
using DeepInterest.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepInterest.Benchmarks;

/// <summary>Milliseconds per forward + backward pass of the fused <see cref="MaskedGru"/> and of <see cref="ReferenceGruCell"/>.</summary>
public sealed record AugruTiming(double FusedMs, double ReferenceMs)
{
    /// <summary>How many times faster the fused layer is.</summary>
    public double Speedup => ReferenceMs / FusedMs;

    public override string ToString() => $"fused {FusedMs:F1} ms, reference {ReferenceMs:F1} ms, speed-up {Speedup:F2}×";
}

/// <summary>
/// Times one AUGRU (DIEN Eq. 8) layer, forward and backward, on a random left-padded batch (lengths uniform in 1..T),
/// fused (all input projections in one matmul, one hidden matmul and five gate ops per step) against the per-step
/// textbook cell with the same weights.
/// </summary>
public static class AugruBenchmark
{
    public static AugruTiming Measure(int batch = 256, int steps = 50, int embedding = 64, int hidden = 64, int repetitions = 10, Device? device = null, int seed = 1)
    {
        if (batch < 1 || steps < 1 || embedding < 1 || hidden < 1 || repetitions < 1)
            throw new ArgumentOutOfRangeException(nameof(batch), "batch, steps, embedding, hidden and repetitions must all be positive");
        device ??= CPU;
        using var scope = NewDisposeScope();
        random.manual_seed(seed);
        var gru = new MaskedGru(embedding, hidden, UpdateGateAttention.Scale);
        gru.to(device);
        var inputs = randn(batch, steps, embedding, device: device).requires_grad_();  // (B, T, E)
        var lengths = randint(1, steps + 1, [batch, 1], device: device);               // (B, 1)
        var mask = arange(steps, device: device).unsqueeze(0).ge(steps - lengths);     // (B, T) left padding
        var attention = randn(batch, steps, device: device)
            .masked_fill(mask.logical_not(), -1e9).softmax(1) * mask.to_type(ScalarType.Float32); // (B, T)

        double fused = Time(() => gru.forward(inputs, mask, attention).Outputs, gru, inputs, repetitions, device);
        double reference = Time(() => ReferenceGruCell.Run(gru, inputs, mask, attention).Outputs, gru, inputs, repetitions, device);
        return new AugruTiming(fused, reference);
    }

    private static double Time(Func<Tensor> run, MaskedGru gru, Tensor inputs, int repetitions, Device device)
    {
        void Step()
        {
            using var stepScope = NewDisposeScope();
            gru.zero_grad();
            inputs.grad?.zero_();
            run().sum().backward();
        }
        Step(); // warm-up: allocator and kernel selection
        if (device.type == DeviceType.CUDA) cuda.synchronize(device);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < repetitions; i++) Step();
        if (device.type == DeviceType.CUDA) cuda.synchronize(device);
        return clock.Elapsed.TotalMilliseconds / repetitions;
    }
}
