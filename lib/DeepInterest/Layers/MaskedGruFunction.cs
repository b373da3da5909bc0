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
/// Rows are packed by step (<see cref="StepRows"/>): when the mask is a real left-padding mask, as DIEN's batches are,
/// the rows are ordered by length (longest first) once, step s works on the n_s rows whose history has started
/// (length ≥ T − s) as one contiguous slice, and the input projections and the weight gradients run over the real
/// positions only — so padding costs nothing, and the state a row starts from is an untouched zero. Any other mask
/// (holes, right padding) takes the same code with every row at every step, the mask folded into w_t carrying the state
/// over its holes. Packing reads the lengths on the host: one device synchronisation per call. The outputs and the final
/// state are one gather each from the state buffer, whose last row stays zero for the positions and rows without a state.
/// Cost: a step's work is small (n_s ≤ B rows, one (n_s, H) × (H, G·H) product and eight element-wise calls forward; one
/// broadcast multiply, one fused multiply-add and one product backward), and TorchSharp's per-call overhead is about
/// 1 µs, so the time is the arithmetic itself: at B = 256, T = 50, E = H = 64 about half of it is the matrix products
/// (input projection, the 2·T step products, three weight/input products over the N packed rows), the rest element-wise
/// passes. On the CPU in float32 those element-wise calls are <see cref="GruCpuKernels"/>' single passes (a step's gates
/// and state, a backward step, the factors K of all rows); the operator form below is the same arithmetic for every
/// other device, dtype and size, and the tests hold both to the reference cell. A step's operands are too small to split
/// across threads, but its rows never interact: on the CPU each of the intra-op threads runs both step loops over its
/// own part of the rows (<see cref="RowParts"/>, the parts balanced by <see cref="StepRows.Split"/>), with one join per
/// loop; elsewhere, and for batches too small to split, the loops run on the calling thread alone.
/// Not twice differentiable (the backward pass runs without recording).
/// </summary>
internal sealed class MaskedGruFunction : MultiTensorFunction<MaskedGruFunction>
{
    public override string Name => nameof(MaskedGruFunction);

    /// <summary>
    /// Runs the recurrence. Arguments: inputs (B, T, I), input weight (G·H, I), input bias (G·H), recurrent weight
    /// (G·H, H), step weights w (B, T) that are zero at padding, the bool mask m (B, T), whether to return ũ (B, T, H) as
    /// a third output (not differentiable), and whether a backward pass can follow (else nothing is kept for it).
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
        bool hasUpdateGate = gateRows == 3 * h, onCpu = GruCpuKernels.Supports(inputs, b * t, h);
        var rows = StepRows.Of(mask);
        long n = rows.Total;
        // Packed buffers, step by step: step s owns the rows [o_s, o_s + n_s), so each step reads and writes contiguous slices in place.
        var packedInputs = inputs.reshape(b * t, inputs.shape[2]).index_select(0, rows.Positions); // (N, I)
        var gates = inputBias.addmm(packedInputs, inputWeight.t());                    // (N, G·H) p = W i_t + b, then [r, u, h̃]
        var fromState = empty(n, gateRows, dtype: inputs.dtype, device: inputs.device); // (N, G·H) q = U h_{t−1}
        // (N + n_{T−1} + 1, H): step s reads h_{t−1} at [o_s, o_s + n_s) and writes h_t at [o_s + n_s, o_s + 2·n_s) =
        // [o_{s+1}, o_{s+1} + n_s), so the first N rows are every position's h_{t−1}; the n_{s+1} − n_s rows after each
        // step's write are never written: the zero state of the rows that start at step s + 1.
        // The last row stays zero too: the state gathered for the positions and rows that have none.
        var states = zeros(n + rows.Counts[^1] + 1, h, dtype: inputs.dtype, device: inputs.device);
        var weights = stepWeights.reshape(b * t).index_select(0, rows.Positions).unsqueeze(-1); // (N, 1) w_t
        using Scalar two = 2;                                                          // made once, not twice per step
        using var unit = ones(1, dtype: inputs.dtype, device: inputs.device);          // σ + (−1)·(1 − σ) = 2σ − 1 in one lerp_
        using var minusUnit = unit.neg();
        if (!onCpu) gates.narrow(1, gateRows - h, h).mul_(two);                        // tanh(z) = 2σ(2z) − 1: libtorch's CPU tanh is far slower than σ
        var hiddenWeight = recurrentWeight.t();                                        // (H, G·H)
        // The rows j ∈ [first, end) of every step. Rows do not interact, so parts of rows run on separate threads.
        void Steps(long first, long end)
        {
            var gateValues = onCpu ? TensorMemory.Floats(gates) : default;           // the same buffers as spans, for the kernel
            var projectionValues = onCpu ? TensorMemory.Floats(fromState) : default;
            var stateValues = onCpu ? TensorMemory.Floats(states) : default;
            var weightValues = onCpu ? TensorMemory.Floats(weights) : default;
            for (int s = 0; s < t; s++)
            {
                long count = Math.Min(rows.Counts[s], end) - first, offset = rows.Offsets[s] + first;
                if (count <= 0) continue;                                              // none of these histories has started yet
                long nextAt = rows.Offsets[s] + rows.Counts[s] + first;                // h_t of row j is row j of step s + 1's h_{t−1}
                var (stepGates, hidden, previous) = (gates.narrow(0, offset, count), fromState.narrow(0, offset, count), states.narrow(0, offset, count));
                hidden.addmm_(previous, hiddenWeight, beta: 0);                        // (n, G·H) q_t, the one matmul of the step
                if (onCpu)
                {
                    int rowsAt = (int)offset, rowCount = (int)count, width = (int)gateRows, size = (int)h;
                    GruCpuKernels.ForwardStep(gateValues.Slice(rowsAt * width, rowCount * width), projectionValues.Slice(rowsAt * width, rowCount * width),
                        stateValues.Slice(rowsAt * size, rowCount * size), stateValues.Slice((int)nextAt * size, rowCount * size),
                        weightValues.Slice(rowsAt, rowCount), size, hasUpdateGate);
                    continue;
                }
                stepGates.narrow(1, 0, gateRows - h).add_(hidden.narrow(1, 0, gateRows - h)).sigmoid_(); // (n, (G−1)·H) r_t[, u_t]
                var candidate = stepGates.narrow(1, gateRows - h, h)
                    .addcmul_(stepGates.narrow(1, 0, h), hidden.narrow(1, gateRows - h, h), two).sigmoid_().lerp_(unit, minusUnit); // (n, H) h̃_t
                var stepWeight = weights.narrow(0, offset, count);                     // (n, 1)
                var update = hasUpdateGate ? stepGates.narrow(1, h, h).mul(stepWeight) : stepWeight; // (n, H) or (n, 1) ũ_t
                states.narrow(0, nextAt, count).copy_(previous).lerp_(candidate, update); // (n, H) h + ũ∘(h̃ − h)
            }
        }
        RowParts.Run(onCpu ? StepRows.Split(rows.Counts, RowParts.For(rows.Counts)) : [0, rows.Counts.Max()], Steps);
        var written = states.index_select(0, rows.StateSlots).view(b, t, h);           // (B, T, H) h_t, zero at padding
        if (rows.Keep is not null) written.mul_(mask.unsqueeze(-1).to_type(inputs.dtype)); // m_t·h_t at the holes of an unpacked mask
        var outputs = new List<Tensor>
        {
            written.MoveToOuterDisposeScope(),
            states.index_select(0, rows.FinalSlots).MoveToOuterDisposeScope(),         // (B, H) h_{T−1}, zero for empty rows
        };
        if (recordUpdates)
        {
            var updates = hasUpdateGate ? gates.narrow(1, h, h) * weights : weights.expand(n, h); // (N, H) ũ
            outputs.Add(rows.Scatter(updates, b, t).MoveToOuterDisposeScope());        // (B, T, H), zero at padding
            ctx.mark_non_differentiable([outputs[2]]);
        }
        if (backwardFollows)
        {
            var saved = new List<Tensor> { packedInputs, inputWeight, recurrentWeight, weights, states, gates, fromState, rows.Positions, rows.FinalRows, rows.PackedSlots };
            if (rows.Keep is not null) saved.Add(rows.Keep);
            foreach (var tensor in saved) tensor.MoveToOuterDisposeScope();            // alive until the node saves them
            ctx.save_for_backward(saved);
            // Unused outputs get no gradient rather than zeros: TorchSharp would build those zeros from copies of the
            // outputs made in the caller's dispose scope, which are gone by the time backward runs.
            ctx.set_materialize_grads(false);
            ctx.save_data("inputs", new GradientNeeds(inputs.requires_grad, stepWeights.requires_grad, b, t, rows.Counts, rows.Offsets));
        }
        return outputs;
    }

    public override List<Tensor> backward(AutogradContext ctx, List<Tensor> gradOutputs)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var (packedInputs, inputWeight, recurrentWeight, weights) = (saved[0], saved[1], saved[2], saved[3]);
        var (states, gates, fromState) = (saved[4], saved[5], saved[6]);              // (N + n_{T−1} + 1, H), (N, G·H), (N, G·H)
        var (positions, finalRows, packedSlots, keep) = (saved[7], saved[8], saved[9], saved.Count > 10 ? saved[10] : null);
        var needs = (GradientNeeds)ctx.get_data("inputs");
        var (counts, offsets) = (needs.Counts, needs.Offsets);
        long n = gates.shape[0], b = needs.Batch, t = needs.Length, h = states.shape[1], gateCount = recurrentWeight.shape[0] / h;
        bool hasUpdateGate = gateCount == 3, onCpu = GruCpuKernels.Supports(gates, n, h);

        var previous = states.narrow(0, 0, n);                                         // (N, H) h_{t−1}
        var updateGate = hasUpdateGate ? gates.narrow(1, h, h) : null;                 // (N, H) u
        using Scalar one = 1;                                                          // made once, not once per step
        var (projectedGrad, kCandidate, carry, change) = BackwardFactors(gates, fromState, previous, weights, needs.StepWeights, onCpu);
        var stateGrad = Defined(gradOutputs[0])                                        // (N, H) m_t·∂L/∂y_t, then g_t
            ? gradOutputs[0].reshape(b * t, h).index_select(0, positions)
            : zeros_like(previous);
        if (keep is not null) stateGrad.mul_(keep.to_type(stateGrad.dtype));
        if (Defined(gradOutputs[1]))                                                   // g_{T−1} of the rows with a history
            stateGrad.narrow(0, offsets[^1], counts[^1]).add_(gradOutputs[1].index_select(0, finalRows));
        // The rows j ∈ [first, end) of every step, back from the last; parts of rows run on separate threads.
        void Steps(long first, long end)
        {
            var gradValues = onCpu ? TensorMemory.Floats(stateGrad) : default;        // the same buffers as spans, for the kernel
            var factorValues = onCpu ? TensorMemory.Floats(projectedGrad) : default;
            var carryValues = onCpu ? TensorMemory.Floats(carry) : default;
            for (int s = (int)t - 1; s >= 0; s--)
            {
                long count = Math.Min(counts[s], end) - first, offset = offsets[s] + first;
                if (count <= 0) break;                                                 // n_s only shrinks going back
                long carried = s > 0 ? Math.Max(0, Math.Min(counts[s - 1], end) - first) : 0; // rows whose h_{t−1} is a state, not the start
                long previousAt = s > 0 ? offsets[s - 1] + first : 0;
                if (onCpu)
                {
                    int rowsAt = (int)offset, rowCount = (int)count, size = (int)h, width = (int)(gateCount * h), carryWidth = (int)carry.shape[1];
                    GruCpuKernels.BackwardStep(gradValues.Slice(rowsAt * size, rowCount * size), factorValues.Slice(rowsAt * width, rowCount * width),
                        carryValues.Slice(rowsAt * carryWidth, rowCount * carryWidth), gradValues.Slice((int)previousAt * size, (int)carried * size),
                        (int)carried, (int)gateCount, size);
                    if (carried > 0)
                        stateGrad.narrow(0, previousAt, carried)                       // (carried, H) g_{t−1}
                            .addmm_(projectedGrad.narrow(0, offset, carried).view(carried, width), recurrentWeight);
                    continue;
                }
                var stepGrad = stateGrad.narrow(0, offset, count);                     // (n, H) g_t
                var hiddenGrad = projectedGrad.narrow(0, offset, count).mul_(stepGrad.unsqueeze(1)); // (n, G, H) ∂L/∂q_t
                if (carried > 0)
                    stateGrad.narrow(0, previousAt, carried)                           // (carried, H) g_{t−1}
                        .addcmul_(stepGrad.narrow(0, 0, carried), carry.narrow(0, offset, carried), one)
                        .addmm_(hiddenGrad.narrow(0, 0, carried).view(carried, gateCount * h), recurrentWeight);
            }
        }
        RowParts.Run(onCpu ? StepRows.Split(counts, RowParts.For(counts)) : [0, counts.Max()], Steps);
        var flatProjected = projectedGrad.view(n, gateCount * h);                      // (N, G·H)
        var recurrentGrad = flatProjected.t().mm(previous);                            // (G·H, H)
        projectedGrad.select(1, gateCount - 1).copy_(kCandidate.mul_(stateGrad));      // ∂L/∂p_h = g∘K_h (∂L/∂q_h has the extra r)
        var inputWeightGrad = flatProjected.t().mm(packedInputs);                      // (G·H, I)
        var inputBiasGrad = flatProjected.sum(0L);                                     // (G·H)
        Tensor? inputGrad = null;
        if (needs.Inputs)
        {
            var packedGrad = empty(n + 1, inputWeight.shape[1], dtype: gates.dtype, device: gates.device); // (N + 1, I), the last row zero
            packedGrad.narrow(0, n, 1).zero_();
            packedGrad.narrow(0, 0, n).addmm_(flatProjected, inputWeight, beta: 0);  // ∂L/∂i_t = (∂L/∂p_t) W
            inputGrad = packedGrad.index_select(0, packedSlots).view(b, t, -1);       // (B, T, I) one gather, zero at padding
        }
        Tensor? stepWeightGrad = null;
        if (needs.StepWeights)
        {
            var perUnit = stateGrad * change!;                                          // (N, H) g∘(h̃ − h_{t−1})
            var perStep = (hasUpdateGate ? perUnit.mul_(updateGate!) : perUnit).sum(1, keepdim: true); // (N, 1)
            stepWeightGrad = StepRows.Scatter(perStep, positions, b, t).squeeze(-1);   // (B, T)
        }
        var grads = new List<Tensor> { inputGrad!, inputWeightGrad, inputBiasGrad, recurrentGrad, stepWeightGrad!, null!, null!, null! };
        foreach (var grad in grads) grad?.MoveToOuterDisposeScope();
        ctx.save_data("gradients", grads); // keeps them reachable until libtorch has taken them, whatever the caller's scopes
        return grads;
    }

    /// <summary>
    /// Everything of the backward pass that does not depend on g, for all packed rows at once: ∂q_t/∂… per unit of g_t
    /// (N, G, H) [K_r, K_u, K_h∘r], K_h = ũ∘(1 − h̃²) (N, H), 1 − ũ_t ((N, H), or (N, 1) without an update gate) and
    /// h̃ − h_{t−1} (N, H; on the CPU only when the step weights need a gradient). One pass of <see cref="GruCpuKernels"/>
    /// when <paramref name="onCpu"/> (the backward pass decides once), libtorch operators writing each block in place elsewhere.
    /// </summary>
    private static (Tensor Projected, Tensor KCandidate, Tensor Carry, Tensor? Change) BackwardFactors(Tensor gates,
        Tensor fromState, Tensor previous, Tensor weights, bool changeNeeded, bool onCpu)
    {
        long n = gates.shape[0], h = previous.shape[1], gateCount = gates.shape[1] / h;
        bool hasUpdateGate = gateCount == 3;
        var projectedGrad = empty(n, gateCount, h, dtype: gates.dtype, device: gates.device);
        if (onCpu)
        {
            var (kernelCandidate, kernelCarry) = (empty_like(previous), empty(n, hasUpdateGate ? h : 1, dtype: gates.dtype, device: gates.device));
            var kernelChange = changeNeeded ? empty_like(previous) : null;
            GruCpuKernels.BackwardFactors(gates, fromState, previous, weights, projectedGrad, kernelCandidate, kernelCarry, kernelChange);
            return (projectedGrad, kernelCandidate, kernelCarry, kernelChange);
        }
        var reset = gates.narrow(1, 0, h);                                             // (N, H) r
        var candidates = gates.narrow(1, (gateCount - 1) * h, h);                      // (N, H) h̃
        var candidateHidden = fromState.narrow(1, (gateCount - 1) * h, h);             // (N, H) q_h
        using Scalar one = 1, minusOne = -1;
        var updates = hasUpdateGate ? gates.narrow(1, h, h) * weights : weights;       // (N, H) or (N, 1) ũ
        var kCandidate = updates.addcmul(updates * candidates, candidates, minusOne);  // (N, H) ũ∘(1 − h̃²)
        var change = candidates - previous;                                            // (N, H) h̃ − h_{t−1}
        projectedGrad.select(1, 0).copy_(reset).addcmul_(reset, reset, minusOne).mul_(candidateHidden).mul_(kCandidate); // K_r
        if (hasUpdateGate)
            projectedGrad.select(1, 1).copy_(updates).addcmul_(updates, gates.narrow(1, h, h), minusOne).mul_(change); // K_u = w∘u∘(1−u)∘(h̃−h)
        projectedGrad.select(1, gateCount - 1).copy_(reset).mul_(kCandidate);         // K_h∘r
        var carry = hasUpdateGate ? updates.neg_().add_(one) : one - updates;          // (N, H) or (N, 1) 1 − ũ_t (ũ is not needed after this)
        return (projectedGrad, kCandidate, carry, change);
    }

    private static bool Defined(Tensor? gradient) => gradient is not null && !gradient.IsInvalid;

    /// <summary>Which input gradients the backward pass computes, and the batch's shape and step layout.</summary>
    private sealed record GradientNeeds(bool Inputs, bool StepWeights, long Batch, long Length, long[] Counts, long[] Offsets);
}

/// <summary>
/// Where each step's rows live in <see cref="MaskedGruFunction"/>'s packed buffers. Step s owns the packed rows
/// [o_s, o_s + n_s), o_s = Σ_{k&lt;s} n_k, N = Σ n_s; its j-th row is batch row order_j at step s. For a left-padding
/// mask the batch rows are ordered by length, longest first (stably), and n_s counts the rows whose history has started
/// (length ≥ T − s), so the packed rows are exactly the real positions. Any other mask is not packed: n_s = B, order
/// the identity, and <see cref="Keep"/> holds the mask at every position. <see cref="PackedSlots"/>,
/// <see cref="StateSlots"/> and <see cref="FinalSlots"/> map every batch position (row) to its packed row and to the state
/// buffer row of its h_t (h_{T−1}), or to a row that is zero where there is none, so results go back to batch order with
/// one gather each.
/// </summary>
internal sealed record StepRows(long[] Counts, long[] Offsets, Tensor Positions, Tensor PackedSlots, Tensor StateSlots, Tensor FinalRows, Tensor FinalSlots, Tensor? Keep)
{
    /// <summary>N, the number of packed rows.</summary>
    public long Total => Offsets[^1] + Counts[^1];

    /// <summary>The layout for a bool mask (B, T): packed when it is a left-padding mask, every position otherwise.</summary>
    public static StepRows Of(Tensor mask)
    {
        long b = mask.shape[0], t = mask.shape[1];
        var lengths = mask.sum(1, type: ScalarType.Int64);                             // (B)
        var leftPadding = arange(t, device: mask.device).unsqueeze(0).ge((t - lengths).unsqueeze(1)); // (B, T)
        bool packed = leftPadding.eq(mask).all().item<bool>();
        var length = packed ? lengths.cpu().data<long>().ToArray() : null;
        var order = Enumerable.Range(0, (int)b).ToArray();
        if (packed) order = order.OrderByDescending(row => length![row]).ToArray();   // stable: ties keep batch order
        var counts = new long[t];
        var offsets = new long[t];
        for (long s = 0; s < t; s++)
        {
            counts[s] = packed ? length!.Count(l => l >= t - s) : b;
            offsets[s] = s == 0 ? 0 : offsets[s - 1] + counts[s - 1];
        }
        long total = offsets[^1] + counts[^1];
        long zeroSlot = total + counts[^1];                                            // the state buffer's last row, never written
        var positions = new long[total];                                               // batch-major index row·T + s of each packed row
        var slots = new long[total];                                                   // the state buffer row of each packed row's h_t
        for (long s = 0; s < t; s++)
            for (long j = 0; j < counts[s]; j++)
            {
                positions[offsets[s] + j] = order[j] * t + s;
                slots[offsets[s] + j] = offsets[s] + counts[s] + j;
            }
        var finalRows = order.Take((int)counts[^1]).Select(row => (long)row).ToArray(); // the rows with a final state
        var finalSlots = Enumerable.Repeat(zeroSlot, (int)b).ToArray();                 // per batch row: the buffer row of its h_{T−1}
        for (long j = 0; j < counts[^1]; j++) finalSlots[order[j]] = total + j;
        var positionTensor = tensor(positions, device: mask.device);
        using Scalar unwritten = zeroSlot;
        var stateSlots = full(b * t, unwritten, ScalarType.Int64, mask.device)          // (B·T) per batch position: the buffer row of its h_t
            .index_copy_(0, positionTensor, tensor(slots, device: mask.device));         // built on the device: a B·T host array would land on the large-object heap
        using Scalar unpacked = total;
        var packedSlots = full(b * t, unpacked, ScalarType.Int64, mask.device)          // (B·T) per batch position: its packed row, N if none
            .index_copy_(0, positionTensor, arange(total, dtype: ScalarType.Int64, device: mask.device));
        return new StepRows(counts, offsets, positionTensor, packedSlots, stateSlots, tensor(finalRows, device: mask.device),
            tensor(finalSlots, device: mask.device), packed ? null : mask.reshape(b * t, 1).index_select(0, positionTensor));
    }

    /// <summary>
    /// Row bounds 0 = J_0 &lt; J_1 &lt; … &lt; J_P = max n_s for <see cref="RowParts"/>: part k takes the rows
    /// j ∈ [J_k, J_{k+1}) of every step, Σ_s |[J_k, J_{k+1}) ∩ [0, n_s)| of the N packed rows, and each J_k is the
    /// first bound where the parts before it hold k/P of N (Σ_s min(n_s, J) grows with J). Fewer parts where rows run out.
    /// </summary>
    public static long[] Split(long[] counts, int parts)
    {
        long widest = counts.Max(), total = counts.Sum();
        var bounds = new List<long> { 0 };
        for (long bound = 0, k = 1; k < parts; k++)
        {
            while (bound < widest && counts.Sum(n => Math.Min(n, bound)) * parts < total * k) bound++;
            if (bound > bounds[^1] && bound < widest) bounds.Add(bound);
        }
        bounds.Add(widest);
        return [.. bounds];
    }

    /// <summary>Packed rows (N, D) back to (B, T, D), zero at the positions not packed.</summary>
    public Tensor Scatter(Tensor packedRows, long batch, long length) => Scatter(packedRows, Positions, batch, length);

    /// <summary>Packed rows (N, D) at <paramref name="positions"/> back to (B, T, D), zero elsewhere.</summary>
    public static Tensor Scatter(Tensor packedRows, Tensor positions, long batch, long length) =>
        zeros(batch * length, packedRows.shape[1], dtype: packedRows.dtype, device: packedRows.device)
            .index_copy_(0, positions, packedRows).view(batch, length, -1);
}

