using AppSwitch.Agent.Native;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Table;

/// <summary>
/// Drops the servers of sockets an application closed while it keeps running (its exit is noticed at once
/// by the supervisor). The agent holds no reference to swapped sockets, so the kernel's lists of listening
/// TCP and bound UDP sockets of the node's namespace tell which still exist. Bound TCP sockets that are not
/// listening yet are not in those lists; they leave with their app.
/// </summary>
public sealed class ClosedSocketSweeper(ServiceTable table, ILogger<ClosedSocketSweeper> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken)) Sweep();
    }

    public void Sweep()
    {
        var watched = table.Sockets().Where(IsListed).ToList();
        if (watched.Count == 0) return;
        var alive = LiveInodes();
        if (alive is null)
        {
            logger.LogWarning("Cannot list the node's sockets (sock_diag); closed servers stay listed until their app exits");
            return;
        }
        var missing = watched.Where(s => !alive.Contains(s.Inode)).ToList();
        if (missing.Count == 0) return;
        alive = LiveInodes(); // a socket swapped in while the lists were read shows up now
        foreach (var socket in missing.Where(s => alive is not null && !alive.Contains(s.Inode)))
        {
            table.RemoveSocket(socket.Inode);
            table.RemoveServer(socket.Inode);
            logger.LogInformation("App {AppId} closed its socket {Service}/{Transport}; entry removed", socket.App.Id, socket.Service, socket.Transport);
        }
    }

    /// <summary>Whether the kernel's lists show the socket while it exists: listening TCP, or UDP.</summary>
    public static bool IsListed(SocketEntry socket) =>
        socket.Transport == Transport.Udp || socket.State == SocketState.Listening;

    /// <summary>Inodes of every listening TCP and every UDP socket in the agent's network namespace.</summary>
    public static HashSet<ulong>? LiveInodes() => SockDiag.ListeningAndUdpInodes();
}
