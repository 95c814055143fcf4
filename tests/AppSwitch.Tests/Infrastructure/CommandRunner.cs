namespace AppSwitch.Tests.Infrastructure;

/// <summary>Runs a command to completion with a deadline and returns what it printed.</summary>
public static class CommandRunner
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static async Task<CommandResult> RunAsync(string file, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        await using var process = RunningProcess.Start(file, args, environment);
        return await process.WaitForExitAsync(timeout ?? DefaultTimeout);
    }

    /// <summary>Runs and throws (with the output) when the exit code is not 0.</summary>
    public static async Task<CommandResult> RunCheckedAsync(string file, params string[] args) =>
        (await RunAsync(file, args)).EnsureSuccess();

    /// <summary>Synchronous form for constructors and Dispose (only for quick commands like `ip`).</summary>
    public static CommandResult Run(string file, params string[] args) =>
        RunAsync(file, args).GetAwaiter().GetResult();
}
