namespace DeepInterest.Data;

/// <summary>
/// Raw id → dense index. Index 0 is padding, 1 is out-of-vocabulary; ids seen in training start at 2.
/// Counts are occurrences in the whole training data, untruncated histories included (mini-batch-aware regularization
/// counts what the batches feed instead: <c>FeatureSpace.From(training, vocab, maxLength)</c>).
/// </summary>
public sealed class Vocabulary
{
    public const long Padding = 0, OutOfVocabulary = 1;
    private readonly Dictionary<long, long> index = new();
    private readonly List<long> counts = [0, 0];
    private readonly List<long> raw = [long.MinValue, long.MinValue];

    /// <summary>Rows of an embedding table over this vocabulary (padding and OOV included).</summary>
    public long Size => counts.Count;

    public void Add(long rawId)
    {
        if (!index.TryGetValue(rawId, out var i))
        {
            i = counts.Count;
            index[rawId] = i;
            counts.Add(0);
            raw.Add(rawId);
        }
        counts[(int)i]++;
    }

    public long IndexOf(long rawId) => index.TryGetValue(rawId, out var i) ? i : OutOfVocabulary;

    public bool Contains(long rawId) => index.ContainsKey(rawId);

    /// <summary>The raw id at a dense index (padding and OOV have none).</summary>
    public long RawId(long index) => index >= 2 && index < raw.Count
        ? raw[(int)index]
        : throw new ArgumentOutOfRangeException(nameof(index), index, "padding (0) and out-of-vocabulary (1) have no raw id");

    /// <summary>Occurrences of each index in the training data (0 for padding and OOV).</summary>
    public long[] Counts() => counts.ToArray();
}

/// <summary>Item and category vocabularies, built from the training samples only (histories and candidates).</summary>
public sealed class FeatureVocabulary
{
    public Vocabulary Items { get; } = new();
    public Vocabulary Categories { get; } = new();

    public static FeatureVocabulary Build(IEnumerable<CtrSample> training)
    {
        var v = new FeatureVocabulary();
        foreach (var s in training)
        {
            foreach (var i in s.HistoryItems) v.Items.Add(i);
            foreach (var c in s.HistoryCategories) v.Categories.Add(c);
            v.Items.Add(s.Item);
            v.Categories.Add(s.Category);
        }
        if (v.Items.Size == 2) throw new InvalidDataException("cannot build a vocabulary from an empty training set");
        return v;
    }
}
