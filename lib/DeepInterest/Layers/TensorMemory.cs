using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepInterest.Layers;

/// <summary>The CPU kernels' view of a tensor: its elements in place, as a span.</summary>
internal static class TensorMemory
{
    /// <summary>A contiguous float32 CPU tensor's elements, in place; any other dtype is refused.</summary>
    public static Span<float> Floats(Tensor tensor) => tensor.dtype == ScalarType.Float32
        ? MemoryMarshal.Cast<byte, float>(tensor.bytes)
        : throw new ArgumentException($"CPU kernels read float32 tensors, got {tensor.dtype}", nameof(tensor));

    /// <summary>A contiguous int64 CPU tensor's elements, in place; any other dtype is refused.</summary>
    public static Span<long> Longs(Tensor tensor) => tensor.dtype == ScalarType.Int64
        ? MemoryMarshal.Cast<byte, long>(tensor.bytes)
        : throw new ArgumentException($"CPU kernels read int64 indices, got {tensor.dtype}", nameof(tensor));
}
