namespace AppSwitch.Tests.Infrastructure;

/// <summary>What a finished command printed and how it ended.</summary>
public sealed record CommandResult(string Command, int ExitCode, string StdOut, string StdErr, TimeSpan Elapsed)
{
    /// <summary>Everything about the run, for assertion messages.</summary>
    public string Describe() =>
        $"`{Command}` exited {ExitCode} after {Elapsed.TotalMilliseconds:F0} ms\n--- stdout ---\n{StdOut}\n--- stderr ---\n{StdErr}";

    public CommandResult EnsureSuccess()
    {
        if (ExitCode != 0) throw new InvalidOperationException(Describe());
        return this;
    }
}
