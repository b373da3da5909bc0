using DeepInterest.Data;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace DeepInterest.Tests;

/// <summary>Side fields in the data (issue 11): vocabularies and scales fitted on training only, batch tensors, no leakage.</summary>
public class SideFieldDataTests
{
    private const long Hour = 3600, Day = 86400;

    /// <summary>
    /// Users 0..n−1, one impression each at a user-specific time; history of 1–5 behaviours with a behaviour type (code
    /// user mod 3) and a rating (1 + user mod 5). Profiles: "gender" (user mod 2) and "job" (user mod 4, user 0 "rare").
    /// </summary>
    internal static List<CtrSample> Samples(int count, int firstUser = 0, float ratingShift = 0)
    {
        var samples = new List<CtrSample>();
        for (int u = firstUser; u < firstUser + count; u++)
        {
            int len = 1 + u % 5;
            samples.Add(new CtrSample
            {
                User = u,
                HistoryItems = Enumerable.Range(0, len).Select(i => 10L + (u + i) % 7).ToArray(),
                HistoryCategories = Enumerable.Range(0, len).Select(i => 1L + (u + i) % 3).ToArray(),
                HistoryTimes = Enumerable.Range(0, len).Select(i => 1_704_067_200L + u * Hour + i).ToArray(),
                Item = 10 + u % 7, Category = 1 + u % 3, Time = 1_704_067_200L + u * Hour + Day, Label = u % 2,
                HistoryCodes = new Dictionary<string, Steps<long>> { ["behavior_type"] = Enumerable.Range(0, len).Select(i => (long)((u + i) % 3)).ToArray() },
                HistoryValues = new Dictionary<string, Steps<float>> { ["rating"] = Enumerable.Range(0, len).Select(i => 1f + (u + i) % 5 + ratingShift).ToArray() },
            });
        }
        return samples;
    }

    internal static UserProfiles Profiles(int users) => new(["gender", "job"],
        Enumerable.Range(0, users).ToDictionary(u => (long)u, u => new[] { (u % 2).ToString(), u == 0 ? "rare" : $"job{u % 4}" }), "test users");

    internal static FieldSources All(int users) => new() { Users = Profiles(users), Context = true };

    [Fact]
    public void EveryFieldIsATensorOfItsShapeOnTheBatchDevice()
    {
        var train = Samples(40);
        var data = new CtrDataset("fields", train, [], Samples(10, firstUser: 40), fields: All(50));
        Assert.Equal(["gender", "job", "hour", "weekday", "behavior_type", "rating"], data.Vocabulary.Fields.Fields.Select(f => f.Name));
        var device = torch.cuda.is_available() ? CUDA : CPU;
        using var batch = Batch.Collate(data.Test, data.Vocabulary, maxLength: 3, device);
        long b = data.Test.Count, t = batch.MaxLength;
        Assert.Equal(3, t);
        foreach (var field in data.Vocabulary.Fields.Fields)
        {
            var x = batch.Fields[field.Name];
            Assert.Equal(device.type, x.device.type);
            Assert.Equal(field.Group == FieldGroup.Behavior ? [b, t] : new[] { b }, x.shape);
            Assert.Equal(field.Kind == FieldKind.Sparse ? ScalarType.Int64 : ScalarType.Float32, x.dtype);
            if (field.Group != FieldGroup.Behavior) continue;
            // left padding exactly where the history is: zero at padding
            Assert.True(x.masked_select(batch.Mask.logical_not()).eq(0).all().item<bool>(), $"{field.Name} is not 0 at padding");
        }
        Assert.True(batch.Fields["behavior_type"].masked_select(batch.Mask).ge(2).all().item<bool>(), "every type is seen in training");
    }

    [Fact]
    public void UserFieldValuesUnseenOrRareInTrainingMapToOutOfVocabulary()
    {
        var profiles = Profiles(50) with
        {
            Values = Profiles(50).Values.ToDictionary(p => p.Key, p => p.Key == 45 ? ["1", "astronaut"] : p.Value),
        };
        var data = new CtrDataset("fields", Samples(40), [], Samples(10, firstUser: 40), fields: new FieldSources { Users = profiles });
        var fields = data.Vocabulary.Fields;
        Assert.Equal(Vocabulary.OutOfVocabulary, fields.UserIndices(45)[1]);  // a value no training user has
        Assert.Equal(Vocabulary.OutOfVocabulary, fields.UserIndices(0)[1]);   // "rare": one training user, below MinCount 2
        Assert.True(fields.UserIndices(44)[1] >= 2);                          // job0: many training users
        Assert.Equal(fields.UserIndices(4)[1], fields.UserIndices(44)[1]);    // a test user shares a training user's row
        var missing = Assert.Throws<InvalidDataException>(() => fields.UserIndices(99));
        Assert.Contains("test users: user 99 has no row", missing.Message);
    }

    [Fact]
    public void DenseFieldsAreStandardizedWithTrainingStatisticsOnly()
    {
        var train = Samples(40);
        var values = train.SelectMany(s => s.HistoryValues!["rating"]).Select(v => (double)v).ToArray();
        double mean = values.Average(), std = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
        var shiftedTest = Samples(10, firstUser: 40, ratingShift: 100);
        var data = new CtrDataset("fields", train, [], shiftedTest, fields: All(50));
        var (fittedMean, fittedStd) = data.Vocabulary.Fields.Scale("rating");
        Assert.Equal(mean, fittedMean, 6);
        Assert.Equal(std, fittedStd, 6);
        using var batch = Batch.Collate(shiftedTest, data.Vocabulary, maxLength: 5);
        var expected = shiftedTest[^1].HistoryValues!["rating"].Select(v => (float)((v - mean) / std)).ToArray();
        var row = batch.Fields["rating"][-1].data<float>().ToArray()[^expected.Length..];
        Assert.Equal(expected, row, (a, c) => Math.Abs(a - c) < 1e-5);
    }

    [Fact]
    public void NotANumberInADenseFieldIsAClearError()
    {
        var train = Samples(10);
        train[3] = train[3] with { HistoryValues = new Dictionary<string, Steps<float>> { ["rating"] = [.. train[3].HistoryValues!["rating"][..^1], float.NaN] } };
        var error = Assert.Throws<InvalidDataException>(() => new CtrDataset("fields", train, [], Samples(2, 10), fields: All(12)));
        Assert.Contains("per-step field 'rating': sample of user 3", error.Message);
        Assert.Contains("NaN at history position 3", error.Message);
    }

    [Fact]
    public void ASampleWithoutAPerStepFieldTheTrainingSamplesHaveIsAClearError()
    {
        var test = Samples(2, 10);
        test[1] = test[1] with { HistoryCodes = new Dictionary<string, Steps<long>>() };   // no behavior_type
        var data = new CtrDataset("fields", Samples(10), [], test, fields: All(12));
        var error = Assert.Throws<InvalidDataException>(() => Batch.Collate(data.Test, data.Vocabulary, maxLength: 50));
        Assert.Contains("sample of user 11", error.Message);
        Assert.Contains("has no per-step field 'behavior_type', which the training samples have", error.Message);
    }

    [Fact]
    public void ContextComesFromTheImpressionTimeAndBehaviourTypesFromTheHistoryOnly()
    {
        // One user, five events, each of its own type; the log protocol makes a positive and a negative per event from the fifth on.
        var types = new[] { "pv", "cart", "fav", "buy", "pv2", "cart2" };
        var log = types.Select((type, i) => new Behavior(1, 100 + i, 1, 1_704_067_200 + i * 7 * Hour, type))
            .Concat(types.Select((type, i) => new Behavior(2, 200 + i, 2, 1_704_067_200 + i * 5 * Hour, type))).ToList();
        var samples = LogProtocol.Build(log, new LogProtocolConfig { MinHistory = 4, TypeField = StepField.BehaviorType });
        var byPosition = log.GroupBy(b => b.User).ToDictionary(g => g.Key, g => g.ToArray());
        foreach (var s in samples)
        {
            var events = byPosition[s.User];
            int position = s.HistoryLength;  // the candidate's own event is the one after the history
            var codes = s.HistoryCodes!["behavior_type"];
            Assert.Equal(position, codes.Length);
            Assert.DoesNotContain(Array.IndexOf(types, events[position].Type), codes);  // its own type (code = first occurrence) is never in it
        }
        var data = new CtrDataset("leak", samples, [], samples, VocabularyConfig.KeepEveryId, new FieldSources { Context = true });
        using var batch = Batch.Collate(samples, data.Vocabulary, maxLength: 10);
        var labels = batch.Labels.data<float>().ToArray();
        foreach (var name in new[] { FieldVocabulary.Hour, FieldVocabulary.Weekday })
        {
            var values = batch.Fields[name].data<long>().ToArray();
            for (int i = 0; i < samples.Count; i += 2)
            {
                Assert.Equal((1f, 0f), (labels[i], labels[i + 1]));
                Assert.Equal(values[i], values[i + 1]);  // the negative has its positive's impression context
                Assert.Equal(data.Vocabulary.Fields.Sparse(name).IndexOf(FieldVocabulary.ContextValue(name, samples[i].Time)), values[i]);
            }
        }
    }

    [Fact]
    public void ADenseTypeFieldRejectsATypeThatIsNotANumber()
    {
        var log = Enumerable.Range(0, 12).Select(i => new Behavior(1 + i / 6, 100 + i, 1, 1000 + i, i == 2 ? "five" : "4.5")).ToList();
        var error = Assert.Throws<InvalidDataException>(() => LogProtocol.Build(log, new LogProtocolConfig { TypeField = StepField.Rating }));
        Assert.Contains("type 'five'", error.Message);
    }
}
