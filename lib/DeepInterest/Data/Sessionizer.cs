namespace DeepInterest.Data;

/// <summary>A session as positions [<see cref="Start"/>, <see cref="End"/>) of the history it was cut from.</summary>
public readonly record struct SessionRange(int Start, int Length)
{
    public int End => Start + Length;
}

/// <summary>
/// DSIN's session division layer (Feng et al., IJCAI'19, §4.1), a pure host-side function: a new session starts
/// where the gap to the previous behaviour is MORE than <c>gap</c> seconds (the paper uses 30 minutes; a gap of
/// exactly <c>gap</c> stays in the session). Only the most recent <c>maxSessions</c> sessions are kept, each cut
/// to its most recent <c>maxLength</c> behaviours.
/// </summary>
public static class Sessionizer
{
    public const long DefaultGap = 1800;

    /// <summary>Sessions of one history (timestamps oldest first, non-decreasing), oldest kept session first.</summary>
    public static IReadOnlyList<SessionRange> Split(IReadOnlyList<long> timestamps, long gap = DefaultGap, int maxSessions = 5, int maxLength = 10)
    {
        if (gap < 0) throw new ArgumentOutOfRangeException(nameof(gap), gap, "session gap must be non-negative seconds");
        if (maxSessions < 1) throw new ArgumentOutOfRangeException(nameof(maxSessions), maxSessions, "keep at least one session");
        if (maxLength < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "sessions hold at least one behaviour");
        var sessions = new List<SessionRange>();
        int start = 0;
        for (int i = 1; i <= timestamps.Count; i++) // i == Count closes the last session
        {
            if (i < timestamps.Count && timestamps[i] < timestamps[i - 1])
                throw new InvalidDataException(
                    $"behaviour timestamps must be non-decreasing: position {i} has {timestamps[i]} after {timestamps[i - 1]} at position {i - 1}");
            if (i == timestamps.Count || timestamps[i] - timestamps[i - 1] > gap)
            {
                sessions.Add(new SessionRange(start, i - start));
                start = i;
            }
        }
        return sessions
            .Skip(Math.Max(0, sessions.Count - maxSessions))
            .Select(s => s.Length <= maxLength ? s : new SessionRange(s.End - maxLength, maxLength))
            .ToList();
    }

    /// <summary>
    /// The fallback when times are step indices (no gaps to cut at): sessions of <paramref name="size"/> consecutive
    /// behaviours, counted back from the most recent, so only the oldest session may be shorter. Kept and cut like
    /// <see cref="Split"/>: the most recent <paramref name="maxSessions"/>, each to its last <paramref name="maxLength"/>.
    /// </summary>
    public static IReadOnlyList<SessionRange> Chunks(int count, int size, int maxSessions = 5, int maxLength = 10)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "a history has at least zero behaviours");
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "a chunk holds at least one behaviour");
        if (maxSessions < 1) throw new ArgumentOutOfRangeException(nameof(maxSessions), maxSessions, "keep at least one session");
        if (maxLength < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "sessions hold at least one behaviour");
        var sessions = new List<SessionRange>();
        for (int end = count; end > 0 && sessions.Count < maxSessions; end -= size)
        {
            int start = Math.Max(0, end - size), length = Math.Min(end - start, maxLength);
            sessions.Insert(0, new SessionRange(end - length, length));
        }
        return sessions;
    }
}

/// <summary>
/// Where each kept session's behaviours sit in a padded (B, T) batch, as flat host arrays ready to become tensors.
/// Sessions are left-padded like histories (the newest session at slot K−1); within a session behaviours start at
/// position 0 (oldest kept first), so bias encoding's position t means "t-th behaviour of the session".
/// </summary>
public sealed record SessionLayout(int Batch, int Sessions, int SessionLength, long[] Positions, bool[] BehaviorMask, bool[] SessionMask, long[] SessionOf)
{
    /// <summary>
    /// Sessionizes every row of a (B, T) batch. <paramref name="times"/> and <paramref name="mask"/> are row-major
    /// (B·T); only masked-in positions are behaviours. Outputs: <c>Positions</c> (B·K·L) history position of each
    /// slot (0 in empty slots), <c>BehaviorMask</c> (B·K·L), <c>SessionMask</c> (B·K), <c>SessionOf</c> (B·T) the
    /// kept session slot of each history position or −1 when padding or dropped. With <paramref name="chunkSize"/> the
    /// sessions are <see cref="Sessionizer.Chunks"/> of that size and the times are not read (step-index times).
    /// </summary>
    public static SessionLayout Build(long[] times, bool[] mask, int batch, long gap, int sessions, int sessionLength, int? chunkSize = null)
    {
        if (times.Length != mask.Length || batch < 1 || times.Length % batch != 0)
            throw new ArgumentException($"times ({times.Length}) and mask ({mask.Length}) must both hold {batch} equal rows");
        int t = times.Length / batch, k = sessions, l = sessionLength;
        var positions = new long[batch * k * l];
        var behaviorMask = new bool[batch * k * l];
        var sessionMask = new bool[batch * k];
        var sessionOf = Enumerable.Repeat(-1L, batch * t).ToArray();
        for (int b = 0; b < batch; b++)
        {
            var real = Enumerable.Range(0, t).Where(p => mask[b * t + p]).ToArray();
            IReadOnlyList<SessionRange> ranges;
            try
            {
                ranges = chunkSize is { } size
                    ? Sessionizer.Chunks(real.Length, size, k, l)
                    : Sessionizer.Split(real.Select(p => times[b * t + p]).ToArray(), gap, k, l);
            }
            catch (InvalidDataException e) { throw new InvalidDataException($"batch row {b} (positions count real behaviours only): {e.Message}", e); }
            for (int s = 0; s < ranges.Count; s++)
            {
                int slot = k - ranges.Count + s;
                sessionMask[b * k + slot] = true;
                for (int j = 0; j < ranges[s].Length; j++)
                {
                    int position = real[ranges[s].Start + j], flat = (b * k + slot) * l + j;
                    positions[flat] = position;
                    behaviorMask[flat] = true;
                    sessionOf[b * t + position] = slot;
                }
            }
        }
        return new SessionLayout(batch, k, l, positions, behaviorMask, sessionMask, sessionOf);
    }
}
