using Xunit;

namespace DeepInterest.Tests;

/// <summary>
/// Tests that seed libtorch's global generator and then compare two runs draw for draw (same dropout masks, same
/// initial weights). Test classes run in parallel, and any other test's draw between the seed and the comparison
/// changes one run only; this collection runs alone, after the parallel ones.
/// </summary>
[CollectionDefinition(nameof(GlobalRandomStream), DisableParallelization = true)]
public sealed class GlobalRandomStream;
