namespace DeepInterest.Data;

/// <summary>A generated world: the behaviour log, the CTR impressions with their planted truth, and how it was made.</summary>
public sealed class SyntheticWorld
{
    public required SyntheticConfig Config { get; init; }
    public required SyntheticCatalogue Catalogue { get; init; }
    /// <summary>Every behaviour (a click), users in ascending id, each user's behaviours in time order.</summary>
    public required IReadOnlyList<Behavior> Log { get; init; }
    /// <summary>Impressions with label, planted <see cref="CtrSample.ClickProbability"/> and <see cref="CtrSample.Relevance"/>.</summary>
    public required IReadOnlyList<CtrSample> Samples { get; init; }
    /// <summary>Each user's planted segment (by user id), the only way to see its click bias.</summary>
    public required IReadOnlyList<int> Segments { get; init; }

    /// <summary>The segments as the user field "segment", the way a loader hands over a user file.</summary>
    public UserProfiles Profiles => new(["segment"], Enumerable.Range(0, Segments.Count).ToDictionary(u => (long)u, u => new[] { Segments[u].ToString() }),
        "synthetic user segments");

    /// <summary>The planted side terms of a sample's logit: its user's segment bias plus its hour-of-day propensity.</summary>
    public double SideLogit(CtrSample sample) => Config.SegmentBias(Segments[(int)sample.User]) + Config.HourTerm(sample.Time);

    /// <summary>Splits <see cref="Samples"/> by user (10% test users, 10% of the rest validation) into a data set
    /// (null <paramref name="vocabulary"/> = the defaults) with the side fields "segment" (user) and hour, weekday (context)
    /// and, when <paramref name="itemTiers"/>, the candidate field "quality_tier" (<see cref="SyntheticCatalogue.QualityTiers"/>).</summary>
    public CtrDataset ToDataset(int seed, VocabularyConfig? vocabulary = null, bool itemTiers = false) =>
        Splits.ByUser(Samples, seed: seed).ToDataset($"synthetic ({Config.Users:N0} users, seed {Config.Seed})", Log, vocabulary,
            new FieldSources { Users = Profiles, Context = true, Items = itemTiers ? Catalogue.QualityTiers() : null });
}

/// <summary>
/// A synthetic world with planted, evolving interests — small enough to train on in seconds, with the truth known,
/// so attention weights can be checked against <see cref="CtrSample.Relevance"/> and AUCs against the Bayes-optimal
/// <see cref="CtrSample.ClickProbability"/>. The generative process (every constant a <see cref="SyntheticConfig"/> field):
/// <list type="number">
/// <item>Catalogue (<see cref="SyntheticCatalogue"/>): C categories with Zipf popularity, Zipf item popularity within
/// each category, item quality q_i ~ N(0, σ_q²).</item>
/// <item>User u gets K ~ U{MinInterests..MaxInterests} distinct interest categories drawn by category popularity, and a
/// Markov chain over them: stay with InterestStayProbability, otherwise move to another interest with user-specific
/// weights ~ U[1−h, 1+h]. The first session's interest is uniform among the user's interests.</item>
/// <item>The timeline (L ~ U{MinTimelineLength..MaxTimelineLength} behaviours) is cut into sessions of
/// U{MinSessionLength..MaxSessionLength} behaviours; one interest z_s per session (the chain moves between sessions).
/// Gaps inside a session ~ Exp(mean InSessionGapMeanSeconds) clipped to [MinInSessionGap, MaxInSessionGap]; between
/// sessions log-uniform in [MinSessionBreak, MaxSessionBreak]. Each behaviour is, with BehaviorCurrentInterestProbability,
/// a popular item of z_s's category; with BehaviorRandomItemProbability a globally popular item; otherwise a popular item
/// of another of the user's interests (uniform).</item>
/// <item>Impressions: ImpressionsPerUser distinct positions p ≥ MinHistory (the history is behaviours 0..p−1, all of
/// them; the loader truncates), in the session of behaviour p−1, at its time + an in-session gap (never after the
/// next behaviour of that session). Candidate: with CandidateCurrentInterestProbability a popular item of z_s's category,
/// with CandidateOtherInterestProbability one of another interest, else a globally popular item.</item>
/// <item>Click: logit = b0 + w_now·[cat = z_s] + w_old·[cat ∈ other interests] + q_item + b_segment(u) + HourTerm(time)
/// (the side effects: each user's segment, drawn from its own stream so nothing else moves, and the impression's hour);
/// label ~ Bernoulli(σ(logit));
/// <see cref="CtrSample.ClickProbability"/> = σ(logit).</item>
/// <item>Relevance of history behaviour h to candidate c: 0 unless cat_h = cat_c; 1 if moreover cat_c = z_s and h is
/// in the current session (the only evidence of the dominant w_now term); otherwise BackgroundRelevance (it only
/// shows cat_c is one of the user's interests — the much weaker w_old term).</item>
/// <item>One auxiliary-loss negative per history step, drawn once per behaviour by <see cref="NegativeSampler"/>
/// (popularity over the generated log, never an item of the user's own log).</item>
/// </list>
/// Deterministic given <see cref="SyntheticConfig.Seed"/>: every user and item has its own random stream.
/// </summary>
public static class SyntheticData
{
    private const int TimelineStream = 1, NegativeStream = 2, SegmentStream = 3;

    public static SyntheticWorld Generate(SyntheticConfig config)
    {
        config.Validate();
        var catalogue = new SyntheticCatalogue(config);
        var users = new UserWorld[config.Users];
        var segments = new int[config.Users];
        for (int u = 0; u < users.Length; u++)
        {
            segments[u] = RandomStreams.For(config.Seed, u, SegmentStream).Next(config.UserSegments);
            users[u] = GenerateUser(u, config.SegmentBias(segments[u]), config, catalogue, RandomStreams.For(config.Seed, u, TimelineStream));
        }
        var log = users.SelectMany(user => user.Timeline).ToList();
        var sampler = NegativeSampler.FromBehaviors(log);
        var samples = new List<CtrSample>(users.Sum(user => user.Impressions.Count));
        foreach (var user in users)
            samples.AddRange(ToSamples(user, config, sampler, RandomStreams.For(config.Seed, user.Id, NegativeStream)));
        return new SyntheticWorld { Config = config, Catalogue = catalogue, Log = log, Samples = samples, Segments = segments };
    }

    private sealed record Impression(int Position, long Time, long Item, long Category, long Interest, double ClickProbability, bool Clicked);

    private sealed record UserWorld(long Id, Behavior[] Timeline, int[] Session, List<Impression> Impressions);

    private static UserWorld GenerateUser(long user, double segmentBias, SyntheticConfig config, SyntheticCatalogue catalogue, Random rng)
    {
        var interests = catalogue.DistinctCategories(rng.Next(config.MinInterests, config.MaxInterests + 1), rng);
        var transitions = interests.Select(_ => interests.Select(_ => 1 + config.TransitionHeterogeneity * (2 * rng.NextDouble() - 1)).ToArray()).ToArray();

        int length = rng.Next(config.MinTimelineLength, config.MaxTimelineLength + 1);
        var timeline = new Behavior[length];
        var session = new int[length];
        var sessionInterest = new List<long>();
        double time = config.StartTimestamp + rng.NextDouble() * config.StartSpreadSeconds;
        int current = rng.Next(interests.Length);
        for (int i = 0; i < length;)
        {
            int sessionLength = rng.Next(config.MinSessionLength, config.MaxSessionLength + 1);
            for (int k = 0; k < sessionLength && i < length; k++, i++)
            {
                if (k > 0) time += InSessionGap(config, rng);
                long item = BehaviorItem(interests, current, config, catalogue, rng);
                timeline[i] = new Behavior(user, item, catalogue.CategoryOf(item), (long)time);
                session[i] = sessionInterest.Count;
            }
            sessionInterest.Add(interests[current]);
            time += config.MinSessionBreakSeconds * Math.Pow(config.MaxSessionBreakSeconds / config.MinSessionBreakSeconds, rng.NextDouble());
            if (rng.NextDouble() >= config.InterestStayProbability) current = NextInterest(transitions[current], current, rng);
        }

        var positions = Enumerable.Range(config.MinHistory, length - config.MinHistory + 1).ToArray();
        rng.Shuffle(positions);
        var impressions = positions.Take(config.ImpressionsPerUser).Order()
            .Select(p => Impress(p, timeline, session, sessionInterest[session[p - 1]], interests, segmentBias, config, catalogue, rng))
            .ToList();
        return new UserWorld(user, timeline, session, impressions);
    }

    private static double InSessionGap(SyntheticConfig config, Random rng) => Math.Clamp(
        -config.InSessionGapMeanSeconds * Math.Log(1 - rng.NextDouble()), config.MinInSessionGapSeconds, config.MaxInSessionGapSeconds);

    private static int NextInterest(double[] weights, int current, Random rng)
    {
        double target = rng.NextDouble() * (weights.Sum() - weights[current]);
        int last = current;
        for (int j = 0; j < weights.Length; j++)
        {
            if (j == current) continue;
            last = j;
            if (target < weights[j]) return j;
            target -= weights[j];
        }
        return last; // rounding ran past the end
    }

    private static long BehaviorItem(long[] interests, int current, SyntheticConfig config, SyntheticCatalogue catalogue, Random rng)
    {
        double r = rng.NextDouble();
        if (r < config.BehaviorCurrentInterestProbability) return catalogue.PopularItemIn(interests[current], rng);
        if (r < config.BehaviorCurrentInterestProbability + config.BehaviorRandomItemProbability) return catalogue.PopularItem(rng);
        return catalogue.PopularItemIn(OtherInterest(interests, interests[current], rng), rng);
    }

    private static long OtherInterest(long[] interests, long current, Random rng)
    {
        var others = interests.Where(c => c != current).ToArray();
        return others[rng.Next(others.Length)];
    }

    private static Impression Impress(int position, Behavior[] timeline, int[] session, long interest, long[] interests,
        double segmentBias, SyntheticConfig config, SyntheticCatalogue catalogue, Random rng)
    {
        var previous = timeline[position - 1];
        long time = previous.Timestamp + (long)InSessionGap(config, rng);
        if (position < timeline.Length && session[position] == session[position - 1])
            time = Math.Min(time, timeline[position].Timestamp);

        double r = rng.NextDouble();
        long item = r < config.CandidateCurrentInterestProbability ? catalogue.PopularItemIn(interest, rng)
            : r < config.CandidateCurrentInterestProbability + config.CandidateOtherInterestProbability ? catalogue.PopularItemIn(OtherInterest(interests, interest, rng), rng)
            : catalogue.PopularItem(rng);
        long category = catalogue.CategoryOf(item);
        double logit = config.ClickBias + catalogue.Quality(item)
            + (category == interest ? config.CurrentInterestWeight : interests.Contains(category) ? config.OtherInterestWeight : 0)
            + segmentBias + config.HourTerm(time);
        double probability = 1 / (1 + Math.Exp(-logit));
        return new Impression(position, time, item, category, interest, probability, rng.NextDouble() < probability);
    }

    private static IEnumerable<CtrSample> ToSamples(UserWorld user, SyntheticConfig config, NegativeSampler sampler, Random rng)
    {
        var own = user.Timeline.Select(b => b.Item).ToHashSet();
        var items = user.Timeline.Select(b => b.Item).ToArray();
        var categories = user.Timeline.Select(b => b.Category).ToArray();
        var times = user.Timeline.Select(b => b.Timestamp).ToArray();
        var negativeItems = new long[items.Length];
        var negativeCategories = new long[items.Length];
        for (int i = 0; i < items.Length; i++) (negativeItems[i], negativeCategories[i]) = sampler.Sample(rng, own);
        var store = new StepStore(items, categories, times, negativeItems, negativeCategories);
        foreach (var impression in user.Impressions)
        {
            yield return new CtrSample(store, 0, impression.Position, user.Id, impression.Item, impression.Category, impression.Time,
                impression.Clicked ? 1f : 0f)
            {
                ClickProbability = impression.ClickProbability,
                PlantedRelevance = new RelevanceRule(user.Session, impression.Category, impression.Category == impression.Interest, (float)config.BackgroundRelevance),
            };
        }
    }

    /// <summary>
    /// 1 for same-category behaviour of the current session when the candidate is of the current interest,
    /// BackgroundRelevance for other same-category behaviour, 0 otherwise: computed from the user's session of each
    /// behaviour when read, so a sample stores no value per history step.
    /// </summary>
    private sealed class RelevanceRule(int[] session, long candidateCategory, bool currentInterest, float background) : PlantedRelevance
    {
        public override float[] Of(CtrSample sample)
        {
            var categories = sample.HistoryCategories;
            int p = categories.Length, currentSession = session[p - 1];
            var relevance = new float[p];
            for (int h = 0; h < p; h++)
                if (categories[h] == candidateCategory)
                    relevance[h] = currentInterest && session[h] == currentSession ? 1f : background;
            return relevance;
        }
    }
}
