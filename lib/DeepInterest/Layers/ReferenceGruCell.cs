using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace DeepInterest.Layers;

/// <summary>
/// The textbook per-step form of <see cref="MaskedGru"/> with the same weights: each step projects its own input and
/// the previous state (W i_t + b, U h_{t−1}), splits the gates and applies DIEN's Eq. 1–4, 7, 8 term by term, then
/// keeps the old state at padding (h_t = m_t·h'_t + (1 − m_t)·h_{t−1}). Slow but obviously right: tests check the
/// fused layer against it and <see cref="Benchmarks.AugruBenchmark"/> measures the difference.
/// </summary>
public static class ReferenceGruCell
{
    /// <summary>Runs <paramref name="gru"/>'s weights step by step; returns every step's state (B, T, H), zero at padding, and the final state (B, H).</summary>
    public static (Tensor Outputs, Tensor Final) Run(MaskedGru gru, Tensor inputs, Tensor mask, Tensor? attention)
    {
        using var scope = NewDisposeScope();
        var stepMask = mask.to_type(inputs.dtype).unsqueeze(-1);                        // (B, T, 1)
        var state = zeros(inputs.shape[0], gru.HiddenSize, dtype: inputs.dtype, device: inputs.device); // (B, H)
        var outputs = new List<Tensor>();
        for (long s = 0; s < inputs.shape[1]; s++)
        {
            var fromInput = linear(inputs[.., (int)s], gru.InputWeight, gru.InputBias); // (B, G·H)
            var fromState = linear(state, gru.RecurrentWeight);                        // (B, G·H)
            var inputParts = fromInput.chunk(gru.GateCount, 1);
            var stateParts = fromState.chunk(gru.GateCount, 1);
            var reset = (inputParts[0] + stateParts[0]).sigmoid();                     // (B, H) Eq. 2
            var candidate = (inputParts[^1] + reset * stateParts[^1]).tanh();          // (B, H) Eq. 3
            var a = attention is null ? null : attention[.., (int)s].unsqueeze(-1);    // (B, 1)
            var update = gru.AttentionMode switch
            {
                UpdateGateAttention.None => (inputParts[1] + stateParts[1]).sigmoid(),     // Eq. 1
                UpdateGateAttention.Scale => a! * (inputParts[1] + stateParts[1]).sigmoid(), // Eq. 8
                _ => a!.expand(-1, gru.HiddenSize),                                        // Eq. 7
            };
            var next = (1 - update) * state + update * candidate;                     // (B, H) Eq. 4
            var m = stepMask[.., (int)s];                                              // (B, 1)
            state = m * next + (1 - m) * state;                                        // (B, H) padding keeps the state
            outputs.Add(m * state);
        }
        return (stack(outputs, 1).MoveToOuterDisposeScope(), state.MoveToOuterDisposeScope());
    }
}
