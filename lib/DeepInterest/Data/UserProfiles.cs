namespace DeepInterest.Data;

/// <summary>
/// Per-user categorical profile fields from a data set's user file (MovieLens 100K <c>u.user</c>, 1M <c>users.dat</c>),
/// as raw strings: <see cref="Values"/> maps a raw user id to one value per name in <see cref="Fields"/>, in that order.
/// <see cref="Source"/> names the file they came from, for reports and errors.
/// </summary>
public sealed record UserProfiles(IReadOnlyList<string> Fields, IReadOnlyDictionary<long, string[]> Values, string Source);
