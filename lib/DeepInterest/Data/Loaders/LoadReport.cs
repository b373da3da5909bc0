using System.Diagnostics;

namespace DeepInterest.Data.Loaders;

/// <summary>One line a loader did not keep: where it was and why.</summary>
public sealed record SkippedLine(string File, long LineNumber, string Reason);

/// <summary>
/// What a loader read: the files, how many data rows it read (in all its files, side files such as movies.csv
/// included), how many output records it kept, how many rows it filtered out on purpose (e.g. below
/// <see cref="LoadOptions.MinRating"/>) and skipped as malformed (only with <see cref="LoadOptions.SkipMalformed"/>),
/// the first few skipped lines, and the time it took. Nothing is dropped without being counted here.
/// </summary>
public sealed record LoadReport(
    IReadOnlyList<string> Files,
    long RowsRead,
    long RowsKept,
    long RowsFiltered,
    long RowsSkipped,
    IReadOnlyList<SkippedLine> FirstSkipped,
    double Seconds)
{
    /// <summary>Whether the loaded times are clock times or step indices (see <see cref="TimesNote"/> for why).</summary>
    public TimeKind Times { get; init; } = TimeKind.Real;

    /// <summary>Where the times come from, when a loader has a choice (DIEN's Amazon Books: reviews-info or step indices).</summary>
    public string? TimesNote { get; init; }

    /// <summary>
    /// Loaders of data sets that may ship a user file (MovieLens): whether one was read, for how many users and which
    /// fields (<see cref="BehaviorLogData.UserProfiles"/>), or why there is none. Null for the other loaders.
    /// </summary>
    public string? UserFileNote { get; init; }

    /// <summary>Data rows read per second of wall time.</summary>
    public double RowsPerSecond => Seconds > 0 ? RowsRead / Seconds : double.PositiveInfinity;

    public override string ToString()
    {
        var text = $"{string.Join(", ", Files.Select(Path.GetFileName))}: {RowsRead:N0} rows read, {RowsKept:N0} kept, " +
                   $"{RowsFiltered:N0} filtered, {RowsSkipped:N0} skipped as malformed, {Seconds:F2} s ({RowsPerSecond:N0} rows/s); " +
                   $"times: {CtrDataset.TimesName(Times)}{(TimesNote is null ? "" : $" ({TimesNote})")}" +
                   (UserFileNote is null ? "" : $"; user file: {UserFileNote}");
        return FirstSkipped.Count == 0
            ? text
            : text + "; first skipped: " + string.Join("; ", FirstSkipped.Select(s => $"{Path.GetFileName(s.File)}:{s.LineNumber} {s.Reason}"));
    }
}

/// <summary>Options shared by the loaders; each loader documents which ones it uses.</summary>
public sealed record LoadOptions
{
    /// <summary>Skip malformed lines (counted and reported) instead of stopping at the first one.</summary>
    public bool SkipMalformed { get; init; }

    /// <summary>How many skipped lines the report lists by line number.</summary>
    public int ReportedSkips { get; init; } = 5;

    /// <summary>Data sets with explicit ratings (MovieLens, Amazon reviews): keep only ratings ≥ this. Null keeps all.</summary>
    public double? MinRating { get; init; }

    /// <summary>Seed for anything a loader draws at random (DIEN's auxiliary-loss negatives).</summary>
    public int Seed { get; init; } = 42;

    public static LoadOptions Default { get; } = new();
}

/// <summary>Counts rows while a loader runs and turns malformed lines into an exception or a counted skip.</summary>
internal sealed class LoadTally
{
    private readonly LoadOptions options;
    private readonly List<string> files = [];
    private readonly List<SkippedLine> firstSkipped = [];
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private const int QuotedTextLength = 120;

    public long RowsRead, RowsKept, RowsFiltered, RowsSkipped;

    public LoadTally(LoadOptions options) => this.options = options;

    public void AddFile(string path) => files.Add(path);

    /// <summary>Throws <see cref="InvalidDataException"/> naming file, line and text, or counts the skip.</summary>
    public void Malformed(string file, long lineNumber, string reason, ReadOnlySpan<char> line)
    {
        if (!options.SkipMalformed)
        {
            var text = line.Length > QuotedTextLength ? string.Concat(line[..QuotedTextLength], "…") : line.ToString();
            throw new InvalidDataException($"{file}, line {lineNumber}: {reason}. Line text: \"{text}\". " +
                                           "Fix the file or load with SkipMalformed = true to skip and count such lines.");
        }
        RowsSkipped++;
        if (firstSkipped.Count < options.ReportedSkips) firstSkipped.Add(new SkippedLine(file, lineNumber, reason));
    }

    /// <summary>Adds what <paramref name="other"/> counted (a file read on another thread) as if this tally had read it next.</summary>
    public void Add(LoadTally other)
    {
        files.AddRange(other.files);
        (RowsRead, RowsKept, RowsFiltered, RowsSkipped) =
            (RowsRead + other.RowsRead, RowsKept + other.RowsKept, RowsFiltered + other.RowsFiltered, RowsSkipped + other.RowsSkipped);
        firstSkipped.AddRange(other.firstSkipped.Take(options.ReportedSkips - firstSkipped.Count));
    }

    public LoadReport Finish() =>
        new(files.ToArray(), RowsRead, RowsKept, RowsFiltered, RowsSkipped, firstSkipped.ToArray(), clock.Elapsed.TotalSeconds);
}
