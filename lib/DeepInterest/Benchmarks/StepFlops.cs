using DeepInterest.Models;

namespace DeepInterest.Benchmarks;

/// <summary>
/// Floating-point operations of one training step, counted analytically for the model families whose cost is
/// dominated by their Linear layers: 2 FLOPs per multiply-add of every Linear layer in the forward pass, times
/// <see cref="ForwardBackwardFactor"/> for forward + backward (the backward pass runs two matmuls of the same size
/// per forward one: the gradient of the input and that of the weight). Element-wise work (embedding look-ups,
/// activations, bias adds, pooling, the loss, the optimizer update) is not counted, so the count is a lower bound of
/// the work done. Every history position is taken as real (full-length histories, as <c>bench train</c> uses).
/// </summary>
public static class StepFlops
{
    /// <summary>Forward matmul FLOPs × 3 = forward + backward (the usual convention).</summary>
    public const int ForwardBackwardFactor = 3;

    /// <summary>Forward FLOPs of an <see cref="Layers.Mlp"/> (inputs → hidden… → outputs) applied to <paramref name="rows"/> rows.</summary>
    public static double MlpForward(long rows, long inputs, IReadOnlyList<long> hidden, long outputs = 1)
    {
        double multiplyAdds = 0;
        long width = inputs;
        foreach (var size in hidden)
        {
            multiplyAdds += width * size;
            width = size;
        }
        multiplyAdds += width * outputs;
        return 2 * rows * multiplyAdds;
    }

    /// <summary>
    /// One training step of <see cref="EmbeddingMlp"/> on a batch of <paramref name="batch"/>: the prediction MLP on
    /// [v_U; e_c], 2·E = 4·D inputs per row (the pooling is element-wise and not counted).
    /// </summary>
    public static double EmbeddingMlp(long batch, long dimPerField, EmbeddingMlpConfig? config = null) =>
        ForwardBackwardFactor * MlpForward(batch, 4 * dimPerField, (config ?? new EmbeddingMlpConfig()).MlpHidden);

    /// <summary>
    /// One training step of <see cref="Din"/> on a batch of <paramref name="batch"/> full histories of
    /// <paramref name="length"/>: the local activation unit's MLP at each of the B·T positions, its first layer as the
    /// unit computes it (k·(W₁ + W₃) and (k ⊙ q)·W₄ per position, 2·E inputs; q·(W₂ − W₃) once per row, E inputs —
    /// not the 4·E-wide four-view product), then the prediction MLP on [v_U(c); e_c] (2·E inputs) per row.
    /// </summary>
    public static double Din(long batch, long length, long dimPerField, DinConfig? config = null)
    {
        config ??= new DinConfig();
        long e = 2 * dimPerField;
        var hidden = config.AttentionHidden;
        long firstWidth = hidden.Count > 0 ? hidden[0] : 1;
        double firstLayer = 2.0 * (batch * length * 2 * e * firstWidth + batch * e * firstWidth);
        double restOfUnit = hidden.Count > 0 ? MlpForward(batch * length, firstWidth, hidden.Skip(1).ToList()) : 0;
        return ForwardBackwardFactor * (firstLayer + restOfUnit + MlpForward(batch, 2 * e, config.MlpHidden));
    }

    /// <summary>
    /// The count for a <see cref="ModelZoo"/> name with its zoo configuration, or null for a model without one (DIEN,
    /// DSIN and BST spend much of their time outside Linear layers: recurrences, attention products).
    /// din-dice-mba has DIN's Linear layers; Dice and the penalty are element-wise.
    /// </summary>
    public static double? ForModel(string name, long batch, long length, long dimPerField) => name.ToLowerInvariant() switch
    {
        "avgpool" => EmbeddingMlp(batch, dimPerField),
        "din" or "din-dice-mba" => Din(batch, length, dimPerField),
        _ => null,
    };
}
