using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepInterest.Layers;

/// <summary>How BST tells the transformer where a behaviour sits in the sequence.</summary>
public enum PositionKind
{
    /// <summary>BST paper §2.2: pos(vᵢ) = t(v_t) − t(vᵢ), the time gap to the candidate, bucketised (see <see cref="PositionEncoding.GapBoundariesSeconds"/>).</summary>
    TimeGap,
    /// <summary>Recency rank: candidate 0, most recent behaviour 1, … (capped at the configured maximum); ignores times.</summary>
    Index,
}

/// <summary>
/// Learned position embeddings for a BST sequence [history (B, T); candidate] → (B, T+1, E).
/// Both kinds count backwards from the candidate, so left padding never shifts a real token's position.
/// Time-gap buckets (log-scale, seconds, lower bound inclusive): 0: same second (the candidate itself),
/// 1: [1 s, 1 min), 2: [1, 5 min), 3: [5, 15 min), 4: [15 min, 1 h), 5: [1, 3 h), 6: [3, 6 h), 7: [6 h, 1 day),
/// 8: [1, 3 days), 9: [3, 7 days), 10: [7, 30 days), 11: ≥ 30 days. Negative gaps (a behaviour stamped after the
/// candidate, clock skew) count as 0. Padding gets whatever bucket its time 0 gives; BST masks it out.
/// </summary>
public sealed class PositionEncoding : Module<Tensor, Tensor, Tensor>
{
    /// <summary>Upper (exclusive) bounds of the time-gap buckets in seconds; bucket count = length + 1.</summary>
    public static readonly long[] GapBoundariesSeconds =
        [1, 60, 5 * 60, 15 * 60, 3600, 3 * 3600, 6 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400];

    private readonly Embedding positions;
    private readonly PositionKind kind;
    private readonly long maxIndex;

    /// <param name="kind">Time-gap buckets or recency index.</param>
    /// <param name="dim">Embedding width E (equal to the behaviour embedding, since BST here adds positions).</param>
    /// <param name="maxIndex">Largest recency index for <see cref="PositionKind.Index"/>; older behaviours share it.</param>
    public PositionEncoding(PositionKind kind, long dim, long maxIndex = 50) : base(nameof(PositionEncoding))
    {
        if (dim < 1) throw new ArgumentOutOfRangeException(nameof(dim), dim, "PositionEncoding: width must be positive");
        if (maxIndex < 1) throw new ArgumentOutOfRangeException(nameof(maxIndex), maxIndex, "PositionEncoding: maximum index must be at least 1");
        this.kind = kind;
        this.maxIndex = maxIndex;
        long rows = kind switch
        {
            PositionKind.TimeGap => GapBoundariesSeconds.Length + 1,
            PositionKind.Index => maxIndex + 1,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "PositionEncoding: unknown position kind"),
        };
        positions = Embedding(rows, dim);
        init.normal_(positions.weight!, std: 0.05);
        RegisterComponents();
    }

    /// <summary>(B, T) history times and (B) candidate times, Unix seconds → (B, T+1, E), the candidate last.</summary>
    public override Tensor forward(Tensor historyTimes, Tensor candidateTimes)
    {
        using var scope = NewDisposeScope();
        var ids = kind == PositionKind.TimeGap
            ? GapBuckets(candidateTimes.unsqueeze(1) - historyTimes)             // (B, T)
            : RecencyIndex(historyTimes);                                        // (B, T)
        var candidate = zeros(ids.shape[0], 1, dtype: ScalarType.Int64, device: ids.device); // (B, 1) gap 0 / rank 0
        return positions.forward(cat([ids, candidate], 1)).MoveToOuterDisposeScope(); // (B, T+1, E)
    }

    /// <summary>Time gaps in seconds (any shape, int64) → bucket ids of the same shape.</summary>
    public Tensor GapBuckets(Tensor gapSeconds)
    {
        using var scope = NewDisposeScope();
        var gaps = gapSeconds.clamp_min(0).contiguous();                          // (…)
        var boundaries = tensor(GapBoundariesSeconds, device: gaps.device);       // (K) made per call: no buffer to forget to move
        return bucketize(gaps, boundaries, right: true).MoveToOuterDisposeScope(); // (…) boundaries[i-1] ≤ gap < boundaries[i]
    }

    private Tensor RecencyIndex(Tensor historyTimes)
    {
        long t = historyTimes.shape[1];
        var rank = arange(t, 0, -1, dtype: ScalarType.Int64, device: historyTimes.device); // (T) T … 1, most recent = 1
        return rank.clamp_max(maxIndex).unsqueeze(0).expand(historyTimes.shape[0], t);     // (B, T)
    }
}
