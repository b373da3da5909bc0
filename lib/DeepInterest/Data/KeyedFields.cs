namespace DeepInterest.Data;

/// <summary>
/// The fields of one <see cref="FieldTable"/> (per user or per item) fitted on the training samples only: each sparse
/// field's <see cref="Vocabulary"/> counted over the training occurrences of the ids (values of fewer than
/// <see cref="VocabularyConfig.MinCount"/> training users, or unseen in training, map to OOV, as items do), each dense
/// field's mean and standard deviation over the distinct training ids (each user or item counted once, however often it
/// occurs). Every row of the table is checked once, test ids included: a wrong number of values or a NaN is an error.
/// </summary>
internal sealed class KeyedFields
{
    private readonly FieldTable table;
    private readonly string kind;
    private readonly Vocabulary[] vocabularies;
    private readonly (double Mean, double Std)[] scales;

    private KeyedFields(FieldTable table, string kind, Vocabulary[] vocabularies, (double, double)[] scales) =>
        (this.table, this.kind, this.vocabularies, this.scales) = (table, kind, vocabularies, scales);

    /// <param name="kind">"user" or "item", for errors.</param>
    /// <param name="training">Each training occurrence of an id, with the user it belongs to (for the vocabulary's user counts).</param>
    public static KeyedFields Fit(FieldTable table, string kind, IEnumerable<(long Id, long User)> training, VocabularyConfig config)
    {
        Check(table, kind);
        var counters = table.Sparse.Select(_ => new Vocabulary.Counter(config.MinCount)).ToArray();
        var sums = new double[table.Dense.Count];
        var squares = new double[table.Dense.Count];
        var seen = new HashSet<long>();
        foreach (var (id, user) in training)
        {
            if (table.Sparse.Count > 0)
            {
                var codes = Row(table.Codes, table, kind, id);
                for (int f = 0; f < codes.Length; f++) counters[f].Add(codes[f], user);
            }
            if (table.Dense.Count == 0 || !seen.Add(id)) continue;
            var values = Row(table.Values, table, kind, id);
            for (int f = 0; f < values.Length; f++)
            {
                sums[f] += values[f];
                squares[f] += (double)values[f] * values[f];
            }
        }
        var scales = new (double, double)[table.Dense.Count];
        for (int f = 0; f < scales.Length; f++)
        {
            double mean = seen.Count == 0 ? 0 : sums[f] / seen.Count, variance = seen.Count == 0 ? 0 : Math.Max(0, squares[f] / seen.Count - mean * mean);
            scales[f] = (mean, variance > 0 ? Math.Sqrt(variance) : 1);
        }
        return new KeyedFields(table, kind, counters.Select(c => c.ToVocabulary()).ToArray(), scales);
    }

    /// <summary>Each sparse field with its vocabulary, then each dense field, in the table's order.</summary>
    public IEnumerable<(string Name, Vocabulary? Vocabulary)> Fields =>
        table.Sparse.Select((name, f) => (name, (Vocabulary?)vocabularies[f])).Concat(table.Dense.Select(name => (name, (Vocabulary?)null)));

    public bool Has(string name) => table.Sparse.Contains(name) || table.Dense.Contains(name);

    /// <summary>The id's index in sparse field <paramref name="name"/>'s vocabulary (OOV for a value unseen in training).</summary>
    public long Index(string name, long id)
    {
        int f = IndexOf(table.Sparse, name);
        return vocabularies[f].IndexOf(Row(table.Codes, table, kind, id)[f]);
    }

    /// <summary>The id's value of dense field <paramref name="name"/>, standardized with the training statistics.</summary>
    public float Value(string name, long id)
    {
        int f = IndexOf(table.Dense, name);
        var (mean, std) = scales[f];
        return (float)((Row(table.Values, table, kind, id)[f] - mean) / std);
    }

    public (double Mean, double Std) Scale(string name) => scales[IndexOf(table.Dense, name)];

    /// <summary>Position of <paramref name="name"/> in <paramref name="names"/>, or an error.</summary>
    internal static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int f = 0; f < names.Count; f++) if (names[f] == name) return f;
        throw new KeyNotFoundException($"no field '{name}'");
    }

    private static T[] Row<T>(IReadOnlyDictionary<long, T[]> rows, FieldTable table, string kind, long id) => rows.TryGetValue(id, out var row)
        ? row
        : throw new InvalidDataException($"{table.Source}: {kind} {id} has no row; every {kind} of the samples needs one");

    /// <summary>Every row has one value per field, and every dense value is finite.</summary>
    private static void Check(FieldTable table, string kind)
    {
        if (table.Sparse.Count > 0)
            foreach (var (id, codes) in table.Codes)
                if (codes.Length != table.Sparse.Count)
                    throw new InvalidDataException($"{table.Source}: {kind} {id} has {codes.Length} codes; expected {table.Sparse.Count} ({string.Join(", ", table.Sparse)})");
        if (table.Dense.Count == 0) return;
        foreach (var (id, values) in table.Values)
        {
            if (values.Length != table.Dense.Count)
                throw new InvalidDataException($"{table.Source}: {kind} {id} has {values.Length} values; expected {table.Dense.Count} ({string.Join(", ", table.Dense)})");
            for (int f = 0; f < values.Length; f++)
                if (!float.IsFinite(values[f]))
                    throw new InvalidDataException($"{table.Source}: {kind} {id}, field '{table.Dense[f]}' is {values[f]}; expected a finite number (missing values are not imputed)");
        }
    }
}
