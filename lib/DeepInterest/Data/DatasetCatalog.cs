using DeepInterest.Data.Download;
using DeepInterest.Data.Loaders;

namespace DeepInterest.Data;

/// <summary>How a named data set is turned into samples and vocabularies (the seed is passed on its own).</summary>
public sealed record DatasetOptions
{
    /// <summary>The negative rule of the log protocol (behaviour logs only: <see cref="DatasetCatalog.UsesLogProtocol"/>).</summary>
    public NegativeRule Negatives { get; init; } = NegativeRule.RepeatMatched;
    /// <summary>How the training vocabularies are built (every data set).</summary>
    public VocabularyConfig Vocabulary { get; init; } = new();
}

/// <summary>
/// The data sets <c>compare --data NAME</c> and the notebooks know by name: the built-in synthetic ones and the real
/// ones (data/README.md, "Real data sets"), which read their files from a data folder — by default
/// <see cref="DownloadCatalog.DefaultFolder"/> of the download that provides them. A real data set's name is its
/// <c>data download</c> name; the older names (<see cref="DatasetEntry.Aliases"/>) are accepted too.
/// </summary>
public static class DatasetCatalog
{
    /// <summary>A real data set: the download that provides its files, what it needs in the data folder, and its reader.</summary>
    private sealed record RealSource(DatasetEntry Download, string ExpectedFiles, Func<string, int, DatasetOptions, CtrDataset> Load, bool FromLog = true);

    private sealed record Entry(string Description, Func<string?, int, DatasetOptions, CtrDataset> Load, RealSource? Real = null);

    private const string MovieLensFiles =
        "ratings.csv + movies.csv (ml-latest-small, ml-25m, …), u.data + u.item (ml-100k) or ratings.dat + movies.dat (ml-1m)";

    private static readonly Dictionary<string, Entry> registry = new(StringComparer.OrdinalIgnoreCase)
    {
        ["synthetic"] = new("built-in synthetic data, default size (planted interests, drift and sessions; data/README.md)",
            (_, seed, options) => SyntheticData.Generate(SyntheticConfig.Default with { Seed = seed }).ToDataset(seed, options.Vocabulary)),
        ["synthetic-tiny"] = new("built-in synthetic data, tiny (tests, smoke runs)",
            (_, seed, options) => SyntheticData.Generate(SyntheticConfig.Tiny with { Seed = seed }).ToDataset(seed, options.Vocabulary)),
        ["synthetic-large"] = new("built-in synthetic data, large",
            (_, seed, options) => SyntheticData.Generate(SyntheticConfig.Large with { Seed = seed }).ToDataset(seed, options.Vocabulary)),
        [DownloadCatalog.MovieLensSmall.Name] = Real("MovieLens latest-small ratings as clicks, log protocol, split by user",
            new(DownloadCatalog.MovieLensSmall, MovieLensFiles, RealDatasets.MovieLens)),
        [DownloadCatalog.MovieLens1M.Name] = Real("MovieLens 1M ratings as clicks, log protocol, split by user",
            new(DownloadCatalog.MovieLens1M, MovieLensFiles, RealDatasets.MovieLens)),
        [DownloadCatalog.AmazonBooksDien.Name] = Real("DIEN's preprocessed Amazon Books split, used as is (+ validation slice of train users)",
            new(DownloadCatalog.AmazonBooksDien, "local_train_splitByUser, local_test_splitByUser and item-info (or local_train, local_test)",
                RealDatasets.AmazonBooksDien, FromLog: false)),
        [DownloadCatalog.AmazonElectronics.Name] = Real("raw Amazon reviews as clicks (Electronics, or any category's file in --data-dir), log protocol, split by user",
            new(DownloadCatalog.AmazonElectronics, "one reviews_<Category>_5.json(.gz), optionally meta_<Category>.json(.gz)", RealDatasets.AmazonReviews)),
        [DownloadCatalog.Taobao.Name] = Real("Taobao UserBehavior events as clicks, log protocol, split by user",
            new(DownloadCatalog.Taobao, "UserBehavior.csv (or one UserBehavior*.csv sample)", RealDatasets.Taobao)),
    };

    /// <summary>The canonical names, synthetic ones first, then the real ones in <see cref="DownloadCatalog.All"/> order.</summary>
    public static IReadOnlyList<string> Names => registry.Keys.ToList();

    /// <summary>Older names and the canonical name each stands for.</summary>
    public static IReadOnlyDictionary<string, string> Aliases { get; } =
        registry.Values.Select(e => e.Real?.Download).OfType<DatasetEntry>()
            .SelectMany(d => d.Aliases.Select(alias => (alias, d.Name)))
            .ToDictionary(p => p.alias, p => p.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The canonical name of <paramref name="name"/> (a name or an alias, case-insensitive); null when it is neither.</summary>
    public static string? Canonical(string name) =>
        Aliases.TryGetValue(name, out var canonical) ? canonical : registry.Keys.FirstOrDefault(key => string.Equals(key, name, StringComparison.OrdinalIgnoreCase));

    public static string Describe(string name) => Lookup(name).Description;

    /// <summary>The folder a real data set is read from when no data folder is given; null for synthetic sets.</summary>
    public static string? DefaultDataDirectory(string name) => Lookup(name).Real is { } real ? DownloadCatalog.DefaultFolder(real.Download.Name) : null;

    /// <summary>Whether the set's samples come from <see cref="LogProtocol"/> (so <see cref="DatasetOptions.Negatives"/> applies).</summary>
    public static bool UsesLogProtocol(string name) => Lookup(name).Real is { FromLog: true };

    /// <param name="name">One of <see cref="Names"/> or <see cref="Aliases"/> (case-insensitive).</param>
    /// <param name="dataDir">Folder (or, for taobao and amazon-electronics, file) of a real data set; null = <see cref="DefaultDataDirectory"/>. Ignored by the synthetic sets.</param>
    /// <param name="seed">Seeds generation, negative sampling and splits.</param>
    /// <param name="options">Negative rule and vocabulary settings; null = the defaults.</param>
    public static CtrDataset Load(string name, string? dataDir = null, int seed = 42, DatasetOptions? options = null) =>
        Lookup(name).Load(dataDir, seed, options ?? new DatasetOptions());

    private static Entry Real(string description, RealSource source) =>
        new($"{description}; needs {source.ExpectedFiles} (data download {source.Download.Name})", (dataDir, seed, options) => LoadReal(source, dataDir, seed, options), source);

    /// <summary>
    /// What is wrong when a real data set's folder (or file) is not there — <paramref name="dataDir"/>, or the default
    /// folder when it is null — with what to put where and how to get it; null when it is there or the set is synthetic.
    /// Checks only existence: the files inside are checked when the set loads.
    /// </summary>
    public static string? MissingDataProblem(string name, string? dataDir) =>
        Lookup(name).Real is { } source ? MissingDataProblem(source, dataDir) : null;

    private static string? MissingDataProblem(RealSource source, string? dataDir)
    {
        var folder = FolderOf(source, dataDir);
        if (Directory.Exists(folder) || File.Exists(folder)) return null;
        return Help(source, folder, dataDir is null ? "no --data-dir given and the default data folder does not exist" : $"the data folder {folder} does not exist");
    }

    private static string FolderOf(RealSource source, string? dataDir) => dataDir ?? DownloadCatalog.DefaultFolder(source.Download.Name);

    private static string Help(RealSource source, string folder, string problem) =>
        $"{problem}. Expected {source.ExpectedFiles} in the data folder {folder}. Get them with " +
        $"`dotnet run --project lib/DeepInterest.Cli -- data download {source.Download.Name}` (into {DownloadCatalog.DefaultFolder(source.Download.Name)}, " +
        "the default data folder) or pass the folder that holds them with --data-dir DIR.";

    /// <summary>Loads a real data set, turning a missing folder or file into an error that says what to put where and how to get it.</summary>
    private static CtrDataset LoadReal(RealSource source, string? dataDir, int seed, DatasetOptions options)
    {
        if (MissingDataProblem(source, dataDir) is { } problem) throw new DirectoryNotFoundException(problem);
        var folder = FolderOf(source, dataDir);
        try
        {
            return source.Load(folder, seed, options);
        }
        catch (IOException e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException(Help(source, folder, e.Message), (e as FileNotFoundException)?.FileName, e);
        }
    }

    private static Entry Lookup(string name) =>
        Canonical(name) is { } canonical
            ? registry[canonical]
            : throw new ArgumentException($"unknown data set '{name}'; expected one of: {string.Join(", ", registry.Keys)}", nameof(name));
}
