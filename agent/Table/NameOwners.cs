namespace AppSwitch.Agent.Table;

/// <summary>
/// Which other nodes hold a replica vservice of a name, in the order they came. A name has one owner but in a race
/// between creations: the first owner is a plain entry (a list per name cost ~160 bytes each at ten thousand
/// replica vservices), the rare further ones sit in a list of their own. Not thread-safe: the table's lock guards it.
/// </summary>
internal sealed class NameOwners
{
    private readonly Dictionary<string, string> _first = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _more = new(StringComparer.Ordinal);

    public void Add(string name, string owner)
    {
        if (_first.TryAdd(name, owner)) return;
        if (!_more.TryGetValue(name, out var others)) _more[name] = others = [];
        others.Add(owner);
    }

    public void Remove(string name, string owner)
    {
        if (!_first.TryGetValue(name, out var first)) return;
        _more.TryGetValue(name, out var others);
        if (first == owner)
        {
            if (others is { Count: > 0 })
            {
                _first[name] = others[0];
                others.RemoveAt(0);
            }
            else _first.Remove(name);
        }
        else others?.Remove(owner);
        if (others is { Count: 0 }) _more.Remove(name);
    }

    /// <summary>The first node still holding a vservice of this name, or null.</summary>
    public string? FirstOwner(string name) => _first.GetValueOrDefault(name);
}
