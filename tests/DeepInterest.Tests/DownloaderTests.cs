using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using DeepInterest.Data.Download;
using ICSharpCode.SharpZipLib.BZip2;
using Xunit;

namespace DeepInterest.Tests;

/// <summary>The downloader's steps on archives and HTTP answers made here; no test touches the network.</summary>
public class DownloaderTests
{
    /// <summary>Serves fixed bytes for any request (or throws, to act as an unreachable host) and counts requests.</summary>
    private sealed class StubHandler(Func<HttpRequestMessage, HttpResponseMessage> respond) : HttpMessageHandler
    {
        public int Requests { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests++;
            return Task.FromResult(respond(request));
        }

        public static StubHandler Serving(byte[] body) => new(_ => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentLength = body.Length } },
        });
    }

    /// <summary>Reports synchronously, unlike <see cref="Progress{T}"/>, so assertions see every report.</summary>
    private sealed class Recorder<T> : IProgress<T>
    {
        public List<T> Reports { get; } = [];
        public void Report(T value) => Reports.Add(value);
    }

    private static string Md5(byte[] bytes) => Convert.ToHexString(MD5.HashData(bytes)).ToLowerInvariant();

    private static byte[] ZipWithTopFolder(string folder, params (string Name, string Text)[] files)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, text) in files)
            {
                using var entry = new StreamWriter(zip.CreateEntry($"{folder}/{name}").Open());
                entry.Write(text);
            }
        return memory.ToArray();
    }

    private static byte[] Bzip2Tar(string folder, params (string Name, string Text)[] files)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var (name, text) in files)
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, $"{folder}/{name}") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) });
        tar.Position = 0;
        using var compressed = new MemoryStream();
        using (var bzip2 = new BZip2OutputStream(compressed) { IsStreamOwner = false }) tar.CopyTo(bzip2);
        return compressed.ToArray();
    }

    private static byte[] Gzip(string text)
    {
        using var memory = new MemoryStream();
        using (var gzip = new GZipStream(memory, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(Encoding.UTF8.GetBytes(text));
        return memory.ToArray();
    }

    [Fact]
    public void ArchiveKindComesFromMagicBytesNotTheExtension()
    {
        using var dir = new TempFolder();
        string Save(string name, byte[] bytes) { var p = Path.Combine(dir.Path, name); File.WriteAllBytes(p, bytes); return p; }

        Assert.Equal(ArchiveKind.Zip, ArchiveUnpacker.Detect(Save("a.dat", ZipWithTopFolder("x", ("f", "1")))));
        Assert.Equal(ArchiveKind.BZip2, ArchiveUnpacker.Detect(Save("data.tar.gz", Bzip2Tar("data", ("f", "1")))));
        Assert.Equal(ArchiveKind.GZip, ArchiveUnpacker.Detect(Save("b.zip", Gzip("{}"))));
        Assert.Equal(ArchiveKind.None, ArchiveUnpacker.Detect(Save("c.gz", Encoding.UTF8.GetBytes("plain text"))));
    }

    [Fact]
    public void ZipWithOneTopFolderIsFlattenedIntoTheTarget()
    {
        using var dir = new TempFolder();
        var archive = Path.Combine(dir.Path, "ml-latest-small.zip");
        File.WriteAllBytes(archive, ZipWithTopFolder("ml-latest-small", ("ratings.csv", "userId\n"), ("movies.csv", "movieId\n")));

        var produced = ArchiveUnpacker.Unpack(archive, dir.Path);

        Assert.Equal(["movies.csv", "ratings.csv"], produced.Select(Path.GetFileName).Order());
        Assert.Equal("userId\n", File.ReadAllText(Path.Combine(dir.Path, "ratings.csv")));
        Assert.Equal(["ml-latest-small.zip", "movies.csv", "ratings.csv"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Bzip2TarNamedTarGzIsUnpackedLikeTheDienArchives()
    {
        using var dir = new TempFolder();
        var archive = Path.Combine(dir.Path, "data1.tar.gz");
        File.WriteAllBytes(archive, Bzip2Tar("data1", ("local_train_splitByUser", "1\tU\tI\tC\tH\tK\n"), ("item-info", "I\tC\n")));

        ArchiveUnpacker.Unpack(archive, dir.Path);

        Assert.Equal("I\tC\n", File.ReadAllText(Path.Combine(dir.Path, "item-info")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "local_train_splitByUser")));
        Assert.False(File.Exists(Path.Combine(dir.Path, "data1.tar")), "the intermediate tar must not stay behind");
    }

    [Fact]
    public void GzipOfAPlainFileIsDecompressedBesideIt()
    {
        using var dir = new TempFolder();
        var archive = Path.Combine(dir.Path, "reviews_Electronics_5.json.gz");
        File.WriteAllBytes(archive, Gzip("{\"asin\": \"A1\"}\n"));

        ArchiveUnpacker.Unpack(archive, dir.Path);

        Assert.Equal("{\"asin\": \"A1\"}\n", File.ReadAllText(Path.Combine(dir.Path, "reviews_Electronics_5.json")));
    }

    [Fact]
    public async Task DownloadStreamsVerifiesAndRenamesWithProgress()
    {
        using var dir = new TempFolder();
        var body = Encoding.UTF8.GetBytes(new string('x', 200_000));
        var destination = Path.Combine(dir.Path, "file.bin");
        var progress = new Recorder<(long Done, long? Total)>();

        await FileDownloader.DownloadAsync(new HttpClient(StubHandler.Serving(body)), new Uri("https://example.org/file.bin"), destination, Md5(body), progress);

        Assert.Equal(body, File.ReadAllBytes(destination));
        Assert.False(File.Exists(destination + FileDownloader.PartialSuffix));
        Assert.Equal((body.Length, (long?)body.Length), progress.Reports[^1]);
        Assert.True(progress.Reports.Count > 2, "progress must be reported while streaming, not only at the end");
    }

    [Fact]
    public async Task ChecksumMismatchLeavesNoCompletedFile()
    {
        using var dir = new TempFolder();
        var destination = Path.Combine(dir.Path, "data.tar.gz");
        var handler = StubHandler.Serving(Encoding.UTF8.GetBytes("truncated download"));

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => FileDownloader.DownloadAsync(
            new HttpClient(handler), new Uri("https://zenodo.org/record/3463683/files/data.tar.gz"), destination, "86fd34467fecf6825303ff7b97d56878"));

        Assert.Contains("does not match the published 86fd34467fecf6825303ff7b97d56878", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public async Task UnreachableHostSaysWhereToDownloadManually()
    {
        using var dir = new TempFolder();
        var handler = new StubHandler(_ => throw new HttpRequestException("Name or service not known"));
        var url = new Uri("https://files.grouplens.org/datasets/movielens/ml-1m.zip");

        var e = await Assert.ThrowsAsync<IOException>(() => FileDownloader.DownloadAsync(new HttpClient(handler), url, Path.Combine(dir.Path, "ml-1m.zip"), null));

        Assert.Contains("could not reach files.grouplens.org: Name or service not known", e.Message);
        Assert.Contains($"download manually from {url} into {dir.Path}", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public async Task HttpErrorStatusIsReportedWithTheUrl()
    {
        using var dir = new TempFolder();
        var handler = new StubHandler(_ => new HttpResponseMessage(HttpStatusCode.NotFound));

        var e = await Assert.ThrowsAsync<IOException>(() => FileDownloader.DownloadAsync(
            new HttpClient(handler), new Uri("https://example.org/gone.zip"), Path.Combine(dir.Path, "gone.zip"), null));

        Assert.Contains("answered 404", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public async Task DatasetDownloadUnpacksAndWritesTheMarkerLast()
    {
        using var dir = new TempFolder();
        var zip = ZipWithTopFolder("ml-latest-small", ("ratings.csv", "userId,movieId,rating,timestamp\n"));
        var entry = new DatasetEntry("test-set", "test", "test terms", [new RemoteFile(new Uri("https://example.org/ml.zip"), Md5(zip))]);
        var handler = StubHandler.Serving(zip);
        var downloader = new DatasetDownloader(new HttpClient(handler));
        var folder = Path.Combine(dir.Path, "ml");
        var progress = new Recorder<(string File, long Done, long? Total)>();

        var outcome = await downloader.DownloadAsync(entry, folder, progress);
        var again = await downloader.DownloadAsync(entry, folder);

        Assert.True(outcome.Complete);
        Assert.True(DatasetDownloader.IsComplete(folder));
        Assert.True(File.Exists(Path.Combine(folder, "ratings.csv")));
        Assert.Contains(Md5(zip), File.ReadAllText(Path.Combine(folder, DatasetDownloader.MarkerFileName)));
        Assert.Contains("already complete", again.Message);
        Assert.Equal(("ml.zip", (long)zip.Length, (long?)zip.Length), progress.Reports[^1]);
        Assert.Equal(1, handler.Requests);
    }

    [Fact]
    public async Task FailedDatasetDownloadWritesNoMarker()
    {
        using var dir = new TempFolder();
        var entry = new DatasetEntry("test-set", "test", "test terms", [new RemoteFile(new Uri("https://example.org/ml.zip"), "00000000000000000000000000000000")]);
        var downloader = new DatasetDownloader(new HttpClient(StubHandler.Serving(ZipWithTopFolder("x", ("f", "1")))));

        await Assert.ThrowsAsync<InvalidDataException>(() => downloader.DownloadAsync(entry, dir.Path));

        Assert.False(DatasetDownloader.IsComplete(dir.Path));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public async Task TaobaoPrintsTheManualStepsInsteadOfDownloading()
    {
        using var dir = new TempFolder();
        var handler = StubHandler.Serving([]);

        var outcome = await new DatasetDownloader(new HttpClient(handler)).DownloadAsync(DownloadCatalog.Get("taobao"), dir.Path);

        Assert.False(outcome.Complete);
        Assert.Contains("dataId=649", outcome.Message);
        Assert.Contains($"put UserBehavior.csv into {dir.Path}", outcome.Message);
        Assert.Equal(0, handler.Requests);
    }

    [Fact]
    public void UnknownDatasetNameListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => DownloadCatalog.Get("movielens-20m"));
        Assert.Contains("movielens-small, movielens-1m, amazon-books-dien, amazon-electronics, taobao", e.Message);
    }
}
