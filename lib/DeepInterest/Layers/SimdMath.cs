using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepInterest.Layers;

/// <summary>Functions of eight floats at a time for the CPU kernels (<see cref="GruCpuKernels"/>, <see cref="SelfAttentionKernels"/>).</summary>
internal static class SimdMath
{
    /// <summary>
    /// e^x as Cephes' expf: x = n·ln 2 + f with |f| ≤ ln 2 / 2 (ln 2 in two parts, so n·ln 2 is exact), e^f by a degree-7
    /// polynomial, 2ⁿ built in the exponent bits. x is clamped to [−87.3, 88.3], where 2ⁿ stays a normal float.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(-87.3f)), Vector256.Create(88.3f));
        var n = Vector256.Floor(x * 1.44269504088896341f + Vector256.Create(0.5f));     // round(x / ln 2)
        var f = x - n * 0.693359375f + n * 2.12194440e-4f;                                // x − n·ln 2
        var p = Vector256.Create(1.9875691500e-4f);
        p = p * f + Vector256.Create(1.3981999507e-3f);
        p = p * f + Vector256.Create(8.3334519073e-3f);
        p = p * f + Vector256.Create(4.1665795894e-2f);
        p = p * f + Vector256.Create(1.6666665459e-1f);
        p = p * f + Vector256.Create(5.0000001201e-1f);
        var power = Vector256.ShiftLeft(Vector256.ConvertToInt32(n) + Vector256.Create(127), 23).AsSingle(); // 2ⁿ
        return (p * f * f + f + Vector256<float>.One) * power;
    }
}
