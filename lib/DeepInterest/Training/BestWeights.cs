using static TorchSharp.torch;

namespace DeepInterest.Training;

/// <summary>An in-memory copy of the best epoch's state (parameters and buffers), for early stopping.</summary>
internal sealed class BestWeights : IDisposable
{
    private Dictionary<string, Tensor>? state;

    public int Epoch { get; private set; }
    public double Score { get; private set; } = double.NegativeInfinity;

    /// <summary>Keeps a copy of the model's state when <paramref name="score"/> beats the best so far; says whether it did.</summary>
    public bool Offer(nn.Module model, int epoch, double score)
    {
        if (!(score > Score)) return false;
        Release();
        // The scope frees the temporaries (detached views, state_dict handles); only the copies leave it.
        using (var scope = NewDisposeScope())
        using (no_grad())
            state = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
        Epoch = epoch;
        Score = score;
        return true;
    }

    public void Restore(nn.Module model)
    {
        if (state is null) throw new InvalidOperationException("no epoch has been recorded yet, so there are no best weights to restore");
        model.load_state_dict(state);
    }

    public void Dispose() => Release();

    private void Release()
    {
        if (state is null) return;
        foreach (var tensor in state.Values) tensor.Dispose();
        state = null;
    }
}
