using DeepInterest.Data;
using DeepInterest.Data.Loaders;
using Xunit;
using static TorchSharp.torch;

namespace DeepInterest.Tests;

/// <summary>
/// Samples are windows into their user's timeline (<see cref="CtrSample"/>, <see cref="Steps{T}"/>): each window holds
/// exactly the history the protocol defines, and indexing and batching views gives the same numbers as samples that own
/// copied arrays.
/// </summary>
public class SampleViewTests
{
    /// <summary>A log with few users, repeated items and many equal timestamps, in shuffled order.</summary>
    private static List<Behavior> RandomLog(int seed, int users = 12)
    {
        var rng = new Random(seed);
        var log = new List<Behavior>();
        string[] types = ["pv", "cart", "fav", "buy"];
        for (int u = 0; u < users; u++)
            for (int e = rng.Next(1, 70); e > 0; e--)
            {
                long item = rng.Next(40);
                log.Add(new Behavior(u, item, item % 7, 1000 + rng.Next(30), types[rng.Next(4)]));   // 30 distinct times: many ties
            }
        rng.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(log));
        return log;
    }

    /// <summary>The sample's own copy of everything: what samples held before they were views.</summary>
    private static CtrSample Copied(CtrSample s) => s with
    {
        HistoryItems = s.HistoryItems.ToArray(),
        HistoryCategories = s.HistoryCategories.ToArray(),
        HistoryTimes = s.HistoryTimes.ToArray(),
        NegativeItems = s.NegativeItems.ToArray(),
        NegativeCategories = s.NegativeCategories.ToArray(),
        HistoryCodes = s.HistoryCodes?.ToDictionary(f => f.Key, f => (Steps<long>)f.Value.ToArray()),
        HistoryValues = s.HistoryValues?.ToDictionary(f => f.Key, f => (Steps<float>)f.Value.ToArray()),
    };

    [Theory]
    [InlineData(1, 4, 50)]
    [InlineData(2, 4, 6)]     // MaxHistory cuts most histories
    [InlineData(3, 1, 1)]
    public void EachViewHoldsTheMostRecentEarlierEventsOfItsUserInStableTimeOrder(int seed, int minHistory, int maxHistory)
    {
        var log = RandomLog(seed);
        var samples = LogProtocol.Build(log, new LogProtocolConfig { MinHistory = minHistory, MaxHistory = maxHistory, TypeField = StepField.BehaviorType });

        var expected = new List<(long User, Behavior[] History, Behavior Event)>();
        foreach (var user in log.GroupBy(b => b.User).OrderBy(g => g.Key))
        {
            var timeline = user.OrderBy(b => b.Timestamp).ToArray();   // stable: input order breaks ties
            for (int p = minHistory; p < timeline.Length; p++)
                expected.Add((user.Key, timeline[Math.Max(0, p - maxHistory)..p], timeline[p]));
        }
        Assert.Equal(2 * expected.Count, samples.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            var (user, history, candidate) = expected[i];
            foreach (var s in new[] { samples[2 * i], samples[2 * i + 1] })
            {
                Assert.Equal(user, s.User);
                Assert.Equal(history.Select(b => b.Item), s.HistoryItems);
                Assert.Equal(history.Select(b => b.Category), s.HistoryCategories);
                Assert.Equal(history.Select(b => b.Timestamp), s.HistoryTimes);
                Assert.Equal(candidate.Timestamp, s.Time);
                Assert.Equal(history.Length, s.NegativeItems.Length);
                var codes = s.HistoryCodes!["behavior_type"];
                Assert.Equal(history.Length, codes.Length);
                for (int k = 1; k < history.Length; k++)   // equal types, equal codes
                    for (int j = 0; j < k; j++)
                        Assert.Equal(history[k].Type == history[j].Type, codes[k] == codes[j]);
                s.Validate($"sample {i}");
            }
            Assert.Equal(candidate.Item, samples[2 * i].Item);
            Assert.Equal(1f, samples[2 * i].Label);
            Assert.Equal(0f, samples[2 * i + 1].Label);
        }
        foreach (var user in samples.GroupBy(s => s.User))   // windows, not copies: one timeline per user
            Assert.Single(user.Select(s => s.Window.Store).Distinct());
    }

    [Fact]
    public void IndexingAndBatchingViewsGivesTheNumbersOfCopiedSamples()
    {
        var log = RandomLog(4);
        var samples = LogProtocol.Build(log, new LogProtocolConfig { MaxHistory = 9, TypeField = StepField.BehaviorType });
        var copies = samples.Select(Copied).ToList();
        var data = new CtrDataset("views", samples, [], samples, fields: new FieldSources { Context = true, Steps = true });
        var rows = Enumerable.Range(0, samples.Count).Where(i => i % 3 != 1).ToArray();

        foreach (int maxLength in new[] { 9, 4 })
        {
            var fromViews = IndexedSamples.Build(samples, data.Vocabulary, maxLength);
            var fromCopies = IndexedSamples.Build(copies, data.Vocabulary, maxLength);
            Assert.True(fromViews.HistoryItems.Length < fromCopies.HistoryItems.Length, "views index each timeline once, not each history");
            using var a = Batch.Collate(fromViews, rows, maxLength);
            using var b = Batch.Collate(fromCopies, rows, maxLength);
            foreach (var (x, y) in new[] { (a.HistoryItems, b.HistoryItems), (a.HistoryCategories, b.HistoryCategories), (a.HistoryTimes, b.HistoryTimes),
                         (a.NegativeItems, b.NegativeItems), (a.NegativeCategories, b.NegativeCategories), (a.Items, b.Items), (a.Lengths, b.Lengths) })
                Assert.True(x.shape.SequenceEqual(y.shape) && x.eq(y).all().item<bool>());
            Assert.True(a.Mask.eq(b.Mask).all().item<bool>());
            Assert.Equal(b.Fields.Keys.Order(), a.Fields.Keys.Order());
            foreach (var (key, tensor) in b.Fields) Assert.True(a.Fields[key].shape.SequenceEqual(tensor.shape) && a.Fields[key].eq(tensor).all().item<bool>(), key);
        }
    }

    [Fact]
    public void SyntheticRelevanceComputedWhenReadEqualsThePlantedRule()
    {
        var world = SyntheticData.Generate(SyntheticConfig.Tiny with { Users = 30 });
        foreach (var s in world.Samples.Take(200))
        {
            var relevance = s.Relevance!;
            Assert.Equal(s.HistoryLength, relevance.Length);
            for (int h = 0; h < relevance.Length; h++)
                if (s.HistoryCategories[h] != s.Category) Assert.Equal(0f, relevance[h]);
                else Assert.Contains(relevance[h], new[] { 1f, (float)world.Config.BackgroundRelevance });
            Assert.Equal(relevance, s.Relevance!);   // the same values on every read
        }
        Assert.Single(world.Samples.Where(s => s.User == 0).Select(s => s.Window.Store).Distinct());
    }

    [Fact]
    public void AWindowReadsLikeAnArray()
    {
        long[] values = [5, 6, 7, 8, 9];
        var window = new Steps<long>(values, 1, 3);
        Assert.Equal(3, window.Length);
        Assert.Equal([6L, 7, 8], window.ToArray());
        Assert.Equal([7L, 8], window[1..].ToArray());
        Assert.Equal(8, window[^1]);
        Assert.Throws<IndexOutOfRangeException>(() => window[3]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Steps<long>(values, 3, 3));
        Steps<long> literal = [6, 7, 8];
        Assert.Equal(literal, window);   // same steps, different arrays
        Assert.NotEqual(new Steps<long>(values, 0, 3), window);
    }

    /// <summary>What the DIEN loader read before it stored histories in flat arrays: one set of arrays per line, same draws.</summary>
    private static List<(long[] Items, long[] Categories, long[] Negatives)> PerLineReference(string path, IdTable items, IdTable categories,
        long[] pool, Random random)
    {
        var result = new List<(long[], long[], long[])>();
        foreach (var line in File.ReadLines(path).Where(l => l.Length > 0))
        {
            var f = line.TrimEnd('\r').Split('\t');
            var historyItems = f[4].Length == 0 ? [] : f[4].Split('\x02');
            var historyCategories = f[5].Length == 0 ? [] : f[5].Split('\x02');
            var ids = new long[historyItems.Length];
            var cats = new long[historyItems.Length];
            var negatives = new long[historyItems.Length];
            for (int i = 0; i < ids.Length; i++)
            {
                Assert.True(items.TryGetId(historyItems[i], out ids[i]));
                Assert.True(categories.TryGetId(historyCategories[i], out cats[i]));
                int drawn;
                do drawn = random.Next(pool.Length); while (pool[drawn] == ids[i]);
                negatives[i] = pool[drawn];
            }
            result.Add((ids, cats, negatives));
        }
        return result;
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void TheFlatDienLoaderGivesEachLineItsOwnHistoryAndDraws(bool shared)
    {
        using var fixture = new TempFolder();
        string folder;
        if (shared) folder = Path.Combine(LoaderTests.SharedData, "dien-books-format-sample");
        else
        {
            FileGenerator.Write(GeneratedFormat.DienBooks, fixture.Path, 600, seed: 2);
            folder = fixture.Path;
        }
        Skip.If(!Directory.Exists(folder), $"no shared data at {folder}");
        var data = DienBooksLoader.Load(folder, new LoadOptions { Seed = 11 });
        var pool = File.ReadLines(Path.Combine(folder, DienBooksLoader.ItemInfoName)).Select(l => l.Split('\t')[0]).Distinct()
            .Select(name => data.Items.TryGetId(name, out long id) ? id : -1).ToArray();
        var random = new Random(11);
        var train = PerLineReference(Path.Combine(folder, DienBooksLoader.TrainNames.First(n => File.Exists(Path.Combine(folder, n)))), data.Items, data.Categories, pool, random);
        var test = PerLineReference(Path.Combine(folder, DienBooksLoader.TestNames.First(n => File.Exists(Path.Combine(folder, n)))), data.Items, data.Categories, pool, random);

        foreach (var (samples, reference) in new[] { (data.Train, train), (data.Test, test) })
        {
            Assert.Equal(reference.Count, samples.Count);
            for (int i = 0; i < samples.Count; i++)
            {
                Assert.Equal(reference[i].Items, samples[i].HistoryItems);
                Assert.Equal(reference[i].Categories, samples[i].HistoryCategories);
                Assert.Equal(reference[i].Negatives, samples[i].NegativeItems);
                if (data.Report.Times == TimeKind.Index) Assert.Equal(Enumerable.Range(0, reference[i].Items.Length).Select(k => (long)k), samples[i].HistoryTimes);
                samples[i].Validate($"line {i}");
            }
        }
        Assert.True(data.Train.Concat(data.Test).Select(s => s.Window.Store).Distinct().Count() <= 2, "lines share flat arrays");
    }
}
