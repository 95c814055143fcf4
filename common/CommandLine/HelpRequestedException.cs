namespace AppSwitch.Common.CommandLine;

/// <summary>
/// `--help` was given. Not an error: <see cref="Exception.Message"/> holds the usage text to print
/// on stdout and the exit code is 0. Parsers that must return a value (RunPlanParser) throw it.
/// </summary>
public sealed class HelpRequestedException(string usage) : UsageException(usage)
{
    public override int ExitCode => 0;
}
