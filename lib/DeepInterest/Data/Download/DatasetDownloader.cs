using System.Text.Json;

namespace DeepInterest.Data.Download;

/// <summary>What <see cref="DatasetDownloader.DownloadAsync"/> did: the data folder, whether the data set is in place, and a message for the user.</summary>
public sealed record DownloadOutcome(string Folder, bool Complete, string Message);

/// <summary>
/// Downloads a catalog data set into a folder: each file streamed and verified (<see cref="FileDownloader"/>), each
/// archive unpacked (<see cref="ArchiveUnpacker"/>), and the marker file <see cref="MarkerFileName"/> written last, so
/// a folder with the marker is complete and a folder without it is not. Manual data sets (Taobao) only get instructions.
/// </summary>
public sealed class DatasetDownloader(HttpClient http)
{
    public const string MarkerFileName = ".deepinterest-complete.json";

    public static bool IsComplete(string folder) => File.Exists(Path.Combine(folder, MarkerFileName));

    public async Task<DownloadOutcome> DownloadAsync(DatasetEntry entry, string folder,
        IProgress<(string File, long Done, long? Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        folder = Path.GetFullPath(folder);
        if (entry.ManualSteps is { } steps)
        {
            bool present = entry.ExpectedFile is { } expected && File.Exists(Path.Combine(folder, expected));
            return new DownloadOutcome(folder, present,
                present ? $"{entry.Name}: {entry.ExpectedFile} is in place in {folder}" : string.Format(steps, folder));
        }
        if (IsComplete(folder)) return new DownloadOutcome(folder, true, $"{entry.Name}: already complete in {folder}");
        Directory.CreateDirectory(folder);
        var unpacked = new List<string>();
        foreach (var file in entry.Files)
        {
            var archive = Path.Combine(folder, file.FileName);
            var fileProgress = progress is null ? null : new FileProgress(file.FileName, progress);
            await FileDownloader.DownloadAsync(http, file.Url, archive, file.Md5, fileProgress, cancellationToken);
            unpacked.AddRange(ArchiveUnpacker.Unpack(archive, folder).Select(Path.GetFileName)!);
        }
        WriteMarker(entry, folder, unpacked);
        return new DownloadOutcome(folder, true, $"{entry.Name}: downloaded {entry.Files.Count} file(s) into {folder}");
    }

    /// <summary>Written last: records what was downloaded, with the verified checksums.</summary>
    public static void WriteMarker(DatasetEntry entry, string folder, IReadOnlyList<string> unpacked)
    {
        var marker = new
        {
            dataset = entry.Name,
            completedUtc = DateTime.UtcNow,
            files = entry.Files.Select(f => new { url = f.Url.ToString(), md5 = FileDownloader.Md5Of(Path.Combine(folder, f.FileName)) }),
            unpacked,
        };
        var path = Path.Combine(folder, MarkerFileName);
        File.WriteAllText(path + FileDownloader.PartialSuffix, JsonSerializer.Serialize(marker, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(path + FileDownloader.PartialSuffix, path, overwrite: true);
    }

    /// <summary>Tags one file's progress with its name, synchronously (Progress&lt;T&gt; would post reports out of order).</summary>
    private sealed class FileProgress(string fileName, IProgress<(string File, long Done, long? Total)> outer) : IProgress<(long Done, long? Total)>
    {
        public void Report((long Done, long? Total) value) => outer.Report((fileName, value.Done, value.Total));
    }
}
