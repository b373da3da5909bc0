using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace DeepInterest.Data.Loaders;

/// <summary>Amazon Books in DIEN's preprocessed format: train and test samples and the names behind the ids.</summary>
public sealed record DienBooksData(
    IReadOnlyList<CtrSample> Train,
    IReadOnlyList<CtrSample> Test,
    IdTable Users,
    IdTable Items,
    IdTable Categories,
    LoadReport Report)
{
    public override string ToString() =>
        $"DIEN Amazon Books: {Train.Count:N0} train / {Test.Count:N0} test samples, {Users.Count:N0} users, {Items.Count:N0} items, {Categories.Count:N0} categories. {Report}";
}

/// <summary>
/// Loads the DIEN paper's preprocessed Amazon Books data (github.com/mouna99/dien) as it is: lines
/// <c>label \t user \t item \t category \t item_hist \t cat_hist</c>, histories joined by <c>\x02</c> (oldest first),
/// LF or CRLF. Train: <c>local_train_splitByUser</c> (or <c>local_train</c>); test: <c>local_test_splitByUser</c> (or
/// <c>local_test</c>); <c>item-info</c> (item \t category) is required, it is the pool for negatives.
/// <para>Ids: users, items and categories are strings (reviewer ids, ASINs, category names, incl. DIEN's "default_cat")
/// interned per field in the order item-info, train, test, so they are stable for the same files.</para>
/// <para>Times: the lines carry none. When the folder holds <c>reviews-info</c> (user \t item \t rating \t unix time, the
/// reviews DIEN built the histories from), each history step gets the time of the user's review of that item (the
/// earliest, if reviewed twice) and the candidate the time of the most recent history step: the impression's own time
/// is not in the lines, and the positive's review time would tell it apart from its negative. Steps without a review
/// time, or earlier than the step before, take the neighbouring step's time; if more than
/// <see cref="MaxUnmatchedTimeShare"/> of the steps need that, the join is refused and the times stay step indices. Without
/// reviews-info, history step i gets time i and the candidate time n (history length): "seconds" count steps, and the
/// report says <see cref="TimeKind.Index"/>.</para>
/// <para>Memory: each line's history (items, categories, times, negatives) is stored once, in flat arrays of about a
/// million steps each that the samples are windows of (<see cref="CtrSample"/>), never as arrays per sample; the same
/// user's next line with the same history shares its items, categories and times (<see cref="StepChunk"/>). Lines are
/// read as UTF-8 bytes and ids interned from them (<see cref="IdTable.Intern(ReadOnlySpan{byte})"/>), with no string
/// per line or token; each sample is built once, after the time join.</para>
/// <para>Speed (1.2 M lines, 6.6 M reviews): the work is id lookups, each a cache miss in tables of hundreds of
/// thousands of names, so the loader makes fewer of them: a line whose history fields repeat the previous line's (DIEN
/// writes each user's positive and negative line with one history) shares its steps or copies its ids; a new history's
/// names are looked up together, so that their cache misses overlap (<see cref="IdTable.InternEach"/>); reviews-info,
/// which needs nothing from the other files until the join, is read on a second thread into its own small name tables
/// and mapped to the samples' ids name by name afterwards (a million lookups instead of 6.6 million); and the join
/// looks each history up in its user's few reviews, side by side in an array sorted on the second thread too
/// (<see cref="ReviewTimes"/>). The result is the same as reading the files one after the other, whatever the threads'
/// timing.</para>
/// <para>Auxiliary-loss negatives as DIEN's data_iterator.py draws them: for each history step a uniformly random item of
/// item-info's list, re-drawn while it equals the step's positive item, with its item-info category (one per step here,
/// DIEN draws five); <see cref="LoadOptions.Seed"/> seeds the draws.</para>
/// </summary>
public static class DienBooksLoader
{
    public static readonly string[] TrainNames = ["local_train_splitByUser", "local_train"];
    public static readonly string[] TestNames = ["local_test_splitByUser", "local_test"];
    public const string ItemInfoName = "item-info";
    public const string ReviewsInfoName = "reviews-info";
    /// <summary>Largest share of history steps without a usable review time for which reviews-info's times are still used.</summary>
    public const double MaxUnmatchedTimeShare = 0.01;
    private const byte HistorySeparator = 0x02;

    public static DienBooksData Load(string folder, LoadOptions? options = null)
    {
        options ??= LoadOptions.Default;
        string trainPath = Find(folder, TrainNames), testPath = Find(folder, TestNames), itemInfoPath = Find(folder, [ItemInfoName]);
        var reviewsPath = Path.Combine(folder, ReviewsInfoName);
        using var stop = new CancellationTokenSource();
        var reviews = File.Exists(reviewsPath) ? Task.Run(() => ReviewLog.Read(reviewsPath, options, stop.Token)) : null;
        var tally = new LoadTally(options);
        var users = new IdTable("user");
        var items = new IdTable("item");
        var categories = new IdTable("category");
        SampleReader reader;
        List<Line> train, test;
        try
        {
            var pool = ReadItemInfo(itemInfoPath, items, categories, tally);
            reader = new SampleReader(users, items, categories, pool, new Random(options.Seed), tally);
            (train, test) = (reader.Read(trainPath), reader.Read(testPath));
        }
        catch
        {
            stop.Cancel();   // no thread left reading reviews-info after an error in the sample files
            try { reviews?.Wait(); } catch (AggregateException) { }
            throw;
        }
        if (reviews is null)
            return new DienBooksData(reader.Samples(train, TimeKind.Index), reader.Samples(test, TimeKind.Index), users, items, categories, tally.Finish() with
            {
                Times = TimeKind.Index, TimesNote = $"no {ReviewsInfoName} in the folder: history step i has time i",
            });
        var joined = JoinReviewTimes(reviews.GetAwaiter().GetResult(), users, items, reader, train, test, tally);
        var share = joined.Steps == 0 ? 0 : (double)(joined.Missing + joined.OutOfOrder) / joined.Steps;
        var counts = $"{joined.Missing:N0} of {joined.Steps:N0} history steps without a review time, {joined.OutOfOrder:N0} earlier than the step before";
        if (share > MaxUnmatchedTimeShare)
        {
            reader.RestoreStepIndices(train);
            reader.RestoreStepIndices(test);
            return new DienBooksData(reader.Samples(train, TimeKind.Index), reader.Samples(test, TimeKind.Index), users, items, categories, tally.Finish() with
            {
                Times = TimeKind.Index, TimesNote = $"{ReviewsInfoName} does not fit these samples ({counts}): history step i has time i",
            });
        }
        return new DienBooksData(reader.Samples(train, TimeKind.Real), reader.Samples(test, TimeKind.Real), users, items, categories, tally.Finish() with
        {
            Times = TimeKind.Real, TimesNote = $"review times from {ReviewsInfoName}: {counts}, such steps take their neighbour's time",
        });
    }

    /// <summary>
    /// Writes the review times over the step indices of every line's history and counts the steps that had to borrow a
    /// neighbour's. The review table is used only in here.
    /// </summary>
    private static (long Steps, long Missing, long OutOfOrder) JoinReviewTimes(ReviewLog log, IdTable users, IdTable items, SampleReader reader,
        List<Line> train, List<Line> test, LoadTally tally)
    {
        tally.Add(log.Tally);   // reviews-info's file, rows and skips after the sample files', as if read after them
        var joined = new TimeJoin(new ReviewTimes(log, users, items, tally));
        reader.Join(train, joined);
        reader.Join(test, joined);
        return (joined.Steps, joined.Missing, joined.OutOfOrder);
    }

    /// <summary>
    /// reviews-info as read, on a thread of its own while the sample files are read on the calling one (the join is the
    /// first thing that needs both): users and items interned in name tables of its own (<see cref="ReviewNames"/>),
    /// each review as the pair user·2^32 + item of those ids and its time, and its own row counts. Whatever the threads'
    /// timing, the result is the same, and an error in it is thrown only after the sample files are read, as it would be
    /// reading the files one after the other. The arrays are sized from a first count of the lines
    /// (<see cref="TextFiles.CountLines"/>), so they are never copied while they grow.
    /// <para>Sorted on this thread too (<see cref="Sort"/>), in its own ids: the sort is the largest part of the join
    /// and needs nothing from the sample files, so it runs while they are still being read.</para>
    /// </summary>
    private sealed class ReviewLog
    {
        public readonly ReviewNames Users = new(), Items = new();
        public readonly long[] Pairs, Times;
        public readonly LoadTally Tally;
        public int Count;
        /// <summary>Once sorted: user u's pairs are <c>Pairs[UserStart[u]..UserStart[u + 1]]</c>.</summary>
        public int[] UserStart = [];

        private ReviewLog(int lines, LoadOptions options) => (Pairs, Times, Tally) = (new long[lines], new long[lines], new LoadTally(options));

        public static ReviewLog Read(string path, LoadOptions options, CancellationToken stop)
        {
            var log = new ReviewLog(TextFiles.CountLines(path), options);
            log.Tally.AddFile(path);
            TextFiles.ForEachUtf8Line(path, (line, number) =>
            {
                stop.ThrowIfCancellationRequested();
                log.Tally.RowsRead++;
                Span<Range> f = stackalloc Range[4];
                if (!TextFiles.TrySplit(line, (byte)'\t', f) || !long.TryParse(line[f[3]], out long time) || time < 0)
                {
                    log.Tally.Malformed(path, number, "expected user\\titem\\trating\\ttime with a non-negative Unix time", TextFiles.Text(line));
                    return;
                }
                (log.Pairs[log.Count], log.Times[log.Count]) = (log.Users.Intern(line[f[0]]) << 32 | log.Items.Intern(line[f[1]]), time);
                log.Count++;
            });
            log.Sort();
            return log;
        }

        /// <summary>
        /// Sorts the pairs with their times and gives every pair reviewed twice its earliest time (all its rows stay:
        /// the join counts the rows it filters out), so a history's lookups are binary searches in its user's short range.
        /// </summary>
        private void Sort()
        {
            Array.Sort(Pairs, Times, 0, Count);
            for (int i = 0, end; i < Count; i = end)
            {
                long earliest = Times[i];
                for (end = i + 1; end < Count && Pairs[end] == Pairs[i]; end++) earliest = Math.Min(earliest, Times[end]);
                Times.AsSpan(i, end - i).Fill(earliest);
            }
            UserStart = new int[Users.Count + 1];
            for (int i = 0, user = 0; user <= Users.Count; user++)
            {
                while (i < Count && Pairs[i] >> 32 < user) i++;
                UserStart[user] = i;
            }
        }
    }

    /// <summary>
    /// The names of one field of reviews-info as dense ids 0, 1, 2, … in order of first appearance. Unlike an
    /// <see cref="IdTable"/> it keeps the names as UTF-8 bytes side by side, not as strings: they are only needed until
    /// they are mapped to the samples' ids, and while reviews-info is read the sample files' arrays are growing beside
    /// them, so they should take little room (about 30 bytes a name here, about 100 as strings in an IdTable).
    /// It remembers the last name too: reviews-info is sorted by user (or, in DIEN's file, by item), so most lines
    /// repeat the previous line's name. A name that is not valid UTF-8 is kept as the UTF-8 of its text (its bad bytes
    /// as U+FFFD, as <see cref="IdTable"/> reads them), so two names are one here exactly when they are one there.
    /// </summary>
    private sealed class ReviewNames
    {
        private byte[] bytes = new byte[1 << 16];
        private int[] starts = new int[1024 + 1];   // name i is bytes[starts[i]..starts[i + 1]]
        private int[] slots = new int[2048];        // open addressing with linear probing: id + 1, 0 = empty; at most half full
        private int last = -1;

        public int Count { get; private set; }

        public ReadOnlySpan<byte> Name(int id) => bytes.AsSpan(starts[id], starts[id + 1] - starts[id]);

        public long Intern(ReadOnlySpan<byte> name)
        {
            if (!Utf8.IsValid(name)) name = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(name));
            if (last >= 0 && name.SequenceEqual(Name(last))) return last;
            int hash = IdTable.Hash(name), mask = slots.Length - 1, s = hash & mask;
            for (; slots[s] != 0; s = (s + 1) & mask)
                if (name.SequenceEqual(Name(slots[s] - 1))) return last = slots[s] - 1;
            return last = Add(name, s);
        }

        private int Add(ReadOnlySpan<byte> name, int slot)
        {
            int id = Count++, start = starts[id];
            if (start + name.Length > bytes.Length) Array.Resize(ref bytes, Math.Max(2 * bytes.Length, start + name.Length));
            if (id + 2 > starts.Length) Array.Resize(ref starts, 2 * starts.Length);
            name.CopyTo(bytes.AsSpan(start));
            starts[id + 1] = start + name.Length;
            slots[slot] = id + 1;
            if (2 * Count > slots.Length)
            {
                slots = new int[2 * slots.Length];
                for (int i = 0; i < Count; i++)
                {
                    int s = IdTable.Hash(Name(i)) & (slots.Length - 1);
                    while (slots[s] != 0) s = (s + 1) & (slots.Length - 1);
                    slots[s] = i + 1;
                }
            }
            return id;
        }
    }

    /// <summary>
    /// reviews-info as a table: the earliest review time of every (user, item) pair whose user and item the samples know.
    /// <para>Why sorted arrays and not a hash table: a history is looked up pair by pair, and all its pairs share the user.
    /// Keys user·2^32 + item, sorted, put each user's reviews side by side, so a history's lookups are binary searches in
    /// one short range (a cache line or two) instead of one random probe of a large table per step; and two arrays take
    /// 16 bytes per review, a Dictionary about 28. They are the <see cref="ReviewLog"/>'s arrays, sorted in its own ids
    /// on its thread; here the samples' ids are mapped to those.</para>
    /// </summary>
    private sealed class ReviewTimes
    {
        private readonly ReviewLog log;
        private readonly int[] logUsers, logItems;   // the log's id of the samples' user or item id, or −1

        /// <summary>The log as a table of the samples' ids; its reviews of users or items the samples do not have are counted as filtered.</summary>
        public ReviewTimes(ReviewLog log, IdTable users, IdTable items, LoadTally tally)
        {
            this.log = log;
            int[] userIds = SampleIds(log.Users, users), itemIds = SampleIds(log.Items, items);
            for (int i = 0; i < log.Count; i++)
                if (userIds[log.Pairs[i] >> 32] < 0 || itemIds[(int)log.Pairs[i]] < 0) tally.RowsFiltered++;
            (logUsers, logItems) = (LogIds(userIds, users.Count), LogIds(itemIds, items.Count));
        }

        /// <summary>
        /// For each id of <paramref name="own"/>, the id of the same name in <paramref name="samples"/>, or −1: one to one,
        /// as the log's names are kept as the UTF-8 of their text (<see cref="ReviewNames"/>).
        /// </summary>
        private static int[] SampleIds(ReviewNames own, IdTable samples)
        {
            var ids = new int[own.Count];
            for (int i = 0; i < ids.Length; i++) ids[i] = samples.TryGetId(own.Name(i), out long id) ? (int)id : -1;
            return ids;
        }

        /// <summary>The inverse of <paramref name="sampleIds"/>: for each of the samples' <paramref name="count"/> ids the log's, or −1.</summary>
        private static int[] LogIds(int[] sampleIds, int count)
        {
            var ids = new int[count];
            Array.Fill(ids, -1);
            for (int i = 0; i < sampleIds.Length; i++)
                if (sampleIds[i] >= 0) ids[sampleIds[i]] = i;
            return ids;
        }

        /// <summary>The earliest time <paramref name="user"/> reviewed <paramref name="item"/> (the samples' ids), or false when never.</summary>
        public bool TryGet(long user, long item, out long time)
        {
            int logUser = logUsers[user], logItem = logItems[item], at = -1, from = 0;
            if (logUser >= 0 && logItem >= 0)
            {
                from = log.UserStart[logUser];
                at = log.Pairs.AsSpan(from, log.UserStart[logUser + 1] - from).BinarySearch((long)logUser << 32 | (uint)logItem);
            }
            time = at >= 0 ? log.Times[from + at] : -1;
            return at >= 0;
        }
    }

    /// <summary>The review times (while joining) and the counts of history steps that had to borrow a neighbour's time.</summary>
    private sealed class TimeJoin(ReviewTimes reviewTimes)
    {
        public long Steps, Missing, OutOfOrder;

        /// <summary>Writes the joined times of one history (<paramref name="times"/> holds step indices before) and counts.</summary>
        public void Join(long user, ReadOnlySpan<long> history, Span<long> times)
        {
            int n = history.Length;
            for (int i = 0; i < n; i++)   // -1: no review (the times read are non-negative)
                times[i] = reviewTimes.TryGet(user, history[i], out long t) ? t : -1;
            long previous = 0;   // leading steps without a time borrow the first found
            for (int i = 0; i < n; i++)
                if (times[i] >= 0) { previous = times[i]; break; }
            Steps += n;
            for (int i = 0; i < n; i++)
            {
                long t = times[i];
                if (t < 0) { Missing++; t = previous; }
                else if (t < previous) { OutOfOrder++; t = previous; }
                times[i] = previous = t;
            }
        }
    }

    private static string Find(string folder, string[] names)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"DIEN Amazon Books: folder {folder} does not exist");
        foreach (var name in names)
        {
            var path = Path.Combine(folder, name);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException($"DIEN Amazon Books: expected {string.Join(" or ", names)} in folder {folder} " +
                                        "(unpack data.tar.gz, data1.tar.gz and data2.tar.gz from zenodo record 3463683 there)");
    }

    /// <summary>
    /// An item of the negative-sampling pool and its category, side by side: each of the ~12 M draws of a load reads
    /// one random entry of a pool of ~360 k, so one cache line per draw instead of one in each of two arrays.
    /// </summary>
    private readonly record struct PoolItem(int Item, int Category);

    /// <summary>item-info: the negative-sampling pool (file order, as DIEN's mid_list_for_random) with its items' categories.</summary>
    private static PoolItem[] ReadItemInfo(string path, IdTable items, IdTable categories, LoadTally tally)
    {
        tally.AddFile(path);
        var pool = new List<PoolItem>();
        var seen = new HashSet<long>();
        TextFiles.ForEachUtf8Line(path, (line, number) =>
        {
            tally.RowsRead++;
            Span<Range> f = stackalloc Range[2];
            if (!TextFiles.TrySplit(line, (byte)'\t', f) || line[f[0]].IsEmpty) { tally.Malformed(path, number, "expected item\\tcategory", TextFiles.Text(line)); return; }
            long item = items.Intern(line[f[0]]);
            if (!seen.Add(item)) return;
            pool.Add(new PoolItem((int)item, (int)categories.Intern(line[f[1]])));
        });
        if (pool.Count < 2) throw new InvalidDataException($"{path}: needs at least 2 items to draw negatives from, found {pool.Count}");
        return pool.ToArray();
    }

    /// <summary>
    /// Flat per-step arrays that the samples of many lines are windows of (<see cref="CtrSample"/>): each line's history
    /// is written once, at the next free step, and a full chunk is followed by a new one, so nothing is copied or grown.
    /// <para>A line whose history repeats the line before it (DIEN writes each user's positive and negative line with one
    /// history) shares that line's steps — items, categories, times — and has only its negatives of its own, in a second
    /// pair of negative arrays at the same steps (<see cref="Store(bool)"/> with repeat), made when a chunk first needs
    /// them: on DIEN's files 7 arrays hold what took 10.</para>
    /// </summary>
    private sealed class StepChunk
    {
        public const int DefaultSteps = 1 << 20;
        public readonly long[] Items, Categories, Times;
        private readonly long[] negativeItems, negativeCategories;
        private readonly StepStore store;
        private long[]? repeatNegativeItems, repeatNegativeCategories;
        private StepStore? repeatStore;
        public int Used;

        public StepChunk(int steps)
        {
            (Items, Categories, Times, negativeItems, negativeCategories) = (new long[steps], new long[steps], new long[steps], new long[steps], new long[steps]);
            store = new StepStore(Items, Categories, Times, negativeItems, negativeCategories);
        }

        public int Free => Items.Length - Used;

        /// <summary>The negative arrays of the first line of a history, or of the line that repeats it.</summary>
        public (long[] Items, long[] Categories) Negatives(bool repeat)
        {
            if (!repeat) return (negativeItems, negativeCategories);
            if (repeatStore is null)
            {
                (repeatNegativeItems, repeatNegativeCategories) = (new long[Items.Length], new long[Items.Length]);
                repeatStore = new StepStore(Items, Categories, Times, repeatNegativeItems, repeatNegativeCategories);
            }
            return (repeatNegativeItems!, repeatNegativeCategories!);
        }

        /// <summary>The arrays the samples of first lines, or of repeating lines, are windows of.</summary>
        public StepStore Store(bool repeat) => repeat ? repeatStore! : store;
    }

    /// <summary>
    /// One line read: where its history is (chunk, start, length, and whether it repeats the line before's, see
    /// <see cref="StepChunk"/>), its ids and its label, until the samples are built.
    /// </summary>
    private readonly record struct Line(int Chunk, int Start, int Length, bool Repeat, int User, int Item, int Category, bool Clicked);

    private sealed class SampleReader(IdTable users, IdTable items, IdTable categories, PoolItem[] pool, Random random, LoadTally tally)
    {
        private readonly List<StepChunk> chunks = [];

        public List<Line> Read(string path)
        {
            tally.AddFile(path);
            var lines = new List<Line>(TextFiles.CountLines(path));   // sized once: growing would leave copies in the large-object heap
            TextFiles.ForEachUtf8Line(path, (line, number) =>
            {
                tally.RowsRead++;
                if (Parse(line, path, number) is { } read) { lines.Add(read); tally.RowsKept++; }
            });
            return lines;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // runs once per line of a one-shot load: skip tier 0
        private Line? Parse(ReadOnlySpan<byte> line, string path, long number)
        {
            Span<Range> f = stackalloc Range[6];
            if (!TextFiles.TrySplit(line, (byte)'\t', f)) { tally.Malformed(path, number, "expected 6 tab-separated fields label, user, item, category, item_hist, cat_hist", TextFiles.Text(line)); return null; }
            var labelText = line[f[0]];
            bool clicked = labelText.SequenceEqual("1"u8);
            if (!clicked && !labelText.SequenceEqual("0"u8)) { tally.Malformed(path, number, "label must be 0 or 1", TextFiles.Text(line)); return null; }
            ReadOnlySpan<byte> itemHistory = line[f[4]], categoryHistory = line[f[5]];
            int length = itemHistory.IsEmpty ? 0 : itemHistory.Count(HistorySeparator) + 1;
            int categoryLength = categoryHistory.IsEmpty ? 0 : categoryHistory.Count(HistorySeparator) + 1;
            if (length != categoryLength) { tally.Malformed(path, number, $"item history has {length} entries but category history {categoryLength}", TextFiles.Text(line)); return null; }
            var histories = line[f[4].Start..f[5].End];   // both history fields and the tab between them
            bool same = previousChunk >= 0 && histories.SequenceEqual(previousHistories.AsSpan(0, previousLength));
            long user = users.Intern(line[f[1]]);   // (the users' own table: interning it first changes no id)
            // The steps' times will be the user's review times, so only the same user's line may share them; and each
            // history's steps take one repeating line (a third line with it copies the ids).
            bool repeat = same && user == previousUser && !previousRepeated;
            int chunkIndex, start;
            if (repeat) (chunkIndex, start) = (previousChunk, previousStart);
            else
            {
                var room = Room(length);
                (chunkIndex, start) = (chunks.Count - 1, room.Used);
                room.Used += length;
                if (same)
                {   // the same names, so the same ids
                    chunks[previousChunk].Items.AsSpan(previousStart, length).CopyTo(room.Items.AsSpan(start));
                    chunks[previousChunk].Categories.AsSpan(previousStart, length).CopyTo(room.Categories.AsSpan(start));
                }
                else
                {
                    items.InternEach(itemHistory, HistorySeparator, room.Items.AsSpan(start, length));
                    categories.InternEach(categoryHistory, HistorySeparator, room.Categories.AsSpan(start, length));
                }
                for (int i = 0; i < length; i++) room.Times[start + i] = i;   // step indices until a time join replaces them
                Remember(histories, chunkIndex, start);
            }
            (previousUser, previousRepeated) = (user, repeat);
            var chunk = chunks[chunkIndex];
            var (negativeItems, negativeCategories) = chunk.Negatives(repeat);
            for (int i = 0; i < length; i++)
            {
                long item = chunk.Items[start + i];
                int drawn;
                do drawn = random.Next(pool.Length); while (pool[drawn].Item == item);
                (negativeItems[start + i], negativeCategories[start + i]) = (pool[drawn].Item, pool[drawn].Category);
            }
            long candidate = items.Intern(line[f[2]]), category = categories.Intern(line[f[3]]);
            return new Line(chunkIndex, start, length, repeat, (int)user, (int)candidate, (int)category, clicked);
        }

        /// <summary>
        /// The previous line's history fields, where its steps are, its user and whether it repeated the line before it:
        /// the same user's line with the same history fields shares those steps (<see cref="StepChunk"/>), any other line
        /// with them copies the ids instead of interning them again.
        /// </summary>
        private byte[] previousHistories = new byte[4096];
        private int previousLength, previousChunk = -1, previousStart;
        private long previousUser = -1;
        private bool previousRepeated;

        private void Remember(ReadOnlySpan<byte> histories, int chunk, int start)
        {
            if (histories.Length > previousHistories.Length) previousHistories = new byte[2 * histories.Length];
            histories.CopyTo(previousHistories);
            (previousLength, previousChunk, previousStart) = (histories.Length, chunk, start);
        }

        /// <summary>
        /// Joins the review times into the histories of <paramref name="lines"/> (a repeating line's shared steps are
        /// joined again, to the same times: they are the same user's).
        /// </summary>
        public void Join(List<Line> lines, TimeJoin join)
        {
            foreach (var line in lines)
            {
                var chunk = chunks[line.Chunk];
                join.Join(line.User, chunk.Items.AsSpan(line.Start, line.Length), chunk.Times.AsSpan(line.Start, line.Length));
            }
        }

        /// <summary>Puts the step indices back after a refused join.</summary>
        public void RestoreStepIndices(List<Line> lines)
        {
            foreach (var line in lines)
            {
                var times = chunks[line.Chunk].Times.AsSpan(line.Start, line.Length);
                for (int i = 0; i < times.Length; i++) times[i] = i;
            }
        }

        /// <summary>
        /// The samples, windows of the flat arrays; the candidate's time is the last history step's review time
        /// (<see cref="TimeKind.Real"/>) or the history length (step indices).
        /// </summary>
        public List<CtrSample> Samples(List<Line> lines, TimeKind times)
        {
            var samples = new List<CtrSample>(lines.Count);
            foreach (var line in lines)
            {
                var chunk = chunks[line.Chunk];
                long time = times == TimeKind.Index ? line.Length : line.Length == 0 ? 0 : chunk.Times[line.Start + line.Length - 1];
                samples.Add(new CtrSample(chunk.Store(line.Repeat), line.Start, line.Length, line.User, line.Item, line.Category, time, line.Clicked ? 1f : 0f));
            }
            return samples;
        }

        /// <summary>The chunk with room for <paramref name="steps"/> more steps: the current one, or a new one.</summary>
        private StepChunk Room(int steps)
        {
            if (chunks.Count == 0 || chunks[^1].Free < steps) chunks.Add(new StepChunk(Math.Max(StepChunk.DefaultSteps, steps)));
            return chunks[^1];
        }
    }
}
