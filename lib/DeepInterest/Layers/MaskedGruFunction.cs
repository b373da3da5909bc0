using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace DeepInterest.Layers;

/// <summary>
/// <see cref="MaskedGru"/>'s recurrence as one autograd node with a hand-derived backward pass (back-propagation
/// through time), so that autograd records one node instead of about ten per step. With step weights w_t (the mask
/// m_t, or m_t·a_t for AUGRU and AGRU), per step
/// <code>
///   q_t = U h_{t−1}                        one (B, H) × (H, G·H) matmul: [q_r; q_u; q_h]
///   r_t = σ(p_r + q_r),  u_t = σ(p_u + q_u)          p = W i_t + b, all steps in one matmul up front
///   h̃_t = tanh(p_h + r_t ∘ q_h)
///   ũ_t = w_t·u_t  (AGRU: ũ_t = w_t)
///   h_t = h_{t−1} + ũ_t ∘ (h̃_t − h_{t−1})
/// </code>
/// and the outputs are m_t·h_t (B, T, H) and h_{T−1} (B, H). Backward, with g_t = ∂L/∂h_t in total (from the output at t
/// and from step t+1), everything that does not depend on g is computed for all steps at once first:
/// <code>
///   K_h = ũ ∘ (1 − h̃²)                      so ∂L/∂p_h = g ∘ K_h
///   K_r = K_h ∘ q_h ∘ r ∘ (1 − r)            so ∂L/∂p_r = ∂L/∂q_r = g ∘ K_r
///   K_u = (h̃ − h_{t−1}) ∘ w ∘ u ∘ (1 − u)    so ∂L/∂p_u = ∂L/∂q_u = g ∘ K_u
///   ∂L/∂q_h = g ∘ K_h ∘ r
/// </code>
/// then the loop back over the steps needs one multiply, one fused multiply-add and one matmul:
/// g_{t−1} = m_{t−1}·∂L/∂y_{t−1} + g_t ∘ (1 − ũ_t) + (∂L/∂q_t) U. The weight gradients are one matmul each over all
/// B·T rows afterwards: ∂L/∂U = Σ_t (∂L/∂q_t)ᵀ h_{t−1}, ∂L/∂W = Σ_t (∂L/∂p_t)ᵀ i_t, ∂L/∂b = Σ_t ∂L/∂p_t,
/// ∂L/∂i_t = (∂L/∂p_t) W, and ∂L/∂w_t = Σ_units g_t ∘ (h̃_t − h_{t−1}) ∘ u_t (AGRU: without u_t). The mask and w_t
/// come from the caller, so autograd carries ∂L/∂w_t on to the attention through w_t = m_t·a_t.
/// Not twice differentiable (the backward pass runs without recording).
/// </summary>
internal sealed class MaskedGruFunction : MultiTensorFunction<MaskedGruFunction>
{
    public override string Name => nameof(MaskedGruFunction);

    /// <summary>
    /// Runs the recurrence. Arguments: inputs (B, T, I), input weight (G·H, I), input bias (G·H), recurrent weight
    /// (G·H, H), step weights w (B, T), mask m (B, T) in the inputs' dtype, whether to return ũ (B, T, H) as a third
    /// output (not differentiable), and whether a backward pass can follow (else nothing is kept for it).
    /// </summary>
    public static List<Tensor> Apply(Tensor inputs, Tensor inputWeight, Tensor inputBias, Tensor recurrentWeight,
        Tensor stepWeights, Tensor mask, bool recordUpdates, bool backwardFollows) =>
        apply(inputs, inputWeight, inputBias, recurrentWeight, stepWeights, mask, recordUpdates, backwardFollows);

    public override List<Tensor> forward(AutogradContext ctx, params object[] vars)
    {
        var (inputs, inputWeight, inputBias, recurrentWeight) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3]);
        var (stepWeights, mask) = ((Tensor)vars[4], (Tensor)vars[5]);
        bool recordUpdates = (bool)vars[6], backwardFollows = (bool)vars[7];
        using var scope = NewDisposeScope();
        long b = inputs.shape[0], t = inputs.shape[1], h = recurrentWeight.shape[1], gateRows = recurrentWeight.shape[0];
        bool hasUpdateGate = gateRows == 3 * h;
        // Time-major buffers, so that each step reads and writes contiguous (B, ·) slices in place.
        var flatInputs = inputs.transpose(0, 1).reshape(t * b, inputs.shape[2]);       // (T·B, I)
        var gates = inputBias.addmm(flatInputs, inputWeight.t()).view(t, b, gateRows); // (T, B, G·H) p = W i_t + b, then [r, u, h̃]
        var fromState = empty(t, b, gateRows, dtype: inputs.dtype, device: inputs.device); // (T, B, G·H) q = U h_{t−1}
        var states = zeros(t + 1, b, h, dtype: inputs.dtype, device: inputs.device);  // (T + 1, B, H) h_{−1} … h_{T−1}
        var weights = stepWeights.t().unsqueeze(-1);                                   // (T, B, 1) w_t
        var candidateBlock = gates.narrow(2, gateRows - h, h);                         // (T, B, H)
        candidateBlock.mul_(2);                                                        // tanh(z) = 2σ(2z) − 1: libtorch's CPU tanh is far slower than σ
        var (sigmoidGates, resets, candidates) = (gates.narrow(2, 0, gateRows - h).unbind(0), gates.narrow(2, 0, h).unbind(0), candidateBlock.unbind(0));
        var updateGates = hasUpdateGate ? gates.narrow(2, h, h).unbind(0) : null;      // T × (B, H) u_t
        var (hiddenAll, hiddenSigmoid, hiddenCandidate) = (fromState.unbind(0), fromState.narrow(2, 0, gateRows - h).unbind(0), fromState.narrow(2, gateRows - h, h).unbind(0));
        var (stateAt, stepWeight) = (states.unbind(0), weights.unbind(0));
        var hiddenWeight = recurrentWeight.t();                                        // (H, G·H)
        for (int s = 0; s < t; s++)
        {
            hiddenAll[s].addmm_(stateAt[s], hiddenWeight, beta: 0);                    // (B, G·H) q_t, the one matmul of the step
            sigmoidGates[s].add_(hiddenSigmoid[s]).sigmoid_();                         // (B, (G−1)·H) r_t[, u_t]
            var candidate = candidates[s].addcmul_(resets[s], hiddenCandidate[s], 2).sigmoid_().mul_(2).sub_(1); // (B, H) h̃_t
            var update = hasUpdateGate ? updateGates![s].mul(stepWeight[s]) : stepWeight[s]; // (B, H) or (B, 1) ũ_t
            stateAt[s + 1].copy_(stateAt[s]).lerp_(candidate, update);                 // (B, H) h + ũ∘(h̃ − h)
        }
        var keep = mask.t().unsqueeze(-1);                                             // (T, B, 1) m_t
        var outputs = new List<Tensor>
        {
            states.narrow(0, 1, t).mul(keep).transpose(0, 1).contiguous().MoveToOuterDisposeScope(), // (B, T, H) m_t·h_t
            stateAt[t].clone().MoveToOuterDisposeScope(),                              // (B, H) h_{T−1}
        };
        if (recordUpdates)
        {
            var updates = hasUpdateGate ? gates.narrow(2, h, h) * weights : weights.expand(t, b, h); // (T, B, H) ũ
            outputs.Add(updates.transpose(0, 1).contiguous().MoveToOuterDisposeScope());          // (B, T, H)
            ctx.mark_non_differentiable([outputs[2]]);
        }
        if (backwardFollows)
        {
            var saved = new List<Tensor> { flatInputs, inputWeight, recurrentWeight, keep, weights, states, gates, fromState.narrow(2, gateRows - h, h) };
            foreach (var tensor in saved) tensor.MoveToOuterDisposeScope();            // alive until the node saves them
            ctx.save_for_backward(saved);
            // Unused outputs get no gradient rather than zeros: TorchSharp would build those zeros from copies of the
            // outputs made in the caller's dispose scope, which are gone by the time backward runs.
            ctx.set_materialize_grads(false);
            ctx.save_data("inputs", new GradientNeeds(inputs.requires_grad, stepWeights.requires_grad));
        }
        return outputs;
    }

    public override List<Tensor> backward(AutogradContext ctx, List<Tensor> gradOutputs)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var (flatInputs, inputWeight, recurrentWeight, keep, weights) = (saved[0], saved[1], saved[2], saved[3], saved[4]);
        var (states, gates, candidateHidden) = (saved[5], saved[6], saved[7]);        // (T + 1, B, H), (T, B, G·H), (T, B, H)
        var needs = (GradientNeeds)ctx.get_data("inputs");
        long t = gates.shape[0], b = gates.shape[1], h = states.shape[2], gateCount = recurrentWeight.shape[0] / h;
        bool hasUpdateGate = gateCount == 3;

        var previous = states.narrow(0, 0, t);                                         // (T, B, H) h_{t−1}
        var reset = gates.narrow(2, 0, h);                                             // (T, B, H) r
        var candidates = gates.narrow(2, (gateCount - 1) * h, h);                      // (T, B, H) h̃
        var updateGate = hasUpdateGate ? gates.narrow(2, h, h) : null;                 // (T, B, H) u
        var updates = hasUpdateGate ? updateGate! * weights : weights;                 // (T, B, H) or (T, B, 1) ũ
        var kCandidate = updates.addcmul(updates * candidates, candidates, -1);        // (T, B, H) ũ∘(1 − h̃²)
        var kReset = kCandidate * candidateHidden * reset.addcmul(reset, reset, -1);  // (T, B, H) K_h∘q_h∘r∘(1 − r)
        var change = candidates - previous;                                            // (T, B, H) h̃ − h_{t−1}
        var blocks = hasUpdateGate
            ? new[] { kReset, updates.addcmul(updates, updateGate!, -1).mul_(change), kCandidate * reset } // K_u = w∘u∘(1−u)∘(h̃−h)
            : new[] { kReset, kCandidate * reset };
        var projectedGrad = stack(blocks, 2);                                          // (T, B, G, H) ∂q_t/∂… per unit of g_t, then ∂L/∂q
        var perStep = projectedGrad.unbind(0);                                         // T × (B, G, H)
        var carry = (1 - updates).unbind(0);                                           // T × (B, H) or (B, 1) 1 − ũ_t
        var stateGrad = Defined(gradOutputs[0])                                        // (T, B, H) m_t·∂L/∂y_t, then g_t
            ? gradOutputs[0].transpose(0, 1).mul(keep).contiguous()
            : zeros_like(previous);
        var stateGrads = stateGrad.unbind(0);                                          // T × (B, H)
        if (Defined(gradOutputs[1])) stateGrads[t - 1].add_(gradOutputs[1]);           // g_{T−1}
        for (long s = t - 1; s >= 0; s--)
        {
            var hiddenGrad = perStep[s].mul_(stateGrads[s].unsqueeze(1));             // (B, G, H) ∂L/∂q_t
            if (s > 0) stateGrads[s - 1].addcmul_(stateGrads[s], carry[s], 1).addmm_(hiddenGrad.view(b, gateCount * h), recurrentWeight); // (B, H) g_{t−1}
        }
        var flatProjected = projectedGrad.view(t * b, gateCount * h);                  // (T·B, G·H)
        var recurrentGrad = flatProjected.t().mm(previous.reshape(t * b, h));          // (G·H, H)
        projectedGrad.select(2, gateCount - 1).copy_(stateGrad * kCandidate);          // ∂L/∂p_h = g∘K_h (∂L/∂q_h has the extra r)
        var inputWeightGrad = flatProjected.t().mm(flatInputs);                        // (G·H, I)
        var inputBiasGrad = flatProjected.sum(0L);                                     // (G·H)
        var inputGrad = needs.Inputs ? flatProjected.mm(inputWeight).view(t, b, -1).transpose(0, 1) : null; // (B, T, I)
        Tensor? stepWeightGrad = null;
        if (needs.StepWeights)
        {
            var written = stateGrad * change;                                          // (T, B, H) g∘(h̃ − h_{t−1})
            stepWeightGrad = (hasUpdateGate ? written.mul_(updateGate!) : written).sum(2).t(); // (B, T)
        }
        var grads = new List<Tensor> { inputGrad!, inputWeightGrad, inputBiasGrad, recurrentGrad, stepWeightGrad!, null!, null!, null! };
        foreach (var grad in grads) grad?.MoveToOuterDisposeScope();
        ctx.save_data("gradients", grads); // keeps them reachable until libtorch has taken them, whatever the caller's scopes
        return grads;
    }

    private static bool Defined(Tensor? gradient) => gradient is not null && !gradient.IsInvalid;

    /// <summary>Which input gradients the backward pass computes.</summary>
    private sealed record GradientNeeds(bool Inputs, bool StepWeights);
}
