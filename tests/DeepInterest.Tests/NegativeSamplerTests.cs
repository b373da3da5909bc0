using DeepInterest.Data;
using Xunit;

namespace DeepInterest.Tests;

public class NegativeSamplerTests
{
    private static NegativeSampler ThreeItems() => new([(10, 1, 6), (20, 2, 3), (30, 3, 1)]);

    [Fact]
    public void DrawsInProportionToPopularityWithTheItemsCategory()
    {
        var sampler = ThreeItems();
        var rng = new Random(1);
        var counts = new Dictionary<long, int> { [10] = 0, [20] = 0, [30] = 0 };
        const int draws = 50_000;
        for (int i = 0; i < draws; i++)
        {
            var (item, category) = sampler.Sample(rng, new HashSet<long>());
            Assert.Equal(item / 10, category);
            counts[item]++;
        }
        Assert.InRange(counts[10] / (double)draws, 0.59, 0.61);
        Assert.InRange(counts[20] / (double)draws, 0.29, 0.31);
        Assert.InRange(counts[30] / (double)draws, 0.09, 0.11);
    }

    [Fact]
    public void NeverDrawsAnExcludedItemAndRenormalisesTheRest()
    {
        var sampler = ThreeItems();
        var rng = new Random(2);
        var exclude = new HashSet<long> { 10 };
        int twenties = 0;
        const int draws = 20_000;
        for (int i = 0; i < draws; i++)
        {
            var (item, _) = sampler.Sample(rng, exclude);
            Assert.NotEqual(10, item);
            if (item == 20) twenties++;
        }
        Assert.InRange(twenties / (double)draws, 0.73, 0.77); // 3 / (3 + 1)
    }

    [Fact]
    public void FindsTheOnlyAllowedItemEvenWhenItIsRare()
    {
        // The allowed item has 1 of 1,000,001 occurrences: rejection almost always fails, the exact fallback must answer.
        var sampler = new NegativeSampler([(1, 0, 1_000_000), (2, 0, 1)]);
        var rng = new Random(3);
        for (int i = 0; i < 10; i++) Assert.Equal(2, sampler.Sample(rng, new HashSet<long> { 1 }).Item);
    }

    [Fact]
    public void SameSeedGivesTheSameDraws()
    {
        var sampler = ThreeItems();
        var exclude = new HashSet<long> { 20 };
        var a = new Random(7);
        var b = new Random(7);
        var drawsA = Enumerable.Range(0, 100).Select(_ => sampler.Sample(a, exclude)).ToArray();
        var drawsB = Enumerable.Range(0, 100).Select(_ => sampler.Sample(b, exclude)).ToArray();
        Assert.Equal(drawsA, drawsB);
    }

    [Fact]
    public void AllItemsExcludedIsAClearError()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ThreeItems().Sample(new Random(0), new HashSet<long> { 10, 20, 30 }));
        Assert.Contains("all 3 items are excluded", error.Message);
    }

    [Fact]
    public void BuildsPopularityFromBehavioursAndSamples()
    {
        Behavior[] log = [new(1, 5, 50, 0), new(2, 5, 50, 1), new(2, 6, 60, 2)];
        var fromLog = NegativeSampler.FromBehaviors(log);
        Assert.Equal(2, fromLog.ItemCount);
        Assert.Equal((6L, 60L), fromLog.Sample(new Random(0), new HashSet<long> { 5 }));

        var sample = new CtrSample
        {
            User = 1, HistoryItems = [5, 5], HistoryCategories = [50, 50], HistoryTimes = [0, 1],
            Item = 7, Category = 70, Time = 2, Label = 1f,
        };
        var fromSamples = NegativeSampler.FromSamples([sample]);
        Assert.Equal(2, fromSamples.ItemCount);
        Assert.Equal((7L, 70L), fromSamples.Sample(new Random(0), new HashSet<long> { 5 }));
    }

    [Fact]
    public void BadPopularityIsRejected()
    {
        Assert.Throws<ArgumentException>(() => new NegativeSampler([]));
        Assert.Contains("counts must be positive", Assert.Throws<ArgumentException>(() => new NegativeSampler([(1, 0, 0)])).Message);
        Assert.Contains("appears twice", Assert.Throws<ArgumentException>(() => new NegativeSampler([(1, 0, 1), (1, 0, 2)])).Message);
        Assert.Throws<ArgumentException>(() => NegativeSampler.FromBehaviors([]));
    }
}
