namespace DeepInterest.Data;

/// <summary>
/// The synthetic item catalogue: category c holds items c·ItemsPerCategory … (c+1)·ItemsPerCategory − 1, item of
/// rank r within its category has popularity ∝ (r+1)^-s, category c has popularity ∝ (c+1)^-s', and every item a
/// latent quality q_i ~ N(0, ItemQualityStd²).
/// </summary>
public sealed class SyntheticCatalogue
{
    private const int QualityStream = 3;
    private readonly int itemsPerCategory;
    private readonly double[] categoryCdf;
    private readonly double[] rankCdf;
    private readonly double[] itemCdf;
    private readonly double[] quality;

    public int Categories => categoryCdf.Length;
    public int Items => quality.Length;

    internal SyntheticCatalogue(SyntheticConfig config)
    {
        itemsPerCategory = config.ItemsPerCategory;
        var categoryWeights = Zipf(config.Categories, config.CategoryZipfExponent);
        var rankWeights = Zipf(config.ItemsPerCategory, config.ItemZipfExponent);
        categoryCdf = Cumulative(categoryWeights);
        rankCdf = Cumulative(rankWeights);
        itemCdf = Cumulative(categoryWeights.SelectMany(c => rankWeights.Select(r => c * r)).ToArray());
        quality = new double[config.Categories * config.ItemsPerCategory];
        for (int item = 0; item < quality.Length; item++)
            quality[item] = config.ItemQualityStd * RandomStreams.For(config.Seed, item, QualityStream).NextGaussian();
    }

    public long CategoryOf(long item) => item / itemsPerCategory;

    /// <summary>The planted latent quality q_i of an item (its additive term in the click logit).</summary>
    public double Quality(long item) => quality[item];

    /// <summary>
    /// Each item's quality tier as the candidate-side field "quality_tier" (0–3: the quartile of its planted quality q_i
    /// among all items), the way a caller hands over a per-item attribute table. The click logit already holds q_i, so the
    /// tier plants nothing new (oracle, labels and relevance are unchanged); it shows coarsely what an item's id otherwise
    /// has to learn, and an item unseen in training still gets its tier's row.
    /// </summary>
    public FieldTable QualityTiers()
    {
        var order = Enumerable.Range(0, Items).OrderBy(i => quality[i]).ToArray();
        var tiers = new long[Items];
        for (int rank = 0; rank < order.Length; rank++) tiers[order[rank]] = 4L * rank / order.Length;
        return new FieldTable("synthetic item quality tiers", ["quality_tier"], Enumerable.Range(0, Items).ToDictionary(i => (long)i, i => new[] { tiers[i] }),
            [], new Dictionary<long, float[]>());
    }

    /// <summary>Category popularity: P(c) ∝ (c+1)^-CategoryZipfExponent.</summary>
    public double CategoryProbability(int category) => categoryCdf[category] - (category == 0 ? 0 : categoryCdf[category - 1]);

    internal long PopularItemIn(long category, Random rng) => category * itemsPerCategory + Draw(rankCdf, rng);

    /// <summary>An item drawn by global popularity (category popularity × popularity within the category).</summary>
    internal long PopularItem(Random rng) => Draw(itemCdf, rng);

    /// <summary><paramref name="count"/> distinct categories drawn by popularity, without replacement.</summary>
    internal long[] DistinctCategories(int count, Random rng)
    {
        var weights = Enumerable.Range(0, Categories).Select(CategoryProbability).ToArray();
        var chosen = new long[count];
        for (int k = 0; k < count; k++)
        {
            double target = rng.NextDouble() * weights.Sum();
            int c = 0;
            for (; c < weights.Length; c++)
            {
                if (weights[c] > 0 && target < weights[c]) break;
                target -= weights[c];
            }
            if (c == weights.Length) c = Array.FindLastIndex(weights, w => w > 0); // rounding ran past the end
            chosen[k] = c;
            weights[c] = 0;
        }
        return chosen;
    }

    private static double[] Zipf(int n, double exponent) => Enumerable.Range(1, n).Select(rank => Math.Pow(rank, -exponent)).ToArray();

    private static double[] Cumulative(double[] weights)
    {
        var cdf = new double[weights.Length];
        double total = weights.Sum(), running = 0;
        for (int i = 0; i < weights.Length; i++) cdf[i] = (running += weights[i]) / total;
        cdf[^1] = 1.0;
        return cdf;
    }

    private static int Draw(double[] cdf, Random rng)
    {
        int i = Array.BinarySearch(cdf, rng.NextDouble());
        return i >= 0 ? i + 1 : ~i; // an exact hit on cdf[i] belongs to the next bucket: P(u < cdf[i]) is bucket ≤ i
    }
}
