namespace AppSwitch.Agent.Interception;

/// <summary>Serves the seccomp listeners of all supervised applications. (Stub: being written.)</summary>
public sealed class Supervisor : Microsoft.Extensions.Hosting.IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
