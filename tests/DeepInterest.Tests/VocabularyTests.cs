using DeepInterest.Data;
using Xunit;

namespace DeepInterest.Tests;

public class VocabularyTests
{
    // Item 10: users 1 and 2; item 11 and 12: user 1 only; item 13: user 2 only, three times.
    // Category = item / 10 + 100 for 10–12 (101, by users 1 and 2) and 200 for 13 (user 2 only).
    private static readonly CtrSample[] Training =
    [
        Sample(1, [10, 11], 12),
        Sample(2, [10], 13),
        Sample(2, [13], 13),
    ];

    private static CtrSample Sample(long user, long[] history, long item) => new()
    {
        User = user,
        HistoryItems = history,
        HistoryCategories = history.Select(CategoryOf).ToArray(),
        HistoryTimes = history.Select((_, i) => (long)i).ToArray(),
        Item = item,
        Category = CategoryOf(item),
        Time = history.Length,
        Label = 1f,
    };

    private static long CategoryOf(long item) => item == 13 ? 200 : 101;

    [Fact]
    public void WithoutAConfigEveryIdSeenGetsItsOwnRowInOrderOfFirstOccurrence()
    {
        var vocab = FeatureVocabulary.Build(Training);
        Assert.Equal(6, vocab.Items.Size);
        Assert.Equal([2L, 3, 4, 5], new long[] { 10, 11, 12, 13 }.Select(vocab.Items.IndexOf));
        Assert.Equal(Vocabulary.OutOfVocabulary, vocab.Items.IndexOf(99));
        Assert.Equal([0L, 0, 2, 1, 1, 3], vocab.Items.Counts());
        Assert.Equal(13L, vocab.Items.RawId(5));
    }

    [Fact]
    public void IdsOfFewerThanMinCountUsersMapToOutOfVocabularyWhichCountsTheirOccurrences()
    {
        var vocab = FeatureVocabulary.Build(Training, new VocabularyConfig { MinCount = 2 });
        Assert.Equal(3, vocab.Items.Size);                       // padding, OOV, item 10
        Assert.Equal(2L, vocab.Items.IndexOf(10));
        Assert.Equal([1L, 1, 1], new long[] { 11, 12, 13 }.Select(vocab.Items.IndexOf));   // 13 occurs 3 times, by one user
        Assert.False(vocab.Items.Contains(13));
        Assert.Equal([0L, 5, 2], vocab.Items.Counts());           // OOV: 11 once, 12 once, 13 three times
        Assert.Equal(2L, vocab.Categories.IndexOf(101));
        Assert.Equal(Vocabulary.OutOfVocabulary, vocab.Categories.IndexOf(200));
        Assert.Equal([0L, 3, 4], vocab.Categories.Counts());
    }

    [Fact]
    public void DataSetsFoldSingleUserIdsByDefaultAndTakeAnExplicitConfig()
    {
        Assert.Equal(2, new VocabularyConfig().MinCount);
        var test = new[] { Sample(3, [10], 12) };
        Assert.Equal(3, new CtrDataset("default", Training, [], test).Vocabulary.Items.Size);
        Assert.Equal(6, new CtrDataset("keep", Training, [], test, VocabularyConfig.KeepEveryId).Vocabulary.Items.Size);
        Assert.Throws<ArgumentOutOfRangeException>(() => FeatureVocabulary.Build(Training, new VocabularyConfig { MinCount = 0 }));
        Assert.Throws<InvalidDataException>(() => FeatureVocabulary.Build([]));
    }

    [Fact]
    public void DefaultSyntheticDataFoldsAlmostNothing()
    {
        // The synthetic catalogue is small and shared by many users: k = 2 must leave its vocabulary essentially whole.
        var world = SyntheticData.Generate(SyntheticConfig.Tiny with { Seed = 3 });
        var all = world.ToDataset(seed: 1, VocabularyConfig.KeepEveryId).Vocabulary;
        var folded = world.ToDataset(seed: 1).Vocabulary;
        Assert.InRange(folded.Items.Size, 0.9 * all.Items.Size, all.Items.Size);
        Assert.Equal(all.Categories.Size, folded.Categories.Size);
    }
}
