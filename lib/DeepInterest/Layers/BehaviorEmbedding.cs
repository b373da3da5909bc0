using DeepInterest.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepInterest.Layers;

/// <summary>
/// Sizes of the sparse features and, for mini-batch-aware regularization only, n_j: how often the training batches
/// feed each embedding row (one entry per row; padding and out-of-vocabulary included), and whether the data's times
/// are clock times (<see cref="Times"/>: DSIN and BST fall back to time-free variants when they are not), and the side
/// fields (<see cref="Fields"/>: user, context and behaviour fields, <see cref="SideFeatures"/>; none = the item-and-category models).
/// </summary>
public sealed record FeatureSpace(long ItemVocabulary, long CategoryVocabulary, long[]? ItemCounts = null, long[]? CategoryCounts = null)
{
    public TimeKind Times { get; init; } = TimeKind.Real;
    public IReadOnlyList<FieldSpec> Fields { get; init; } = [];

    /// <summary>Rows per table and the side fields, no counts: enough for every model that does not use <see cref="BehaviorEmbedding.MiniBatchAwareL2"/>.</summary>
    public static FeatureSpace From(FeatureVocabulary vocab) => new(vocab.Items.Size, vocab.Categories.Size) { Fields = vocab.Fields.Fields };

    /// <summary>
    /// Rows per table and n_j, counted on exactly what one epoch of training batches feeds the embedding tables: each
    /// sample's history cut to its <paramref name="maxLength"/> most recent behaviours, plus its candidate, collated by
    /// <see cref="Batch.Collate(IReadOnlyList{CtrSample}, FeatureVocabulary, int, TorchSharp.torch.Device?)"/> (so an id the vocabulary maps elsewhere, e.g. to OOV, counts for that row).
    /// Use the trainer's <c>MaxLength</c>: then Σ over an epoch's batches of n_jB / n_j is exactly 1 for every row used.
    /// Counting whole histories instead (the vocabulary's counts) makes that sum fall below 1 for items whose
    /// occurrences lie beyond the cut.
    /// </summary>
    public static FeatureSpace From(IReadOnlyList<CtrSample> training, FeatureVocabulary vocab, int maxLength)
    {
        var items = new long[vocab.Items.Size];
        var categories = new long[vocab.Categories.Size];
        foreach (var batch in BatchLoader.Batches(training, vocab, batchSize: 4096, maxLength))
        {
            using var owned = batch;
            Count(items, batch.HistoryItems, batch.Items);
            Count(categories, batch.HistoryCategories, batch.Categories);
        }
        items[Vocabulary.Padding] = categories[Vocabulary.Padding] = 0;
        return new FeatureSpace(vocab.Items.Size, vocab.Categories.Size, items, categories) { Fields = vocab.Fields.Fields };
    }

    private static void Count(long[] counts, Tensor history, Tensor candidates)
    {
        using var scope = NewDisposeScope();
        var ids = cat([history.flatten(), candidates.flatten()]);              // (B·T + B), padding included
        var perRow = bincount(ids, minlength: counts.Length).data<long>();     // (V)
        for (int j = 0; j < counts.Length; j++) counts[j] += perRow[j];
    }
}

/// <summary>
/// A behaviour's embedding e = [item embedding; category embedding] (2·D), shared by every model for both
/// history and candidate. Row 0 (padding) stays zero. Also computes DIN's mini-batch-aware regularization.
/// </summary>
public sealed class BehaviorEmbedding : Module<Tensor, Tensor, Tensor>
{
    private readonly Embedding items;
    private readonly Embedding categories;
    // Training occurrences n_j (≥ 1) as buffers, when the feature space has them: they move with the module's device and
    // are saved with the weights (like BatchNorm's running statistics) so that a resumed run regularizes exactly as before.
    private readonly Tensor? itemCounts;      // (V_item) float32, when the feature space has counts
    private readonly Tensor? categoryCounts;  // (V_cat) float32

    public long Dim { get; }

    public BehaviorEmbedding(FeatureSpace space, long dimPerField) : base(nameof(BehaviorEmbedding))
    {
        if (dimPerField < 1) throw new ArgumentOutOfRangeException(nameof(dimPerField), dimPerField, "embedding size must be positive");
        if ((space.ItemCounts is null) != (space.CategoryCounts is null))
            throw new ArgumentException("feature counts come for both tables or for neither", nameof(space));
        if (space.ItemCounts is { } ic && ic.Length != space.ItemVocabulary || space.CategoryCounts is { } cc && cc.Length != space.CategoryVocabulary)
            throw new ArgumentException("feature counts must have one entry per vocabulary row", nameof(space));
        items = Embedding(space.ItemVocabulary, dimPerField, padding_idx: Vocabulary.Padding);
        categories = Embedding(space.CategoryVocabulary, dimPerField, padding_idx: Vocabulary.Padding);
        // Rows start N(0, 1/D): a dot product of two rows then starts with unit variance. Measured with std 0.18 ≈ 1/√32:
        // much smaller (std 0.05) and the products e_b ⊙ e_c that attention units and MLPs compare start near zero, so
        // the category match is learned slowly (synthetic default, seed 42, DIN test AUC 0.619 vs 0.686); PyTorch's
        // N(0, 1) gives every rare item a large random vector that three epochs cannot wash out (MovieLens, seed 1,
        // avgpool 0.675 vs 0.786).
        using (no_grad())
        {
            items.weight!.normal_(0, 1 / Math.Sqrt(dimPerField));
            categories.weight!.normal_(0, 1 / Math.Sqrt(dimPerField));
            items.weight![Vocabulary.Padding].zero_();
            categories.weight![Vocabulary.Padding].zero_();
        }
        if (space.ItemCounts is not null)
        {
            itemCounts = tensor(space.ItemCounts.Select(c => (float)Math.Max(c, 1)).ToArray());
            categoryCounts = tensor(space.CategoryCounts!.Select(c => (float)Math.Max(c, 1)).ToArray());
        }
        Dim = 2 * dimPerField;
        RegisterComponents();
    }

    /// <summary>(…) item and category indices → (…, 2D).</summary>
    public override Tensor forward(Tensor itemIds, Tensor categoryIds)
    {
        if (PairedLookupKernels.Supports(itemIds, categoryIds, items.weight!, categories.weight!))
            return PairedLookupFunction.Apply(itemIds, categoryIds, items.weight!, categories.weight!, Vocabulary.Padding);
        using var scope = NewDisposeScope();
        return cat([items.forward(itemIds), categories.forward(categoryIds)], -1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Mini-batch-aware L2 (DIN paper §4.1): only embedding rows used by this batch are penalised, each weighted by
    /// n_jB / n_j — its occurrences in the batch over its occurrences in an epoch of training batches
    /// (<see cref="FeatureSpace.From(IReadOnlyList{CtrSample}, FeatureVocabulary, int)"/>) — so that over one epoch
    /// every row used in training receives the penalty λ·‖w_j‖² exactly once, as full L2 would, at the cost of the
    /// batch's rows only: R = λ Σ_{j ∈ B} (n_jB / n_j) ‖w_j‖². Padding never counts; ids are the history and the candidate.
    /// <para>
    /// Which form of the paper: the exact per-batch ratio of Eq. 5 (the paper's indicator I(x_j ≠ 0) counts samples; here
    /// a row twice in one history counts twice, in n_jB and n_j alike, so the epoch sum is still 1), not the approximation
    /// of Eqs. 6–7 that replaces the ratio with α_mj / n_j, α_mj = 1 when the batch uses row j at all. The paper applies it
    /// with plain SGD (Eq. 7), where the step on w_j is η·(data gradient + 2λ·(n_jB / n_j)·w_j). This kit trains with
    /// Adam, which divides each coordinate's step by the running RMS of that coordinate's gradients: where the penalty
    /// dominates a row's gradient (rare rows, whose data gradient the batch mean dilutes) the step's size then depends
    /// little on λ, so λ sets the balance of data and penalty within a row's gradient rather than a decay rate, and
    /// Adam's momentum keeps moving a row for some steps after its batch. A λ tuned for the paper's SGD does not carry
    /// over (the same gap as between L2 and decoupled weight decay, AdamW, Loshchilov and Hutter, ICLR'19).
    /// </para>
    /// </summary>
    public Tensor MiniBatchAwareL2(Batch batch, double lambda)
    {
        if (itemCounts is null || categoryCounts is null)
            throw new InvalidOperationException("mini-batch-aware L2 needs the training counts n_j: build the FeatureSpace with FeatureSpace.From(training, vocab, maxLength)");
        using var scope = NewDisposeScope();
        var penalty = RowPenalty(items.weight!, itemCounts, batch.HistoryItems, batch.Items)
                    + RowPenalty(categories.weight!, categoryCounts, batch.HistoryCategories, batch.Categories);
        return (lambda * penalty).MoveToOuterDisposeScope();
    }

    private static Tensor RowPenalty(Tensor weight, Tensor counts, Tensor history, Tensor candidates)
    {
        var ids = cat([history.flatten(), candidates.flatten()]);           // (B·T + B)
        ids = ids.masked_select(ids.ne(Vocabulary.Padding));                // (N) without padding
        var (rows, _, inBatch) = unique(ids, sorted: true, return_inverse: false, return_counts: true); // (U), (U)
        var share = inBatch!.to_type(ScalarType.Float32) / counts.index_select(0, rows);             // (U) n_jB / n_j
        var squaredNorms = weight.index_select(0, rows).pow(2).sum(1);      // (U) ‖w_j‖²
        return (share * squaredNorms).sum();
    }
}
