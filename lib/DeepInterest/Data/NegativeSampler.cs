namespace DeepInterest.Data;

/// <summary>
/// Draws "non-clicked" items in proportion to their popularity (occurrence counts), never one the caller excludes
/// (the user's own history and candidate). Used for the negative impressions of <see cref="LogProtocol"/> and for
/// DIEN's auxiliary-loss negatives (Zhou et al. 2019, Eq. 6: one negative per history step).
/// Sampling is Walker/Vose's alias method — O(1) per draw — with rejection of excluded items; after a run of
/// rejections it falls back to an exact draw over the allowed items, so the result is always the popularity
/// distribution conditioned on "not excluded". Reproducible: the same <see cref="Random"/> state gives the same item.
/// </summary>
public sealed class NegativeSampler
{
    private const int RejectionAttempts = 32;
    private readonly long[] items;
    private readonly long[] categories;
    private readonly long[] counts;
    private readonly double[] acceptance;
    private readonly int[] alias;

    /// <summary>Number of distinct items that can be drawn.</summary>
    public int ItemCount => items.Length;

    /// <summary>
    /// Builds the sampler from (item, category, count) triples. Items must be distinct and counts positive.
    /// Items are kept in the given order, which fixes the draws for a seed.
    /// </summary>
    public NegativeSampler(IReadOnlyList<(long Item, long Category, long Count)> popularity)
    {
        if (popularity.Count == 0) throw new ArgumentException("a negative sampler needs at least one item", nameof(popularity));
        items = new long[popularity.Count];
        categories = new long[popularity.Count];
        counts = new long[popularity.Count];
        var seen = new HashSet<long>();
        for (int i = 0; i < popularity.Count; i++)
        {
            var (item, category, count) = popularity[i];
            if (count <= 0) throw new ArgumentException($"item {item} has count {count}; counts must be positive", nameof(popularity));
            if (!seen.Add(item)) throw new ArgumentException($"item {item} appears twice; items must be distinct", nameof(popularity));
            (items[i], categories[i], counts[i]) = (item, category, count);
        }
        (acceptance, alias) = BuildAliasTable(counts);
    }

    /// <summary>
    /// Popularity = occurrences of each item among the behaviours; an item's category is the one of its first
    /// occurrence.
    /// </summary>
    public static NegativeSampler FromBehaviors(IEnumerable<Behavior> behaviors)
    {
        var counter = new PopularityCounter();
        foreach (var b in behaviors) counter.Add(b.Item, b.Category);
        return counter.ToSampler("behaviour log");
    }

    /// <summary>Popularity = occurrences of each item in the samples' histories and candidates (e.g. a training set).</summary>
    public static NegativeSampler FromSamples(IEnumerable<CtrSample> samples)
    {
        var counter = new PopularityCounter();
        foreach (var s in samples)
        {
            for (int i = 0; i < s.HistoryLength; i++) counter.Add(s.HistoryItems[i], s.HistoryCategories[i]);
            counter.Add(s.Item, s.Category);
        }
        return counter.ToSampler("samples");
    }

    /// <summary>Draws one item (with its category) proportional to popularity, never one in <paramref name="exclude"/>.</summary>
    /// <exception cref="InvalidOperationException">Every item is excluded.</exception>
    public (long Item, long Category) Sample(Random rng, ISet<long> exclude)
    {
        for (int attempt = 0; attempt < RejectionAttempts; attempt++)
        {
            int slot = rng.Next(items.Length);
            int i = rng.NextDouble() < acceptance[slot] ? slot : alias[slot];
            if (!exclude.Contains(items[i])) return (items[i], categories[i]);
        }
        return SampleAllowed(rng, exclude);
    }

    /// <summary>Exact draw over the non-excluded items; reached only when the excluded items hold most of the mass.</summary>
    private (long Item, long Category) SampleAllowed(Random rng, ISet<long> exclude)
    {
        long total = 0;
        for (int i = 0; i < items.Length; i++)
            if (!exclude.Contains(items[i])) total += counts[i];
        if (total == 0)
            throw new InvalidOperationException($"cannot draw a negative item: all {items.Length} items are excluded (the user's history covers the whole catalogue)");
        long target = rng.NextInt64(total);
        for (int i = 0; i < items.Length; i++)
        {
            if (exclude.Contains(items[i])) continue;
            if (target < counts[i]) return (items[i], categories[i]);
            target -= counts[i];
        }
        throw new InvalidOperationException("unreachable: the allowed counts were summed above");
    }

    /// <summary>Vose's alias method: slot k keeps item k with probability acceptance[k], otherwise gives alias[k].</summary>
    private static (double[] Acceptance, int[] Alias) BuildAliasTable(long[] counts)
    {
        int n = counts.Length;
        double total = counts.Sum(c => (double)c);
        var scaled = counts.Select(c => c * n / total).ToArray();
        var acceptance = new double[n];
        var alias = new int[n];
        var small = new Stack<int>();
        var large = new Stack<int>();
        for (int i = n - 1; i >= 0; i--) (scaled[i] < 1.0 ? small : large).Push(i);
        while (small.Count > 0 && large.Count > 0)
        {
            int s = small.Pop(), l = large.Pop();
            acceptance[s] = scaled[s];
            alias[s] = l;
            scaled[l] -= 1.0 - scaled[s];
            (scaled[l] < 1.0 ? small : large).Push(l);
        }
        // Leftovers are 1 up to rounding error.
        while (large.Count > 0) { int l = large.Pop(); acceptance[l] = 1.0; alias[l] = l; }
        while (small.Count > 0) { int s = small.Pop(); acceptance[s] = 1.0; alias[s] = s; }
        return (acceptance, alias);
    }

    private sealed class PopularityCounter
    {
        private readonly Dictionary<long, int> position = new();
        private readonly List<(long Item, long Category, long Count)> entries = [];

        public void Add(long item, long category)
        {
            if (position.TryGetValue(item, out int p)) entries[p] = entries[p] with { Count = entries[p].Count + 1 };
            else { position[item] = entries.Count; entries.Add((item, category, 1)); }
        }

        /// <summary>Items in ascending id, so the draws for a seed do not depend on the input order.</summary>
        public NegativeSampler ToSampler(string source) => entries.Count > 0
            ? new NegativeSampler(entries.OrderBy(e => e.Item).ToList())
            : throw new ArgumentException($"cannot build a negative sampler from empty {source}");
    }
}
