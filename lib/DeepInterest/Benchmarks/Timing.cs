namespace DeepInterest.Benchmarks;

/// <summary>Helpers shared by the benchmarks.</summary>
internal static class Timing
{
    /// <summary>The median of a non-empty set of timings (the mean of the two middle ones for an even count).</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return (sorted[(sorted.Length - 1) / 2] + sorted[sorted.Length / 2]) / 2;
    }
}
