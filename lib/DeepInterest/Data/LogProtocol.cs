namespace DeepInterest.Data;

/// <summary>How <see cref="LogProtocol"/> draws the negative of each positive (data/README.md, "Log protocol").</summary>
public enum NegativeRule
{
    /// <summary>
    /// The negative is in the history window exactly when the positive is: when the positive repeats an item of its
    /// window, the negative is the item of a uniformly drawn other event of that window (never the positive's item);
    /// otherwise it is drawn by popularity among the items the user never interacted with. So "the candidate is in the
    /// history" is as frequent among negatives as among positives — for the data set, for each user and for each
    /// history — and carries no information about the label.
    /// </summary>
    RepeatMatched,
    /// <summary>
    /// Always drawn by popularity among the items the user never interacted with (the kit's rule before the fix). A
    /// negative is then never in the history, so on logs with repeats (Taobao) the rule "candidate in history ⇒ click"
    /// separates the classes by itself.
    /// </summary>
    NeverInteracted,
}

/// <summary>Settings of <see cref="LogProtocol"/>.</summary>
public sealed record LogProtocolConfig
{
    /// <summary>Earlier events a position needs before it yields samples.</summary>
    public int MinHistory { get; init; } = 4;
    /// <summary>Most recent earlier events kept as the history.</summary>
    public int MaxHistory { get; init; } = 50;
    /// <summary>Seeds the negative sampling (per user, so the result does not depend on the order of users).</summary>
    public int Seed { get; init; } = 42;
    /// <summary>How each positive's negative is drawn.</summary>
    public NegativeRule Negatives { get; init; } = NegativeRule.RepeatMatched;
    /// <summary>
    /// The per-step field built from each history behaviour's <see cref="Behavior.Type"/> (Taobao's behaviour type, a
    /// rating), or null for none. Only the history's types are used: the candidate's own type is its event's, which a
    /// negative would not have.
    /// </summary>
    public StepField? TypeField { get; init; }

    internal void Validate()
    {
        if (!Enum.IsDefined(Negatives)) throw new ArgumentOutOfRangeException(nameof(Negatives), Negatives, "unknown negative rule");
        if (MinHistory < 1) throw new ArgumentOutOfRangeException(nameof(MinHistory), MinHistory, "the minimum history must be at least 1 event");
        if (MaxHistory < MinHistory) throw new ArgumentOutOfRangeException(nameof(MaxHistory), MaxHistory, $"the maximum history must be at least the minimum history ({MinHistory})");
    }
}

/// <summary>
/// The standard way to turn a behaviour log (every event a click) into CTR samples, as in the DIN/DIEN experiments
/// on Amazon and Taobao logs:
/// <list type="number">
/// <item>Events are grouped by user and stably sorted by timestamp (input order breaks ties; unsorted input is fine).</item>
/// <item>Every event with at least <see cref="LogProtocolConfig.MinHistory"/> earlier events of its user gives a
/// positive sample (the event, label 1) and a negative sample (label 0) with the same history and time. The history is
/// the at most <see cref="LogProtocolConfig.MaxHistory"/> most recent earlier events. The negative follows
/// <see cref="LogProtocolConfig.Negatives"/>: by default (<see cref="NegativeRule.RepeatMatched"/>) another item of the
/// window when the positive repeats an item of its window, else a popularity-sampled item the user never interacted
/// with; never an item the user meets only later.</item>
/// <item>Each event gets one negative item for DIEN's auxiliary loss, drawn once per event, so every sample whose
/// history contains that event carries the same negative at that step.</item>
/// </list>
/// Popularity for the negatives drawn outside the window and the auxiliary ones is the item's number of events in the whole log (the category is that of
/// its first event); "not in the user's history" means none of the items of any of the user's events.
/// Output: users in ascending id, each user's samples in time order, positive before negative.
/// </summary>
public static class LogProtocol
{
    public static List<CtrSample> Build(IReadOnlyList<Behavior> log, LogProtocolConfig? config = null)
    {
        config ??= new LogProtocolConfig();
        config.Validate();
        if (log.Count == 0) throw new ArgumentException("the behaviour log is empty", nameof(log));
        for (int i = 0; i < log.Count; i++)
            if (log[i].Timestamp < 0)
                throw new InvalidDataException($"behaviour log: event {i} (user {log[i].User}, item {log[i].Item}) has negative timestamp {log[i].Timestamp}; expected Unix seconds");

        var sampler = NegativeSampler.FromBehaviors(log);
        var samples = new List<CtrSample>();
        var typeCodes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var events in log.GroupBy(b => b.User).OrderBy(g => g.Key))
            AddUserSamples(samples, events.Key, events.OrderBy(b => b.Timestamp).ToArray(), sampler, config, typeCodes);
        return samples;
    }

    /// <summary>Each behaviour's type as a sparse code (first occurrence order) or a parsed number; a missing or unparsable type is an error.</summary>
    private static (long[]? Codes, float[]? Values) Types(Behavior[] timeline, StepField? field, Dictionary<string, long> typeCodes)
    {
        if (field is null) return (null, null);
        var codes = field.Kind == FieldKind.Sparse ? new long[timeline.Length] : null;
        var values = field.Kind == FieldKind.Dense ? new float[timeline.Length] : null;
        for (int i = 0; i < timeline.Length; i++)
        {
            var b = timeline[i];
            var type = b.Type ?? throw new InvalidDataException($"behaviour log: user {b.User}, item {b.Item} at {b.Timestamp} has no type; the per-step field '{field.Name}' needs one for every behaviour");
            if (codes is not null) codes[i] = typeCodes.TryGetValue(type, out var c) ? c : typeCodes[type] = typeCodes.Count;
            else if (float.TryParse(type, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var x) && float.IsFinite(x)) values![i] = x;
            else throw new InvalidDataException($"behaviour log: user {b.User}, item {b.Item} at {b.Timestamp} has type '{type}'; the dense per-step field '{field.Name}' expects a finite number");
        }
        return (codes, values);
    }

    private static void AddUserSamples(List<CtrSample> samples, long user, Behavior[] timeline, NegativeSampler sampler, LogProtocolConfig config,
        Dictionary<string, long> typeCodes)
    {
        if (timeline.Length <= config.MinHistory) return;
        var rng = RandomStreams.For(config.Seed, user);
        var own = timeline.Select(b => b.Item).ToHashSet();
        var items = timeline.Select(b => b.Item).ToArray();
        var categories = timeline.Select(b => b.Category).ToArray();
        var times = timeline.Select(b => b.Timestamp).ToArray();
        var negativeItems = new long[timeline.Length];
        var negativeCategories = new long[timeline.Length];
        for (int i = 0; i < timeline.Length; i++)
            (negativeItems[i], negativeCategories[i]) = sampler.Sample(rng, own);
        var (codes, values) = Types(timeline, config.TypeField, typeCodes);
        // history steps only (from..position−1): the candidate's own type would be its label's event
        var store = new StepStore(items, categories, times, negativeItems, negativeCategories,
            codes is null ? null : new Dictionary<string, Steps<long>> { [config.TypeField!.Name] = codes },
            values is null ? null : new Dictionary<string, Steps<float>> { [config.TypeField!.Name] = values });

        for (int position = config.MinHistory; position < timeline.Length; position++)
        {
            int from = Math.Max(0, position - config.MaxHistory);
            var positive = new CtrSample(store, from, position - from, user, items[position], categories[position], times[position], 1f);
            var (negative, negativeCategory) = config.Negatives == NegativeRule.RepeatMatched
                ? WindowNegative(rng, items.AsSpan(from, position - from), categories.AsSpan(from, position - from), positive.Item) ?? sampler.Sample(rng, own)
                : sampler.Sample(rng, own);
            samples.Add(positive);
            samples.Add(positive with { Item = negative, Category = negativeCategory, Label = 0f });
        }
    }

    /// <summary>
    /// When <paramref name="positive"/> is in the window: the item and category of a uniformly drawn event of the window
    /// whose item is another one. Null when the positive is not in the window, or when every event of the window is
    /// the positive's item (then the negative comes from outside, the only case where the two differ).
    /// </summary>
    private static (long Item, long Category)? WindowNegative(Random rng, ReadOnlySpan<long> window, ReadOnlySpan<long> windowCategories, long positive)
    {
        if (window.IndexOf(positive) < 0) return null;
        int others = window.Length - window.Count(positive);
        if (others == 0) return null;
        int pick = rng.Next(others);
        for (int i = 0; i < window.Length; i++)
            if (window[i] != positive && pick-- == 0) return (window[i], windowCategories[i]);
        throw new InvalidOperationException("unreachable: the window's other events were counted above");
    }
}
