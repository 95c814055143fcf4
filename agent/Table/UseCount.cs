namespace AppSwitch.Agent.Table;

/// <summary>
/// How many entries use each key (an address, a name): a lookup in O(1) where a scan of every entry was, kept under
/// the owner's lock. A key is present while its count is above zero.
/// </summary>
internal sealed class UseCount<TKey> where TKey : notnull
{
    private readonly Dictionary<TKey, int> _counts = new();

    public bool Contains(TKey key) => _counts.ContainsKey(key);

    public void Add(TKey key) => _counts[key] = _counts.GetValueOrDefault(key) + 1;

    public void Remove(TKey key)
    {
        if (!_counts.TryGetValue(key, out var count)) return;
        if (count <= 1) _counts.Remove(key); else _counts[key] = count - 1;
    }
}
