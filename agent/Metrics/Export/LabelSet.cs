namespace AppSwitch.Agent.Metrics.Export;

/// <summary>
/// The labels of one series: at most two (the agent's instruments carry one or two low-cardinality labels). A value
/// type with ordinal equality, so finding a series on the hot path allocates nothing.
/// </summary>
internal readonly record struct LabelSet(string? Name1, string? Value1, string? Name2, string? Value2)
{
    public const int MaxLabels = 2;

    public static LabelSet From(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length > MaxLabels)
            throw new ArgumentException($"an instrument of the agent carries at most {MaxLabels} labels, got {tags.Length}", nameof(tags));
        var (n1, v1) = tags.Length > 0 ? (tags[0].Key, ValueOf(tags[0].Value)) : (null, null);
        var (n2, v2) = tags.Length > 1 ? (tags[1].Key, ValueOf(tags[1].Value)) : (null, null);
        // One order for one set: a caller may pass the same labels either way round.
        return string.CompareOrdinal(n1, n2) > 0 && n2 is not null ? new LabelSet(n2, v2, n1, v1) : new LabelSet(n1, v1, n2, v2);
    }

    private static string ValueOf(object? value) => value as string ?? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "";

    public IEnumerable<(string Name, string Value)> Pairs()
    {
        if (Name1 is not null) yield return (Name1, Value1 ?? "");
        if (Name2 is not null) yield return (Name2, Value2 ?? "");
    }
}
