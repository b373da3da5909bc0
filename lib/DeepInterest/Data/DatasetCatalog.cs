namespace DeepInterest.Data;

/// <summary>The data sets <c>compare --data NAME</c> and the notebooks know by name.</summary>
public static class DatasetCatalog
{
    private static readonly Dictionary<string, (string Description, Func<string?, int, CtrDataset> Load)> registry =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["synthetic"] = ("built-in synthetic data, default size (planted interests, drift and sessions; data/README.md)",
                (_, seed) => SyntheticData.Generate(SyntheticConfig.Default with { Seed = seed }).ToDataset(seed)),
            ["synthetic-tiny"] = ("built-in synthetic data, tiny (tests, smoke runs)",
                (_, seed) => SyntheticData.Generate(SyntheticConfig.Tiny with { Seed = seed }).ToDataset(seed)),
            ["synthetic-large"] = ("built-in synthetic data, large",
                (_, seed) => SyntheticData.Generate(SyntheticConfig.Large with { Seed = seed }).ToDataset(seed)),
        };

    public static IReadOnlyList<string> Names => registry.Keys.ToList();

    public static string Describe(string name) => Lookup(name).Description;

    /// <param name="dataDir">Folder holding the files of a real data set (ignored by the synthetic ones).</param>
    /// <param name="seed">Seeds generation, negative sampling and splits.</param>
    public static CtrDataset Load(string name, string? dataDir = null, int seed = 42) => Lookup(name).Load(dataDir, seed);

    private static (string Description, Func<string?, int, CtrDataset> Load) Lookup(string name) =>
        registry.TryGetValue(name, out var entry)
            ? entry
            : throw new ArgumentException($"unknown data set '{name}'; expected one of: {string.Join(", ", registry.Keys)}", nameof(name));
}
