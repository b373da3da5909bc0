namespace DeepInterest.Data;

/// <summary>
/// The side fields of a data set, fitted on the training samples only: for each sparse field a <see cref="Vocabulary"/>
/// (0 = padding, 1 = out-of-vocabulary, values of fewer than <see cref="VocabularyConfig.MinCount"/> training users map
/// to OOV, exactly as items do); for each dense field the mean and standard deviation of its training values. Order:
/// user fields (the user file's order, then <see cref="FieldSources.UserTable"/>'s), context fields (hour, weekday, then
/// the samples' dense <see cref="CtrSample.ContextValues"/> by name), behaviour fields (by name), candidate fields
/// (<see cref="FieldSources.Items"/>' order). User and item fields are kept per user and per item, never copied per
/// sample; context fields are computed from the impression when a batch is collated.
/// </summary>
public sealed class FieldVocabulary
{
    public const string Hour = "hour", Weekday = "weekday";
    private readonly Dictionary<string, Vocabulary> sparse;
    private readonly Dictionary<string, (double Mean, double Std)> dense;
    private readonly Dictionary<long, long[]> userIndices;
    private readonly UserProfiles? profiles;
    private KeyedFields? userTable { get; init; }
    private KeyedFields? items { get; init; }

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

    /// <summary>
    /// The same fitted fields restricted to <paramref name="names"/> (kept in this vocabulary's order): what a per-field
    /// ablation trains on. The vocabularies and scales stay those fitted on training, so a field keeps its rows and
    /// indices whichever others are dropped. A name the data set does not have is an error that lists the ones it has.
    /// </summary>
    public FieldVocabulary Only(IReadOnlyCollection<string> names)
    {
        var unknown = names.Where(name => Fields.All(f => f.Name != name)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"unknown field {string.Join(", ", unknown.Select(n => $"'{n}'"))}; this data set has " +
                                        (Fields.Count == 0 ? "no side field" : string.Join(", ", Fields.Select(f => f.Name))));
        if (names.Count == 0) return None;
        return new FieldVocabulary(Fields.Where(f => names.Contains(f.Name)).ToList(), sparse, dense, userIndices, profiles)
            { userTable = userTable, items = items };
    }

    public IEnumerable<FieldSpec> InGroup(FieldGroup group) => Fields.Where(f => f.Group == group);
    public Vocabulary Sparse(string name) => sparse[name];
    /// <summary>The training mean and standard deviation a dense field is standardized with ((x − mean) / std).</summary>
    public (double Mean, double Std) Scale(string name) => dense[name];

    /// <summary>The user's index in each user field's vocabulary, in <see cref="Fields"/>' order.</summary>
    public long[] UserIndices(long user) => userIndices.TryGetValue(user, out var indices)
        ? indices
        : throw new InvalidDataException($"{profiles?.Source}: user {user} has no row; every user of the samples needs one");

    /// <summary>A user or context sparse field's vocabulary index for sample <paramref name="s"/> (OOV for a value unseen in training).</summary>
    public long Index(FieldSpec field, CtrSample s) => field.Group switch
    {
        FieldGroup.User when userTable?.Has(field.Name) == true => userTable.Index(field.Name, s.User),
        FieldGroup.User => UserIndices(s.User)[KeyedFields.IndexOf(profiles!.Fields, field.Name)],
        FieldGroup.Context => sparse[field.Name].IndexOf(ContextValue(field.Name, s.Time)),
        _ => throw new ArgumentException($"field '{field.Name}' is not a sparse user or context field", nameof(field)),
    };

    /// <summary>A user or context dense field's standardized value for sample <paramref name="s"/>; a clear error when missing or not finite.</summary>
    public float Value(FieldSpec field, CtrSample s)
    {
        if (field.Group == FieldGroup.User) return userTable!.Value(field.Name, s.User);
        var (mean, std) = dense[field.Name];
        return (float)((ContextNumber(s, field.Name) - mean) / std);
    }

    /// <summary>A candidate sparse field's vocabulary index for <paramref name="item"/> (raw id), looked up in the item table.</summary>
    public long ItemIndex(string name, long item) => items!.Index(name, item);
    /// <summary>A candidate dense field's standardized value for <paramref name="item"/> (raw id).</summary>
    public float ItemValue(string name, long item) => items!.Value(name, item);

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
        void AddDense(string name, FieldGroup group, (double, double) scale)
        {
            if (fields.Any(f => f.Name == name)) throw new InvalidDataException($"two side fields are named '{name}'; field names must be unique");
            dense[name] = scale;
            fields.Add(new FieldSpec(name, group, FieldKind.Dense));
        }
        KeyedFields? Table(FieldTable? table, string kind, FieldGroup group, Func<CtrSample, IEnumerable<long>> ids)
        {
            if (table is null) return null;
            var fitted = KeyedFields.Fit(table, kind, training.SelectMany(s => ids(s).Select(id => (id, s.User))), config);
            foreach (var (name, vocabulary) in fitted.Fields)
                if (vocabulary is null) AddDense(name, group, fitted.Scale(name));
                else AddSparse(name, group, vocabulary);
            return fitted;
        }
        if (sources.Users is { } users) BuildUsers(training, users, config, AddSparse, userIndices);
        var userTable = Table(sources.UserTable, "user", FieldGroup.User, s => [s.User]);
        if (sources.Context)
            foreach (var name in new[] { Hour, Weekday })
            {
                var counter = new Vocabulary.Counter(config.MinCount);
                foreach (var s in training) counter.Add(ContextValue(name, s.Time), s.User);
                AddSparse(name, FieldGroup.Context, counter.ToVocabulary());
            }
        if (sources.Steps)
            foreach (var name in training.SelectMany(s => s.ContextValues?.Keys ?? []).Distinct().Order(StringComparer.Ordinal))
                AddDense(name, FieldGroup.Context, Standardization(training.Select(s => (ContextNumber(s, name), s, -1)), name));
        if (sources.Steps)
        {
            foreach (var name in training.SelectMany(s => s.StepCodeNames).Distinct().Order(StringComparer.Ordinal))
            {
                var counter = new Vocabulary.Counter(config.MinCount);
                foreach (var s in training)
                    foreach (var code in StepCodes(s, name)) counter.Add(code, s.User);
                AddSparse(name, FieldGroup.Behavior, counter.ToVocabulary());
            }
            foreach (var name in training.SelectMany(s => s.StepValueNames).Distinct().Order(StringComparer.Ordinal))
                AddDense(name, FieldGroup.Behavior, Standardization(training.SelectMany(s => StepValues(s, name).Select((x, i) => (x, s, i))), name));
        }
        var items = Table(sources.Items, "item", FieldGroup.Candidate, s => s.HistoryItems.Append(s.Item));
        return new FieldVocabulary(fields, sparse, dense, userIndices, sources.Users) { userTable = userTable, items = items };
    }

    /// <summary>The sample's value of a dense context field, or a clear error when it lacks it or it is not finite.</summary>
    private static float ContextNumber(CtrSample s, string name) =>
        s.ContextValues is { } all && all.TryGetValue(name, out var x)
            ? float.IsFinite(x) ? x : throw new InvalidDataException($"context field '{name}': sample of user {s.User} at time {s.Time} has {x}; expected a finite number (missing values are not imputed)")
            : throw new InvalidDataException($"sample of user {s.User} at time {s.Time} has no context field '{name}', which the training samples have");

    /// <summary>The sample's raw codes of a per-step sparse field, or a clear error when it lacks them.</summary>
    internal static Steps<long> StepCodes(CtrSample s, string name) =>
        s.StepCodes(name) is { } values
            ? Aligned(s, name, values)
            : throw new InvalidDataException($"sample of user {s.User} at time {s.Time} has no per-step field '{name}', which the training samples have");

    /// <summary>The sample's values of a per-step dense field, or a clear error when it lacks them.</summary>
    internal static Steps<float> StepValues(CtrSample s, string name) =>
        s.StepValues(name) is { } values
            ? Aligned(s, name, values)
            : throw new InvalidDataException($"sample of user {s.User} at time {s.Time} has no per-step field '{name}', which the training samples have");

    private static Steps<T> Aligned<T>(CtrSample s, string name, Steps<T> values) => values.Length == s.HistoryLength
        ? values
        : throw new InvalidDataException($"sample of user {s.User} at time {s.Time}: per-step field '{name}' has {values.Length} values for {s.HistoryLength} behaviours");

    /// <summary>
    /// Mean and standard deviation over every training value (1 when all are equal); NaN or infinity is an error naming the
    /// sample and, for a per-step field, the history position (<paramref name="values"/>' Position; −1 for a context field).
    /// </summary>
    private static (double, double) Standardization(IEnumerable<(float Value, CtrSample Sample, int Position)> values, string name)
    {
        double sum = 0, squares = 0;
        long n = 0;
        foreach (var (x, s, position) in values)
        {
            if (!float.IsFinite(x))
                throw new InvalidDataException($"{(position < 0 ? "context" : "per-step")} field '{name}': sample of user {s.User} at time {s.Time} has {x}"
                    + (position < 0 ? "" : $" at history position {position}") + "; expected a finite number (missing values are not imputed)");
            sum += x;
            squares += (double)x * x;
            n++;
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
