using System.Diagnostics;
using System.Text;
using Xunit.Sdk;

namespace AppSwitch.Tests.Infrastructure;

/// <summary>
/// A started program whose stdout and stderr are captured as they arrive. Await its exit with a
/// timeout or wait for something in its output; disposing stops it and every descendant it left.
/// </summary>
public sealed class RunningProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Task _readers;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int? _exitCode;
    private bool _disposed;
    private TimeSpan _elapsed;

    public string CommandLine { get; }
    public int Pid { get; }

    private RunningProcess(Process process, string commandLine)
    {
        _process = process;
        CommandLine = commandLine;
        Pid = process.Id;
        _readers = Task.WhenAll(
            Pump(process.StandardOutput, _stdout),
            Pump(process.StandardError, _stderr));
    }

    /// <summary>Starts <paramref name="file"/> with <paramref name="args"/>; stdin is closed at once.</summary>
    public static RunningProcess Start(string file, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (environment != null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        if (workingDirectory != null) psi.WorkingDirectory = workingDirectory;
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        process.StandardInput.Close();
        return new RunningProcess(process, string.Join(' ', new[] { file }.Concat(psi.ArgumentList).Select(Quote)));
    }

    public string StdOut { get { lock (_stdout) return _stdout.ToString(); } }
    public string StdErr { get { lock (_stderr) return _stderr.ToString(); } }
    public bool HasExited => _process.HasExited;

    /// <summary>Everything known about the process so far, for assertion messages.</summary>
    public string Describe() =>
        $"`{CommandLine}` (pid {Pid}) " +
        (_process.HasExited ? $"exited {_process.ExitCode}" : "still running") +
        $"\n--- stdout ---\n{StdOut}\n--- stderr ---\n{StdErr}";

    /// <summary>Awaits the exit (and the end of its output); fails the test after <paramref name="timeout"/>.</summary>
    public async Task<CommandResult> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            var description = Describe();
            await StopAsync(TimeSpan.Zero);
            throw new XunitException($"timed out after {timeout.TotalSeconds:F1} s waiting for exit: {description}");
        }
        _exitCode ??= _process.ExitCode;
        if (_elapsed == default) _elapsed = _clock.Elapsed;
        // A descendant that outlives the process may hold the pipes open; don't wait for it forever.
        await Task.WhenAny(_readers, Task.Delay(TimeSpan.FromSeconds(2)));
        return new CommandResult(CommandLine, _exitCode.Value, StdOut, StdErr, _elapsed);
    }

    /// <summary>Waits until the captured stdout satisfies <paramref name="condition"/>.</summary>
    public Task<TimeSpan> WaitForOutputAsync(Func<string, bool> condition, TimeSpan timeout, string what) =>
        Eventually.UntilAsync(() =>
        {
            if (condition(StdOut)) return true;
            if (_process.HasExited && _readers.IsCompleted && !condition(StdOut))
                throw new XunitException($"process ended before {what}: {Describe()}");
            return false;
        }, timeout, what, Describe);

    public bool Signal(int signal) => Signals.Send(Pid, signal);

    /// <summary>SIGTERM, then SIGKILL (to it and all its descendants) after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited) return;
        var descendants = Signals.Descendants(Pid);
        if (grace > TimeSpan.Zero)
        {
            Signals.Send(Pid, Signals.SIGTERM);
            using var cts = new CancellationTokenSource(grace);
            try { await _process.WaitForExitAsync(cts.Token); } catch (OperationCanceledException) { }
        }
        descendants.AddRange(Signals.Descendants(Pid));
        Signals.Send(Pid, Signals.SIGKILL);
        foreach (var d in descendants) Signals.Send(d, Signals.SIGKILL);
        using var kill = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await _process.WaitForExitAsync(kill.Token); } catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await StopAsync(TimeSpan.FromSeconds(2));
        await Task.WhenAny(_readers, Task.Delay(TimeSpan.FromSeconds(1)));
        _process.Dispose();
    }

    private static async Task Pump(StreamReader reader, StringBuilder sink)
    {
        var buffer = new char[4096];
        try
        {
            int n;
            while ((n = await reader.ReadAsync(buffer)) > 0)
                lock (sink) sink.Append(buffer, 0, n);
        }
        catch (ObjectDisposedException) { }
        catch (IOException) { }
    }

    private static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || "-_./=:,@%+".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}
