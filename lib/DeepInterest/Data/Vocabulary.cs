namespace DeepInterest.Data;

/// <summary>Settings of <see cref="FeatureVocabulary"/>.</summary>
public sealed record VocabularyConfig
{
    /// <summary>
    /// An item or category that occurs in the training samples (histories and candidates) of fewer than this many
    /// distinct users maps to out-of-vocabulary (index 1), like an id never seen in training. Test candidates unseen
    /// in training land on that row, so it must be trained: with the default 2, the ids only one training user has —
    /// exactly the ids that would be unseen had that user been held out — teach it what "a rarely seen id" looks like.
    /// 1 keeps every id (the OOV row then never trains). Counting users, not occurrences: one event of a user repeats
    /// in the histories of that user's later samples, so occurrence counts say little about rarity.
    /// </summary>
    public int MinCount { get; init; } = 2;

    /// <summary>Keeps every id seen in training (<see cref="MinCount"/> 1).</summary>
    public static VocabularyConfig KeepEveryId { get; } = new() { MinCount = 1 };

    internal void Validate()
    {
        if (MinCount < 1) throw new ArgumentOutOfRangeException(nameof(MinCount), MinCount, "the minimum count must be at least 1 user");
    }
}

/// <summary>
/// Raw id → dense index. Index 0 is padding, 1 is out-of-vocabulary; ids seen in training start at 2, in order of
/// first occurrence. Counts are occurrences in the whole training data, untruncated histories included; the OOV row
/// sums the ids folded into it (mini-batch-aware regularization counts what the batches feed instead:
/// <c>FeatureSpace.From(training, vocab, maxLength)</c>).
/// </summary>
public sealed class Vocabulary
{
    public const long Padding = 0, OutOfVocabulary = 1;
    private readonly Dictionary<long, long> index = new();
    private readonly long[] counts;
    private readonly long[] raw;

    /// <param name="occurrences">Each id with its occurrence count, in order of first occurrence.</param>
    /// <param name="keep">Whether an id gets its own row; the others map to <see cref="OutOfVocabulary"/>.</param>
    private Vocabulary(IReadOnlyList<(long Id, long Count)> occurrences, Func<long, bool> keep)
    {
        var rowCounts = new List<long> { 0, 0 };
        var rowIds = new List<long> { long.MinValue, long.MinValue };
        foreach (var (id, count) in occurrences)
        {
            if (!keep(id)) { rowCounts[(int)OutOfVocabulary] += count; continue; }
            index[id] = rowCounts.Count;
            rowCounts.Add(count);
            rowIds.Add(id);
        }
        counts = [.. rowCounts];
        raw = [.. rowIds];
    }

    /// <summary>Rows of an embedding table over this vocabulary (padding and OOV included).</summary>
    public long Size => counts.Length;

    public long IndexOf(long rawId) => index.TryGetValue(rawId, out var i) ? i : OutOfVocabulary;

    /// <summary>Whether the id has a row of its own (false for ids unseen in training or folded into OOV as rare).</summary>
    public bool Contains(long rawId) => index.ContainsKey(rawId);

    /// <summary>The raw id at a dense index (padding and OOV have none).</summary>
    public long RawId(long index) => index >= 2 && index < raw.Length
        ? raw[(int)index]
        : throw new ArgumentOutOfRangeException(nameof(index), index, "padding (0) and out-of-vocabulary (1) have no raw id");

    /// <summary>Occurrences of each index in the training data (0 for padding; for OOV, those of the rare ids it stands for).</summary>
    public long[] Counts() => (long[])counts.Clone();

    /// <summary>
    /// Counts occurrences of each id, in order of first occurrence, and its distinct users up to
    /// <paramref name="minUsers"/> (enough to decide; fewer kept users means a rare id).
    /// </summary>
    internal sealed class Counter(int minUsers)
    {
        private readonly Dictionary<long, int> position = new();
        private readonly List<(long Id, long Count)> occurrences = [];
        private readonly List<List<long>> users = [];

        public void Add(long rawId, long user)
        {
            if (!position.TryGetValue(rawId, out int p))
            {
                p = occurrences.Count;
                position[rawId] = p;
                occurrences.Add((rawId, 0));
                users.Add([]);
            }
            occurrences[p] = (rawId, occurrences[p].Count + 1);
            var seenBy = users[p];
            if (seenBy.Count < minUsers && !seenBy.Contains(user)) seenBy.Add(user);
        }

        public Vocabulary ToVocabulary() => new(occurrences, id => users[position[id]].Count >= minUsers);
    }
}

/// <summary>
/// Item and category vocabularies, built from the training samples only (histories and candidates); ids of fewer than
/// <see cref="VocabularyConfig.MinCount"/> training users map to out-of-vocabulary. <see cref="Fields"/> holds the
/// side fields (user, context, behaviour), also fitted on training only; none unless set with <see cref="WithFields"/>.
/// </summary>
public sealed class FeatureVocabulary
{
    public Vocabulary Items { get; }
    public Vocabulary Categories { get; }
    public FieldVocabulary Fields { get; private init; } = FieldVocabulary.None;

    /// <summary>The same item and category vocabularies with other side fields (<see cref="FieldVocabulary.None"/>: none).</summary>
    public FeatureVocabulary WithFields(FieldVocabulary fields) => new(Items, Categories) { Fields = fields };

    private FeatureVocabulary(Vocabulary items, Vocabulary categories) => (Items, Categories) = (items, categories);

    /// <param name="config">Null keeps every id seen (<see cref="VocabularyConfig.KeepEveryId"/>); data sets pass
    /// theirs (<see cref="CtrDataset"/> defaults to <see cref="VocabularyConfig"/>'s defaults).</param>
    public static FeatureVocabulary Build(IEnumerable<CtrSample> training, VocabularyConfig? config = null)
    {
        config ??= VocabularyConfig.KeepEveryId;
        config.Validate();
        var items = new Vocabulary.Counter(config.MinCount);
        var categories = new Vocabulary.Counter(config.MinCount);
        bool any = false;
        foreach (var s in training)
        {
            any = true;
            foreach (var i in s.HistoryItems) items.Add(i, s.User);
            foreach (var c in s.HistoryCategories) categories.Add(c, s.User);
            items.Add(s.Item, s.User);
            categories.Add(s.Category, s.User);
        }
        if (!any) throw new InvalidDataException("cannot build a vocabulary from an empty training set");
        return new FeatureVocabulary(items.ToVocabulary(), categories.ToVocabulary());
    }
}
