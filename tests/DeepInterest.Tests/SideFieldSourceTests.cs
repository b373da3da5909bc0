using DeepInterest.Data;
using DeepInterest.Data.Loaders;
using Xunit;
using Xunit.Abstractions;

namespace DeepInterest.Tests;

/// <summary>Which side fields each data set brings (issue 11): user files, behaviour types, ratings, context; the shared samples when present.</summary>
public class SideFieldSourceTests(ITestOutputHelper output)
{
    /// <summary>20 users with 8 rated events each, an hour apart; the profiles a user-file parser would hand over.</summary>
    private static BehaviorLogData RatedLog(UserProfiles? profiles)
    {
        var events = Enumerable.Range(0, 20).SelectMany(u => Enumerable.Range(0, 8)
            .Select(i => new Behavior(u, 100 + (u * 3 + i) % 30, 1 + i % 4, 1_704_067_200 + u * 60 + i * 3600, $"{1 + (u + i) % 5}.0"))).ToList();
        return new BehaviorLogData("rated", events, new LoadReport([], events.Count, events.Count, 0, 0, [], 0)) { UserProfiles = profiles };
    }

    [Fact]
    public void ALogWithUserProfilesGivesUserContextAndRatingFields()
    {
        var profiles = new UserProfiles(["gender", "age"], Enumerable.Range(0, 20).ToDictionary(u => (long)u, u => new[] { u % 2 == 0 ? "F" : "M", $"{18 + u % 3 * 7}" }), "u.user");
        var data = RealDatasets.FromLog(RatedLog(profiles), seed: 1, typeField: StepField.Rating, fieldNote: "user fields from u.user");
        output.WriteLine(data.FieldsLine());
        Assert.Equal(["gender", "age", "hour", "weekday", "rating"], data.Vocabulary.Fields.Fields.Select(f => f.Name));
        Assert.Equal([FieldGroup.User, FieldGroup.User, FieldGroup.Context, FieldGroup.Context, FieldGroup.Behavior],
            data.Vocabulary.Fields.Fields.Select(f => f.Group));
        Assert.Equal(FieldKind.Dense, data.Vocabulary.Fields.Fields[^1].Kind);
        Assert.EndsWith("(user fields from u.user)", data.FieldsLine());
        using var batch = Batch.Collate(data.Test, data.Vocabulary, maxLength: 50);
        Assert.True(batch.Fields["gender"].ge(2).all().item<bool>(), "both genders have training users");
    }

    [Fact]
    public void AProfileWithTheWrongNumberOfValuesIsAClearError()
    {
        var profiles = new UserProfiles(["gender", "age"], Enumerable.Range(0, 20).ToDictionary(u => (long)u, u => u == 7 ? new[] { "F" } : ["M", "25"]), "users.dat");
        var error = Assert.Throws<InvalidDataException>(() => RealDatasets.FromLog(RatedLog(profiles), seed: 1));
        Assert.Contains("users.dat: user 7 has 1 values; expected 2 (gender, age)", error.Message);
    }

    [Fact]
    public void WithoutFieldsTheDataSetKeepsItsSamplesAndItemVocabulary()
    {
        var data = RealDatasets.FromLog(RatedLog(null), seed: 1, typeField: StepField.Rating);
        var none = data.WithoutFields();
        Assert.Equal("fields: none", none.FieldsLine());
        Assert.Same(data.Train, none.Train);
        Assert.Same(data.Vocabulary.Items, none.Vocabulary.Items);
        using var batch = Batch.Collate(none.Test, none.Vocabulary, maxLength: 50);
        Assert.Empty(batch.Fields);
    }

    [Fact]
    public void OnlyTheNamedFieldsAreKeptInTheDataSetsOrderWithTheirTrainingRows()
    {
        var profiles = new UserProfiles(["gender", "age"], Enumerable.Range(0, 20).ToDictionary(u => (long)u, u => new[] { u % 2 == 0 ? "F" : "M", $"{18 + u % 3 * 7}" }), "u.user");
        var data = RealDatasets.FromLog(RatedLog(profiles), seed: 1, typeField: StepField.Rating);
        var some = data.WithOnlyFields(["rating", "gender"]);
        Assert.Equal(["gender", "rating"], some.Vocabulary.Fields.Fields.Select(f => f.Name));
        Assert.Equal(data.Vocabulary.Fields.Fields[0], some.Vocabulary.Fields.Fields[0]);  // same rows: fitted once, on training
        Assert.Same(data.Train, some.Train);
        using var all = Batch.Collate(data.Test, data.Vocabulary, maxLength: 50);
        using var kept = Batch.Collate(some.Test, some.Vocabulary, maxLength: 50);
        Assert.Equal(["gender", "rating"], kept.Fields.Keys.Order());
        Assert.True(kept.Fields["gender"].allclose(all.Fields["gender"], rtol: 0, atol: 0));
        Assert.True(kept.Fields["rating"].allclose(all.Fields["rating"], rtol: 0, atol: 0));

        Assert.Equal("fields: none", data.WithOnlyFields([]).FieldsLine());
        var error = Assert.Throws<ArgumentException>(() => data.WithOnlyFields(["hour", "colour", "size"]));
        Assert.Equal("unknown field 'colour', 'size'; this data set has gender, age, hour, weekday, rating", error.Message);
    }

    private static string SharedFolder(string name)
    {
        var folder = Path.Combine(LoaderTests.SharedData, name);
        Skip.IfNot(Directory.Exists(folder), $"shared data folder {folder} is not present (see data/README.md); nothing to check");
        return folder;
    }

    [SkippableFact]
    public void SharedTaobaoHasBehaviourTypeAndImpressionContext()
    {
        var data = DatasetCatalog.Load("taobao", SharedFolder("taobao-userbehavior-sample"), seed: 1);
        output.WriteLine(data.FieldsLine());
        Assert.Equal(["hour", "weekday", "behavior_type"], data.Vocabulary.Fields.Fields.Select(f => f.Name));
        Assert.Equal(6, data.Vocabulary.Fields.Sparse("behavior_type").Size);  // padding, OOV, pv, cart, fav, buy
    }

    [SkippableFact]
    public void SharedMovieLensSmallSaysItHasNoUserFile()
    {
        var data = DatasetCatalog.Load("movielens-small", SharedFolder("movielens-latest-small"), seed: 1);
        output.WriteLine(data.FieldsLine());
        Assert.Equal(["hour", "weekday", "rating"], data.Vocabulary.Fields.Fields.Select(f => f.Name));
        Assert.EndsWith("(no user file)", data.FieldsLine());
    }

    [SkippableFact]
    public void SharedDienBooksHasTheUserIdAsAUserField()
    {
        var data = DatasetCatalog.Load("amazon-books-dien", SharedFolder("dien-books-format-sample"), seed: 1);
        output.WriteLine(data.FieldsLine());
        Assert.Equal("user_id", data.Vocabulary.Fields.Fields[0].Name);
        Assert.Equal(FieldGroup.User, data.Vocabulary.Fields.Fields[0].Group);
        Assert.Equal(data.Times == TimeKind.Real, data.Vocabulary.Fields.Fields.Any(f => f.Group == FieldGroup.Context));
    }
}
