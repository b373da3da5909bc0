using TorchSharp;
using static TorchSharp.torch;

namespace DeepInterest.Data;

/// <summary>
/// A padded, masked mini-batch on one device. Histories are left-padded to the longest history in the batch
/// (at most the loader's maximum length, most recent behaviours kept), so the most recent behaviour is always at
/// position T-1. Index 0 is padding everywhere; <see cref="Mask"/> is true at real behaviours.
/// </summary>
public sealed class Batch : IDisposable
{
    public required Tensor HistoryItems { get; init; }       // (B, T) int64
    public required Tensor HistoryCategories { get; init; }  // (B, T) int64
    public required Tensor HistoryTimes { get; init; }       // (B, T) int64 Unix seconds, 0 at padding
    public required Tensor Mask { get; init; }               // (B, T) bool
    public required Tensor Lengths { get; init; }            // (B) int64
    public required Tensor NegativeItems { get; init; }      // (B, T) int64, 0 where no negative
    public required Tensor NegativeCategories { get; init; } // (B, T) int64
    public required Tensor Items { get; init; }              // (B) int64 candidate
    public required Tensor Categories { get; init; }         // (B) int64 candidate
    public required Tensor Times { get; init; }              // (B) int64 candidate time, Unix seconds
    public required Tensor Labels { get; init; }             // (B) float32
    public Tensor? Relevance { get; init; }                  // (B, T) float32 planted truth, synthetic data only
    /// <summary>
    /// Side fields by name (<see cref="FieldVocabulary"/>), sparse ones int64 vocabulary indices, dense ones float32
    /// standardized values: user, context and candidate fields (B); behaviour fields (B, T) left-padded like the history (0
    /// at padding); a candidate field also (B, T) for the history items (<see cref="HistoryKey"/>) and the negatives
    /// (<see cref="NegativeKey"/>), looked up from the same per-item table.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> Fields { get; init; } = new Dictionary<string, Tensor>();
    /// <summary>Raw user ids, host side (GAUC groups by user).</summary>
    public required long[] Users { get; init; }
    /// <summary>Planted click probabilities, host side, when every sample has one.</summary>
    public double[]? ClickProbabilities { get; init; }

    public int Size => Users.Length;
    public long MaxLength => HistoryItems.shape[1];
    public Device Device => Items.device;

    /// <summary>
    /// Collates samples into a batch: vocabulary lookup (unknown ids → OOV), left padding to the longest history
    /// (capped at <paramref name="maxLength"/>, most recent kept), masks and lengths, all created on <paramref name="device"/>.
    /// Training loops should index their split once (<see cref="IndexedSamples.Build"/>) and collate from that instead.
    /// </summary>
    public static Batch Collate(IReadOnlyList<CtrSample> samples, FeatureVocabulary vocab, int maxLength, Device? device = null)
    {
        if (samples.Count == 0) throw new ArgumentException("a batch needs at least one sample", nameof(samples));
        var rows = new int[samples.Count];
        for (int i = 0; i < rows.Length; i++) rows[i] = i;
        if (maxLength < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "maximum history length must be at least 1");
        return Collate(IndexedSamples.Build(samples, vocab, maxLength), rows, maxLength, device);
    }

    /// <summary>
    /// Collates the samples at <paramref name="rows"/> of <paramref name="indexed"/> (already looked up in the
    /// vocabulary): left padding to the longest history (capped at <paramref name="maxLength"/>, most recent kept),
    /// masks and lengths, all created on <paramref name="device"/>.
    /// </summary>
    public static Batch Collate(IndexedSamples indexed, ReadOnlySpan<int> rows, int maxLength, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(indexed);
        if (rows.Length == 0) throw new ArgumentException("a batch needs at least one sample", nameof(rows));
        if (maxLength < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "maximum history length must be at least 1");
        if (maxLength > indexed.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, $"the samples were indexed with at most {indexed.MaxLength} behaviours per history; index them again for longer batches");
        device ??= CPU;
        var samples = indexed.Samples;
        int b = rows.Length, t = 1;
        bool hasRelevance = true, hasProbability = true;
        foreach (int row in rows)
        {
            var s = samples[row];
            t = Math.Max(t, Math.Min(s.HistoryLength, maxLength));
            hasRelevance &= s.HasRelevance;
            hasProbability &= s.ClickProbability is not null;
        }
        var hi = new long[b * t]; var hc = new long[b * t]; var ht = new long[b * t];
        var ni = new long[b * t]; var nc = new long[b * t];
        var mask = new bool[b * t]; var lengths = new long[b];
        var items = new long[b]; var cats = new long[b]; var times = new long[b]; var labels = new float[b];
        var users = new long[b];
        var relevance = hasRelevance ? new float[b * t] : null;
        var probabilities = hasProbability ? new double[b] : null;
        for (int r = 0; r < b; r++)
        {
            int row = rows[r];
            var s = samples[row];
            int len = Math.Min(s.HistoryLength, maxLength), from = s.HistoryLength - len, pad = t - len;
            long at = indexed.Ends[row] - len;  // the index holds the most recent behaviours, ending at the sample's end
            int dst = r * t + pad;
            Array.Copy(indexed.HistoryItems, at, hi, dst, len);
            Array.Copy(indexed.HistoryCategories, at, hc, dst, len);
            s.HistoryTimes.CopyLast(len, ht, dst);
            Array.Fill(mask, true, dst, len);
            if (indexed.NegativeItems is { } negativeItems && indexed.NegativeCategories is { } negativeCategories && IndexedSamples.HasNegatives(s))
            {
                Array.Copy(negativeItems, at, ni, dst, len);
                Array.Copy(negativeCategories, at, nc, dst, len);
            }
            if (relevance is not null) Array.Copy(s.Relevance!, from, relevance, dst, len);
            lengths[r] = len;
            items[r] = indexed.Items[row];
            cats[r] = indexed.Categories[row];
            times[r] = s.Time;
            labels[r] = s.Label;
            users[r] = s.User;
            if (probabilities is not null) probabilities[r] = s.ClickProbability!.Value;
        }
        long[] bt = [b, t];
        var fields = new Dictionary<string, Tensor>();
        foreach (var field in indexed.Vocabulary.Fields.Fields)
        {
            string name = field.Name;
            bool sparse = field.Kind == FieldKind.Sparse;
            if (field.Group != FieldGroup.Behavior)  // user and context per impression, candidate per candidate item: (B)
                fields[name] = sparse ? tensor(Gathered(indexed.SampleCodes[name], rows), device: device) : tensor(Gathered(indexed.SampleValues[name], rows), device: device);
            if (field.Group == FieldGroup.User || field.Group == FieldGroup.Context) continue;
            foreach (var key in field.Group == FieldGroup.Behavior ? [name] : new[] { HistoryKey(name), NegativeKey(name) })
                fields[key] = sparse
                    ? tensor(LeftPadded(indexed.StepCodes[key], indexed, rows, maxLength, t), bt, device: device)
                    : tensor(LeftPadded(indexed.StepValues[key], indexed, rows, maxLength, t), bt, device: device);
        }
        return new Batch
        {
            HistoryItems = tensor(hi, bt, device: device),
            HistoryCategories = tensor(hc, bt, device: device),
            HistoryTimes = tensor(ht, bt, device: device),
            Mask = tensor(mask, bt, device: device),
            Lengths = tensor(lengths, device: device),
            NegativeItems = tensor(ni, bt, device: device),
            NegativeCategories = tensor(nc, bt, device: device),
            Items = tensor(items, device: device),
            Categories = tensor(cats, device: device),
            Times = tensor(times, device: device),
            Labels = tensor(labels, device: device),
            Relevance = relevance is null ? null : tensor(relevance, bt, device: device),
            Users = users,
            ClickProbabilities = probabilities,
            Fields = fields,
        };
    }

    /// <summary>The key of a candidate field's (B, T) values for the history items in <see cref="Fields"/>.</summary>
    public static string HistoryKey(string field) => field + ".history";
    /// <summary>The key of a candidate field's (B, T) values for the negative items (0 where no negative) in <see cref="Fields"/>.</summary>
    public static string NegativeKey(string field) => field + ".negative";

    private static T[] Gathered<T>(T[] perSample, ReadOnlySpan<int> rows)
    {
        var values = new T[rows.Length];
        for (int r = 0; r < rows.Length; r++) values[r] = perSample[rows[r]];
        return values;
    }

    /// <summary>A flat per-step array of <paramref name="indexed"/> cut to the batch's rows, left-padded with zeros to (B·T).</summary>
    private static T[] LeftPadded<T>(T[] flat, IndexedSamples indexed, ReadOnlySpan<int> rows, int maxLength, int t)
    {
        var padded = new T[rows.Length * t];
        for (int r = 0; r < rows.Length; r++)
        {
            int len = Math.Min(indexed.Samples[rows[r]].HistoryLength, maxLength);
            Array.Copy(flat, indexed.Ends[rows[r]] - len, padded, r * t + t - len, len);
        }
        return padded;
    }

    public void Dispose()
    {
        foreach (var x in new[] { HistoryItems, HistoryCategories, HistoryTimes, Mask, Lengths, NegativeItems, NegativeCategories, Items, Categories, Times, Labels, Relevance })
            x?.Dispose();
        foreach (var x in Fields.Values) x.Dispose();
    }
}
