namespace AppSwitch.Agent.Launcher;

/// <summary>Serves `ax run` launchers on &lt;socket-dir&gt;/ax.sock. (Stub: being written.)</summary>
public sealed class LauncherEndpoint : Microsoft.Extensions.Hosting.BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.CompletedTask;
}
