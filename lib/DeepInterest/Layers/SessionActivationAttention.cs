using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepInterest.Layers;

/// <summary>
/// DSIN's session interest activating layer (Feng et al., IJCAI'19, §4.4, Eq. 7–8): attention of the candidate
/// X^I over session vectors, U = Σ_k a_k S_k with a = softmax over the user's real sessions. The paper writes the
/// score bilinearly (I_k W X^I); its released code scores with a DIN-style activation unit — an MLP (64-16, sigmoid)
/// on [X^I, S_k, X^I − S_k, X^I ⊙ S_k] — and normalises with a softmax; this layer follows the code. Users without
/// sessions get zero weights and U = 0.
/// </summary>
public sealed class SessionActivationAttention : Module<Tensor, Tensor, Tensor, (Tensor Pooled, Tensor Weights)>
{
    private readonly Mlp score;

    public SessionActivationAttention(long dim, IReadOnlyList<long> hidden) : base(nameof(SessionActivationAttention))
    {
        score = new Mlp(4 * dim, hidden, 1, Activation.Sigmoid);
        RegisterComponents();
    }

    /// <summary>Candidate (B, D), sessions (B, K, D), session mask (B, K) → pooled (B, D), weights (B, K).</summary>
    public override (Tensor Pooled, Tensor Weights) forward(Tensor candidate, Tensor sessions, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var query = candidate.unsqueeze(1).expand_as(sessions);            // (B, K, D)
        var scores = score.call(cat([query, sessions, query - sessions, query * sessions], -1)).squeeze(-1); // (B, K)
        // A finite fill (not −∞) keeps rows without any session finite; the mask product then zeroes them.
        var weights = scores.masked_fill(mask.logical_not(), -1e9).softmax(-1) * mask.to_type(scores.dtype); // (B, K)
        var pooled = (weights.unsqueeze(-1) * sessions).sum(1);            // (B, D)
        return (pooled.MoveToOuterDisposeScope(), weights.MoveToOuterDisposeScope());
    }
}
