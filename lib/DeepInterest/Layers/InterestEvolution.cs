using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepInterest.Layers;

/// <summary>DIEN's interest-evolving layer variants (paper §4.3, ablation in Table 4 / Fig. 3).</summary>
public enum InterestEvolutionKind
{
    /// <summary>Plain GRU over the interest states, candidate-blind.</summary>
    Gru,
    /// <summary>GRU with attentional input, i'_t = a_t · h_t.</summary>
    Aigru,
    /// <summary>Attention replaces the update gate, Eq. (7).</summary>
    Agru,
    /// <summary>Attention scales the update gate, Eq. (8) — DIEN's choice.</summary>
    Augru,
}

/// <summary>The evolved interest (B, H); attention (B, T) unless the variant is <see cref="InterestEvolutionKind.Gru"/>; mean update gate (B, T) when recorded.</summary>
public sealed record EvolvedInterest(Tensor Final, Tensor? Attention, Tensor? UpdateGates);

/// <summary>
/// DIEN's interest-evolving layer (Zhou et al., AAAI'19, §4.3): attention of each interest state h_t to the candidate
/// e_c, Eq. (5), a_t = exp(h_t W e_c) / Σ_j exp(h_j W e_c) over real steps only, then a second <see cref="MaskedGru"/>
/// over the h_t whose input or update gate is steered by a_t. The evolved interest is the state at T−1, i.e. after each
/// sequence's last real behaviour (left padding).
/// </summary>
public sealed class InterestEvolution : Module<Tensor, Tensor, Tensor, EvolvedInterest>
{
    private readonly Linear? attentionWeight;  // e_c → W e_c, Eq. (5)
    private readonly MaskedGru evolution;
    private readonly InterestEvolutionKind kind;

    public InterestEvolution(long hiddenSize, long candidateSize, InterestEvolutionKind kind) : base(nameof(InterestEvolution))
    {
        this.kind = kind;
        if (kind != InterestEvolutionKind.Gru) attentionWeight = Linear(candidateSize, hiddenSize, hasBias: false);
        evolution = new MaskedGru(hiddenSize, hiddenSize, kind switch
        {
            InterestEvolutionKind.Augru => UpdateGateAttention.Scale,
            InterestEvolutionKind.Agru => UpdateGateAttention.Replace,
            InterestEvolutionKind.Gru or InterestEvolutionKind.Aigru => UpdateGateAttention.None,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown interest evolution variant"),
        });
        RegisterComponents();
    }

    /// <summary>When on, <see cref="EvolvedInterest.UpdateGates"/> holds the mean (attention-scaled) update gate per step.</summary>
    public bool RecordUpdateGates { get => evolution.RecordUpdateGates; set => evolution.RecordUpdateGates = value; }

    /// <summary>Interest states (B, T, H), candidate embedding (B, E), mask (B, T) bool true at real steps.</summary>
    public override EvolvedInterest forward(Tensor states, Tensor candidate, Tensor mask)
    {
        using var scope = NewDisposeScope();
        Tensor? attention = null;
        if (attentionWeight is not null)
        {
            var projected = attentionWeight.forward(candidate).unsqueeze(-1);          // (B, H, 1) W e_c
            var scores = states.bmm(projected).squeeze(-1);                            // (B, T) h_t W e_c
            attention = MaskedSoftmax(scores, mask);                                   // (B, T) Eq. (5)
        }
        var evolved = kind switch
        {
            InterestEvolutionKind.Aigru => evolution.forward(states * attention!.unsqueeze(-1), mask, null),
            InterestEvolutionKind.Gru => evolution.forward(states, mask, null),
            _ => evolution.forward(states, mask, attention),
        };
        return new EvolvedInterest(evolved.Final.MoveToOuterDisposeScope(), attention?.MoveToOuterDisposeScope(),
            evolved.UpdateGates?.MoveToOuterDisposeScope());
    }

    /// <summary>Softmax over the real steps; padded steps and all-padding rows get weight 0 (never NaN).</summary>
    private static Tensor MaskedSoftmax(Tensor scores, Tensor mask)
    {
        var real = mask.to_type(scores.dtype);                                         // (B, T)
        var lowest = finfo(scores.dtype).min;                                          // finite in any float type, unlike −∞
        var weights = scores.masked_fill(mask.logical_not(), lowest).softmax(1);       // (B, T), uniform on all-padding rows
        return weights * real;                                                         // (B, T)
    }
}
