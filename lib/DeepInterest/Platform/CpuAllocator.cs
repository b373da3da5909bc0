using System.Runtime.InteropServices;

namespace DeepInterest.Platform;

/// <summary>
/// glibc's malloc settings for libtorch's CPU tensors. By default glibc serves a block above its mmap threshold
/// (128 KiB, raised to the largest such block freed so far, at most 32 MiB) with fresh pages from the kernel and gives
/// them back when it is freed, and trims the heap's free top above twice that threshold; a training step's large
/// tensors (a real data set's embedding gradients, 10 MB each for 81,011 items × 32 per field; BST's feed-forward
/// activations) then arrive as new pages every step, each zeroed by the kernel on first touch. <see cref="KeepFreedMemory"/>
/// fixes the mmap threshold at 32 MiB (the most the dynamic one reaches) and the trim threshold at 512 MiB, so freed
/// blocks stay in the process for the next step. The peak hardly moves (413 against 406 MiB for a MovieLens `compare`);
/// memory freed stays with the process, up to the trim threshold, instead of going back to the system. Other C
/// libraries keep their own behaviour. The thresholds govern every arena, but a thread's own arena (glibc gives threads
/// other than the first their own) may still return a block's pages: the CLI's training runs on its main thread, where a
/// `bench train` run on the Books stand-in took 0.32–0.35 M page faults against 4.1–4.4 M.
/// </summary>
internal static class CpuAllocator
{
    private const int TrimThreshold = -1;                  // glibc's M_TRIM_THRESHOLD
    private const int MmapThreshold = -3;                  // glibc's M_MMAP_THRESHOLD
    private const int LargestMmapThreshold = 32 << 20;     // glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit systems, the dynamic threshold's cap
    private const int KeptFreeTop = 512 << 20;

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);

    /// <summary>Applies the settings on Linux with glibc; elsewhere does nothing.</summary>
    public static void KeepFreedMemory()
    {
        if (!OperatingSystem.IsLinux() || !IsGlibc()) return;
        Mallopt(MmapThreshold, LargestMmapThreshold);
        Mallopt(TrimThreshold, KeptFreeTop);
    }

    private static bool IsGlibc() => NativeLibrary.TryLoad("libc.so.6", out var libc) && NativeLibrary.TryGetExport(libc, "gnu_get_libc_version", out _);
}
