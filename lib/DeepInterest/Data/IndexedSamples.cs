namespace DeepInterest.Data;

/// <summary>
/// Samples with every raw id looked up in the vocabulary once: flat int64 index arrays (histories back to back, each cut
/// to its <see cref="MaxLength"/> most recent behaviours, sample <c>i</c>'s at <c>[Offsets[i], Offsets[i + 1])</c>)
/// plus the candidates' indices. Built once per data split, so
/// <see cref="Batch.Collate(IndexedSamples, ReadOnlySpan{int}, int, TorchSharp.torch.Device?)"/> only copies numbers for
/// every batch of every epoch instead of hashing every id again. Unknown ids are <see cref="Vocabulary.OutOfVocabulary"/>.
/// </summary>
public sealed class IndexedSamples
{
    private IndexedSamples(IReadOnlyList<CtrSample> samples, FeatureVocabulary vocabulary, int maxLength, long[] offsets, long[] historyItems,
        long[] historyCategories, long[]? negativeItems, long[]? negativeCategories, long[] items, long[] categories,
        Dictionary<string, long[]> stepCodes, Dictionary<string, float[]> stepValues, Dictionary<string, long[]> sampleCodes,
        Dictionary<string, float[]> sampleValues)
    {
        SampleCodes = sampleCodes;
        SampleValues = sampleValues;
        StepCodes = stepCodes;
        StepValues = stepValues;
        Samples = samples;
        Vocabulary = vocabulary;
        MaxLength = maxLength;
        Offsets = offsets;
        HistoryItems = historyItems;
        HistoryCategories = historyCategories;
        NegativeItems = negativeItems;
        NegativeCategories = negativeCategories;
        Items = items;
        Categories = categories;
    }

    /// <summary>The raw samples, for what needs no lookup (times, labels, users, planted truth).</summary>
    public IReadOnlyList<CtrSample> Samples { get; }
    public FeatureVocabulary Vocabulary { get; }
    public int Count => Samples.Count;
    /// <summary>Most recent behaviours kept per history; batches may cut to this or fewer.</summary>
    public int MaxLength { get; }
    /// <summary>(N + 1) start of each sample's history in the flat arrays.</summary>
    public long[] Offsets { get; }
    public long[] HistoryItems { get; }
    public long[] HistoryCategories { get; }
    /// <summary>Aligned with the histories, 0 (padding) for samples without a negative history; null when no sample has one.</summary>
    public long[]? NegativeItems { get; }
    public long[]? NegativeCategories { get; }
    public long[] Items { get; }
    public long[] Categories { get; }
    /// <summary>
    /// Per-step sparse side fields by name, vocabulary indices aligned with <see cref="HistoryItems"/>; a candidate field's
    /// values of the history items and of the negatives under <see cref="Batch.HistoryKey"/> and <see cref="Batch.NegativeKey"/>.
    /// </summary>
    public IReadOnlyDictionary<string, long[]> StepCodes { get; }
    /// <summary>Per-step dense side fields by name, standardized with the training statistics, aligned with <see cref="HistoryItems"/> (keys as <see cref="StepCodes"/>).</summary>
    public IReadOnlyDictionary<string, float[]> StepValues { get; }
    /// <summary>(N) per sample: each sparse user, context and candidate field's vocabulary index, by name.</summary>
    public IReadOnlyDictionary<string, long[]> SampleCodes { get; }
    /// <summary>(N) per sample: each dense user, context and candidate field's standardized value, by name.</summary>
    public IReadOnlyDictionary<string, float[]> SampleValues { get; }

    /// <summary>
    /// Looks every id of <paramref name="samples"/> up in <paramref name="vocabulary"/>, once, keeping each history's
    /// <paramref name="maxLength"/> most recent behaviours (what batches cut to that length use). Checks, once, that
    /// the kept times are non-decreasing, which models read from batches without checking (DSIN's sessions).
    /// </summary>
    public static IndexedSamples Build(IReadOnlyList<CtrSample> samples, FeatureVocabulary vocabulary, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (maxLength < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "maximum history length must be at least 1");
        int n = samples.Count;
        var offsets = new long[n + 1];
        bool anyNegatives = false;
        for (int i = 0; i < n; i++)
        {
            offsets[i + 1] = offsets[i] + Math.Min(samples[i].HistoryLength, maxLength);
            anyNegatives |= HasNegatives(samples[i]);
        }
        long total = offsets[n];
        var hi = new long[total]; var hc = new long[total];
        var ni = anyNegatives ? new long[total] : null; var nc = anyNegatives ? new long[total] : null;
        var items = new long[n]; var categories = new long[n];
        for (int i = 0; i < n; i++)
        {
            var s = samples[i];
            long at = offsets[i];
            int len = (int)(offsets[i + 1] - at), from = s.HistoryLength - len;
            bool negatives = HasNegatives(s);
            for (int k = 0; k < len; k++)
            {
                if (k > 0 && s.HistoryTimes[from + k] < s.HistoryTimes[from + k - 1])
                    throw new InvalidDataException($"sample {i} (user {s.User}): history times must be non-decreasing, position {from + k} has {s.HistoryTimes[from + k]} after {s.HistoryTimes[from + k - 1]}");
                hi[at + k] = vocabulary.Items.IndexOf(s.HistoryItems[from + k]);
                hc[at + k] = vocabulary.Categories.IndexOf(s.HistoryCategories[from + k]);
                if (negatives)
                {
                    ni![at + k] = vocabulary.Items.IndexOf(s.NegativeItems[from + k]);
                    nc![at + k] = vocabulary.Categories.IndexOf(s.NegativeCategories[from + k]);
                }
            }
            items[i] = vocabulary.Items.IndexOf(s.Item);
            categories[i] = vocabulary.Categories.IndexOf(s.Category);
        }
        var stepCodes = new Dictionary<string, long[]>();
        var stepValues = new Dictionary<string, float[]>();
        var sampleCodes = new Dictionary<string, long[]>();
        var sampleValues = new Dictionary<string, float[]>();
        var fields = vocabulary.Fields;
        foreach (var field in fields.Fields)
        {
            bool sparse = field.Kind == FieldKind.Sparse;
            if (field.Group == FieldGroup.Behavior)
            {
                if (sparse) stepCodes[field.Name] = IndexSteps(samples, offsets, field.Name, fields.Sparse(field.Name));
                else stepValues[field.Name] = StandardizeSteps(samples, offsets, field.Name, fields.Scale(field.Name));
            }
            else if (field.Group == FieldGroup.Candidate)  // a property of the item: the same lookup for candidate, history and negatives
            {
                string name = field.Name;
                if (sparse)
                {
                    sampleCodes[name] = samples.Select(s => fields.ItemIndex(name, s.Item)).ToArray();
                    stepCodes[Batch.HistoryKey(name)] = PerStep(samples, offsets, s => s.HistoryItems, id => fields.ItemIndex(name, id));
                    stepCodes[Batch.NegativeKey(name)] = PerStep(samples, offsets, s => s.NegativeItems, id => fields.ItemIndex(name, id));
                }
                else
                {
                    sampleValues[name] = samples.Select(s => fields.ItemValue(name, s.Item)).ToArray();
                    stepValues[Batch.HistoryKey(name)] = PerStep(samples, offsets, s => s.HistoryItems, id => fields.ItemValue(name, id));
                    stepValues[Batch.NegativeKey(name)] = PerStep(samples, offsets, s => s.NegativeItems, id => fields.ItemValue(name, id));
                }
            }
            else if (sparse) sampleCodes[field.Name] = samples.Select(s => fields.Index(field, s)).ToArray();
            else sampleValues[field.Name] = samples.Select(s => fields.Value(field, s)).ToArray();
        }
        return new IndexedSamples(samples, vocabulary, maxLength, offsets, hi, hc, ni, nc, items, categories, stepCodes, stepValues, sampleCodes, sampleValues);
    }

    /// <summary>
    /// A per-item field of each kept history step (or its negative), aligned with <see cref="HistoryItems"/>; 0 (padding)
    /// where a sample has no negative history, as <see cref="NegativeItems"/> has there.
    /// </summary>
    private static T[] PerStep<T>(IReadOnlyList<CtrSample> samples, long[] offsets, Func<CtrSample, long[]> ids, Func<long, T> lookup)
    {
        var flat = new T[offsets[^1]];
        for (int i = 0; i < samples.Count; i++)
        {
            var row = ids(samples[i]);
            if (row.Length != samples[i].HistoryLength) continue;
            int len = (int)(offsets[i + 1] - offsets[i]), from = row.Length - len;
            for (int k = 0; k < len; k++) flat[offsets[i] + k] = lookup(row[from + k]);
        }
        return flat;
    }

    private static long[] IndexSteps(IReadOnlyList<CtrSample> samples, long[] offsets, string name, Vocabulary vocabulary)
    {
        var flat = new long[offsets[^1]];
        for (int i = 0; i < samples.Count; i++)
        {
            var codes = FieldVocabulary.StepCodes(samples[i], name);
            int len = (int)(offsets[i + 1] - offsets[i]), from = codes.Length - len;
            for (int k = 0; k < len; k++) flat[offsets[i] + k] = vocabulary.IndexOf(codes[from + k]);
        }
        return flat;
    }

    private static float[] StandardizeSteps(IReadOnlyList<CtrSample> samples, long[] offsets, string name, (double Mean, double Std) scale)
    {
        var flat = new float[offsets[^1]];
        for (int i = 0; i < samples.Count; i++)
        {
            var values = FieldVocabulary.StepValues(samples[i], name);
            int len = (int)(offsets[i + 1] - offsets[i]), from = values.Length - len;
            for (int k = 0; k < len; k++)
            {
                float x = values[from + k];
                if (!float.IsFinite(x))
                    throw new InvalidDataException($"per-step field '{name}': sample of user {samples[i].User} at time {samples[i].Time} has {x} at history position {from + k}; expected a finite number (missing values are not imputed)");
                flat[offsets[i] + k] = (float)((x - scale.Mean) / scale.Std);
            }
        }
        return flat;
    }

    /// <summary>A negative history counts only when it is aligned with a non-empty history (DIEN's auxiliary loss).</summary>
    internal static bool HasNegatives(CtrSample s) => s.NegativeItems.Length == s.HistoryLength && s.HistoryLength > 0;
}
