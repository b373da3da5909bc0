namespace DeepInterest.Data;

/// <summary>
/// Samples with every raw id looked up in the vocabulary once. Histories are not copied per sample: the kept parts of
/// the timelines the samples are windows of (<see cref="CtrSample"/>) are indexed once into flat int64 arrays, as
/// segments (a window that overlaps or touches the previous one of the same timeline extends its segment), and sample
/// <c>i</c>'s <see cref="MaxLength"/> most recent behaviours end at <c>Ends[i]</c>. So memory grows with the events of
/// the split's timelines, not with samples × history length. Built once per data split, so
/// <see cref="Batch.Collate(IndexedSamples, ReadOnlySpan{int}, int, TorchSharp.torch.Device?)"/> only copies numbers for
/// every batch of every epoch instead of hashing every id again. Unknown ids are <see cref="Vocabulary.OutOfVocabulary"/>.
/// </summary>
public sealed class IndexedSamples
{
    private IndexedSamples(IReadOnlyList<CtrSample> samples, FeatureVocabulary vocabulary, int maxLength, long[] ends, long[] historyItems,
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
        Ends = ends;
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
    /// <summary>(N) where each sample's history ends in the flat arrays: its kept behaviours are the min(length, <see cref="MaxLength"/>) before.</summary>
    public long[] Ends { get; }
    /// <summary>The indexed segments of the timelines, back to back.</summary>
    public long[] HistoryItems { get; }
    public long[] HistoryCategories { get; }
    /// <summary>Aligned with the histories; null when no sample has a negative history (a sample without one reads 0, padding).</summary>
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

    /// <summary>A piece of one timeline, indexed once, with where it starts in the flat arrays.</summary>
    private sealed record Segment(StepStore Store, int From, int To, long At);

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
        // Segments: each sample's kept window [to − len, to) joins the open segment of its timeline when it overlaps or touches it.
        var segments = new List<Segment>();
        var open = new Dictionary<StepStore, int>(ReferenceEqualityComparer.Instance);
        var segmentOf = new int[n];
        var ends = new long[n];
        bool anyNegatives = false;
        for (int i = 0; i < n; i++)
        {
            var s = samples[i];
            var (store, start, length) = s.Window;
            int len = Math.Min(length, maxLength), to = start + length, from = to - len;
            anyNegatives |= HasNegatives(s);
            CheckTimes(s, i, len);
            if (open.TryGetValue(store, out int k) && segments[k].From <= from && from <= segments[k].To)
                segments[k] = segments[k] with { To = Math.Max(segments[k].To, to) };
            else
            {
                open[store] = k = segments.Count;
                segments.Add(new Segment(store, from, to, 0));
            }
            segmentOf[i] = k;
            ends[i] = to;   // relative to the store for now
        }
        long total = 0;
        for (int k = 0; k < segments.Count; k++)
        {
            segments[k] = segments[k] with { At = total };
            total += segments[k].To - segments[k].From;
        }
        for (int i = 0; i < n; i++) ends[i] += segments[segmentOf[i]].At - segments[segmentOf[i]].From;

        var hi = Flat(segments, total, st => st.Items, vocabulary.Items.IndexOf);
        var hc = Flat(segments, total, st => st.Categories, vocabulary.Categories.IndexOf);
        var ni = anyNegatives ? Flat(segments, total, st => st.NegativeItems, vocabulary.Items.IndexOf) : null;
        var nc = anyNegatives ? Flat(segments, total, st => st.NegativeCategories, vocabulary.Categories.IndexOf) : null;
        var items = new long[n]; var categories = new long[n];
        for (int i = 0; i < n; i++)
        {
            items[i] = vocabulary.Items.IndexOf(samples[i].Item);
            categories[i] = vocabulary.Categories.IndexOf(samples[i].Category);
        }
        var stepCodes = new Dictionary<string, long[]>();
        var stepValues = new Dictionary<string, float[]>();
        var sampleCodes = new Dictionary<string, long[]>();
        var sampleValues = new Dictionary<string, float[]>();
        var fields = vocabulary.Fields;
        foreach (var field in fields.Fields)
        {
            bool sparse = field.Kind == FieldKind.Sparse;
            string name = field.Name;
            if (field.Group == FieldGroup.Behavior)
            {
                if (sparse)
                {
                    foreach (var s in samples) FieldVocabulary.StepCodes(s, name);   // each sample has the field: a clear error otherwise
                    var vocabularyOf = fields.Sparse(name);
                    stepCodes[name] = Flat(segments, total, st => st.Codes![name], vocabularyOf.IndexOf);
                }
                else stepValues[name] = StandardizeSteps(samples, segments, total, ends, maxLength, name, fields.Scale(name));
            }
            else if (field.Group == FieldGroup.Candidate)  // a property of the item: the same lookup for candidate, history and negatives
            {
                if (sparse)
                {
                    sampleCodes[name] = samples.Select(s => fields.ItemIndex(name, s.Item)).ToArray();
                    stepCodes[Batch.HistoryKey(name)] = Flat(segments, total, st => st.Items, id => fields.ItemIndex(name, id));
                    stepCodes[Batch.NegativeKey(name)] = Flat(segments, total, st => st.NegativeItems, id => fields.ItemIndex(name, id));
                }
                else
                {
                    sampleValues[name] = samples.Select(s => fields.ItemValue(name, s.Item)).ToArray();
                    stepValues[Batch.HistoryKey(name)] = Flat(segments, total, st => st.Items, id => fields.ItemValue(name, id));
                    stepValues[Batch.NegativeKey(name)] = Flat(segments, total, st => st.NegativeItems, id => fields.ItemValue(name, id));
                }
            }
            else if (sparse) sampleCodes[name] = samples.Select(s => fields.Index(field, s)).ToArray();
            else sampleValues[name] = samples.Select(s => fields.Value(field, s)).ToArray();
        }
        return new IndexedSamples(samples, vocabulary, maxLength, ends, hi, hc, ni, nc, items, categories, stepCodes, stepValues, sampleCodes, sampleValues);
    }

    /// <summary>The kept times must be non-decreasing: models read them from batches without checking (DSIN's sessions).</summary>
    private static void CheckTimes(CtrSample s, int i, int len)
    {
        var times = s.HistoryTimes.Span;
        int from = times.Length - len;
        for (int k = from + 1; k < times.Length; k++)
            if (times[k] < times[k - 1])
                throw new InvalidDataException($"sample {i} (user {s.User}): history times must be non-decreasing, position {k} has {times[k]} after {times[k - 1]}");
    }

    /// <summary>One per-step array of every segment, looked up, back to back; 0 (padding) where a timeline has none (no negatives).</summary>
    private static T[] Flat<T>(List<Segment> segments, long total, Func<StepStore, Steps<long>> ids, Func<long, T> lookup)
    {
        var flat = new T[total];
        foreach (var segment in segments)
        {
            var row = ids(segment.Store);
            for (int k = segment.From; k < Math.Min(segment.To, row.Length); k++) flat[segment.At + k - segment.From] = lookup(row[k]);
        }
        return flat;
    }

    /// <summary>A dense per-step field standardized; a value that is not finite is an error naming the sample whose kept history holds it.</summary>
    private static float[] StandardizeSteps(IReadOnlyList<CtrSample> samples, List<Segment> segments, long total, long[] ends, int maxLength,
        string name, (double Mean, double Std) scale)
    {
        var flat = new float[total];
        for (int i = 0; i < samples.Count; i++)
        {
            var values = FieldVocabulary.StepValues(samples[i], name);
            int len = Math.Min(values.Length, maxLength), from = values.Length - len;
            for (int k = 0; k < len; k++)
                if (!float.IsFinite(values[from + k]))
                    throw new InvalidDataException($"per-step field '{name}': sample of user {samples[i].User} at time {samples[i].Time} has {values[from + k]} at history position {from + k}; expected a finite number (missing values are not imputed)");
        }
        foreach (var segment in segments)
        {
            var row = segment.Store.Values![name];
            for (int k = segment.From; k < segment.To; k++) flat[segment.At + k - segment.From] = (float)((row[k] - scale.Mean) / scale.Std);
        }
        return flat;
    }

    /// <summary>A negative history counts only when it is aligned with a non-empty history (DIEN's auxiliary loss).</summary>
    internal static bool HasNegatives(CtrSample s) => s.NegativeItems.Length == s.HistoryLength && s.HistoryLength > 0;
}
