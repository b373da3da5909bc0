using DeepInterest.Layers;

namespace DeepInterest.Models;

/// <summary>Shared model size knobs; each model's own config record adds its specifics.</summary>
public sealed record ModelOptions
{
    /// <summary>Embedding size per sparse field (item, category); a behaviour is 2× this.</summary>
    public int EmbeddingDim { get; init; } = 32;
}

/// <summary>The models of the course by name, as used by <c>compare --models</c> and the notebooks.</summary>
public static class ModelZoo
{
    private static readonly Dictionary<string, (string Description, Func<FeatureSpace, ModelOptions, CtrModel> Create)> registry =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["dien"] = ("DIEN: GRU interest extractor + auxiliary loss, AUGRU interest evolution (Zhou et al., AAAI'19)", (s, o) => new Dien(s, new DienConfig { EmbeddingDim = o.EmbeddingDim })),
            ["dien-gru"] = ("DIEN ablation: candidate-blind GRU instead of AUGRU", (s, o) => new Dien(s, new DienConfig { EmbeddingDim = o.EmbeddingDim, Evolution = InterestEvolutionKind.Gru })),
            ["dien-aigru"] = ("DIEN ablation: AIGRU, attention scales the GRU input", (s, o) => new Dien(s, new DienConfig { EmbeddingDim = o.EmbeddingDim, Evolution = InterestEvolutionKind.Aigru })),
            ["dien-agru"] = ("DIEN ablation: AGRU, attention replaces the update gate", (s, o) => new Dien(s, new DienConfig { EmbeddingDim = o.EmbeddingDim, Evolution = InterestEvolutionKind.Agru })),
        };

    public static IReadOnlyList<string> Names => registry.Keys.ToList();

    public static string Describe(string name) => Lookup(name).Description;

    public static CtrModel Create(string name, FeatureSpace space, ModelOptions? options = null) =>
        Lookup(name).Create(space, options ?? new ModelOptions());

    private static (string Description, Func<FeatureSpace, ModelOptions, CtrModel> Create) Lookup(string name) =>
        registry.TryGetValue(name, out var entry)
            ? entry
            : throw new ArgumentException($"unknown model '{name}'; expected one of: {string.Join(", ", registry.Keys)}", nameof(name));
}
