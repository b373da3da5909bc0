using static TorchSharp.torch;

namespace DeepInterest.Training;

/// <summary>
/// The last few training steps' losses, kept on the model's device and copied to the host in one read, so a step
/// never waits for the device to finish just to report its loss. <see cref="Add"/> costs one small device copy;
/// <see cref="Drain"/> is the only synchronisation. Each slot holds one step's loss and the host remembers its batch
/// size and step number, so the running mean is the same sample-weighted sum as reading every step, and a non-finite
/// loss is still pinned to the step that produced it.
/// </summary>
internal sealed class LossWindow : IDisposable
{
    private readonly Tensor losses;   // (capacity) float32 on the model's device
    private readonly int[] batchSizes;
    private readonly int[] stepNumbers;
    private int count;

    public LossWindow(int capacity, Device device)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "the window holds at least one step");
        losses = zeros(capacity, dtype: ScalarType.Float32, device: device);
        batchSizes = new int[capacity];
        stepNumbers = new int[capacity];
    }

    public bool IsFull => count == batchSizes.Length;

    /// <summary>Stores one step's scalar loss (detached; the caller's dispose scope frees the temporaries).</summary>
    public void Add(Tensor loss, int batchSize, int step)
    {
        if (IsFull) throw new InvalidOperationException("the loss window is full: drain it first");
        using var slot = losses[count];
        slot.copy_(loss.detach());
        batchSizes[count] = batchSize;
        stepNumbers[count] = step;
        count++;
    }

    /// <summary>
    /// Reads the stored losses (one device→host copy) and empties the window. Returns Σ loss × batch size, the samples
    /// counted, and the first non-finite loss with its step, if any.
    /// </summary>
    public (double WeightedSum, long Samples, (float Value, int Step)? NonFinite) Drain()
    {
        float[] values;
        using (NewDisposeScope()) values = losses.cpu().data<float>().ToArray();
        double sum = 0;
        long samples = 0;
        (float, int)? nonFinite = null;
        for (int i = 0; i < count; i++)
        {
            if (!float.IsFinite(values[i])) { nonFinite = (values[i], stepNumbers[i]); break; }
            sum += (double)values[i] * batchSizes[i];
            samples += batchSizes[i];
        }
        count = 0;
        return (sum, samples, nonFinite);
    }

    public void Dispose() => losses.Dispose();
}
