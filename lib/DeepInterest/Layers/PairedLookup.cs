using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using DeepInterest.Platform;
using TorchSharp;
using static TorchSharp.torch;
using static DeepInterest.Layers.TensorMemory;
using static TorchSharp.torch.autograd;

namespace DeepInterest.Layers;

/// <summary>
/// e = [item table[i]; category table[c]] for every position of two index tensors of one shape, as one autograd node:
/// the same values and gradients as two <c>nn.Embedding</c> lookups joined by <c>cat</c> (padding row excluded from
/// the gradient), without the two (…, D) intermediates, the concatenation's copies and libtorch's per-table backward.
/// Every model embeds its (B, T) history this way, DIEN its negatives too. At B = 256, T = 50, D = 32 on 2 threads,
/// forward + backward took 0.6–0.7 ms against 3.1–3.3 ms for the two lookups and <c>cat</c> (throwaway probe, median
/// of 70 passes each). The passes are <see cref="PairedLookupKernels"/>'; other devices and dtypes keep the two lookups.
/// </summary>
internal sealed class PairedLookupFunction : MultiTensorFunction<PairedLookupFunction>
{
    public override string Name => nameof(PairedLookupFunction);

    /// <summary>
    /// (…) item ids, (…) category ids, (V_i, D_i) and (V_c, D_c) tables → (…, D_i + D_c). Without gradients (serving),
    /// the lookup alone: an autograd node costs 40–80 µs a call, against 11–26 µs for the two lookups at batch 1.
    /// </summary>
    public static Tensor Apply(Tensor itemIds, Tensor categoryIds, Tensor itemTable, Tensor categoryTable, long padding) =>
        is_grad_enabled() && (itemTable.requires_grad || categoryTable.requires_grad)
            ? apply(itemIds, categoryIds, itemTable, categoryTable, padding)[0]
            : Lookup(itemIds.contiguous(), categoryIds.contiguous(), itemTable, categoryTable);

    public override List<Tensor> forward(AutogradContext ctx, params object[] vars)
    {
        using var scope = NewDisposeScope();
        var (itemIds, categoryIds) = (((Tensor)vars[0]).contiguous(), ((Tensor)vars[1]).contiguous()); // (…), (…)
        var output = Lookup(itemIds, categoryIds, (Tensor)vars[2], (Tensor)vars[3]);                     // (…, D_i + D_c)
        foreach (var tensor in new[] { itemIds, categoryIds, output }) tensor.MoveToOuterDisposeScope(); // alive until saved
        ctx.save_for_backward([itemIds, categoryIds]);
        var (itemTable, categoryTable) = ((Tensor)vars[2], (Tensor)vars[3]);
        ctx.save_data("tables", new TableShapes(itemTable.shape[0], itemTable.shape[1], categoryTable.shape[0], categoryTable.shape[1], (long)vars[4]));
        return [output];
    }

    /// <summary>Contiguous ids → the joined rows, a new (…, D_i + D_c) tensor.</summary>
    private static Tensor Lookup(Tensor itemIds, Tensor categoryIds, Tensor itemTable, Tensor categoryTable)
    {
        using var scope = NewDisposeScope();
        var (items, categories) = (itemTable.contiguous(), categoryTable.contiguous());          // (V_i, D_i), (V_c, D_c)
        var output = empty([.. itemIds.shape, items.shape[1] + categories.shape[1]], device: items.device); // (…, D_i + D_c)
        PairedLookupKernels.Forward(itemIds, categoryIds, items, categories, output);
        return output.MoveToOuterDisposeScope();
    }

    public override List<Tensor> backward(AutogradContext ctx, List<Tensor> gradOutputs)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var tables = (TableShapes)ctx.get_data("tables");
        var itemGrad = empty(tables.ItemRows, tables.ItemDim, device: saved[0].device);         // (V_i, D_i)
        var categoryGrad = empty(tables.CategoryRows, tables.CategoryDim, device: saved[0].device); // (V_c, D_c)
        PairedLookupKernels.Backward(saved[0], saved[1], gradOutputs[0].contiguous(), itemGrad, categoryGrad, tables.Padding);
        var grads = new List<Tensor> { null!, null!, itemGrad, categoryGrad, null! };
        foreach (var grad in grads) grad?.MoveToOuterDisposeScope();
        ctx.save_data("gradients", grads); // keeps them reachable until libtorch has taken them, whatever the caller's scopes
        return grads;
    }

    private sealed record TableShapes(long ItemRows, long ItemDim, long CategoryRows, long CategoryDim, long Padding);
}

/// <summary>
/// The paired lookup's passes over CPU memory. Forward: positions split over the intra-op threads, each row copied
/// into its half of the output. Backward: part k of P owns the table rows r with r mod P = k (vocabularies sorted by
/// frequency spread their busy rows over the parts), zeroes them and adds the gradient of every position that reads
/// them, in position order, so each row's sum is the same whatever the thread count.
/// </summary>
internal static unsafe class PairedLookupKernels
{
    private const int PositionsPerPart = 4096;

    /// <summary>int64 CPU ids of one shape (under 2³¹ positions), float32 CPU tables.</summary>
    public static bool Supports(Tensor itemIds, Tensor categoryIds, Tensor itemTable, Tensor categoryTable) =>
        itemIds.device_type == DeviceType.CPU && itemTable.device_type == DeviceType.CPU && categoryTable.device_type == DeviceType.CPU
        && itemIds.dtype == ScalarType.Int64 && categoryIds.dtype == ScalarType.Int64 && itemIds.shape.SequenceEqual(categoryIds.shape)
        && itemIds.numel() <= int.MaxValue && itemTable.dtype == ScalarType.Float32 && categoryTable.dtype == ScalarType.Float32;

    public static void Forward(Tensor itemIds, Tensor categoryIds, Tensor itemTable, Tensor categoryTable, Tensor output)
    {
        int positions = (int)itemIds.numel();
        long itemRows = itemTable.shape[0], categoryRows = categoryTable.shape[0];
        int itemDim = (int)itemTable.shape[1], categoryDim = (int)categoryTable.shape[1], width = itemDim + categoryDim;
        int parts = OpenMpTeam.PartsFor(positions, PositionsPerPart);
        OpenMpTeam.Run(parts, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int part) =>
        {
            var (first, count) = OpenMpTeam.Share(positions, parts, part);
            fixed (long* items = Longs(itemIds), categories = Longs(categoryIds))
            fixed (float* itemWeights = Floats(itemTable), categoryWeights = Floats(categoryTable), e = Floats(output))
                for (long at = first, end = first + count; at < end; at++)
                {
                    long item = Checked(items[at], itemRows, "item", at), category = Checked(categories[at], categoryRows, "category", at);
                    new ReadOnlySpan<float>(itemWeights + item * itemDim, itemDim).CopyTo(new Span<float>(e + at * width, itemDim));
                    new ReadOnlySpan<float>(categoryWeights + category * categoryDim, categoryDim).CopyTo(new Span<float>(e + at * width + itemDim, categoryDim));
                }
        });
    }

    public static void Backward(Tensor itemIds, Tensor categoryIds, Tensor outputGrad, Tensor itemGrad, Tensor categoryGrad, long padding)
    {
        int positions = (int)itemIds.numel();
        int itemDim = (int)itemGrad.shape[1], categoryDim = (int)categoryGrad.shape[1], width = itemDim + categoryDim;
        int parts = OpenMpTeam.PartsFor(positions, PositionsPerPart);
        OpenMpTeam.Run(parts, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int part) =>
        {
            fixed (long* items = Longs(itemIds), categories = Longs(categoryIds))
            fixed (float* g = Floats(outputGrad), itemWeights = Floats(itemGrad), categoryWeights = Floats(categoryGrad))
            {
                Clear(itemWeights, itemGrad.shape[0], itemDim, part, parts);
                Clear(categoryWeights, categoryGrad.shape[0], categoryDim, part, parts);
                for (long at = 0; at < positions; at++)
                {
                    long item = items[at], category = categories[at];
                    if (item % parts == part && item != padding) Add(g + at * width, itemWeights + item * itemDim, itemDim);
                    if (category % parts == part && category != padding) Add(g + at * width + itemDim, categoryWeights + category * categoryDim, categoryDim);
                }
            }
        });
    }

    /// <summary>Zeroes the rows r ≡ <paramref name="part"/> (mod <paramref name="parts"/>) of a (rows, dim) table.</summary>
    private static void Clear(float* table, long rows, int dim, int part, int parts)
    {
        for (long row = part; row < rows; row += parts) new Span<float>(table + row * dim, dim).Clear();
    }

    private static void Add(float* gradient, float* row, int dim)
    {
        int c = 0;
        for (; c <= dim - Vector256<float>.Count; c += Vector256<float>.Count)
            (Vector256.Load(row + c) + Vector256.Load(gradient + c)).Store(row + c);
        for (; c < dim; c++) row[c] += gradient[c];
    }

    private static long Checked(long id, long rows, string table, long position) => (ulong)id < (ulong)rows ? id
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"{table} id {id} at flat position {position} is outside the {table} table's {rows} rows");

}
