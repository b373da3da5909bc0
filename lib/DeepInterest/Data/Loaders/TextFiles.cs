using System.IO.Compression;
using System.Text;

namespace DeepInterest.Data.Loaders;

/// <summary>Line reading shared by the loaders: gzip detected by magic bytes, CR/LF/CRLF line ends, 1-based line numbers.</summary>
internal static class TextFiles
{
    private const int BufferSize = 1 << 16;

    /// <summary>Opens a text file, transparently decompressing it when it starts with the gzip magic bytes.</summary>
    public static StreamReader Open(string path, Encoding? encoding = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"expected file {Path.GetFileName(path)} in folder {Path.GetDirectoryName(Path.GetFullPath(path))}", path);
        Stream stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
        Span<byte> magic = stackalloc byte[2];
        int read = stream.Read(magic);
        stream.Position = 0;
        if (read == 2 && magic[0] == 0x1f && magic[1] == 0x8b) stream = new GZipStream(stream, CompressionMode.Decompress);
        return new StreamReader(stream, encoding ?? Encoding.UTF8, detectEncodingFromByteOrderMarks: true, BufferSize);
    }

    /// <summary>Calls <paramref name="onLine"/> for each non-empty line with its 1-based number (line ends stripped).</summary>
    public static void ForEachLine(string path, Encoding? encoding, LineAction onLine)
    {
        using var reader = Open(path, encoding);
        long number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (line.Length == 0) continue;
            onLine(line, number);
        }
    }

    public delegate void LineAction(string line, long lineNumber);

    /// <summary>
    /// Splits <paramref name="line"/> into exactly <paramref name="fields"/>.Length fields; false when it has fewer or more.
    /// </summary>
    public static bool TrySplit(ReadOnlySpan<char> line, ReadOnlySpan<char> separator, Span<Range> fields)
    {
        Span<Range> oneMore = stackalloc Range[fields.Length + 1];
        int count = line.Split(oneMore, separator);
        if (count != fields.Length) return false;
        oneMore[..count].CopyTo(fields);
        return true;
    }
}
