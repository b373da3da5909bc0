using DeepInterest.Data;
using DeepInterest.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepInterest.Models;

/// <summary>DSIN's knobs; defaults follow the paper (30-minute sessions, K = 5, L = 10, MLP 200-80).</summary>
public sealed record DsinConfig
{
    /// <summary>A gap of MORE than this many seconds starts a new session.</summary>
    public long Gap { get; init; } = Sessionizer.DefaultGap;
    /// <summary>K: most recent sessions kept.</summary>
    public int Sessions { get; init; } = 5;
    /// <summary>L: most recent behaviours kept per session.</summary>
    public int SessionLength { get; init; } = 10;
    /// <summary>Behaviours per session when the data's times are step indices (<see cref="TimeKind.Index"/>): no gap can fire, so the history is cut into chunks of this size.</summary>
    public int ChunkSize { get; init; } = 10;
    /// <summary>Self-attention heads; must divide the behaviour embedding size 2·EmbeddingDim.</summary>
    public int Heads { get; init; } = 4;
    /// <summary>LSTM layers per direction in the session interest interacting layer (the paper's code uses 2).</summary>
    public int LstmLayers { get; init; } = 1;
    /// <summary>Keep each behaviour from attending to itself in the session self-attention, as the paper's code does.</summary>
    public bool Blinding { get; init; }
    /// <summary>Dropout on the Bi-LSTM's layer inputs in training (the paper's code: 0.2).</summary>
    public double LstmDropout { get; init; }
    public IReadOnlyList<long> AttentionHidden { get; init; } = [64, 16];
    public IReadOnlyList<long> MlpHidden { get; init; } = [200, 80];
    public Activation Activation { get; init; } = Activation.ReLU;
}

/// <summary>
/// Deep Session Interest Network (Feng et al., IJCAI'19). The history is cut into sessions (§4.1,
/// <see cref="Sessionizer"/>; when the data's times are step indices, fixed chunks of <see cref="DsinConfig.ChunkSize"/>
/// behaviours instead, with a printed line); each session's behaviours plus bias encoding (Eq. 2) go through a shared self-attention
/// layer and are averaged into a session interest I_k (§4.2, Eq. 3–5); a Bi-LSTM over the sessions gives H_k (§4.3,
/// Eq. 6); the candidate attends over I and over H (§4.4, Eq. 7–8); [e_c; U^I; U^H; user profile and context] → MLP → logit
/// (the paper's user-profile features, <see cref="SideFeatures"/>; behaviour fields join each behaviour before the sessions).
/// Two details of the paper's code that the paper does not describe are off by default and switchable:
/// <see cref="DsinConfig.Blinding"/> (no behaviour attends to itself) and <see cref="DsinConfig.LstmDropout"/> (0.2 there).
/// Diagnostics: "session_attention" (B, K) over I, "session_index" (B, T) slot of each history position (−1 when
/// padding or dropped), "session_mask" (B, K).
/// </summary>
public sealed class Dsin : CtrModel
{
    private readonly BehaviorEmbedding embedding;
    private readonly BiasEncoding biasEncoding;
    private readonly SessionInterestExtractor extractor;
    private readonly LeftPaddedBiLstm interacting;
    private readonly LocalActivationUnit interestAttention;
    private readonly LocalActivationUnit interactionAttention;
    private readonly Mlp mlp;
    private readonly DsinConfig config;
    private readonly int? chunkSize;
    private readonly SideFeatures? side;

    public Dsin(FeatureSpace space, ModelOptions options, DsinConfig? config = null) : base(nameof(Dsin))
    {
        this.config = config ?? new DsinConfig();
        if (this.config.Sessions < 1 || this.config.SessionLength < 1 || this.config.LstmLayers < 1)
            throw new ArgumentException($"DSIN needs K, L and LSTM layers of at least 1, got K = {this.config.Sessions}, L = {this.config.SessionLength}, layers = {this.config.LstmLayers}", nameof(config));
        if (space.Times == TimeKind.Index)
        {
            if (this.config.ChunkSize < 1) throw new ArgumentException($"DSIN's chunk size must be at least 1, got {this.config.ChunkSize}", nameof(config));
            chunkSize = this.config.ChunkSize;
            Console.WriteLine($"DSIN: the data's times are step indices, so a {this.config.Gap}-s gap never fires; sessions are chunks of {chunkSize} behaviours instead");
        }
        embedding = new BehaviorEmbedding(space, options.EmbeddingDim);
        long dim = embedding.Dim;
        biasEncoding = new BiasEncoding(this.config.Sessions, this.config.SessionLength, dim);
        extractor = new SessionInterestExtractor(dim, this.config.Heads, this.config.Blinding);
        interacting = new LeftPaddedBiLstm(dim, dim, this.config.LstmLayers, this.config.LstmDropout);
        // The paper scores sessions bilinearly (Eq. 7); its released code uses a DIN-style activation unit (sigmoid MLP)
        // normalized with a softmax over the user's real sessions, which we follow. No sessions → zero weights.
        interestAttention = new LocalActivationUnit(dim, this.config.AttentionHidden, Activation.Sigmoid, softmax: true);
        interactionAttention = new LocalActivationUnit(dim, this.config.AttentionHidden, Activation.Sigmoid, softmax: true);
        mlp = new Mlp(3 * dim + SideFeatures.ProfileWidth(space, options.EmbeddingDim), this.config.MlpHidden, 1, this.config.Activation);
        side = SideFeatures.For(space, options.EmbeddingDim, dim);   // last: the other modules initialise as without fields
        RegisterComponents();
    }

    public override CtrOutput forward(Batch batch)
    {
        using var scope = NewDisposeScope();
        int k = config.Sessions, l = config.SessionLength;
        // Sessionized on the batch's device: no host copy, nothing read back. layout.Place: (B, T) → (B, K, L), 0 = padding in empty slots.
        var layout = SessionLayout.Build(batch.HistoryTimes, batch.Mask, config.Gap, k, l, chunkSize);
        var (behaviorMask, sessionMask) = (layout.BehaviorMask, layout.SessionMask);      // (B, K, L), (B, K)
        var behaviors = SideFeatures.Join(side, embedding.call(layout.Place(batch.HistoryItems), layout.Place(batch.HistoryCategories)), batch, layout.Place); // (B, K, L, E)
        var sessions = biasEncoding.call(behaviors);                                   // (B, K, L, E) with BE
        extractor.ExplicitAttention = CollectDiagnostics;                               // the extractor picks its fused form
        var interests = extractor.call(sessions, behaviorMask);                        // (B, K, E) I_k
        var interactions = interacting.call(interests, sessionMask);                   // (B, K, E) H_k
        var candidate = SideFeatures.Items(side, embedding.call(batch.Items, batch.Categories), batch, ItemSite.Candidate); // (B, E) X^I
        var (interestPooled, interestWeights) = interestAttention.call(interests, candidate, sessionMask);          // (B, E), (B, K)
        var (interactionPooled, _) = interactionAttention.call(interactions, candidate, sessionMask);             // (B, E)
        var logits = mlp.call(SideFeatures.WithProfile(side, cat([candidate, interestPooled, interactionPooled], -1), batch)).squeeze(-1); // (B)

        var diagnostics = new Dictionary<string, Tensor>();
        if (CollectDiagnostics)
        {
            diagnostics["session_attention"] = interestWeights.detach().MoveToOuterDisposeScope();
            diagnostics["session_index"] = layout.SessionOf.MoveToOuterDisposeScope();
            diagnostics["session_mask"] = sessionMask.MoveToOuterDisposeScope();
        }
        return new CtrOutput(logits.MoveToOuterDisposeScope()) { Diagnostics = diagnostics };
    }
}
