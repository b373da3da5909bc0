using System.Runtime.CompilerServices;
using System.Text;

namespace DeepInterest.Data.Loaders;

/// <summary>
/// Interns the string ids of one field (ASINs, user ids, category names) as stable dense longs 0, 1, 2, … in order of
/// first appearance, and keeps the names so notebooks can show them. Looks up spans without allocating a string for
/// ids it has already seen (as text or as UTF-8 bytes), which matters on the 1.2M-line DIEN files with long histories.
/// </summary>
public sealed class IdTable
{
    private readonly List<string> names = [];
    private Slot[] slots = new Slot[1024];   // open addressing with linear probing, at most half full

    /// <summary>A name with its hash and id: one slot holds all a lookup needs, so a hit costs one slot and the name.</summary>
    private struct Slot
    {
        public string? Name;   // null = empty
        public int Hash;
        public int Id;
    }

    public string Field { get; }

    public IdTable(string field) => Field = field;

    /// <summary>Number of distinct ids seen.</summary>
    public int Count => names.Count;

    /// <summary>The names in id order (id i is <c>Names[i]</c>).</summary>
    public IReadOnlyList<string> Names => names;

    public string Name(long id) => id >= 0 && id < names.Count
        ? names[(int)id]
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"{Field}: no id {id} (the table has {names.Count})");

    /// <summary>The id of <paramref name="name"/>, added when new.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot in one-shot loads: skip the unoptimised first tier
    public long Intern(ReadOnlySpan<char> name)
    {
        int hash = Hash(name), mask = slots.Length - 1;
        for (int s = hash & mask; ; s = (s + 1) & mask)
        {
            ref var slot = ref slots[s];
            if (slot.Name is null) return Add(s, hash, name.ToString());
            if (slot.Hash == hash && name.SequenceEqual(slot.Name)) return slot.Id;
        }
    }

    /// <summary>
    /// The id of the UTF-8 name <paramref name="utf8"/>, added when new: the same id as for its text, without decoding
    /// it when it is ASCII (ids in the data files are), so a file can be interned straight from its bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public long Intern(ReadOnlySpan<byte> utf8)
    {
        if (!TryHashAscii(utf8, out int hash)) return Intern(Decode(utf8, stackalloc char[MaxStackName]));
        int mask = slots.Length - 1;
        for (int s = hash & mask; ; s = (s + 1) & mask)
        {
            ref var slot = ref slots[s];
            if (slot.Name is null) return Add(s, hash, Encoding.ASCII.GetString(utf8));
            if (slot.Hash == hash && Ascii.Equals(utf8, slot.Name)) return slot.Id;
        }
    }

    /// <summary>
    /// The ids of the <paramref name="ids"/>.Length UTF-8 names in <paramref name="list"/>, joined by
    /// <paramref name="separator"/>, added when new: the same ids, in the same order, as interning them one by one.
    /// <para>Why: in a table of hundreds of thousands of names a lookup waits for two cache misses, its slot and then its
    /// name, and lookups one after the other wait for them one after the other (most of the time of reading a DIEN
    /// history). Here all names are hashed and their first slots read in one pass, the lengths of the names found there
    /// in a second, those names compared in a third, and only the rest (names in a later slot, and new names) interned
    /// one by one, in order: the reads of the first two passes do not depend on each other, so the processor waits for
    /// their misses together.</para>
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void InternEach(ReadOnlySpan<byte> list, byte separator, Span<long> ids)
    {
        const int OnStack = 128;
        Span<int> hashes = ids.Length <= OnStack ? stackalloc int[ids.Length] : new int[ids.Length];
        Span<int> lengths = ids.Length <= OnStack ? stackalloc int[ids.Length] : new int[ids.Length];
        Span<int> firstSlotHashes = ids.Length <= OnStack ? stackalloc int[ids.Length] : new int[ids.Length];
        Span<bool> candidates = ids.Length <= OnStack ? stackalloc bool[ids.Length] : new bool[ids.Length];
        int mask = slots.Length - 1;
        var rest = list;
        for (int i = 0; i < ids.Length; i++)   // the slots' misses
        {
            var name = TextFiles.NextField(ref rest, separator);
            (hashes[i], lengths[i]) = (Hash(name), name.Length);   // a non-ASCII name fails Ascii.Equals below
            firstSlotHashes[i] = slots[hashes[i] & mask].Hash;
        }
        for (int i = 0; i < ids.Length; i++)   // the names' misses
            candidates[i] = firstSlotHashes[i] == hashes[i] && slots[hashes[i] & mask].Name?.Length == lengths[i];
        rest = list;
        for (int i = 0; i < ids.Length; i++)
        {
            var name = TextFiles.NextField(ref rest, separator);
            ref var slot = ref slots[hashes[i] & mask];
            ids[i] = candidates[i] && Ascii.Equals(name, slot.Name!) ? slot.Id : -1;
        }
        rest = list;
        for (int i = 0; i < ids.Length; i++)   // names in a later slot, and new names, in order
        {
            var name = TextFiles.NextField(ref rest, separator);
            if (ids[i] < 0) ids[i] = Intern(name);
        }
    }

    private long Add(int at, int hash, string name)
    {
        int id = names.Count;
        names.Add(name);
        slots[at] = new Slot { Name = name, Hash = hash, Id = id };
        if (2 * names.Count > slots.Length) Grow();
        return id;
    }

    /// <summary>The id of <paramref name="name"/> when already interned.</summary>
    public bool TryGetId(ReadOnlySpan<char> name, out long id)
    {
        int hash = Hash(name), mask = slots.Length - 1;
        for (int s = hash & mask; slots[s].Name is { } known; s = (s + 1) & mask)
            if (slots[s].Hash == hash && name.SequenceEqual(known)) { id = slots[s].Id; return true; }
        id = -1;
        return false;
    }

    /// <summary>The id of the UTF-8 name <paramref name="utf8"/> when already interned.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryGetId(ReadOnlySpan<byte> utf8, out long id)
    {
        if (!TryHashAscii(utf8, out int hash)) return TryGetId(Decode(utf8, stackalloc char[MaxStackName]), out id);
        int mask = slots.Length - 1;
        for (int s = hash & mask; slots[s].Name is { } known; s = (s + 1) & mask)
            if (slots[s].Hash == hash && Ascii.Equals(utf8, known)) { id = slots[s].Id; return true; }
        id = -1;
        return false;
    }

    private const int MaxStackName = 256;

    /// <summary>A non-ASCII UTF-8 name as text (invalid bytes become U+FFFD, as a UTF-8 reader shows them).</summary>
    private static ReadOnlySpan<char> Decode(ReadOnlySpan<byte> utf8, Span<char> stack)
    {
        var chars = utf8.Length <= stack.Length ? stack : new char[utf8.Length];   // UTF-8 never decodes to more chars than bytes
        return chars[..Encoding.UTF8.GetChars(utf8, chars)];
    }

    /// <summary>FNV-1a with a final mix: ids come from local files, so flooding resistance (string's Marvin hash) buys nothing and costs time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Hash(ReadOnlySpan<char> name)
    {
        uint hash = 2166136261;
        foreach (char c in name) hash = (hash ^ c) * 16777619;
        return (int)(hash ^ (hash >> 15));
    }

    /// <summary>The same hash of a name given as UTF-8 bytes, whatever its bytes (for other tables of names in bytes).</summary>
    internal static int Hash(ReadOnlySpan<byte> utf8)
    {
        TryHashAscii(utf8, out int hash);
        return hash;
    }

    /// <summary><see cref="Hash(ReadOnlySpan{char})"/> of an ASCII name given as bytes (each byte is its char); false when a byte is not ASCII.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryHashAscii(ReadOnlySpan<byte> utf8, out int result)
    {
        uint hash = 2166136261, all = 0;
        foreach (byte b in utf8) { hash = (hash ^ b) * 16777619; all |= b; }
        result = (int)(hash ^ (hash >> 15));
        return all < 0x80;
    }

    private void Grow()
    {
        var old = slots;
        slots = new Slot[old.Length * 2];
        int mask = slots.Length - 1;
        foreach (var slot in old)
        {
            if (slot.Name is null) continue;
            int s = slot.Hash & mask;
            while (slots[s].Name is not null) s = (s + 1) & mask;
            slots[s] = slot;
        }
    }
}
