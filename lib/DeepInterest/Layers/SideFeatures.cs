using DeepInterest.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepInterest.Layers;

/// <summary>
/// The side fields of a <see cref="FeatureSpace"/> as model inputs, the one place every model gets them from (issue 11;
/// DIN paper Fig. 2's user-profile and context groups, DSIN's user profile into the MLP, BST's "other features"):
/// <list type="bullet">
/// <item><see cref="Profile"/>: each sparse user and context field embedded (D per field, like item and category), each
/// dense one as its standardized value (1 column), concatenated, (B, P) with P = D × sparse + dense fields, for the model's final MLP.</item>
/// <item><see cref="JoinSteps"/>: each behaviour field added to its behaviour's embedding, e_j + s(f_j), so attention,
/// GRUs and self-attention see it: a sparse field through its own E-wide embedding table (row 0, padding, stays zero), a
/// dense (standardized) one as x_j · v with a learned v ∈ R^E. Summed rather than concatenated because the candidate
/// has no behaviour field (its behaviour type would be the label's own event, a leak), so a concatenation would give
/// history and candidate different widths and break every candidate-vs-behaviour comparison; the sum keeps the width E,
/// so every layer after the embedding (attention units, GRUs, heads dividing E) stays as it is — the way BST adds its
/// position embeddings.</item>
/// <item><see cref="JoinItems"/>: each candidate field (per-item side information) added in the same way, through one
/// table (or direction) per field shared by every place an item appears: the candidate, every history behaviour and
/// DIEN's sampled negatives (the DIN paper's goods-side features, which both the candidate and each behaviour carry).
/// The value is the item's, looked up by item id, so a behaviour and a candidate of the same item get the same vector
/// and attention compares like with like; <see cref="Join"/> adds it to the history before the behaviour fields.</item>
/// </list>
/// <see cref="For"/> returns null when the space has no field: a model then creates no module, so its parameters and
/// the random draws of its initialisation are exactly those of the item-and-category model.
/// </summary>
public sealed class SideFeatures : nn.Module
{
    private readonly List<(string Name, Embedding? Table)> profile = [];   // null table: a dense field, its value as is
    private readonly List<(string Name, Embedding Table)> itemTables = [];
    private readonly List<(string Name, Parameter Direction)> itemDirections = [];
    private readonly List<(string Name, Embedding Table)> stepTables = [];
    private readonly List<(string Name, Parameter Direction)> stepDirections = [];

    /// <summary>The side fields of <paramref name="space"/>, or null when it has none (see the class summary).</summary>
    public static SideFeatures? For(FeatureSpace space, long dimPerField, long behaviorDim) =>
        space.Fields.Count == 0 ? null : new SideFeatures(space, dimPerField, behaviorDim);

    /// <summary>Width P that <see cref="Profile"/> adds to a model's MLP input (0 without user and context fields).</summary>
    public static long ProfileWidth(FeatureSpace space, long dimPerField) =>
        space.Fields.Where(InProfile).Sum(f => f.Kind == FieldKind.Sparse ? dimPerField : 1);

    private static bool InProfile(FieldSpec f) => f.Group is FieldGroup.User or FieldGroup.Context;

    private SideFeatures(FeatureSpace space, long dimPerField, long behaviorDim) : base(nameof(SideFeatures))
    {
        foreach (var field in space.Fields)
        {
            if (field.Name.Contains('.')) throw new ArgumentException($"field name '{field.Name}' must not contain '.'", nameof(space));
            bool profiled = InProfile(field), item = field.Group == FieldGroup.Candidate;
            string prefix = profiled ? "profile" : item ? "item" : "step";
            if (field.Kind == FieldKind.Dense)
            {
                if (profiled) { profile.Add((field.Name, null)); continue; }
                var direction = Parameter(randn(behaviorDim) / Math.Sqrt(dimPerField));   // (E)
                (item ? itemDirections : stepDirections).Add((field.Name, direction));
                register_parameter($"{prefix}_{field.Name}", direction);
                continue;
            }
            var table = Embedding(field.Rows, profiled ? dimPerField : behaviorDim, padding_idx: Vocabulary.Padding);
            using (no_grad())
            {
                table.weight!.normal_(0, 1 / Math.Sqrt(dimPerField));   // as BehaviorEmbedding's rows
                table.weight![Vocabulary.Padding].zero_();
            }
            if (profiled) profile.Add((field.Name, table));
            else (item ? itemTables : stepTables).Add((field.Name, table));
            register_module($"{prefix}_{field.Name}", table);
        }
    }

    /// <summary>User and context fields' embeddings and dense values, concatenated in the space's order: (B) each → (B, P).</summary>
    public Tensor Profile(Batch batch)
    {
        using var scope = NewDisposeScope();
        return cat(profile.Select(p => p.Table is { } table ? table.forward(batch.Fields[p.Name])   // (B, D)
                                                            : batch.Fields[p.Name].unsqueeze(-1)).ToList(), -1).MoveToOuterDisposeScope(); // (B, 1)
    }

    /// <summary>
    /// <paramref name="embedded"/> (…, E) plus each candidate field's vector for the items at <paramref name="site"/>: the
    /// candidates (B, E), the history (B, T, E; <paramref name="arrange"/> as in <see cref="JoinSteps"/>) or the negatives (B, T, E).
    /// </summary>
    public Tensor JoinItems(Tensor embedded, Batch batch, ItemSite site, Func<Tensor, Tensor>? arrange = null)
    {
        arrange ??= x => x;
        Tensor Values(string name) => arrange(batch.Fields[site switch
        {
            ItemSite.Candidate => name,
            ItemSite.History => Batch.HistoryKey(name),
            _ => Batch.NegativeKey(name),
        }]);
        foreach (var (name, table) in itemTables) embedded = embedded + table.forward(Values(name));                    // (…, E)
        foreach (var (name, direction) in itemDirections) embedded = embedded + Values(name).unsqueeze(-1) * direction; // (…, E)
        return embedded;
    }

    /// <summary>
    /// <paramref name="behaviors"/> (…, E) plus each behaviour field's embedding. <paramref name="arrange"/> maps a (B, T)
    /// field tensor to the layout of <paramref name="behaviors"/> (DSIN's sessions; padding must be 0); null when it is (B, T).
    /// </summary>
    public Tensor JoinSteps(Tensor behaviors, Batch batch, Func<Tensor, Tensor>? arrange = null)
    {
        arrange ??= x => x;
        foreach (var (name, table) in stepTables) behaviors = behaviors + table.forward(arrange(batch.Fields[name]));          // (…, E)
        foreach (var (name, direction) in stepDirections) behaviors = behaviors + arrange(batch.Fields[name]).unsqueeze(-1) * direction; // (…, E)
        return behaviors;  // the intermediate sums belong to the caller's dispose scope
    }

    /// <summary>
    /// The history <paramref name="behaviors"/> with the candidate fields of their items and the behaviour fields joined,
    /// or unchanged when <paramref name="side"/> is null.
    /// </summary>
    public static Tensor Join(SideFeatures? side, Tensor behaviors, Batch batch, Func<Tensor, Tensor>? arrange = null) =>
        side is null ? behaviors : side.JoinSteps(side.JoinItems(behaviors, batch, ItemSite.History, arrange), batch, arrange);

    /// <summary><paramref name="embedded"/> items at <paramref name="site"/> with their candidate fields, or unchanged when <paramref name="side"/> is null.</summary>
    public static Tensor Items(SideFeatures? side, Tensor embedded, Batch batch, ItemSite site) =>
        side is null ? embedded : side.JoinItems(embedded, batch, site);

    /// <summary>History behaviours that already carry their items' fields (<see cref="Items"/>) with the behaviour fields joined.</summary>
    public static Tensor Steps(SideFeatures? side, Tensor behaviors, Batch batch) => side is null ? behaviors : side.JoinSteps(behaviors, batch);

    /// <summary>[<paramref name="mlpInput"/>; user and context embeddings], or <paramref name="mlpInput"/> itself when there are none.</summary>
    public static Tensor WithProfile(SideFeatures? side, Tensor mlpInput, Batch batch) =>
        side is null || side.profile.Count == 0 ? mlpInput : cat([mlpInput, side.Profile(batch)], -1);
}

/// <summary>Where items appear in a batch, for <see cref="SideFeatures.JoinItems"/>.</summary>
public enum ItemSite { Candidate, History, Negatives }
