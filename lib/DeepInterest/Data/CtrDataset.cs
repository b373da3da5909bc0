namespace DeepInterest.Data;

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

    /// <param name="vocabulary">How the vocabularies are built; null = <see cref="VocabularyConfig"/>'s defaults.</param>
    public CtrDataset(string name, IReadOnlyList<CtrSample> train, IReadOnlyList<CtrSample> validation, IReadOnlyList<CtrSample> test,
        VocabularyConfig? vocabulary = null)
    {
        if (train.Count == 0) throw new InvalidDataException($"{name}: the training split is empty");
        if (test.Count == 0) throw new InvalidDataException($"{name}: the test split is empty");
        Name = name;
        Train = train;
        Validation = validation;
        Test = test;
        Vocabulary = FeatureVocabulary.Build(train, vocabulary ?? new VocabularyConfig());
    }

    public override string ToString() => $"{Name}: {Train.Count:N0} train / {Validation.Count:N0} validation / {Test.Count:N0} test samples, {Vocabulary.Items.Size - 2:N0} items, {Vocabulary.Categories.Size - 2:N0} categories";
}
