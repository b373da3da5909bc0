using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepInterest.Layers;

/// <summary>
/// DSIN's session interest extractor (Feng et al., IJCAI'19, §4.2, Eq. 3–5): one Transformer layer shared by all
/// sessions — multi-head self-attention among a session's behaviours, then a position-wise feed-forward network,
/// each with a residual connection and layer normalization — then the average over the session's real behaviours,
/// I_k = avg(I^Q_k). Input (B, K, L, E) with a behaviour mask (B, K, L); output (B, K, E), zero for empty sessions.
/// The feed-forward width is 4·E as in the paper's code; that code switches layer normalization off, this layer
/// keeps the standard Transformer layer the paper describes. With <c>blinding</c> a behaviour does not attend to
/// itself, as in the paper's code (DeepCTR's Transformer, <c>blinding=True</c>, sets the diagonal of the scores to
/// −2³² + 1 before the softmax; here −2³² is added to it); it still keeps itself through the residual. A behaviour
/// alone in its session has no other key: the reference then spreads its weight over the padding, here it attends
/// to itself.
/// </summary>
public sealed class SessionInterestExtractor : Module<Tensor, Tensor, Tensor>
{
    private readonly MultiheadAttention selfAttention;
    private readonly LayerNorm attentionNorm;
    private readonly Sequential feedForward;
    private readonly LayerNorm feedForwardNorm;
    private readonly bool blinding;

    public SessionInterestExtractor(long dim, long heads, bool blinding = false) : base(nameof(SessionInterestExtractor))
    {
        if (heads < 1 || dim % heads != 0)
            throw new ArgumentException($"attention heads ({heads}) must divide the behaviour embedding size ({dim})", nameof(heads));
        selfAttention = MultiheadAttention(dim, heads);
        attentionNorm = LayerNorm(dim);
        feedForward = Sequential(("fc0", Linear(dim, 4 * dim)), ("act0", ReLU()), ("fc1", Linear(4 * dim, dim)));
        feedForwardNorm = LayerNorm(dim);
        this.blinding = blinding;
        RegisterComponents();
    }

    public override Tensor forward(Tensor sessions, Tensor behaviorMask)
    {
        using var scope = NewDisposeScope();
        long b = sessions.shape[0], k = sessions.shape[1], l = sessions.shape[2], e = sessions.shape[3];
        var sequence = sessions.reshape(b * k, l, e).transpose(0, 1);     // (L, B·K, E): MultiheadAttention has no batch_first
        var real = behaviorMask.reshape(b * k, l);                         // (B·K, L)
        // A row whose keys are all padding makes the attention softmax NaN, so an empty session attends to its
        // (padding) position 0; its output is dropped by the masked average below, and sessions never attend
        // across each other, so real sessions are untouched.
        var emptySession = real.any(1).logical_not();                      // (B·K)
        var attendable = cat([real.narrow(1, 0, 1).logical_or(emptySession.unsqueeze(1)), real.narrow(1, 1, l - 1)], 1); // (B·K, L)
        // Blinding as in the reference: −2³² added on the diagonal of the scores. Finite, so a behaviour alone in its
        // session (every other key padding, −∞) still attends to itself instead of making the softmax NaN.
        var blindfold = blinding ? eye(l, dtype: sessions.dtype, device: sessions.device) * -Math.Pow(2, 32) : null; // (L, L)
        var (attended, _) = selfAttention.call(sequence, sequence, sequence, key_padding_mask: attendable.logical_not(), attn_mask: blindfold);
        var hidden = attentionNorm.call(sequence + attended);              // (L, B·K, E)
        hidden = feedForwardNorm.call(hidden + feedForward.call(hidden));  // (L, B·K, E) I^Q
        var perBehavior = hidden.transpose(0, 1).reshape(b, k, l, e);      // (B, K, L, E)
        var weights = behaviorMask.to_type(sessions.dtype).unsqueeze(-1);  // (B, K, L, 1)
        var count = weights.sum(2).clamp_min(1);                           // (B, K, 1)
        return ((perBehavior * weights).sum(2) / count).MoveToOuterDisposeScope(); // (B, K, E) I_k
    }
}
