using System.IO.Compression;
using System.Text;
using DeepInterest.Data;
using DeepInterest.Data.Loaders;
using Xunit;
using Xunit.Abstractions;

namespace DeepInterest.Tests;

/// <summary>A fresh temporary folder, deleted afterwards; fixtures are written at test time, never committed.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("deepinterest-").FullName;

    public string Write(string name, string content, Encoding? encoding = null)
    {
        var file = System.IO.Path.Combine(Path, name);
        File.WriteAllText(file, content, encoding ?? new UTF8Encoding(false));
        return file;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

public class LoaderTests(ITestOutputHelper output)
{
    /// <summary>DEEPINTEREST_SHARED_DATA, else the first shared/data beside the repository or one of its parent folders.</summary>
    internal static readonly string SharedData = Environment.GetEnvironmentVariable("DEEPINTEREST_SHARED_DATA") is { Length: > 0 } configured
        ? configured
        : FindSharedData();

    // ---------- MovieLens ----------

    private const string MoviesCsv =
        "movieId,title,genres\r\n" +
        "1,Toy Story (1995),Adventure|Animation|Children\r\n" +
        "11,\"American President, The (1995)\",Comedy|Drama|Romance\r\n" +
        "12,\"Say \"\"Hi\"\", Then (2001)\",Drama\r\n" +
        "13,Nothing Known (2010),(no genres listed)\r\n";

    [Fact]
    public void MovieLensCsvUsesFirstGenreAndUnquotesTitlesWithCommas()
    {
        using var dir = new TempFolder();
        dir.Write("movies.csv", MoviesCsv);
        dir.Write("ratings.csv", "userId,movieId,rating,timestamp\r\n1,11,4.5,964982703\r\n1,1,3.0,964981247\r\n2,13,5.0,964980000\r\n2,12,1.0,964990000\r\n");

        var data = MovieLensLoader.Load(dir.Path);

        Assert.Equal(MovieLensLayout.Csv, MovieLensLoader.DetectLayout(dir.Path));
        Assert.Equal(4, data.Behaviors.Count);
        var first = data.Behaviors[0];
        Assert.Equal((1L, 11L, 964982703L, "4.5"), (first.User, first.Item, first.Timestamp, first.Type));
        Assert.Equal("Comedy", data.Categories!.Name(first.Category));
        Assert.Equal("Adventure", data.Categories.Name(data.Behaviors[1].Category));
        Assert.Equal("(no genres listed)", data.Categories.Name(data.Behaviors[2].Category));
        Assert.Equal("American President, The (1995)", data.ItemTitles![11]);
        Assert.Equal("Say \"Hi\", Then (2001)", data.ItemTitles[12]);
        Assert.Equal("Drama", data.Categories.Name(data.Behaviors[3].Category));
        Assert.Equal(4 + 4, data.Report.RowsRead);   // 4 movies + 4 ratings
        Assert.Equal(4, data.Report.RowsKept);
        Assert.Equal(0, data.Report.RowsSkipped);
    }

    [Fact]
    public void MovieLensMinRatingFiltersAndCountsTheFilteredRows()
    {
        using var dir = new TempFolder();
        dir.Write("movies.csv", MoviesCsv);
        dir.Write("ratings.csv", "userId,movieId,rating,timestamp\n1,11,4.5,1\n1,1,3.5,2\n2,13,4.0,3\n");

        var data = MovieLensLoader.Load(dir.Path, new LoadOptions { MinRating = 4 });

        Assert.Equal([11L, 13L], data.Behaviors.Select(b => b.Item));
        Assert.Equal(1, data.Report.RowsFiltered);
    }

    [Fact]
    public void MovieLens100KUsesFirstFlaggedGenre()
    {
        using var dir = new TempFolder();
        string Flags(params int[] on) => string.Join("|", Enumerable.Range(0, 19).Select(g => on.Contains(g) ? "1" : "0"));
        dir.Write("u.item", $"1|Toy Story (1995)|01-Jan-1995||http://x|{Flags(3, 4, 5)}\n2|Café (1995)|01-Jan-1995||http://y|{Flags()}\n", Encoding.Latin1);
        dir.Write("u.data", "196\t1\t3\t881250949\n186\t2\t5\t891717742\n");

        var data = MovieLensLoader.Load(dir.Path);

        Assert.Equal(MovieLensLayout.Hundred, MovieLensLoader.DetectLayout(dir.Path));
        Assert.Equal("Animation", data.Categories!.Name(data.Behaviors[0].Category));
        Assert.Equal("unknown", data.Categories.Name(data.Behaviors[1].Category));
        Assert.Equal("Café (1995)", data.ItemTitles![2]);
        Assert.Equal((186L, 891717742L, "5.0"), (data.Behaviors[1].User, data.Behaviors[1].Timestamp, data.Behaviors[1].Type));
    }

    [Fact]
    public void MovieLens1MReadsDoubleColonFiles()
    {
        using var dir = new TempFolder();
        dir.Write("movies.dat", "1::Toy Story (1995)::Animation|Children's|Comedy\n2::Jumanji (1995)::Adventure|Children's|Fantasy\n", Encoding.Latin1);
        dir.Write("ratings.dat", "1::2::5::978300760\n1::1::3::978302109\n");

        var data = MovieLensLoader.Load(dir.Path);

        Assert.Equal(MovieLensLayout.OneMillion, MovieLensLoader.DetectLayout(dir.Path));
        Assert.Equal(["Adventure", "Animation"], data.Behaviors.Select(b => data.Categories!.Name(b.Category)));
    }

    [Fact]
    public void MovieLensMalformedLineNamesFileLineAndText()
    {
        using var dir = new TempFolder();
        dir.Write("movies.csv", MoviesCsv);
        var ratings = dir.Write("ratings.csv", "userId,movieId,rating,timestamp\n1,11,4.5,1\n1,eleven,4.0,2\n");

        var e = Assert.Throws<InvalidDataException>(() => MovieLensLoader.Load(dir.Path));

        Assert.Contains(ratings, e.Message);
        Assert.Contains("line 3", e.Message);
        Assert.Contains("1,eleven,4.0,2", e.Message);
    }

    [Fact]
    public void MovieLensRatingOfUnknownMovieIsAnError()
    {
        using var dir = new TempFolder();
        dir.Write("movies.csv", MoviesCsv);
        dir.Write("ratings.csv", "userId,movieId,rating,timestamp\n1,999,4.5,1\n");

        var e = Assert.Throws<InvalidDataException>(() => MovieLensLoader.Load(dir.Path));

        Assert.Contains("movie 999 is not in the movies file", e.Message);
    }

    [Fact]
    public void MissingMovieLensFilesNameTheExpectedLayoutsAndFolder()
    {
        using var dir = new TempFolder();
        dir.Write("readme.txt", "nothing here");

        var e = Assert.Throws<FileNotFoundException>(() => MovieLensLoader.Load(dir.Path));

        Assert.Contains(dir.Path, e.Message);
        Assert.Contains("ratings.csv", e.Message);
        Assert.Contains("u.data", e.Message);
        Assert.Contains("readme.txt", e.Message);
    }

    // ---------- Id interning ----------

    [Fact]
    public void IdTableGivesFirstSeenOrderIdsAndNamesBackAcrossGrowth()
    {
        var table = new IdTable("asin");
        var names = Enumerable.Range(0, 5_000).Select(i => $"B{i * 7919 % 100_003:D9}").ToArray();   // past the 1,024 initial slots

        var ids = names.Select(n => table.Intern(n)).ToArray();
        var again = names.Reverse().Select(n => table.Intern(("x" + n)[1..])).Reverse().ToArray();

        Assert.Equal(Enumerable.Range(0, names.Length).Select(i => (long)i), ids);
        Assert.Equal(ids, again);
        Assert.Equal(names.Length, table.Count);
        Assert.Equal(names[4_321], table.Name(4_321));
        Assert.True(table.TryGetId(names[17], out long found) && found == 17);
        Assert.False(table.TryGetId("never seen", out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.Name(names.Length));
    }

    [Fact]
    public void IdTableGivesTheSameIdForANameAsTextOrAsUtf8Bytes()
    {
        var table = new IdTable("category");
        string[] names = ["Books", "Büch€r", "default_cat", new string('x', 300) + "é"];   // ASCII, non-ASCII, longer than the stack buffer

        var fromText = names.Select(n => table.Intern(n)).ToArray();
        var fromBytes = names.Select(n => table.Intern(Encoding.UTF8.GetBytes(n))).ToArray();
        long added = table.Intern("new"u8);

        Assert.Equal(fromText, fromBytes);
        Assert.Equal(names.Length, added);
        Assert.Equal("new", table.Name(added));
        Assert.True(table.TryGetId(Encoding.UTF8.GetBytes("Büch€r"), out long found) && found == 1);
        Assert.False(table.TryGetId("Book"u8, out _));
    }

    [Fact]
    public void IdTableInternsAJoinedListToTheSameIdsAsOneNameAtATime()
    {
        var oneByOne = new IdTable("item");
        var listed = new IdTable("item");
        var random = new Random(7);
        string[] known = Enumerable.Range(0, 3_000).Select(i => $"B{i:D9}").ToArray();
        foreach (var name in known.Take(1_000)) { oneByOne.Intern(name); listed.Intern(name); }
        // lists of known names (many in a later slot than their first at this load), new names, repeats within a list,
        // non-ASCII names, a list longer than the stack buffers and one that grows the table while it is interned
        var lists = Enumerable.Range(0, 200).Select(_ => Enumerable.Range(0, random.Next(1, 20)).Select(_ => known[random.Next(known.Length)]).ToArray())
            .Append(["Büch€r", "B000000001", "Büch€r", "new", "new"])
            .Append(Enumerable.Range(0, 2_000).Select(i => $"C{i % 1_500}").ToArray())
            .ToList();

        foreach (var list in lists)
        {
            var ids = new long[list.Length];
            listed.InternEach(Encoding.UTF8.GetBytes(string.Join('\x02', list)), 0x02, ids);
            Assert.Equal(list.Select(n => oneByOne.Intern(n)), ids);
        }
        Assert.Equal(oneByOne.Names, listed.Names);
    }

    [Fact]
    public void Utf8LinesEndAtLfCrOrCrLfSkipEmptyLinesAndKeepTheirNumbers()
    {
        using var dir = new TempFolder();
        var longLine = new string('a', 3 << 20);   // longer than the 1 MiB read buffer
        var path = dir.Write("lines", "first\r\nsecond\rthird\n\n" + longLine + "\nlast", new UTF8Encoding(true));
        var lines = new List<(long, string)>();

        TextFiles.ForEachUtf8Line(path, (line, number) => lines.Add((number, Encoding.UTF8.GetString(line))));

        Assert.Equal([(1L, "first"), (2L, "second"), (3L, "third"), (5L, longLine), (6L, "last")], lines);
    }

    // ---------- Taobao ----------

    [Fact]
    public void TaobaoKeepsBehaviorTypesAndFileOrder()
    {
        using var dir = new TempFolder();
        dir.Write("UserBehavior.csv", "1,2268318,2520377,pv,1511544070\r\n1,2333346,2520771,buy,1511561733\r\n2,5,7,fav,1511500000\r\n");

        var data = TaobaoLoader.Load(dir.Path);

        Assert.Equal(["pv", "buy", "fav"], data.Behaviors.Select(b => b.Type));
        Assert.Equal(new Behavior(1, 2333346, 2520771, 1511561733, "buy"), data.Behaviors[1]);
        Assert.Equal(3, data.Report.RowsRead);
    }

    [Fact]
    public void TaobaoSkipModeCountsMalformedLinesWithTheirNumbers()
    {
        using var dir = new TempFolder();
        dir.Write("UserBehavior.csv", "1,2,3,pv,10\n1,2,3,like,11\n1,2,3,pv\n4,5,6,cart,12\n");

        Assert.Throws<InvalidDataException>(() => TaobaoLoader.Load(dir.Path));
        var data = TaobaoLoader.Load(dir.Path, new LoadOptions { SkipMalformed = true });

        Assert.Equal(2, data.Behaviors.Count);
        Assert.Equal(2, data.Report.RowsSkipped);
        Assert.Equal([2L, 3L], data.Report.FirstSkipped.Select(s => s.LineNumber));
        Assert.Contains("pv/buy/cart/fav", data.Report.FirstSkipped[0].Reason);
        Assert.Contains("5 fields", data.Report.FirstSkipped[1].Reason);
    }

    [Fact]
    public void LongMalformedLineIsQuotedTruncated()
    {
        using var dir = new TempFolder();
        var longTail = new string('9', 500);
        dir.Write("UserBehavior.csv", $"1,2,3,pv,{longTail}\n");

        var e = Assert.Throws<InvalidDataException>(() => TaobaoLoader.Load(dir.Path));

        Assert.Contains("line 1", e.Message);
        Assert.Contains("\"1,2,3,pv,999", e.Message);
        Assert.Contains("…\"", e.Message);
        Assert.DoesNotContain(longTail, e.Message);
    }

    [Fact]
    public void TaobaoMissingFileNamesFileAndFolder()
    {
        using var dir = new TempFolder();
        var e = Assert.Throws<FileNotFoundException>(() => TaobaoLoader.Load(dir.Path));
        Assert.Contains("UserBehavior.csv", e.Message);
        Assert.Contains(dir.Path, e.Message);
    }

    // ---------- DIEN Amazon Books ----------

    internal static string DienLine(int label, string user, string item, string category, string[] history, string[] categories) =>
        $"{label}\t{user}\t{item}\t{category}\t{string.Join('\x02', history)}\t{string.Join('\x02', categories)}\r\n";

    private static void WriteDienFixture(TempFolder dir, string trainName, string testName)
    {
        dir.Write("item-info", "I1\tBooks\r\nI2\tBooks\r\nI3\tComics\r\nI4\tComics\r\n");
        dir.Write(trainName,
            DienLine(1, "U1", "I3", "Comics", ["I1", "I2"], ["Books", "Books"]) +
            DienLine(0, "U1", "I4", "Comics", ["I1", "I2"], ["Books", "Books"]) +
            DienLine(1, "U2", "I1", "Books", ["I9"], ["default_cat"]));
        dir.Write(testName, DienLine(1, "U2", "I2", "Books", ["I9", "I1", "I3"], ["default_cat", "Books", "Comics"]));
    }

    [Fact]
    public void DienBooksReadsSamplesWithInternedIdsStepTimesAndNegatives()
    {
        using var dir = new TempFolder();
        WriteDienFixture(dir, "local_train_splitByUser", "local_test_splitByUser");

        var data = DienBooksLoader.Load(dir.Path);

        Assert.Equal(3, data.Train.Count);
        var s = Assert.Single(data.Test);
        Assert.Equal("U2", data.Users.Name(s.User));
        Assert.Equal("I2", data.Items.Name(s.Item));
        Assert.Equal(["I9", "I1", "I3"], s.HistoryItems.Select(data.Items.Name));
        Assert.Equal(["default_cat", "Books", "Comics"], s.HistoryCategories.Select(data.Categories.Name));
        Assert.Equal([0L, 1L, 2L], s.HistoryTimes);
        Assert.Equal(3L, s.Time);
        Assert.Equal(TimeKind.Index, data.Report.Times);   // no reviews-info in the folder
        Assert.Contains("times: index (no reviews-info", data.Report.ToString());
        Assert.Equal(0f, data.Train[1].Label);
        // item-info is interned first: its items get ids 0..3 in file order.
        Assert.Equal(["I1", "I2", "I3", "I4"], data.Items.Names.Take(4));
        foreach (var sample in data.Train.Concat(data.Test))
        {
            sample.Validate("fixture");
            Assert.Equal(sample.HistoryLength, sample.NegativeItems.Length);
            for (int i = 0; i < sample.HistoryLength; i++)
            {
                Assert.NotEqual(sample.HistoryItems[i], sample.NegativeItems[i]);
                Assert.InRange(sample.NegativeItems[i], 0, 3);   // drawn from item-info only
                string expectedCategory = sample.NegativeItems[i] < 2 ? "Books" : "Comics";
                Assert.Equal(expectedCategory, data.Categories.Name(sample.NegativeCategories[i]));
            }
        }
        Assert.Equal(4 + 3 + 1, data.Report.RowsRead);
        Assert.Equal(4, data.Report.RowsKept);
    }

    /// <summary>
    /// With reviews-info (user, item, rating, time; one duplicate review, one review of a user the samples do not have)
    /// every step gets its review time and the candidate the most recent step's, whatever its label.
    /// </summary>
    [Fact]
    public void DienBooksJoinsTheReviewTimesFromReviewsInfo()
    {
        using var dir = new TempFolder();
        WriteDienFixture(dir, "local_train", "local_test");
        dir.Write("reviews-info",
            "U1\tI1\t5.0\t1000\r\nU1\tI2\t4.0\t5000\r\nU2\tI9\t3.0\t200\r\nU2\tI1\t5.0\t900\r\n" +
            "U2\tI3\t4.0\t86600\r\nU2\tI3\t4.0\t99999\r\nU7\tI1\t1.0\t5\r\n");

        var data = DienBooksLoader.Load(dir.Path);

        Assert.Equal(TimeKind.Real, data.Report.Times);
        Assert.Contains("times: real (review times from reviews-info: 0 of 8 history steps without a review time, 0 earlier", data.Report.ToString());
        Assert.Equal([1000L, 5000L], data.Train[0].HistoryTimes);
        Assert.Equal(5000L, data.Train[0].Time);
        Assert.Equal(data.Train[0].Time, data.Train[1].Time);      // the negative's candidate time is its positive's
        Assert.Equal([200L, 900L, 86600L], data.Test[0].HistoryTimes);   // the earlier of U2's two reviews of I3
        Assert.Equal(1, data.Report.RowsFiltered);                 // U7 is in no sample
        Assert.Equal(4 + 3 + 1 + 7, data.Report.RowsRead);
        foreach (var sample in data.Train.Concat(data.Test)) sample.Validate("fixture");
        Assert.Equal(TimeKind.Real, RealDatasets.AmazonBooksDien(dir.Path, seed: 1).Times);
    }

    /// <summary>
    /// A pair reviewed several times takes its earliest time whatever the rows' order, every row of a user or item the
    /// samples lack counts as filtered (repeats too), and a name that is not valid UTF-8 matches the sample name with
    /// the same text (bad bytes read as U+FFFD, whichever bad bytes).
    /// </summary>
    [Fact]
    public void DienBooksReviewTimesTakeTheEarliestRowAndMatchNamesByTheirText()
    {
        using var dir = new TempFolder();
        void WriteLatin1(string name, string text) => File.WriteAllBytes(Path.Combine(dir.Path, name), Encoding.Latin1.GetBytes(text));
        dir.Write("item-info", "I1\tBooks\r\nI2\tBooks\r\nI3\tComics\r\n");
        WriteLatin1("local_train", DienLine(1, "U\u00FF1", "I3", "Comics", ["I1", "I2"], ["Books", "Books"]));
        dir.Write("local_test", DienLine(1, "U2", "I1", "Books", ["I3"], ["Comics"]));
        WriteLatin1("reviews-info",
            "U\u00FE1\tI1\t5.0\t500\r\nU\u00FF1\tI1\t5.0\t1000\r\nU\u00FF1\tI1\t5.0\t2000\r\n" +
            "U\u00FF1\tI2\t4.0\t7000\r\nU\u00FF1\tI2\t4.0\t5000\r\nU2\tI3\t1.0\t100\r\n" +
            "U7\tI1\t1.0\t5\r\nU7\tI1\t1.0\t5\r\nU2\tI9\t1.0\t5\r\n");

        var data = DienBooksLoader.Load(dir.Path);

        Assert.Equal("U\uFFFD1", data.Users.Name(data.Train[0].User));
        Assert.Equal(TimeKind.Real, data.Report.Times);
        Assert.Equal([500L, 5000L], data.Train[0].HistoryTimes);   // U\u00FE1's review of I1 is U\u00FF1's
        Assert.Equal([100L], data.Test[0].HistoryTimes);
        Assert.Equal(3, data.Report.RowsFiltered);   // U7 twice, I9 once
    }

    [Fact]
    public void DienBooksKeepsStepTimesWhenReviewsInfoDoesNotFitTheSamples()
    {
        using var dir = new TempFolder();
        WriteDienFixture(dir, "local_train", "local_test");
        dir.Write("reviews-info", "U1\tI1\t5.0\t1000\r\nU1\tI2\t4.0\t500\r\n");   // U2 missing, U1's I2 before I1

        var data = DienBooksLoader.Load(dir.Path);

        Assert.Equal(TimeKind.Index, data.Report.Times);
        Assert.Contains("reviews-info does not fit these samples (4 of 8 history steps without a review time, 2 earlier than the step before)", data.Report.ToString());
        Assert.Equal([0L, 1L, 2L], data.Test[0].HistoryTimes);
        Assert.Equal(TimeKind.Index, RealDatasets.AmazonBooksDien(dir.Path, seed: 1).Times);
        Assert.EndsWith("times: index", RealDatasets.AmazonBooksDien(dir.Path, seed: 1).ToString());

        dir.Write("reviews-info", "U1\tI1\t5.0\tyesterday\r\n");
        Assert.Contains("reviews-info, line 1", Assert.Throws<InvalidDataException>(() => DienBooksLoader.Load(dir.Path)).Message);
    }

    /// <summary>
    /// reviews-info is read on a second thread while the sample files are read: its error, its skips and its rows must
    /// still come after theirs, as if the files were read one after the other.
    /// </summary>
    [Fact]
    public void DienBooksReviewsInfoErrorsAndSkipsComeAfterTheSampleFiles()
    {
        using var dir = new TempFolder();
        WriteDienFixture(dir, "local_train", "local_test");
        var reviews = dir.Write("reviews-info", "U1\tI1\t5.0\t1000\r\nU1\tI2\t4.0\tlater\r\nU2\tI9\t3.0\t200\r\nU7\tI1\t1.0\t5\r\n");
        var test = dir.Write("local_test", DienLine(1, "U2", "I2", "Books", ["I9"], ["default_cat"]) + "1\tU2\tI1\n");

        var e = Assert.Throws<InvalidDataException>(() => DienBooksLoader.Load(dir.Path));
        Assert.StartsWith($"{test}, line 2", e.Message);

        var skipped = DienBooksLoader.Load(dir.Path, new LoadOptions { SkipMalformed = true });
        Assert.Equal([(test, 2L), (reviews, 2L)], skipped.Report.FirstSkipped.Select(s => (s.File, s.LineNumber)));
        Assert.Equal(2, skipped.Report.RowsSkipped);
        Assert.Equal(4 + 3 + 2 + 4, skipped.Report.RowsRead);
        Assert.Equal(1, skipped.Report.RowsFiltered);   // U7 is in no sample
        Assert.EndsWith("reviews-info", skipped.Report.Files[^1]);

        dir.Write("local_test", DienLine(1, "U2", "I2", "Books", ["I9"], ["default_cat"]));
        Assert.StartsWith($"{reviews}, line 2", Assert.Throws<InvalidDataException>(() => DienBooksLoader.Load(dir.Path)).Message);
    }

    /// <summary>
    /// A line with the previous line's history shares its steps only when it is the same user's (the times are that
    /// user's review times), and only once: each line still has its own negatives and times.
    /// </summary>
    [Fact]
    public void DienBooksRepeatedHistoriesKeepEachUsersTimesAndOwnNegatives()
    {
        using var dir = new TempFolder();
        dir.Write("item-info", "I1\tBooks\r\nI2\tBooks\r\nI3\tComics\r\nI4\tComics\r\nI5\tComics\r\n");
        dir.Write("local_train",
            DienLine(1, "U1", "I3", "Comics", ["I1", "I2"], ["Books", "Books"]) +
            DienLine(0, "U1", "I4", "Comics", ["I1", "I2"], ["Books", "Books"]) +
            DienLine(0, "U1", "I5", "Comics", ["I1", "I2"], ["Books", "Books"]) +
            DienLine(1, "U2", "I3", "Comics", ["I1", "I2"], ["Books", "Books"]));
        dir.Write("local_test", DienLine(1, "U2", "I4", "Comics", ["I1", "I2"], ["Books", "Books"]));
        dir.Write("reviews-info", "U1\tI1\t5.0\t1000\r\nU1\tI2\t4.0\t5000\r\nU2\tI1\t3.0\t200\r\nU2\tI2\t5.0\t900\r\n");

        var data = DienBooksLoader.Load(dir.Path);

        Assert.Equal([[1000L, 5000L], [1000L, 5000L], [1000L, 5000L], [200L, 900L]], data.Train.Select(s => s.HistoryTimes.ToArray()));
        Assert.Equal([200L, 900L], data.Test[0].HistoryTimes);
        Assert.Equal([5000L, 5000L, 5000L, 900L], data.Train.Select(s => s.Time));
        var random = new Random(LoadOptions.Default.Seed);   // item-info's items are ids 0..4, drawn in line order
        foreach (var sample in data.Train.Concat(data.Test))
            for (int i = 0; i < sample.HistoryLength; i++)
            {
                int drawn;
                do drawn = random.Next(5); while (drawn == sample.HistoryItems[i]);
                Assert.Equal(drawn, sample.NegativeItems[i]);
            }
    }

    [Fact]
    public void DienBooksNegativesDependOnlyOnTheSeed()
    {
        using var dir = new TempFolder();
        WriteDienFixture(dir, "local_train", "local_test");
        long[] Negatives(int seed) => DienBooksLoader.Load(dir.Path, new LoadOptions { Seed = seed }).Train.Concat(
            DienBooksLoader.Load(dir.Path, new LoadOptions { Seed = seed }).Test).SelectMany(s => s.NegativeItems).ToArray();

        Assert.Equal(Negatives(7), Negatives(7));
        Assert.NotEqual(Negatives(7), Negatives(8));
    }

    [Fact]
    public void DienBooksHistoryLengthMismatchIsAnErrorOrACountedSkip()
    {
        using var dir = new TempFolder();
        WriteDienFixture(dir, "local_train", "local_test");
        var test = dir.Write("local_test",
            DienLine(1, "U2", "I2", "Books", ["I1", "I3"], ["Books"]) + DienLine(1, "U2", "I2", "Books", ["I1"], ["Books"]) + "1\tU3\tI1\n");

        var e = Assert.Throws<InvalidDataException>(() => DienBooksLoader.Load(dir.Path));
        Assert.Contains(test, e.Message);
        Assert.Contains("line 1", e.Message);
        Assert.Contains("item history has 2 entries but category history 1", e.Message);

        var skipped = DienBooksLoader.Load(dir.Path, new LoadOptions { SkipMalformed = true });
        Assert.Single(skipped.Test);
        Assert.Equal(2, skipped.Report.RowsSkipped);
        Assert.Equal([1L, 3L], skipped.Report.FirstSkipped.Select(s => s.LineNumber));
    }

    [Fact]
    public void DienBooksWithoutItemInfoSaysWhatIsMissing()
    {
        using var dir = new TempFolder();
        WriteDienFixture(dir, "local_train", "local_test");
        File.Delete(System.IO.Path.Combine(dir.Path, "item-info"));

        var e = Assert.Throws<FileNotFoundException>(() => DienBooksLoader.Load(dir.Path));

        Assert.Contains("item-info", e.Message);
        Assert.Contains(dir.Path, e.Message);
    }

    // ---------- Amazon raw reviews ----------

    private const string Reviews =
        "{\"reviewerID\": \"R1\", \"asin\": \"A1\", \"reviewerName\": \"x, y\", \"overall\": 5.0, \"unixReviewTime\": 1370131200}\n" +
        "{\"reviewerID\": \"R2\", \"asin\": \"A2\", \"overall\": 2.0, \"unixReviewTime\": 1370131300}\r\n" +
        "{\"reviewerID\": \"R1\", \"asin\": \"A3\", \"overall\": 4.0, \"unixReviewTime\": 1370131400}\n";

    private const string Meta =
        "{'asin': 'A1', 'title': \"Kid's tutu\", 'related': {'also_bought': ['A2']}, 'categories': [['Electronics', 'Camera & Photo', 'Lenses'], ['Electronics', 'Accessories']]}\n" +
        "{'asin': 'A2', 'categories': [['Electronics', 'Computers']], 'price': 3.17}\n" +
        "{'asin': 'NOT-REVIEWED', 'categories': [['Electronics', 'Other']]}\n";

    [Fact]
    public void AmazonReviewsTakeCategoryFromPythonLiteralMeta()
    {
        using var dir = new TempFolder();
        var reviews = dir.Write("reviews_Electronics_5.json", Reviews);
        var meta = dir.Write("meta_Electronics.json", Meta);

        var specific = AmazonReviewsLoader.Load(reviews, meta);
        var first = AmazonReviewsLoader.Load(reviews, meta, rule: AmazonCategoryRule.FirstListed);

        Assert.Equal(["Accessories", "Computers", "unknown"], specific.Behaviors.Select(b => specific.Categories!.Name(b.Category)));
        Assert.Equal(["Electronics", "Electronics", "unknown"], first.Behaviors.Select(b => first.Categories!.Name(b.Category)));
        Assert.Equal(["R1", "R2", "R1"], specific.Behaviors.Select(b => specific.Users!.Name(b.User)));
        Assert.Equal(["A1", "A2", "A3"], specific.Behaviors.Select(b => specific.Items!.Name(b.Item)));
        Assert.Equal((1370131300L, "2.0"), (specific.Behaviors[1].Timestamp, specific.Behaviors[1].Type));
    }

    [Fact]
    public void AmazonReviewsWithoutMetaUseOneUnknownCategoryAndReadGzip()
    {
        using var dir = new TempFolder();
        var path = System.IO.Path.Combine(dir.Path, "reviews_Electronics_5.json.gz");
        using (var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest))
            gz.Write(Encoding.UTF8.GetBytes(Reviews));

        var data = AmazonReviewsLoader.LoadFolder(dir.Path, "Electronics", new LoadOptions { MinRating = 4 });

        Assert.Equal(2, data.Behaviors.Count);
        Assert.Equal(1, data.Report.RowsFiltered);
        Assert.All(data.Behaviors, b => Assert.Equal(AmazonReviewsLoader.UnknownCategory, data.Categories!.Name(b.Category)));
    }

    [Fact]
    public void AmazonMalformedJsonNamesLineOrIsCountedInSkipMode()
    {
        using var dir = new TempFolder();
        var reviews = dir.Write("reviews_Books_5.json", Reviews + "{\"reviewerID\": \"R3\", \"asin\": \n{\"asin\": \"A9\", \"overall\": 1.0}\n");

        var e = Assert.Throws<InvalidDataException>(() => AmazonReviewsLoader.Load(reviews));
        Assert.Contains("line 4", e.Message);
        Assert.Contains(reviews, e.Message);

        var data = AmazonReviewsLoader.Load(reviews, options: new LoadOptions { SkipMalformed = true });
        Assert.Equal(3, data.Behaviors.Count);
        Assert.Equal([4L, 5L], data.Report.FirstSkipped.Select(s => s.LineNumber));
        Assert.Contains("reviewerID, asin, overall and unixReviewTime", data.Report.FirstSkipped[1].Reason);
    }

    // ---------- Shared real data (../shared/data), skipped when absent ----------

    private string SharedFolder(string name)
    {
        var folder = System.IO.Path.Combine(SharedData, name);
        Skip.IfNot(Directory.Exists(folder), $"shared data folder {folder} is not present (see data/README.md); nothing to measure");
        return folder;
    }

    [SkippableFact]
    public void SharedMovieLensLatestSmallLoads()
    {
        var data = MovieLensLoader.Load(SharedFolder("movielens-latest-small"));
        output.WriteLine(data.ToString());
        Assert.Equal(100_836, data.Behaviors.Count);
        Assert.Equal(610, data.Behaviors.Select(b => b.User).Distinct().Count());
        Assert.Equal(0, data.Report.RowsSkipped);
        Assert.Equal(9_742, data.ItemTitles!.Count);
        Assert.Null(data.UserProfiles);   // latest-small ships no user file, and the report says so
        Assert.StartsWith("none, the CSV releases", data.Report.UserFileNote);
    }

    [SkippableFact]
    public void SharedTaobaoSampleLoads()
    {
        var data = TaobaoLoader.Load(System.IO.Path.Combine(SharedFolder("taobao-userbehavior-sample"), "UserBehavior.head.csv"));
        output.WriteLine(data.ToString());
        Assert.Equal(84_287, data.Behaviors.Count);
        Assert.Equal(814, data.Behaviors.Select(b => b.User).Distinct().Count());
    }

    [SkippableFact]
    public void SharedAmazonReviewsSampleLoads()
    {
        var data = AmazonReviewsLoader.Load(System.IO.Path.Combine(SharedFolder("amazon-reviews-sample"), "reviews_Electronics_5.head.json"));
        output.WriteLine(data.ToString());
        Assert.Equal(290, data.Behaviors.Count);
        Assert.Equal(0, data.Report.RowsSkipped);
    }

    [SkippableFact]
    public void SharedDienBooksSampleLoads()
    {
        var data = DienBooksLoader.Load(SharedFolder("dien-books-format-sample"));
        output.WriteLine(data.ToString());
        var lines = File.ReadLines(System.IO.Path.Combine(SharedData, "dien-books-format-sample", "local_test")).Count(l => l.Length > 0);
        Assert.Equal(lines, data.Test.Count);
        Assert.NotEmpty(data.Train);
        Assert.Contains("default_cat", data.Categories.Names);
        foreach (var s in data.Train.Concat(data.Test)) s.Validate("shared DIEN sample");
        // The sample ships reviews-info, and it covers every history step: real times (whole days, Amazon's resolution).
        Assert.Equal(TimeKind.Real, data.Report.Times);
        Assert.Contains("0 of 41 history steps without a review time, 0 earlier", data.Report.ToString());
        Assert.All(data.Test.SelectMany(s => s.HistoryTimes), t => Assert.Equal(0, t % 86400));
    }

    private static string FindSharedData()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate)) return candidate;
        }
        return "../shared/data (not found above " + AppContext.BaseDirectory + "; set DEEPINTEREST_SHARED_DATA)";
    }
}
