using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepInterest.Layers;

/// <summary>Hidden-layer activations used across the course (DIN paper §4.3 compares PReLU and Dice).</summary>
public enum Activation { ReLU, PReLU, Dice, Sigmoid }

/// <summary>
/// Fully connected tower: Linear → activation (→ dropout) per hidden size, then a Linear to the output width.
/// Works on the last dimension of any input (…, in) → (…, out); leading dimensions are flattened so that PReLU
/// and Dice act per hidden unit and Dice's batch statistics run over every row.
/// </summary>
public sealed class Mlp : Module<Tensor, Tensor>
{
    private readonly Sequential layers;
    private readonly long outputs;

    public Mlp(long inputs, IReadOnlyList<long> hidden, long outputs = 1, Activation activation = Activation.ReLU, double dropout = 0)
        : base(nameof(Mlp))
    {
        if (inputs < 1) throw new ArgumentOutOfRangeException(nameof(inputs), inputs, "an MLP needs at least one input");
        this.outputs = outputs;
        layers = Sequential();
        long width = inputs;
        for (int i = 0; i < hidden.Count; i++)
        {
            layers.append($"fc{i}", Linear(width, hidden[i]));
            layers.append($"act{i}", activation switch
            {
                Activation.ReLU => ReLU(),
                Activation.PReLU => new ParallelPRelu(hidden[i], init: 0.25),
                Activation.Dice => new Dice(hidden[i]),
                Activation.Sigmoid => Sigmoid(),
                _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
            });
            if (dropout > 0) layers.append($"drop{i}", new ParallelDropout(dropout));
            width = hidden[i];
        }
        layers.append("out", Linear(width, outputs));
        RegisterComponents();
    }

    /// <summary>The first Linear layer (in → hidden[0], or in → out without hidden layers); a caller may apply it in a
    /// cheaper, equivalent form and finish with <see cref="ForwardAfterFirstLayer"/>.</summary>
    internal Linear FirstLayer => (Linear)layers.children().First();

    /// <summary>The tower after its first Linear layer: pre-activations (N, hidden[0]) → (N, out).</summary>
    internal Tensor ForwardAfterFirstLayer(Tensor preActivation)
    {
        using var scope = NewDisposeScope();
        var y = preActivation;
        foreach (var layer in layers.children().Skip(1)) y = ((Module<Tensor, Tensor>)layer).call(y);
        return y.MoveToOuterDisposeScope();                        // (N, out)
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var lead = x.shape[..^1];
        var flat = x.reshape(-1, x.shape[^1]);                    // (N, in)
        var y = layers.forward(flat);                              // (N, out)
        return y.reshape([.. lead, outputs]).MoveToOuterDisposeScope(); // (…, out)
    }
}
