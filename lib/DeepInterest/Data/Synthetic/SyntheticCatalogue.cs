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
