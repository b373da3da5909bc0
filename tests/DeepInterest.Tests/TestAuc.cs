using DeepInterest.Metrics;

namespace DeepInterest.Tests;

/// <summary>Smoke-training tests score their float logits with the library's AUC (itself checked against brute force in MetricsTests).</summary>
internal static class TestAuc
{
    public static double Of(IReadOnlyList<float> scores, IReadOnlyList<float> labels) =>
        CtrMetrics.Auc(scores.Select(s => (double)s).ToArray(), labels);
}
