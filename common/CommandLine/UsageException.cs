namespace AppSwitch.Common.CommandLine;

/// <summary>
/// A mistake in how a command was invoked. The message is one line, printed as "ax: &lt;message&gt;";
/// the process exits with <see cref="ExitCode"/> (2, as is usual for usage errors).
/// </summary>
public class UsageException(string message) : Exception(message)
{
    public virtual int ExitCode => 2;

    /// <summary>The standard message for a value an option does not accept.</summary>
    public static UsageException InvalidValue(string source, string value, string reason) =>
        new($"invalid value \"{value}\" for {source}: {reason}");
}

/// <summary>
/// `--help` was given. Not an error: <see cref="Exception.Message"/> holds the usage text to print
/// on stdout and the exit code is 0. Parsers that must return a value (RunPlanParser) throw it.
/// </summary>
public sealed class HelpRequestedException(string usage) : UsageException(usage)
{
    public override int ExitCode => 0;
}
