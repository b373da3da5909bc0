using System.Text;

namespace DeepInterest.Data.Loaders;

/// <summary>
/// Just enough of a Python-literal reader for the SNAP 2014 Amazon meta lines (<c>{'asin': '…', 'categories': [['A', 'B']]}</c>),
/// tolerant of JSON double quotes too. It looks up one key at a time instead of parsing the whole dict, so the fields it
/// does not need (descriptions, related items, prices) cannot make it fail.
/// </summary>
internal static class PythonLiteral
{
    /// <summary>The string value of <c>'key': '…'</c> (or <c>"key": "…"</c>).</summary>
    public static bool TryReadStringField(ReadOnlySpan<char> line, string key, out string value)
    {
        value = "";
        int at = ValueStart(line, key);
        return at >= 0 && TryReadString(line, ref at, out value);
    }

    /// <summary>
    /// The value of <c>'key': [['a', 'b'], ['c']]</c> as lists of strings; a flat <c>['a', 'b']</c> becomes one list.
    /// Null when the key is absent or its value is not such a list.
    /// </summary>
    public static List<List<string>>? ReadStringLists(ReadOnlySpan<char> line, string key)
    {
        int at = ValueStart(line, key);
        if (at < 0 || at >= line.Length || line[at] != '[') return null;
        at++;
        var lists = new List<List<string>>();
        var flat = new List<string>();
        while (true)
        {
            SkipSeparators(line, ref at);
            if (at >= line.Length) return null;
            char c = line[at];
            if (c == ']') break;
            if (c == '[')
            {
                at++;
                var inner = new List<string>();
                while (true)
                {
                    SkipSeparators(line, ref at);
                    if (at >= line.Length) return null;
                    if (line[at] == ']') { at++; break; }
                    if (!TryReadString(line, ref at, out var s)) return null;
                    inner.Add(s);
                }
                lists.Add(inner);
            }
            else if (TryReadString(line, ref at, out var s)) flat.Add(s);
            else return null;
        }
        if (flat.Count > 0) lists.Insert(0, flat);
        return lists;
    }

    /// <summary>Index just after <c>'key':</c> and any spaces, or -1.</summary>
    private static int ValueStart(ReadOnlySpan<char> line, string key)
    {
        foreach (char quote in "'\"")
        {
            int searchFrom = 0;
            while (searchFrom < line.Length)
            {
                int found = line[searchFrom..].IndexOf(key);
                if (found < 0) break;
                int start = searchFrom + found, end = start + key.Length;
                searchFrom = end;
                if (start == 0 || end >= line.Length || line[start - 1] != quote || line[end] != quote) continue;
                int at = end + 1;
                while (at < line.Length && line[at] == ' ') at++;
                if (at >= line.Length || line[at] != ':') continue;
                at++;
                while (at < line.Length && line[at] == ' ') at++;
                return at;
            }
        }
        return -1;
    }

    private static void SkipSeparators(ReadOnlySpan<char> line, ref int at)
    {
        while (at < line.Length && line[at] is ' ' or ',') at++;
    }

    /// <summary>Reads a '…' or "…" literal at <paramref name="at"/>, resolving backslash escapes.</summary>
    private static bool TryReadString(ReadOnlySpan<char> line, ref int at, out string value)
    {
        value = "";
        if (at >= line.Length || line[at] is not ('\'' or '"')) return false;
        char quote = line[at++];
        var text = new StringBuilder();
        while (at < line.Length)
        {
            char c = line[at++];
            if (c == quote) { value = text.ToString(); return true; }
            if (c == '\\' && at < line.Length)
            {
                char escaped = line[at++];
                text.Append(escaped switch { 'n' => '\n', 't' => '\t', _ => escaped });
            }
            else text.Append(c);
        }
        return false;
    }
}
