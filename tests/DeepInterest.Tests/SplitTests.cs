using DeepInterest.Data;
using Xunit;

namespace DeepInterest.Tests;

public class SplitTests
{
    private static CtrSample Impression(long user, long time, float label = 1f) => new()
    {
        User = user, HistoryItems = [1], HistoryCategories = [1], HistoryTimes = [0],
        Item = 100 + time, Category = 2, Time = time, Label = label,
    };

    private static List<CtrSample> ManyUsers(int users, int perUser) =>
        Enumerable.Range(0, users).SelectMany(u => Enumerable.Range(1, perUser).Select(t => Impression(u, t))).ToList();

    [Fact]
    public void ByUserPutsEveryUserInExactlyOneSplitWithTheRequestedShares()
    {
        var samples = ManyUsers(200, 3);
        var split = Splits.ByUser(samples, testFraction: 0.1, validationFraction: 0.25, seed: 1);

        var train = split.Train.Select(s => s.User).ToHashSet();
        var validation = split.Validation.Select(s => s.User).ToHashSet();
        var test = split.Test.Select(s => s.User).ToHashSet();
        Assert.Empty(train.Intersect(validation));
        Assert.Empty(train.Intersect(test));
        Assert.Empty(validation.Intersect(test));
        Assert.Equal((20, 45, 135), (test.Count, validation.Count, train.Count)); // 10% of 200; 25% of the other 180
        Assert.Equal(samples.Count, split.Train.Count + split.Validation.Count + split.Test.Count);
    }

    [Fact]
    public void ByUserIsDeterministicUnderTheSeed()
    {
        var samples = ManyUsers(100, 2);
        var a = Splits.ByUser(samples, seed: 3);
        var b = Splits.ByUser(samples, seed: 3);
        var c = Splits.ByUser(samples, seed: 4);
        Assert.Equal(a.Test.Select(s => s.User), b.Test.Select(s => s.User));
        Assert.Equal(a.Validation.Select(s => s.User), b.Validation.Select(s => s.User));
        Assert.NotEqual(a.Test.Select(s => s.User).ToHashSet(), c.Test.Select(s => s.User).ToHashSet());
    }

    [Fact]
    public void ByUserKeepsAtLeastOneTestAndOneTrainUser()
    {
        var split = Splits.ByUser(ManyUsers(2, 1), testFraction: 0.01, validationFraction: 0.9);
        Assert.Single(split.Test);
        Assert.Single(split.Train);
        Assert.Empty(split.Validation);
    }

    [Theory]
    [InlineData(0.0, 0.1)]
    [InlineData(1.0, 0.1)]
    [InlineData(1.5, 0.1)]
    [InlineData(double.NaN, 0.1)]
    [InlineData(0.1, -0.1)]
    [InlineData(0.1, 1.0)]
    public void FractionsOutOfRangeAreRejected(double test, double validation)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Splits.ByUser(ManyUsers(10, 1), test, validation));
        Assert.Contains("fraction", error.Message);
    }

    [Fact]
    public void ByUserNeedsTwoUsers() =>
        Assert.Throws<ArgumentException>(() => Splits.ByUser(ManyUsers(1, 5)));

    [Fact]
    public void LeaveLastOutSendsTheLastImpressionToTestAndTheOneBeforeToValidation()
    {
        // User 1: times 30 (positive and negative), 10, 20, 40 out of order; user 2: one time; user 3: two times.
        CtrSample[] samples =
        [
            Impression(1, 30), Impression(1, 30, 0f), Impression(1, 10), Impression(2, 5), Impression(1, 20),
            Impression(3, 8), Impression(1, 40), Impression(3, 9),
        ];
        var split = Splits.LeaveLastOut(samples);
        Assert.Equal([(2L, 5L), (1L, 40L), (3L, 9L)], split.Test.Select(s => (s.User, s.Time)));
        Assert.Equal([(1L, 30L), (1L, 30L), (3L, 8L)], split.Validation.Select(s => (s.User, s.Time)));
        Assert.Equal([(1L, 10L), (1L, 20L)], split.Train.Select(s => (s.User, s.Time)));
        Assert.Throws<ArgumentException>(() => Splits.LeaveLastOut([]));
    }

    [Fact]
    public void ASplitBecomesADatasetWithVocabulariesFromTrain()
    {
        Behavior[] log = [new(0, 1, 1, 0)];
        var dataset = Splits.ByUser(ManyUsers(20, 2), seed: 0).ToDataset("hand-made", log);
        Assert.Equal("hand-made", dataset.Name);
        Assert.Same(log, dataset.Log);
        Assert.True(dataset.Vocabulary.Items.Contains(1));
        Assert.Equal(40, dataset.Train.Count + dataset.Validation.Count + dataset.Test.Count);
    }
}
