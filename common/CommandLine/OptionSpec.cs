namespace AppSwitch.Common.CommandLine;

/// <summary>
/// One option a command accepts: `--name` (and `-x`), its kind, its default and its environment form.
/// Values are kept as text and converted on read, so defaults and environment values go through the
/// same checks as flags.
/// </summary>
public sealed record OptionSpec(string Name, OptionKind Kind = OptionKind.String)
{
    /// <summary>A one-letter alias used as `-x VALUE`, `-x=VALUE` or `-xVALUE`.</summary>
    public char? ShortName { get; init; }

    /// <summary>The value when neither the flag nor its environment variable is given (text form).</summary>
    public string? DefaultValue { get; init; }

    /// <summary>Read when the flag is absent, e.g. AX_NODE_NAME. Empty values count as absent.</summary>
    public string? EnvironmentVariable { get; init; }

    public string Help { get; init; } = "";

    /// <summary>How usage text describes a default computed at run time ("host name"); overrides <see cref="DefaultValue"/> there.</summary>
    public string? DefaultDescription { get; init; }

    /// <summary>The placeholder shown in usage text (`--ip A.B.C.D`); defaults to "VALUE" / "N".</summary>
    public string? ValueName { get; init; }

    /// <summary>
    /// Checks a value from a flag or the environment; returns why it is wrong, or null when it is fine.
    /// Runs before the kind's own check so that it can give the more precise reason ("not a port number").
    /// </summary>
    public Func<string, string?>? Validate { get; init; }

    public string LongForm => "--" + Name;
}
