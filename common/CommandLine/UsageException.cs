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
