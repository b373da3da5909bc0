using System.Formats.Tar;
using System.IO.Compression;
using ICSharpCode.SharpZipLib.BZip2;

namespace DeepInterest.Data.Download;

public enum ArchiveKind { None, Zip, GZip, BZip2, Tar }

/// <summary>
/// Unpacks zip, gzip, bzip2 and tar (also gzip- or bzip2-compressed tar), recognised by magic bytes, not by extension:
/// the DIEN files are named .tar.gz but are bzip2. Unpacks into a staging folder first and moves the result into the
/// target only when complete; an archive whose content is one top folder (ml-latest-small/, DIEN's data1/) is
/// flattened so the loaders find their files directly in the target.
/// </summary>
public static class ArchiveUnpacker
{
    public static ArchiveKind Detect(string path)
    {
        using var stream = File.OpenRead(path);
        return Detect(stream);
    }

    private static ArchiveKind Detect(Stream stream)
    {
        var head = new byte[512];
        int read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (read >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] is 3 or 5) return ArchiveKind.Zip;
        if (read >= 2 && head[0] == 0x1f && head[1] == 0x8b) return ArchiveKind.GZip;
        if (read >= 3 && head[0] == (byte)'B' && head[1] == (byte)'Z' && head[2] == (byte)'h') return ArchiveKind.BZip2;
        if (read >= 262 && head.AsSpan(257, 5).SequenceEqual("ustar"u8)) return ArchiveKind.Tar;
        return ArchiveKind.None;
    }

    /// <summary>
    /// Unpacks <paramref name="archive"/> into <paramref name="targetFolder"/> and returns the paths it produced there.
    /// A plain file (<see cref="ArchiveKind.None"/>) is left as it is and nothing is returned.
    /// </summary>
    public static IReadOnlyList<string> Unpack(string archive, string targetFolder)
    {
        var kind = Detect(archive);
        if (kind == ArchiveKind.None) return [];
        Directory.CreateDirectory(targetFolder);
        var staging = Path.Combine(targetFolder, $".unpacking-{Path.GetFileName(archive)}");
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        try
        {
            switch (kind)
            {
                case ArchiveKind.Zip:
                    ZipFile.ExtractToDirectory(archive, staging, overwriteFiles: true);
                    break;
                case ArchiveKind.Tar:
                    TarFile.ExtractToDirectory(archive, staging, overwriteFiles: true);
                    break;
                default:
                    Decompress(archive, kind, staging);
                    break;
            }
            return MoveIntoTarget(staging, targetFolder);
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Decompresses a gzip or bzip2 file into <paramref name="staging"/>; a tar inside is extracted there.</summary>
    private static void Decompress(string archive, ArchiveKind kind, string staging)
    {
        var decompressed = Path.Combine(staging, DecompressedName(Path.GetFileName(archive)));
        using (var source = File.OpenRead(archive))
        using (Stream inflater = kind == ArchiveKind.GZip ? new GZipStream(source, CompressionMode.Decompress) : new BZip2InputStream(source))
        using (var output = File.Create(decompressed))
            inflater.CopyTo(output);
        if (Detect(decompressed) != ArchiveKind.Tar) return;
        TarFile.ExtractToDirectory(decompressed, staging, overwriteFiles: true);
        File.Delete(decompressed);
    }

    /// <summary>reviews.json.gz → reviews.json, data.tar.gz → data.tar, x.tgz → x.tar, anything else → name + ".out".</summary>
    private static string DecompressedName(string name)
    {
        foreach (var extension in new[] { ".gz", ".bz2", ".bz" })
            if (name.EndsWith(extension, StringComparison.OrdinalIgnoreCase)) return name[..^extension.Length];
        return name.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase) ? name[..^4] + ".tar" : name + ".out";
    }

    private static IReadOnlyList<string> MoveIntoTarget(string staging, string targetFolder)
    {
        var source = staging;
        if (Directory.GetFiles(staging) is [] && Directory.GetDirectories(staging) is [var onlyFolder]) source = onlyFolder;
        var moved = new List<string>();
        foreach (var file in Directory.GetFiles(source))
        {
            var destination = Path.Combine(targetFolder, Path.GetFileName(file));
            File.Move(file, destination, overwrite: true);
            moved.Add(destination);
        }
        foreach (var folder in Directory.GetDirectories(source))
        {
            var destination = Path.Combine(targetFolder, Path.GetFileName(folder));
            if (Directory.Exists(destination)) Directory.Delete(destination, recursive: true);
            Directory.Move(folder, destination);
            moved.Add(destination);
        }
        return moved;
    }
}
