namespace DeepInterest.Data.Loaders;

/// <summary>
/// A behaviour log loaded from a real data set, with the names behind its ids. An id table is null when the data set's
/// own ids are numbers and are used as they are (MovieLens users and movies, everything in Taobao).
/// </summary>
public sealed record BehaviorLogData(string Name, IReadOnlyList<Behavior> Behaviors, LoadReport Report)
{
    public IdTable? Users { get; init; }
    public IdTable? Items { get; init; }
    public IdTable? Categories { get; init; }
    /// <summary>Item titles where the data set has them (MovieLens), by raw item id.</summary>
    public IReadOnlyDictionary<long, string>? ItemTitles { get; init; }
    /// <summary>User-profile fields where the data set has a user file (MovieLens 100K and 1M), else null.</summary>
    public UserProfiles? UserProfiles { get; init; }

    public override string ToString() => $"{Name}: {Behaviors.Count:N0} behaviours. {Report}";
}
