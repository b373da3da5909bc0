using TorchSharp;
using static TorchSharp.torch;

namespace DeepInterest.Data;

/// <summary>A session as positions [<see cref="Start"/>, <see cref="End"/>) of the history it was cut from.</summary>
public readonly record struct SessionRange(int Start, int Length)
{
    public int End => Start + Length;
}

/// <summary>
/// DSIN's session division layer (Feng et al., IJCAI'19, §4.1): a new session starts where the gap to the previous
/// behaviour is MORE than <c>gap</c> seconds (the paper uses 30 minutes; a gap of exactly <c>gap</c> stays in the
/// session). Only the most recent K sessions are kept, each cut to its most recent L behaviours. The rule is written
/// once, in <see cref="Locate"/>, as tensor operations over a whole (B, T) batch on the batch's device (gap flags, a
/// cumulative sum, per-session counts; no host copy); <see cref="SessionLayout.Build"/> places a batch's kept
/// behaviours with it, and <see cref="Split"/> reads it back for one timeline as ranges.
/// </summary>
public static class Sessionizer
{
    public const long DefaultGap = 1800;

    /// <summary>
    /// Where every position of a (B, T) batch falls among its row's sessions. <paramref name="times"/> (B, T) int64
    /// seconds, non-decreasing over each row's behaviours; <paramref name="mask"/> (B, T) bool, true at behaviours, which
    /// must end each row (left padding, as <see cref="Batch"/> lays histories out; the times of padding are not read for
    /// any behaviour's answer). With <paramref name="chunkSize"/> the times are not read at all: sessions are chunks of
    /// that many consecutive behaviours counted back from the most recent, so only the oldest may be shorter (the
    /// fallback when times are step indices, in which no gap can fire). Every result is on the inputs' device.
    /// </summary>
    public static SessionPlaces Locate(Tensor times, Tensor mask, long gap, int? chunkSize = null)
    {
        if (mask.dim() != 2 || mask.dtype != ScalarType.Bool)
            throw new ArgumentException($"the behaviour mask must be a (B, T) bool tensor, got {mask.dtype} of shape ({string.Join(", ", mask.shape)})", nameof(mask));
        if (chunkSize is null && (times.dtype != ScalarType.Int64 || !times.shape.SequenceEqual(mask.shape)))
            throw new ArgumentException($"times must be int64 seconds shaped like the mask ({string.Join(", ", mask.shape)}), got {times.dtype} of shape ({string.Join(", ", times.shape)})", nameof(times));
        if (gap < 0) throw new ArgumentOutOfRangeException(nameof(gap), gap, "session gap must be non-negative seconds");
        if (chunkSize < 1) throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize, "a chunk holds at least one behaviour");
        using var scope = NewDisposeScope();
        long b = mask.shape[0], t = mask.shape[1];
        // Scalars are made and disposed here rather than converted implicitly: each implicit one holds a little native
        // memory until the garbage collector finalizes it, and those blocks, scattered among the freed tensors, measured
        // +190 KB of heap per call until the next collection (B = 256, T = 50).
        using Scalar last = t - 1, none = -1, threshold = gap;
        var after = arange(last, none, none, dtype: ScalarType.Int64, device: mask.device);   // (T) behaviours after a behaviour at p
        Tensor session;                                                                      // (B, T) sessions newer than the position's own
        if (chunkSize is { } size)
        {
            using Scalar chunk = size;
            session = after.div(chunk, rounding_mode: RoundingMode.floor).expand(b, t);
        }
        else
        {
            // A session starts at p when p is more than `gap` after p − 1. The flag at a row's first behaviour compares it
            // with padding: it only counts for the padding before it, so it never changes a behaviour's answer.
            var opens = times.diff(1, 1, prepend: times.narrow(1, 0, 1)).gt(threshold).cumsum(1, ScalarType.Int64); // (B, T) sessions opened up to p
            session = opens.narrow(1, t - 1, 1) - opens;
        }
        // A row has at most T sessions; padding lands on an index below T + 1 and counts nothing.
        var counts = zeros(b, t + 1, dtype: ScalarType.Int64, device: mask.device)
            .scatter_add_(1, session, mask.to_type(ScalarType.Int64));                       // (B, T + 1) behaviours per session
        var newer = counts.cumsum(1) - counts;                                               // (B, T + 1) behaviours in newer sessions
        var fromEnd = after - newer.gather(1, session);                                      // (B, T) later behaviours in the same session
        var length = counts.gather(1, session);                                              // (B, T)
        return new SessionPlaces(mask, session.MoveToOuterDisposeScope(), fromEnd.MoveToOuterDisposeScope(), length.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Sessions of one history (timestamps oldest first, non-decreasing), oldest kept session first: <see cref="Locate"/>
    /// on a one-row batch on the CPU, read back as ranges (for notebooks and plots; models use <see cref="SessionLayout"/>).
    /// </summary>
    public static IReadOnlyList<SessionRange> Split(IReadOnlyList<long> timestamps, long gap = DefaultGap, int maxSessions = 5, int maxLength = 10)
    {
        if (gap < 0) throw new ArgumentOutOfRangeException(nameof(gap), gap, "session gap must be non-negative seconds");
        if (maxSessions < 1) throw new ArgumentOutOfRangeException(nameof(maxSessions), maxSessions, "keep at least one session");
        if (maxLength < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "sessions hold at least one behaviour");
        int n = timestamps.Count;
        for (int i = 1; i < n; i++)
            if (timestamps[i] < timestamps[i - 1])
                throw new InvalidDataException(
                    $"behaviour timestamps must be non-decreasing: position {i} has {timestamps[i]} after {timestamps[i - 1]} at position {i - 1}");
        if (n == 0) return [];
        using var scope = NewDisposeScope();
        var places = Locate(tensor(timestamps.ToArray(), [1, n], device: CPU), ones(1, n, dtype: ScalarType.Bool, device: CPU), gap);
        var kept = places.Kept(maxSessions, maxLength).data<bool>().ToArray();
        var session = places.Session.data<long>().ToArray();
        var ranges = new List<SessionRange>();
        for (int p = 0; p < n; p++)
        {
            if (!kept[p]) continue;
            if (p > 0 && kept[p - 1] && session[p - 1] == session[p]) ranges[^1] = ranges[^1] with { Length = ranges[^1].Length + 1 };
            else ranges.Add(new SessionRange(p, 1));
        }
        return ranges;
    }
}

/// <summary>
/// <see cref="Sessionizer.Locate"/>'s answer for a (B, T) batch, every tensor on the batch's device. At behaviours:
/// <see cref="Session"/> counts the row's sessions newer than the behaviour's own (0 = the most recent session),
/// <see cref="FromEnd"/> the behaviours after it in its session (0 = its session's last), <see cref="Length"/> its
/// session's size; at padding they mean nothing.
/// </summary>
public sealed record SessionPlaces(Tensor Mask, Tensor Session, Tensor FromEnd, Tensor Length)
{
    /// <summary>(B, T) true at the behaviours kept: in the <paramref name="sessions"/> most recent sessions, among the <paramref name="sessionLength"/> most recent of their session.</summary>
    public Tensor Kept(long sessions, long sessionLength)
    {
        using var scope = NewDisposeScope();
        using Scalar k = sessions, l = sessionLength;
        return Mask.logical_and(Session.lt(k)).logical_and(FromEnd.lt(l)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Where each kept session's behaviours sit in a padded (B, T) batch, as tensors on the batch's device.
/// Sessions are left-padded like histories (the newest session at slot K−1); within a session behaviours start at
/// position 0 (oldest kept first), so bias encoding's position t means "t-th behaviour of the session".
/// <see cref="Slot"/> (B, T) the flat index k·L + l each history position goes to, K·L when it is padding or dropped;
/// <see cref="BehaviorMask"/> (B, K, L); <see cref="SessionMask"/> (B, K); <see cref="SessionOf"/> (B, T) the kept
/// session slot k of each history position, −1 when padding or dropped.
/// </summary>
public sealed record SessionLayout(int Sessions, int SessionLength, Tensor Slot, Tensor BehaviorMask, Tensor SessionMask, Tensor SessionOf)
{
    /// <summary>
    /// Sessionizes every row of a (B, T) batch on its device (<see cref="Sessionizer.Locate"/>; the same layout rule as
    /// histories: behaviours end each row): the <paramref name="sessions"/> most recent sessions, each its
    /// <paramref name="sessionLength"/> most recent behaviours. With <paramref name="chunkSize"/> the sessions are chunks
    /// of that size and the times are not read.
    /// </summary>
    public static SessionLayout Build(Tensor times, Tensor mask, long gap, int sessions, int sessionLength, int? chunkSize = null)
    {
        if (sessions < 1) throw new ArgumentOutOfRangeException(nameof(sessions), sessions, "keep at least one session");
        if (sessionLength < 1) throw new ArgumentOutOfRangeException(nameof(sessionLength), sessionLength, "sessions hold at least one behaviour");
        using var scope = NewDisposeScope();
        var places = Sessionizer.Locate(times, mask, gap, chunkSize);
        long k = sessions, l = sessionLength;
        using Scalar newest = k - 1, width = l, one = 1, discard = k * l, none = -1;       // disposed now, not at finalization (see Locate)
        var kept = places.Kept(k, l);                                                        // (B, T)
        var dropped = kept.logical_not();                                                    // (B, T)
        var session = places.Session.neg().add_(newest);                                     // (B, T) newest session in slot K−1
        var within = places.Length.clamp_max(width).sub_(one).sub_(places.FromEnd);          // (B, T) oldest kept behaviour at 0
        var slot = session.mul(width).add_(within).masked_fill_(dropped, discard);           // (B, T)
        var behaviorMask = Place(slot, kept, k, l);                                          // (B, K, L)
        return new SessionLayout(sessions, sessionLength, slot.MoveToOuterDisposeScope(), behaviorMask.MoveToOuterDisposeScope(),
                                 behaviorMask.any(2).MoveToOuterDisposeScope(), session.masked_fill(dropped, none).MoveToOuterDisposeScope());
    }

    /// <summary>(B, T) values at the history positions → (B, K, L) at their session slots, zero (false) in empty slots.</summary>
    public Tensor Place(Tensor values) => Place(Slot, values, Sessions, SessionLength);

    /// <summary>One scatter into K·L + 1 columns, the last one taking every position not kept, then cut off.</summary>
    private static Tensor Place(Tensor slot, Tensor values, long k, long l)
    {
        using var scope = NewDisposeScope();
        return zeros(slot.shape[0], k * l + 1, dtype: values.dtype, device: values.device)
            .scatter_(1, slot, values).narrow(1, 0, k * l).reshape(slot.shape[0], k, l).MoveToOuterDisposeScope(); // (B, K, L)
    }
}
