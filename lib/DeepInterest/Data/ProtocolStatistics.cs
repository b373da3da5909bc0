using System.Text.Json;
using System.Text.Json.Serialization;
using DeepInterest.Metrics;

namespace DeepInterest.Data;

/// <summary>
/// How a sampling protocol could give the label away, measured on one split: how often the candidate is among the
/// items of its own history window, for positives and negatives, and the AUC of the rule "score 1 when the candidate
/// is in the history, else 0" (ties count one half, so AUC = 0.5 + (share of positives − share of negatives) / 2);
/// and how many candidates map to the out-of-vocabulary row. Two finer rules look at where and how often a candidate
/// occurs in its window, which models that see order (DIEN, DSIN, BST) or counts can read even when the shares match:
/// <see cref="CandidateRecencyAuc"/> (score = how recent its latest occurrence is, 0 when absent) and
/// <see cref="CandidateCountAuc"/> (score = its occurrences in the window). An AUC above 0.5 means a model can gain
/// from the protocol rather than from interests; see <see cref="NegativeRule"/>.
/// </summary>
/// <param name="Data">The data set's name.</param>
/// <param name="UnseenPositive">Share of positive candidates whose item maps to out-of-vocabulary.</param>
public sealed record ProtocolStatistics(
    [property: JsonPropertyName("data")] string Data,
    [property: JsonPropertyName("positives")] int Positives,
    [property: JsonPropertyName("negatives")] int Negatives,
    [property: JsonPropertyName("positive_candidate_in_history")] double PositiveCandidateInHistory,
    [property: JsonPropertyName("negative_candidate_in_history")] double NegativeCandidateInHistory,
    [property: JsonPropertyName("candidate_in_history_auc")] double CandidateInHistoryAuc,
    [property: JsonPropertyName("unseen_positive")] double UnseenPositive,
    [property: JsonPropertyName("unseen_negative")] double UnseenNegative,
    [property: JsonPropertyName("candidate_recency_auc")] double CandidateRecencyAuc,
    [property: JsonPropertyName("candidate_count_auc")] double CandidateCountAuc)
{
    /// <summary>Above this AUC of any of the three rules, <c>compare</c> warns that the protocol leaks the label.</summary>
    public const double LeakWarningAuc = 0.52;

    /// <param name="samples">One split, e.g. the test samples; needs both labels.</param>
    /// <param name="vocabulary">The training vocabulary (for the out-of-vocabulary shares).</param>
    /// <param name="maxLength">The history window the models see: the most recent <paramref name="maxLength"/> behaviours.</param>
    public static ProtocolStatistics Measure(string data, IReadOnlyList<CtrSample> samples, FeatureVocabulary vocabulary, int maxLength)
    {
        if (maxLength < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "the history window must hold at least 1 behaviour");
        int positives = 0, negatives = 0, positivesInHistory = 0, negativesInHistory = 0, unseenPositives = 0, unseenNegatives = 0;
        var labels = new float[samples.Count];
        var recency = new double[samples.Count];
        var count = new double[samples.Count];
        for (int i = 0; i < samples.Count; i++)
        {
            var s = samples[i];
            labels[i] = s.Label;
            var position = CandidatePosition(s, maxLength);
            recency[i] = maxLength + 1 - position ?? 0;  // latest occurrence last in the window → maxLength
            count[i] = CandidateOccurrences(s, maxLength);
            bool inHistory = position is not null;  // as CandidateInHistory reads it
            bool unseen = vocabulary.Items.IndexOf(s.Item) == Vocabulary.OutOfVocabulary;
            if (s.Label == 1f) { positives++; positivesInHistory += inHistory ? 1 : 0; unseenPositives += unseen ? 1 : 0; }
            else { negatives++; negativesInHistory += inHistory ? 1 : 0; unseenNegatives += unseen ? 1 : 0; }
        }
        if (positives == 0 || negatives == 0)
            throw new ArgumentException($"{data}: protocol statistics need positives and negatives, got {positives} and {negatives}", nameof(samples));
        double positiveShare = (double)positivesInHistory / positives, negativeShare = (double)negativesInHistory / negatives;
        return new ProtocolStatistics(data, positives, negatives, positiveShare, negativeShare, 0.5 + (positiveShare - negativeShare) / 2,
            (double)unseenPositives / positives, (double)unseenNegatives / negatives, CtrMetrics.Auc(recency, labels), CtrMetrics.Auc(count, labels));
    }

    /// <summary>
    /// How far back the candidate's latest occurrence lies in the window of the <paramref name="maxLength"/> most recent
    /// behaviours: 1 when it is the last behaviour, null when the window does not hold it.
    /// </summary>
    public static int? CandidatePosition(CtrSample sample, int maxLength)
    {
        int from = Math.Max(0, sample.HistoryLength - maxLength);
        int at = sample.HistoryItems.Span.LastIndexOf(sample.Item);
        return at >= from ? sample.HistoryLength - at : null;
    }

    /// <summary>Whether the candidate is among the items of its window, for every sample: the strata of <see cref="DeepInterest.Training.CandidateStrata"/>.</summary>
    public static bool[] CandidateInHistory(IReadOnlyList<CtrSample> samples, int maxLength) =>
        samples.Select(s => CandidatePosition(s, maxLength) is not null).ToArray();

    private static int CandidateOccurrences(CtrSample sample, int maxLength)
    {
        int occurrences = 0;
        for (int i = Math.Max(0, sample.HistoryLength - maxLength); i < sample.HistoryLength; i++)
            occurrences += sample.HistoryItems[i] == sample.Item ? 1 : 0;
        return occurrences;
    }

    /// <summary>One object with exactly the JSON property names above; written atomically.</summary>
    public void WriteJson(string path) =>
        AtomicFile.WriteText(path, JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));

    public override string ToString() =>
        $"candidate in history: positives {PositiveCandidateInHistory:P1}, negatives {NegativeCandidateInHistory:P1} (AUC of that rule alone " +
        $"{CandidateInHistoryAuc:F3}); unseen in training (OOV): positives {UnseenPositive:P1}, negatives {UnseenNegative:P1} " +
        $"({Positives:N0} positives, {Negatives:N0} negatives); AUC of the candidate's recency in the window {CandidateRecencyAuc:F3}, " +
        $"of its count there {CandidateCountAuc:F3}";
}
