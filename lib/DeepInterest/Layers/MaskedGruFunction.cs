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
        long b = inputs.shape[0], t = inputs.shape[1], h = recurrentWeight.shape[1];
        long gateRows = recurrentWeight.shape[0], sigmoidWidth = gateRows - h;
        bool hasUpdateGate = gateRows == 3 * h;
        var flatInputs = inputs.reshape(b * t, inputs.shape[2]);                        // (B·T, I)
        var projected = inputBias.addmm(flatInputs, inputWeight.t()).view(b, t, gateRows); // (B, T, G·H) all steps
        var sigmoidInputs = projected.narrow(2, 0, sigmoidWidth).unbind(1);            // T × (B, (G−1)·H) p_r[, p_u]
        var candidateInputs = projected.narrow(2, sigmoidWidth, h).unbind(1);          // T × (B, H) p_h
        var weights = stepWeights.unsqueeze(-1);                                       // (B, T, 1)
        var stepWeight = weights.unbind(1);                                            // T × (B, 1)
        var hiddenWeight = recurrentWeight.t();                                        // (H, G·H)

        var state = zeros(b, h, dtype: inputs.dtype, device: inputs.device);           // (B, H) h_{−1}
        var states = new Tensor[t + 1];
        var gates = new Tensor[t];
        var candidates = new Tensor[t];
        var candidateHidden = new Tensor[t];
        var updates = new Tensor[t];
        states[0] = state;
        for (int s = 0; s < t; s++)
        {
            var fromState = state.mm(hiddenWeight).split([sigmoidWidth, h], 1);       // (B, (G−1)·H), (B, H)
            var gate = sigmoidInputs[s].add(fromState[0]).sigmoid_();                  // (B, (G−1)·H) [r, u]
            var reset = hasUpdateGate ? gate.narrow(1, 0, h) : gate;                   // (B, H)
            var candidate = candidateInputs[s].addcmul(reset, fromState[1], 1).tanh_(); // (B, H) h̃_t
            var update = hasUpdateGate ? gate.narrow(1, h, h).mul(stepWeight[s]) : stepWeight[s]; // (B, H) or (B, 1) ũ_t
            state = state.lerp(candidate, update);                                     // (B, H) h + ũ∘(h̃ − h)
            (states[s + 1], gates[s], candidates[s], candidateHidden[s], updates[s]) = (state, gate, candidate, fromState[1], update);
        }
        var keep = mask.unsqueeze(-1);                                                 // (B, T, 1)
        var outputs = new List<Tensor>
        {
            stack(states[1..], 1).mul_(keep).MoveToOuterDisposeScope(),                // (B, T, H) m_t·h_t
            state.MoveToOuterDisposeScope(),                                           // (B, H) h_{T−1}
        };
        var stackedUpdates = hasUpdateGate ? stack(updates, 1) : weights;             // (B, T, H) or (B, T, 1) ũ
        if (recordUpdates)
        {
            outputs.Add(stackedUpdates.expand(b, t, h).clone().MoveToOuterDisposeScope()); // (B, T, H)
            ctx.mark_non_differentiable([outputs[2]]);
        }
        if (backwardFollows)
        {
            var saved = new List<Tensor>
            {
                flatInputs, inputWeight, recurrentWeight, keep,
                stack(states[..^1], 1),                                                // (B, T, H) h_{t−1}
                stack(gates, 1),                                                       // (B, T, (G−1)·H) [r, u]
                stack(candidates, 1),                                                  // (B, T, H) h̃
                stack(candidateHidden, 1),                                             // (B, T, H) q_h
                stackedUpdates,
            };
            foreach (var tensor in saved) tensor.MoveToOuterDisposeScope();            // alive until the node saves them
            ctx.save_for_backward(saved);
            // Unused outputs get no gradient rather than zeros: TorchSharp would build those zeros from copies of the
            // outputs made in the caller's dispose scope, which are gone by the time backward runs.
            ctx.set_materialize_grads(false);
            ctx.save_data("inputs", new GradientNeeds(inputs.requires_grad, stepWeights.requires_grad, inputs.shape));
        }
        return outputs;
    }

    public override List<Tensor> backward(AutogradContext ctx, List<Tensor> gradOutputs)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var (flatInputs, inputWeight, recurrentWeight, keep) = (saved[0], saved[1], saved[2], saved[3]);
        var (previous, gates, candidates, candidateHidden, updates) = (saved[4], saved[5], saved[6], saved[7], saved[8]);
        var needs = (GradientNeeds)ctx.get_data("inputs");
        long b = previous.shape[0], t = previous.shape[1], h = previous.shape[2], gateCount = recurrentWeight.shape[0] / h;
        bool hasUpdateGate = gateCount == 3;

        var reset = gates.narrow(2, 0, h);                                             // (B, T, H)
        var kCandidate = updates.addcmul(updates * candidates, candidates, -1);        // (B, T, H) ũ∘(1 − h̃²)
        var kReset = kCandidate * candidateHidden * reset.addcmul(reset, reset, -1);  // (B, T, H) K_h∘q_h∘r∘(1 − r)
        var change = candidates - previous;                                            // (B, T, H) h̃ − h_{t−1}
        Tensor? updateGate = hasUpdateGate ? gates.narrow(2, h, h) : null;             // (B, T, H) u
        var blocks = hasUpdateGate
            ? new[] { kReset, updates.addcmul(updates, updateGate!, -1).mul_(change), kCandidate * reset } // K_u = w∘u∘(1−u)∘(h̃−h)
            : new[] { kReset, kCandidate * reset };
        var perStep = stack(blocks, 2).unbind(1);                                      // T × (B, G, H) ∂q_t/∂… per unit of g_t
        var carry = (1 - updates).unbind(1);                                           // T × (B, H) or (B, 1) 1 − ũ_t
        var outputGrads = (Defined(gradOutputs[0]) ? gradOutputs[0] * keep : zeros_like(previous)).unbind(1); // T × (B, H) m_t·∂L/∂y_t

        var stateGrads = new Tensor[t];
        var hiddenGrads = new Tensor[t];
        var g = Defined(gradOutputs[1]) ? gradOutputs[1] + outputGrads[t - 1] : outputGrads[t - 1]; // (B, H) g_{T−1}
        for (long s = t - 1; s >= 0; s--)
        {
            var hiddenGrad = perStep[s] * g.unsqueeze(1);                              // (B, G, H) ∂L/∂q_t
            (stateGrads[s], hiddenGrads[s]) = (g, hiddenGrad);
            if (s > 0) g = outputGrads[s - 1].addcmul(g, carry[s], 1).addmm_(hiddenGrad.view(b, gateCount * h), recurrentWeight); // (B, H) g_{t−1}
        }
        var stateGrad = stack(stateGrads, 1);                                          // (B, T, H) g
        var projectedGrad = stack(hiddenGrads, 1);                                     // (B, T, G, H) ∂L/∂q, then ∂L/∂p
        var flatProjected = projectedGrad.view(b * t, gateCount * h);                  // (B·T, G·H)
        var recurrentGrad = flatProjected.t().mm(previous.reshape(b * t, h));          // (G·H, H)
        projectedGrad.select(2, gateCount - 1).copy_(stateGrad * kCandidate);          // ∂L/∂p_h = g∘K_h (∂L/∂q_h has the extra r)
        var inputWeightGrad = flatProjected.t().mm(flatInputs);                        // (G·H, I)
        var inputBiasGrad = flatProjected.sum(0L);                                      // (G·H)
        var inputGrad = needs.Inputs ? flatProjected.mm(inputWeight).view(needs.InputShape) : null; // (B, T, I)
        Tensor? stepWeightGrad = null;
        if (needs.StepWeights)
        {
            var written = stateGrad * change;                                          // (B, T, H) g∘(h̃ − h_{t−1})
            stepWeightGrad = (hasUpdateGate ? written.mul_(updateGate!) : written).sum(2); // (B, T)
        }
        var grads = new List<Tensor> { inputGrad!, inputWeightGrad, inputBiasGrad, recurrentGrad, stepWeightGrad!, null!, null!, null! };
        foreach (var grad in grads) grad?.MoveToOuterDisposeScope();
        ctx.save_data("gradients", grads); // keeps them reachable until libtorch has taken them, whatever the caller's scopes
        return grads;
    }

    private static bool Defined(Tensor? gradient) => gradient is not null && !gradient.IsInvalid;

    /// <summary>Which input gradients the backward pass computes, and the inputs' shape.</summary>
    private sealed record GradientNeeds(bool Inputs, bool StepWeights, long[] InputShape);
}
