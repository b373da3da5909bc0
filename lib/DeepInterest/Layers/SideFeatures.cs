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
/// <item><see cref="Profile"/>: each user and context field embedded (D per field, like item and category) and
/// concatenated, (B, P) with P = D × fields, for the model's final MLP.</item>
/// <item><see cref="JoinSteps"/>: each behaviour field added to its behaviour's embedding, e_j + s(f_j), so attention,
/// GRUs and self-attention see it: a sparse field through its own E-wide embedding table (row 0, padding, stays zero), a
/// dense (standardized) one as x_j · v with a learned v ∈ R^E. Summed rather than concatenated because the candidate
/// has no behaviour field (its behaviour type would be the label's own event, a leak), so a concatenation would give
/// history and candidate different widths and break every candidate-vs-behaviour comparison; the sum keeps the width E,
/// so every layer after the embedding (attention units, GRUs, heads dividing E) stays as it is — the way BST adds its
/// position embeddings.</item>
/// </list>
/// <see cref="For"/> returns null when the space has no field: a model then creates no module, so its parameters and
/// the random draws of its initialisation are exactly those of the item-and-category model.
/// </summary>
public sealed class SideFeatures : nn.Module
{
    private readonly List<(string Name, Embedding Table)> profile = [];
    private readonly List<(string Name, Embedding Table)> stepTables = [];
    private readonly List<(string Name, Parameter Direction)> stepDirections = [];

    /// <summary>The side fields of <paramref name="space"/>, or null when it has none (see the class summary).</summary>
    public static SideFeatures? For(FeatureSpace space, long dimPerField, long behaviorDim) =>
        space.Fields.Count == 0 ? null : new SideFeatures(space, dimPerField, behaviorDim);

    /// <summary>Width P that <see cref="Profile"/> adds to a model's MLP input (0 without user and context fields).</summary>
    public static long ProfileWidth(FeatureSpace space, long dimPerField) => space.Fields.Count(f => f.Group != FieldGroup.Behavior) * dimPerField;

    private SideFeatures(FeatureSpace space, long dimPerField, long behaviorDim) : base(nameof(SideFeatures))
    {
        foreach (var field in space.Fields)
        {
            if (field.Name.Contains('.')) throw new ArgumentException($"field name '{field.Name}' must not contain '.'", nameof(space));
            if (field.Group == FieldGroup.Behavior && field.Kind == FieldKind.Dense)
            {
                var direction = Parameter(randn(behaviorDim) / Math.Sqrt(dimPerField));   // (E)
                stepDirections.Add((field.Name, direction));
                register_parameter($"step_{field.Name}", direction);
                continue;
            }
            if (field.Kind != FieldKind.Sparse)
                throw new ArgumentException($"field '{field.Name}': {field.Group} fields must be sparse", nameof(space));
            bool step = field.Group == FieldGroup.Behavior;
            var table = Embedding(field.Rows, step ? behaviorDim : dimPerField, padding_idx: Vocabulary.Padding);
            using (no_grad())
            {
                table.weight!.normal_(0, 1 / Math.Sqrt(dimPerField));   // as BehaviorEmbedding's rows
                table.weight![Vocabulary.Padding].zero_();
            }
            (step ? stepTables : profile).Add((field.Name, table));
            register_module($"{(step ? "step" : "profile")}_{field.Name}", table);
        }
    }

    /// <summary>User and context fields' embeddings, concatenated in the space's order: (B) indices each → (B, P).</summary>
    public Tensor Profile(Batch batch)
    {
        using var scope = NewDisposeScope();
        return cat(profile.Select(p => p.Table.forward(batch.Fields[p.Name])).ToList(), -1).MoveToOuterDisposeScope();
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

    /// <summary><paramref name="behaviors"/> with the behaviour fields joined, or unchanged when <paramref name="side"/> is null.</summary>
    public static Tensor Join(SideFeatures? side, Tensor behaviors, Batch batch, Func<Tensor, Tensor>? arrange = null) =>
        side is null ? behaviors : side.JoinSteps(behaviors, batch, arrange);

    /// <summary>[<paramref name="mlpInput"/>; user and context embeddings], or <paramref name="mlpInput"/> itself when there are none.</summary>
    public static Tensor WithProfile(SideFeatures? side, Tensor mlpInput, Batch batch) =>
        side is null || side.profile.Count == 0 ? mlpInput : cat([mlpInput, side.Profile(batch)], -1);
}
