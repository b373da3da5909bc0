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
        long t = states.shape[1];
        if (t < 2) return zeros(Array.Empty<long>(), dtype: states.dtype, device: states.device); // no (t, t+1) pair exists
        using var scope = NewDisposeScope();
        var now = states.narrow(1, 0, t - 1);                                          // (B, T−1, H) h_t
        var valid = mask.narrow(1, 0, t - 1)
            .logical_and(mask.narrow(1, 1, t - 1))
            .logical_and(hasNegative.narrow(1, 1, t - 1))
            .to_type(states.dtype);                                                    // (B, T−1)
        var positive = Score(now, clicked.narrow(1, 1, t - 1));                        // (B, T−1) s⁺
        var negative = Score(now, negatives.narrow(1, 1, t - 1));                      // (B, T−1) s⁻
        var logLikelihood = logsigmoid(positive) + logsigmoid(negative.neg());         // (B, T−1) log σ(s⁺) + log(1 − σ(s⁻))
        var loss = -(logLikelihood * valid).sum() / valid.sum().clamp_min(1);          // () mean over valid pairs
        return loss.MoveToOuterDisposeScope();
    }

    private Tensor Score(Tensor states, Tensor behaviours) =>
        scorer.forward(cat([states, behaviours], -1)).squeeze(-1);                     // (B, T−1)
}
