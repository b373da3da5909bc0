namespace DeepInterest.Data;

/// <summary>
/// Per-user categorical profile fields from a data set's user file (MovieLens 100K <c>u.user</c>, 1M <c>users.dat</c>),
/// as raw strings: <see cref="Values"/> maps a raw user id to one value per name in <see cref="Fields"/>, in that order.
/// <see cref="Source"/> names the file they came from, for reports and errors.
/// <para>
/// MovieLens (<c>Loaders.MovieLensUsers</c>, data/README.md): fields <c>age</c> (ml-1m's bucket code "1", "18", …, "56";
/// ml-100k's ages are mapped to it), <c>gender</c> ("M"/"F"), <c>occupation</c> (ml-100k a name, ml-1m a code "0"–"20":
/// two vocabularies, never mixed in one data set) and <c>zip</c> (the zip code's first 3 characters as written). Every
/// user of the loaded ratings has an entry: a rating of a user without a profile line is a malformed line.
/// </para>
/// </summary>
public sealed record UserProfiles(IReadOnlyList<string> Fields, IReadOnlyDictionary<long, string[]> Values, string Source);
