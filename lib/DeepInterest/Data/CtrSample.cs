namespace DeepInterest.Data;

/// <summary>One user action — the common form every data set is loaded into (raw ids, time in Unix seconds).</summary>
public readonly record struct Behavior(long User, long Item, long Category, long Timestamp, string? Type = null);

/// <summary>
/// One CTR impression in raw ids: the user's behaviours before the candidate (oldest first), the candidate, the label,
/// a negative history for DIEN's auxiliary loss (aligned with the history) and, for synthetic data, the planted truth.
/// </summary>
public sealed record CtrSample
{
    public required long User { get; init; }
    public required long[] HistoryItems { get; init; }
    public required long[] HistoryCategories { get; init; }
    /// <summary>Unix seconds, non-decreasing.</summary>
    public required long[] HistoryTimes { get; init; }
    public required long Item { get; init; }
    public required long Category { get; init; }
    public required long Time { get; init; }
    public required float Label { get; init; }
    /// <summary>One sampled non-clicked item per history step (DIEN auxiliary loss); same length as the history.</summary>
    public long[] NegativeItems { get; init; } = [];
    public long[] NegativeCategories { get; init; } = [];
    /// <summary>Per-step sparse side fields (behaviour group), raw codes by field name, each aligned with the history (e.g. Taobao's behaviour type).</summary>
    public IReadOnlyDictionary<string, long[]>? HistoryCodes { get; init; }
    /// <summary>Per-step dense side fields (behaviour group), values by field name, each aligned with the history (e.g. each behaviour's rating).</summary>
    public IReadOnlyDictionary<string, float[]>? HistoryValues { get; init; }
    /// <summary>Per-impression dense context fields by name (e.g. the page position shown), known for a negative as for its positive.</summary>
    public IReadOnlyDictionary<string, float>? ContextValues { get; init; }
    /// <summary>Planted relevance of each history item to the candidate (synthetic data only).</summary>
    public float[]? Relevance { get; init; }
    /// <summary>Planted click probability (synthetic data only): the Bayes-optimal score.</summary>
    public double? ClickProbability { get; init; }

    public int HistoryLength => HistoryItems.Length;

    /// <summary>Throws a clear error when the parallel arrays disagree or times go backwards.</summary>
    public void Validate(string where)
    {
        int n = HistoryItems.Length;
        if (HistoryCategories.Length != n || HistoryTimes.Length != n)
            throw new InvalidDataException($"{where}: history arrays differ in length (items {n}, categories {HistoryCategories.Length}, times {HistoryTimes.Length})");
        if (NegativeItems.Length != 0 && (NegativeItems.Length != n || NegativeCategories.Length != n))
            throw new InvalidDataException($"{where}: negative history must have {n} items and categories, got {NegativeItems.Length} and {NegativeCategories.Length}");
        foreach (var (name, codes) in HistoryCodes ?? new Dictionary<string, long[]>())
            if (codes.Length != n) throw new InvalidDataException($"{where}: per-step field '{name}' must have {n} values, got {codes.Length}");
        foreach (var (name, values) in HistoryValues ?? new Dictionary<string, float[]>())
            if (values.Length != n) throw new InvalidDataException($"{where}: per-step field '{name}' must have {n} values, got {values.Length}");
        if (Relevance is { } r && r.Length != n)
            throw new InvalidDataException($"{where}: relevance must have {n} values, got {r.Length}");
        for (int i = 1; i < n; i++)
            if (HistoryTimes[i] < HistoryTimes[i - 1])
                throw new InvalidDataException($"{where}: history times must be non-decreasing, position {i} has {HistoryTimes[i]} after {HistoryTimes[i - 1]}");
        if (Label is not (0f or 1f)) throw new InvalidDataException($"{where}: label must be 0 or 1, got {Label}");
    }
}
