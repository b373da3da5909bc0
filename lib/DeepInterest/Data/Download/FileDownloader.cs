using System.Net.Sockets;
using System.Security.Cryptography;

namespace DeepInterest.Data.Download;

/// <summary>
/// Streams one URL to disk: into <c>&lt;file&gt;.partial</c>, MD5 computed on the way, renamed to its final name only after
/// the checksum matches (or when none is published). A failed, cancelled or mismatching download leaves no file behind
/// under the final name, so a partial download never looks complete.
/// </summary>
public static class FileDownloader
{
    public const string PartialSuffix = ".partial";
    private const int BufferSize = 1 << 16;

    /// <summary>Downloads <paramref name="url"/> to <paramref name="destination"/>; an existing file with the right MD5 is kept.</summary>
    public static async Task DownloadAsync(HttpClient http, Uri url, string destination, string? expectedMd5,
        IProgress<(long Done, long? Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        if (File.Exists(destination) && (expectedMd5 is null || string.Equals(Md5Of(destination), expectedMd5, StringComparison.OrdinalIgnoreCase)))
            return;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(destination))!);
        var partial = destination + PartialSuffix;
        try
        {
            string actualMd5;
            using (var response = await Send(http, url, destination, cancellationToken))
            await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken))
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, BufferSize, useAsync: true))
            {
                actualMd5 = await CopyHashing(body, file, response.Content.Headers.ContentLength, progress, cancellationToken);
            }
            VerifyChecksum(url, expectedMd5, actualMd5);
            File.Move(partial, destination, overwrite: true);
        }
        finally
        {
            if (File.Exists(partial)) File.Delete(partial);
        }
    }

    /// <summary>Throws <see cref="InvalidDataException"/> when <paramref name="actualMd5"/> differs from the published one.</summary>
    public static void VerifyChecksum(Uri url, string? expectedMd5, string actualMd5)
    {
        if (expectedMd5 is not null && !string.Equals(actualMd5, expectedMd5, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{url}: MD5 {actualMd5} does not match the published {expectedMd5}; the download was discarded (retry, or check the source)");
    }

    /// <summary>Lower-case hex MD5 of a file.</summary>
    public static string Md5Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(MD5.HashData(stream)).ToLowerInvariant();
    }

    private static async Task<HttpResponseMessage> Send(HttpClient http, Uri url, string destination, CancellationToken cancellationToken)
    {
        string manually = $"download manually from {url} into {Path.GetDirectoryName(Path.GetFullPath(destination))}";
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or SocketException || e is TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new IOException($"could not reach {url.Host}: {e.Message} — {manually}", e);
        }
        if (!response.IsSuccessStatusCode)
        {
            response.Dispose();
            throw new IOException($"{url.Host} answered {(int)response.StatusCode} {response.ReasonPhrase} for {url} — {manually}");
        }
        return response;
    }

    private static async Task<string> CopyHashing(Stream body, Stream file, long? total, IProgress<(long, long?)>? progress, CancellationToken cancellationToken)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buffer = new byte[BufferSize];
        long done = 0;
        progress?.Report((0, total));
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            md5.AppendData(buffer, 0, read);
            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            done += read;
            progress?.Report((done, total));
        }
        return Convert.ToHexString(md5.GetHashAndReset()).ToLowerInvariant();
    }
}
