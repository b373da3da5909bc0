namespace DeepInterest.Data;

/// <summary>
/// The side fields of a data set, fitted on the training samples only: for each sparse field a <see cref="Vocabulary"/>
/// (0 = padding, 1 = out-of-vocabulary, values of fewer than <see cref="VocabularyConfig.MinCount"/> training users map
/// to OOV, exactly as items do); for each dense field the mean and standard deviation of its training values. Order:
/// user fields (the user file's order), context fields (hour, weekday), behaviour fields (by name).
/// User fields are kept per user (<see cref="UserIndices"/>), never copied per sample; context fields are computed
/// from the impression time when a batch is collated.
/// </summary>
public sealed class FieldVocabulary
{
    public const string Hour = "hour", Weekday = "weekday";
    private readonly Dictionary<string, Vocabulary> sparse;
    private readonly Dictionary<string, (double Mean, double Std)> dense;
    private readonly Dictionary<long, long[]> userIndices;
    private readonly UserProfiles? profiles;

    private FieldVocabulary(IReadOnlyList<FieldSpec> fields, Dictionary<string, Vocabulary> sparse, Dictionary<string, (double, double)> dense,
        Dictionary<long, long[]> userIndices, UserProfiles? profiles)
    {
        Fields = fields;
        this.sparse = sparse;
        this.dense = dense;
        this.userIndices = userIndices;
        this.profiles = profiles;
    }

    /// <summary>No side field.</summary>
    public static FieldVocabulary None { get; } = new([], [], [], [], null);

    public IReadOnlyList<FieldSpec> Fields { get; }
    public IEnumerable<FieldSpec> InGroup(FieldGroup group) => Fields.Where(f => f.Group == group);
    public Vocabulary Sparse(string name) => sparse[name];
    /// <summary>The training mean and standard deviation a dense field is standardized with ((x − mean) / std).</summary>
    public (double Mean, double Std) Scale(string name) => dense[name];

    /// <summary>The user's index in each user field's vocabulary, in <see cref="Fields"/>' order.</summary>
    public long[] UserIndices(long user) => userIndices.TryGetValue(user, out var indices)
        ? indices
        : throw new InvalidDataException($"{profiles?.Source}: user {user} has no row; every user of the samples needs one");

    /// <summary>Hour of day (0–23, UTC) of Unix seconds.</summary>
    public static long HourOf(long unixSeconds) => unixSeconds / 3600 % 24;
    /// <summary>Day of the week (0 = Sunday, UTC) of Unix seconds; 1970-01-01 was a Thursday.</summary>
    public static long WeekdayOf(long unixSeconds) => (unixSeconds / 86400 + 4) % 7;

    /// <summary>A context field's raw value for an impression at <paramref name="time"/>.</summary>
    public static long ContextValue(string name, long time) => name == Hour ? HourOf(time) : WeekdayOf(time);

    /// <summary>Fits every field <paramref name="sources"/> provides on <paramref name="training"/>.</summary>
    public static FieldVocabulary Build(IReadOnlyList<CtrSample> training, FieldSources sources, VocabularyConfig config)
    {
        var fields = new List<FieldSpec>();
        var sparse = new Dictionary<string, Vocabulary>();
        var dense = new Dictionary<string, (double, double)>();
        var userIndices = new Dictionary<long, long[]>();
        void AddSparse(string name, FieldGroup group, Vocabulary vocabulary)
        {
            if (fields.Any(f => f.Name == name)) throw new InvalidDataException($"two side fields are named '{name}'; field names must be unique");
            sparse[name] = vocabulary;
            fields.Add(new FieldSpec(name, group, FieldKind.Sparse, vocabulary.Size));
        }
        if (sources.Users is { } users) BuildUsers(training, users, config, AddSparse, userIndices);
        if (sources.Context)
            foreach (var name in new[] { Hour, Weekday })
            {
                var counter = new Vocabulary.Counter(config.MinCount);
                foreach (var s in training) counter.Add(ContextValue(name, s.Time), s.User);
                AddSparse(name, FieldGroup.Context, counter.ToVocabulary());
            }
        if (sources.Steps)
        {
            foreach (var name in training.SelectMany(s => s.HistoryCodes?.Keys ?? []).Distinct().Order(StringComparer.Ordinal))
            {
                var counter = new Vocabulary.Counter(config.MinCount);
                foreach (var s in training)
                    foreach (var code in StepCodes(s, name)) counter.Add(code, s.User);
                AddSparse(name, FieldGroup.Behavior, counter.ToVocabulary());
            }
            foreach (var name in training.SelectMany(s => s.HistoryValues?.Keys ?? []).Distinct().Order(StringComparer.Ordinal))
            {
                if (fields.Any(f => f.Name == name)) throw new InvalidDataException($"two side fields are named '{name}'; field names must be unique");
                dense[name] = Standardization(training, name);
                fields.Add(new FieldSpec(name, FieldGroup.Behavior, FieldKind.Dense));
            }
        }
        return new FieldVocabulary(fields, sparse, dense, userIndices, sources.Users);
    }

    /// <summary>The sample's raw codes of a per-step sparse field, or a clear error when it lacks them.</summary>
    internal static long[] StepCodes(CtrSample s, string name) =>
        s.HistoryCodes is { } codes && codes.TryGetValue(name, out var values)
            ? Aligned(s, name, values)
            : throw new InvalidDataException($"sample of user {s.User} at time {s.Time} has no per-step field '{name}', which the training samples have");

    /// <summary>The sample's values of a per-step dense field, or a clear error when it lacks them.</summary>
    internal static float[] StepValues(CtrSample s, string name) =>
        s.HistoryValues is { } all && all.TryGetValue(name, out var values)
            ? Aligned(s, name, values)
            : throw new InvalidDataException($"sample of user {s.User} at time {s.Time} has no per-step field '{name}', which the training samples have");

    private static T[] Aligned<T>(CtrSample s, string name, T[] values) => values.Length == s.HistoryLength
        ? values
        : throw new InvalidDataException($"sample of user {s.User} at time {s.Time}: per-step field '{name}' has {values.Length} values for {s.HistoryLength} behaviours");

    /// <summary>Mean and standard deviation over every training history value (1 when all are equal); NaN or infinity is an error.</summary>
    private static (double, double) Standardization(IReadOnlyList<CtrSample> training, string name)
    {
        double sum = 0, squares = 0;
        long n = 0;
        foreach (var s in training)
        {
            var values = StepValues(s, name);
            for (int i = 0; i < values.Length; i++)
            {
                if (!float.IsFinite(values[i]))
                    throw new InvalidDataException($"per-step field '{name}': sample of user {s.User} at time {s.Time} has {values[i]} at history position {i}; expected a finite number (missing values are not imputed)");
                sum += values[i];
                squares += (double)values[i] * values[i];
                n++;
            }
        }
        if (n == 0) return (0, 1);
        double mean = sum / n, variance = Math.Max(0, squares / n - mean * mean);
        return (mean, variance > 0 ? Math.Sqrt(variance) : 1);
    }

    /// <summary>One vocabulary per profile field, counted once per training user; every profiled user's indices, computed once.</summary>
    private static void BuildUsers(IReadOnlyList<CtrSample> training, UserProfiles users, VocabularyConfig config,
        Action<string, FieldGroup, Vocabulary> add, Dictionary<long, long[]> userIndices)
    {
        int count = users.Fields.Count;
        foreach (var (user, values) in users.Values)
            if (values.Length != count)
                throw new InvalidDataException($"{users.Source}: user {user} has {values.Length} values; expected {count} ({string.Join(", ", users.Fields)})");
        var codes = Enumerable.Range(0, count).Select(_ => new Dictionary<string, long>(StringComparer.Ordinal)).ToArray();
        long Code(int field, string value) => codes[field].TryGetValue(value, out var c) ? c : codes[field][value] = codes[field].Count;
        var counters = Enumerable.Range(0, count).Select(_ => new Vocabulary.Counter(config.MinCount)).ToArray();
        var seen = new HashSet<long>();
        foreach (var s in training)
        {
            if (!seen.Add(s.User)) continue;
            if (!users.Values.TryGetValue(s.User, out var values))
                throw new InvalidDataException($"{users.Source}: training user {s.User} has no row; every user of the samples needs one");
            for (int f = 0; f < count; f++) counters[f].Add(Code(f, values[f]), s.User);
        }
        var vocabularies = counters.Select(c => c.ToVocabulary()).ToArray();
        for (int f = 0; f < count; f++) add(users.Fields[f], FieldGroup.User, vocabularies[f]);
        foreach (var (user, values) in users.Values)
        {
            var indices = new long[count];
            for (int f = 0; f < count; f++)
                indices[f] = codes[f].TryGetValue(values[f], out var c) ? vocabularies[f].IndexOf(c) : Vocabulary.OutOfVocabulary;
            userIndices[user] = indices;
        }
    }
}
