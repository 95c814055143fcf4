using System.Threading.Channels;
using AppSwitch.Agent.Table;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Following;

/// <summary>
/// Apps' connections follow their service (issue 19 point 3), off the session threads: after every table change the
/// connected UDP sockets whose instance is gone move (<see cref="UdpRepointer"/>); when a node is declared dead the TCP
/// connections to its instances are reset (<see cref="DeadNodeResetter"/>).
/// </summary>
internal sealed class SocketFollower(ServiceTable table, UdpRepointer udp, DeadNodeResetter tcp, ILogger<SocketFollower> logger) : BackgroundService
{
    private readonly Channel<RemoteNodeRef> _deaths = Channel.CreateUnbounded<RemoteNodeRef>(new UnboundedChannelOptions { SingleReader = true });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var revisions = table.Revisions.Subscribe();
        table.RemoteNodeDied += Died;
        try
        {
            await Task.WhenAll(Task.Run(() => FollowChangesAsync(revisions, stoppingToken), stoppingToken),
                Task.Run(() => ResetDeathsAsync(stoppingToken), stoppingToken));
        }
        catch (OperationCanceledException) { }
        finally
        {
            table.RemoteNodeDied -= Died;
            table.Revisions.Unsubscribe(revisions);
        }
    }

    private void Died(RemoteNodeRef node) => _deaths.Writer.TryWrite(node);

    private async Task FollowChangesAsync(ChannelReader<long> revisions, CancellationToken stoppingToken)
    {
        while (await revisions.WaitToReadAsync(stoppingToken))
        {
            revisions.TryRead(out _);
            Guarded(udp.FollowAll, "moving connected UDP sockets");
        }
    }

    /// <summary>One round's failure is logged; the next change or death is handled as usual.</summary>
    private void Guarded(Action round, string what)
    {
        try { round(); }
        catch (Exception e) when (e is not OperationCanceledException) { logger.LogWarning(e, "Failed {What}; the follower goes on", what); }
    }

    private async Task ResetDeathsAsync(CancellationToken stoppingToken)
    {
        await foreach (var node in _deaths.Reader.ReadAllAsync(stoppingToken))
            Guarded(() => tcp.ResetConnectionsTo(node), $"resetting connections to dead node {node.Name}");
    }
}
