using System.Text;
using DeepInterest.Data;
using DeepInterest.Data.Loaders;
using Xunit;
using Xunit.Abstractions;

namespace DeepInterest.Tests;

/// <summary><c>compare --data</c>'s real data sets on fixtures written here, and on ../shared/data when it is present.</summary>
public class DatasetCatalogTests(ITestOutputHelper output)
{
    private const int Users = 20;
    private const int EventsPerUser = 9;   // 9 − MinHistory 4 = 5 positions → 10 samples per user
    private const int SamplesPerUser = 2 * (EventsPerUser - 4);

    /// <summary>User u (1..20) rates movies u, u+1, … at increasing times; 40 movies, two genres.</summary>
    private static IEnumerable<(int User, int Movie, long Time)> Ratings() =>
        from user in Enumerable.Range(1, Users)
        from step in Enumerable.Range(0, EventsPerUser)
        select (user, (user + step) % 40 + 1, 1_000_000L + user * 1000 + step);

    private static string Genre(int movie) => movie % 2 == 0 ? "Drama" : "Comedy|Drama";

    private static void WriteMovieLensCsv(TempFolder dir)
    {
        dir.Write("movies.csv", "movieId,title,genres\n" + string.Concat(Enumerable.Range(1, 40).Select(m => $"{m},Movie {m},{Genre(m)}\n")));
        dir.Write("ratings.csv", "userId,movieId,rating,timestamp\n" + string.Concat(Ratings().Select(r => $"{r.User},{r.Movie},4.0,{r.Time}\n")));
    }

    /// <summary>The standard protocol's invariants: sample count, one negative per positive, disjoint users, 10%/10% of users held out.</summary>
    private static void AssertLogProtocolSplit(CtrDataset data, int users, int samplesPerUser)
    {
        var all = data.Train.Concat(data.Validation).Concat(data.Test).ToList();
        Assert.Equal(users * samplesPerUser, all.Count);
        Assert.Equal(all.Count / 2, all.Count(s => s.Label == 1f));
        var trainUsers = data.Train.Select(s => s.User).ToHashSet();
        var validationUsers = data.Validation.Select(s => s.User).ToHashSet();
        var testUsers = data.Test.Select(s => s.User).ToHashSet();
        int testCount = (int)Math.Round(users * 0.1);
        Assert.Equal(testCount, testUsers.Count);
        Assert.Equal((int)Math.Round((users - testCount) * 0.1), validationUsers.Count);
        Assert.Empty(trainUsers.Intersect(testUsers));
        Assert.Empty(trainUsers.Intersect(validationUsers));
        Assert.Empty(validationUsers.Intersect(testUsers));
        Assert.All(all, s => Assert.InRange(s.HistoryItems.Length, 4, 50));
    }

    [Fact]
    public void MovieLensCsvGoesThroughTheLogProtocolAndSplitsByUser()
    {
        using var dir = new TempFolder();
        WriteMovieLensCsv(dir);

        var data = DatasetCatalog.Load("movielens-small", dir.Path, seed: 3);

        AssertLogProtocolSplit(data, Users, SamplesPerUser);
        foreach (var negative in data.Train.Where(s => s.Label == 0f))
        {
            var own = Ratings().Where(r => r.User == negative.User).Select(r => (long)r.Movie);
            Assert.DoesNotContain(negative.Item, own);
        }
        var again = DatasetCatalog.Load("MovieLens-Small", dir.Path, seed: 3);
        Assert.Equal(data.Test.Select(s => (s.User, s.Item)), again.Test.Select(s => (s.User, s.Item)));
        var otherSeed = DatasetCatalog.Load("movielens-small", dir.Path, seed: 4);
        Assert.NotEqual(data.Test.Select(s => s.User).Distinct().Order(), otherSeed.Test.Select(s => s.User).Distinct().Order());
    }

    [Fact]
    public void MovieLens1MLayoutLoadsTheSameSamples()
    {
        using var csv = new TempFolder();
        WriteMovieLensCsv(csv);
        using var dat = new TempFolder();
        dat.Write("movies.dat", string.Concat(Enumerable.Range(1, 40).Select(m => $"{m}::Movie {m}::{Genre(m)}\n")), Encoding.Latin1);
        dat.Write("ratings.dat", string.Concat(Ratings().Select(r => $"{r.User}::{r.Movie}::4::{r.Time}\n")), Encoding.Latin1);

        var fromCsv = DatasetCatalog.Load("movielens-small", csv.Path, seed: 1);
        var fromDat = DatasetCatalog.Load("movielens-small", dat.Path, seed: 1);

        Assert.Equal(fromCsv.Train.Select(s => (s.User, s.Item, s.Label)), fromDat.Train.Select(s => (s.User, s.Item, s.Label)));
    }

    [Fact]
    public void TaobaoFindsAHeadSampleAndRefusesToGuessBetweenTwo()
    {
        using var dir = new TempFolder();
        dir.Write("UserBehavior.head.csv", string.Concat(Ratings().Select(r => $"{r.User},{r.Movie},{r.Movie % 3},pv,{r.Time}\n")));

        AssertLogProtocolSplit(DatasetCatalog.Load("taobao", dir.Path, seed: 1), Users, SamplesPerUser);

        dir.Write("UserBehavior.tail.csv", "1,1,1,pv,1\n");
        var e = Assert.Throws<InvalidDataException>(() => DatasetCatalog.Load("taobao", dir.Path));
        Assert.Contains("UserBehavior.head.csv, UserBehavior.tail.csv", e.Message);
    }

    [Fact]
    public void AmazonReviewsTakeTheirCategoryFromTheMetaFileBeside()
    {
        using var dir = new TempFolder();
        dir.Write("reviews_Books_5.json", string.Concat(Ratings().Select(r =>
            $"{{\"reviewerID\": \"U{r.User}\", \"asin\": \"B{r.Movie:000}\", \"overall\": 5.0, \"unixReviewTime\": {r.Time}}}\n")));
        dir.Write("meta_Books.json", string.Concat(Enumerable.Range(1, 40).Select(m =>
            $"{{'asin': 'B{m:000}', 'categories': [['Books', '{(m % 2 == 0 ? "Poetry" : "History")}']]}}\n")));

        var data = DatasetCatalog.Load("amazon-electronics", dir.Path, seed: 1);

        AssertLogProtocolSplit(data, Users, SamplesPerUser);
        var log = AmazonReviewsLoader.Load(Path.Combine(dir.Path, "reviews_Books_5.json"), Path.Combine(dir.Path, "meta_Books.json"));
        Assert.Equal(["History", "Poetry"], data.Log!.Select(b => log.Categories!.Name(b.Category)).Distinct().Order());
    }

    [Fact]
    public void DienBooksKeepsTheirTestFileAndSlicesValidationUsersFromTrain()
    {
        using var dir = new TempFolder();
        dir.Write("item-info", string.Concat(Enumerable.Range(1, 40).Select(m => $"B{m}\tBooks\n")));
        string Line(int label, int user, int item) => $"{label}\tU{user}\tB{item}\tBooks\tB1\x02B2\x02B3\tBooks\x02Books\x02Books\r\n";
        dir.Write("local_train_splitByUser", string.Concat(Enumerable.Range(1, Users).Select(u => Line(1, u, u) + Line(0, u, u + 1))));
        dir.Write("local_test_splitByUser", Line(1, 99, 5) + Line(0, 99, 6) + Line(1, 98, 7));

        var data = DatasetCatalog.Load("amazon-books-dien", dir.Path, seed: 1);

        Assert.Equal(3, data.Test.Count);
        Assert.Equal(2 * Users, data.Train.Count + data.Validation.Count);
        var validationUsers = data.Validation.Select(s => s.User).ToHashSet();
        Assert.Equal(2, validationUsers.Count);
        Assert.Empty(data.Train.Select(s => s.User).Intersect(validationUsers));
    }

    [Fact]
    public void MissingDataFolderNamesTheFilesAndTheDownloadCommand()
    {
        var missing = Path.Combine(Path.GetTempPath(), "deepinterest-no-such-folder");

        var e = Assert.Throws<DirectoryNotFoundException>(() => DatasetCatalog.Load("movielens-small", missing));

        Assert.Contains($"the data folder {missing} does not exist", e.Message);
        Assert.Contains("ratings.csv + movies.csv", e.Message);
        Assert.Contains("data download movielens-small", e.Message);
        Assert.Contains("--data-dir", e.Message);
    }

    [Fact]
    public void EmptyDataFolderNamesTheFilesAndTheDownloadCommand()
    {
        using var dir = new TempFolder();

        var e = Assert.Throws<FileNotFoundException>(() => DatasetCatalog.Load("amazon-books-dien", dir.Path));

        Assert.Contains("local_train_splitByUser", e.Message);
        Assert.Contains("data download amazon-books-dien", e.Message);
    }

    [Fact]
    public void AFileWhereAFolderIsExpectedNamesTheFilesAndTheDownloadCommand()
    {
        using var dir = new TempFolder();
        var file = dir.Write("ratings.csv", "userId,movieId,rating,timestamp\n");

        var e = Assert.Throws<FileNotFoundException>(() => DatasetCatalog.Load("movielens-small", file));

        Assert.Contains("ratings.csv + movies.csv", e.Message);
        Assert.Contains("data download movielens-small", e.Message);
    }

    [Fact]
    public void RealDataSetsDefaultToTheirDownloadFolder()
    {
        Assert.Equal(Path.Combine("data", "downloads", "movielens-small"), Tail(DatasetCatalog.DefaultDataDirectory("movielens-small")!));
        Assert.Equal(Path.Combine("data", "downloads", "taobao"), Tail(DatasetCatalog.DefaultDataDirectory("taobao")!));
        Assert.Null(DatasetCatalog.DefaultDataDirectory("synthetic"));
        static string Tail(string path) => Path.Combine(path.Split(Path.DirectorySeparatorChar)[^3..]);
    }

    [Fact]
    public void ALogWithTooFewActiveUsersIsAClearError()
    {
        using var dir = new TempFolder();
        // user 1 has all 9 events, the others 2 each: one user yields samples, a split by user needs two
        var events = Ratings().Where(r => r.User == 1 || r.Time % 1000 < 2);
        dir.Write("UserBehavior.csv", string.Concat(events.Select(r => $"{r.User},{r.Movie},1,pv,{r.Time}\n")));

        var e = Assert.Throws<InvalidDataException>(() => DatasetCatalog.Load("taobao", dir.Path));

        Assert.Contains("more than 4 events", e.Message);
        Assert.Contains("users has 9)", e.Message);
    }

    // ---------- Shared real data (../shared/data), skipped when absent ----------

    private static string SharedFolder(string name)
    {
        var folder = Path.Combine(LoaderTests.SharedData, name);
        Skip.IfNot(Directory.Exists(folder), $"shared data folder {folder} is not present (see data/README.md); nothing to check");
        return folder;
    }

    [SkippableFact]
    public void SharedMovieLensGivesTwoSamplesPerRatingAfterTheFourth()
    {
        var data = DatasetCatalog.Load("movielens-small", SharedFolder("movielens-latest-small"), seed: 1);
        output.WriteLine(data.ToString());
        Assert.Equal(2 * (100_836 - 4 * 610), data.Train.Count + data.Validation.Count + data.Test.Count);   // every user has ≥ 20 ratings
        Assert.Equal(61, data.Test.Select(s => s.User).Distinct().Count());
    }

    [SkippableFact]
    public void SharedTaobaoSampleLoadsThroughTheProtocol()
    {
        var folder = SharedFolder("taobao-userbehavior-sample");
        var events = TaobaoLoader.Load(Path.Combine(folder, "UserBehavior.head.csv")).Behaviors;
        var expected = 2 * events.GroupBy(b => b.User).Sum(g => Math.Max(0, g.Count() - 4));

        var data = DatasetCatalog.Load("taobao", folder, seed: 1);

        output.WriteLine(data.ToString());
        Assert.Equal(expected, data.Train.Count + data.Validation.Count + data.Test.Count);
    }

    [SkippableFact]
    public void SharedDienSampleKeepsItsTestFile()
    {
        var folder = SharedFolder("dien-books-format-sample");
        var data = DatasetCatalog.Load("amazon-books-dien", folder, seed: 1);
        output.WriteLine(data.ToString());
        Assert.Equal(File.ReadLines(Path.Combine(folder, "local_test")).Count(l => l.Length > 0), data.Test.Count);
        Assert.Empty(data.Validation);   // its local_train has one user: nothing to slice
    }

    [SkippableFact]
    public void SharedAmazonReviewsHeadHasTooFewRepeatReviewersForTheProtocol()
    {
        var e = Assert.Throws<InvalidDataException>(() => DatasetCatalog.Load("amazon-electronics", SharedFolder("amazon-reviews-sample"), seed: 1));
        output.WriteLine(e.Message);
        Assert.Contains("more than 4 events", e.Message);
        Assert.Contains("the most active of the 289 users has 2", e.Message);   // 288 reviewers with one review, one with two
    }
}
