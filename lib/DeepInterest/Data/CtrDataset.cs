namespace DeepInterest.Data;

/// <summary>What a data set's timestamps are: clock times, or step indices that keep the order but not the gaps.</summary>
public enum TimeKind
{
    /// <summary>Unix seconds of the events (gaps mean something: DSIN's 30-minute sessions, BST's time-gap positions).</summary>
    Real,
    /// <summary>History step i has time i: order only. DSIN then cuts fixed-size sessions and BST uses index positions.</summary>
    Index,
}

/// <summary>
/// A data set ready for training: train / validation / test samples and the vocabularies built from the training
/// samples only (ids of fewer than <see cref="VocabularyConfig.MinCount"/> training users map to out-of-vocabulary).
/// <see cref="Log"/> is the behaviour log it came from, when there is one (for tables and plots).
/// </summary>
public sealed class CtrDataset
{
    public string Name { get; }
    public IReadOnlyList<CtrSample> Train { get; }
    public IReadOnlyList<CtrSample> Validation { get; }
    public IReadOnlyList<CtrSample> Test { get; }
    public FeatureVocabulary Vocabulary { get; }
    public IReadOnlyList<Behavior>? Log { get; init; }
    /// <summary>Whether the samples' times are clock times or step indices (DIEN's Amazon Books without reviews-info).</summary>
    public TimeKind Times { get; init; } = TimeKind.Real;
    /// <summary>How long the stages of building it took, for the real behaviour logs ("read …, samples …, split and vocabularies …"), else null.</summary>
    public string? Stages { get; internal set; }

    /// <param name="vocabulary">How the vocabularies are built; null = <see cref="VocabularyConfig"/>'s defaults.</param>
    /// <param name="fields">Where the side fields come from; null = none (<see cref="FieldSources.None"/>).</param>
    public CtrDataset(string name, IReadOnlyList<CtrSample> train, IReadOnlyList<CtrSample> validation, IReadOnlyList<CtrSample> test,
        VocabularyConfig? vocabulary = null, FieldSources? fields = null)
    {
        if (train.Count == 0) throw new InvalidDataException($"{name}: the training split is empty");
        if (test.Count == 0) throw new InvalidDataException($"{name}: the test split is empty");
        Name = name;
        Train = train;
        Validation = validation;
        Test = test;
        vocabulary ??= new VocabularyConfig();
        Vocabulary = FeatureVocabulary.Build(train, vocabulary).WithFields(FieldVocabulary.Build(train, fields ?? FieldSources.None, vocabulary));
        FieldNote = fields?.Note;
    }

    private CtrDataset(CtrDataset other, FeatureVocabulary vocabulary)
    {
        (Name, Train, Validation, Test, Log, Times, FieldNote) = (other.Name, other.Train, other.Validation, other.Test, other.Log, other.Times, other.FieldNote);
        Vocabulary = vocabulary;
    }

    /// <summary>What the data set's source says about its fields (e.g. "no user file"), or null.</summary>
    public string? FieldNote { get; }

    /// <summary>The same data and item/category vocabularies with no side field: the models are then exactly the item-and-category ones (<c>--features none</c>).</summary>
    public CtrDataset WithoutFields() => WithOnlyFields([]);

    /// <summary>The same data with only the side fields named (<c>--features hour,weekday</c>): a per-field ablation; see <see cref="FieldVocabulary.Only"/>.</summary>
    public CtrDataset WithOnlyFields(IReadOnlyCollection<string> names) => new(this, Vocabulary.WithFields(Vocabulary.Fields.Only(names)));

    /// <summary>"fields: hour (context, sparse, 26 rows), …" or "fields: none", as reports print it.</summary>
    public string FieldsLine() => (Vocabulary.Fields.Fields.Count == 0 ? "fields: none" : "fields: " + string.Join(", ", Vocabulary.Fields.Fields))
                                  + (FieldNote is null ? "" : $" ({FieldNote})");

    public override string ToString() => $"{Name}: {Train.Count:N0} train / {Validation.Count:N0} validation / {Test.Count:N0} test samples, {Vocabulary.Items.Size - 2:N0} items, {Vocabulary.Categories.Size - 2:N0} categories; times: {TimesName(Times)}";

    /// <summary>"real" or "index", as reports print it.</summary>
    public static string TimesName(TimeKind times) => times == TimeKind.Real ? "real" : "index";
}
