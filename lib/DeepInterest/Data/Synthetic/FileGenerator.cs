using System.Globalization;
using DeepInterest.Data.Loaders;

namespace DeepInterest.Data;

/// <summary>The real-data formats <see cref="FileGenerator"/> writes stand-ins for.</summary>
public enum GeneratedFormat
{
    /// <summary>Taobao UserBehavior.csv (<see cref="TaobaoLoader"/>): one line per event.</summary>
    Taobao,
    /// <summary>DIEN's preprocessed Amazon Books (<see cref="DienBooksLoader"/>): one line per sample, its history on the line.</summary>
    DienBooks,
}

/// <summary>
/// Writes large stand-ins for the real data sets in their exact file formats, so loading, sample building and memory can
/// be measured at full scale by anyone (<c>data generate</c>, data/README.md "Generated stand-ins"). They carry no
/// planted signal worth learning: the point is size and shape. Deterministic given the seed (one random stream per
/// user, <see cref="RandomStreams"/>); ids and popularity are Zipf-like so vocabularies, repeats and negatives behave
/// roughly as on the real files.
/// <list type="bullet">
/// <item>Taobao: <c>UserBehavior.csv</c> with exactly <c>events</c> lines <c>user,item,category,behavior,timestamp</c>;
/// users of U{20..180} events (the real file averages about 100), items ≈ events / 25 and categories ≈ items / 400
/// (the real ratios), a quarter of a user's events repeat one of their earlier items, behaviour pv 89.5 %, cart 5.5 %,
/// fav 3 %, buy 2 %, times in the data set's nine days, each user's events in time order.</item>
/// <item>DIEN Amazon Books: <c>local_train_splitByUser</c> and <c>local_test_splitByUser</c> with <c>events</c> sample
/// lines in all (rounded up to even): like DIEN's files, one positive and one negative line per user, both with the
/// user's earlier reviews as history (1 + Geometric, mean 10, at most 100 steps; a user reviews an item once); every tenth user in test.
/// <c>item-info</c> lists every item with its category and <c>reviews-info</c> every (user, item) review with a time, so
/// the loader's time join runs as on the real folder.</item>
/// </list>
/// </summary>
public static class FileGenerator
{
    private const long TaobaoStart = 1511539200, TaobaoSeconds = 9 * 86400;  // 2017-11-25 .. 2017-12-03 (UTC+0)
    private static readonly (string Type, double Share)[] TaobaoTypes = [("pv", 0.895), ("cart", 0.055), ("fav", 0.03), ("buy", 0.02)];

    /// <summary>Writes the files of <paramref name="format"/> into <paramref name="folder"/> (created if needed); returns their paths.</summary>
    public static IReadOnlyList<string> Write(GeneratedFormat format, string folder, long events, int seed)
    {
        if (events < 1) throw new ArgumentOutOfRangeException(nameof(events), events, "generate at least one event (line)");
        Directory.CreateDirectory(folder);
        return format switch
        {
            GeneratedFormat.Taobao => [WriteTaobao(folder, events, seed)],
            GeneratedFormat.DienBooks => WriteDienBooks(folder, events, seed),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown format"),
        };
    }

    private static string WriteTaobao(string folder, long events, int seed)
    {
        long itemCount = Math.Max(1000, events / 25);
        var items = new ZipfIds(itemCount, 1.0);
        long categoryCount = Math.Max(20, itemCount / 400);
        var path = Path.Combine(folder, TaobaoLoader.FileName);
        using var writer = Writer(path);
        long written = 0;
        var own = new List<long>();
        var times = new List<long>();
        for (long user = 1; written < events; user++)
        {
            var rng = RandomStreams.For(seed, user);
            int count = (int)Math.Min(events - written, rng.Next(20, 181));
            times.Clear();
            for (int i = 0; i < count; i++) times.Add(TaobaoStart + rng.NextInt64(TaobaoSeconds));
            times.Sort();
            own.Clear();
            for (int i = 0; i < count; i++)
            {
                long item = own.Count > 0 && rng.NextDouble() < 0.25 ? own[rng.Next(own.Count)] : items.Next(rng);
                own.Add(item);
                double r = rng.NextDouble();
                int type = 0;
                while (type < TaobaoTypes.Length - 1 && r >= TaobaoTypes[type].Share) r -= TaobaoTypes[type++].Share;
                writer.Write(user.ToString(CultureInfo.InvariantCulture));
                writer.Write(',');
                writer.Write(item.ToString(CultureInfo.InvariantCulture));
                writer.Write(',');
                writer.Write((CategoryOf(item, categoryCount) + 1).ToString(CultureInfo.InvariantCulture));
                writer.Write(',');
                writer.Write(TaobaoTypes[type].Type);
                writer.Write(',');
                writer.Write(times[i].ToString(CultureInfo.InvariantCulture));
                writer.Write('\n');
            }
            written += count;
        }
        return path;
    }

    private static IReadOnlyList<string> WriteDienBooks(string folder, long lines, int seed)
    {
        long users = (lines + 1) / 2;
        long itemCount = Math.Max(1000, users * 6 / 10);   // the real split: ~368k items for ~600k users
        long categoryCount = Math.Max(20, itemCount / 230);
        var items = new ZipfIds(itemCount, 0.9);
        string train = Path.Combine(folder, DienBooksLoader.TrainNames[0]), test = Path.Combine(folder, DienBooksLoader.TestNames[0]);
        string itemInfo = Path.Combine(folder, DienBooksLoader.ItemInfoName), reviews = Path.Combine(folder, DienBooksLoader.ReviewsInfoName);
        using (var info = Writer(itemInfo))
            for (long item = 0; item < itemCount; item++)
                info.Write($"{Asin(item)}\t{Category(CategoryOf(item, categoryCount))}\n");
        using var trainWriter = Writer(train);
        using var testWriter = Writer(test);
        using var reviewWriter = Writer(reviews);
        var history = new List<long>();
        for (long user = 0; user < users; user++)
        {
            var rng = RandomStreams.For(seed, user);
            int length = 1;
            while (length < 100 && rng.NextDouble() >= 0.1) length++;   // 1 + Geometric(0.1), capped at 100
            history.Clear();
            while (history.Count <= length)   // distinct items (each reviewed once), the last one the positive
            {
                long item = items.Next(rng);
                if (!history.Contains(item)) history.Add(item);
            }
            long positive = history[^1], negative = items.Next(rng);
            history.RemoveAt(length);
            string name = $"U{user:D9}";
            long time = 946684800 + rng.NextInt64(400_000_000);
            foreach (var item in history.Append(positive))
            {
                reviewWriter.Write($"{name}\t{Asin(item)}\t{1 + rng.Next(5)}.0\t{time}\n");
                time += 1 + rng.Next(86400 * 30);
            }
            string itemHistory = string.Join('\x02', history.Select(Asin)), categoryHistory = string.Join('\x02', history.Select(i => Category(CategoryOf(i, categoryCount))));
            var writer = user % 10 == 9 ? testWriter : trainWriter;
            foreach (var (label, item) in new[] { (1, positive), (0, negative) })
                writer.Write($"{label}\t{name}\t{Asin(item)}\t{Category(CategoryOf(item, categoryCount))}\t{itemHistory}\t{categoryHistory}\n");
        }
        return [train, test, itemInfo, reviews];
    }

    /// <summary>A fixed pseudo-random category per item (the same item always has the same category).</summary>
    private static long CategoryOf(long item, long categories) => (long)(((ulong)item * 0x9E3779B97F4A7C15UL >> 17) % (ulong)categories);

    private static string Asin(long item) => $"B{item:D9}";
    private static string Category(long category) => $"Cat{category}";

    private static StreamWriter Writer(string path) =>
        new(path, false, new System.Text.UTF8Encoding(false), 1 << 20) { NewLine = "\n" };

    /// <summary>Ids 0..n−1 drawn with probability ∝ 1 / (rank + 1)^s, by binary search in the cumulative weights.</summary>
    private sealed class ZipfIds
    {
        private readonly double[] cumulative;

        public ZipfIds(long n, double s)
        {
            cumulative = new double[n];
            double sum = 0;
            for (long i = 0; i < n; i++) cumulative[i] = sum += Math.Pow(i + 1, -s);
        }

        public long Next(Random rng)
        {
            double target = rng.NextDouble() * cumulative[^1];
            int at = Array.BinarySearch(cumulative, target);
            return Math.Min(cumulative.Length - 1, at < 0 ? ~at : at);
        }
    }
}
