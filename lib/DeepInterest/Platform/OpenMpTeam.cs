using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using TorchSharp;

namespace DeepInterest.Platform;

/// <summary>
/// Runs C# work on libtorch's own OpenMP team (libgomp's <c>GOMP_parallel</c>, what <c>#pragma omp parallel</c>
/// compiles to), for loops whose parts each call libtorch. Between parallel operators, libgomp's idle workers keep
/// spinning on their core for milliseconds; a .NET thread started meanwhile competes with that spin for the same core,
/// while the team's own worker takes the part at once. Inside the region libtorch's operators and MKL run on the
/// calling thread alone (they do not nest), which is what parts of a step loop want. The team exists where
/// <see cref="TorchNatives.Preload"/> loaded libtorch's libgomp by path (Linux, <see cref="Available"/>); elsewhere
/// <see cref="Run"/> hands the parts to .NET's thread pool.
/// </summary>
internal static unsafe class OpenMpTeam
{
    private static readonly delegate* unmanaged<delegate* unmanaged<nint, void>, nint, uint, uint, void> parallel =
        (delegate* unmanaged<delegate* unmanaged<nint, void>, nint, uint, uint, void>)Export("GOMP_parallel");

    /// <summary>Whether libtorch's libgomp is loaded and offers the entry point.</summary>
    public static bool Available => parallel != null;

    /// <summary>
    /// Calls <paramref name="body"/>(0 … <paramref name="parts"/> − 1) on a team of up to that many threads, the calling
    /// thread among them; a team smaller than asked for (nested regions, a thread limit) takes the parts in turn. The
    /// first exception of any part is rethrown on the calling thread once the team has finished. Without the team, on
    /// .NET's thread pool (its exceptions come back as one <see cref="AggregateException"/>).
    /// </summary>
    public static void Run(int parts, Action<int> body)
    {
        if (parts == 1)
        {
            body(0);
            return;
        }
        if (!Available)
        {
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, body);
            return;
        }
        var work = new Work(parts, body);
        var handle = GCHandle.Alloc(work);
        try
        {
            parallel(&RunParts, GCHandle.ToIntPtr(handle), (uint)parts, 0);
        }
        finally
        {
            handle.Free();
        }
        work.Error?.Throw();
    }

    /// <summary>
    /// How many parts <paramref name="items"/> are worth at <paramref name="itemsPerPart"/> each: at least one, at most
    /// libtorch's intra-op thread count.
    /// </summary>
    public static int PartsFor(long items, long itemsPerPart) => (int)Math.Max(1, Math.Min(torch.get_num_threads(), items / itemsPerPart));

    /// <summary>Part <paramref name="part"/> of <paramref name="parts"/> near-equal consecutive shares of <paramref name="items"/>: its first item and count.</summary>
    public static (int First, int Count) Share(int items, int parts, int part)
    {
        int first = (int)((long)items * part / parts);
        return (first, (int)((long)items * (part + 1) / parts) - first);
    }

    [UnmanagedCallersOnly]
    private static void RunParts(nint state)
    {
        var work = (Work)GCHandle.FromIntPtr(state).Target!;
        for (int part; (part = Interlocked.Increment(ref work.Next) - 1) < work.Parts;)
        {
            try
            {
                work.Body(part);
            }
            catch (Exception error) // an exception must not unwind into libgomp
            {
                Interlocked.CompareExchange(ref work.Error, ExceptionDispatchInfo.Capture(error), null);
            }
        }
    }

    private sealed class Work(int parts, Action<int> body)
    {
        public readonly int Parts = parts;
        public readonly Action<int> Body = body;
        public int Next;
        public ExceptionDispatchInfo? Error;
    }

    private static nint Export(string name)
    {
        var openMp = TorchNatives.Preloaded.FirstOrDefault(file => Path.GetFileName(file).StartsWith("libgomp", StringComparison.Ordinal));
        return openMp is not null && NativeLibrary.TryLoad(openMp, out var library) && NativeLibrary.TryGetExport(library, name, out var entry)
            ? entry : 0;
    }
}
