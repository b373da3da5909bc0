using DeepInterest.Data;
using DeepInterest.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepInterest.Models;

/// <summary>DIEN's knobs; defaults follow the paper's code (hidden = behaviour embedding size, AUGRU, λ = 1, MLP 200-80 with Dice).</summary>
public sealed record DienConfig
{
    /// <summary>Embedding size per field; a behaviour e(b) is 2× this.</summary>
    public int EmbeddingDim { get; init; } = 32;
    /// <summary>GRU state size; null = 2·EmbeddingDim, the behaviour embedding size.</summary>
    public int? Hidden { get; init; }
    public InterestEvolutionKind Evolution { get; init; } = InterestEvolutionKind.Augru;
    /// <summary>How h_t is scored against the candidate (see <see cref="EvolutionAttention"/> for the default's reason).</summary>
    public EvolutionAttention Attention { get; init; } = EvolutionAttention.ActivationUnitGate;
    /// <summary>
    /// Weight λ of the auxiliary loss (Eq. 6); 0 switches it off. Its scale: <see cref="AuxiliaryLoss"/> averages over
    /// the batch's valid (t, t+1) pairs, the course article's 1/(T−1) form. The paper's Eq. 6 sums over t within each
    /// sequence, so the same λ weighs about (T−1)× more there (≈ 49× for 50 behaviours): a λ from the paper is
    /// λ·(T−1) here. The authors' code divides by all B·(T−1) slots, padding included: its loss is ours times the share
    /// of valid slots.
    /// </summary>
    public double AuxiliaryWeight { get; init; } = 1.0;
    public IReadOnlyList<long> AuxiliaryHidden { get; init; } = [100, 50];
    public IReadOnlyList<long> MlpHidden { get; init; } = [200, 80];
    public Activation Activation { get; init; } = Activation.Dice;
}

/// <summary>
/// Deep Interest Evolution Network (Zhou et al., AAAI'19). The interest extractor, a masked GRU over the behaviours,
/// turns e(b_t) into interest states h_t (§4.2, Eq. 1–4), trained also by the auxiliary loss (Eq. 6) to predict the next
/// behaviour; the interest-evolving layer weights the h_t by their attention to the candidate (Eq. 5) and runs an
/// AUGRU (Eq. 8, or a variant) whose final state is the evolved interest h'_T. The click logit is
/// <code>  MLP([h'_T; e_c; mean_t e(b_t); e_c ⊙ mean_t e(b_t); user and context embeddings])  </code>
/// (the authors' code concatenates the history sum and its product with the candidate; the mean keeps the scale
/// independent of the history length; the authors' code embeds the user id, one of the side fields of
/// <see cref="SideFeatures"/>; behaviour fields join each e(b_t) before the GRU).
/// The auxiliary loss, weighted by λ, is returned in training mode only.
/// </summary>
public sealed class Dien : CtrModel
{
    private readonly BehaviorEmbedding embedding;
    private readonly MaskedGru extractor;
    private readonly AuxiliaryLoss auxiliary;
    private readonly InterestEvolution evolution;
    private readonly Mlp output;
    private readonly double auxiliaryWeight;
    private readonly SideFeatures? side;

    public DienConfig Config { get; }

    public Dien(FeatureSpace space, DienConfig? config = null) : base(nameof(Dien))
    {
        Config = config ?? new DienConfig();
        if (Config.AuxiliaryWeight < 0) throw new ArgumentOutOfRangeException(nameof(config), Config.AuxiliaryWeight, "auxiliary loss weight must be ≥ 0");
        embedding = new BehaviorEmbedding(space, Config.EmbeddingDim);
        long e = embedding.Dim, h = Config.Hidden ?? e;
        extractor = new MaskedGru(e, h);
        auxiliary = new AuxiliaryLoss(h, e, Config.AuxiliaryHidden);
        evolution = new InterestEvolution(h, e, Config.Evolution, Config.Attention);
        output = new Mlp(h + 3 * e + SideFeatures.ProfileWidth(space, Config.EmbeddingDim), Config.MlpHidden, outputs: 1, Config.Activation);
        auxiliaryWeight = Config.AuxiliaryWeight;
        side = SideFeatures.For(space, Config.EmbeddingDim, e);   // last: the other modules initialise as without fields
        RegisterComponents();
    }

    public override CtrOutput forward(Batch batch)
    {
        using var scope = NewDisposeScope();
        // (B, T, E) item, category and the items' candidate fields: what the auxiliary loss tells from the negatives
        var behaviors = SideFeatures.Items(side, embedding.forward(batch.HistoryItems, batch.HistoryCategories), batch, ItemSite.History);
        var history = SideFeatures.Steps(side, behaviors, batch);                       // (B, T, E) with the behaviour fields
        var candidate = SideFeatures.Items(side, embedding.forward(batch.Items, batch.Categories), batch, ItemSite.Candidate); // (B, E)
        var interests = extractor.forward(history, batch.Mask, null).Outputs;           // (B, T, H) h_t, zero at padding

        evolution.RecordUpdateGates = CollectDiagnostics;
        var evolved = evolution.forward(interests, candidate, batch.Mask);              // (B, H) h'_T, (B, T) a_t
        var meanHistory = MaskedPooling.Mean(history, batch.Mask);                       // (B, E), zero for an empty history
        var logits = output.forward(SideFeatures.WithProfile(side, cat([evolved.Final, candidate, meanHistory, candidate * meanHistory], -1), batch)).squeeze(-1); // (B)

        Tensor? auxiliaryLoss = null;
        if (training && auxiliaryWeight > 0)
        {
            var negatives = SideFeatures.Items(side, embedding.forward(batch.NegativeItems, batch.NegativeCategories), batch, ItemSite.Negatives); // (B, T, E)
            var hasNegative = batch.NegativeItems.ne(Vocabulary.Padding);               // (B, T)
            // Next behaviours are told from negatives by item, category and the items' candidate fields (a negative's item has
            // them as any item does), never by behaviour fields: a sampled negative has no behaviour type, so a target with
            // one would be recognisable by that field instead.
            auxiliaryLoss = (auxiliaryWeight * auxiliary.forward(interests, behaviors, negatives, batch.Mask, hasNegative)).MoveToOuterDisposeScope();
        }
        var diagnostics = new Dictionary<string, Tensor>();
        if (CollectDiagnostics)
        {
            if (evolved.Attention is not null) diagnostics["attention"] = evolved.Attention.detach().MoveToOuterDisposeScope();
            diagnostics["update_gate"] = evolved.UpdateGates!.detach().MoveToOuterDisposeScope();
            diagnostics["contribution"] = evolved.Contributions!.detach().MoveToOuterDisposeScope();
        }
        return new CtrOutput(logits.MoveToOuterDisposeScope()) { AuxiliaryLoss = auxiliaryLoss, Diagnostics = diagnostics };
    }
}
