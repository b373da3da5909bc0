using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepInterest.Layers;

/// <summary>
/// One Transformer layer as used by BST (Chen et al., "Behavior Sequence Transformer", DLP-KDD'19, §2.3, Eq. 1–4):
/// <code>
///   Attention(Q, K, V) = softmax(Q Kᵀ / √d) V                 per head, d = E / heads, padded keys masked out
///   S' = LayerNorm(S + Dropout(MH(S)))                        MH = concat(head₁ … head_h) W^H
///   F  = LayerNorm(S' + Dropout(LeakyReLU(S' W⁽¹⁾ + b⁽¹⁾) W⁽²⁾ + b⁽²⁾))
/// </code>
/// Written out by hand (not <c>nn.MultiheadAttention</c>) so that the attention map is available as a diagnostic.
/// Without <see cref="ExplicitAttention"/> the same softmax(Q Kᵀ / √d) V, with the same lowest-finite-value key mask,
/// runs fused and no map is returned: on the CPU in float32 with heads of a multiple of 8 wide (BST's 8 heads of 8),
/// in the kit's own <see cref="SelfAttentionFunction"/>, dropout on the weights included; elsewhere in libtorch's
/// <c>scaled_dot_product_attention</c>, except in training with dropout on the CPU, where libtorch's kernel falls back
/// to its plain form and draws the dropout serially, so the explicit form with <see cref="ParallelDropout"/> runs. At
/// BST's sizes (B = 256, L = 51, E = 64, 8 heads, 2 threads) one block's training forward + backward took 94–113 ms with
/// the kit's kernel against 126–130 ms with the explicit form, and its evaluation forward 28–34 ms against 56–58 ms with
/// libtorch's kernel (throwaway probe, medians of 70 passes, three alternating rounds).
/// Input (B, L, E) with a mask (B, L) true at real tokens, used for keys and queries alike. Padded keys get the
/// dtype's lowest finite value added to their scores rather than −∞ (the sum rounds back to that value): the weight on
/// them still underflows to exactly 0 whenever the row has a real key (a real query always has itself), and an
/// all-padding sequence gives uniform, finite weights instead of NaN. Padded query rows are then zeroed, in the output
/// and in the map, so they never flow on.
/// <para>So a padded token changes no real output, and on the CPU the position-wise layers (the q, k, v projections,
/// the merge, both LayerNorms and the feed-forward network) run on the real tokens only (<see cref="TokenRows"/>): a
/// batch pads to its longest history, and real histories are mostly padding (80 % on the DIEN-format Books stand-in at
/// length 50). Padded tokens' queries, keys and values are then 0 instead of the projections' biases, which changes
/// nothing: their keys weigh exactly 0 for every real query, and their rows are zeroed. On a GPU (where finding the
/// real tokens is a device sync) and for a batch without padding, every token goes through.</para>
/// </summary>
public sealed class TransformerBlock : Module<Tensor, Tensor, (Tensor Output, Tensor Attention)>
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly ParallelDropout attentionDropout;
    private readonly Linear merge;
    private readonly ParallelDropout residualDropout;
    private readonly LayerNorm attentionNorm;
    private readonly Linear expand;
    private readonly LeakyReLU activation;
    private readonly Linear project;
    private readonly LayerNorm feedForwardNorm;
    private readonly long heads;
    private readonly long headDim;
    private readonly double dropout;

    /// <summary>Compute the attention weights explicitly and return the map; otherwise a fused kernel runs and the map is null.</summary>
    public bool ExplicitAttention { get; set; } = true;

    public TransformerBlock(long dim, long heads, long feedForwardDim, double dropout = 0.1) : base(nameof(TransformerBlock))
    {
        if (dim < 1 || heads < 1 || dim % heads != 0)
            throw new ArgumentException($"TransformerBlock: model width {dim} must be positive and divisible by the number of heads {heads}");
        if (feedForwardDim < 1) throw new ArgumentOutOfRangeException(nameof(feedForwardDim), feedForwardDim, "TransformerBlock: feed-forward width must be positive");
        this.heads = heads;
        headDim = dim / heads;
        this.dropout = dropout;
        query = Linear(dim, dim);
        key = Linear(dim, dim);
        value = Linear(dim, dim);
        attentionDropout = new ParallelDropout(dropout);
        merge = Linear(dim, dim);
        residualDropout = new ParallelDropout(dropout);
        attentionNorm = LayerNorm(dim);
        expand = Linear(dim, feedForwardDim);
        activation = LeakyReLU(0.01);
        project = Linear(feedForwardDim, dim);
        feedForwardNorm = LayerNorm(dim);
        RegisterComponents();
    }

    /// <summary>(B, L, E) tokens and (B, L) bool mask (true = real) → (B, L, E) outputs, (B, L, L) head-averaged attention (null unless <see cref="ExplicitAttention"/>).</summary>
    public override (Tensor Output, Tensor Attention) forward(Tensor tokens, Tensor mask)
    {
        using var scope = NewDisposeScope();
        long b = tokens.shape[0], l = tokens.shape[1], e = tokens.shape[2];
        var rows = TokenRows.Of(tokens, mask);
        var x = rows.Gather(tokens);                                              // (N, E) the tokens the position-wise layers see
        var (queries, keys, values) = (rows.Spread(query.forward(x), b, l), rows.Spread(key.forward(x), b, l), rows.Spread(value.forward(x), b, l)); // (B, L, E) each
        var realQueries = mask.unsqueeze(-1).to_type(tokens.dtype);               // (B, L, 1)
        Tensor? weights = null;
        Tensor attended;                                                          // (B, L, E), heads side by side
        if (!ExplicitAttention && SelfAttentionKernels.Supports(tokens, headDim))
            attended = SelfAttentionFunction.Apply(queries, keys, values, mask, heads, training ? dropout : 0);
        else
        {
            var (q, k, v) = (SplitHeads(queries, b, l), SplitHeads(keys, b, l), SplitHeads(values, b, l)); // (B, H, L, d) each
            var keyBias = zeros(b, 1, 1, l, dtype: tokens.dtype, device: tokens.device) // (B, 1, 1, L) 0, or the lowest value at padded keys
                .masked_fill(mask.logical_not().unsqueeze(1).unsqueeze(1), finfo(tokens.dtype).min);
            Tensor perHead;                                                       // (B, H, L, d)
            if (ExplicitAttention || (training && dropout > 0 && tokens.device_type == DeviceType.CPU))
            {
                // 1/√d on q (B·L·E values, not B·H·L² scores) and the key mask added in place: no pass over the scores
                // forward or backward for either (the sum's gradient passes through to the product unchanged).
                var scores = (q * (1 / Math.Sqrt(headDim))).matmul(k.transpose(-2, -1)).add_(keyBias); // (B, H, L, L)
                weights = scores.softmax(-1);                                     // (B, H, L, L), 0 at padded keys
                perHead = attentionDropout.forward(weights).matmul(v);
            }
            else
                perHead = functional.scaled_dot_product_attention(q, k, v, keyBias, training ? dropout : 0.0); // GPUs: dropout inside
            attended = perHead.transpose(1, 2).reshape(b, l, heads * headDim);    // (B, L, E)
        }
        var s = attentionNorm.forward(x + residualDropout.forward(merge.forward(rows.Gather(attended)))); // (N, E)  S'
        var feedForward = project.forward(activation.forward(expand.forward(s))); // (N, E)
        var outputRows = feedForwardNorm.forward(s + residualDropout.forward(feedForward)); // (N, E)
        var output = rows.Packed ? rows.Spread(outputRows, b, l) : outputRows.view(b, l, e) * realQueries; // (B, L, E), padded rows 0
        var attention = ExplicitAttention ? (weights!.mean([1]) * realQueries).MoveToOuterDisposeScope() : null; // (B, L, L), padded query rows 0
        return (output.MoveToOuterDisposeScope(), attention!);
    }

    private Tensor SplitHeads(Tensor x, long b, long l) => x.view(b, l, heads, headDim).transpose(1, 2); // (B, L, E) → (B, H, L, d)
}

/// <summary>
/// Which tokens a layer's position-wise work runs on: the real ones, gathered by their flat index b·L + i, when the batch
/// is on the CPU and has padding (<see cref="Packed"/>); all of them, in place, otherwise.
/// </summary>
internal sealed class TokenRows
{
    private readonly Tensor? real;                                                // (N) flat indices of the real tokens, or null: every token

    private TokenRows(Tensor? real) => this.real = real;

    /// <summary>Whether only the real tokens are gathered.</summary>
    public bool Packed => real is not null;

    /// <summary>The rows for tokens (B, L, E) and their mask (B, L): packed on the CPU when some token is padding.</summary>
    public static TokenRows Of(Tensor tokens, Tensor mask) => new(RealPositions(mask));

    /// <summary>
    /// The flat indices b·L + i (N) of a (B, L) mask's real positions when only they are to be worked on: when some
    /// position is padding and the mask is on the CPU (finding them is a device sync elsewhere), or on any device when
    /// <paramref name="everywhere"/>; null when every position is to be worked on in place.
    /// </summary>
    public static Tensor? RealPositions(Tensor mask, bool everywhere = false) =>
        (everywhere || mask.device_type == DeviceType.CPU) && !mask.all().item<bool>() ? mask.reshape(-1).nonzero().squeeze(1) : null;

    /// <summary>(B, L, D) → (N, D): the rows of the tokens worked on.</summary>
    public Tensor Gather(Tensor values)
    {
        var flat = values.reshape(-1, values.shape[2]);                           // (B·L, D)
        return real is null ? flat : flat.index_select(0, real);                  // (N, D)
    }

    /// <summary>(N, D) → (B, L, D), zero at the tokens not worked on.</summary>
    public Tensor Spread(Tensor rows, long batch, long length) => real is null
        ? rows.view(batch, length, -1)
        : StepRows.Scatter(rows, real, batch, length);
}
