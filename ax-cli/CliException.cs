namespace AppSwitch.Cli;

/// <summary>A failure that is not a usage mistake (daemon unreachable, error answer): printed as "ax: &lt;message&gt;", exit 1.</summary>
internal sealed class CliException(string message) : Exception(message)
{
    public int ExitCode => 1;
}
