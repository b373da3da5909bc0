using DeepInterest.Models;

namespace DeepInterest.Benchmarks;

/// <summary>
/// Floating-point operations of one training step, counted analytically for the model families whose cost is
/// dominated by their Linear layers and recurrent matmuls: 2 FLOPs per multiply-add of every Linear layer (and GRU
/// product) in the forward pass, times <see cref="ForwardBackwardFactor"/> for forward + backward (the backward pass
/// runs two matmuls of the same size per forward one: the gradient of the input and that of the weight). Element-wise
/// work (embedding look-ups, activations, gates, bias adds, pooling, the loss, the optimizer update) is not counted, so
/// the count is a lower bound of the work done. Every history position is taken as real (full-length histories, as
/// <c>bench train</c> uses).
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
    /// <paramref name="length"/>: the local activation unit's MLP at each of the B·T positions (see
    /// <see cref="ActivationUnitForward"/>), then the prediction MLP on [v_U(c); e_c] (2·E inputs) per row.
    /// </summary>
    public static double Din(long batch, long length, long dimPerField, DinConfig? config = null)
    {
        config ??= new DinConfig();
        long e = 2 * dimPerField;
        return ForwardBackwardFactor * (ActivationUnitForward(batch, length, e, config.AttentionHidden) + MlpForward(batch, 2 * e, config.MlpHidden));
    }

    /// <summary>
    /// Forward FLOPs of a <see cref="Layers.LocalActivationUnit"/> scoring <paramref name="length"/> keys of width
    /// <paramref name="width"/> against one query per row: its first layer as the unit computes it (k·(W₁ + W₃) and
    /// (k ⊙ q)·W₄ per position, 2·width inputs; q·(W₂ − W₃) once per row, width inputs — not the 4·width-wide four-view
    /// product), then the rest of its MLP at each position.
    /// </summary>
    public static double ActivationUnitForward(long batch, long length, long width, IReadOnlyList<long> hidden)
    {
        long firstWidth = hidden.Count > 0 ? hidden[0] : 1;
        double firstLayer = 2.0 * (batch * length * 2 * width * firstWidth + batch * width * firstWidth);
        return firstLayer + (hidden.Count > 0 ? MlpForward(batch * length, firstWidth, hidden.Skip(1).ToList()) : 0);
    }

    /// <summary>
    /// Forward FLOPs of a <see cref="Layers.MaskedGru"/> over <paramref name="length"/> steps: the input projections
    /// (I → G·H) and the hidden-side products (H → G·H) at every step, G = 3 gates (2 for AGRU).
    /// </summary>
    public static double GruForward(long batch, long length, long inputs, long hidden, int gates = 3) =>
        2.0 * batch * length * gates * hidden * (inputs + hidden);

    /// <summary>
    /// One training step of <see cref="Dien"/> (AUGRU, the activation-unit gate, H = E) on a batch of
    /// <paramref name="batch"/> full histories of <paramref name="length"/>: the extractor GRU (E → H) over every step;
    /// the auxiliary loss's MLP on [h_t; e] for the clicked and the sampled behaviour of each of the T − 1 pairs; the
    /// candidate's projection to H once per row and the activation unit at every step; the AUGRU (H → H); the
    /// prediction MLP on [h'_T; e_c; mean e; e_c ⊙ mean e] (H + 3·E inputs) per row.
    /// </summary>
    public static double Dien(long batch, long length, long dimPerField, DienConfig? config = null)
    {
        config ??= new DienConfig { EmbeddingDim = (int)dimPerField };
        if (config.Evolution != Layers.InterestEvolutionKind.Augru || config.Attention != Layers.EvolutionAttention.ActivationUnitGate)
            throw new ArgumentException("the DIEN count covers the AUGRU with the activation-unit gate (the zoo's dien)", nameof(config));
        long e = 2 * dimPerField, h = config.Hidden ?? e;
        double auxiliary = config.AuxiliaryWeight > 0 ? MlpForward(2 * batch * (length - 1), h + e, config.AuxiliaryHidden) : 0;
        double evolution = 2.0 * batch * e * h + ActivationUnitForward(batch, length, h, Layers.InterestEvolution.ActivationUnitHidden) + GruForward(batch, length, h, h);
        return ForwardBackwardFactor * (GruForward(batch, length, e, h) + auxiliary + evolution + MlpForward(batch, h + 3 * e, config.MlpHidden));
    }

    /// <summary>
    /// The count for a <see cref="ModelZoo"/> name with its zoo configuration, or null for a model without one (DSIN
    /// and BST spend much of their time outside Linear layers: attention products; DIEN's ablations are not counted).
    /// din-dice-mba has DIN's Linear layers; Dice and the penalty are element-wise.
    /// </summary>
    public static double? ForModel(string name, long batch, long length, long dimPerField) => name.ToLowerInvariant() switch
    {
        "avgpool" => EmbeddingMlp(batch, dimPerField),
        "din" or "din-dice-mba" => Din(batch, length, dimPerField),
        "dien" => Dien(batch, length, dimPerField),
        _ => null,
    };
}
