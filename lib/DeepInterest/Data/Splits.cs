namespace DeepInterest.Data;

/// <summary>Train / validation / test samples, before vocabularies are built.</summary>
public sealed record SampleSplit(IReadOnlyList<CtrSample> Train, IReadOnlyList<CtrSample> Validation, IReadOnlyList<CtrSample> Test)
{
    /// <summary>A <see cref="CtrDataset"/> over this split (vocabularies and side fields from <see cref="Train"/> only; null <paramref name="vocabulary"/> = the defaults, null <paramref name="fields"/> = no side field).</summary>
    public CtrDataset ToDataset(string name, IReadOnlyList<Behavior>? log = null, VocabularyConfig? vocabulary = null, FieldSources? fields = null) =>
        new(name, Train, Validation, Test, vocabulary, fields) { Log = log };

    public override string ToString() => $"{Train.Count:N0} train / {Validation.Count:N0} validation / {Test.Count:N0} test samples";
}

/// <summary>Ways to split CTR samples into train / validation / test. Sample order inside each split is the input order.</summary>
public static class Splits
{
    /// <summary>
    /// Splits by user, so no user appears in two splits (the DIEN protocol: models are judged on unseen users).
    /// The distinct users are shuffled with <paramref name="seed"/>; the first <paramref name="testFraction"/> of them
    /// (rounded, at least one) go to test, then <paramref name="validationFraction"/> of the remaining users to
    /// validation, the rest to train.
    /// </summary>
    public static SampleSplit ByUser(IReadOnlyList<CtrSample> samples, double testFraction = 0.1, double validationFraction = 0.1, int seed = 42)
    {
        if (!(testFraction > 0 && testFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "the test fraction must be in (0, 1)");
        if (!(validationFraction >= 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "the validation fraction (of the non-test users) must be in [0, 1)");
        var users = samples.Select(s => s.User).Distinct().Order().ToArray();
        if (users.Length < 2)
            throw new ArgumentException($"splitting by user needs at least 2 users, got {users.Length}", nameof(samples));
        new Random(seed).Shuffle(users);

        int testUsers = Math.Clamp((int)Math.Round(users.Length * testFraction), 1, users.Length - 1);
        int remaining = users.Length - testUsers;
        int validationUsers = Math.Min((int)Math.Round(remaining * validationFraction), remaining - 1);
        var splitOf = new Dictionary<long, int>();
        for (int i = 0; i < users.Length; i++)
            splitOf[users[i]] = i < testUsers ? 2 : i < testUsers + validationUsers ? 1 : 0;

        var parts = new[] { new List<CtrSample>(), new List<CtrSample>(), new List<CtrSample>() };
        foreach (var s in samples) parts[splitOf[s.User]].Add(s);
        return new SampleSplit(parts[0], parts[1], parts[2]);
    }

    /// <summary>
    /// Per user, by impression time: the samples at the user's last impression time go to test, those at the
    /// second-last time to validation, the rest to train. Samples that share a time (a positive and its negative
    /// from <see cref="LogProtocol"/>) stay together. A user with one impression time appears only in test, with two
    /// in validation and test. Deterministic: no randomness.
    /// </summary>
    public static SampleSplit LeaveLastOut(IReadOnlyList<CtrSample> samples)
    {
        if (samples.Count == 0) throw new ArgumentException("cannot split an empty sample list", nameof(samples));
        var lastTimes = new Dictionary<long, (long Last, long SecondLast)>();
        foreach (var s in samples)
        {
            var (last, secondLast) = lastTimes.TryGetValue(s.User, out var t) ? t : (long.MinValue, long.MinValue);
            if (s.Time > last) lastTimes[s.User] = (s.Time, last);
            else if (s.Time < last && s.Time > secondLast) lastTimes[s.User] = (last, s.Time);
        }
        var train = new List<CtrSample>();
        var validation = new List<CtrSample>();
        var test = new List<CtrSample>();
        foreach (var s in samples)
        {
            var (last, secondLast) = lastTimes[s.User];
            (s.Time == last ? test : s.Time == secondLast ? validation : train).Add(s);
        }
        return new SampleSplit(train, validation, test);
    }
}
