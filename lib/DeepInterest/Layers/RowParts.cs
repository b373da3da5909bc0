using DeepInterest.Platform;
using static TorchSharp.torch;

namespace DeepInterest.Layers;

/// <summary>
/// Runs <see cref="MaskedGruFunction"/>'s step loops in parts of rows. The rows of a batch never interact, so part k can
/// take the rows j ∈ [J_k, J_{k+1}) of every step, from the first step to the last (or back), on a thread of its own,
/// with no synchronisation between steps: one join per loop. Each part's steps run on its thread alone: a step's
/// operands (at most a few hundred rows of G·H units) are too small to split across OpenMP threads, whose per-operator
/// barriers cost more than they save (on a loaded machine each also waits for a worker that is not scheduled).
/// </summary>
internal static class RowParts
{
    /// <summary>Fewer rows than this per part in the widest step are not worth a thread.</summary>
    private const long MinimumRows = 32;

    /// <summary>
    /// How many parts the step counts n_s are worth: up to the intra-op thread count, and one where libtorch's OpenMP
    /// team is not at hand (<see cref="OpenMpTeam.Available"/>), since .NET threads would share cores with its spinning workers.
    /// </summary>
    public static int For(long[] counts) =>
        OpenMpTeam.Available ? OpenMpTeam.PartsFor(counts.Max(), MinimumRows) : 1;

    /// <summary>
    /// Calls <paramref name="steps"/>(J_k, J_{k+1}) for the parts between consecutive <paramref name="bounds"/>, the first
    /// on the calling thread, each with the caller's gradient and inference modes (they are per thread in libtorch).
    /// </summary>
    public static void Run(long[] bounds, Action<long, long> steps)
    {
        int parts = bounds.Length - 1;
        if (parts == 1)
        {
            using var alone = new OneThread();
            steps(bounds[0], bounds[1]);
            return;
        }
        bool gradients = is_grad_enabled(), inference = is_inference_mode_enabled();
        OpenMpTeam.Run(parts, part =>
        {
            using var gradientMode = set_grad_enabled(gradients);
            using var inferenceMode = inference ? inference_mode() : null;
            using var scope = NewDisposeScope();
            steps(bounds[part], bounds[part + 1]);
        });
    }

    /// <summary>Sets the calling thread's libtorch thread count to 1 and restores it on disposal.</summary>
    private sealed class OneThread : IDisposable
    {
        private int restore = get_num_threads();
        public OneThread() { if (restore > 1) set_num_threads(1); }
        public void Dispose() { if (restore > 1) set_num_threads(restore); restore = 1; }
    }
}
