using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepInterest.Layers;

/// <summary>
/// A bidirectional LSTM over left-padded sequences (B, K, D) with a step mask (B, K), as DSIN's session interest
/// interacting layer (Feng et al., IJCAI'19, §4.3, Eq. 6). A recurrence only ignores padding that comes AFTER the
/// real steps, so each direction reads its real steps first: the forward LSTM reads the sequence rotated so the
/// real steps (oldest first) lead, the backward LSTM reads it flipped (newest first). Outputs are mapped back to
/// the input's slots; H_t averages the two directions, zero at padding. Like the paper's code (DeepCTR's BiLSTM,
/// merge "ave") each direction is its own LSTM stack; the code stacks two layers, the default here is one.
/// <c>dropout</c> (training only) drops that share of each layer's inputs, as the code's Keras LSTMs do with
/// dropout 0.2 (Keras draws one mask per sequence, this one per step); 0, the default, leaves it out.
/// </summary>
public sealed class LeftPaddedBiLstm : Module<Tensor, Tensor, Tensor>
{
    private readonly LSTM forwardLstm;
    private readonly LSTM backwardLstm;
    private readonly long hidden;
    private readonly double dropout;

    public LeftPaddedBiLstm(long inputs, long hidden, long layers = 1, double dropout = 0) : base(nameof(LeftPaddedBiLstm))
    {
        if (!(dropout >= 0 && dropout < 1)) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "dropout must be in [0, 1)");
        this.hidden = hidden;
        this.dropout = dropout;
        // LSTM's own dropout acts between stacked layers; the first layer's inputs are dropped in forward.
        forwardLstm = LSTM(inputs, hidden, numLayers: layers, batchFirst: true, dropout: layers > 1 ? dropout : 0);
        backwardLstm = LSTM(inputs, hidden, numLayers: layers, batchFirst: true, dropout: layers > 1 ? dropout : 0);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor mask)
    {
        using var scope = NewDisposeScope();
        long k = x.shape[1];
        var real = mask.sum(1, keepdim: true);                             // (B, 1) real steps n
        var slots = arange(k, device: x.device).unsqueeze(0);              // (1, K)
        var toFront = (slots + k - real).remainder(k);                     // (B, K) front j reads slot j + K − n
        var fromFront = (slots + real).remainder(k);                       // (B, K) slot s reads front s − (K − n)
        var front = x.gather(1, toFront.unsqueeze(-1).expand(-1, -1, x.shape[2])); // (B, K, D) real steps first
        var (forwardOut, _, _) = forwardLstm.call(ParallelDropout.Apply(front, dropout, training)); // (B, K, H)
        var forwardStates = forwardOut.gather(1, fromFront.unsqueeze(-1).expand(-1, -1, hidden)); // (B, K, H)
        var (backwardOut, _, _) = backwardLstm.call(ParallelDropout.Apply(x.flip(1), dropout, training)); // (B, K, H) newest first
        var backwardStates = backwardOut.flip(1);                          // (B, K, H)
        var keep = mask.to_type(x.dtype).unsqueeze(-1);                    // (B, K, 1)
        return ((forwardStates + backwardStates) / 2 * keep).MoveToOuterDisposeScope(); // (B, K, H)
    }
}
