using System.Text;
using DeepInterest.Data.Loaders;
using Xunit;

namespace DeepInterest.Tests;

/// <summary>
/// The user files of ml-100k (<c>u.user</c>) and ml-1m (<c>users.dat</c>) as <c>BehaviorLogData.UserProfiles</c>.
/// Fixtures follow GroupLens' published README layouts (real files of these releases are not in ../shared/data):
/// ml-100k <c>user id | age | gender | occupation | zip code</c>, ml-1m <c>UserID::Gender::Age::Occupation::Zip-code</c>,
/// both Latin-1; the first lines are the releases' own first users.
/// </summary>
public class MovieLensUserFileTests
{
    private static string Flags(params int[] on) => string.Join("|", Enumerable.Range(0, 19).Select(g => on.Contains(g) ? "1" : "0"));

    /// <summary>ml-100k u.item with movies 1 and 2, and u.data with the given ratings (user, movie) in file order.</summary>
    private static void WriteHundred(TempFolder dir, string users, params (int User, int Movie)[] ratings)
    {
        dir.Write("u.item", $"1|Toy Story (1995)|01-Jan-1995||http://x|{Flags(3, 4, 5)}\n2|GoldenEye (1995)|01-Jan-1995||http://y|{Flags(1, 2, 16)}\n", Encoding.Latin1);
        dir.Write("u.data", string.Concat(ratings.Select((r, i) => $"{r.User}\t{r.Movie}\t4\t{881250949 + i}\n")), Encoding.Latin1);
        dir.Write("u.user", users, Encoding.Latin1);
    }

    /// <summary>ml-1m movies.dat with movies 1 and 2, and ratings.dat with the given ratings (user, movie) in file order.</summary>
    private static void WriteOneMillion(TempFolder dir, string users, params (int User, int Movie)[] ratings)
    {
        dir.Write("movies.dat", "1::Toy Story (1995)::Animation|Children's|Comedy\n2::Jumanji (1995)::Adventure|Children's|Fantasy\n", Encoding.Latin1);
        dir.Write("ratings.dat", string.Concat(ratings.Select((r, i) => $"{r.User}::{r.Movie}::5::{978300760 + i}\n")), Encoding.Latin1);
        dir.Write("users.dat", users, Encoding.Latin1);
    }

    [Fact]
    public void MovieLens100KAgesFallIntoThe1MBucketsAndOtherFieldsAreKeptAsWritten()
    {
        using var dir = new TempFolder();
        // Ages at both edges of every bucket; a Canadian zip with letters; a zip shorter than the prefix.
        int[] ages = [7, 17, 18, 24, 25, 34, 35, 44, 45, 49, 50, 55, 56, 73];
        string[] zips = ["85711", "94043", "32067", "43537", "15213", "98101", "91344", "T8H1N", "05201", "01002", "90703", "30329", "L9G2B", "29"];
        string[] occupations = ["technician", "other", "writer", "technician", "other", "executive", "administrator", "student", "lawyer", "educator", "none", "retired", "doctor", "homemaker"];
        var users = string.Concat(ages.Select((a, i) => $"{i + 1}|{a}|{(i % 2 == 0 ? "M" : "F")}|{occupations[i]}|{zips[i]}\r\n"));
        WriteHundred(dir, users, (1, 1), (14, 2), (1, 2));

        var data = MovieLensLoader.Load(dir.Path);

        var profiles = data.UserProfiles!;
        Assert.Equal(["age", "gender", "occupation", "zip"], profiles.Fields);
        Assert.Equal(Path.Combine(dir.Path, "u.user"), profiles.Source);
        Assert.Equal(14, profiles.Values.Count);
        Assert.Equal(["1", "1", "18", "18", "25", "25", "35", "35", "45", "45", "50", "50", "56", "56"], Enumerable.Range(1, 14).Select(u => profiles.Values[u][0]));
        Assert.Equal(["1", "M", "technician", "857"], profiles.Values[1]);
        Assert.Equal(["25", "M", "other", "152"], profiles.Values[5]);
        Assert.Equal("T8H", profiles.Values[8][3]);
        Assert.Equal("L9G", profiles.Values[13][3]);
        Assert.Equal("29", profiles.Values[14][3]);
        Assert.Equal("052", profiles.Values[9][3]);   // a leading zero is text, not a number
        Assert.Equal(3, data.Behaviors.Count);
        Assert.Equal(2 + 14 + 3, data.Report.RowsRead);   // movies + users + ratings
        Assert.Equal(3, data.Report.RowsKept);
        Assert.Contains(Path.Combine(dir.Path, "u.user"), data.Report.Files);
        Assert.Equal("u.user: 14 users, fields age, gender, occupation, zip", data.Report.UserFileNote);
        Assert.Contains("user file: u.user: 14 users, fields age, gender, occupation, zip", data.ToString());
    }

    [Fact]
    public void MovieLens1MUsersDatKeepsAgeAndOccupationCodesAsWritten()
    {
        using var dir = new TempFolder();
        WriteOneMillion(dir,
            "1::F::1::10::48067\n2::M::56::16::70072\n3::M::25::15::55117\n4::M::45::7::02460\n5::M::25::20::55455\n6::F::50::9::98107-2117\n7::M::35::0::E2A4H\n",
            (1, 1), (2, 2), (7, 1));

        var data = MovieLensLoader.Load(dir.Path);

        var profiles = data.UserProfiles!;
        Assert.Equal(["age", "gender", "occupation", "zip"], profiles.Fields);
        Assert.Equal(7, profiles.Values.Count);
        Assert.Equal(["1", "F", "10", "480"], profiles.Values[1]);
        Assert.Equal(["56", "M", "16", "700"], profiles.Values[2]);
        Assert.Equal(["45", "M", "7", "024"], profiles.Values[4]);
        Assert.Equal(["50", "F", "9", "981"], profiles.Values[6]);
        Assert.Equal(["35", "M", "0", "E2A"], profiles.Values[7]);
        Assert.Equal(3, data.Behaviors.Count);
        Assert.Equal(2 + 7 + 3, data.Report.RowsRead);
        Assert.Equal("users.dat: 7 users, fields age, gender, occupation, zip", data.Report.UserFileNote);
    }

    [Theory]
    [InlineData("1|24|M|technician", 2, "expected 5 fields user id|age|gender|occupation|zip code")]
    [InlineData("1|24|M|technician|85711|x", 2, "expected 5 fields")]
    [InlineData("one|24|M|technician|85711", 2, "expected a non-negative integer user id in field 1")]
    [InlineData("1|twenty|M|technician|85711", 2, "expected the age in years, a non-negative integer, in field 2")]
    [InlineData("1|-3|M|technician|85711", 2, "expected the age in years, a non-negative integer, in field 2")]
    [InlineData("1|24|X|technician|85711", 2, "expected gender M or F in field 3")]
    [InlineData("1|24|M||85711", 2, "expected an occupation name in field 4")]
    [InlineData("1|24|M|technician|", 2, "expected a zip code in field 5")]
    [InlineData("9|53|F|other|94043", 3, "user 9 already has a profile on line 1; expected one line per user")]
    public void Malformed100KUserLineNamesFileLineAndExpectation(string badLine, int lineNumber, string expected)
    {
        using var dir = new TempFolder();
        // Line 1 is user 9; the bad line is line 2, or line 3 after an empty line when it repeats user 9.
        WriteHundred(dir, $"9|24|M|technician|85711\n{(lineNumber == 3 ? "\n" : "")}{badLine}\n", (9, 1));

        var e = Assert.Throws<InvalidDataException>(() => MovieLensLoader.Load(dir.Path));

        Assert.Contains(Path.Combine(dir.Path, "u.user") + $", line {lineNumber}: ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Contains(badLine, e.Message);
    }

    [Theory]
    [InlineData("2|M|25|7|55117", "expected 5 fields UserID::Gender::Age::Occupation::Zip-code")]
    [InlineData("2::M::25::7", "expected 5 fields")]
    [InlineData("x2::M::25::7::55117", "expected a non-negative integer user id in field 1")]
    [InlineData("2::M::24::7::55117", "expected an age code (1, 18, 25, 35, 45, 50, 56) in field 3")]
    [InlineData("2::X::25::7::55117", "expected gender M or F in field 2")]
    [InlineData("2::M::25::21::55117", "expected an occupation code 0–20 in field 4")]
    [InlineData("2::M::25::lawyer::55117", "expected an occupation code 0–20 in field 4")]
    [InlineData("1::M::25::7::55117", "user 1 already has a profile on line 1; expected one line per user")]
    public void Malformed1MUserLineNamesFileLineAndExpectation(string badLine, string expected)
    {
        using var dir = new TempFolder();
        WriteOneMillion(dir, $"1::F::1::10::48067\n{badLine}\n", (1, 1));

        var e = Assert.Throws<InvalidDataException>(() => MovieLensLoader.Load(dir.Path));

        Assert.Contains(Path.Combine(dir.Path, "users.dat") + ", line 2: ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Contains(badLine, e.Message);
    }

    [Fact]
    public void SkipMalformedCountsBadUserLinesAndTheRatingsOfTheirUsers()
    {
        using var dir = new TempFolder();
        WriteHundred(dir, "1|24|M|technician|85711\n2|fifty|F|other|94043\n3|23|M|writer|32067\n3|23|M|writer|32067\n4|24|M\n",
            (1, 1), (2, 1), (3, 2), (2, 2), (4, 1), (1, 2));

        var data = MovieLensLoader.Load(dir.Path, new LoadOptions { SkipMalformed = true, ReportedSkips = 10 });

        // User lines 2, 4 (duplicate of user 3) and 5 are skipped; users 2 and 4 then have no profile, so their
        // three ratings are skipped too, each counted with its reason. User 3 keeps the profile of its first line.
        Assert.Equal([1L, 3L], data.UserProfiles!.Values.Keys.Order());
        Assert.Equal([(1L, 1L), (3L, 2L), (1L, 2L)], data.Behaviors.Select(b => (b.User, b.Item)));
        Assert.Equal(3 + 3, data.Report.RowsSkipped);
        Assert.Equal(2 + 5 + 6, data.Report.RowsRead);
        Assert.Equal(3, data.Report.RowsKept);
        Assert.Equal([("u.user", 2L), ("u.user", 4L), ("u.user", 5L), ("u.data", 2L), ("u.data", 4L), ("u.data", 5L)],
            data.Report.FirstSkipped.Select(s => (Path.GetFileName(s.File), s.LineNumber)));
        Assert.Contains("user 2 has no line in the users file u.user", data.Report.FirstSkipped[3].Reason);
        Assert.Equal("u.user: 2 users, fields age, gender, occupation, zip", data.Report.UserFileNote);
    }

    [Fact]
    public void RatingOfAUserWithoutProfileLineIsAnError()
    {
        using var dir = new TempFolder();
        WriteOneMillion(dir, "1::F::1::10::48067\n", (1, 1), (9, 2));

        var e = Assert.Throws<InvalidDataException>(() => MovieLensLoader.Load(dir.Path));

        Assert.Contains(Path.Combine(dir.Path, "ratings.dat") + ", line 2: user 9 has no line in the users file users.dat", e.Message);
    }

    [Fact]
    public void OldLayoutsWithoutAUserFileLoadAsBeforeAndSaySo()
    {
        using var dir = new TempFolder();
        WriteHundred(dir, "", (196, 1), (186, 2));
        File.Delete(Path.Combine(dir.Path, "u.user"));

        var data = MovieLensLoader.Load(dir.Path);

        Assert.Null(data.UserProfiles);
        Assert.Equal(2, data.Behaviors.Count);
        Assert.Equal("no u.user beside u.data: no user fields", data.Report.UserFileNote);
    }

    [Fact]
    public void CsvReleasesReportThatTheyHaveNoUserFile()
    {
        using var dir = new TempFolder();
        dir.Write("movies.csv", "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n");
        dir.Write("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n");
        dir.Write("users.dat", "1::F::1::10::48067\n");   // another release's user file is not read for a CSV layout

        var data = MovieLensLoader.Load(dir.Path);

        Assert.Null(data.UserProfiles);
        Assert.DoesNotContain(data.Report.Files, f => f.EndsWith("users.dat", StringComparison.Ordinal));
        Assert.Contains("user file: none, the CSV releases (ml-latest-small, ml-latest, 20M, 25M, 32M) have no user file", data.Report.ToString());
    }
}
