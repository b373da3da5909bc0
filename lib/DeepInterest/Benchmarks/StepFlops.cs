using DeepInterest.Models;

namespace DeepInterest.Benchmarks;

/// <summary>
/// Floating-point operations of one training step, counted analytically for the model families whose cost is
/// dominated by matrix products (Linear layers, GRU and LSTM gates, attention products): 2 FLOPs per multiply-add of
/// every such product in the forward pass, times <see cref="ForwardBackwardFactor"/> for forward + backward (the
/// backward pass runs two products of the same size per forward one: the gradients of both operands). Element-wise
/// work (embedding look-ups, activations, gates, softmax, layer norms, bias adds, pooling, the loss, the optimizer
/// update) is not counted, so the count is a lower bound of the work done. Every history position is taken as real (full-length histories, as
/// <c>bench train</c> uses). Side fields (<see cref="Layers.SideFeatures"/>) cost products in one place only: the
/// profile width P (<see cref="Layers.SideFeatures.ProfileWidth"/>) widens each model's prediction MLP; behaviour and
/// candidate fields are added to the embeddings (element-wise) and keep every other layer's width.
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
    /// [v_U; e_c; profile], 2·E + P = 4·D + P inputs per row (the pooling is element-wise and not counted).
    /// </summary>
    public static double EmbeddingMlp(long batch, long dimPerField, EmbeddingMlpConfig? config = null, long profileWidth = 0) =>
        ForwardBackwardFactor * MlpForward(batch, 4 * dimPerField + profileWidth, (config ?? new EmbeddingMlpConfig()).MlpHidden);

    /// <summary>
    /// One training step of <see cref="Din"/> on a batch of <paramref name="batch"/> full histories of
    /// <paramref name="length"/>: the local activation unit's MLP at each of the B·T positions (see
    /// <see cref="ActivationUnitForward"/>), then the prediction MLP on [v_U(c); e_c; profile] (2·E + P inputs) per row.
    /// </summary>
    public static double Din(long batch, long length, long dimPerField, DinConfig? config = null, long profileWidth = 0)
    {
        config ??= new DinConfig();
        long e = 2 * dimPerField;
        return ForwardBackwardFactor * (ActivationUnitForward(batch, length, e, config.AttentionHidden) + MlpForward(batch, 2 * e + profileWidth, config.MlpHidden));
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
    /// the auxiliary loss's MLP on [h_t; e] for the clicked and the sampled behaviour of each of the T − 1 pairs
    /// (<see cref="AuxiliaryForward"/>); the candidate's projection to H once per row and the activation unit at every
    /// step; the AUGRU (H → H); the prediction MLP on [h'_T; e_c; mean e; e_c ⊙ mean e; profile] (H + 3·E + P inputs)
    /// per row.
    /// </summary>
    public static double Dien(long batch, long length, long dimPerField, DienConfig? config = null, long profileWidth = 0)
    {
        config ??= new DienConfig { EmbeddingDim = (int)dimPerField };
        if (config.Evolution != Layers.InterestEvolutionKind.Augru || config.Attention != Layers.EvolutionAttention.ActivationUnitGate)
            throw new ArgumentException("the DIEN count covers the AUGRU with the activation-unit gate (the zoo's dien)", nameof(config));
        long e = 2 * dimPerField, h = config.Hidden ?? e;
        double auxiliary = config.AuxiliaryWeight > 0 ? AuxiliaryForward(batch * (length - 1), h, e, config.AuxiliaryHidden) : 0;
        double evolution = 2.0 * batch * e * h + ActivationUnitForward(batch, length, h, Layers.InterestEvolution.ActivationUnitHidden) + GruForward(batch, length, h, h);
        return ForwardBackwardFactor * (GruForward(batch, length, e, h) + auxiliary + evolution + MlpForward(batch, h + 3 * e + profileWidth, config.MlpHidden));
    }

    /// <summary>
    /// Forward FLOPs of <see cref="Layers.AuxiliaryLoss"/> on <paramref name="pairs"/> (h_t, t + 1) pairs: the scorer's
    /// first layer split by input, the state's part (H → h₁) once per pair, the behaviour's part (E → h₁) and the rest of
    /// the MLP for the clicked and for the sampled behaviour.
    /// </summary>
    public static double AuxiliaryForward(long pairs, long hidden, long embedding, IReadOnlyList<long> layers)
    {
        long firstWidth = layers.Count > 0 ? layers[0] : 1;
        double rest = layers.Count > 0 ? MlpForward(pairs, firstWidth, layers.Skip(1).ToList()) : 0;
        return 2.0 * pairs * hidden * firstWidth + 2 * (2.0 * pairs * embedding * firstWidth + rest);
    }

    /// <summary>
    /// Forward FLOPs of multi-head self-attention over <paramref name="sequences"/> sequences of <paramref name="length"/>
    /// tokens of width <paramref name="dim"/>: the query, key, value and output projections (4·E² multiply-adds per token)
    /// and the two attention products Q·Kᵀ and weights·V (L·E multiply-adds each per token, whatever the number of heads).
    /// The softmax and the masking are element-wise and not counted.
    /// </summary>
    public static double SelfAttentionForward(long sequences, long length, long dim) =>
        2.0 * sequences * length * (4 * dim * dim + 2 * length * dim);

    /// <summary>
    /// One training step of <see cref="Bst"/> on a batch of <paramref name="batch"/> full histories of
    /// <paramref name="length"/>: per transformer block, self-attention over the T + 1 tokens (history and candidate,
    /// <see cref="SelfAttentionForward"/>) and the position-wise feed-forward network (E → F → E per token); then the
    /// prediction MLP on [candidate token; pooled history tokens; e_c; profile] (3·E + P inputs, 2·E + P without pooling) per row.
    /// </summary>
    public static double Bst(long batch, long length, long dimPerField, BstConfig? config = null, long profileWidth = 0)
    {
        config ??= new BstConfig();
        long e = 2 * dimPerField, tokens = length + 1;
        double block = SelfAttentionForward(batch, tokens, e) + 2.0 * batch * tokens * 2 * e * config.FeedForwardDim;
        return ForwardBackwardFactor * (config.Blocks * block + MlpForward(batch, (config.PoolHistory ? 3 : 2) * e + profileWidth, config.Hidden));
    }

    /// <summary>
    /// One training step of <see cref="Dsin"/> on a batch of <paramref name="batch"/> rows. DSIN computes on its dense
    /// (B, K, L) session tensor whatever the history, so the count depends on K and L, not on the history length: the
    /// session interest extractor at every one of the B·K·L slots (self-attention within each session,
    /// <see cref="SelfAttentionForward"/>, and the feed-forward network E → 4·E → E), the Bi-LSTM over the K sessions
    /// (per direction and layer, the four gates' input and hidden products, 4·H·(E + H) with H = E), the two activation
    /// units over the K sessions (<see cref="ActivationUnitForward"/>) and the prediction MLP on [e_c; U^I; U^H; profile]
    /// (3·E + P inputs) per row.
    /// </summary>
    public static double Dsin(long batch, long dimPerField, DsinConfig? config = null, long profileWidth = 0)
    {
        config ??= new DsinConfig();
        long e = 2 * dimPerField, k = config.Sessions, l = config.SessionLength;
        double extractor = SelfAttentionForward(batch * k, l, e) + 2.0 * batch * k * l * 2 * e * (4 * e);
        double biLstm = 2 * config.LstmLayers * 2.0 * batch * k * 4 * e * (e + e);
        double units = 2 * ActivationUnitForward(batch, k, e, config.AttentionHidden);
        return ForwardBackwardFactor * (extractor + biLstm + units + MlpForward(batch, 3 * e + profileWidth, config.MlpHidden));
    }

    /// <summary>
    /// The count for a <see cref="ModelZoo"/> name with its zoo configuration, or null for a model without one (DIEN's
    /// ablations are not counted). din-dice-mba has DIN's Linear layers; Dice and the penalty are element-wise.
    /// <paramref name="profileWidth"/>: the side fields' width P in the prediction MLP's input (0 without user and context fields).
    /// </summary>
    public static double? ForModel(string name, long batch, long length, long dimPerField, long profileWidth = 0) => name.ToLowerInvariant() switch
    {
        "avgpool" => EmbeddingMlp(batch, dimPerField, profileWidth: profileWidth),
        "din" or "din-dice-mba" => Din(batch, length, dimPerField, profileWidth: profileWidth),
        "dien" => Dien(batch, length, dimPerField, profileWidth: profileWidth),
        "dsin" => Dsin(batch, dimPerField, profileWidth: profileWidth),
        "bst" => Bst(batch, length, dimPerField, profileWidth: profileWidth),
        _ => null,
    };
}
