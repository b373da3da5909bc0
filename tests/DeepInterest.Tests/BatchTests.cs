using DeepInterest.Data;
using Xunit;
using static TorchSharp.torch;

namespace DeepInterest.Tests;

public class BatchTests
{
    /// <summary>
    /// Synthetic samples (negatives, planted relevance and click probabilities, some ids out of vocabulary) plus one
    /// sample without a negative history and one without any history, so every branch of collation is exercised.
    /// </summary>
    private static (List<CtrSample> Samples, FeatureVocabulary Vocab) Mixed()
    {
        var data = SyntheticData.Generate(SyntheticConfig.Tiny with { Users = 30, Seed = 11 }).ToDataset(seed: 11);
        var samples = data.Train.Concat(data.Test).ToList();
        samples.Add(samples[0] with { NegativeItems = [], NegativeCategories = [] });
        samples.Add(samples[1] with { HistoryItems = [], HistoryCategories = [], HistoryTimes = [], NegativeItems = [], NegativeCategories = [], Relevance = [] });
        return (samples, data.Vocabulary);
    }

    [Fact]
    public void IndexedBatchesHoldTheVocabularyIndicesOfTheRawIdsLeftPadded()
    {
        var (samples, vocab) = Mixed();
        const int maxLength = 20;
        var indexed = IndexedSamples.Build(samples, vocab, maxLength);
        var order = Enumerable.Range(0, samples.Count).ToArray();
        new Random(3).Shuffle(order);
        int start = 0, checkedRows = 0;
        foreach (var batch in BatchLoader.Batches(indexed, batchSize: 64, maxLength, shuffleSeed: 3))
        {
            using var owned = batch;
            int t = (int)batch.MaxLength;
            var hi = batch.HistoryItems.data<long>().ToArray(); var hc = batch.HistoryCategories.data<long>().ToArray();
            var ht = batch.HistoryTimes.data<long>().ToArray(); var mask = batch.Mask.data<bool>().ToArray();
            var ni = batch.NegativeItems.data<long>().ToArray(); var nc = batch.NegativeCategories.data<long>().ToArray();
            var rel = batch.Relevance?.data<float>().ToArray();
            var rows = order.Skip(start).Take(batch.Size).Select(i => samples[i]).ToList();
            Assert.Equal(Math.Max(1, rows.Max(s => Math.Min(s.HistoryLength, maxLength))), t);
            Assert.Equal(rows.All(s => s.Relevance is not null), rel is not null);
            for (int r = 0; r < rows.Count; r++)
            {
                var s = rows[r];
                int len = Math.Min(s.HistoryLength, maxLength), from = s.HistoryLength - len, pad = t - len;
                bool negatives = s.NegativeItems.Length == s.HistoryLength && s.HistoryLength > 0;
                for (int k = 0; k < t; k++)
                {
                    int at = r * t + k, src = from + k - pad;
                    bool real = k >= pad;
                    Assert.Equal(real, mask[at]);
                    Assert.Equal(real ? vocab.Items.IndexOf(s.HistoryItems[src]) : 0, hi[at]);
                    Assert.Equal(real ? vocab.Categories.IndexOf(s.HistoryCategories[src]) : 0, hc[at]);
                    Assert.Equal(real ? s.HistoryTimes[src] : 0, ht[at]);
                    Assert.Equal(real && negatives ? vocab.Items.IndexOf(s.NegativeItems[src]) : 0, ni[at]);
                    Assert.Equal(real && negatives ? vocab.Categories.IndexOf(s.NegativeCategories[src]) : 0, nc[at]);
                    if (rel is not null) Assert.Equal(real ? s.Relevance![src] : 0f, rel[at]);
                }
                Assert.Equal(len, batch.Lengths[r].item<long>());
                Assert.Equal(vocab.Items.IndexOf(s.Item), batch.Items[r].item<long>());
                Assert.Equal(vocab.Categories.IndexOf(s.Category), batch.Categories[r].item<long>());
                Assert.Equal(s.Time, batch.Times[r].item<long>());
                Assert.Equal(s.Label, batch.Labels[r].item<float>());
                Assert.Equal(s.User, batch.Users[r]);
                checkedRows++;
            }
            start += batch.Size;
        }
        Assert.Equal(samples.Count, checkedRows);
        Assert.Contains(samples, s => !vocab.Items.Contains(s.Item) || s.HistoryItems.Any(i => !vocab.Items.Contains(i)));  // OOV exercised
    }

    [Fact]
    public void IndexingOnceGivesTheSameBatchesAsCollatingEachChunk()
    {
        var (samples, vocab) = Mixed();
        var indexed = IndexedSamples.Build(samples, vocab, maxLength: 30);
        var order = Enumerable.Range(0, samples.Count).ToArray();
        new Random(5).Shuffle(order);
        int start = 0;
        foreach (var batch in BatchLoader.Batches(indexed, batchSize: 50, maxLength: 10, shuffleSeed: 5))
        {
            using var fromIndex = batch;
            using var fromRaw = Batch.Collate(order.Skip(start).Take(batch.Size).Select(i => samples[i]).ToList(), vocab, maxLength: 10);
            foreach (var (a, b) in Tensors(fromIndex).Zip(Tensors(fromRaw)))
                Assert.True(a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>());
            Assert.Equal(fromRaw.Users, fromIndex.Users);
            Assert.Equal(fromRaw.ClickProbabilities, fromIndex.ClickProbabilities);
            start += batch.Size;
        }
        Assert.Equal(samples.Count, start);
        Assert.Throws<ArgumentOutOfRangeException>(() => Batch.Collate(indexed, [0, 1], maxLength: 31));
    }

    private static Tensor[] Tensors(Batch b) =>
        [b.HistoryItems, b.HistoryCategories, b.HistoryTimes, b.Mask, b.Lengths, b.NegativeItems, b.NegativeCategories,
         b.Items, b.Categories, b.Times, b.Labels, b.Relevance ?? zeros(0)];
}
