namespace DeepInterest.Data;

/// <summary>One user action — the common form every data set is loaded into (raw ids, time in Unix seconds).</summary>
public readonly record struct Behavior(long User, long Item, long Category, long Timestamp, string? Type = null);

/// <summary>
/// One CTR impression in raw ids: the user's behaviours before the candidate (oldest first), the candidate, the label,
/// a negative history for DIEN's auxiliary loss (aligned with the history) and, for synthetic data, the planted truth.
/// <para>The history and everything aligned with it are <see cref="Steps{T}"/> windows, not copies: a sample built by
/// <see cref="LogProtocol"/> or <see cref="SyntheticData"/> is a view (start, length) into its user's timeline arrays,
/// one from <see cref="Loaders.DienBooksLoader"/> a view into the loader's flat arrays, so memory grows with the events,
/// not with samples × history length. A sample can still be built from arrays (<c>HistoryItems = items</c>); each
/// history property set that way becomes its own window.</para>
/// </summary>
public sealed record CtrSample
{
    private StepStore store = StepStore.Empty;
    private int start, length;
    private PlantedRelevance? relevance;

    /// <summary>A view of <paramref name="length"/> steps of <paramref name="store"/> from <paramref name="start"/>.</summary>
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    internal CtrSample(StepStore store, int start, int length, long user, long item, long category, long time, float label)
    {
        if (start < 0 || length < 0 || store.Length < start + length)
            throw new ArgumentOutOfRangeException(nameof(length), $"window [{start}, {start + length}) of a timeline of {store.Length}");
        (this.store, this.start, this.length) = (store, start, length);
        (User, Item, Category, Time, Label) = (user, item, category, time, label);
    }

    public CtrSample() { }

    /// <summary>The arrays this sample's history is a window of, and where: shared by every sample of the same timeline.</summary>
    internal (StepStore Store, int Start, int Length) Window => (store, start, length);

    public required long User { get; init; }
    public required Steps<long> HistoryItems { get => store.Items.Window(start, length); init => Set(s => s with { Items = value }); }
    public required Steps<long> HistoryCategories { get => store.Categories.Window(start, length); init => Set(s => s with { Categories = value }); }
    /// <summary>Unix seconds, non-decreasing.</summary>
    public required Steps<long> HistoryTimes { get => store.Times.Window(start, length); init => Set(s => s with { Times = value }); }
    public required long Item { get; init; }
    public required long Category { get; init; }
    public required long Time { get; init; }
    public required float Label { get; init; }
    /// <summary>One sampled non-clicked item per history step (DIEN auxiliary loss); same length as the history.</summary>
    public Steps<long> NegativeItems { get => store.NegativeItems.Window(start, length); init => Set(s => s with { NegativeItems = value }); }
    public Steps<long> NegativeCategories { get => store.NegativeCategories.Window(start, length); init => Set(s => s with { NegativeCategories = value }); }
    /// <summary>
    /// Per-step sparse side fields (behaviour group), raw codes by field name, each aligned with the history (e.g. Taobao's
    /// behaviour type). Each read builds a new dictionary of windows into the timeline (no values are copied); code that
    /// reads many samples should read it once per sample, as the library's batch code reads one field at a time.
    /// </summary>
    public IReadOnlyDictionary<string, Steps<long>>? HistoryCodes
    {
        get => store.Codes?.ToDictionary(f => f.Key, f => f.Value.Window(start, length));
        init => Set(s => s with { Codes = value });
    }
    /// <summary>Per-step dense side fields (behaviour group), values by field name, each aligned with the history (e.g. each behaviour's rating); a new dictionary on each read, like <see cref="HistoryCodes"/>.</summary>
    public IReadOnlyDictionary<string, Steps<float>>? HistoryValues
    {
        get => store.Values?.ToDictionary(f => f.Key, f => f.Value.Window(start, length));
        init => Set(s => s with { Values = value });
    }
    /// <summary>Per-impression dense context fields by name (e.g. the page position shown), known for a negative as for its positive.</summary>
    public IReadOnlyDictionary<string, float>? ContextValues { get; init; }
    /// <summary>
    /// Planted relevance of each history item to the candidate (synthetic data only). Generated samples compute it from
    /// their rule each time it is read (a new array); one given as an array is returned as it is.
    /// </summary>
    public float[]? Relevance { get => relevance?.Of(this); init => relevance = value is null ? null : new GivenRelevance(value); }
    /// <summary>Planted click probability (synthetic data only): the Bayes-optimal score.</summary>
    public double? ClickProbability { get; init; }

    /// <summary>The planted relevance's rule (synthetic data), so samples need not store one value per history step.</summary>
    internal PlantedRelevance? PlantedRelevance { get => relevance; init => relevance = value; }
    internal bool HasRelevance => relevance is not null;

    public int HistoryLength => length;

    /// <summary>The window of a per-step sparse field, or null when the sample has none of that name.</summary>
    internal Steps<long>? StepCodes(string name) => store.Codes is { } codes && codes.TryGetValue(name, out var all) ? all.Window(start, length) : (Steps<long>?)null;
    /// <summary>The window of a per-step dense field, or null when the sample has none of that name.</summary>
    internal Steps<float>? StepValues(string name) => store.Values is { } values && values.TryGetValue(name, out var all) ? all.Window(start, length) : (Steps<float>?)null;
    internal IEnumerable<string> StepCodeNames => store.Codes?.Keys ?? [];
    internal IEnumerable<string> StepValueNames => store.Values?.Keys ?? [];

    /// <summary>
    /// Sets one history property the way an object initializer or <c>with</c> does: the other properties keep the windows
    /// they show now, each in its own right, and the history's length is the longest of them, so a mismatch stays
    /// visible to <see cref="Validate"/>.
    /// </summary>
    private void Set(Func<StepStore, StepStore> change)
    {
        var current = new StepStore(HistoryItems, HistoryCategories, HistoryTimes, NegativeItems, NegativeCategories, HistoryCodes, HistoryValues);
        store = change(current);
        start = 0;
        length = store.Length;
    }

    /// <summary>Throws a clear error when the parallel arrays disagree or times go backwards.</summary>
    public void Validate(string where)
    {
        int n = HistoryItems.Length;
        if (HistoryCategories.Length != n || HistoryTimes.Length != n)
            throw new InvalidDataException($"{where}: history arrays differ in length (items {n}, categories {HistoryCategories.Length}, times {HistoryTimes.Length})");
        if (NegativeItems.Length != 0 && (NegativeItems.Length != n || NegativeCategories.Length != n))
            throw new InvalidDataException($"{where}: negative history must have {n} items and categories, got {NegativeItems.Length} and {NegativeCategories.Length}");
        foreach (var (name, codes) in HistoryCodes ?? new Dictionary<string, Steps<long>>())
            if (codes.Length != n) throw new InvalidDataException($"{where}: per-step field '{name}' must have {n} values, got {codes.Length}");
        foreach (var (name, values) in HistoryValues ?? new Dictionary<string, Steps<float>>())
            if (values.Length != n) throw new InvalidDataException($"{where}: per-step field '{name}' must have {n} values, got {values.Length}");
        if (Relevance is { } r && r.Length != n)
            throw new InvalidDataException($"{where}: relevance must have {n} values, got {r.Length}");
        var times = HistoryTimes;
        for (int i = 1; i < n; i++)
            if (times[i] < times[i - 1])
                throw new InvalidDataException($"{where}: history times must be non-decreasing, position {i} has {times[i]} after {times[i - 1]}");
        if (Label is not (0f or 1f)) throw new InvalidDataException($"{where}: label must be 0 or 1, got {Label}");
    }
}

/// <summary>
/// The per-step arrays samples are windows of: one user's timeline (<see cref="LogProtocol"/>, <see cref="SyntheticData"/>),
/// a loader's flat arrays (<see cref="Loaders.DienBooksLoader"/>), or one sample's own arrays when it was built from
/// arrays. An empty negative history or field means none.
/// </summary>
internal sealed record StepStore(Steps<long> Items, Steps<long> Categories, Steps<long> Times, Steps<long> NegativeItems, Steps<long> NegativeCategories,
    IReadOnlyDictionary<string, Steps<long>>? Codes = null, IReadOnlyDictionary<string, Steps<float>>? Values = null)
{
    public static StepStore Empty { get; } = new(default, default, default, default, default);

    /// <summary>The longest of the arrays (they are all this long in a timeline; a sample built from arrays may differ).</summary>
    public int Length
    {
        get   // checked for every sample built: no allocation
        {
            int n = Math.Max(Math.Max(Items.Length, Categories.Length), Math.Max(Times.Length, Math.Max(NegativeItems.Length, NegativeCategories.Length)));
            if (Codes is not null) foreach (var codes in Codes.Values) n = Math.Max(n, codes.Length);
            if (Values is not null) foreach (var values in Values.Values) n = Math.Max(n, values.Length);
            return n;
        }
    }
}

internal static class StepWindows
{
    /// <summary>
    /// Steps start..start+length−1, clipped to what the array holds: an array shorter than the window (a sample built from
    /// arrays of different lengths, or no negatives) shows what it has, so <see cref="CtrSample.Validate"/> sees the mismatch.
    /// </summary>
    public static Steps<T> Window<T>(this Steps<T> all, int start, int length) =>
        all.Length >= start + length ? all.Slice(start, length) : all.Slice(Math.Min(start, all.Length), Math.Max(0, Math.Min(length, all.Length - start)));
}

/// <summary>How a sample's planted relevance is known: given values, or a rule computed when read (<see cref="SyntheticData"/>).</summary>
internal abstract class PlantedRelevance
{
    public abstract float[] Of(CtrSample sample);
}

internal sealed class GivenRelevance(float[] values) : PlantedRelevance
{
    public override float[] Of(CtrSample sample) => values;
}
