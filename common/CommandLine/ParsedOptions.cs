namespace AppSwitch.Common.CommandLine;

/// <summary>The outcome of <see cref="OptionSet.Parse"/>: every option's value and where it came from, and the positionals.</summary>
public sealed class ParsedOptions
{
    private readonly IReadOnlyDictionary<string, OptionSpec> _specs;
    private readonly IReadOnlyDictionary<string, (string Value, ValueSource Source)> _values;

    internal ParsedOptions(
        IReadOnlyDictionary<string, OptionSpec> specs,
        IReadOnlyDictionary<string, (string, ValueSource)> values,
        IReadOnlyList<string> positionals,
        int firstPositionalIndex,
        bool helpRequested)
    {
        _specs = specs;
        _values = values;
        Positionals = positionals;
        FirstPositionalIndex = firstPositionalIndex;
        HelpRequested = helpRequested;
    }

    /// <summary>The positional arguments, in order (in StopAtFirstPositional mode: the command and its arguments).</summary>
    public IReadOnlyList<string> Positionals { get; }

    /// <summary>Index into the parsed arguments of the first positional; -1 when there is none.</summary>
    public int FirstPositionalIndex { get; }

    /// <summary>`-h`/`--help` was seen; parsing stopped there.</summary>
    public bool HelpRequested { get; }

    public ValueSource SourceOf(string name) =>
        _values.TryGetValue(Known(name).Name, out var v) ? v.Source : ValueSource.None;

    /// <summary>True when the value came from the command line or the environment, not a default.</summary>
    public bool IsSet(string name) => SourceOf(name) is ValueSource.Flag or ValueSource.Environment;

    /// <summary>The value as text; null when the option has no value and no default.</summary>
    public string? GetString(string name) =>
        _values.TryGetValue(Known(name).Name, out var v) ? v.Value : null;

    /// <summary>A boolean option's value; false when it has none.</summary>
    public bool GetBool(string name)
    {
        var text = GetString(name);
        if (text is null) return false;
        return OptionValues.TryParseBool(text, out var value)
            ? value
            : throw UsageException.InvalidValue(Known(name).LongForm, text, "not a boolean (use true or false)");
    }

    public int GetInt(string name)
    {
        var text = GetString(name) ?? throw new InvalidOperationException($"option --{name} has no value and no default");
        return OptionValues.TryParseInt(text, out var value)
            ? value
            : throw UsageException.InvalidValue(Known(name).LongForm, text, "not an integer");
    }

    // Reading an option that was never declared is a programming error, not a usage error.
    private OptionSpec Known(string name) =>
        _specs.TryGetValue(name, out var spec) ? spec : throw new ArgumentException($"no option named --{name}", nameof(name));
}
