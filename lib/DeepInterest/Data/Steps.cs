using System.Collections;
using System.Runtime.CompilerServices;

namespace DeepInterest.Data;

/// <summary>
/// A read-only window of an array, oldest step first: how a <see cref="CtrSample"/> sees its history without copying it
/// (the window into its user's timeline, or into a loader's flat array). Reads like an array (<see cref="Length"/>, an
/// indexer, ranges such as <c>steps[3..]</c>, <c>foreach</c>, LINQ); an array or a collection expression converts to a
/// window over all of it, so samples can still be built from arrays.
/// </summary>
[CollectionBuilder(typeof(Steps), nameof(Steps.Create))]
public readonly struct Steps<T> : IReadOnlyList<T>, IEquatable<Steps<T>>
{
    private readonly T[]? array;
    private readonly int start;

    public Steps(T[] array, int start, int length)
    {
        ArgumentNullException.ThrowIfNull(array);
        if ((uint)start > (uint)array.Length || (uint)length > (uint)(array.Length - start))
            throw new ArgumentOutOfRangeException(nameof(length), $"window [{start}, {start + length}) is outside an array of {array.Length}");
        this.array = array;
        this.start = start;
        Length = length;
    }

    public static implicit operator Steps<T>(T[] array) => new(array, 0, array.Length);

    public int Length { get; }
    int IReadOnlyCollection<T>.Count => Length;

    public T this[int index] => (uint)index < (uint)Length
        ? array![start + index]
        : throw new IndexOutOfRangeException($"step {index} of a history of {Length}");

    public ReadOnlySpan<T> Span => array is null ? default : new ReadOnlySpan<T>(array, start, Length);

    /// <summary>The steps <paramref name="from"/>..from+length−1 of this window (also what <c>steps[a..b]</c> calls).</summary>
    public Steps<T> Slice(int from, int length) => (uint)from <= (uint)Length && (uint)length <= (uint)(Length - from)
        ? length == 0 ? default : new Steps<T>(array!, start + from, length)
        : throw new ArgumentOutOfRangeException(nameof(length), $"steps [{from}, {from + length}) of a history of {Length}");

    public T[] ToArray() => Span.ToArray();

    /// <summary>Copies the last <paramref name="count"/> steps to <paramref name="destination"/> at <paramref name="at"/>.</summary>
    public void CopyLast(int count, T[] destination, int at) => Span[(Length - count)..].CopyTo(destination.AsSpan(at, count));

    public Enumerator GetEnumerator() => new(this);
    IEnumerator<T> IEnumerable<T>.GetEnumerator() => GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The same steps in the same order (wherever they are stored), so a window equals an array of its values.</summary>
    public bool Equals(Steps<T> other) => Span.SequenceEqual(other.Span, EqualityComparer<T>.Default);
    public override bool Equals(object? obj) => obj is Steps<T> other && Equals(other);
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var x in Span) hash.Add(x);
        return hash.ToHashCode();
    }

    public override string ToString() => $"[{string.Join(", ", this)}]";

    public struct Enumerator(Steps<T> steps) : IEnumerator<T>
    {
        private int index = -1;
        public readonly T Current => steps[index];
        readonly object? IEnumerator.Current => Current;
        public bool MoveNext() => ++index < steps.Length;
        public void Reset() => index = -1;
        public readonly void Dispose() { }
    }
}

/// <summary>Builds <see cref="Steps{T}"/> from collection expressions (<c>HistoryItems = [1, 2, 3]</c>).</summary>
public static class Steps
{
    public static Steps<T> Create<T>(ReadOnlySpan<T> values) => values.ToArray();
}
