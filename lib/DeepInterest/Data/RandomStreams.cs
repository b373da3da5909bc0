namespace DeepInterest.Data;

/// <summary>
/// Deterministic, order-independent random streams: one <see cref="Random"/> per (seed, key, purpose), so a user's
/// draws do not depend on how many other users were generated before it. Mixing is SplitMix64 — fixed across .NET
/// versions and processes, unlike <c>HashCode</c>.
/// </summary>
internal static class RandomStreams
{
    public static Random For(int seed, long key, int purpose = 0)
    {
        ulong z = Mix((ulong)(uint)seed ^ Mix((ulong)key + Golden * (ulong)(purpose + 1)));
        return new Random((int)(z >> 33));
    }

    /// <summary>The golden-ratio increment between SplitMix64's states.</summary>
    internal const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>SplitMix64's output for the state before <paramref name="z"/> + <see cref="Golden"/>.</summary>
    internal static ulong Mix(ulong z)
    {
        z += Golden;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A standard normal draw (Box–Muller).</summary>
    public static double NextGaussian(this Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
