using DeepInterest.Data;
using DeepInterest.Training;

namespace DeepInterest.Metrics;

/// <summary>AUC, GAUC and log loss of one set of predictions, and how many impressions they cover.</summary>
public sealed record MetricReport(double Auc, double Gauc, double LogLoss, int Count);

/// <summary>
/// The CTR metrics of the DIN paper (Zhou et al., 2018): AUC, user-weighted GAUC (Eq. 1), RelaImpr (Eq. 10) and
/// log loss. Every method checks its input and throws a clear exception rather than returning NaN.
/// </summary>
public static class CtrMetrics
{
    /// <summary>Probabilities are clipped to [ε, 1−ε] so that one confident mistake costs −log ε, not infinity.</summary>
    public const double LogLossEpsilon = 1e-7;

    /// <summary>
    /// Area under the ROC curve: the probability that a random positive scores above a random negative, tied pairs
    /// counting one half. Exact, O(n log n): the Mann–Whitney statistic over average ranks.
    /// </summary>
    public static double Auc(IReadOnlyList<double> scores, IReadOnlyList<float> labels)
    {
        CheckScored(scores, labels, nameof(Auc));
        var all = Enumerable.Range(0, scores.Count).ToArray();
        return SubsetAuc(scores, labels, all)
            ?? throw new ArgumentException($"AUC needs both classes, but all {labels.Count} labels are {labels[0]}", nameof(labels));
    }

    /// <summary>
    /// Group AUC (DIN paper, Eq. 1): GAUC = Σ_u n_u · AUC_u / Σ_u n_u over users u, weighted by their impression
    /// count n_u. Users whose impressions are all of one class have no AUC and are left out of both sums.
    /// </summary>
    public static double Gauc(IReadOnlyList<double> scores, IReadOnlyList<float> labels, IReadOnlyList<long> users)
    {
        CheckScored(scores, labels, nameof(Gauc));
        if (users.Count != scores.Count)
            throw new ArgumentException($"{nameof(Gauc)}: {scores.Count} scores but {users.Count} user ids", nameof(users));
        double weightedSum = 0, weight = 0;
        foreach (var group in Enumerable.Range(0, users.Count).GroupBy(i => users[i]))
        {
            var impressions = group.ToArray();
            if (SubsetAuc(scores, labels, impressions) is { } userAuc)
            {
                weightedSum += impressions.Length * userAuc;
                weight += impressions.Length;
            }
        }
        if (weight == 0)
            throw new ArgumentException($"GAUC needs at least one user with both a click and a non-click; none of the {users.Distinct().Count()} users has", nameof(labels));
        return weightedSum / weight;
    }

    /// <summary>Mean binary cross-entropy −[y log p + (1−y) log(1−p)], p clipped to [1e-7, 1 − 1e-7].</summary>
    public static double LogLoss(IReadOnlyList<double> probabilities, IReadOnlyList<float> labels)
    {
        CheckScored(probabilities, labels, nameof(LogLoss));
        double sum = 0;
        for (int i = 0; i < probabilities.Count; i++)
        {
            double p = probabilities[i];
            if (p is < 0 or > 1)
                throw new ArgumentOutOfRangeException(nameof(probabilities), p, $"{nameof(LogLoss)}: probability at index {i} is outside [0, 1]");
            p = Math.Clamp(p, LogLossEpsilon, 1 - LogLossEpsilon);
            sum -= labels[i] == 1f ? Math.Log(p) : Math.Log(1 - p);
        }
        return sum / probabilities.Count;
    }

    /// <summary>
    /// Relative improvement over a base model (DIN paper, Eq. 10) as a fraction:
    /// RelaImpr = (AUC(model) − 0.5) / (AUC(base) − 0.5) − 1. A random guesser's 0.5 is the zero point.
    /// </summary>
    public static double RelaImpr(double modelAuc, double baseAuc)
    {
        if (!(modelAuc is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(modelAuc), modelAuc, "an AUC must lie in [0, 1]");
        if (!(baseAuc is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(baseAuc), baseAuc, "an AUC must lie in [0, 1]");
        if (baseAuc == 0.5)
            throw new ArgumentOutOfRangeException(nameof(baseAuc), baseAuc, "RelaImpr is undefined against a base AUC of exactly 0.5 (a random guesser)");
        return (modelAuc - 0.5) / (baseAuc - 0.5) - 1;
    }

    /// <summary>
    /// The Bayes-optimal (oracle) AUC of <paramref name="samples"/>: the AUC of ranking them by their planted
    /// <see cref="CtrSample.ClickProbability"/>, the ceiling no model can beat on average (the labels are drawn from
    /// those probabilities). Null when a sample has none (real data) or the samples hold a single class.
    /// </summary>
    public static double? OracleAuc(IReadOnlyList<CtrSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0 || samples.Any(s => s.ClickProbability is null)) return null;
        var labels = samples.Select(s => s.Label).ToArray();
        return SubsetAuc(samples.Select(s => s.ClickProbability!.Value).ToArray(), labels, Enumerable.Range(0, samples.Count).ToArray());
    }

    /// <summary>AUC, GAUC and log loss of a model's predictions.</summary>
    public static MetricReport Evaluate(Predictions predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        var (p, y, u) = (predictions.Probabilities, predictions.Labels, predictions.Users);
        return new MetricReport(Auc(p, y), Gauc(p, y, u), LogLoss(p, y), p.Length);
    }

    /// <summary>
    /// AUC over the impressions where <paramref name="include"/> is true (ties count one half); null when they hold only
    /// one class. Compares a model within a stratum, e.g. the pairs whose candidate is or is not in its history.
    /// </summary>
    public static double? AucWhere(IReadOnlyList<double> scores, IReadOnlyList<float> labels, IReadOnlyList<bool> include)
    {
        CheckScored(scores, labels, nameof(AucWhere));
        if (include.Count != scores.Count)
            throw new ArgumentException($"{nameof(AucWhere)}: {scores.Count} scores but {include.Count} stratum flags", nameof(include));
        return SubsetAuc(scores, labels, Enumerable.Range(0, scores.Count).Where(i => include[i]).ToArray());
    }

    /// <summary>AUC over the impressions at <paramref name="indices"/>; null when they hold only one class.</summary>
    private static double? SubsetAuc(IReadOnlyList<double> scores, IReadOnlyList<float> labels, int[] indices)
    {
        var order = (int[])indices.Clone();
        Array.Sort(order, (a, b) => scores[a].CompareTo(scores[b]));
        double positiveRankSum = 0;
        long positives = 0;
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end < order.Length && scores[order[end]] == scores[order[start]]) end++;
            double averageRank = (start + 1 + end) / 2.0;   // ranks start+1 … end share their mean
            for (int k = start; k < end; k++)
                if (labels[order[k]] == 1f) { positiveRankSum += averageRank; positives++; }
            start = end;
        }
        long negatives = order.Length - positives;
        if (positives == 0 || negatives == 0) return null;
        return (positiveRankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    private static void CheckScored(IReadOnlyList<double> scores, IReadOnlyList<float> labels, string metric)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        if (scores.Count != labels.Count)
            throw new ArgumentException($"{metric}: {scores.Count} scores but {labels.Count} labels", nameof(labels));
        if (scores.Count == 0)
            throw new ArgumentException($"{metric}: no predictions to evaluate", nameof(scores));
        for (int i = 0; i < scores.Count; i++)
        {
            if (double.IsNaN(scores[i]))
                throw new ArgumentException($"{metric}: score at index {i} is NaN (did the model diverge?)", nameof(scores));
            if (labels[i] is not (0f or 1f))
                throw new ArgumentException($"{metric}: label at index {i} is {labels[i]}; labels must be 0 or 1", nameof(labels));
        }
    }
}
