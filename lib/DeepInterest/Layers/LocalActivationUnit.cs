using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepInterest.Layers;

/// <summary>
/// DIN's local activation unit (Zhou et al., KDD'18, Fig. 2 right, Eq. 3): the user's interest in candidate c is
/// v_U(c) = Σ_j a(e_j, e_c) · e_j, where the weight a(e_j, e_c) = MLP([e_j; e_c; e_j − e_c; e_j ⊙ e_c]) scores how
/// relevant behaviour j is to the candidate. By default the weights are raw scores, not a softmax: the paper
/// abandons normalization "to reserve the intensity of user interests", so a history with many relevant
/// behaviours yields a larger interest vector. With <c>softmax</c> the weights are normalized over the real
/// positions (an all-padding row gets all-zero weights).
/// <para>The first layer is computed without building the four views: splitting its weight W = [W₁ W₂ W₃ W₄] by view,
/// [k; q; k − q; k ⊙ q]·W = k·(W₁ + W₃) + q·(W₂ − W₃) + (k ⊙ q)·W₄, so the candidate's term is one (B, h₁) product
/// broadcast over the T behaviours, and no (B·T, 4E) matrix is concatenated: per position the layer multiplies 2E inputs,
/// not 4E (about 40 % fewer FLOPs for the whole unit at DIN's 80-40 sizes).
/// The tests compare it with the four-view form.</para>
/// <para>Padding gets weight exactly 0. Where a batch has padding, the unit scores its real positions only (gathered
/// with <c>nonzero()</c>, first layer included) with Dice, so padding cannot shift Dice's batch statistics, and on the
/// CPU, where real histories are mostly padding (a batch pads to its longest history: 80 % padding on the DIEN-format
/// Books stand-in at length 50) and the gather costs no device sync. With PReLU or sigmoid on a GPU every position is
/// scored and padding is masked afterwards, which avoids <c>nonzero()</c> (a device-to-host sync there); so does a
/// batch without padding on any device.</para>
/// </summary>
public sealed class LocalActivationUnit : Module<Tensor, Tensor, Tensor, (Tensor Pooled, Tensor Weights)>
{
    private readonly long dim;
    private readonly Mlp scorer;
    private readonly bool softmax;
    private readonly bool diceStatistics;

    /// <param name="dim">Size E of one behaviour embedding (history and candidate).</param>
    /// <param name="hidden">Hidden sizes of the scoring MLP (paper's code: 80-40).</param>
    /// <param name="activation">Hidden activation of the scoring MLP.</param>
    /// <param name="softmax">Normalize the weights over the real positions (the paper does not).</param>
    public LocalActivationUnit(long dim, IReadOnlyList<long> hidden, Activation activation = Activation.PReLU, bool softmax = false)
        : base(nameof(LocalActivationUnit))
    {
        if (dim < 1) throw new ArgumentOutOfRangeException(nameof(dim), dim, "embedding size must be positive");
        this.dim = dim;
        scorer = new Mlp(4 * dim, hidden, outputs: 1, activation);
        this.softmax = softmax;
        diceStatistics = activation == Activation.Dice;
        RegisterComponents();
    }

    /// <summary>History (B, T, E), candidate (B, E), mask (B, T) bool true = real → interest (B, E) and weights (B, T).</summary>
    public override (Tensor Pooled, Tensor Weights) forward(Tensor history, Tensor candidate, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var weights = Weights(history, candidate, mask);                                   // (B, T)
        var pooled = (weights.unsqueeze(-1) * history).sum(1);                             // (B, E)
        return (pooled.MoveToOuterDisposeScope(), weights.MoveToOuterDisposeScope());
    }

    /// <summary>The weights a(e_j, e_c) alone, (B, T), for callers that pool differently (DIEN's attention gates).</summary>
    public Tensor Weights(Tensor history, Tensor candidate, Tensor mask)
    {
        CheckShapes(history, candidate, mask);
        if (history.shape[2] != dim)
            throw new ArgumentException($"local activation unit was built for embeddings of size {dim}, got history of size {history.shape[2]}", nameof(history));
        using var scope = NewDisposeScope();
        long b = history.shape[0], t = history.shape[1];
        var candidateTerm = functional.linear(candidate, CandidateWeight(), scorer.FirstLayer.bias); // (B, h₁) once per row
        Tensor scores;                                                                     // (B·T)
        if (TokenRows.RealPositions(mask, everywhere: diceStatistics) is { } real)      // (N) flat indices b·T + t of real positions
        {
            scores = zeros(b * t, dtype: history.dtype, device: history.device);         // padding stays exactly 0
            if (real.shape[0] > 0)
            {
                var row = real.div(t, rounding_mode: RoundingMode.floor);                  // (N) b of each real position
                var hidden = FirstLayer(history.reshape(b * t, dim).index_select(0, real), // (N, h₁)
                    candidate.index_select(0, row), candidateTerm.index_select(0, row));
                scores = scores.index_copy(0, real, scorer.ForwardAfterFirstLayer(hidden).squeeze(1));
            }
        }
        else
        {
            var hidden = FirstLayer(history, candidate.unsqueeze(1), candidateTerm.unsqueeze(1)); // (B, T, h₁)
            scores = scorer.ForwardAfterFirstLayer(hidden.reshape(b * t, -1)).squeeze(1).masked_fill(mask.reshape(-1).logical_not(), 0);
        }
        var weights = scores.reshape(b, t);                                                // (B, T)
        if (softmax) weights = MaskedSoftmax(weights, mask);
        return weights.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The scoring MLP's first layer on the four views [k; q; k − q; k ⊙ q] of behaviours k and their candidates q,
    /// computed as k·(W₁ + W₃) + (k ⊙ q)·W₄ + [q·(W₂ − W₃) + b]: behaviours (…, E), their candidates (…, E) and the
    /// candidates' term in brackets (…, h₁), each broadcastable to the behaviours' leading shape → (…, h₁).
    /// </summary>
    private Tensor FirstLayer(Tensor behaviours, Tensor candidates, Tensor candidateTerm)
    {
        var w = scorer.FirstLayer.weight!;                                                 // (h₁, 4E) = [W₁ W₂ W₃ W₄]
        var behaviourTerm = functional.linear(behaviours, w.narrow(1, 0, dim) + w.narrow(1, 2 * dim, dim)); // (…, h₁)
        var interactionTerm = functional.linear(behaviours * candidates, w.narrow(1, 3 * dim, dim));        // (…, h₁)
        return behaviourTerm + interactionTerm + candidateTerm;                            // (…, h₁)
    }

    /// <summary>W₂ − W₃ (h₁, E), the weight of the candidate's term q·(W₂ − W₃) + b.</summary>
    private Tensor CandidateWeight()
    {
        var w = scorer.FirstLayer.weight!;                                                 // (h₁, 4E)
        return w.narrow(1, dim, dim) - w.narrow(1, 2 * dim, dim);                          // (h₁, E)
    }

    /// <summary>Softmax over the real positions of each row; padding and all-padding rows get weight 0, never NaN.</summary>
    internal static Tensor MaskedSoftmax(Tensor scores, Tensor mask)
    {
        var padding = mask.logical_not();                                                  // (B, T)
        var masked = scores.masked_fill(padding, double.NegativeInfinity);                 // (B, T)
        // Shift by the row maximum for stability (softmax is shift-invariant, so no gradient is needed through it);
        // an all-padding row's maximum is −∞ and is replaced by 0 so that its exponentials are exp(−∞) = 0.
        var rowMax = masked.max(1, keepdim: true).values.detach();                         // (B, 1)
        rowMax = rowMax.masked_fill(padding.all(1, keepdim: true), 0);                     // (B, 1)
        var exponentials = (masked - rowMax).exp();                                        // (B, T) 0 at padding
        // A row with a real position has the maximum's exp(0) = 1 in its sum, so clamping at 1 only affects
        // all-padding rows, whose 0 / 1 = 0.
        return exponentials / exponentials.sum(1, keepdim: true).clamp_min(1);             // (B, T)
    }

    private static void CheckShapes(Tensor history, Tensor candidate, Tensor mask)
    {
        string Shape(Tensor x) => $"({string.Join(", ", x.shape)})";
        if (history.dim() != 3 || candidate.dim() != 2 || mask.dim() != 2
            || candidate.shape[0] != history.shape[0] || candidate.shape[1] != history.shape[2]
            || mask.shape[0] != history.shape[0] || mask.shape[1] != history.shape[1])
            throw new ArgumentException(
                $"local activation unit expects history (B, T, E), candidate (B, E), mask (B, T); got {Shape(history)}, {Shape(candidate)}, {Shape(mask)}");
        if (mask.dtype != ScalarType.Bool)
            throw new ArgumentException($"local activation unit expects a bool mask (true = real behaviour), got {mask.dtype}", nameof(mask));
    }
}
