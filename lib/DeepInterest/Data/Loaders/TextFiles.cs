using System.IO.Compression;
using System.Text;

namespace DeepInterest.Data.Loaders;

/// <summary>Line reading shared by the loaders: gzip detected by magic bytes, CR/LF/CRLF line ends, 1-based line numbers.</summary>
internal static class TextFiles
{
    private const int BufferSize = 1 << 16;

    /// <summary>Opens a text file, transparently decompressing it when it starts with the gzip magic bytes.</summary>
    public static StreamReader Open(string path, Encoding? encoding = null) =>
        new(OpenBytes(path), encoding ?? Encoding.UTF8, detectEncodingFromByteOrderMarks: true, BufferSize);

    /// <summary>The file's bytes, gunzipped when it starts with the gzip magic bytes.</summary>
    private static Stream OpenBytes(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"expected file {Path.GetFileName(path)} in folder {Path.GetDirectoryName(Path.GetFullPath(path))}", path);
        Stream stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
        Span<byte> magic = stackalloc byte[2];
        int read = stream.Read(magic);
        stream.Position = 0;
        return read == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? new GZipStream(stream, CompressionMode.Decompress) : stream;
    }

    /// <summary>
    /// <see cref="ForEachLine"/> for UTF-8 files without a string per line: each non-empty line is handed over as its
    /// bytes (a view of a reused buffer, valid during the call), with the same CR/LF/CRLF line ends and 1-based numbers.
    /// A UTF-8 byte order mark is skipped; a UTF-16 or UTF-32 one is an error.
    /// </summary>
    public static void ForEachUtf8Line(string path, Utf8LineAction onLine)
    {
        using var stream = OpenBytes(path);
        var buffer = new byte[1 << 20];
        int filled = 0, begin = 0;
        long number = 0;
        bool first = true;
        while (true)
        {
            if (begin > 0) { buffer.AsSpan(begin, filled - begin).CopyTo(buffer); filled -= begin; begin = 0; }
            if (filled == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);   // a line longer than the buffer
            int read = stream.Read(buffer, filled, buffer.Length - filled);
            bool atEnd = read == 0;
            filled += read;
            var data = new ReadOnlySpan<byte>(buffer, 0, filled);
            if (first && (filled >= 3 || atEnd))
            {
                first = false;
                if (data.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) begin = 3;
                else if (data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || data.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
                    throw new InvalidDataException($"{path}: expected a UTF-8 text file, found a UTF-16 or UTF-32 byte order mark");
            }
            else if (first) continue;
            while (true)
            {
                int at = data[begin..].IndexOfAny((byte)'\n', (byte)'\r');
                if (at < 0) break;
                int end = begin + at, next = end + 1;
                if (data[end] == '\r')
                {
                    if (next == filled && !atEnd) break;   // a '\n' may follow in the next read
                    if (next < filled && data[next] == '\n') next++;
                }
                number++;
                if (end > begin) onLine(data[begin..end], number);
                begin = next;
            }
            if (atEnd)
            {
                if (begin < filled) onLine(data[begin..], ++number);
                return;
            }
        }
    }

    public delegate void Utf8LineAction(ReadOnlySpan<byte> line, long lineNumber);

    /// <summary>The number of non-empty lines: a first pass that lets a loader size its tables once instead of growing them.</summary>
    public static int CountLines(string path)
    {
        int lines = 0;
        ForEachUtf8Line(path, (_, _) => lines++);
        return lines;
    }

    /// <summary>The line as text, for error messages.</summary>
    public static string Text(ReadOnlySpan<byte> line) => Encoding.UTF8.GetString(line);

    /// <summary>
    /// Splits <paramref name="line"/> at <paramref name="separator"/> into exactly <paramref name="fields"/>.Length fields;
    /// false when it has fewer or more.
    /// </summary>
    public static bool TrySplit(ReadOnlySpan<byte> line, byte separator, Span<Range> fields)
    {
        int start = 0;
        for (int i = 0; i < fields.Length - 1; i++)
        {
            int at = line[start..].IndexOf(separator);
            if (at < 0) return false;
            fields[i] = new Range(start, start + at);
            start += at + 1;
        }
        if (line[start..].Contains(separator)) return false;
        fields[^1] = new Range(start, line.Length);
        return true;
    }

    /// <summary>The field before the next <paramref name="separator"/> of <paramref name="rest"/> (all of it when none), and <paramref name="rest"/> moved past it.</summary>
    public static ReadOnlySpan<byte> NextField(ref ReadOnlySpan<byte> rest, byte separator)
    {
        int at = rest.IndexOf(separator);
        var field = at < 0 ? rest : rest[..at];
        rest = at < 0 ? default : rest[(at + 1)..];
        return field;
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
