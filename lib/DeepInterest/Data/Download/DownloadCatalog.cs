namespace DeepInterest.Data.Download;

/// <summary>One file of a data set: where it lives, its MD5 when published, and the name it is saved under.</summary>
public sealed record RemoteFile(Uri Url, string? Md5 = null)
{
    public string FileName => Path.GetFileName(Url.LocalPath);
}

/// <summary>
/// A downloadable data set. <see cref="ManualSteps"/> is set for data sets whose terms need a login: the downloader
/// then prints those steps instead of downloading.
/// </summary>
public sealed record DatasetEntry(string Name, string Description, string Terms, IReadOnlyList<RemoteFile> Files)
{
    /// <summary>What the user has to do by hand ({0} = the target folder), or null when it downloads by itself.</summary>
    public string? ManualSteps { get; init; }

    /// <summary>The file (in the target folder) whose presence shows a manual data set is in place.</summary>
    public string? ExpectedFile { get; init; }

    /// <summary>Older names still accepted for <see cref="Name"/> (by <c>data download</c> and <c>compare --data</c>).</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];
}

/// <summary>
/// The real data sets the loaders read, with their official download addresses. A data set's <see cref="DatasetEntry.Name"/>
/// is its one name everywhere: <c>data list</c>, <c>data download NAME</c>, <c>compare --data NAME</c> and
/// <see cref="DatasetCatalog"/>; <see cref="DatasetEntry.Aliases"/> keep older names working.
/// </summary>
public static class DownloadCatalog
{
    public static readonly DatasetEntry MovieLensSmall = new(
        "movielens-small",
        "MovieLens latest-small: 100,836 ratings by 610 users on 9,742 movies (ratings.csv, movies.csv); MovieLensLoader",
        "GroupLens: research use, no commercial use without permission, cite Harper & Konstan 2015 (README.txt in the zip)",
        [new RemoteFile(new Uri("https://files.grouplens.org/datasets/movielens/ml-latest-small.zip"))])
    {
        Aliases = ["movielens"],
    };

    public static readonly DatasetEntry MovieLens1M = new(
        "movielens-1m",
        "MovieLens 1M: 1,000,209 ratings by 6,040 users on 3,900 movies (ratings.dat, movies.dat); MovieLensLoader",
        "GroupLens: research use, no commercial use or redistribution without permission, cite Harper & Konstan 2015",
        [new RemoteFile(new Uri("https://files.grouplens.org/datasets/movielens/ml-1m.zip"))]);

    public static readonly DatasetEntry AmazonBooksDien = new(
        "amazon-books-dien",
        "Amazon Books preprocessed by the DIEN authors (local_train_splitByUser, local_test_splitByUser, item-info, reviews-info); DienBooksLoader",
        "Amazon review data (McAuley et al. 2015): research use; preprocessing from github.com/mouna99/dien",
        [
            new RemoteFile(new Uri("https://zenodo.org/record/3463683/files/data.tar.gz"), "86fd34467fecf6825303ff7b97d56878"),
            new RemoteFile(new Uri("https://zenodo.org/record/3463683/files/data1.tar.gz"), "c3941b34f1fef7b14408be490881ee88"),
            new RemoteFile(new Uri("https://zenodo.org/record/3463683/files/data2.tar.gz"), "342dd867ede0444e870dfef41330d260"),
        ]);

    public static readonly DatasetEntry AmazonElectronics = new(
        "amazon-electronics",
        "Amazon Electronics 5-core reviews (1,689,188 reviews) and product metadata (SNAP 2014); AmazonReviewsLoader.LoadFolder(folder, \"Electronics\")",
        "Amazon review data (McAuley et al. 2015, SNAP): research use, cite the papers listed on the SNAP page",
        [
            new RemoteFile(new Uri("http://snap.stanford.edu/data/amazon/productGraph/categoryFiles/reviews_Electronics_5.json.gz")),
            new RemoteFile(new Uri("http://snap.stanford.edu/data/amazon/productGraph/categoryFiles/meta_Electronics.json.gz")),
        ])
    {
        Aliases = ["amazon-reviews"],
    };

    public static readonly DatasetEntry Taobao = new(
        "taobao",
        "Taobao UserBehavior: ~100M pv/buy/cart/fav events of ~1M users, Nov 25 - Dec 3 2017 (UserBehavior.csv); TaobaoLoader",
        "Alibaba Tianchi data set terms: research use, login required, no redistribution",
        [])
    {
        ManualSteps =
            "Taobao UserBehavior cannot be downloaded automatically: Tianchi requires a logged-in account and acceptance of its terms.\n" +
            "  1. Open https://tianchi.aliyun.com/dataset/dataDetail?dataId=649 (data set 649) and log in (a free Alibaba Cloud / Taobao account).\n" +
            "  2. Accept the terms and download UserBehavior.csv.zip (about 900 MB; 3.5 GB unpacked).\n" +
            "  3. Unzip it and put UserBehavior.csv into {0}\n" +
            "  4. Run `compare --data taobao --data-dir {0}`, or load it with TaobaoLoader.Load(\"{0}\").",
        ExpectedFile = "UserBehavior.csv",
    };

    public static IReadOnlyList<DatasetEntry> All { get; } = [MovieLensSmall, MovieLens1M, AmazonBooksDien, AmazonElectronics, Taobao];

    /// <summary>Where <c>data download NAME</c> puts a data set and <c>compare --data</c> looks for it by default:
    /// <c>data/downloads/NAME</c> under the repository root (the first folder holding DeepInterest.slnx, upwards from the
    /// current directory), or under the current directory outside a checkout.</summary>
    public static string DefaultFolder(string name) => Path.Combine(RepositoryRoot(), "data", "downloads", name);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DeepInterest.slnx"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }

    /// <summary>The data set named <paramref name="name"/> or one of its <see cref="DatasetEntry.Aliases"/> (case-insensitive).</summary>
    public static DatasetEntry? Find(string name) =>
        All.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase)
                                || e.Aliases.Contains(name, StringComparer.OrdinalIgnoreCase));

    public static DatasetEntry Get(string name) =>
        Find(name) ?? throw new ArgumentException($"unknown data set '{name}'; expected one of: {string.Join(", ", All.Select(e => e.Name))}", nameof(name));
}
