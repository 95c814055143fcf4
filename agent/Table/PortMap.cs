using System.Collections;

namespace AppSwitch.Agent.Table;

/// <summary>
/// A vservice's vport → aport map in one sorted array of pairs: a vservice has a handful of ports, and a
/// <see cref="Dictionary{TKey,TValue}"/> per vservice (~180 bytes) counted by the ten thousand. Lookups are a
/// binary search over the pairs. Immutable.
/// </summary>
public sealed class PortMap : IReadOnlyDictionary<int, int>
{
    public static readonly PortMap Empty = new([]);

    private readonly KeyValuePair<int, int>[] _pairs; // sorted by key, keys distinct

    private PortMap(KeyValuePair<int, int>[] pairs) => _pairs = pairs;

    /// <summary>The map of (vport, aport) pairs; ArgumentException when a vport repeats.</summary>
    public static PortMap Of(IEnumerable<KeyValuePair<int, int>> pairs)
    {
        var sorted = pairs.ToArray();
        if (sorted.Length == 0) return Empty;
        Array.Sort(sorted, static (a, b) => a.Key.CompareTo(b.Key));
        for (var i = 1; i < sorted.Length; i++)
            if (sorted[i].Key == sorted[i - 1].Key) throw new ArgumentException($"port {sorted[i].Key} is mapped twice", nameof(pairs));
        return new PortMap(sorted);
    }

    public int Count => _pairs.Length;

    public bool TryGetValue(int key, out int value)
    {
        int low = 0, high = _pairs.Length - 1;
        while (low <= high)
        {
            var middle = (low + high) >>> 1;
            var found = _pairs[middle].Key;
            if (found == key)
            {
                value = _pairs[middle].Value;
                return true;
            }
            if (found < key) low = middle + 1; else high = middle - 1;
        }
        value = 0;
        return false;
    }

    public bool ContainsKey(int key) => TryGetValue(key, out _);

    public int this[int key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"port {key} is not mapped");

    /// <summary>The vports, ascending.</summary>
    public IEnumerable<int> Keys => _pairs.Select(p => p.Key);

    public IEnumerable<int> Values => _pairs.Select(p => p.Value);

    /// <summary>The pairs by ascending vport.</summary>
    public IEnumerator<KeyValuePair<int, int>> GetEnumerator() => ((IEnumerable<KeyValuePair<int, int>>)_pairs).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
