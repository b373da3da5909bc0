using DeepInterest.Data;
using DeepInterest.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepInterest.Models;

/// <summary>Settings of DIN. The defaults are the paper's network with PReLU and no extra regularization.</summary>
public sealed record DinConfig
{
    /// <summary>
    /// Mini-batch-aware L2 strength used by the <c>din-dice-mba</c> variant. The penalty is added to the batch-mean
    /// log loss and its gradient on embedding row j is 2λ·(n_jB / n_j)·w_j: a row seen once in training is pulled
    /// by 2λ·w_j in the step it appears in, against a data gradient that the batch mean divides by B, while a row
    /// seen thousands of times is barely touched. 0.01 therefore shrinks the long tail of rare items firmly and
    /// leaves frequent ones free; a starting point, to tune per data set.
    /// </summary>
    public const double SuggestedMbaLambda = 0.01;

    /// <summary>Hidden activation of both the attention MLP and the prediction MLP (paper §4.3: PReLU or Dice).</summary>
    public Activation Activation { get; init; } = Activation.PReLU;
    /// <summary>Normalize the attention weights with a softmax over the history (the paper does not).</summary>
    public bool Softmax { get; init; }
    /// <summary>Hidden sizes of the local activation unit's MLP (paper's code: 80-40).</summary>
    public IReadOnlyList<long> AttentionHidden { get; init; } = [80, 40];
    /// <summary>Hidden sizes of the prediction MLP (paper §6.3: 200-80).</summary>
    public IReadOnlyList<long> MlpHidden { get; init; } = [200, 80];
    /// <summary>
    /// Mini-batch-aware L2 strength λ (paper Eq. 4–5, <see cref="BehaviorEmbedding.MiniBatchAwareL2"/>); 0 switches it
    /// off. Above 0 the feature space needs the training counts (<c>FeatureSpace.From(training, vocab, maxLength)</c>).
    /// </summary>
    public double MbaLambda { get; init; }
}

/// <summary>
/// Deep Interest Network (Zhou et al., "Deep Interest Network for Click-Through Rate Prediction", KDD'18).
/// The user's interest is computed per candidate by the local activation unit (Eq. 3):
/// v_U(c) = Σ_j a(e_j, e_c) · e_j, and ŷ = σ(MLP([v_U(c); e_c; user and context embeddings])), hidden 200-80 with
/// PReLU or Dice (Eq. 9; Fig. 2's user-profile and context groups, <see cref="SideFeatures"/>; behaviour fields join each e_j).
/// Optionally adds the mini-batch-aware L2 penalty on the embeddings (Eq. 4) in training.
/// Diagnostics: "attention" (B, T), the weights a(e_j, e_c), exactly 0 at padding.
/// </summary>
public sealed class Din : CtrModel
{
    private readonly BehaviorEmbedding embedding;
    private readonly LocalActivationUnit attention;
    private readonly Mlp mlp;
    private readonly double mbaLambda;
    private readonly SideFeatures? side;

    public Din(FeatureSpace space, ModelOptions options, DinConfig? config = null) : base(nameof(Din))
    {
        config ??= new DinConfig();
        if (config.MbaLambda < 0 || !double.IsFinite(config.MbaLambda))
            throw new ArgumentOutOfRangeException(nameof(config), config.MbaLambda, "DinConfig.MbaLambda must be a finite number ≥ 0 (0 = off)");
        if (config.MbaLambda > 0 && space.ItemCounts is null)
            throw new ArgumentException("mini-batch-aware L2 needs the training counts n_j: build the FeatureSpace with FeatureSpace.From(training, vocab, maxLength)", nameof(space));
        embedding = new BehaviorEmbedding(space, options.EmbeddingDim);
        attention = new LocalActivationUnit(embedding.Dim, config.AttentionHidden, config.Activation, config.Softmax);
        mlp = new Mlp(2 * embedding.Dim + SideFeatures.ProfileWidth(space, options.EmbeddingDim), config.MlpHidden, outputs: 1, config.Activation);
        mbaLambda = config.MbaLambda;
        side = SideFeatures.For(space, options.EmbeddingDim, embedding.Dim);   // last: the other modules initialise as without fields
        RegisterComponents();
    }

    public override CtrOutput forward(Batch batch)
    {
        using var scope = NewDisposeScope();
        var history = SideFeatures.Join(side, embedding.forward(batch.HistoryItems, batch.HistoryCategories), batch); // (B, T, E)
        var candidate = SideFeatures.Items(side, embedding.forward(batch.Items, batch.Categories), batch, ItemSite.Candidate); // (B, E)
        var (interest, weights) = attention.forward(history, candidate, batch.Mask);      // (B, E), (B, T)
        var logits = mlp.forward(SideFeatures.WithProfile(side, cat([interest, candidate], 1), batch)).squeeze(1); // (B)
        // The penalty belongs to the training objective only; evaluation reports the plain log loss.
        var regularization = training && mbaLambda > 0 ? embedding.MiniBatchAwareL2(batch, mbaLambda) : null;
        var diagnostics = new Dictionary<string, Tensor>();
        if (CollectDiagnostics) diagnostics["attention"] = weights.detach().MoveToOuterDisposeScope();
        return new CtrOutput(logits.MoveToOuterDisposeScope())
        {
            Regularization = regularization?.MoveToOuterDisposeScope(),
            Diagnostics = diagnostics,
        };
    }
}
