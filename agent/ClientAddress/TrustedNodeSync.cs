using System.Net;
using System.Net.Sockets;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.Table;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.ClientAddress;

/// <summary>
/// Keeps the nodes map equal to the cluster's node addresses (this node's and every replica's): the sock_ops program
/// takes a client VIP only from a SYN that comes from one of them. A host elsewhere that writes the same option into its
/// SYN (root on any machine can) claims nothing. Follows the table's revisions; a node that left is reset to 0.
/// </summary>
internal sealed class TrustedNodeSync(ServiceTable table, ClientAddressMaps maps, ILogger<TrustedNodeSync> logger) : BackgroundService
{
    private readonly HashSet<IPAddress> _trusted = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var revisions = table.Revisions.Subscribe();
        try
        {
            Sync();
            await foreach (var _ in revisions.ReadAllAsync(stoppingToken)) Sync();
        }
        catch (OperationCanceledException) { }
        finally { table.Revisions.Unsubscribe(revisions); }
    }

    private void Sync()
    {
        var nodes = table.Replicas().Select(r => r.Address).Append(table.Node.Address)
            .Select(a => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork).ToHashSet();
        foreach (var added in nodes.Where(a => !_trusted.Contains(a)).ToList())
            if (Write(added, 1)) _trusted.Add(added);
        foreach (var gone in _trusted.Where(a => !nodes.Contains(a)).ToList())
            if (Write(gone, 0)) _trusted.Remove(gone);
    }

    private bool Write(IPAddress node, int trusted)
    {
        var r = Bpf.UpdateElement(maps.NodesFd, node.GetAddressBytes(), BitConverter.GetBytes(trusted));
        if (r.IsError) logger.LogWarning("Client addresses: cannot {Action} node {Node} in the BPF nodes map: {Errno}",
            trusted == 1 ? "trust" : "untrust", node, r.Error);
        else logger.LogDebug("Client addresses: node {Node} {State}", node, trusted == 1 ? "trusted" : "no longer trusted");
        return !r.IsError;
    }
}
