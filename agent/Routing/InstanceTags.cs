namespace AppSwitch.Agent.Routing;

/// <summary>
/// Amalgam8 tags over AppSwitch labels without building tag strings on the connect path: the tag `k=v` is the
/// label k with value v, the tag `k` a label k with an empty value.
/// </summary>
internal static class InstanceTags
{
    public static bool HasAll(IReadOnlyDictionary<string, string> labels, IReadOnlyList<string>? tags)
    {
        if (tags is null) return true;
        foreach (var tag in tags)
            if (!Has(labels, tag)) return false;
        return true;
    }

    public static bool Has(IReadOnlyDictionary<string, string> labels, string tag)
    {
        var equals = tag.IndexOf('=');
        if (equals < 0) return labels.TryGetValue(tag, out var empty) && empty.Length == 0;
        return labels.TryGetValue(tag[..equals], out var value) && value.AsSpan().SequenceEqual(tag.AsSpan(equals + 1));
    }
}
