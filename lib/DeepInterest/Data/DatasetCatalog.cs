using DeepInterest.Data.Download;
using DeepInterest.Data.Loaders;

namespace DeepInterest.Data;

/// <summary>
/// The data sets <c>compare --data NAME</c> and the notebooks know by name: the built-in synthetic ones and the real
/// ones (data/README.md, "Real data sets"), which read their files from a data folder — by default
/// <see cref="DownloadCatalog.DefaultFolder"/> of the download that provides them.
/// </summary>
public static class DatasetCatalog
{
    /// <summary>A real data set: the files it needs and the <c>data download</c> name that fetches them.</summary>
    private sealed record RealSource(string Download, string ExpectedFiles, Func<string, int, CtrDataset> Load);

    private sealed record Entry(string Description, Func<string?, int, CtrDataset> Load, RealSource? Real = null);

    private static readonly Dictionary<string, Entry> registry = new(StringComparer.OrdinalIgnoreCase)
    {
        ["synthetic"] = new("built-in synthetic data, default size (planted interests, drift and sessions; data/README.md)",
            (_, seed) => SyntheticData.Generate(SyntheticConfig.Default with { Seed = seed }).ToDataset(seed)),
        ["synthetic-tiny"] = new("built-in synthetic data, tiny (tests, smoke runs)",
            (_, seed) => SyntheticData.Generate(SyntheticConfig.Tiny with { Seed = seed }).ToDataset(seed)),
        ["synthetic-large"] = new("built-in synthetic data, large",
            (_, seed) => SyntheticData.Generate(SyntheticConfig.Large with { Seed = seed }).ToDataset(seed)),
        ["movielens"] = Real("MovieLens ratings as clicks, log protocol, split by user", new(DownloadCatalog.MovieLensSmall.Name,
            "ratings.csv + movies.csv (ml-latest-small, ml-25m, …), u.data + u.item (ml-100k) or ratings.dat + movies.dat (ml-1m)",
            RealDatasets.MovieLens)),
        ["taobao"] = Real("Taobao UserBehavior events as clicks, log protocol, split by user", new(DownloadCatalog.Taobao.Name,
            "UserBehavior.csv (or one UserBehavior*.csv sample)", RealDatasets.Taobao)),
        ["amazon-reviews"] = Real("raw Amazon reviews as clicks, log protocol, split by user", new(DownloadCatalog.AmazonElectronics.Name,
            "one reviews_<Category>_5.json(.gz), optionally meta_<Category>.json(.gz)", RealDatasets.AmazonReviews)),
        ["amazon-books-dien"] = Real("DIEN's preprocessed Amazon Books split, used as is (+ validation slice of train users)",
            new(DownloadCatalog.AmazonBooksDien.Name, "local_train_splitByUser, local_test_splitByUser and item-info (or local_train, local_test)",
                RealDatasets.AmazonBooksDien)),
    };

    public static IReadOnlyList<string> Names => registry.Keys.ToList();

    public static string Describe(string name) => Lookup(name).Description;

    /// <summary>The folder a real data set is read from when no data folder is given; null for synthetic sets.</summary>
    public static string? DefaultDataDirectory(string name) => Lookup(name).Real is { } real ? DownloadCatalog.DefaultFolder(real.Download) : null;

    /// <summary>The <c>data download</c> name that provides a real data set's files; null for synthetic sets.</summary>
    public static string? DownloadName(string name) => Lookup(name).Real?.Download;

    /// <param name="name">One of <see cref="Names"/> (case-insensitive).</param>
    /// <param name="dataDir">Folder (or, for taobao and amazon-reviews, file) of a real data set; null = <see cref="DefaultDataDirectory"/>. Ignored by the synthetic sets.</param>
    /// <param name="seed">Seeds generation, negative sampling and splits.</param>
    public static CtrDataset Load(string name, string? dataDir = null, int seed = 42) => Lookup(name).Load(dataDir, seed);

    private static Entry Real(string description, RealSource source) =>
        new($"{description}; needs {source.ExpectedFiles} (data download {source.Download})", (dataDir, seed) => LoadReal(source, dataDir, seed), source);

    /// <summary>Loads a real data set, turning a missing folder or file into an error that says what to put where and how to get it.</summary>
    private static CtrDataset LoadReal(RealSource source, string? dataDir, int seed)
    {
        var folder = dataDir ?? DownloadCatalog.DefaultFolder(source.Download);
        string Help(string problem) =>
            $"{problem}. Expected {source.ExpectedFiles} in the data folder {folder}. Get them with " +
            $"`dotnet run --project lib/DeepInterest.Cli -- data download {source.Download}` (into {DownloadCatalog.DefaultFolder(source.Download)}, " +
            "the default data folder) or pass the folder that holds them with --data-dir DIR.";
        if (!Directory.Exists(folder) && !File.Exists(folder))
            throw new DirectoryNotFoundException(Help(dataDir is null ? "no --data-dir given and the default data folder does not exist" : $"the data folder {folder} does not exist"));
        try
        {
            return source.Load(folder, seed);
        }
        catch (IOException e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException(Help(e.Message), (e as FileNotFoundException)?.FileName, e);
        }
    }

    private static Entry Lookup(string name) =>
        registry.TryGetValue(name, out var entry)
            ? entry
            : throw new ArgumentException($"unknown data set '{name}'; expected one of: {string.Join(", ", registry.Keys)}", nameof(name));
}
