namespace DeepInterest.Data;

/// <summary>
/// Every constant of the planted generative process of <see cref="SyntheticData"/> (documented step by step there and
/// in data/README.md). Defaults are the <see cref="Default"/> preset; times are in seconds.
/// </summary>
public sealed record SyntheticConfig
{
    public int Seed { get; init; } = 42;
    public int Users { get; init; } = 3000;

    // Catalogue
    public int Categories { get; init; } = 60;
    public int ItemsPerCategory { get; init; } = 12;
    /// <summary>Category popularity ∝ rank^-s (rank 1 = category 0).</summary>
    public double CategoryZipfExponent { get; init; } = 0.8;
    /// <summary>Item popularity within its category ∝ rank^-s.</summary>
    public double ItemZipfExponent { get; init; } = 1.1;
    /// <summary>Standard deviation of the item's latent quality q_i ~ N(0, σ²), added to the click logit.</summary>
    public double ItemQualityStd { get; init; } = 0.4;

    // Users and their interests
    public int MinInterests { get; init; } = 4;
    public int MaxInterests { get; init; } = 7;
    /// <summary>Probability that a session keeps the previous session's interest.</summary>
    public double InterestStayProbability { get; init; } = 0.25;
    /// <summary>Each user's transition weights to their other interests are drawn uniformly from [1 - h, 1 + h].</summary>
    public double TransitionHeterogeneity { get; init; } = 0.5;

    // Timelines and sessions
    public int MinTimelineLength { get; init; } = 60;
    public int MaxTimelineLength { get; init; } = 150;
    public int MinSessionLength { get; init; } = 3;
    public int MaxSessionLength { get; init; } = 12;
    public double InSessionGapMeanSeconds { get; init; } = 90;
    public double MinInSessionGapSeconds { get; init; } = 5;
    public double MaxInSessionGapSeconds { get; init; } = 20 * 60;
    public double MinSessionBreakSeconds { get; init; } = 2 * 3600;
    public double MaxSessionBreakSeconds { get; init; } = 3 * 86400;
    /// <summary>Unix time of 2024-01-01 00:00 UTC.</summary>
    public long StartTimestamp { get; init; } = 1_704_067_200;
    /// <summary>Each user's first behaviour is uniform in [start, start + spread).</summary>
    public double StartSpreadSeconds { get; init; } = 7 * 86400;

    // Behaviours: from the session's interest, else a random popular item, else another interest of the user
    public double BehaviorCurrentInterestProbability { get; init; } = 0.85;
    public double BehaviorRandomItemProbability { get; init; } = 0.03;

    // Impressions
    public int ImpressionsPerUser { get; init; } = 12;
    /// <summary>Earlier behaviours an impression needs (it also needs one earlier behaviour in its session).</summary>
    public int MinHistory { get; init; } = 4;
    public double CandidateCurrentInterestProbability { get; init; } = 0.4;
    public double CandidateOtherInterestProbability { get; init; } = 0.3;

    // Click model: logit = b0 + w_now·[cat = z_s] + w_old·[cat ∈ other interests] + q_item + segment bias + hour term
    public double ClickBias { get; init; } = -1.5;
    public double CurrentInterestWeight { get; init; } = 3.0;
    public double OtherInterestWeight { get; init; } = 0.6;

    // Side effects, each visible only through a side field (issue 11): logit += segment bias + hour propensity
    /// <summary>Users are split uniformly into this many segments (the user field "segment"); at least 1.</summary>
    public int UserSegments { get; init; } = 4;
    /// <summary>Segment s of S adds SegmentEffect · (2s / (S − 1) − 1) to the logit: evenly spaced in [−e, +e] (0 with one segment).</summary>
    public double SegmentEffect { get; init; } = 0.8;
    /// <summary>The impression's hour h (UTC) adds HourEffect · cos(2π (h − PeakHour) / 24) to the logit (the context field "hour").</summary>
    public double HourEffect { get; init; } = 0.8;
    public int PeakHour { get; init; } = 20;

    /// <summary>The planted click bias of a user segment.</summary>
    public double SegmentBias(int segment) => UserSegments == 1 ? 0 : SegmentEffect * (2.0 * segment / (UserSegments - 1) - 1);

    /// <summary>The planted hour-of-day propensity of an impression at <paramref name="time"/> (Unix seconds).</summary>
    public double HourTerm(long time) => HourEffect * Math.Cos(2 * Math.PI * (FieldVocabulary.HourOf(time) - PeakHour) / 24);

    /// <summary>Planted relevance of a same-category history item that is not current-session evidence for the candidate.</summary>
    public double BackgroundRelevance { get; init; } = 0.25;

    /// <summary>~150 users, ~1.5k samples; generates in well under a second (tests, quick demos).</summary>
    public static SyntheticConfig Tiny { get; } = new() { Users = 150, Categories = 12, ItemsPerCategory = 40 };
    /// <summary>~3000 users × 10 impressions = 30k samples; generates in a few seconds.</summary>
    public static SyntheticConfig Default { get; } = new();
    /// <summary>~20000 users × 10 impressions = 200k samples (GPU runs).</summary>
    public static SyntheticConfig Large { get; } = new() { Users = 20_000, Categories = 48, ItemsPerCategory = 150 };

    internal void Validate()
    {
        static void Require(bool ok, string field, object value, string expected)
        {
            if (!ok) throw new ArgumentOutOfRangeException(field, value, $"SyntheticConfig.{field} must be {expected}");
        }
        static bool IsProbability(double p) => p >= 0 && p <= 1;
        Require(Users >= 1, nameof(Users), Users, "at least 1");
        Require(Categories >= 2, nameof(Categories), Categories, "at least 2");
        Require(ItemsPerCategory >= 1, nameof(ItemsPerCategory), ItemsPerCategory, "at least 1");
        Require(CategoryZipfExponent >= 0, nameof(CategoryZipfExponent), CategoryZipfExponent, "non-negative");
        Require(ItemZipfExponent >= 0, nameof(ItemZipfExponent), ItemZipfExponent, "non-negative");
        Require(ItemQualityStd >= 0, nameof(ItemQualityStd), ItemQualityStd, "non-negative");
        Require(MinInterests >= 2, nameof(MinInterests), MinInterests, "at least 2 (interest evolution needs somewhere to move)");
        Require(MaxInterests >= MinInterests && MaxInterests <= Categories, nameof(MaxInterests), MaxInterests, $"between MinInterests ({MinInterests}) and Categories ({Categories})");
        Require(IsProbability(InterestStayProbability), nameof(InterestStayProbability), InterestStayProbability, "in [0, 1]");
        Require(TransitionHeterogeneity >= 0 && TransitionHeterogeneity < 1, nameof(TransitionHeterogeneity), TransitionHeterogeneity, "in [0, 1)");
        Require(MinSessionLength >= 1, nameof(MinSessionLength), MinSessionLength, "at least 1");
        Require(MaxSessionLength >= MinSessionLength, nameof(MaxSessionLength), MaxSessionLength, $"at least MinSessionLength ({MinSessionLength})");
        Require(MinHistory >= 1, nameof(MinHistory), MinHistory, "at least 1");
        Require(MinTimelineLength > MinHistory, nameof(MinTimelineLength), MinTimelineLength, $"greater than MinHistory ({MinHistory})");
        Require(MaxTimelineLength >= MinTimelineLength, nameof(MaxTimelineLength), MaxTimelineLength, $"at least MinTimelineLength ({MinTimelineLength})");
        Require(InSessionGapMeanSeconds > 0, nameof(InSessionGapMeanSeconds), InSessionGapMeanSeconds, "positive");
        Require(MinInSessionGapSeconds >= 1, nameof(MinInSessionGapSeconds), MinInSessionGapSeconds, "at least 1");
        Require(MaxInSessionGapSeconds >= MinInSessionGapSeconds, nameof(MaxInSessionGapSeconds), MaxInSessionGapSeconds, $"at least MinInSessionGapSeconds ({MinInSessionGapSeconds})");
        Require(MinSessionBreakSeconds > MaxInSessionGapSeconds, nameof(MinSessionBreakSeconds), MinSessionBreakSeconds, $"greater than MaxInSessionGapSeconds ({MaxInSessionGapSeconds}) so sessions stay separable");
        Require(MaxSessionBreakSeconds >= MinSessionBreakSeconds, nameof(MaxSessionBreakSeconds), MaxSessionBreakSeconds, $"at least MinSessionBreakSeconds ({MinSessionBreakSeconds})");
        Require(StartTimestamp >= 0, nameof(StartTimestamp), StartTimestamp, "non-negative Unix seconds");
        Require(StartSpreadSeconds >= 0, nameof(StartSpreadSeconds), StartSpreadSeconds, "non-negative");
        Require(IsProbability(BehaviorCurrentInterestProbability), nameof(BehaviorCurrentInterestProbability), BehaviorCurrentInterestProbability, "in [0, 1]");
        Require(IsProbability(BehaviorRandomItemProbability) && BehaviorCurrentInterestProbability + BehaviorRandomItemProbability <= 1,
            nameof(BehaviorRandomItemProbability), BehaviorRandomItemProbability, "in [0, 1 - BehaviorCurrentInterestProbability]");
        Require(ImpressionsPerUser >= 1, nameof(ImpressionsPerUser), ImpressionsPerUser, "at least 1");
        Require(IsProbability(CandidateCurrentInterestProbability), nameof(CandidateCurrentInterestProbability), CandidateCurrentInterestProbability, "in [0, 1]");
        Require(IsProbability(CandidateOtherInterestProbability) && CandidateCurrentInterestProbability + CandidateOtherInterestProbability <= 1,
            nameof(CandidateOtherInterestProbability), CandidateOtherInterestProbability, "in [0, 1 - CandidateCurrentInterestProbability]");
        Require(UserSegments >= 1, nameof(UserSegments), UserSegments, "at least 1");
        Require(PeakHour >= 0 && PeakHour < 24, nameof(PeakHour), PeakHour, "an hour in [0, 23]");
        Require(double.IsFinite(SegmentEffect) && double.IsFinite(HourEffect), nameof(SegmentEffect), SegmentEffect, "finite, as must HourEffect");
        Require(IsProbability(BackgroundRelevance), nameof(BackgroundRelevance), BackgroundRelevance, "in [0, 1]");
        Require(double.IsFinite(ClickBias) && double.IsFinite(CurrentInterestWeight) && double.IsFinite(OtherInterestWeight),
            nameof(ClickBias), ClickBias, "finite, as must CurrentInterestWeight and OtherInterestWeight");
    }
}
