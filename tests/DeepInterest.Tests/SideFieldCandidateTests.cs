using DeepInterest.Data;
using DeepInterest.Layers;
using DeepInterest.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace DeepInterest.Tests;

/// <summary>
/// Candidate-side (per-item) fields and dense user and context fields (issue 11): per-item values looked up by item id for
/// candidate, history and negatives alike, OOV-safe, label-free; dense values standardized on training only; every model.
/// </summary>
public class SideFieldCandidateTests
{
    /// <summary>
    /// <see cref="SideFieldDataTests.Samples"/> with a dense context field "slot" (user mod 4) and a negative history (item + 1).
    /// </summary>
    internal static List<CtrSample> Samples(int count, int firstUser = 0, float slotShift = 0) =>
        SideFieldDataTests.Samples(count, firstUser).Select(s => s with
        {
            ContextValues = new Dictionary<string, float> { ["slot"] = s.User % 4 + slotShift },
            NegativeItems = s.HistoryItems.Select(i => i + 1).ToArray(),
            NegativeCategories = s.HistoryCategories,
        }).ToList();

    /// <summary>Items 10–17: "brand" item mod 3, "price" 1.5 × item; 98 has a training brand, 99 a brand no training item has.</summary>
    internal static FieldTable Items(float priceShift = 0) => new("test items", ["brand"],
        Enumerable.Range(10, 8).Append(98).Append(99).ToDictionary(i => (long)i, i => new[] { i == 99 ? 7L : i % 3 }),
        ["price"], Enumerable.Range(10, 8).Append(98).Append(99).ToDictionary(i => (long)i, i => new[] { 1.5f * i + (i >= 98 ? priceShift : 0) }));

    /// <summary>A dense "age" per user (2 × user).</summary>
    internal static FieldTable Ages(int users) => new("test ages", [], new Dictionary<long, long[]>(), ["age"],
        Enumerable.Range(0, users).ToDictionary(u => (long)u, u => new[] { 2f * u }));

    internal static FieldSources Rich(int users) => SideFieldDataTests.All(users) with { UserTable = Ages(users), Items = Items() };

    private static List<CtrSample> Test() =>
        [.. Samples(8, firstUser: 40), Samples(1, firstUser: 48)[0] with { Item = 98 }, Samples(1, firstUser: 49)[0] with { Item = 99 }];

    private static CtrDataset Data(List<CtrSample>? test = null) => new("fields", Samples(40), [], test ?? Test(), fields: Rich(50));

    [Fact]
    public void NewFieldsAreTensorsOfTheirShapeAndTypeOnTheBatchDevice()
    {
        var data = Data();
        var fields = data.Vocabulary.Fields;
        Assert.Equal(["gender", "job", "age", "hour", "weekday", "slot", "behavior_type", "rating", "brand", "price"], fields.Fields.Select(f => f.Name));
        Assert.Equal([FieldGroup.User, FieldGroup.Context, FieldGroup.Candidate, FieldGroup.Candidate],
            new[] { "age", "slot", "brand", "price" }.Select(n => fields.Fields.Single(f => f.Name == n).Group));
        var device = torch.cuda.is_available() ? CUDA : CPU;
        using var batch = Batch.Collate(data.Test, data.Vocabulary, maxLength: 3, device);
        long b = data.Test.Count, t = batch.MaxLength;
        foreach (var (key, shape, dtype) in new[]
        {
            ("age", new[] { b }, ScalarType.Float32), ("slot", [b], ScalarType.Float32), ("brand", [b], ScalarType.Int64), ("price", [b], ScalarType.Float32),
            (Batch.HistoryKey("brand"), [b, t], ScalarType.Int64), (Batch.NegativeKey("brand"), [b, t], ScalarType.Int64),
            (Batch.HistoryKey("price"), [b, t], ScalarType.Float32), (Batch.NegativeKey("price"), [b, t], ScalarType.Float32),
        })
        {
            var x = batch.Fields[key];
            Assert.Equal(shape, x.shape);
            Assert.Equal(dtype, x.dtype);
            Assert.Equal(device.type, x.device.type);
            if (x.dim() == 2) Assert.True(x.masked_select(batch.Mask.logical_not()).eq(0).all().item<bool>(), $"{key} is not 0 at padding");
        }
    }

    [Fact]
    public void CandidateFieldValuesUnseenInTrainingMapToOutOfVocabulary()
    {
        var fields = Data().Vocabulary.Fields;
        Assert.Equal(Vocabulary.OutOfVocabulary, fields.ItemIndex("brand", 99));   // brand 7: no training item has it
        Assert.Equal(fields.ItemIndex("brand", 11), fields.ItemIndex("brand", 98)); // an item unseen in training keeps its brand's row
        Assert.True(fields.ItemIndex("brand", 98) >= 2);
        var missing = Assert.Throws<InvalidDataException>(() => fields.ItemIndex("brand", 5));
        Assert.Contains("test items: item 5 has no row", missing.Message);
    }

    [Fact]
    public void TheCandidateFieldIsTheItemsForAPositiveItsNegativeAndTheSameItemInTheHistory()
    {
        var positive = Samples(1, firstUser: 44)[0] with { Label = 1 };
        var data = Data([positive, positive with { Label = 0 }]);
        using var batch = Batch.Collate(data.Test, data.Vocabulary, maxLength: 10);
        foreach (var name in new[] { "brand", "price" })
        {
            var x = batch.Fields[name];
            Assert.True(x[0].eq(x[1]).item<bool>(), $"{name} differs between a positive and its negative");
            // the candidate item (10 + 44 mod 7 = 12) is the history's first item: the same value there
            var history = batch.Fields[Batch.HistoryKey(name)];
            var same = batch.HistoryItems.eq(batch.Items.unsqueeze(1));             // (B, T)
            Assert.True(same.any().item<bool>());
            Assert.True(history.masked_select(same).eq(x.unsqueeze(1).expand_as(history).masked_select(same)).all().item<bool>(), name);
        }
        var negative = batch.Fields[Batch.NegativeKey("brand")];
        var negativeItems = positive.NegativeItems;
        Assert.Equal(negativeItems.Select(i => data.Vocabulary.Fields.ItemIndex("brand", i)), negative[0].data<long>().ToArray()[^negativeItems.Length..]);
    }

    [Fact]
    public void DenseUserContextAndItemFieldsAreStandardizedWithTrainingStatisticsOnly()
    {
        var train = Samples(40);
        var test = Samples(10, firstUser: 40, slotShift: 100);
        var shifted = new CtrDataset("fields", train, [], test, fields: Rich(50) with { Items = Items(priceShift: 1000) });
        var plain = new CtrDataset("fields", train, [], Samples(10, firstUser: 40), fields: Rich(50));
        static (double, double) Moments(IEnumerable<double> xs)
        {
            var v = xs.ToArray();
            double mean = v.Average();
            return (mean, Math.Sqrt(v.Average(x => (x - mean) * (x - mean))));
        }
        var fields = shifted.Vocabulary.Fields;
        var expected = new Dictionary<string, (double, double)>
        {
            ["age"] = Moments(train.Select(s => 2.0 * s.User)),                                   // each training user once
            ["slot"] = Moments(train.Select(s => (double)s.ContextValues!["slot"])),               // each training impression
            ["price"] = Moments(train.SelectMany(s => s.HistoryItems.Append(s.Item)).Distinct().Select(i => 1.5 * i)), // each training item once
        };
        foreach (var (name, (mean, std)) in expected)
        {
            var (m, s) = fields.Scale(name);
            Assert.Equal(mean, m, 5);
            Assert.Equal(std, s, 5);
            Assert.Equal((m, s), plain.Vocabulary.Fields.Scale(name));   // shifted test values do not move the scale
        }
        using var batch = Batch.Collate(test, shifted.Vocabulary, maxLength: 5);
        var (slotMean, slotStd) = fields.Scale("slot");
        Assert.Equal(test.Select(s => (float)((s.ContextValues!["slot"] - slotMean) / slotStd)), batch.Fields["slot"].data<float>().ToArray(), (a, c) => Math.Abs(a - c) < 1e-4);
    }

    [Fact]
    public void NotANumberOrAMissingDenseValueIsAClearError()
    {
        var items = Items();
        var nan = items with { Values = items.Values.ToDictionary(p => p.Key, p => p.Key == 13 ? [float.NaN] : p.Value) };
        var error = Assert.Throws<InvalidDataException>(() => new CtrDataset("fields", Samples(10), [], Samples(2, 10), fields: Rich(12) with { Items = nan }));
        Assert.Contains("test items: item 13, field 'price' is NaN", error.Message);
        var test = Samples(2, 10);
        test[1] = test[1] with { ContextValues = new Dictionary<string, float> { ["slot"] = float.PositiveInfinity } };
        error = Assert.Throws<InvalidDataException>(() => new CtrDataset("fields", Samples(10), [], test, fields: Rich(12)).Vocabulary.Fields.Value(
            new FieldSpec("slot", FieldGroup.Context, FieldKind.Dense), test[1]));
        Assert.Contains("context field 'slot': sample of user 11", error.Message);
        test[1] = test[1] with { ContextValues = null };
        var data = new CtrDataset("fields", Samples(10), [], test, fields: Rich(12));
        error = Assert.Throws<InvalidDataException>(() => IndexedSamples.Build(test, data.Vocabulary, 5));
        Assert.Contains("sample of user 11", error.Message);
        Assert.Contains("no context field 'slot'", error.Message);
        var ages = Ages(12) with { Values = Ages(12).Values.Where(p => p.Key != 4).ToDictionary() };
        error = Assert.Throws<InvalidDataException>(() => new CtrDataset("fields", Samples(10), [], Samples(2, 10), fields: Rich(12) with { UserTable = ages }));
        Assert.Contains("test ages: user 4 has no row", error.Message);
    }

    [Fact]
    public void SyntheticQualityTiersAreQuartilesOfThePlantedQualityAndPlantNothingNew()
    {
        var world = SyntheticData.Generate(SyntheticConfig.Tiny);
        var tiers = world.Catalogue.QualityTiers();
        var byQuality = Enumerable.Range(0, world.Catalogue.Items).OrderBy(i => world.Catalogue.Quality(i)).Select(i => tiers.Codes[i][0]).ToArray();
        Assert.Equal(byQuality.Order(), byQuality);                                   // higher quality, never a lower tier
        Assert.All(byQuality.CountBy(t => t), c => Assert.InRange(c.Value, byQuality.Length / 4, byQuality.Length / 4 + 1));
        var (plain, tiered) = (world.ToDataset(seed: 3), world.ToDataset(seed: 3, itemTiers: true));
        Assert.Equal(plain.Test.Select(s => (s.Item, s.Label, s.ClickProbability)), tiered.Test.Select(s => (s.Item, s.Label, s.ClickProbability)));
        Assert.Equal(FieldGroup.Candidate, tiered.Vocabulary.Fields.Fields[^1].Group);
        Assert.DoesNotContain(plain.Vocabulary.Fields.Fields, f => f.Group == FieldGroup.Candidate);
    }
}
