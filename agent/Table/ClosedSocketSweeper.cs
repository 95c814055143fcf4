using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Table;

/// <summary>
/// Drops table entries of node sockets an application closed while it keeps running (its exit is noticed at
/// once by the supervisor). The agent holds no reference to swapped sockets, so the kernel's socket lists of
/// the node's namespace tell which still exist.
/// </summary>
public sealed class ClosedSocketSweeper(ServiceTable table, ILogger<ClosedSocketSweeper> logger) : BackgroundService
{
    private static readonly string[] SocketLists = ["/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp", "/proc/net/udp6"];
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                Sweep();
            }
            catch (IOException e)
            {
                logger.LogWarning("Cannot read the node's socket lists: {Error}", e.Message);
            }
        }
    }

    public void Sweep()
    {
        var sockets = table.Sockets();
        if (sockets.Count == 0 && table.PeerCount == 0) return;
        var listedAt = Environment.TickCount64;
        var alive = LiveInodes();
        table.PrunePeers(alive, listedAt);
        var missing = sockets.Where(s => !alive.Contains(s.Inode)).ToList();
        if (missing.Count == 0) return;
        alive = LiveInodes(); // a socket swapped in while the lists were read shows up now
        foreach (var socket in missing.Where(s => !alive.Contains(s.Inode)))
        {
            table.RemoveSocket(socket.Inode);
            table.RemoveServer(socket.Inode);
            logger.LogInformation("App {AppId} closed its socket {Service}/{Transport}; entry removed", socket.App.Id, socket.Service, socket.Transport);
        }
    }

    /// <summary>Inodes of every TCP/UDP socket in the agent's network namespace.</summary>
    public static HashSet<ulong> LiveInodes()
    {
        var inodes = new HashSet<ulong>();
        foreach (var path in SocketLists)
        {
            if (!File.Exists(path)) continue;
            foreach (var line in File.ReadLines(path).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && ulong.TryParse(fields[9], out var inode)) inodes.Add(inode);
            }
        }
        return inodes;
    }
}
