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
            ["avgpool"] = ("Embedding & MLP baseline: mean-pooled history + candidate → MLP 200-80 (DIN paper §4.2)",
                (space, o) => new EmbeddingMlp(space, o)),
            ["din"] = ("DIN: local activation unit (raw attention weights) + MLP 200-80, PReLU (Zhou et al., KDD'18)",
                (space, o) => new Din(space, o)),
            ["din-dice-mba"] = ("DIN with Dice activations and mini-batch-aware L2 on the embeddings (paper §4.1, §4.3)",
                (space, o) => new Din(space, o, new DinConfig { Activation = Activation.Dice, MbaLambda = DinConfig.SuggestedMbaLambda })),
            ["dien"] = ("DIEN: GRU interest extractor + auxiliary loss, AUGRU interest evolution (Zhou et al., AAAI'19)",
                (space, o) => new Dien(space, new DienConfig { EmbeddingDim = o.EmbeddingDim })),
            ["dsin"] = ("DSIN: 30-min sessions, self-attention with bias encoding per session, Bi-LSTM across sessions, two candidate attentions (Feng et al., IJCAI'19)",
                (space, o) => new Dsin(space, o)),
            ["bst"] = ("Behavior Sequence Transformer: self-attention over history + candidate with time-gap positions (Chen et al., DLP-KDD'19)",
                (space, o) => new Bst(space, o)),
            ["dien-gru"] = ("DIEN ablation: candidate-blind GRU instead of AUGRU",
                (space, o) => new Dien(space, new DienConfig { EmbeddingDim = o.EmbeddingDim, Evolution = InterestEvolutionKind.Gru })),
            ["dien-aigru"] = ("DIEN ablation: AIGRU, attention scales the GRU input",
                (space, o) => new Dien(space, new DienConfig { EmbeddingDim = o.EmbeddingDim, Evolution = InterestEvolutionKind.Aigru })),
            ["dien-agru"] = ("DIEN ablation: AGRU, attention replaces the update gate",
                (space, o) => new Dien(space, new DienConfig { EmbeddingDim = o.EmbeddingDim, Evolution = InterestEvolutionKind.Agru })),
        };

    public static IReadOnlyList<string> Names => registry.Keys.ToList();

    /// <summary>The six models of the course, in teaching order: what <c>compare</c> runs by default.</summary>
    public static IReadOnlyList<string> Course { get; } = ["avgpool", "din", "din-dice-mba", "dien", "dsin", "bst"];

    public static string Describe(string name) => Lookup(name).Description;

    public static CtrModel Create(string name, FeatureSpace space, ModelOptions? options = null) =>
        Lookup(name).Create(space, options ?? new ModelOptions());

    private static (string Description, Func<FeatureSpace, ModelOptions, CtrModel> Create) Lookup(string name) =>
        registry.TryGetValue(name, out var entry)
            ? entry
            : throw new ArgumentException($"unknown model '{name}'; expected one of: {string.Join(", ", registry.Keys)}", nameof(name));
}
