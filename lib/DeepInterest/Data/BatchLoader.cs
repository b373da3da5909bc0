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
        var order = Enumerable.Range(0, samples.Count).ToArray();
        if (shuffleSeed is { } seed) new Random(seed).Shuffle(order);
        for (int start = 0; start < order.Length; start += batchSize)
        {
            var chunk = new CtrSample[Math.Min(batchSize, order.Length - start)];
            for (int i = 0; i < chunk.Length; i++) chunk[i] = samples[order[start + i]];
            yield return Batch.Collate(chunk, vocab, maxLength, device);
        }
    }
}
