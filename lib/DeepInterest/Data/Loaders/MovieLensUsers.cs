using System.Globalization;
using System.Text;

namespace DeepInterest.Data.Loaders;

/// <summary>
/// Reads the user file that ml-100k (<c>u.user</c>: <c>user id | age | gender | occupation | zip code</c>) and ml-1m
/// (<c>users.dat</c>: <c>UserID::Gender::Age::Occupation::Zip-code</c>) ship beside their ratings, both Latin-1, into
/// <see cref="UserProfiles"/> with the same four fields, in this order, for both layouts (GroupLens' README of each release):
/// <list type="bullet">
/// <item><c>age</c>: ml-1m's age bucket code ("1" = under 18, "18" = 18–24, "25", "35", "45", "50" = 50–55, "56" = 56+).
/// ml-1m writes the code; ml-100k's age in years is mapped to the same codes.</item>
/// <item><c>gender</c>: "M" or "F" as written.</item>
/// <item><c>occupation</c>: as written, which differs between the releases: ml-100k writes a name ("technician"),
/// ml-1m a code 0–20 ("17" = technician/engineer). The two are different vocabularies; a model is trained and
/// evaluated on one data set, so it never compares them.</item>
/// <item><c>zip</c>: the first <see cref="ZipPrefixLength"/> characters of the zip code as written (a US 3-digit zip
/// area; "98107-2117" → "981"). Non-US codes are kept the same way, not dropped: ml-100k's Canadian "T8H1N" → "T8H";
/// a code shorter than that is kept whole.</item>
/// </list>
/// A line with the wrong number of fields, a non-numeric or negative id or age, an age code, gender or occupation code
/// outside the README's list, an empty occupation or zip, or a user id that already had a line is malformed
/// (<see cref="LoadTally.Malformed"/>: an error naming file, line and expectation, or a counted skip).
/// </summary>
internal static class MovieLensUsers
{
    public static readonly IReadOnlyList<string> Fields = ["age", "gender", "occupation", "zip"];

    public const int ZipPrefixLength = 3;

    /// <summary>ml-1m's age codes, each the lower bound of its bucket; ml-100k ages map to the largest code ≤ the age ("1" below 18).</summary>
    private static readonly int[] AgeCodes = [1, 18, 25, 35, 45, 50, 56];
    private static readonly string[] AgeTexts = AgeCodes.Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>ml-1m's occupation codes run 0 ("other or not specified") to 20 ("writer").</summary>
    private const int LastOccupationCode = 20;

    /// <summary>ml-100k and ml-1m are Latin-1 encoded, like their ratings and movies.</summary>
    private static readonly Encoding FileEncoding = Encoding.Latin1;

    /// <summary>
    /// The profiles from the layout's user file in <paramref name="folder"/> (null when the layout has none or it is
    /// absent) and the line the load report prints about it.
    /// </summary>
    public static (UserProfiles? Profiles, string Note) ReadBeside(string folder, MovieLensLayout layout, LoadTally tally)
    {
        var (name, ratings) = layout switch
        {
            MovieLensLayout.Hundred => ("u.user", "u.data"),
            MovieLensLayout.OneMillion => ("users.dat", "ratings.dat"),
            _ => ((string?)null, "ratings.csv"),
        };
        if (name is null) return (null, "none, the CSV releases (ml-latest-small, ml-latest, 20M, 25M, 32M) have no user file: no user fields");
        var path = Path.Combine(folder, name);
        if (!File.Exists(path)) return (null, $"no {name} beside {ratings}: no user fields");
        var profiles = Read(path, layout, tally);
        return (profiles, $"{name}: {profiles.Values.Count:N0} users, fields {string.Join(", ", profiles.Fields)}");
    }

    private static UserProfiles Read(string path, MovieLensLayout layout, LoadTally tally)
    {
        bool hundred = layout == MovieLensLayout.Hundred;
        string separator = hundred ? "|" : "::";
        string expected = hundred ? "user id|age|gender|occupation|zip code" : "UserID::Gender::Age::Occupation::Zip-code";
        var (ageField, genderField) = hundred ? (2, 3) : (3, 2);   // 1-based, as the error messages count
        var values = new Dictionary<long, string[]>();
        var firstLine = new Dictionary<long, long>();
        tally.AddFile(path);
        TextFiles.ForEachLine(path, FileEncoding, (line, number) =>
        {
            tally.RowsRead++;
            ReadOnlySpan<char> text = line;
            Span<Range> f = stackalloc Range[5];
            if (!TextFiles.TrySplit(text, separator, f)) { tally.Malformed(path, number, $"expected 5 fields {expected}", text); return; }
            ReadOnlySpan<char> ageText = text[f[ageField - 1]], gender = text[f[genderField - 1]], occupation = text[f[3]], zip = text[f[4]];
            if (!long.TryParse(text[f[0]], NumberStyles.None, CultureInfo.InvariantCulture, out long user))
            { tally.Malformed(path, number, "expected a non-negative integer user id in field 1", text); return; }
            if (firstLine.TryGetValue(user, out long earlier))
            { tally.Malformed(path, number, $"user {user} already has a profile on line {earlier}; expected one line per user", text); return; }
            string? age = hundred ? AgeBucket(ageText) : AgeCode(ageText);
            if (age is null)
            {
                tally.Malformed(path, number, hundred
                    ? $"expected the age in years, a non-negative integer, in field {ageField}"
                    : $"expected an age code ({string.Join(", ", AgeTexts)}) in field {ageField}", text);
                return;
            }
            if (gender is not ("M" or "F")) { tally.Malformed(path, number, $"expected gender M or F in field {genderField}", text); return; }
            if (hundred ? occupation.IsWhiteSpace() : !IsOccupationCode(occupation))
            {
                tally.Malformed(path, number, hundred ? "expected an occupation name in field 4" : $"expected an occupation code 0–{LastOccupationCode} in field 4", text);
                return;
            }
            if (zip.IsWhiteSpace()) { tally.Malformed(path, number, "expected a zip code in field 5", text); return; }
            values[user] = [age, gender is "M" ? "M" : "F", occupation.ToString(), zip[..Math.Min(ZipPrefixLength, zip.Length)].ToString()];
            firstLine[user] = number;
        });
        return new UserProfiles(Fields, values, path);
    }

    /// <summary>ml-100k: the ml-1m code of an age in years, or null when the text is not a non-negative integer.</summary>
    private static string? AgeBucket(ReadOnlySpan<char> years)
    {
        if (!int.TryParse(years, NumberStyles.None, CultureInfo.InvariantCulture, out int age)) return null;
        int bucket = 0;
        while (bucket + 1 < AgeCodes.Length && age >= AgeCodes[bucket + 1]) bucket++;
        return AgeTexts[bucket];
    }

    /// <summary>ml-1m: the age code as written when it is one of <see cref="AgeCodes"/>, else null.</summary>
    private static string? AgeCode(ReadOnlySpan<char> code)
    {
        for (int i = 0; i < AgeTexts.Length; i++)
            if (code.SequenceEqual(AgeTexts[i])) return AgeTexts[i];
        return null;
    }

    private static bool IsOccupationCode(ReadOnlySpan<char> code) =>
        int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value <= LastOccupationCode;
}
