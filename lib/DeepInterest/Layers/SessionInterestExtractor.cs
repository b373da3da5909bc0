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
/// to itself. Unless <see cref="ExplicitAttention"/> is set, the attention runs fused on the same
/// <c>nn.MultiheadAttention</c> parameters (in-projection, heads, out-projection), with padded keys at the dtype's lowest
/// finite value instead of −∞ (the same zero weight, since every row keeps a real key) plus the same blinding diagonal;
/// the module has no attention dropout to match. On the CPU in float32 with heads a multiple of 8 wide (DSIN's 4 heads
/// of 16) that is the kit's <see cref="SelfAttentionFunction"/>, in training too; elsewhere libtorch's
/// <c>scaled_dot_product_attention</c>, and in training on the CPU <c>nn.MultiheadAttention</c> itself. With the kit's
/// kernel on the CPU, a batch with padded behaviours (most of a real one: a short history fills few sessions) runs the
/// layer's position-wise parts on its real behaviours only (<see cref="TokenRows"/>).
/// </summary>
public sealed class SessionInterestExtractor : Module<Tensor, Tensor, Tensor>
{
    private readonly MultiheadAttention selfAttention;
    private readonly LayerNorm attentionNorm;
    private readonly Sequential feedForward;
    private readonly LayerNorm feedForwardNorm;
    private readonly bool blinding;
    private readonly long heads;

    /// <summary>Run <c>nn.MultiheadAttention</c> itself (the plain reference); otherwise the fused kernel on its parameters.</summary>
    public bool ExplicitAttention { get; set; } = true;

    public SessionInterestExtractor(long dim, long heads, bool blinding = false) : base(nameof(SessionInterestExtractor))
    {
        if (heads < 1 || dim % heads != 0)
            throw new ArgumentException($"attention heads ({heads}) must divide the behaviour embedding size ({dim})", nameof(heads));
        selfAttention = MultiheadAttention(dim, heads);
        attentionNorm = LayerNorm(dim);
        feedForward = Sequential(("fc0", Linear(dim, 4 * dim)), ("act0", ReLU()), ("fc1", Linear(4 * dim, dim)));
        feedForwardNorm = LayerNorm(dim);
        this.blinding = blinding;
        this.heads = heads;
        RegisterComponents();
    }

    public override Tensor forward(Tensor sessions, Tensor behaviorMask)
    {
        using var scope = NewDisposeScope();
        long b = sessions.shape[0], k = sessions.shape[1], l = sessions.shape[2], e = sessions.shape[3];
        var real = behaviorMask.reshape(b * k, l);                         // (B·K, L)
        // A row whose keys are all padding makes the attention softmax NaN, so an empty session attends to its
        // (padding) position 0; its output is dropped by the masked average below, and sessions never attend
        // across each other, so real sessions are untouched.
        var emptySession = real.any(1).logical_not();                      // (B·K)
        var attendable = cat([real.narrow(1, 0, 1).logical_or(emptySession.unsqueeze(1)), real.narrow(1, 1, l - 1)], 1); // (B·K, L)
        // libtorch's fused backward measured 11–14 % slower per DSIN training step on the CPU than nn.MultiheadAttention's.
        bool explicitForm = ExplicitAttention || (training && sessions.device_type == DeviceType.CPU && !KitKernel(sessions));
        Tensor perBehavior;                                                // (B·K, L, E) I^Q, rows of padding not used
        if (!explicitForm && KitKernel(sessions))
            perBehavior = KitLayer(sessions.reshape(b * k, l, e), real, attendable);
        else
        {
            var sequence = sessions.reshape(b * k, l, e).transpose(0, 1);  // (L, B·K, E): MultiheadAttention has no batch_first
            // Blinding as in the reference: −2³² added on the diagonal of the scores. Finite, so a behaviour alone in its
            // session (every other key padding, −∞) still attends to itself instead of making the softmax NaN.
            var blindfold = blinding ? eye(l, dtype: sessions.dtype, device: sessions.device) * -Math.Pow(2, 32) : null; // (L, L)
            var attended = explicitForm
                ? selfAttention.call(sequence, sequence, sequence, key_padding_mask: attendable.logical_not(), attn_mask: blindfold).Item1
                : FusedAttention(sequence, attendable, blindfold);         // (L, B·K, E)
            var hidden = attentionNorm.call(sequence + attended);          // (L, B·K, E)
            perBehavior = feedForwardNorm.call(hidden + feedForward.call(hidden)).transpose(0, 1); // (B·K, L, E)
        }
        var weights = behaviorMask.to_type(sessions.dtype).unsqueeze(-1);  // (B, K, L, 1)
        var count = weights.sum(2).clamp_min(1);                           // (B, K, 1)
        return ((perBehavior.reshape(b, k, l, e) * weights).sum(2) / count).MoveToOuterDisposeScope(); // (B, K, E) I_k
    }

    /// <summary>
    /// The layer with the kit's <see cref="SelfAttentionFunction"/> (blinding included), on the same parameters: sessions
    /// (N, L, E), their real behaviours (N, L) and attendable keys (N, L) → (N, L, E). On the CPU the position-wise parts
    /// (projections, both LayerNorms, the feed-forward network) run on the real behaviours only (<see cref="TokenRows"/>):
    /// a padded behaviour's query, key and value are then 0, which changes no real output (its key weighs 0 for every
    /// real query; an empty session attends to its position 0 and its output is dropped), and its output row is 0.
    /// </summary>
    private Tensor KitLayer(Tensor sessions, Tensor real, Tensor attendable)
    {
        long n = sessions.shape[0], l = sessions.shape[1], e = sessions.shape[2];
        var rows = TokenRows.Of(sessions, real);
        var x = rows.Gather(sessions);                                     // (M, E) the behaviours worked on
        var inWeight = selfAttention.get_parameter("in_proj_weight")!;     // (3E, E) [Q; K; V]
        var inBias = selfAttention.get_parameter("in_proj_bias")!;         // (3E)
        Tensor Project(long at) => rows.Spread(functional.linear(x, inWeight.narrow(0, at * e, e), inBias.narrow(0, at * e, e)), n, l); // (N, L, E)
        var attended = SelfAttentionFunction.Apply(Project(0), Project(1), Project(2), attendable, heads, dropout: 0, blinding); // (N, L, E)
        var hidden = attentionNorm.call(x + OutProjection(rows.Gather(attended))); // (M, E)
        return rows.Spread(feedForwardNorm.call(hidden + feedForward.call(hidden)), n, l); // (N, L, E)
    }

    /// <summary>
    /// (L, N, E) sequence, (N, L) attendable keys, optional (L, L) additive blindfold → (L, N, E), as <c>selfAttention</c>
    /// in libtorch's <c>scaled_dot_product_attention</c> (where the kit's kernel does not run).
    /// </summary>
    private Tensor FusedAttention(Tensor sequence, Tensor attendable, Tensor? blindfold)
    {
        long l = sequence.shape[0], n = sequence.shape[1], e = sequence.shape[2];
        var projected = functional.linear(sequence, selfAttention.get_parameter("in_proj_weight")!, selfAttention.get_parameter("in_proj_bias")!) // (L, N, 3E)
            .view(l, n, 3, heads, e / heads).permute(2, 1, 3, 0, 4);       // (3, N, H, L, d)
        var keyBias = zeros(n, 1, 1, l, dtype: sequence.dtype, device: sequence.device)
            .masked_fill(attendable.logical_not().unsqueeze(1).unsqueeze(1), finfo(sequence.dtype).min); // (N, 1, 1, L)
        var bias = blindfold is null ? keyBias : keyBias + blindfold;      // (N, 1, L, L) or (N, 1, 1, L)
        var attended = functional.scaled_dot_product_attention(projected[0], projected[1], projected[2], bias) // (N, H, L, d)
            .permute(2, 0, 1, 3).reshape(l, n, e);                         // (L, N, E)
        return OutProjection(attended);
    }

    /// <summary><c>selfAttention</c>'s output projection on (…, E).</summary>
    private Tensor OutProjection(Tensor attended) =>
        functional.linear(attended, selfAttention.get_parameter("out_proj.weight")!, selfAttention.get_parameter("out_proj.bias")!);

    private bool KitKernel(Tensor sessions) => SelfAttentionKernels.Supports(sessions, sessions.shape[^1] / heads);
}
