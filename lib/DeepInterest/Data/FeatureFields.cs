namespace DeepInterest.Data;

/// <summary>Where a side field belongs, and so where a model reads it (issue 11; DIN paper Fig. 2's feature groups).</summary>
public enum FieldGroup
{
    /// <summary>One value per user (a profile field): embedded and fed to the final MLP.</summary>
    User,
    /// <summary>One value per impression, known for the negative as well as the positive (hour and weekday of the impression time): embedded and fed to the final MLP.</summary>
    Context,
    /// <summary>One value per history step (e.g. Taobao's behaviour type): embedded and added to that behaviour's embedding, so attention sees it.</summary>
    Behavior,
    /// <summary>
    /// One value per item beyond its category (e.g. a brand or a price), looked up by item id in a per-item table
    /// (<see cref="FieldSources.Items"/>): a property of the item, so a negative with the positive's item gets the
    /// positive's value and it cannot carry the label. Joined to the candidate's embedding and, for the same item, to every
    /// history behaviour's and DIEN's sampled negatives' (the DIN paper's goods-side features), so attention compares like with like.
    /// </summary>
    Candidate,
}

/// <summary>A sparse field is categorical (a vocabulary and an embedding table); a dense one is a number (standardized).</summary>
public enum FieldKind { Sparse, Dense }

/// <summary>
/// One named side field. <see cref="Rows"/>: for a sparse field the rows of its embedding table (padding 0 and
/// out-of-vocabulary 1 included, as for items); 0 for a dense field.
/// </summary>
public sealed record FieldSpec(string Name, FieldGroup Group, FieldKind Kind, long Rows = 0)
{
    public override string ToString() => $"{Name} ({Group.ToString().ToLowerInvariant()}, {(Kind == FieldKind.Sparse ? $"sparse, {Rows} rows" : "dense")})";
}

/// <summary>
/// Where a data set's side fields come from. <see cref="Users"/>: the user file's profile fields (user group). <see cref="Context"/>:
/// hour of day and weekday of each impression time (context group; only where times are clock times, <see cref="TimeKind.Real"/>).
/// Behaviour-group fields come with the samples themselves (<see cref="CtrSample.HistoryCodes"/>, <see cref="CtrSample.HistoryValues"/>).
/// </summary>
public sealed record FieldSources
{
    public UserProfiles? Users { get; init; }
    public bool Context { get; init; }
    /// <summary>What reports add after the fields, e.g. "no user file" (MovieLens latest-small).</summary>
    public string? Note { get; init; }
    /// <summary>Read the samples' own fields: per-step ones and per-impression dense context (<see cref="CtrSample.ContextValues"/>); false: ignore them.</summary>
    public bool Steps { get; init; } = true;
    /// <summary>Per-user fields by user id beyond <see cref="Users"/>, e.g. a dense account age (user group).</summary>
    public FieldTable? UserTable { get; init; }
    /// <summary>Per-item side information by item id (candidate group, <see cref="FieldGroup.Candidate"/>).</summary>
    public FieldTable? Items { get; init; }

    /// <summary>No side field at all: the models are exactly the item-and-category models.</summary>
    public static FieldSources None { get; } = new() { Steps = false };
}

/// <summary>A per-step field the log protocol builds from <see cref="Behavior.Type"/>: its name and kind (a dense one parses the type as a number).</summary>
public sealed record StepField(string Name, FieldKind Kind)
{
    /// <summary>Taobao's pv / cart / fav / buy.</summary>
    public static StepField BehaviorType { get; } = new("behavior_type", FieldKind.Sparse);
    /// <summary>The star rating of each history behaviour (MovieLens, Amazon reviews), standardized.</summary>
    public static StepField Rating { get; } = new("rating", FieldKind.Dense);
}

/// <summary>
/// Side fields keyed by an id (a user or an item), as a caller passes them in: <see cref="Codes"/> maps an id to one raw
/// code per name in <see cref="Sparse"/>, <see cref="Values"/> to one number per name in <see cref="Dense"/> (standardized
/// with the training ids' statistics; NaN or infinity is an error, never imputed). Every id of the samples needs a row;
/// <see cref="Source"/> names the table in errors.
/// </summary>
public sealed record FieldTable(string Source, IReadOnlyList<string> Sparse, IReadOnlyDictionary<long, long[]> Codes,
    IReadOnlyList<string> Dense, IReadOnlyDictionary<long, float[]> Values);
