using DeepInterest.Data;
using static TorchSharp.torch;

namespace DeepInterest.Tests;

/// <summary>Batch edits the model tests share.</summary>
internal static class TestBatches
{
    /// <summary>The batch with <paramref name="extra"/> more padding slots on the left of every history and per-step field.</summary>
    public static Batch PadLeft(Batch b, int extra)
    {
        Tensor Pad(Tensor x) => cat([zeros(x.shape[0], extra, dtype: x.dtype), x], 1);
        return new Batch
        {
            HistoryItems = Pad(b.HistoryItems), HistoryCategories = Pad(b.HistoryCategories), HistoryTimes = Pad(b.HistoryTimes),
            Mask = Pad(b.Mask), Lengths = b.Lengths.clone(), NegativeItems = Pad(b.NegativeItems), NegativeCategories = Pad(b.NegativeCategories),
            Items = b.Items.clone(), Categories = b.Categories.clone(), Times = b.Times.clone(), Labels = b.Labels.clone(), Users = b.Users,
            Fields = b.Fields.ToDictionary(f => f.Key, f => f.Value.dim() == 2 ? Pad(f.Value) : f.Value.clone()),
        };
    }
}
