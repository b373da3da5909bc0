using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static TorchSharp.torch.nn.functional;

namespace DeepInterest.Layers;

/// <summary>
/// DIEN's auxiliary loss (Zhou et al., AAAI'19, §4.2, Eq. 6): the interest state h_t must tell the next real behaviour
/// e(b_{t+1}) from a sampled non-clicked item e(b̂_{t+1}):
/// <code>
///   L_aux = −(1/N) Σ_{(i,t) valid} [ log σ(s(h_t, e_{t+1})) + log(1 − σ(s(h_t, ê_{t+1}))) ]
/// </code>
/// with s a small MLP on [h_t; e] (the authors' code's <c>auxiliary_net</c>, 100-50 sigmoid units) and N the number of
/// valid pairs: t and t+1 both real behaviours and a negative sampled at t+1. Padding never counts; with no valid pair
/// (histories of length 0 or 1) the loss is exactly 0.
/// <para>The scorer's first layer is computed without concatenating [h_t; e]: splitting its weight W = [W_h W_e] by
/// input, [h_t; e]·W + b = (h_t·W_h + b) + e·W_e, so the state's term is computed once for both behaviours of a pair
/// and no (B·(T−1), H + E) matrix is concatenated (18 % fewer FLOPs at the authors' 100-50 sizes with H = E). The tests
/// compare it with the concatenated form.</para>
/// <para>Only the valid pairs are scored: their states and next behaviours are gathered first (<c>nonzero()</c>, one
/// device sync on a GPU, where DIEN's GRUs sync on their lengths anyway), so padding, most of a real batch (a batch pads
/// to its longest history), costs nothing.</para>
/// </summary>
public sealed class AuxiliaryLoss : Module<Tensor, Tensor, Tensor, Tensor, Tensor, Tensor>
{
    private readonly Mlp scorer;

    public AuxiliaryLoss(long hiddenSize, long embeddingSize, IReadOnlyList<long>? hidden = null) : base(nameof(AuxiliaryLoss))
    {
        scorer = new Mlp(hiddenSize + embeddingSize, hidden ?? [100, 50], outputs: 1, Activation.Sigmoid);
        RegisterComponents();
    }

    /// <summary>
    /// Interest states (B, T, H), clicked behaviours (B, T, E), sampled negatives (B, T, E) aligned with them,
    /// mask (B, T) true at real behaviours, negative mask (B, T) true where a negative was sampled. Returns a scalar.
    /// </summary>
    public override Tensor forward(Tensor states, Tensor clicked, Tensor negatives, Tensor mask, Tensor hasNegative)
    {
        long b = states.shape[0], t = states.shape[1];
        if (t < 2) return zeros(Array.Empty<long>(), dtype: states.dtype, device: states.device); // no (t, t+1) pair exists
        using var scope = NewDisposeScope();
        var valid = mask.narrow(1, 0, t - 1)
            .logical_and(mask.narrow(1, 1, t - 1))
            .logical_and(hasNegative.narrow(1, 1, t - 1));                             // (B, T−1)
        var pairs = cat([valid, zeros(b, 1, dtype: ScalarType.Bool, device: mask.device)], 1) // (B, T) a pair starts at t
            .reshape(-1).nonzero().squeeze(1);                                         // (N) flat indices b·T + t of h_t
        var next = pairs + 1;                                                          // (N) b·T + t + 1 of e_{t+1}
        var (positive, negative) = Scores(Rows(states, pairs), Rows(clicked, next), Rows(negatives, next)); // (N) s⁺, s⁻
        var loss = -(logsigmoid(positive) + logsigmoid(negative.neg())).sum() / Math.Max(1, pairs.shape[0]); // () mean over valid pairs, 0 without any
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>The rows at flat positions <paramref name="at"/> (N) of a (B, T, D) tensor: (N, D).</summary>
    private static Tensor Rows(Tensor values, Tensor at) => values.reshape(-1, values.shape[2]).index_select(0, at);

    /// <summary>s(h_t, e) for the clicked and the sampled behaviour of every pair: states (N, H), both (N, E).</summary>
    private (Tensor Clicked, Tensor Sampled) Scores(Tensor states, Tensor clicked, Tensor negatives)
    {
        var first = scorer.FirstLayer;
        long h = states.shape[1], e = clicked.shape[1];
        var stateTerm = linear(states, first.weight!.narrow(1, 0, h), first.bias);     // (N, h₁) h_t·W_h + b, once per pair
        var behaviourWeight = first.weight!.narrow(1, h, e);                           // (h₁, E) W_e
        Tensor Score(Tensor behaviours) => scorer.ForwardAfterFirstLayer(stateTerm + linear(behaviours, behaviourWeight)).squeeze(1); // (N)
        return (Score(clicked), Score(negatives));
    }
}
