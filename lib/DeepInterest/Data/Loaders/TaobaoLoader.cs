using System.Globalization;

namespace DeepInterest.Data.Loaders;

/// <summary>
/// Loads Taobao UserBehavior.csv (Tianchi data set 649): <c>user,item,category,behavior,timestamp</c>, no header,
/// behaviour ∈ pv / buy / cart / fav kept as <see cref="Behavior.Type"/>. Ids are the file's own numbers.
/// Rows stay in file order (timestamps are not sorted in the full file; the split protocol sorts), and rows with
/// timestamps outside the data set's nominal window are kept: filtering them is a protocol decision, not a parsing one.
/// </summary>
public static class TaobaoLoader
{
    public const string FileName = "UserBehavior.csv";
    private static readonly string[] BehaviorTypes = ["pv", "buy", "cart", "fav"];

    /// <summary>Loads <see cref="FileName"/> from a folder, or the file itself when given a file path.</summary>
    public static BehaviorLogData Load(string folderOrFile, LoadOptions? options = null)
    {
        options ??= LoadOptions.Default;
        string path = Directory.Exists(folderOrFile) ? Path.Combine(folderOrFile, FileName) : folderOrFile;
        if (!File.Exists(path))
            throw new FileNotFoundException($"Taobao: expected {Path.GetFileName(path)} (user,item,category,behavior,timestamp; from Tianchi data set 649) in folder {Path.GetDirectoryName(Path.GetFullPath(path))}", path);
        var tally = new LoadTally(options);
        tally.AddFile(path);
        var behaviors = new List<Behavior>();
        TextFiles.ForEachLine(path, null, (line, number) =>
        {
            tally.RowsRead++;
            ReadOnlySpan<char> text = line;
            Span<Range> f = stackalloc Range[5];
            if (!TextFiles.TrySplit(text, ",", f)) { tally.Malformed(path, number, "expected 5 fields user,item,category,behavior,timestamp", text); return; }
            if (!long.TryParse(text[f[0]], NumberStyles.Integer, CultureInfo.InvariantCulture, out long user) ||
                !long.TryParse(text[f[1]], NumberStyles.Integer, CultureInfo.InvariantCulture, out long item) ||
                !long.TryParse(text[f[2]], NumberStyles.Integer, CultureInfo.InvariantCulture, out long category) ||
                !long.TryParse(text[f[4]], NumberStyles.Integer, CultureInfo.InvariantCulture, out long time))
            { tally.Malformed(path, number, "user, item, category and timestamp must be integers", text); return; }
            var type = BehaviorType(text[f[3]]);
            if (type is null) { tally.Malformed(path, number, $"behavior must be one of {string.Join("/", BehaviorTypes)}", text); return; }
            behaviors.Add(new Behavior(user, item, category, time, type));
            tally.RowsKept++;
        });
        return new BehaviorLogData("Taobao UserBehavior", behaviors, tally.Finish());
    }

    /// <summary>The shared string for a behaviour type (one instance per type, not one per row), or null.</summary>
    private static string? BehaviorType(ReadOnlySpan<char> text)
    {
        foreach (var type in BehaviorTypes)
            if (text.SequenceEqual(type)) return type;
        return null;
    }
}
