using DeepInterest.Data;
using DeepInterest.Layers;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace DeepInterest.Tests;

/// <summary>
/// <see cref="BehaviorEmbedding"/>'s paired lookup (one autograd node for both tables): the values and table gradients
/// of two <c>nn.Embedding</c> lookups joined by <c>cat</c>, bit for bit, on every shape the models feed it.
/// </summary>
public class PairedLookupTests
{
    /// <summary>Ids drawn with the padding row and a busy row (id 2, a third of them) among them, so rows repeat within
    /// a part and across parts; the upstream gradient random, so every position's contribution shows.</summary>
    [Theory]
    [InlineData(new long[] { 256, 50 }, 32, 2)]     // a training batch's history: several parts on two threads
    [InlineData(new long[] { 256, 50 }, 32, 1)]
    [InlineData(new long[] { 9 }, 32, 1)]           // candidates
    [InlineData(new long[] { 16, 5, 10 }, 8, 2)]    // DSIN's sessions
    [InlineData(new long[] { 300, 20 }, 5, 2)]      // D not a multiple of the vector width
    [InlineData(new long[] { 0, 50 }, 32, 1)]       // no rows
    public void MatchesTwoEmbeddingLookupsJoinedByCat(long[] shape, int dim, int threads)
    {
        using var scope = NewDisposeScope();
        using var threadCount = TestSetup.Threads(threads);
        random.manual_seed(5);
        var (paired, itemTable, categoryTable) = Tables(itemRows: 97, categoryRows: 11, dim);
        var itemIds = Ids(shape, 97);
        var categoryIds = Ids(shape, 11);
        var upstream = randn([.. shape, 2 * dim]);

        var output = paired.forward(itemIds, categoryIds);
        var expected = cat([itemTable.forward(itemIds), categoryTable.forward(categoryIds)], -1);
        (output * upstream).sum().backward();
        (expected * upstream).sum().backward();

        Assert.Equal(expected.shape, output.shape);
        Assert.True(output.allclose(expected, 0, 0), "values differ");
        var grads = paired.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
        Assert.True(grads["items.weight"].allclose(itemTable.weight!.grad!, 0, 0), "item table gradients differ");
        Assert.True(grads["categories.weight"].allclose(categoryTable.weight!.grad!, 0, 0), "category table gradients differ");
        Assert.Equal(0f, grads["items.weight"][Vocabulary.Padding].abs().sum().item<float>());
        Assert.Equal(itemIds.numel() > 0, grads["items.weight"].abs().sum().item<float>() > 0);
    }

    [Theory]
    [InlineData(97L, "item id 97 at flat position 3")]
    [InlineData(-1L, "item id -1 at flat position 3")]
    public void RefusesAnIdOutsideItsTableAndNamesIt(long badId, string expected)
    {
        using var scope = NewDisposeScope();
        var (paired, _, _) = Tables(itemRows: 97, categoryRows: 11, dim: 8);
        var itemIds = tensor(new long[] { 1, 2, 3, badId, 4 });
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => paired.forward(itemIds, ones_like(itemIds)));
        Assert.Contains(expected, error.Message);
        Assert.Contains("97 rows", error.Message);
    }

    /// <summary>Serving: without gradients the lookup skips the autograd node and gives the same values.</summary>
    [Fact]
    public void WithoutGradientsGivesTheSameValuesAndNoGraph()
    {
        using var scope = NewDisposeScope();
        var (paired, itemTable, categoryTable) = Tables(itemRows: 97, categoryRows: 11, dim: 8);
        var (itemIds, categoryIds) = (Ids([4, 50], 97).t(), Ids([4, 50], 11).t());       // (50, 4), not contiguous
        var expected = cat([itemTable.forward(itemIds), categoryTable.forward(categoryIds)], -1);
        using (no_grad())
        {
            var output = paired.forward(itemIds, categoryIds);
            Assert.False(output.requires_grad);
            Assert.True(output.allclose(expected, 0, 0));
        }
    }

    [Fact]
    public void Float64TablesTakeLibTorchsLookups()
    {
        using var scope = NewDisposeScope();
        var (paired, itemTable, categoryTable) = Tables(itemRows: 20, categoryRows: 4, dim: 8);
        paired.to(ScalarType.Float64);
        var (itemIds, categoryIds) = (Ids([6, 7], 20), Ids([6, 7], 4));
        var expected = cat([itemTable.forward(itemIds), categoryTable.forward(categoryIds)], -1).to(ScalarType.Float64);
        var output = paired.forward(itemIds, categoryIds);
        Assert.Equal(ScalarType.Float64, output.dtype);
        Assert.True(output.allclose(expected, 0, 0));
    }

    /// <summary>A behaviour embedding and two plain embedding modules holding the same rows.</summary>
    private static (BehaviorEmbedding Paired, TorchSharp.Modules.Embedding Items, TorchSharp.Modules.Embedding Categories) Tables(long itemRows, long categoryRows, int dim)
    {
        var paired = new BehaviorEmbedding(new FeatureSpace(itemRows, categoryRows), dim);
        var weights = paired.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var items = nn.Embedding(itemRows, dim, padding_idx: Vocabulary.Padding);
        var categories = nn.Embedding(categoryRows, dim, padding_idx: Vocabulary.Padding);
        using (no_grad())
        {
            items.weight!.copy_(weights["items.weight"]);
            categories.weight!.copy_(weights["categories.weight"]);
        }
        return (paired, items, categories);
    }

    private static Tensor Ids(long[] shape, long rows) =>
        where(rand(shape) < 1.0 / 3, full(shape, 2L), randint(0, rows, shape));
}
