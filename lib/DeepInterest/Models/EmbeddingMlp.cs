using DeepInterest.Data;
using DeepInterest.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepInterest.Models;

/// <summary>Settings of the embedding-and-MLP baseline.</summary>
public sealed record EmbeddingMlpConfig
{
    /// <summary>How the history is reduced to a user vector (the paper's baseline pools by sum or average).</summary>
    public Pooling Pooling { get; init; } = Pooling.Mean;
    /// <summary>Hidden sizes of the prediction MLP (DIN paper, §6.3: 200-80).</summary>
    public IReadOnlyList<long> MlpHidden { get; init; } = [200, 80];
    public Activation Activation { get; init; } = Activation.PReLU;
}

/// <summary>
/// The "Embedding &amp; MLP" base model of the DIN paper (Zhou et al., KDD'18, §4.2, Fig. 2 left): each behaviour
/// and the candidate are embedded as e = [item; category]; the history is pooled to one fixed-length user vector
/// v_U = pool_j(e_j), whatever the candidate, and ŷ = σ(MLP([v_U; e_c; user and context embeddings])) (the
/// side fields of <see cref="SideFeatures"/>: behaviour fields join each e_j, user and context fields the MLP). DIN keeps everything and replaces the
/// pooling by candidate-dependent attention, so the two differ exactly in how the history is summarised.
/// </summary>
public sealed class EmbeddingMlp : CtrModel
{
    private readonly BehaviorEmbedding embedding;
    private readonly Mlp mlp;
    private readonly Pooling pooling;
    private readonly SideFeatures? side;

    public EmbeddingMlp(FeatureSpace space, ModelOptions options, EmbeddingMlpConfig? config = null) : base(nameof(EmbeddingMlp))
    {
        config ??= new EmbeddingMlpConfig();
        embedding = new BehaviorEmbedding(space, options.EmbeddingDim);
        mlp = new Mlp(2 * embedding.Dim + SideFeatures.ProfileWidth(space, options.EmbeddingDim), config.MlpHidden, outputs: 1, config.Activation);
        pooling = config.Pooling;
        side = SideFeatures.For(space, options.EmbeddingDim, embedding.Dim);   // last: the other modules initialise as without fields
        RegisterComponents();
    }

    public override CtrOutput forward(Batch batch)
    {
        using var scope = NewDisposeScope();
        var history = SideFeatures.Join(side, embedding.forward(batch.HistoryItems, batch.HistoryCategories), batch); // (B, T, E)
        var candidate = SideFeatures.Items(side, embedding.forward(batch.Items, batch.Categories), batch, ItemSite.Candidate); // (B, E)
        var user = MaskedPooling.Pool(history, batch.Mask, pooling);                    // (B, E)
        var logits = mlp.forward(SideFeatures.WithProfile(side, cat([user, candidate], 1), batch)).squeeze(1); // (B)
        return new CtrOutput(logits.MoveToOuterDisposeScope());
    }
}
