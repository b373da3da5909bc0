using DeepInterest.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepInterest.Models;

/// <summary>
/// What every model returns: logits (B), optional extra loss terms already weighted (DIEN's auxiliary loss,
/// mini-batch-aware regularization), and named diagnostics for the course's figures (attention weights, gates, …).
/// </summary>
public sealed record CtrOutput(Tensor Logits)
{
    /// <summary>Weighted auxiliary loss (scalar), added to the training loss.</summary>
    public Tensor? AuxiliaryLoss { get; init; }
    /// <summary>Weighted regularization penalty (scalar), added to the training loss.</summary>
    public Tensor? Regularization { get; init; }
    /// <summary>Named tensors for plots, e.g. "attention" (B, T). Computed only when the model's <see cref="CtrModel.CollectDiagnostics"/> is on.</summary>
    public IReadOnlyDictionary<string, Tensor> Diagnostics { get; init; } = new Dictionary<string, Tensor>();
}

/// <summary>The one interface all models share: a batch in, logits and diagnostics out.</summary>
public abstract class CtrModel : nn.Module<Batch, CtrOutput>
{
    protected CtrModel(string name) : base(name) { }

    /// <summary>When on, forward passes fill <see cref="CtrOutput.Diagnostics"/> (off in training for speed).</summary>
    public bool CollectDiagnostics { get; set; }

    public long ParameterCount() => parameters().Sum(p => p.numel());
}
