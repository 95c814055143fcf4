namespace AppSwitch.Agent.State;

/// <summary>
/// A list with O(1) lookup by key, for replaying the write-ahead log in one pass (a <c>List.RemoveAll</c> per record
/// made replaying N records O(N²)). Order is kept as the list operations it replaces would keep it:
/// <see cref="Upsert"/> removes every item of the key and appends (RemoveAll, then Add); <see cref="ReplaceFirst"/>
/// replaces the first item of the key in place (FindIndex, then the indexer) or appends. Items loaded with a repeated
/// key are kept until a change of that key.
/// </summary>
internal sealed class KeyedSequence<TKey, T>(Func<T, TKey> keyOf) where TKey : notnull
{
    private readonly LinkedList<T> _items = new();
    private readonly Dictionary<TKey, List<LinkedListNode<T>>> _byKey = new();

    public KeyedSequence(IEnumerable<T> items, Func<T, TKey> keyOf) : this(keyOf)
    {
        foreach (var item in items) Append(item);
    }

    public void Upsert(T item)
    {
        Remove(keyOf(item));
        Append(item);
    }

    public void ReplaceFirst(T item)
    {
        if (_byKey.TryGetValue(keyOf(item), out var nodes)) nodes[0].Value = item;
        else Append(item);
    }

    public void Remove(TKey key)
    {
        if (!_byKey.Remove(key, out var nodes)) return;
        foreach (var node in nodes) _items.Remove(node);
    }

    /// <summary>Removes the items of the key that <paramref name="which"/> picks.</summary>
    public void Remove(TKey key, Func<T, bool> which)
    {
        if (!_byKey.TryGetValue(key, out var nodes)) return;
        foreach (var node in nodes.Where(n => which(n.Value)).ToList())
        {
            nodes.Remove(node);
            _items.Remove(node);
        }
        if (nodes.Count == 0) _byKey.Remove(key);
    }

    public List<T> ToList() => [.. _items];

    private void Append(T item)
    {
        var node = _items.AddLast(item);
        var key = keyOf(item);
        if (_byKey.TryGetValue(key, out var nodes)) nodes.Add(node);
        else _byKey[key] = [node];
    }
}
