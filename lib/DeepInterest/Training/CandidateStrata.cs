using DeepInterest.Data;
using DeepInterest.Metrics;

namespace DeepInterest.Training;

/// <summary>
/// A model's test AUC within two strata of the test split: pairs whose candidate is not among the items of its history
/// window (new items: the positive and its negative differ only in the item, as in the DIN and DIEN experiments) and
/// pairs whose candidate is (repeats). Repeat-matched negatives make both strata equally frequent among positives and
/// negatives, but within the repeats the positive tends to repeat a recent behaviour and the negative an arbitrary one
/// of the window (<see cref="ProtocolStatistics.CandidateRecencyAuc"/>), which models that see order can read. The new-item
/// AUC is the comparison of interest models that no such artifact reaches. A value is null when its stratum holds a
/// single class (MovieLens has no repeats).
/// </summary>
public sealed record CandidateStrata(double? NewCandidateAuc, double? RepeatCandidateAuc)
{
    /// <param name="candidateInHistory">Per prediction, in the same order: <see cref="ProtocolStatistics.CandidateInHistory"/>.</param>
    public static CandidateStrata Measure(Predictions predictions, IReadOnlyList<bool> candidateInHistory)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        var repeat = candidateInHistory;
        var fresh = candidateInHistory.Select(inHistory => !inHistory).ToArray();
        return new CandidateStrata(
            CtrMetrics.AucWhere(predictions.Probabilities, predictions.Labels, fresh),
            CtrMetrics.AucWhere(predictions.Probabilities, predictions.Labels, repeat));
    }
}
