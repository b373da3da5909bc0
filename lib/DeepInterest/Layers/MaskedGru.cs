using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepInterest.Layers;

/// <summary>How an attention score a_t enters the update gate of a <see cref="MaskedGru"/> (DIEN paper §4.3).</summary>
public enum UpdateGateAttention
{
    /// <summary>Plain GRU: ũ_t = u_t.</summary>
    None,
    /// <summary>AUGRU, Eq. (8): ũ_t = a_t·u_t.</summary>
    Scale,
    /// <summary>AGRU, Eq. (7): ũ_t = a_t; the cell has no update gate at all.</summary>
    Replace,
}

/// <summary>
/// A masked GRU's results: every step's state (zero at padding) and the final state; when recorded, the mean update gate
/// ũ_t per step and each step's <see cref="Contributions">contribution</see> to the final state.
/// </summary>
/// <param name="Contributions">
/// Unrolling h_t = (1 − ũ_t) ∘ h_{t−1} + ũ_t ∘ h̃_t from h_{−1} = 0 gives h_{T−1} = Σ_t c_t ∘ h̃_t with
/// c_t = ũ_t ∘ Π_{k&gt;t} (1 − ũ_k): how much of the final state step t wrote and later steps kept. Recorded as the mean
/// of c_t over units (B, T), zero at padding; it sums to at most 1 per row.
/// </param>
public sealed record GruStates(Tensor Outputs, Tensor Final, Tensor? UpdateGates, Tensor? Contributions = null);

/// <summary>
/// GRU over left-padded sequences with an optionally attention-controlled update gate (DIEN, Zhou et al., AAAI'19,
/// Eq. 1–4, 7, 8). With inputs i_t, reset r_t, update u_t, candidate h̃_t:
/// <code>
///   r_t = σ(W_r i_t + b_r + U_r h_{t−1})              (Eq. 2)
///   u_t = σ(W_u i_t + b_u + U_u h_{t−1})              (Eq. 1)
///   h̃_t = tanh(W_h i_t + b_h + r_t ∘ U_h h_{t−1})     (Eq. 3)
///   h_t = (1 − ũ_t) ∘ h_{t−1} + ũ_t ∘ h̃_t,  ũ_t = m_t · {u_t | a_t·u_t | a_t}   (Eq. 4, 8, 7)
/// </code>
/// The mask m_t ∈ {0, 1} folded into ũ_t carries the state unchanged over padding, so with left padding the state at
/// T−1 is each sequence's state after its last real behaviour, and no state is taken after padding. A left-padding mask
/// (every row's real steps are its last ones) is packed: rows sorted by length once, each step runs only on the rows
/// whose history has started, padding is never computed. Any other mask (holes) runs every position with the same
/// result as the textbook cell. The input projections of all steps are one matmul before the loop, each step does one
/// hidden-side matmul and the gates, and the backward pass is derived by hand (<see cref="MaskedGruFunction"/>);
/// <see cref="ReferenceGruCell"/> is the same recurrence written step by step for autograd.
/// </summary>
public sealed class MaskedGru : Module<Tensor, Tensor, Tensor?, GruStates>
{
    private readonly Linear input;      // i_t → [W_r; W_u; W_h] i_t + b, u only when the cell has an update gate
    private readonly Linear recurrent;  // h → [U_r; U_u; U_h] h, no bias (Eq. 1–3 have one bias per gate)
    private readonly UpdateGateAttention attentionMode;

    public long InputSize { get; }
    public long HiddenSize { get; }
    /// <summary>When on, <see cref="GruStates.UpdateGates"/> and <see cref="GruStates.Contributions"/> are recorded (B, T).</summary>
    public bool RecordUpdateGates { get; set; }

    public MaskedGru(long inputSize, long hiddenSize, UpdateGateAttention attention = UpdateGateAttention.None) : base(nameof(MaskedGru))
    {
        if (inputSize < 1) throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, "GRU input size must be positive");
        if (hiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, "GRU hidden size must be positive");
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        attentionMode = attention;
        input = Linear(inputSize, GateCount * hiddenSize);
        recurrent = Linear(hiddenSize, GateCount * hiddenSize, hasBias: false);
        RegisterComponents();
    }

    /// <summary>Gates stacked in the weights: reset, update (unless AGRU), candidate.</summary>
    internal int GateCount => attentionMode == UpdateGateAttention.Replace ? 2 : 3;
    internal UpdateGateAttention AttentionMode => attentionMode;
    internal Tensor InputWeight => input.weight!;     // (G·H, I)
    internal Tensor InputBias => input.bias!;         // (G·H)
    internal Tensor RecurrentWeight => recurrent.weight!; // (G·H, H)

    /// <summary>Inputs (B, T, I), mask (B, T) bool true at real steps (left padding), attention (B, T) for AUGRU/AGRU.</summary>
    public override GruStates forward(Tensor inputs, Tensor mask, Tensor? attention)
    {
        Validate(inputs, mask, attention);
        using var scope = NewDisposeScope();
        var stepMask = mask.to_type(inputs.dtype);                                     // (B, T) m_t
        var stepWeight = attentionMode == UpdateGateAttention.None ? stepMask : stepMask * attention!; // (B, T) m_t(·a_t)
        bool backwardFollows = is_grad_enabled() && parameters().Append(inputs).Append(stepWeight).Any(p => p.requires_grad);
        var results = MaskedGruFunction.Apply(inputs, input.weight!, input.bias!, recurrent.weight!, stepWeight, mask,
            RecordUpdateGates, backwardFollows);                                       // (B, T, H), (B, H)[, (B, T, H) ũ]
        if (!RecordUpdateGates) return new GruStates(results[0].MoveToOuterDisposeScope(), results[1].MoveToOuterDisposeScope(), null);
        var updates = results[2];                                                      // (B, T, H)
        return new GruStates(results[0].MoveToOuterDisposeScope(), results[1].MoveToOuterDisposeScope(),
            updates.mean([2]).MoveToOuterDisposeScope(), Contributions(updates.unbind(1)).MoveToOuterDisposeScope());
    }

    /// <summary>c_t = ũ_t ∘ Π_{k&gt;t} (1 − ũ_k), averaged over units: walked backwards, keeping what later steps retain.</summary>
    private static Tensor Contributions(Tensor[] updates)
    {
        var retained = ones_like(updates[0]);                                          // (B, H) Π_{k>t} (1 − ũ_k)
        var contributions = new Tensor[updates.Length];
        for (int s = updates.Length - 1; s >= 0; s--)
        {
            contributions[s] = (updates[s] * retained).mean([1]);                      // (B)
            retained = retained * (1 - updates[s]);                                    // (B, H)
        }
        return stack(contributions, 1);                                                // (B, T)
    }

    private void Validate(Tensor inputs, Tensor mask, Tensor? attention)
    {
        if (inputs.dim() != 3 || inputs.shape[2] != InputSize)
            throw new ArgumentException($"MaskedGru expects inputs (B, T, {InputSize}), got ({string.Join(", ", inputs.shape)})", nameof(inputs));
        if (inputs.shape[1] < 1)
            throw new ArgumentException("MaskedGru needs at least one time step (a batch pads empty histories to T = 1)", nameof(inputs));
        if (mask.dtype != ScalarType.Bool || !mask.shape.SequenceEqual(inputs.shape[..2]))
            throw new ArgumentException($"MaskedGru expects a bool mask ({inputs.shape[0]}, {inputs.shape[1]}), got {mask.dtype} ({string.Join(", ", mask.shape)})", nameof(mask));
        if (attentionMode != UpdateGateAttention.None && (attention is null || !attention.shape.SequenceEqual(inputs.shape[..2])))
            throw new ArgumentException($"MaskedGru with {attentionMode} attention needs attention scores ({inputs.shape[0]}, {inputs.shape[1]})", nameof(attention));
        if (attention is not null && attention.dtype != inputs.dtype)
            throw new ArgumentException($"MaskedGru's attention scores must have the inputs' dtype {inputs.dtype}, got {attention.dtype}", nameof(attention));
        if (attentionMode == UpdateGateAttention.None && attention is not null)
            throw new ArgumentException("a plain MaskedGru takes no attention scores; construct it with UpdateGateAttention.Scale or Replace", nameof(attention));
    }
}
