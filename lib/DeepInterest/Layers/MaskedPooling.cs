using TorchSharp;
using static TorchSharp.torch;

namespace DeepInterest.Layers;

/// <summary>How a history of behaviour embeddings is reduced to one vector when no attention is used.</summary>
public enum Pooling { Mean, Sum }

/// <summary>
/// Sum or mean of a padded history over its real positions only — the "traditional" fixed-length user vector that
/// DIN (Zhou et al., KDD'18, §4.2 and Fig. 2 left) replaces with attention. An empty history pools to zeros.
/// </summary>
public static class MaskedPooling
{
    /// <summary>(B, T, D) values and (B, T) bool mask (true = real) → (B, D) sum over the real positions.</summary>
    public static Tensor Sum(Tensor values, Tensor mask)
    {
        CheckShapes(values, mask);
        using var scope = NewDisposeScope();
        var weights = mask.unsqueeze(-1).to_type(values.dtype);          // (B, T, 1) 1 at real, 0 at padding
        return (values * weights).sum(1).MoveToOuterDisposeScope();      // (B, D)
    }

    /// <summary>(B, T, D) values and (B, T) mask → (B, D) mean over the real positions; zeros for an empty history.</summary>
    public static Tensor Mean(Tensor values, Tensor mask)
    {
        CheckShapes(values, mask);
        using var scope = NewDisposeScope();
        // At least 1 in the denominator: an empty history sums to zeros and must stay zeros, not 0/0.
        var lengths = mask.sum(1, keepdim: true).to_type(values.dtype).clamp_min(1); // (B, 1)
        return (Sum(values, mask) / lengths).MoveToOuterDisposeScope();              // (B, D)
    }

    public static Tensor Pool(Tensor values, Tensor mask, Pooling pooling) => pooling switch
    {
        Pooling.Sum => Sum(values, mask),
        Pooling.Mean => Mean(values, mask),
        _ => throw new ArgumentOutOfRangeException(nameof(pooling), pooling, "expected Mean or Sum"),
    };

    private static void CheckShapes(Tensor values, Tensor mask)
    {
        if (values.dim() != 3 || mask.dim() != 2 || values.shape[0] != mask.shape[0] || values.shape[1] != mask.shape[1])
            throw new ArgumentException(
                $"masked pooling expects values (B, T, D) and mask (B, T), got values ({string.Join(", ", values.shape)}) and mask ({string.Join(", ", mask.shape)})");
        if (mask.dtype != ScalarType.Bool)
            throw new ArgumentException($"masked pooling expects a bool mask (true = real behaviour), got {mask.dtype}", nameof(mask));
    }
}
