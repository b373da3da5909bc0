namespace DeepInterest.Data.Loaders;

/// <summary>
/// The real data sets as <see cref="CtrDataset"/>s, the way <c>compare --data NAME --data-dir DIR</c> uses them
/// (data/README.md, "Real data sets"). Behaviour logs (MovieLens, Taobao, raw Amazon reviews) go through the standard
/// <see cref="LogProtocol"/> (every event a click, history ≤ 50, one negative per positive by <see cref="DatasetOptions.Negatives"/>) and
/// <see cref="Splits.ByUser"/> (10% of the users test, 10% of the rest validation); DIEN's Amazon Books split is used as
/// it is, with a validation slice of its training users.
/// </summary>
public static class RealDatasets
{
    /// <summary>Share of the users that go to test (behaviour logs) and share of the training users kept for validation.</summary>
    public const double HeldOutUserFraction = 0.1;

    /// <summary>MovieLens in any of its three layouts (<see cref="MovieLensLoader"/>); every rating is a click.</summary>
    /// <remarks>Side fields: the user file's profile fields when the loader found one, hour and weekday of each impression, and each history behaviour's rating (dense).</remarks>
    public static CtrDataset MovieLens(string folder, int seed, DatasetOptions? options = null)
    {
        var log = MovieLensLoader.Load(folder);
        return FromLog(log, seed, options, StepField.Rating, log.UserProfiles is { } users ? $"user fields from {Path.GetFileName(users.Source)}" : "no user file");
    }

    /// <summary>Taobao UserBehavior: <c>UserBehavior.csv</c> in the folder, else its only <c>UserBehavior*.csv</c>
    /// (e.g. a head sample), or the file itself. Every event (pv, cart, fav, buy) is a click. Side fields: each history
    /// behaviour's type (sparse) and hour and weekday of each impression.</summary>
    public static CtrDataset Taobao(string folderOrFile, int seed, DatasetOptions? options = null) =>
        FromLog(TaobaoLoader.Load(FindFile(folderOrFile, TaobaoLoader.FileName, "UserBehavior*.csv", "Taobao")), seed, options, StepField.BehaviorType);

    /// <summary>Raw Amazon reviews: the folder's only <c>reviews_*.json</c> / <c>.json.gz</c> file (or the file itself),
    /// with <c>meta_&lt;Category&gt;.json(.gz)</c> beside it when present; every review is a click.</summary>
    public static CtrDataset AmazonReviews(string folderOrFile, int seed, DatasetOptions? options = null)
    {
        var reviews = FindFile(folderOrFile, null, "reviews_*.json*", "Amazon reviews");
        return FromLog(AmazonReviewsLoader.Load(reviews, MetaFileFor(reviews)), seed, options, StepField.Rating);
    }

    /// <summary>DIEN's preprocessed Amazon Books: their train file → train minus a seeded validation slice of
    /// <see cref="HeldOutUserFraction"/> of its users (none when it has a single user), their test file → test.
    /// Side fields: the user id as a user field, as the authors' code embeds it (their files split by user, so a test
    /// user's id is never a training value and maps to the out-of-vocabulary row, as do ids of fewer than
    /// <see cref="VocabularyConfig.MinCount"/> training users), and hour and weekday of the impression when the times are
    /// real (reviews-info; the impression's time is its most recent history step's).</summary>
    public static CtrDataset AmazonBooksDien(string folder, int seed, DatasetOptions? options = null)
    {
        var vocabulary = (options ?? new DatasetOptions()).Vocabulary;
        var data = DienBooksLoader.Load(folder, new LoadOptions { Seed = seed });
        var ids = data.Train.Concat(data.Test).Select(s => s.User).Distinct().ToDictionary(u => u, u => new[] { data.Users.Name(u) });
        var fields = new FieldSources { Users = new UserProfiles(["user_id"], ids, "DIEN user ids"), Context = data.Report.Times == TimeKind.Real };
        if (data.Train.Select(s => s.User).Distinct().Take(2).Count() < 2)
            return new CtrDataset("DIEN Amazon Books", data.Train, [], data.Test, vocabulary, fields) { Times = data.Report.Times };
        // Splits.ByUser's "test" share is the validation slice here: the real test split is DIEN's own file.
        var slice = Splits.ByUser(data.Train, testFraction: HeldOutUserFraction, validationFraction: 0, seed: seed);
        return new CtrDataset("DIEN Amazon Books", slice.Train, slice.Test, data.Test, vocabulary, fields) { Times = data.Report.Times };
    }

    /// <summary>
    /// The standard log protocol and a split by user, seeded by <paramref name="seed"/>. Side fields: the log's user
    /// profiles when it has them, hour and weekday of each impression when its times are clock times, and
    /// <paramref name="typeField"/> built from each history behaviour's type; <paramref name="fieldNote"/> for the report line.
    /// </summary>
    public static CtrDataset FromLog(BehaviorLogData log, int seed, DatasetOptions? options = null, StepField? typeField = null, string? fieldNote = null)
    {
        options ??= new DatasetOptions();
        var config = new LogProtocolConfig { Seed = seed, Negatives = options.Negatives, TypeField = typeField };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var samples = LogProtocol.Build(log.Behaviors, config);
        var built = clock.Elapsed;
        int users = samples.Select(s => s.User).Distinct().Take(2).Count();
        if (users < 2)
        {
            var perUser = log.Behaviors.GroupBy(b => b.User).Select(g => g.Count()).ToList();
            throw new InvalidDataException($"{log.Name}: {users} user(s) have more than {config.MinHistory} events (the most active of the " +
                                           $"{perUser.Count:N0} users has {perUser.Max():N0}), so the log protocol gives samples for fewer than " +
                                           $"the 2 users a split by user needs ({log.Report})");
        }
        var split = Splits.ByUser(samples, HeldOutUserFraction, HeldOutUserFraction, seed);
        var data = split.ToDataset(log.Name, log.Behaviors, options.Vocabulary,
            new FieldSources { Users = log.UserProfiles, Context = log.Report.Times == TimeKind.Real, Note = fieldNote });
        data.Stages = $"read {log.Report.Seconds:F1} s, {samples.Count:N0} samples built in {built.TotalSeconds:F1} s, split and vocabularies {(clock.Elapsed - built).TotalSeconds:F1} s";
        return data;
    }

    /// <summary>The file itself; else <paramref name="preferred"/> in the folder; else the folder's only file matching <paramref name="pattern"/>.</summary>
    private static string FindFile(string folderOrFile, string? preferred, string pattern, string dataSet)
    {
        if (File.Exists(folderOrFile)) return folderOrFile;
        if (!Directory.Exists(folderOrFile)) throw new DirectoryNotFoundException($"{dataSet}: folder {folderOrFile} does not exist");
        if (preferred is not null && File.Exists(Path.Combine(folderOrFile, preferred))) return Path.Combine(folderOrFile, preferred);
        var matches = Directory.GetFiles(folderOrFile, pattern).Where(f => !f.EndsWith(".partial", StringComparison.Ordinal)).Order().ToArray();
        return matches.Length switch
        {
            1 => matches[0],
            0 => throw new FileNotFoundException($"{dataSet}: expected {preferred ?? pattern}{(preferred is null ? "" : $" (or one {pattern})")} in folder {folderOrFile}"),
            _ => throw new InvalidDataException($"{dataSet}: several files match {pattern} in folder {folderOrFile} ({string.Join(", ", matches.Select(Path.GetFileName))}); pass the one to load as the data path"),
        };
    }

    /// <summary>meta_&lt;Category&gt;.json(.gz) beside reviews_&lt;Category&gt;_….json, or null.</summary>
    private static string? MetaFileFor(string reviewsPath)
    {
        var name = Path.GetFileName(reviewsPath);
        int end = name.IndexOf('_', "reviews_".Length);
        if (!name.StartsWith("reviews_", StringComparison.Ordinal) || end < 0) return null;
        var category = name["reviews_".Length..end];
        var folder = Path.GetDirectoryName(Path.GetFullPath(reviewsPath))!;
        return new[] { $"meta_{category}.json", $"meta_{category}.json.gz" }.Select(n => Path.Combine(folder, n)).FirstOrDefault(File.Exists);
    }
}
