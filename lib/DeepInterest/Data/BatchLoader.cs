using static TorchSharp.torch;

namespace DeepInterest.Data;

/// <summary>Cuts samples into <see cref="Batch"/>es, shuffled reproducibly per epoch when a seed is given.</summary>
public static class BatchLoader
{
    /// <summary>
    /// Yields batches of <paramref name="batchSize"/> (the last one may be smaller). With <paramref name="shuffleSeed"/>
    /// the order is a seeded permutation; without it, the samples' order. The caller disposes each batch.
    /// </summary>
    public static IEnumerable<Batch> Batches(IReadOnlyList<CtrSample> samples, FeatureVocabulary vocab, int batchSize,
        int maxLength, Device? device = null, int? shuffleSeed = null)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be at least 1");
        // Each chunk is looked up on its own, so a single pass holds no index of the whole list; loops over many
        // epochs should build an IndexedSamples once and use the overload below.
        var order = Order(samples.Count, shuffleSeed);
        for (int start = 0; start < order.Length; start += batchSize)
        {
            var chunk = new CtrSample[Math.Min(batchSize, order.Length - start)];
            for (int i = 0; i < chunk.Length; i++) chunk[i] = samples[order[start + i]];
            yield return Batch.Collate(chunk, vocab, maxLength, device);
        }
    }

    /// <summary>The same batches from samples already looked up in the vocabulary (build it once per split, reuse it every epoch).</summary>
    public static IEnumerable<Batch> Batches(IndexedSamples indexed, int batchSize, int maxLength, Device? device = null, int? shuffleSeed = null)
    {
        ArgumentNullException.ThrowIfNull(indexed);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be at least 1");
        return Cut(indexed, batchSize, maxLength, device, shuffleSeed);
    }

    private static IEnumerable<Batch> Cut(IndexedSamples indexed, int batchSize, int maxLength, Device? device, int? shuffleSeed)
    {
        var order = Order(indexed.Count, shuffleSeed);
        for (int start = 0; start < order.Length; start += batchSize)
            yield return Batch.Collate(indexed, order.AsSpan(start, Math.Min(batchSize, order.Length - start)), maxLength, device);
    }

    /// <summary>0..count-1, or a permutation of it seeded by <paramref name="shuffleSeed"/>.</summary>
    private static int[] Order(int count, int? shuffleSeed)
    {
        var order = Enumerable.Range(0, count).ToArray();
        if (shuffleSeed is { } seed) new Random(seed).Shuffle(order);
        return order;
    }
}
