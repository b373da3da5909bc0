using DeepInterest.Data;
using DeepInterest.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepInterest.Models;

/// <summary>BST's own knobs (the embedding size comes from <see cref="ModelOptions"/>).</summary>
public sealed record BstConfig
{
    /// <summary>Transformer layers (paper: 1; 2–3 did not help there).</summary>
    public int Blocks { get; init; } = 1;
    /// <summary>Attention heads (paper: 8); must divide the behaviour width E = 2·EmbeddingDim.</summary>
    public int Heads { get; init; } = 8;
    /// <summary>Hidden width of the position-wise feed-forward network.</summary>
    public int FeedForwardDim { get; init; } = 256;
    /// <summary>Dropout on attention weights and both residual branches.</summary>
    public double Dropout { get; init; } = 0.1;
    public PositionKind Position { get; init; } = PositionKind.TimeGap;
    /// <summary>Largest recency index for <see cref="PositionKind.Index"/>; older behaviours share it.</summary>
    public int MaxIndexPosition { get; init; } = 50;
    /// <summary>Also feed the masked mean of the history tokens' outputs to the MLP, besides the candidate token.</summary>
    public bool PoolHistory { get; init; } = true;
    /// <summary>MLP hidden sizes (paper 1024-512-256, too big for the course's data).</summary>
    public IReadOnlyList<long> Hidden { get; init; } = [200, 80];
    /// <summary>Paper: LeakyReLU; the shared MLP offers PReLU, its learned-slope generalisation.</summary>
    public Activation Activation { get; init; } = Activation.PReLU;
    public double MlpDropout { get; init; } = 0;
}

/// <summary>
/// Behavior Sequence Transformer (Chen et al., "Behavior Sequence Transformer for E-commerce Recommendation in
/// Alibaba", DLP-KDD'19). The candidate is appended to the history as one more token, each token gets a learned
/// position embedding of its time gap to the candidate (§2.2, pos(vᵢ) = t(v_t) − t(vᵢ), bucketised; recency index
/// positions instead, with a printed line, when the data's times are step indices), and
/// <see cref="TransformerBlock"/>s let every behaviour attend to every other and to the candidate (§2.3, Eq. 1–4):
/// <code>
///   S₀ = [e(v₁) + p₁; …; e(v_T) + p_T; e(v_t) + p_t]                 (B, T+1, E)
///   S_k = TransformerBlock(S_{k−1}),   padded keys masked
///   z = [S_K[candidate]; mean_{real i} S_K[i] (optional); e(v_t); user, context embeddings] → MLP → logit
/// </code>
/// Deviations from the paper, for the course's data size: positions are added rather than concatenated (the heads
/// must divide E), the MLP reads the candidate token and a masked mean instead of all flattened outputs (so padding
/// never reaches it), the paper's "other features" are the side fields of <see cref="SideFeatures"/> (behaviour fields
/// added to each history token like the positions), and it is 200-80-1 PReLU instead of 1024-512-256 LeakyReLU. Diagnostics: "attention"
/// (B, T+1, T+1) last block, head-averaged, rows = queries, padded rows and columns 0; "candidate_attention" (B, T),
/// the candidate's weights over the history (the rest of its row, up to 1, is on itself).
/// </summary>
public sealed class Bst : CtrModel
{
    private readonly BehaviorEmbedding embedding;
    private readonly PositionEncoding position;
    private readonly ModuleList<TransformerBlock> blocks;
    private readonly Mlp mlp;
    private readonly bool poolHistory;
    private readonly SideFeatures? side;

    /// <summary>The positions in use: the configured kind, or <see cref="PositionKind.Index"/> when the data's times are step indices.</summary>
    public PositionKind Position { get; }

    public Bst(FeatureSpace space, ModelOptions options, BstConfig? config = null) : base(nameof(Bst))
    {
        config ??= new BstConfig();
        if (config.Blocks < 1) throw new ArgumentOutOfRangeException(nameof(config), config.Blocks, "BST needs at least one transformer block");
        embedding = new BehaviorEmbedding(space, options.EmbeddingDim);
        long dim = embedding.Dim;
        if (config.Heads < 1 || dim % config.Heads != 0)
            throw new ArgumentException($"BST: {config.Heads} heads do not divide the behaviour width {dim} (2 × EmbeddingDim {options.EmbeddingDim})", nameof(config));
        var kind = config.Position;
        if (kind == PositionKind.TimeGap && space.Times == TimeKind.Index)
        {
            kind = PositionKind.Index;
            Console.WriteLine("BST: the data's times are step indices, so every time gap falls in one bucket; using index positions instead");
        }
        Position = kind;
        position = new PositionEncoding(kind, dim, config.MaxIndexPosition);
        blocks = new ModuleList<TransformerBlock>();
        for (int i = 0; i < config.Blocks; i++)
            blocks.Add(new TransformerBlock(dim, config.Heads, config.FeedForwardDim, config.Dropout));
        poolHistory = config.PoolHistory;
        mlp = new Mlp((poolHistory ? 3 : 2) * dim + SideFeatures.ProfileWidth(space, options.EmbeddingDim), config.Hidden, 1, config.Activation, config.MlpDropout);
        side = SideFeatures.For(space, options.EmbeddingDim, dim);   // last: the other modules initialise as without fields
        RegisterComponents();
    }

    public override CtrOutput forward(Batch batch)
    {
        using var scope = NewDisposeScope();
        long t = batch.HistoryItems.shape[1];
        var history = SideFeatures.Join(side, embedding.forward(batch.HistoryItems, batch.HistoryCategories), batch); // (B, T, E)
        var candidate = SideFeatures.Items(side, embedding.forward(batch.Items, batch.Categories), batch, ItemSite.Candidate); // (B, E)
        var mask = cat([batch.Mask, ones(batch.Size, 1, dtype: ScalarType.Bool, device: batch.Mask.device)], 1); // (B, T+1) candidate always real
        var realTokens = mask.unsqueeze(-1).to_type(history.dtype);                  // (B, T+1, 1)
        var tokens = (cat([history, candidate.unsqueeze(1)], 1)                      // (B, T+1, E)
                      + position.forward(batch.HistoryTimes, batch.Times)) * realTokens; // padding tokens stay 0
        Tensor attention = null!;
        foreach (var block in blocks)
        {
            block.ExplicitAttention = CollectDiagnostics;                            // the map only when asked; else the fused kernel
            (tokens, attention) = block.forward(tokens, mask);                      // (B, T+1, E), (B, T+1, T+1) or null
        }
        var features = new List<Tensor> { tokens[.., -1] };                          // (B, E) candidate token
        if (poolHistory)
        {
            features.Add(MaskedPooling.Mean(tokens[.., ..(int)t], batch.Mask));      // (B, E), empty history → 0
        }
        features.Add(candidate);
        var logits = mlp.forward(SideFeatures.WithProfile(side, cat(features, 1), batch)).squeeze(-1); // (B)
        var diagnostics = new Dictionary<string, Tensor>();
        if (CollectDiagnostics)
        {
            diagnostics["attention"] = attention.detach().MoveToOuterDisposeScope();                       // (B, T+1, T+1)
            diagnostics["candidate_attention"] = attention[.., -1, ..(int)t].detach().MoveToOuterDisposeScope(); // (B, T)
        }
        return new CtrOutput(logits.MoveToOuterDisposeScope()) { Diagnostics = diagnostics };
    }
}
